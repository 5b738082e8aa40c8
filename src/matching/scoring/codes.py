"""Region codes and dates as the integers the indexes store."""

from datetime import date

# Segment ends of GB/T 2260: province 2, prefecture 4, county 6, township 9 (village 12 is finer
# than the scorer needs). Nine digits fit int32, which halves the bytes each comparison reads.
_LEVEL_ENDS = (2, 4, 6, 9)


def region_parts(code: str) -> tuple[int, int, int, int]:
    """(province, prefecture, county, township) prefixes of a code as ints; 0 for missing levels."""
    if not (code.isascii() and code.isdigit()) or len(code) not in (2, 4, 6, 9, 12):
        raise ValueError(f"not a GB/T 2260 region code: {code!r}")
    parts = [0, 0, 0, 0]
    start = 0
    for level, end in enumerate(_LEVEL_ENDS):
        # A zero segment ("440000") means the code stops above this level.
        if len(code) < end or int(code[start:end]) == 0:
            break
        parts[level] = int(code[:end])
        start = end
    if parts[0] == 0:
        raise ValueError(f"not a GB/T 2260 region code: {code!r}")
    return parts[0], parts[1], parts[2], parts[3]


def day_number(day: date) -> int:
    """The int32 day number the indexes store dates as."""
    return day.toordinal()
