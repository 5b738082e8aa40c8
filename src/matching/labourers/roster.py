"""Roster import: every row checked (dry run writes nothing), then all rows written or none.

In update mode a row is matched by ID number: a new person is created, a known person gets the
fields the row changes, an unchanged row is skipped (docs/domain.md,
"The roster")."""

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from matching.audit.trail import AuditAction, record_many
from matching.auth.principal import Principal
from matching.changes import LABOURERS, next_seq
from matching.errors import Conflict, Problems
from matching.jobs.progress import Progress
from matching.kit.bilingual import validation_reason
from matching.kit.personal import PersonalData
from matching.labourers import roster_diff, service
from matching.labourers.models import Labourer, StatusPeriod
from matching.labourers.roster_diff import FieldChange, Update
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
from matching.rules.status import periods_on
from matching.scope import OutOfScope

_SPLIT = re.compile(r"[、，,;；/|\s]+")


class ImportMode(StrEnum):
    """What a known ID number means in a roster."""

    create = "create"  # every row is a new person; a registered ID number is an error
    update = "update"  # keyed by ID number: new people created, known people updated


class Outcome(StrEnum):
    """What a row does (on a dry run: what the commit would do)."""

    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    error = "error"


@dataclass
class RowError:
    """Why one row was refused."""

    line: int
    field: str
    reason: str


