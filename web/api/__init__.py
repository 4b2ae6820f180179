"""The HTTP API, one module per domain (orders, runs, artifacts, ...)."""
