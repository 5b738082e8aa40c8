"""GB/T 2260 administrative divisions (行政区划)."""
