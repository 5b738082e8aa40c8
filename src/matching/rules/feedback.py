"""Pushes' outcomes fed back into matching and planning (docs/planning.md, "Outcomes").

A pair whose push was declined, rejected or went unanswered is not proposed again for
`decline_cooldown_months` (matches mark it, plans leave it out). The labourer's answers over the
longer `taste_memory_months` say what they think of posts like it — a decline lowers posts of
the same occupation or trade group, an application raises them — and whether they answer at all
(scoring.feedback), from the next request on, not after the 60-day hire window. An application
the employer rejected counts both ways: the pair is not proposed again, posts like it are.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeAlias

from sqlalchemy import ColumnElement, Select, and_, bindparam, select
from sqlalchemy.orm import Session

from matching.clock import months_back
from matching.posts.models import Post
from matching.pushes.models import Push, PushState
from matching.scoring.feedback import PRIOR_RESPONSIVENESS, Responsiveness, Taste
from matching.skills.taxonomy import get_taxonomy

# Not proposed again during the cooldown: the labourer or the employer said no, or nobody spoke.
REFUSED = (PushState.declined, PushState.rejected, PushState.no_response)
# What the labourer's own answers say: a decline is about the kind of post, no response about
# the labourer; an employer's rejection is not the labourer's refusal (it followed an application).
DECLINED_BY_LABOURER = (PushState.declined,)
APPLIED = (PushState.applied, PushState.interviewed, PushState.rejected)
# A successful push (推荐成功): its hire came by its attribution_until, the window in force when
# it was pushed (docs/domain.md, "Targets"). The report's success rate and the planner's fit.
HIRED_IN_WINDOW = and_(Push.hired_on.is_not(None), Push.hired_on <= Push.attribution_until)
# The labourer saw the push and said something, whatever it was (scoring.feedback.Responsiveness).
ANSWERED = (PushState.viewed, PushState.declined, PushState.hired, *APPLIED)


@dataclass(frozen=True, slots=True)
class Window:
    """How long answers count: a refused pair `cooldown_months`, a labourer's answers (their
    taste, whether they answer) `memory_months` — a trait outlasts one pair's refusal. Both
    are calendar months, the month of the push included."""

    cooldown_months: int = 3
    memory_months: int = 12

    def cooldown_start(self, today: date) -> date:
        """The first push day whose refused pair is still left out."""
        return cooldown_start(today, self.cooldown_months)

    def memory_start(self, today: date) -> date:
        """The first push day whose answer still counts for the labourer."""
        return min(cooldown_start(today, self.memory_months), self.cooldown_start(today))


@dataclass(slots=True)
class Refusals:
    """Labourers' refused pairs in the cooldown, and their answers since a day: the occupations
    and groups they refused and applied for, their silences and answers."""

    since: date
    cooldown_since: date | None = None  # pairs refused before it are proposed again (None: since)
    pairs: dict[tuple[int, int], date] = field(default_factory=dict)  # → the push's day
    # Per labourer: refused pushes per occupation and per trade group.
    occupations: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    groups: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # Per labourer: applications (applied, interviewed, rejected) per occupation and group.
    applied_occupations: dict[int, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    applied_groups: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # Per labourer: unanswered pushes and all applications, whatever the post.
    unanswered: Counter[int] = field(default_factory=Counter)
    answered: Counter[int] = field(default_factory=Counter)
    applied_all: Counter[int] = field(default_factory=Counter)
    # Whether labourers answer at all: the prior, or the region's fit (`fit_responsiveness`).
    responsiveness: Responsiveness = PRIOR_RESPONSIVENESS

    def refused_on(self, labourer_id: int, post_id: int) -> date | None:
        """When this pair was last pushed and refused, inside the cooldown."""
        return self.pairs.get((labourer_id, post_id))

    def taste(self, labourer_id: int, occupation_id: str | None) -> Taste:
        """This labourer's refusals of and applications to posts like one of `occupation_id`,
        and to every other post."""
        if not self.has_history(labourer_id):
            return Taste()
        group = group_of(occupation_id)
        nothing: Counter[str] = Counter()

        def counts(
            by_occupation: dict[int, Counter[str]], by_group: dict[int, Counter[str]]
        ) -> tuple[int, int]:
            # .get: reading must not add empty entries to the defaultdicts
            same = by_occupation.get(labourer_id, nothing)[occupation_id] if occupation_id else 0
            in_group = by_group.get(labourer_id, nothing)[group] if group else 0
            return same, in_group - same

        declined = counts(self.occupations, self.groups)
        applied = counts(self.applied_occupations, self.applied_groups)
        return Taste(
            occupation_refusals=declined[0],
            group_refusals=declined[1],
            unanswered=self.unanswered[labourer_id],
            answered=self.answered[labourer_id],
            responsiveness=self.responsiveness,
            occupation_applications=applied[0],
            group_applications=applied[1],
            other_applications=self.applied_all[labourer_id] - sum(applied),
        )

    def has_history(self, labourer_id: int) -> bool:
        """Whether the labourer answered or left unanswered any push in the window (a decline
        or an application is an answer)."""
        return labourer_id in self.answered or labourer_id in self.unanswered

    @property
    def labourers_with_history(self) -> set[int]:
        """Labourers whose answers or silences say something of them (built anew on each call:
        per labourer, ask `has_history`)."""
        return set(self.unanswered) | set(self.answered)

    def records(self) -> Counter[tuple[int, int]]:
        """(unanswered, answered) → how many labourers have that record."""
        return Counter(
            (self.unanswered[lab], self.answered[lab])
            for lab in set(self.unanswered) | set(self.answered)
        )

    def fit_responsiveness(self) -> Responsiveness:
        """Fit whether labourers answer to these labourers' records, and use it from now on."""
        self.responsiveness = Responsiveness.fit(self.records())
        return self.responsiveness

    def factor(self, labourer_id: int, occupation_id: str | None) -> float:
        """How much to lower a post of this occupation for this labourer (1: not at all)."""
        return self.taste(labourer_id, occupation_id).factor

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


