"""What the answer stamps (migration 0019) cost the writes of pushes, on PostgreSQL.

    benchmarks/run answer-stamps [ROWS]

A plan's commit writes its pushes as `pushed`, which the stamping triggers skip by their WHEN
clause; an expiry job turns unanswered pushes into `no_response`, which each stamp a labourer
at the commit. Two tables shaped like `pushes` (no foreign keys, so that only the triggers
differ), one with the migration's triggers: ROWS `pushed` rows inserted into each, then all of
them updated to `no_response`, rounds alternating between the tables. Prints one JSON object:
the median seconds of each and the ratios stamped / plain.
"""

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from _server import fresh_database, migrate
from sqlalchemy import Connection, create_engine

INSERT = """
INSERT INTO {table} (labourer_id, post_id, month, pushed_on, pushed_at, labourer_region,
    channel, pushed_by, breakdown, reasons, state, state_at, attribution_until)
SELECT n, mod(n, 1000) + 1, '2026-12', DATE '2026-12-01', now(), '430981', 'app', 'plan',
    '{{}}', '[]', 'pushed', now(), DATE '2027-01-30'
FROM generate_series(1, {rows}) AS n
"""
EXPIRE = "UPDATE {table} SET state = 'no_response' WHERE state = 'pushed'"


def _timed(conn: Connection, sql: str) -> float:
    started = time.perf_counter()
    with conn.begin():
        conn.exec_driver_sql(sql)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.pg, Path(tmp), "bench_answer_stamps") as url,
    ):
        migrate(url)
        engine = create_engine(url)
        times: dict[str, dict[str, list[float]]] = {}
        with engine.connect() as conn:
            with conn.begin():
                for table in ("plain", "stamped"):
                    conn.exec_driver_sql(f"CREATE TABLE {table} (LIKE pushes INCLUDING ALL)")
                    times[table] = {"insert_pushed": [], "expire": []}
                # The migration's triggers, as the database holds them, on the stamped table.
                for trigger in ("pushes_answer_inserted", "pushes_answer_changed"):
                    definition = conn.exec_driver_sql(
                        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = %s",
                        (trigger,),
                    ).scalar_one()
                    copied = definition.replace(f"TRIGGER {trigger}", f"TRIGGER stamped_{trigger}")
                    conn.exec_driver_sql(copied.replace(" ON public.pushes ", " ON stamped "))
            for r in range(args.rounds):
                for table in ("plain", "stamped") if r % 2 == 0 else ("stamped", "plain"):
                    conn.exec_driver_sql(f"TRUNCATE {table}, answer_stamps")
                    conn.commit()
                    insert = INSERT.format(table=table, rows=args.rows)
                    times[table]["insert_pushed"].append(_timed(conn, insert))
                    times[table]["expire"].append(_timed(conn, EXPIRE.format(table=table)))
        engine.dispose()
    medians = {
        t: {k: round(statistics.median(v), 3) for k, v in d.items()} for t, d in times.items()
    }
    ratios = {k: round(medians["stamped"][k] / medians["plain"][k], 3) for k in medians["plain"]}
    print(json.dumps({"rows": args.rows, "median_s": medians, "stamped_over_plain": ratios}))


if __name__ == "__main__":
    main()
