"""Refused pushes fed back into matching and planning (docs/planning.md, "Outcomes").

A pair whose push was declined, rejected or went unanswered is not proposed again for
`decline_cooldown_months` (matches mark it, plans leave it out), and it lowers posts of the same
occupation or trade group for that labourer (scoring.feedback) — from the next request on, not
after the 60-day hire window.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from matching.clock import months_back
from matching.posts.models import Post
from matching.pushes.models import Push, PushState
from matching.scoring.feedback import taste_factor
from matching.skills.taxonomy import get_taxonomy

REFUSED = (PushState.declined, PushState.rejected, PushState.no_response)


@dataclass(slots=True)
class Refusals:
    """Labourers' refused pairs since a day, and the occupations and groups they refused."""

    since: date
    pairs: dict[tuple[int, int], date] = field(default_factory=dict)  # → the push's day
    occupations: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    groups: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))

    def refused_on(self, labourer_id: int, post_id: int) -> date | None:
        """When this pair was last pushed and refused, inside the cooldown."""
        return self.pairs.get((labourer_id, post_id))

    def factor(self, labourer_id: int, occupation_id: str | None) -> float:
        """How much to lower a post of this occupation for this labourer (1: not at all)."""
        if labourer_id not in self.occupations:
            return 1.0
        return taste_factor(
            occupation_id,
            group_of(occupation_id),
            declined_occupations=self.occupations[labourer_id],
            declined_groups=self.groups[labourer_id],
        )

    @property
    def labourers(self) -> set[int]:
        """Labourers with at least one refusal."""
        return {lab for lab, _ in self.pairs}


def group_of(occupation_id: str | None) -> str | None:
    """The taxonomy group of an occupation id."""
    if occupation_id is None:
        return None
    entry = get_taxonomy().get(occupation_id)
    return entry.group if entry is not None else None


def cooldown_start(today: date, months: int) -> date:
    """The first day whose refusals still count: a refusal holds for `months` calendar months,
    the month of the push included (3: pushed in December, left out until the end of February)."""
    return months_back(today.replace(day=1), max(months - 1, 0))


def refusals(session: Session, where: ColumnElement[bool], since: date) -> Refusals:
    """Refused pushes (declined, rejected, no response) matching `where`, pushed since `since`."""
    rows = session.execute(
        select(Push.labourer_id, Push.post_id, Push.pushed_on, Post.occupation_id)
        .join(Post, Post.id == Push.post_id)
        .where(where, Push.state.in_(REFUSED), Push.pushed_on >= since)
    )
    return collect(rows, since)


def collect(rows: Iterable[tuple[int, int, date, str | None]], since: date) -> Refusals:
    """Refusals from (labourer, post, day, occupation) rows."""
    out = Refusals(since=since)
    for labourer_id, post_id, day, occupation in rows:
        key = (int(labourer_id), int(post_id))
        out.pairs[key] = max(day, out.pairs.get(key, day))
        if occupation is not None:
            out.occupations[key[0]].add(occupation)
            group = group_of(occupation)
            if group is not None:
                out.groups[key[0]].add(group)
    return out


def for_labourers(session: Session, labourer_ids: list[int], since: date) -> Refusals:
    """Refusals of some labourers."""
    return refusals(session, Push.labourer_id.in_(labourer_ids), since)


def for_region(session: Session, region: str, since: date) -> Refusals:
    """Refusals of a region's labourers."""
    return refusals(session, Push.labourer_region.startswith(region), since)
