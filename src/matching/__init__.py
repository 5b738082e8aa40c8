"""就业扶贫 job-matching service."""

__version__ = "0.1.0"
