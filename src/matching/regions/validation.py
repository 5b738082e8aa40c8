"""Checking region codes written anywhere in the service."""

from matching.errors import Unprocessable
from matching.regions.registry import get_registry


def canonical_region_code(code: str, *, field: str) -> str:
    """The canonical form of a known GB/T 2260 code, or a 422 naming the field."""
    canonical = get_registry().normalise(code.strip()) if isinstance(code, str) else None
    if canonical is None:
        raise Unprocessable.for_field(
            field, f"unknown GB/T 2260 region code {code!r} / 未知的行政区划代码", "unknown_region"
        )
    return canonical