@dataclass
class RowOutcome:
    """One row: what it does, to whom, which fields it changes and, on an error, every
    reason at once."""

    line: int
    outcome: Outcome
    labourer_id: int | None = None
    changes: list[FieldChange] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import found and did."""

    dry_run: bool
    mode: ImportMode = ImportMode.create
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    lines: list[RowOutcome] = field(default_factory=list)
    unresolved_skills: dict[str, int] = field(default_factory=dict)


@dataclass
class _Row:
    line: int
    outcome: RowOutcome
    draft: LabourerDraft | None = None
    given: set[str] = field(default_factory=set)  # fields whose cells were filled
    update: Update | None = None

    def refuse(self, column: str, reason: str) -> None:
        self.outcome.outcome = Outcome.error
        self.outcome.errors.append(RowError(self.line, column, reason))


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
    raise _CellError(column, f"write 是 or 否, not {value!r} / 请填写 是 或 否")


def _cell_value(name: str, column: str, raw: str) -> Any:
    """One cell as a LabourerCreate field value (words → values)."""
    if name in WORDS:
        if raw not in WORDS[name] and raw not in {v.value for v in WORDS[name].values()}:
            raise _CellError(
                column,
                f"unknown value {raw!r}; use one of {'、'.join(WORDS[name])} "
                "/ 无法识别，请填写所列之一",
            )
        return WORDS[name].get(raw, raw)
    if name in FLAG_FIELDS:
        return _flag(column, raw)
    if name in DATE_FIELDS:
        day = parse_date(raw)
        if day is None:
            raise _CellError(column, f"not a date: {raw!r} / 日期无法识别，可写 {DATE_HELP}")
        return day
    if name == "skills":
        return [{"term": t} for t in _SPLIT.split(raw) if t]
    if name == "preferred_occupations":
        return [t for t in _SPLIT.split(raw) if t]
    return raw


def row_to_fields(header: list[str], cells: list[str]) -> tuple[dict[str, Any], list[_CellError]]:
    """A row's filled cells as LabourerCreate fields, and every cell that could not be read."""
    data: dict[str, Any] = {}
    refused: list[_CellError] = []
    for column, raw in zip(header, cells, strict=False):
        name = HEADERS.get(column)
        if name is None or raw == "":
            continue
        try:
            data[name] = _cell_value(name, column, raw)
        except _CellError as exc:
            refused.append(exc)
    return data, refused


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
    mode: ImportMode = ImportMode.create,
    request_id: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row and say what it does; unless a dry run or any row has an error, write
    them all in one go, with an audit entry per labourer created or changed."""
    progress = progress or Progress()
    progress.stage("read")
    header, cells_by_line = read_rows(content, filename)
    report = ImportReport(dry_run=dry_run, mode=mode)
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        report.errors.append(
            RowError(1, "header", f"missing columns / 缺少列：{'、'.join(missing)}")
        )
        return report
    rows: list[_Row] = []
    seen_hashes: dict[str, int] = {}
    progress.stage("check")  # the rows are read as they are checked: no total ahead
    for step, (line, cells) in enumerate(cells_by_line, 1):
        if step % 500 == 0:
            progress.advance(500)
        if not any(cells):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            report.errors.append(
                RowError(
                    line,
                    "file",
                    f"more than {MAX_ROWS} rows; split it / 超过 {MAX_ROWS} 行，请拆分文件",
                )
            )
            break
        row = _build(line, header, cells, principal, personal, today, report)
        _check_repeated(row, seen_hashes)
        rows.append(row)
    progress.stage("match")
    _match_registered(session, rows, principal, mode, today, lock=not dry_run)
    _summarise(report, rows)
    if dry_run or report.errors:
        return report
    progress.stage("write")
    _write(session, rows, report, header, principal.key_id, request_id)
    return report


def _build(
    line: int,
    header: list[str],
    cells: list[str],
    principal: Principal,
    personal: PersonalData,
    today: date,
    report: ImportReport,
) -> _Row:
    """Read and check one row, every cell and every rule, so all its errors come at once."""
    row = _Row(line, RowOutcome(line, Outcome.created))
    values, refused_cells = row_to_fields(header, cells)
    for cell in refused_cells:
        row.refuse(cell.column, str(cell))
    row.given = set(values)
    body, stand_ins = _validated(row, values)
    if body is None:
        return row
    problems = Problems()
    draft, _ = service.build_labourer(
        body, principal=principal, personal=personal, today=today, problems=problems
    )
    for problem in problems.found:
        if isinstance(problem, OutOfScope):
            row.refuse(_column_of(problem.field), problem.detail)
        elif not problem.errors:
            row.refuse("row", problem.detail)
        for error in problem.errors or []:
            if error.field.removeprefix("body.") not in stand_ins:
                row.refuse(_column_of(error.field), error.reason)
    if row.outcome.outcome == Outcome.error:
        return row
    for term in draft.unresolved_skills or []:
        report.unresolved_skills[term] = report.unresolved_skills.get(term, 0) + 1
    row.draft = draft
    return row


# What stands in for a blank required cell while the row's other rules are checked (the
# blank itself is reported; what the stand-in would trigger is not).
_STAND_INS = {"name": "未填写", "hukou_region": ""}


def _validated(row: _Row, values: dict[str, Any]) -> tuple[LabourerCreate | None, set[str]]:
    """The row as a LabourerCreate, with each refused or missing field reported and left out
    (or stood in for), so the checks on the remaining fields still run; None when an error
    names no field that could be left out (the row is refused with it)."""
    stand_ins: set[str] = set()
    reported: set[tuple[str, str]] = set()
    while True:
        try:
            # A sheet's cells are text ("4000" for 期望月薪): read as a form is, not as JSON.
            return LabourerCreate.model_validate(values, strict=False), stand_ins
        except ValidationError as exc:
            dropped = False
            for error in exc.errors():
                name = str(error["loc"][0]) if error["loc"] else "row"
                reason = validation_reason(error)
                if (name, reason) not in reported:
                    reported.add((name, reason))
                    row.refuse(_column_of(name), reason)
                if name in values:
                    values = {k: v for k, v in values.items() if k != name}
                    dropped = True
                elif name in _STAND_INS and name not in stand_ins:
                    values = {**values, name: _STAND_INS[name]}
                    stand_ins.add(name)
                    dropped = True
            if not dropped:
                return None, stand_ins


def _check_repeated(row: _Row, seen_hashes: dict[str, int]) -> None:
    digest = row.draft.id_number_hash if row.draft else None
    if digest is None:
        return
    first = seen_hashes.setdefault(digest, row.line)
    if first != row.line:
        row.refuse("身份证号", f"same ID number as line {first} / 与第 {first} 行身份证号相同")


def _match_registered(
    session: Session,
    rows: list[_Row],
    principal: Principal,
    mode: ImportMode,
    today: date,
    *,
    lock: bool,
) -> None:
    """Decide each good row against the people registered under its ID number."""
    by_hash = {
        row.draft.id_number_hash: row
        for row in rows
        if row.draft and row.draft.id_number_hash and row.outcome.outcome != Outcome.error
    }
    known = _registered(session, list(by_hash), lock=lock)
    statuses = (
        periods_on(session, [lab.id for lab in known.values()], today)
        if mode == ImportMode.update
        else {}
    )
    for row in rows:
        if row.draft is None or row.outcome.outcome == Outcome.error:
            continue
        labourer = known.get(row.draft.id_number_hash or "")
        if mode == ImportMode.create:
            if labourer is not None:
                row.refuse(
                    "身份证号",
                    f"already registered as labourer {labourer.id}; to update registered people "
                    "import with mode=update / 已登记，更新请用 mode=update",
                )
            continue
        if row.draft.id_number_hash is None:
            row.refuse(
                "身份证号", "an update is matched by ID number; fill it / 更新模式须填身份证号"
            )
        elif labourer is not None:
            _decide_update(row, labourer, statuses.get(labourer.id), principal)


def _registered(session: Session, hashes: list[str], *, lock: bool) -> dict[str, Labourer]:
    """The labourers registered under these ID numbers (locked for a commit, so nothing changes
    them between the comparison and the write)."""
    found: dict[str, Labourer] = {}
    for start in range(0, len(hashes), 5000):
        query = (
            select(Labourer)
            .where(Labourer.id_number_hash.in_(hashes[start : start + 5000]))
            .options(selectinload(Labourer.skills))
        )
        if lock:
            query = query.with_for_update(of=Labourer)
        found.update((str(lab.id_number_hash), lab) for lab in session.scalars(query))
    return found


def _decide_update(
    row: _Row, labourer: Labourer, current: StatusPeriod | None, principal: Principal
) -> None:
    draft = row.draft
    assert draft is not None
    row.outcome.labourer_id = labourer.id
    if not principal.covers_region(labourer.hukou_region):
        row.refuse(
            "身份证号",
            f"registered under {labourer.hukou_region}, outside this key's regions; that "
            "county's office updates this person / 该人员户籍不在本辖区",
        )
        return
    changes = roster_diff.compare(labourer, draft, row.given, current)
    new_status_from = None
    if any(c.field == "employment_status" for c in changes):
        new_status_from = draft.status_from
        assert new_status_from is not None  # build_labourer defaults it to today
        if current is not None and new_status_from < current.effective_from:
            row.refuse(
                "状态起始日期",
                f"{new_status_from} is before the current status began "
                f"({current.effective_from}); a roster adds a new period, it does not rewrite "
                f"the history — record past periods with POST /v1/labourers/{labourer.id}/status"
                " / 早于当前状态起始日期",
            )
            return
    row.outcome.changes = changes
    row.outcome.outcome = Outcome.updated if changes else Outcome.unchanged
    if changes:
        row.update = Update(labourer, draft, changes, new_status_from, current)


def _summarise(report: ImportReport, rows: list[_Row]) -> None:
    report.lines = [row.outcome for row in rows]
    report.errors.extend(error for row in rows for error in row.outcome.errors)
    report.counts = {o.value: 0 for o in Outcome}
    for row in rows:
        report.counts[row.outcome.outcome.value] += 1
    report.valid = report.rows - report.counts[Outcome.error.value]


def _write(
    session: Session,
    rows: list[_Row],
    report: ImportReport,
    header: list[str],
    key_id: int | None,
    request_id: str | None,
) -> None:
    """Write every created and updated row, or (on a race with another writer) nothing."""
    new = [row for row in rows if row.outcome.outcome == Outcome.created]
    updates = [row.update for row in rows if row.update is not None]
    try:
        with session.begin_nested():
            ids = service.insert_labourers(
                session, [row.draft for row in new if row.draft], key_id=key_id
            )
            if updates:
                roster_diff.write_updates(
                    session, updates, seq=next_seq(session, LABOURERS), key_id=key_id
                )
    except IntegrityError as exc:  # an ID number registered meanwhile by another request
        raise Conflict(
            "Some of these ID numbers were registered while the file was being imported; "
            "nothing was written — run the dry run again / 导入期间有身份证号被登记，未导入"
        ) from exc
    for row, labourer_id in zip(new, ids, strict=True):
        row.outcome.labourer_id = labourer_id
    record_many(
        session,
        AuditAction.import_,
        key_id=key_id,
        labourer_ids=ids,
        fields=(HEADERS[h] for h in header if h in HEADERS),
        request_id=request_id,
    )
    _audit_updates(session, updates, key_id, request_id)
    report.created, report.updated = len(ids), len(updates)


def _audit_updates(
    session: Session, updates: list[Update], key_id: int | None, request_id: str | None
) -> None:
    """An update entry per changed person naming the fields it changed (a status entry for a
    new status period, as the status route writes), in bulk per set of fields."""
    groups: dict[tuple[AuditAction, tuple[str, ...]], list[int]] = {}
    for item in updates:
        fields = tuple(sorted(f for f in item.fields if f not in _STATUS_FIELDS))
        if fields:
            groups.setdefault((AuditAction.update, fields), []).append(item.labourer.id)
        if item.new_status_from is not None:
            groups.setdefault((AuditAction.status, ("employment_status",)), []).append(
                item.labourer.id
            )
    for (action, fields), ids in groups.items():
        record_many(
            session, action, key_id=key_id, labourer_ids=ids, fields=fields, request_id=request_id
        )


_STATUS_FIELDS = {"employment_status", "status_effective_from"}
