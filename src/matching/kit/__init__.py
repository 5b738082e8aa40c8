"""Domain-free helpers: ID numbers, phone numbers, masking and personal-data cryptography."""