# (labourer, post, day pushed, the post's occupation, state): what `collect` reads.
Answers: TypeAlias = Select[int, int, date, str | None, PushState]


def _answers(where: ColumnElement[bool]) -> Answers:
    """The pushes matching `where` that were refused or answered on or after `:since`."""
    states = sorted({*REFUSED, *ANSWERED})
    return (
        select(Push.labourer_id, Push.post_id, Push.pushed_on, Post.occupation_id, Push.state)
        .join(Post, Post.id == Push.post_id)
        .where(where, Push.state.in_(states), Push.pushed_on >= bindparam("since"))
    )


_OF_LABOURERS = _answers(Push.labourer_id.in_(bindparam("labourer_ids", expanding=True)))
# A labourer's matches read their answers on every request: the statement is built once, since
# building and keying it cost more than running it (0.54 against 0.33 ms a match; issue 14).
_OF_LABOURER = _answers(Push.labourer_id == bindparam("labourer_id"))


def refusals(
    session: Session,
    query: Answers,
    params: dict[str, object],
    today: date,
    window: Window,
) -> Refusals:
    """Refused pushes (declined, rejected, no response) in the cooldown, and every answer in
    the memory, of the pushes an `_answers` statement selects with these parameters."""
    since = window.memory_start(today)
    rows = session.execute(query, {**params, "since": since})
    return collect(rows, since, window.cooldown_start(today))


def collect(
    rows: Iterable[tuple[int, int, date, str | None, PushState]],
    since: date,
    cooldown_since: date | None = None,
) -> Refusals:
    """Refusals and applications from (labourer, post, day, occupation, state) rows; a pair is
    left out when refused on or after `cooldown_since` (default: `since`)."""
    out = Refusals(since=since, cooldown_since=cooldown_since)
    pairs_from = since if cooldown_since is None else cooldown_since
    for labourer_id, post_id, day, occupation, state in rows:
        key = (int(labourer_id), int(post_id))
        group = group_of(occupation)
        if state in REFUSED and day >= pairs_from:
            out.pairs[key] = max(day, out.pairs.get(key, day))
        if state == PushState.no_response:
            out.unanswered[key[0]] += 1
        if state in ANSWERED:
            out.answered[key[0]] += 1
        if state in APPLIED:
            out.applied_all[key[0]] += 1
        for states, by_occupation, by_group in (
            (DECLINED_BY_LABOURER, out.occupations, out.groups),
            (APPLIED, out.applied_occupations, out.applied_groups),
        ):
            if state in states and occupation is not None:
                by_occupation[key[0]][occupation] += 1
                if group is not None:
                    by_group[key[0]][group] += 1
    return out


def for_labourers(
    session: Session, labourer_ids: list[int], today: date, window: Window
) -> Refusals:
    """Refusals and answers of some labourers."""
    return refusals(session, _OF_LABOURERS, {"labourer_ids": labourer_ids}, today, window)


# One answer as `collect` reads it: (labourer, post, day pushed, the post's occupation, state).
AnswerRow: TypeAlias = tuple[int, int, date, str | None, PushState]


def answers_of(session: Session, labourer_id: int, since: date) -> tuple[AnswerRow, ...]:
    """One labourer's answers to pushes made on or after `since` (a match's, which its worker
    keeps: matches.answers; the statement takes one id, so no list to expand at each request)."""
    rows = session.execute(_OF_LABOURER, {"labourer_id": labourer_id, "since": since})
    return tuple((int(lab), int(post), day, occupation, state)
                 for lab, post, day, occupation, state in rows)  # fmt: skip


def of_answers(rows: Iterable[AnswerRow], today: date, window: Window) -> Refusals:
    """Refusals and answers from one labourer's `answers_of(…, window.memory_start(today))`."""
    return collect(rows, window.memory_start(today), window.cooldown_start(today))


def for_region(session: Session, region: str, today: date, window: Window) -> Refusals:
    """Refusals and answers of a region's labourers."""
    query = _answers(Push.labourer_region.startswith(region))
    return refusals(session, query, {}, today, window)
