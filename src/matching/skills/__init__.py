"""Skill and occupation taxonomy: curated trades, certificates and a normaliser for clerk input."""
