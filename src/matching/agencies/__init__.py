"""Partner-province HR agencies that push posts in by API."""
