"""A roster row against the labourer already registered under its ID number: what it changes
(field by field, old → new) and how the change is written (docs/domain.md,
"The roster")."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.labourers.models import EmploymentStatus, Labourer, LabourerSkill, StatusPeriod
from matching.labourers.service import LabourerDraft
from matching.skills.taxonomy import get_taxonomy

# Fields a row may change on a known person, compared as stored. The ID number is the key;
# sex and birth date come from it; the status is a period of its own (below).
PLAIN_FIELDS = (
    "name", "hukou_region", "residence_region", "household_id", "poverty_status",
    "labour_ability", "wants_work", "relocation", "education", "expected_wage",
    "preferred_occupations", "sanwu", "lianghousheng", "disabled",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field a row changes: its name in the API, and the values as the API shows them
    (a phone masked, skills by name)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class CurrentStatus:
    """A labourer's status today and the day its period began; `latest_from` is the start
    of the latest period of all (a new period may not begin before it)."""

    status: EmploymentStatus | None
    since: date | None
    latest_from: date | None


@dataclass(slots=True)
class Update:
    """What a commit writes for one known person."""

    labourer: Labourer
    draft: LabourerDraft
    changes: list[FieldChange]
    new_status_from: date | None = None  # a status period to write (or to restate, same day)

    @property
    def fields(self) -> list[str]:
        """The changed fields, for the audit entry."""
        return [c.field for c in self.changes]


def _shown(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _skill_names(skill_ids: Iterable[str], unresolved: Iterable[str]) -> list[str]:
    taxonomy = get_taxonomy()
    names = []
    for skill_id in skill_ids:
        entry = taxonomy.get(skill_id)
        names.append(entry.name if entry else skill_id)
    return [*names, *unresolved]


def compare(
    labourer: Labourer,
    draft: LabourerDraft,
    given: set[str],
    current: CurrentStatus,
) -> list[FieldChange]:
    """The changes a row makes: only the fields whose cells were filled (`given`) and whose
    value differs from the stored one; a blank cell leaves a value as it is."""
    changes = [
        FieldChange(name, _shown(getattr(labourer, name)), _shown(getattr(draft, name)))
        for name in PLAIN_FIELDS
        if name in given and getattr(labourer, name) != getattr(draft, name)
    ]
    if "phone" in given and labourer.phone_hash != draft.phone_hash:
        changes.append(FieldChange("phone", labourer.phone_mask, draft.phone_mask))
    if "skills" in given:
        stored = sorted(s.skill_id for s in labourer.skills)
        wanted = sorted(s["skill_id"] for s in draft.skills)
        if stored != wanted or list(labourer.unresolved_skills) != draft.unresolved_skills:
            old = _skill_names(stored, labourer.unresolved_skills)
            changes.append(
                FieldChange("skills", old, _skill_names(wanted, draft.unresolved_skills))
            )
    if "employment_status" in given and draft.status != current.status:
        changes.append(FieldChange("employment_status", _shown(current.status), draft.status.value))
        changes.append(FieldChange("status_effective_from", current.since, draft.status_from))
    return changes


def current_statuses(
    session: Session, labourer_ids: list[int], today: date
) -> dict[int, CurrentStatus]:
    """Each labourer's status today, read in one pass over their periods."""
    found: dict[int, CurrentStatus] = {}
    for start in range(0, len(labourer_ids), 5000):
        chunk = labourer_ids[start : start + 5000]
        rows = session.execute(
            select(StatusPeriod.labourer_id, StatusPeriod.status, StatusPeriod.effective_from)
            .where(StatusPeriod.labourer_id.in_(chunk))
            .order_by(StatusPeriod.labourer_id, StatusPeriod.effective_from)
        )
        for labourer_id, status, effective_from in rows:
            before = found.get(labourer_id, CurrentStatus(None, None, None))
            if effective_from <= today:
                found[labourer_id] = CurrentStatus(status, effective_from, effective_from)
            else:  # a period recorded ahead of today: not in force, but nothing goes before it
                found[labourer_id] = CurrentStatus(before.status, before.since, effective_from)
    return found


def write_updates(session: Session, updates: list[Update], *, seq: int, key_id: int | None) -> None:
    """Write the changed fields of each known person, and their new status periods."""
    for item in updates:
        labourer, draft, fields = item.labourer, item.draft, set(item.fields)
        for name in PLAIN_FIELDS:
            if name in fields:
                setattr(labourer, name, getattr(draft, name))
        if "name" in fields:
            labourer.name_spellings = draft.name_spellings
        if "phone" in fields:
            labourer.phone_cipher, labourer.phone_mask = draft.phone_cipher, draft.phone_mask
            labourer.phone_hash = draft.phone_hash
        if "skills" in fields:
            kept = {s.skill_id: s for s in labourer.skills}  # a kept skill keeps its level
            labourer.skills = [
                LabourerSkill(
                    skill_id=s["skill_id"],
                    level=kept[s["skill_id"]].level if s["skill_id"] in kept else s["level"],
                    certificate=(
                        kept[s["skill_id"]].certificate
                        if s["skill_id"] in kept
                        else s["certificate"]
                    ),
                    source_text=s["source_text"],
                )
                for s in draft.skills
            ]
            labourer.unresolved_skills = draft.unresolved_skills
        labourer.change_seq = seq
    session.flush()
    restated = [u for u in updates if u.new_status_from is not None]
    existing = _periods_on(session, restated)
    for item in restated:
        day = item.new_status_from
        assert day is not None
        if (item.labourer.id, day) in existing:  # the same day again: the status is restated
            session.execute(
                update(StatusPeriod)
                .where(StatusPeriod.labourer_id == item.labourer.id)
                .where(StatusPeriod.effective_from == day)
                .values(status=item.draft.status, recorded_by_key_id=key_id)
            )
        else:
            session.add(
                StatusPeriod(
                    labourer_id=item.labourer.id,
                    status=item.draft.status,
                    effective_from=day,
                    recorded_by_key_id=key_id,
                )
            )
    session.flush()


def _periods_on(session: Session, updates: list[Update]) -> set[tuple[int, date]]:
    wanted = {(u.labourer.id, u.new_status_from) for u in updates}
    ids = sorted({labourer_id for labourer_id, _ in wanted})
    found: set[tuple[int, date]] = set()
    for start in range(0, len(ids), 5000):
        rows = session.execute(
            select(StatusPeriod.labourer_id, StatusPeriod.effective_from).where(
                StatusPeriod.labourer_id.in_(ids[start : start + 5000])
            )
        )
        found.update((i, d) for i, d in rows if (i, d) in wanted)
    return found
