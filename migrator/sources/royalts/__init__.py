"""Royal TS / Royal TSX documents and rJSON."""
