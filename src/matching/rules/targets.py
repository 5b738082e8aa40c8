"""A region's yearly targets: stored per region, inherited from the nearest ancestor, else the
policy default (docs/domain.md, "Targets"). The report and the planner both read them here."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.regions.registry import get_registry
from matching.reports.models import RegionTarget

# docs/domain.md, "Targets", and the policy texts (湘人社 2020 就业扶贫 targets).
DEFAULTS: dict[str, float] = {
    "push_ratio": 0.5,
    "success_rate": 0.15,
    "employed_share": 0.6,
    "stable_share": 0.75,
    "willing_employment": 0.95,
    "unit_employment": 0.5,
    "services_311": 1.0,
    "zero_employment_households": 0,
}
# The figures a region can set (reports.schemas.TargetSet; a test keeps the two equal).
FIELDS = (
    "push_ratio", "success_rate", "employed_share", "stable_share", "willing_employment",
    "unit_employment", "services_311", "zero_employment_households", "workshops", "bases",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Resolved:
    """A target value and the region that set it (None: the policy default)."""

    value: float | None
    set_by: str | None


def ancestors(code: str) -> list[str]:
    """The region and every ancestor, nearest first."""
    return [r.code for r in reversed(get_registry().chain(code))]


def rows_for(session: Session, codes: set[str], year: int) -> dict[str, RegionTarget]:
    """Stored targets of the given regions for a year."""
    if not codes:
        return {}
    return {
        t.region: t
        for t in session.scalars(
            select(RegionTarget).where(RegionTarget.region.in_(codes), RegionTarget.year == year)
        )
    }


def resolve(code: str, rows: dict[str, RegionTarget]) -> dict[str, Resolved]:
    """Each figure's target for a region: its own, else the nearest ancestor's, else the default."""
    chain = ancestors(code)
    out = {}
    for name in FIELDS:
        resolved = Resolved(DEFAULTS.get(name), None)
        for region in chain:
            row = rows.get(region)
            value = getattr(row, name) if row is not None else None
            if value is not None:
                resolved = Resolved(float(value), region)
                break
        out[name] = resolved
    return out
