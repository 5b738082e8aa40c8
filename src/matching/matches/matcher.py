"""The matcher of one process: two live indexes, the scoring context, and the sync step."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, partial
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session, sessionmaker

from matching.changes import LABOURERS, POSTS, current_seq
from matching.database import may_wait, session_scope
from matching.matches.answers import KeptAnswers
from matching.matches.live import Block, LiveIndex, Snapshot, labourer_index, post_index
from matching.matches.snapshot import labourer_columns, post_records
from matching.matches.store import LabourerStore, SharedFile
from matching.scoring import (
    Corridors,
    LabourerArrays,
    LabourerProfile,
    Match,
    PostArrays,
    PostRecord,
    ScoringContext,
    ScoringWeights,
    SkillSpace,
    region_parts,
    score_labourers_for_post,
    score_posts_for_labourer,
)
from matching.scoring.params import ON_THE_JOB
from matching.scoring.provinces import ByProvince, ProvinceRuns
from matching.scoring.reach import KeyRange, reach
from matching.settings import Settings
from matching.skills.taxonomy import GROUP_WEIGHT, get_taxonomy

logger = logging.getLogger(__name__)
Mask = npt.NDArray[np.bool_]
_LEVEL_OF_LENGTH = {2: "province", 4: "prefecture", 6: "county", 9: "township", 12: "township"}


@dataclass(frozen=True, slots=True)
class SkillNames:
    """A taxonomy index's skill name, as a plain picklable callable: the scoring context is
    sent to a plan's Dask workers (matching.compute), and a closure over the taxonomy is not."""

    names: tuple[str, ...]

    def __call__(self, index: int) -> str:
        return self.names[index]


class Matcher:
    """Scores against in-memory indexes that catch up with the database on every request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.posts: LiveIndex[PostArrays, PostRecord] = post_index()
        self.labourers: LiveIndex[LabourerArrays, LabourerProfile] = labourer_index()
        # Shared with the host's other web workers (matches.store), when set.
        self.store = None if settings.index_store is None else LabourerStore(settings.index_store)
        # Posts as the API shows them, with the index's version of the post and the day they
        # were shown for (ReadModel.shown); threads share it through single dict operations,
        # atomic in Python.
        self.shown_posts: dict[int, tuple[tuple[int, int] | None, date, Any]] = {}
        # Each province's learned weights in force, with the weights counter and the day they
        # were read for (ReadModel.province_weights).
        self.province_weights: dict[str, tuple[int, date, ScoringWeights | None]] = {}
        # Each labourer's answers to earlier pushes (ReadModel.refusals).
        self.answers = KeptAnswers()

    @cached_property
    def context(self) -> ScoringContext:
        """Taxonomy similarities, corridors and weights (built once per process)."""
        taxonomy = get_taxonomy()
        space = SkillSpace(
            similarity=taxonomy.similarity_matrix(),
            groups=taxonomy.group_indices(),
            name=SkillNames(tuple(skill.name for skill in taxonomy.skills)),
            group_similarity=GROUP_WEIGHT,
            floor=taxonomy.general_labour() * ON_THE_JOB,
        )
        return ScoringContext(
            skills=space,
            weights=self.settings.weights,
            corridors=Corridors.from_pairs(self.settings.partner_corridors),
        )

    def post_snapshot(
        self, session: Session, today: date, seq: int | None = None
    ) -> Snapshot[PostArrays, PostRecord]:
        """The post index, brought up to date with the database (`seq`: the posts' change
        counter, when the caller read it already)."""
        seq = current_seq(session, POSTS) if seq is None else seq
        snap = self.posts.snapshot
        if snap is not None and snap.seq >= seq and snap.built_on == today:
            return snap
        may_wait(session)  # a catch-up reads, and another may hold the lock for seconds
        with self.posts.lock:
            snap = self.posts.snapshot
            if snap is None or snap.built_on != today:
                records, _, top = post_records(session)
                self.posts.build(records, max(seq, top), today)
            elif snap.seq < seq:
                changed, closed, top = post_records(session, changed_after=snap.seq)
                self.posts.apply(changed, closed, max(seq, top))
            result = self.posts.snapshot
        assert result is not None
        return result

    def labourer_snapshot(
        self, session: Session, today: date, seq: int | None = None
    ) -> Snapshot[LabourerArrays, LabourerProfile]:
        """The labourer index, brought up to date (rebuilt each day: ages and statuses move)."""
        seq = current_seq(session, LABOURERS) if seq is None else seq
        snap = self.labourers.snapshot
        if snap is not None and snap.seq >= seq and snap.built_on == today:
            return snap
        may_wait(session)
        with self.labourers.lock:
            snap = self.labourers.snapshot
            if snap is None or snap.built_on != today:
                self._build_labourers(session, today, seq)
            elif snap.seq < seq:
                changed, top = labourer_columns(session, today, changed_after=snap.seq)
                if self.store is not None and self.labourers.overflows(len(changed)):
                    self._build_labourers(session, today, seq)
                else:
                    self.labourers.apply(changed, [], max(seq, top))
            result = self.labourers.snapshot
        assert result is not None
        return result

    def _build_labourers(self, session: Session, today: date, seq: int) -> None:
        """Today's labourer index from scratch, as of the change counter `seq` read before the
        load (matches.snapshot.labourer_columns); through the store when there is one: a file
        another worker published, brought up to date, or a new file this process publishes."""
        store = self.store
        if store is None:
            table, _ = labourer_columns(session, today)
            self.labourers.build(table, seq, today)
            return
        with store.lock():
            shared = store.latest(today)
            if shared is not None and self._adopt(store, shared, today):
                if shared.seq >= seq:
                    return
                changed, top = labourer_columns(session, today, changed_after=shared.seq)
                if not self.labourers.overflows(len(changed)):
                    self.labourers.apply(changed, [], max(seq, top))
                    return
            table, _ = labourer_columns(session, today)
            try:
                published = store.publish(table, table.pack(), seq, today)
            except OSError:  # a full or read-only store: this worker keeps its own copy
                logger.exception("could not publish the labourer index to %s", store.directory)
                self.labourers.build(table, seq, today)
                return
            if not self._adopt(store, published, today):  # then this process's own copy
                self.labourers.build(table, seq, today)

    def _adopt(self, store: LabourerStore, shared: SharedFile, today: date) -> bool:
        """Map a published file as the labourer index; False (logged) when it cannot be read."""
        try:
            arrays, table = store.load(shared)
        except (OSError, ValueError, KeyError):  # gone, truncated, or not a whole index
            logger.exception("could not map the labourer index %s", shared.path)
            return False
        self.labourers.adopt(arrays, table, shared.seq, today)
        return True

    def labourers_ready(self, today: date) -> bool:
        """Whether today's labourer index is built (so single profiles can come from it)."""
        snap = self.labourers.snapshot
        return snap is not None and snap.built_on == today

    def warm(self, sessions: "sessionmaker[Session]", today: date) -> None:
        """Build both indexes ahead of the first requests (run in a background thread)."""
        for session in session_scope(sessions, write=False):
            self.post_snapshot(session, today)
            self.labourer_snapshot(session, today)

    def top_posts(
        self,
        profile: LabourerProfile,
        snap: Snapshot[PostArrays, PostRecord],
        context: ScoringContext,
        *,
        today: date,
        k: int,
        post_kind: int | None = None,
        region: str | None = None,
        min_wage: int | None = None,
        packed: LabourerArrays | None = None,
    ) -> list[Match]:
        """The k best posts for a labourer across the snapshot's blocks; `packed`: the
        labourer's row of the labourer index (ReadModel.top_posts), else packed once here."""
        found: list[Match] = []
        within = reach(profile)
        one = packed if packed is not None else LabourerArrays.from_profiles([profile])
        for block in snap.blocks():
            arrays, mask = _within_reach(block, within)
            mask = _post_mask(arrays, mask, post_kind, region, min_wage)
            found += score_posts_for_labourer(
                one, arrays, context, today=today, k=k, mask=mask,
                by_province=_by_province(block) if within is None else None,
            )  # fmt: skip
        return _best(found, k, key=lambda m: m.post_id)

    def top_labourers(
        self,
        post: PostRecord,
        snap: Snapshot[LabourerArrays, LabourerProfile],
        context: ScoringContext,
        *,
        today: date,
        k: int,
        region_scopes: Sequence[str] | None = None,
    ) -> list[Match]:
        """The k best labourers for a post, optionally only inside some region prefixes."""
        found: list[Match] = []
        for block in snap.blocks():
            mask = block.alive
            if region_scopes is not None:
                mask = mask & _any_prefix(block.arrays, region_scopes)
            found += score_labourers_for_post(
                post, block.arrays, context, today=today, k=k, mask=mask
            )
        return _best(found, k, key=lambda m: m.labourer_id)


