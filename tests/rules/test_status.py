"""One rule, four readings: the status in force on a day is the latest period starting on or
before it, whether read for one labourer (`current_period`, `status_as_of` in SQL), for several
(`periods_on`, `statuses_on`) or for all at once (`stamped_statuses`, the report's aggregate)."""

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.labourers.models import (
    EmploymentStatus,
    LabourAbility,
    Labourer,
    PovertyStatus,
    Relocation,
    StatusPeriod,
)
from matching.rules.period import ReportPeriod
from matching.rules.population import seeking_on
from matching.rules.status import (
    CODES,
    STATUS_CODE,
    current_period,
    periods_on,
    stamped_statuses,
    status_as_of,
    statuses_on,
)

REGION = "430981"
START = date(2026, 1, 1)


def _world(session: Session, rng: random.Random, n: int) -> dict[int, list[tuple[date, str]]]:
    """n labourers with random histories (some none, some starting later); the truth by id."""
    truth: dict[int, list[tuple[date, str]]] = {}
    statuses = list(EmploymentStatus)
    for i in range(n):
        labourer = Labourer(
            name=f"L{i}", hukou_region=REGION, poverty_status=PovertyStatus.registered,
            labour_ability=LabourAbility.full, wants_work=True, relocation=Relocation.county,
            created_at=datetime(2025, 1, 1, tzinfo=UTC),
        )  # fmt: skip
        session.add(labourer)
        session.flush()
        days = sorted(rng.sample(range(0, 400), rng.randint(0, 4)))
        history = [(START + timedelta(days=d), rng.choice(statuses).value) for d in days]
        for day, status in history:
            session.add(StatusPeriod(labourer_id=labourer.id, status=status, effective_from=day))
        truth[labourer.id] = history
    session.flush()
    return truth


def _in_force(history: list[tuple[date, str]], day: date) -> str | None:
    found = [status for start, status in history if start <= day]
    return found[-1] if found else None


def test_every_reading_of_status_on_a_day_agrees(session: Session) -> None:
    rng = random.Random(5)
    truth = _world(session, rng, 40)
    ids = sorted(truth)
    for _ in range(12):
        day = START + timedelta(days=rng.randrange(-10, 420))
        expected = {i: _in_force(h, day) for i, h in truth.items()}
        several = periods_on(session, ids, day)
        assert {i: p.status for i, p in several.items()} == {
            i: s for i, s in expected.items() if s is not None
        }
        assert statuses_on(session, ids, day) == {
            i: EmploymentStatus(s) for i, s in expected.items() if s is not None
        }
        for i in ids[:10]:
            one = current_period(session, i, day)
            assert (one.status if one else None) == expected[i]
            in_sql = session.scalar(select(status_as_of(Labourer.id, day)).where(Labourer.id == i))
            assert in_sql == expected[i]
        stamped = stamped_statuses(REGION, ReportPeriod.day(day), start_only=True)
        found = session.execute(select(stamped.c.labourer_id, stamped.c.at_start)).all()
        rows = {int(i): int(c) for i, c in found}
        codes = {i: STATUS_CODE[EmploymentStatus(s)] for i, s in expected.items() if s}
        assert {i: c for i, c in rows.items() if i in truth} == codes
        assert all(0 <= c < CODES for c in rows.values())
        seekers = {i for i, _ in session.execute(seeking_on(REGION, day))}
        assert seekers & set(ids) == {i for i, s in expected.items() if s == "unemployed"}
