"""Reach: the run of region keys that holds every post a labourer would go to (docs/domain.md,
"Matching": the hard filters).

Post indexes are ordered by region key (the code padded to nine digits), so the posts inside a
labourer's relocation willingness are one contiguous run of rows a binary search finds. This is
only a pre-selection: the scorer still applies every hard filter to the rows in the run.
"""

from matching.scoring.codes import region_parts
from matching.scoring.types import LabourerProfile, Willingness

# How many leading digits of the labourer's code a workplace must share.
REACH_DIGITS = {
    Willingness.township: 9,
    Willingness.county: 6,
    Willingness.prefecture: 4,
    Willingness.province: 2,
}
_LEVEL_DIGITS = (2, 4, 6, 9)

KeyRange = tuple[int, int]


def reach_range(parts: tuple[int, int, int, int], willingness: Willingness) -> KeyRange | None:
    """Region keys [start, stop) within `willingness` of a home whose (province, prefecture,
    county, township) prefixes are `parts` (0 for a missing level, as `region_parts` gives
    them); None for anywhere."""
    digits = REACH_DIGITS.get(willingness)
    return None if digits is None else key_range(parts, digits)


def reach(profile: LabourerProfile) -> KeyRange | None:
    """The region keys of every workplace inside the labourer's relocation willingness; None
    for anywhere."""
    return reach_range(region_parts(profile.region), profile.willingness)


def key_range(parts: tuple[int, int, int, int], digits: int) -> KeyRange:
    """Region keys under the home's first `digits` digits, at most as deep as the code goes:
    codes such as 东莞 441900003 skip the county level (its segment is 00), and the scorer then
    compares at the deepest level the code really has, so the pre-selection must too."""
    depth = sum(1 for part in parts if part > 0)
    digits = min(digits, _LEVEL_DIGITS[depth - 1])
    prefix = parts[_LEVEL_DIGITS.index(digits)]
    scale = 10 ** (9 - digits)
    return prefix * scale, (prefix + 1) * scale
