"""Merging two records of one person (一人一号; docs/domain.md, "Duplicates"): the survivor
takes the duplicate's status history, pushes, jobs and services, and the identifiers it lacks;
the duplicate is kept, marked merged, and is never counted, listed or matched again."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from matching.audit.trail import AuditAction, record
from matching.auth.principal import Principal
from matching.changes import LABOURERS, next_seq
from matching.database import id_chunks, utcnow
from matching.employment.models import Employment, ServiceRecord
from matching.errors import Conflict, Unprocessable
from matching.labourers.models import Labourer, StatusPeriod
from matching.labourers.service import get_labourer
from matching.pushes.models import Push

# Filled on the survivor from the duplicate where the survivor has none, each as a whole (an
# ID number comes with the sex and birth date it encodes).
_FILLED = {
    "id_number": ("id_number_hash", "id_number_cipher", "id_number_mask", "sex", "birth_date"),
    "phone": ("phone_hash", "phone_cipher", "phone_mask"),
    "household_id": ("household_id",),
    "residence_region": ("residence_region",),
}


@dataclass(slots=True)
class MergeOutcome:
    """What a merge moved, and what it left on the merged record because the survivor already
    had its own for the same day (a status period) or the same post and month (a push)."""

    survivor: Labourer
    merged: Labourer
    moved: dict[str, int] = field(default_factory=dict)
    left_on_merged: dict[str, int] = field(default_factory=dict)
    filled: list[str] = field(default_factory=list)


def merge(
    session: Session, survivor_id: int, duplicate_id: int, *, principal: Principal
) -> MergeOutcome:
    """Merge `duplicate_id` into `survivor_id` in the caller's transaction (all or nothing).

    Both must be within the caller's regions; neither may already be merged; two records with
    different ID numbers are two people and are refused."""
    if survivor_id == duplicate_id:
        raise Unprocessable.for_field(
            "body.duplicate_id", "is the survivor itself / 不能与自身合并"
        )
    # Lock both rows, lower id first, so two merges of one pair cannot interleave.
    for labourer_id in sorted((survivor_id, duplicate_id)):
        session.execute(select(Labourer.id).where(Labourer.id == labourer_id).with_for_update())
    survivor = get_labourer(session, survivor_id, principal)
    duplicate = get_labourer(session, duplicate_id, principal)
    for which in (survivor, duplicate):
        if which.merged_into_id is not None:
            raise Conflict(
                f"Labourer {which.id} was already merged into {which.merged_into_id} / 该记录已合并"
            )
    if (
        survivor.id_number_hash
        and duplicate.id_number_hash
        and survivor.id_number_hash != duplicate.id_number_hash
    ):
        raise Conflict(
            "The two records carry different ID numbers: they are two people / "
            "两条记录身份证号不同，不是同一人"
        )
    outcome = MergeOutcome(survivor=survivor, merged=duplicate)
    _move_periods(session, outcome)
    _move_pushes(session, outcome)
    outcome.moved["employments"] = _move(
        session, Employment, Employment.labourer_id == duplicate.id, survivor.id
    )
    outcome.moved["services"] = _move(
        session, ServiceRecord, ServiceRecord.labourer_id == duplicate.id, survivor.id
    )
    _fill_identifiers(session, outcome)
    seq = next_seq(session, LABOURERS)
    duplicate.merged_into_id, duplicate.merged_at = survivor.id, utcnow()
    duplicate.change_seq = survivor.change_seq = seq
    for subject, fields in ((survivor, outcome.filled or ["history"]), (duplicate, ["merged"])):
        record(
            session, AuditAction.merge, key_id=principal.key_id, labourer_id=subject.id,
            fields=fields,
        )  # fmt: skip
    session.flush()
    session.expire(survivor)
    return outcome


def _move_periods(session: Session, outcome: MergeOutcome) -> None:
    survivor, duplicate = outcome.survivor, outcome.merged
    taken = select(StatusPeriod.effective_from).where(StatusPeriod.labourer_id == survivor.id)
    outcome.moved["status_periods"] = _move(
        session,
        StatusPeriod,
        and_(StatusPeriod.labourer_id == duplicate.id, StatusPeriod.effective_from.not_in(taken)),
        survivor.id,
    )
    outcome.left_on_merged["status_periods"] = _count(session, StatusPeriod, duplicate.id)


def _move_pushes(session: Session, outcome: MergeOutcome) -> None:
    # A pair is pushed at most once a month: the survivor's own push of the same post in the
    # same month stays the one that counts, the duplicate's stays where it is.
    survivor, duplicate = outcome.survivor, outcome.merged
    own = {
        (post_id, month)
        for post_id, month in session.execute(
            select(Push.post_id, Push.month).where(Push.labourer_id == survivor.id)
        )
    }
    ids = [
        push_id
        for push_id, post_id, month in session.execute(
            select(Push.id, Push.post_id, Push.month).where(Push.labourer_id == duplicate.id)
        )
        if (post_id, month) not in own
    ]
    outcome.moved["pushes"] = _move(session, Push, Push.id.in_(ids), survivor.id) if ids else 0
    outcome.left_on_merged["pushes"] = _count(session, Push, duplicate.id)


def _move(session: Session, model: Any, where: ColumnElement[bool], survivor_id: int) -> int:
    """Re-point the rows `where` selects at the survivor; how many there were."""
    ids = list(session.scalars(select(model.id).where(where)))
    for chunk in id_chunks(ids):
        session.execute(
            update(model)
            .where(model.id.in_(chunk))
            .values(labourer_id=survivor_id)
            .execution_options(synchronize_session=False)
        )
    return len(ids)


def _count(session: Session, model: type[StatusPeriod] | type[Push], labourer_id: int) -> int:
    return session.scalar(select(func.count()).where(model.labourer_id == labourer_id)) or 0


def _fill_identifiers(session: Session, outcome: MergeOutcome) -> None:
    survivor, duplicate = outcome.survivor, outcome.merged
    for label, names in _FILLED.items():
        if getattr(survivor, names[0]) is not None or getattr(duplicate, names[0]) is None:
            continue
        values = {name: getattr(duplicate, name) for name in names}
        if label == "id_number":
            # The keyed hash is unique: off the duplicate before it is on the survivor. The
            # merged record keeps its masked number to show what it carried.
            duplicate.id_number_hash = None
            session.flush()
        for name, value in values.items():
            setattr(survivor, name, value)
        outcome.filled.append(label)
