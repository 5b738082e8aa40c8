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


def canonical_hukou_code(code: str, *, field: str) -> tuple[str, str | None]:
    """A hukou region as (current code, code as recorded when that was a former one).

    Hukou books and old rosters still carry codes no longer in use (432302 沅江市 until 1993);
    such a code is kept as recorded and the person is placed under its current successor, so
    scopes and reports see them where they live now. A former code the data gives no single
    successor for (432321 益阳县, split in 1994) is refused: the clerk has to choose."""
    registry = get_registry()
    given = code.strip() if isinstance(code, str) else code
    if isinstance(given, str) and registry.normalise(given) is None:
        former = registry.former(given)
        if former is not None:
            successor = registry.current_successor(former)
            if successor is None:
                raise Unprocessable.for_field(
                    field,
                    f"{given} {former.name} has not been in use since {former.last_year} and has "
                    f"no single successor: give the current code / {given} {former.name}"
                    f"（{former.last_year}年后停用）没有唯一的现行对应区划，请填写现行代码",
                    "former_region",
                )
            return successor.code, former.canonical_code
    return canonical_region_code(code, field=field), None
