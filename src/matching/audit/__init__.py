"""Audit log of reads of unmasked personal data."""
