"""Writing the audit log: who revealed whose personal data, who wrote which labourer's fields.

An entry names fields, never their values: the log must not become a second copy of the
ID numbers and phones it guards. It is written in the caller's transaction, so a write that
rolls back leaves no entry and an entry never describes a write that did not happen.
"""

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import insert
from sqlalchemy.orm import Session

from matching.audit.models import AuditEntry
from matching.database import utcnow


class AuditAction(StrEnum):
    """What an audit entry records."""

    reveal = "reveal"  # ID number, phone and birth date shown unmasked
    lookup = "lookup"  # labourers searched for by full ID number or phone
    register = "register"  # a labourer registered one by one
    import_ = "import"  # a labourer created by a roster import commit
    update = "update"  # a labourer's fields changed
    status = "status"  # an employment status period recorded
    employment = "employment"  # a job started or ended (it sets the status)
    app_link = "app_link"  # enrolled in the mobile app
    app_unlink = "app_unlink"  # taken out of the mobile app
    merge = "merge"  # a duplicate record merged into this one (and the entry on the duplicate)


def _names(fields: Iterable[str]) -> str:
    return ",".join(sorted(set(fields)))[:400]


def record(
    session: Session,
    action: AuditAction,
    *,
    key_id: int | None,
    labourer_id: int | None,
    fields: Iterable[str] = (),
    request_id: str | None = None,
) -> None:
    """Add one entry to the caller's transaction."""
    session.add(
        AuditEntry(
            key_id=key_id,
            action=action.value,
            labourer_id=labourer_id,
            fields=_names(fields),
            request_id=request_id,
        )
    )


def record_many(
    session: Session,
    action: AuditAction,
    *,
    key_id: int | None,
    labourer_ids: Iterable[int],
    fields: Iterable[str],
    request_id: str | None = None,
) -> None:
    """One entry per labourer, in bulk (a roster commit writes tens of thousands)."""
    names, at = _names(fields), utcnow()
    rows = [
        {"at": at, "key_id": key_id, "action": action.value, "labourer_id": i,
         "fields": names, "request_id": request_id}
        for i in labourer_ids
    ]  # fmt: skip
    for start in range(0, len(rows), 5000):
        session.execute(insert(AuditEntry), rows[start : start + 5000])
