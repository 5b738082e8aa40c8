"""Outcome notices to partner agencies: Standard Webhooks from a transactional outbox."""
