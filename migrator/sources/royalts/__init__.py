"""Royal TS / Royal TSX documents and rJSON."""

#: The root element of a Royal TS document: detection looks for it, ``document`` checks it.
ROOT = "RTSZDocument"
