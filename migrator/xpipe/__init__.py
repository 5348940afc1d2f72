"""Everything that speaks XPipe's HTTP API."""
