"""The read model: what the matching indexes hold, as one request sees them on one day.

Every feature that needs labourer profiles, post records, the table of current posts, scores
or explanations asks a `ReadModel` (docs/architecture.md, "The read model"; a labourer's reach
is `scoring.reach`); none reaches into the indexes' snapshots, blocks or tables, which stay
this package's business. Each index is brought up to date with the database when first read
(one counter query when nothing changed) — once per read model: a request sees one state of
each index.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from matching.changes import ANSWERS, LABOURERS, POSTS, WEIGHTS, seen_seqs
from matching.database import READ_ONLY
from matching.matches.live import RowIds, Snapshot
from matching.matches.matcher import Matcher
from matching.matches.snapshot import labourer_profiles, post_record
from matching.posts.models import Post
from matching.rules import feedback, learned_weights, places
from matching.scoring import (
    Explanation,
    LabourerArrays,
    LabourerProfile,
    Match,
    PostArrays,
    PostRecord,
    ScoringContext,
    ScoringWeights,
    explain_pair,
)
from matching.scoring.arrays import LabourerColumns, PostColumns
from matching.scoring.codes import day_number
from matching.scoring.reach import KeyRange
from matching.scoring.sparse import invert

I64 = npt.NDArray[np.int64]

# Up to this many profiles come straight from the database while today's labourer index is not
# built yet; more than that, and building the index is cheaper than reading them one by one.
_READ_DIRECTLY_UP_TO = 500


@dataclass(frozen=True, slots=True)
class PostTable:
    """Every current post as one array set ordered by region key, with the look-ups a bulk
    search needs. Rows of one region are contiguous: `span(scoring.reach.reach(profile))`
    finds them."""

    arrays: PostArrays
    keys: I64  # region key per row, ascending
    usable: npt.NDArray[np.bool_]  # passes the post-only hard filters on the table's day
    by_skill: tuple[I64, I64]  # inverted index (CSR): required skill → rows
    by_occupation: tuple[I64, I64]  # occupation → rows

    def __len__(self) -> int:
        return len(self.arrays)

    def rows_of(self, ids: I64) -> I64:
        """The row of each post id, -1 for posts the table does not hold (closed ones)."""
        return RowIds(self.arrays.ids).rows_of(ids)

    def span(self, bounds: KeyRange | None) -> tuple[int, int]:
        """The rows whose region key lies in `bounds` (every row for None: anywhere)."""
        if bounds is None:
            return 0, len(self.keys)
        start, stop = np.searchsorted(self.keys, bounds)
        return int(start), int(stop)

    @classmethod
    def of(cls, snapshot: Snapshot[PostArrays, PostRecord], day: date) -> "PostTable":
        """A post snapshot's current rows (main block less its dead rows, then the delta)."""
        main = snapshot.main
        if snapshot.delta is None and main.alive.all():
            arrays, keys = main.arrays, main.region_keys
        else:
            tables: list[PostColumns] = [t for t in snapshot.tables if isinstance(t, PostColumns)]
            alive = np.flatnonzero(main.alive).astype(np.int64)
            rows = tables[0].take(alive).concat(tables[1:])
            order = np.lexsort((rows.ids, rows.region_keys))
            rows = rows.take(order.astype(np.int64))
            arrays, keys = rows.pack(), rows.region_keys
        today = day_number(day)
        usable = arrays.is_open & (arrays.valid_from <= today) & (arrays.valid_until >= today)
        usable &= arrays.openings_left > 0
        has = arrays.occupation >= 0
        occupation_ptr = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(has, out=occupation_ptr[1:])
        return cls(
            arrays=arrays,
            keys=np.asarray(keys, dtype=np.int64),
            usable=usable,
            by_skill=invert(arrays.skill_indptr, arrays.skill_indices),
            by_occupation=invert(occupation_ptr, arrays.occupation[has].astype(np.int32)),
        )


T = TypeVar("T")
SHOWN_POSTS_KEPT = 50_000  # presented posts a process keeps (about 2 KB each)


