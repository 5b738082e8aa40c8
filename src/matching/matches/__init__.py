"""Matching over live in-memory indexes: top posts for a labourer, top labourers for a post."""
