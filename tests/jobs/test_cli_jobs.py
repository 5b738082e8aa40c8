"""The command line against the running service: `matching plan`, `matching plan commit` and
`matching import` start their jobs, draw the jobs' progress and print the result."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import Service


def _cli(running: Service, key: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MATCHING_API_URL": running.base,
           "MATCHING_API_KEY": key["Authorization"].removeprefix("Bearer "),
           "COLUMNS": "120"}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "matching.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip


def test_plan_commit_and_import_from_the_command_line(
    service: tuple[Service, Any, dict[str, dict[str, str]]],
    labourer_body: Any,
    post_body: Any,
    new_id_number: Any,
    tmp_path: Path,
) -> None:
    running, _, headers = service
    staff = headers["staff"]
    running.start(headers["admin"])
    http = httpx.Client(base_url=running.base, timeout=60)
    roster = tmp_path / "花名册.csv"
    with roster.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["姓名", "身份证号", "户籍地区划代码", "就业状态", "状态起始日期",
                         "有就业意愿", "外出意愿", "技能"])  # fmt: skip
        for name in ("王五", "赵六", "孙八"):
            writer.writerow([name, new_id_number(), "430981", "未就业", "2026-01-01", "是",
                             "本县", "电焊"])  # fmt: skip

    checked = _cli(running, staff, "import", str(roster), "--dry-run")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["counts"]["created"] == 3
    imported = _cli(running, staff, "import", str(roster))
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["created"] == 3
    assert "roster_import: succeeded" in imported.stderr  # the bar's last state
    again = _cli(running, staff, "import", str(roster))  # the same people again: refused
    assert again.returncode == 1 and "422" in again.stderr and "nothing was written" in again.stderr

    for _ in range(2):
        body = post_body(workplace_region="430981", openings=2, wage_min=3000, wage_max=4000)
        assert http.post("/v1/posts", json=body, headers=staff).status_code == 201
    planned = _cli(running, staff, "plan", "--region", "430981")
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["summary"]["planned_pushes"] > 0
    assert "plan: succeeded" in planned.stderr and "100.0%" in planned.stderr
    committed = _cli(running, staff, "plan", "commit", str(plan["id"]))
    assert committed.returncode == 0, committed.stderr
    result = json.loads(committed.stdout)
    assert result["status"] == "committed"
    assert result["commit_result"]["created"] == plan["summary"]["planned_pushes"]

    outside = _cli(running, staff, "plan", "--region", "430902")
    assert outside.returncode == 1 and "403" in outside.stderr
