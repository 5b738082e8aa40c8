"""API keys, roles and the caller's scope."""
