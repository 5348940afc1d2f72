"""Windows Terminal ``settings.json``: profiles whose command line runs ``ssh``."""
