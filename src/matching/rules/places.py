"""Where labourers and posts are, for distances (docs/scoring.md, "Distance between townships").

The shipped region data has seat points down to county seats. Staff may set a township's seat
(`township_seats`), and a post may carry its own workplace point. So:

- a labourer is at their household township's seat where one is set, else at the county seat;
- a post is at its own point where it has one, else at its township's seat, else the county's.

No labourer has a point of their own: where someone lives is personal data the scorer does not
need finer than their township.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.errors import Unprocessable
from matching.regions.models import TownshipSeat
from matching.regions.registry import get_registry
from matching.scoring.geo import haversine_km

TOWNSHIP = 9  # digits of a township code
MAX_KM_FROM_SEAT = 100.0  # a township's or a workplace's point lies this near its county seat
# A workplace given only as a prefecture or a province lies within this of that seat (the
# widest prefectures and provinces: 呼伦贝尔 ~ 700 km, 新疆 ~ 2,000 km across).
MAX_KM_BY_LEVEL = {2: 2500.0, 4: 800.0}


@dataclass(frozen=True, slots=True)
class Places:
    """The township seats staff set, in front of the shipped county seats."""

    townships: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    _cache: dict[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    def point(self, code: str) -> tuple[float, float]:
        """(lat, lon) of a region code: its township's seat if set, else the shipped seat."""
        found = self._cache.get(code)
        if found is None:
            found = self.townships.get(code[:TOWNSHIP]) if len(code) >= TOWNSHIP else None
            if found is None:
                found = get_registry().seat(code)
            self._cache[code] = found
        return found

    def post_point(self, region: str, lat: float | None, lon: float | None) -> tuple[float, float]:
        """A post's point: its own where it has one, else its region's."""
        if lat is not None and lon is not None:
            return (lat, lon)
        return self.point(region)


def load(session: Session) -> Places:
    """The township seats set now (a small table: read whole)."""
    rows = session.execute(select(TownshipSeat.code, TownshipSeat.lat, TownshipSeat.lon)).all()
    return Places({code: (lat, lon) for code, lat, lon in rows})


def check_near_seat(code: str, lat: float, lon: float, *, field: str) -> None:
    """422 naming `field` when a point lies farther from the shipped seat of the region's county
    (or of the region itself, given above county level) than MAX_KM_FROM_SEAT (or
    MAX_KM_BY_LEVEL): most often lat and lon swapped, or a point of another place."""
    seat = code[:6] if len(code) >= 6 else code
    seat_lat, seat_lon = get_registry().seat(seat)
    km = haversine_km(lat, lon, seat_lat, seat_lon)
    limit = MAX_KM_BY_LEVEL.get(len(code), MAX_KM_FROM_SEAT)
    if km > limit:
        raise Unprocessable.for_field(
            field,
            f"{km:.0f} km from the seat of {seat}; a point of {code} lies within {limit:.0f} km "
            "of it (lat and lon swapped?) / 距所在区划驻地过远，请核对经纬度",
        )