class ReadModel:
    """The indexes of one process, read through one session as of one day."""

    def __init__(self, matcher: Matcher, session: Session, today: date) -> None:
        self._matcher = matcher
        self._session = session
        self.today = today
        self._posts: Snapshot[PostArrays, PostRecord] | None = None
        self._labourers: Snapshot[LabourerArrays, LabourerProfile] | None = None
        self._tables: dict[date, PostTable] = {}  # a plan's widening search asks again
        self._context: ScoringContext | None = None  # weights other than the settings'
        self._places: places.Places | None = None  # read once: a push of many posts asks often

    def _seq(self, name: str) -> int | None:
        """A change counter: for a reader, as the request first read them (every counter in
        one statement, shared with the key's check: changes.seen_seqs); None for a writer,
        whose own writes may move a counter between its reads."""
        if not self._session.info.get(READ_ONLY):
            return None
        return seen_seqs(self._session).get(name, 0)

    def _post_snapshot(self) -> Snapshot[PostArrays, PostRecord]:
        if self._posts is None:
            self._posts = self._matcher.post_snapshot(self._session, self.today, self._seq(POSTS))
        return self._posts

    def _labourer_snapshot(self) -> Snapshot[LabourerArrays, LabourerProfile]:
        if self._labourers is None:
            seq = self._seq(LABOURERS)
            self._labourers = self._matcher.labourer_snapshot(self._session, self.today, seq)
        return self._labourers

    @property
    def context(self) -> ScoringContext:
        """Taxonomy similarities, corridors and weights: what every score is computed with."""
        return self._context or self._matcher.context

    def use_weights(self, weights: ScoringWeights | None) -> None:
        """Score with these component weights from now on (a province's learned weights:
        docs/scoring.md); None: the settings' weights again."""
        base = self._matcher.context
        self._context = None if weights is None else replace(base, weights=weights)

    def province_weights(self, province: str) -> ScoringWeights | None:
        """The learned weights in force for a province today (None: the settings'), as
        `learned_weights.current` reads them; kept per process while the weights counter
        stands where it stood (a reader's: the counter is read with the key anyway), so a
        match reads no fit (issue 14)."""
        seq = self._seq(WEIGHTS)
        if seq is None:
            return learned_weights.current(self._session, province, self.today)
        kept = self._matcher.province_weights
        entry = kept.get(province)
        if entry is not None and entry[:2] == (seq, self.today):
            return entry[2]
        weights = learned_weights.current(self._session, province, self.today)
        kept[province] = (seq, self.today, weights)
        return weights

    def refusals(self, labourer_id: int, window: feedback.Window) -> feedback.Refusals:
        """One labourer's refused pairs and answers today (rules.feedback); a reader's kept
        per worker while none of their answers changed (matches.answers), so a match reads
        no push."""
        since = window.memory_start(self.today)
        seq = self._seq(ANSWERS)
        if seq is None:
            rows = feedback.answers_of(self._session, labourer_id, since)
        else:
            rows = self._matcher.answers.answers(self._session, labourer_id, since, seq)
        return feedback.of_answers(rows, self.today, window)

    def profiles(self, ids: Iterable[int]) -> dict[int, LabourerProfile]:
        """Profiles of these labourers (seeking or not) that exist, by id.

        From the labourer index when today's is built, or when so many are asked for that
        building it is cheaper; otherwise straight from the database.
        """
        wanted = list(dict.fromkeys(ids))
        if len(wanted) > _READ_DIRECTLY_UP_TO:  # many: their rows found at once, not one by one
            positions, rows = self.labourer_rows(np.array(wanted, dtype=np.int64))
            return {wanted[at]: rows.record(k) for k, at in enumerate(positions.tolist())}
        if self._matcher.labourers_ready(self.today):
            records = self._labourer_snapshot().records
            return {i: p for i in wanted if (p := records.get(i)) is not None}
        found, _ = labourer_profiles(self._session, self.today, ids=wanted)
        return {p.id: p for p in found}

    def labourer_rows(self, ids: I64) -> tuple[I64, LabourerColumns]:
        """The index's current rows of these labourers as columns, in the order given, and the
        position in `ids` of each row (labourers the index does not hold are left out): a
        population's labourers without a profile object each."""
        ids = np.asarray(ids, dtype=np.int64)
        snapshot = self._labourer_snapshot()
        tables = [t for t in snapshot.tables if isinstance(t, LabourerColumns)]
        main_rows = snapshot.main.rows.rows_of(ids)
        in_main = main_rows >= 0
        in_main[in_main] = snapshot.main.alive[main_rows[in_main]]
        delta = snapshot.delta
        delta_rows = np.full(len(ids), -1, np.int64) if delta is None else delta.rows.rows_of(ids)
        in_delta = delta_rows >= 0
        in_main &= ~in_delta  # a changed labourer's current row is the delta's
        positions = np.concatenate([np.flatnonzero(in_main), np.flatnonzero(in_delta)])
        parts = [tables[0].take(main_rows[in_main])]
        if delta is not None:
            parts.append(tables[1].take(delta_rows[in_delta]))
        rows = parts[0].concat(parts[1:])
        order = np.argsort(positions, kind="stable")
        return positions[order].astype(np.int64), rows.take(order.astype(np.int64))

    def profile(self, labourer_id: int) -> LabourerProfile | None:
        """One labourer's profile, or None when there is no such labourer."""
        return self.profiles([labourer_id]).get(labourer_id)

    def open_posts(self) -> int:
        """How many posts the post index holds (the open ones)."""
        return len(self._post_snapshot())

    def post_records(self, ids: Iterable[int]) -> dict[int, PostRecord]:
        """Records of these posts that are open, by id (closed posts are not in the index)."""
        records = self._post_snapshot().records
        return {i: r for i in dict.fromkeys(ids) if (r := records.get(i)) is not None}

    def shown(self, ids: Iterable[int], show: Callable[[list[int]], dict[int, T]]) -> dict[int, T]:
        """How these open posts are shown (`show` reads and presents the ones not kept): kept
        per process for as long as the index holds the same contents of the post (a change
        to the post moves it to a new block: `Snapshot.version`) and the day is the same — a
        match then reads no post row (issue 14: re-reading them cost more than the scoring)."""
        snapshot = self._post_snapshot()
        kept = self._matcher.shown_posts
        found: dict[int, T] = {}
        missing: list[int] = []
        for i in dict.fromkeys(ids):
            entry = kept.get(i)
            if entry is not None and entry[:2] == (snapshot.version(i), self.today):
                found[i] = entry[2]
            else:
                missing.append(i)
        if missing:
            fresh = show(missing)
            if len(kept) + len(fresh) > SHOWN_POSTS_KEPT:
                kept.clear()  # a bound, not an LRU: clearing costs one read per post again
            for i, value in fresh.items():
                found[i] = value
                if (version := snapshot.version(i)) is not None:
                    kept[i] = (version, self.today, value)
        return found

    def record_of(self, post: Post) -> PostRecord:
        """A post as the scorer sees it, whatever its status (to explain any pair)."""
        if self._places is None:
            self._places = places.load(self._session)
        return post_record(post, self._places)

    def post_table(self, day: date | None = None) -> PostTable:
        """Every open post, with which pass the post-only hard filters on `day` (today when
        not given: a plan for next month judges posts on its first day)."""
        day = day or self.today
        if day not in self._tables:
            self._tables[day] = PostTable.of(self._post_snapshot(), day)
        return self._tables[day]

    def explain(self, profile: LabourerProfile, post: PostRecord) -> Explanation:
        """The pair's score, breakdown, reasons and the hard filters it fails, today."""
        return explain_pair(profile, post, self.context, today=self.today)

    def top_posts(
        self,
        profile: LabourerProfile,
        *,
        k: int,
        post_kind: int | None = None,
        region: str | None = None,
        min_wage: int | None = None,
    ) -> list[Match]:
        """The k best open posts for a labourer, optionally of one kind, region or wage."""
        snapshot = self._post_snapshot()
        return self._matcher.top_posts(profile, snapshot, self.context, today=self.today, k=k,
                                       post_kind=post_kind, region=region, min_wage=min_wage,
                                       packed=self._indexed_row(profile.id))  # fmt: skip

    def _indexed_row(self, labourer_id: int) -> LabourerArrays | None:
        """The labourer's current row of the labourer index as arrays of its own (sliced: packing
        the profile again cost a match about a tenth of its time), when this request took its
        profiles from the index; None otherwise."""
        if self._labourers is None:
            return None
        found = self._labourers.current(labourer_id)
        return None if found is None else found[0].arrays.row(found[1])

    def top_labourers(
        self, post: PostRecord, *, k: int, region_scopes: Sequence[str] | None = None
    ) -> list[Match]:
        """The k best labourers for a post, optionally only inside some region prefixes."""
        snapshot = self._labourer_snapshot()
        return self._matcher.top_labourers(post, snapshot, self.context, today=self.today,
                                           k=k, region_scopes=region_scopes)  # fmt: skip