def _best(found: list[Match], k: int, *, key: Callable[[Match], int]) -> list[Match]:
    """Merge blocks' results in the scorer's order: score descending, then id ascending."""
    return sorted(found, key=lambda m: (-m.total, key(m)))[:k]


def _prefix_mask(arrays: PostArrays | LabourerArrays, prefix: str) -> Mask:
    level = _LEVEL_OF_LENGTH[len(prefix)]
    parts = region_parts(prefix if len(prefix) != 12 else prefix[:9])
    value = parts[("province", "prefecture", "county", "township").index(level)]
    column: npt.NDArray[np.int32] = getattr(arrays, level)
    return np.asarray(column == value)


def _any_prefix(arrays: PostArrays | LabourerArrays, prefixes: Sequence[str]) -> Mask:
    mask = np.zeros(len(arrays), dtype=np.bool_)
    for prefix in prefixes:
        mask |= _prefix_mask(arrays, prefix)
    return mask


def _post_mask(
    arrays: PostArrays, mask: Mask, post_kind: int | None, region: str | None, min_wage: int | None
) -> Mask:
    if post_kind is not None:
        mask = mask & (arrays.kind == post_kind)
    if region:
        mask = mask & _prefix_mask(arrays, region)
    if min_wage is not None:
        mask = mask & (arrays.wage_max >= min_wage)
    return mask


def _within_reach(block: Block[PostArrays], bounds: KeyRange | None) -> tuple[PostArrays, Mask]:
    """The block's rows inside the labourer's reach, as arrays of their own (cached per range)."""
    if bounds is None or block.region_keys is None:
        return block.arrays, block.alive
    start, stop = block.span(*bounds)
    return _rows(block, start, stop), block.alive[start:stop]


def _by_province(block: Block[PostArrays]) -> ByProvince | None:
    """A post block's province runs (made at its first use, then kept), with its slices."""
    if block.region_keys is None:
        return None
    runs = block.derived.get("province_runs")
    if runs is None:
        runs = block.derived["province_runs"] = ProvinceRuns.of(block.arrays)
    return ByProvince(runs, partial(_rows, block))


def _rows(block: Block[PostArrays], start: int, stop: int) -> PostArrays:
    arrays = block.slices.get((start, stop))
    if arrays is None:
        arrays = block.arrays.span(start, stop)
        if len(block.slices) < _MAX_CACHED_SLICES:
            block.slices[(start, stop)] = arrays
    return arrays


_MAX_CACHED_SLICES = 4096
