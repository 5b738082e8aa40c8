"""Roster import: every row checked (dry run writes nothing), then all rows written or none."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.audit.trail import AuditAction, record_many
from matching.auth.principal import Principal
from matching.errors import Conflict, ProblemError
from matching.kit.personal import PersonalData
from matching.labourers import service
from matching.labourers.models import Labourer
from matching.labourers.roster_format import (
    DATE_FIELDS,
    DATE_HELP,
    FLAG_FIELDS,
    HEADERS,
    MAX_ROWS,
    NO,
    REQUIRED,
    WORDS,
    YES,
    parse_date,
    read_rows,
)
from matching.labourers.schemas import LabourerCreate
from matching.labourers.service import LabourerDraft

_SPLIT = re.compile(r"[、，,;；/|\s]+")


@dataclass
class RowError:
    """Why one row was refused."""

    line: int
    field: str
    reason: str


@dataclass
class ImportReport:
    """What an import found and did."""

    dry_run: bool
    rows: int = 0
    valid: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    unresolved_skills: dict[str, int] = field(default_factory=dict)


class _CellError(ValueError):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column


def _flag(column: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in YES:
        return True
    if lowered in NO:
        return False
    raise _CellError(column, f"write 是 or 否, not {value!r}")


def row_to_fields(header: list[str], cells: list[str]) -> dict[str, Any]:
    """Turn a row's cells into LabourerCreate fields (words → values)."""
    data: dict[str, Any] = {}
    for column, raw in zip(header, cells, strict=False):
        name = HEADERS.get(column)
        if name is None or raw == "":
            continue
        if name in WORDS:
            if raw not in WORDS[name] and raw not in {v.value for v in WORDS[name].values()}:
                raise _CellError(
                    column, f"unknown value {raw!r}; use one of {'、'.join(WORDS[name])}"
                )
            data[name] = WORDS[name].get(raw, raw)
        elif name in FLAG_FIELDS:
            data[name] = _flag(column, raw)
        elif name in DATE_FIELDS:
            day = parse_date(raw)
            if day is None:
                raise _CellError(column, f"not a date: {raw!r}; write {DATE_HELP}")
            data[name] = day
        elif name == "skills":
            data[name] = [{"term": t} for t in _SPLIT.split(raw) if t]
        elif name == "preferred_occupations":
            data[name] = [t for t in _SPLIT.split(raw) if t]
        else:
            data[name] = raw
    return data


def _column_of(field_name: str) -> str:
    field_name = field_name.removeprefix("body.")  # a problem names the body field it refuses
    for column, name in HEADERS.items():
        if name == field_name:
            return column
    return field_name


def import_roster(
    session: Session,
    content: bytes,
    filename: str,
    *,
    principal: Principal,
    personal: PersonalData,
    today: date,
    dry_run: bool,
    request_id: str | None = None,
) -> ImportReport:
    """Check every row; unless a dry run with no errors, write them all in one go (and an
    audit entry per labourer created, naming the file's columns)."""
    header, rows = read_rows(content, filename)
    report = ImportReport(dry_run=dry_run)
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        report.errors.append(RowError(1, "header", f"missing columns: {'、'.join(missing)}"))
        return report
    built: list[tuple[int, LabourerDraft]] = []
    seen_hashes: dict[str, int] = {}
    for line, cells in rows:
        if not any(cells):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.errors.append(RowError(line, "file", f"more than {MAX_ROWS} rows; split it"))
            break
        result = _build(line, header, cells, principal, personal, today, seen_hashes, report)
        if result is not None:
            built.append(result)
    _check_existing_ids(session, built, report)
    report.valid = len(built) - _lines_with_errors(report, built)
    if dry_run or report.errors:
        return report
    ids = _write(session, built, principal.key_id)
    record_many(
        session,
        AuditAction.import_,
        key_id=principal.key_id,
        labourer_ids=ids,
        fields=(HEADERS[h] for h in header if h in HEADERS),
        request_id=request_id,
    )
    report.created = len(built)
    return report


def _build(
    line: int,
    header: list[str],
    cells: list[str],
    principal: Principal,
    personal: PersonalData,
    today: date,
    seen_hashes: dict[str, int],
    report: ImportReport,
) -> tuple[int, LabourerDraft] | None:
    try:
        body = LabourerCreate.model_validate(row_to_fields(header, cells))
        labourer, _ = service.build_labourer(
            body, principal=principal, personal=personal, today=today
        )
    except _CellError as exc:
        report.errors.append(RowError(line, exc.column, str(exc)))
        return None
    except ValidationError as exc:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "row"
            report.errors.append(RowError(line, _column_of(name), e["msg"]))
        return None
    except ProblemError as exc:
        if not exc.errors:
            report.errors.append(RowError(line, "row", exc.detail))
        for problem in exc.errors or []:
            report.errors.append(RowError(line, _column_of(problem.field), problem.reason))
        return None
    for term in labourer.unresolved_skills or []:
        report.unresolved_skills[term] = report.unresolved_skills.get(term, 0) + 1
    if labourer.id_number_hash:
        first = seen_hashes.setdefault(labourer.id_number_hash, line)
        if first != line:
            report.errors.append(RowError(line, "身份证号", f"same ID number as line {first}"))
            return None
    return line, labourer


def _check_existing_ids(
    session: Session, built: list[tuple[int, LabourerDraft]], report: ImportReport
) -> None:
    by_hash = {lab.id_number_hash: line for line, lab in built if lab.id_number_hash}
    hashes = list(by_hash)
    for start in range(0, len(hashes), 900):
        chunk = hashes[start : start + 900]
        for labourer_id, digest in session.execute(
            select(Labourer.id, Labourer.id_number_hash).where(Labourer.id_number_hash.in_(chunk))
        ):
            line = by_hash[str(digest)]
            report.errors.append(
                RowError(line, "身份证号", f"already registered as labourer {labourer_id}")
            )


def _lines_with_errors(report: ImportReport, built: list[tuple[int, LabourerDraft]]) -> int:
    bad = {e.line for e in report.errors}
    return sum(1 for line, _ in built if line in bad)


def _write(session: Session, built: list[tuple[int, LabourerDraft]], key_id: int) -> list[int]:
    try:
        with session.begin_nested():
            return service.insert_labourers(session, [draft for _, draft in built], key_id=key_id)
    except IntegrityError as exc:  # an ID number registered meanwhile by another request
        raise Conflict(
            "Some of these ID numbers were registered while the file was being imported; "
            "nothing was written — run the dry run again / 导入期间有身份证号被登记，未导入"
        ) from exc
