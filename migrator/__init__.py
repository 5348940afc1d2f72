"""xpipe-migrate: move server inventories into XPipe through its HTTP API."""

__version__ = "0.1.0"
