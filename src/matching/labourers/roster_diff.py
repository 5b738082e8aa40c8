"""A roster row against the labourer already registered under its ID number: what it changes
(field by field, old → new) and how the change is written (docs/domain.md,
"The roster")."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from sqlalchemy.orm import Session

from matching.labourers.models import Labourer, LabourerSkill, StatusPeriod
from matching.labourers.service import LabourerDraft
from matching.skills.taxonomy import get_taxonomy

# Fields a row may change on a known person, compared as stored. The ID number is the key;
# sex and birth date come from it; the status is a period of its own (below).
PLAIN_FIELDS = (
    "name", "hukou_region", "hukou_region_recorded", "residence_region", "household_id",
    "poverty_status", "labour_ability", "wants_work", "relocation", "education", "expected_wage",
    "preferred_occupations", "sanwu", "lianghousheng", "disabled",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field a row changes: its name in the API, and the values as the API shows them
    (a phone masked, skills by name)."""

    field: str
    old: Any
    new: Any


@dataclass(slots=True)
class Update:
    """What a commit writes for one known person."""

    labourer: Labourer
    draft: LabourerDraft
    changes: list[FieldChange]
    new_status_from: date | None = None  # the day a new status period starts
    current: StatusPeriod | None = None  # the period in force, restated when it starts that day

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
    current: StatusPeriod | None,
) -> list[FieldChange]:
    """The changes a row makes: only the fields whose cells were filled (`given`) and whose
    value differs from the stored one; a blank cell leaves a value as it is."""
    if "hukou_region" in given:  # the one cell gives both: a former code and its successor
        given = given | {"hukou_region_recorded"}
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
    status, since = (current.status, current.effective_from) if current else (None, None)
    if "employment_status" in given and draft.status != status:
        changes.append(FieldChange("employment_status", _shown(status), draft.status.value))
        changes.append(FieldChange("status_effective_from", since, draft.status_from))
    return changes


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
            labourer.skills = _skills_kept(labourer.skills, draft.skills)
            labourer.unresolved_skills = draft.unresolved_skills
        labourer.change_seq = seq
        day = item.new_status_from
        if day is None:
            continue
        if item.current is not None and item.current.effective_from == day:
            item.current.status = item.draft.status  # the same day again: restated
            item.current.recorded_by_key_id = key_id
        else:
            session.add(
                StatusPeriod(
                    labourer_id=labourer.id,
                    status=item.draft.status,
                    effective_from=day,
                    recorded_by_key_id=key_id,
                )
            )
    session.flush()


def _skills_kept(stored: list[LabourerSkill], wanted: list[dict[str, Any]]) -> list[LabourerSkill]:
    """The row's skills; one the labourer had already keeps its recorded level and certificate
    (a roster cell names skills, not levels)."""
    kept = {s.skill_id: s for s in stored}
    skills = []
    for new in wanted:
        old = kept.get(new["skill_id"])
        skills.append(
            LabourerSkill(
                skill_id=new["skill_id"],
                level=old.level if old else new["level"],
                certificate=old.certificate if old else new["certificate"],
                source_text=new["source_text"],
            )
        )
    return skills
