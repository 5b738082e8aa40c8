"""The command line as a client of a running service: start a plan, a commit or a roster import
there and follow its job with a progress bar fed by the job's own progress (docs/jobs.md).

The key and the address come from `--key`/`--url` or MATCHING_API_KEY/MATCHING_API_URL, so a
clerk's key never has to be typed where a shell history keeps it."""

import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

ENDED = ("succeeded", "failed", "cancelled")
POLL_S = 0.5


class RemoteError(Exception):
    """The service refused the request or the job failed: the message says why."""


class Remote:
    """One service, one key."""

    def __init__(self, url: str, key: str, *, console: Console | None = None) -> None:
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=120,
                                 headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        self.console = console or Console(stderr=True)

    def plan(self, body: dict[str, Any]) -> dict[str, Any]:
        """Plan a region's month; the plan's first page, once its job succeeded."""
        return self._run("POST", "/v1/plans", json=body)

    def commit(self, plan_id: int) -> dict[str, Any]:
        """Commit a plan; the committed plan."""
        return self._run("POST", f"/v1/plans/{plan_id}/commit")

    def import_roster(self, path: Path, *, mode: str, dry_run: bool) -> dict[str, Any]:
        """Import a roster; its report (a dry run answers at once; a commit is a job)."""
        files = {"file": (path.name, path.read_bytes())}
        params = {"mode": mode, "dry_run": str(dry_run).lower()}
        return self._run("POST", "/v1/labourers/import", params=params, files=files)

    def _run(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        answer = self.http.request(method, url, **kwargs)
        if answer.status_code != 202:
            body: dict[str, Any] = _body(answer)
            if answer.status_code >= 400:
                raise RemoteError(_problem(body))
            return body
        job = self.follow(answer.json())
        if job["state"] != "succeeded":
            raise RemoteError(f"job {job['id']} {job['state']}: {_problem(job.get('error'))}")
        result: dict[str, Any] = _body(self.http.get(job["links"]["result"]))
        return result

    def follow(self, job: dict[str, Any]) -> dict[str, Any]:
        """Poll the job until it ends, drawing its stage and percent."""
        columns = (TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn("{task.percentage:>5.1f}%"), TimeElapsedColumn(),
                   TextColumn("left"), TimeRemainingColumn())  # fmt: skip
        with Progress(*columns, console=self.console, transient=False) as bar:
            task = bar.add_task(_label(job), total=100)
            while job["state"] not in ENDED:
                time.sleep(POLL_S)
                job = _body(self.http.get(f"/v1/jobs/{job['id']}"))
                bar.update(task, completed=job["percent"], description=_label(job))
            bar.update(task, completed=100 if job["state"] == "succeeded" else job["percent"],
                       description=_label(job))  # fmt: skip
        return job


def _label(job: dict[str, Any]) -> str:
    if job["state"] != "running":
        return f"job {job['id']} {job['kind']}: {job['state']}"
    steps = f" {job['done']}/{job['total']}" if job.get("total") else ""
    return f"job {job['id']} {job['kind']}: {job['stage'] or 'starting'}{steps}"


def _body(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError as exc:
        raise RemoteError(f"{answer.status_code}: {answer.text[:300]}") from exc


def _problem(problem: Any) -> str:
    if not isinstance(problem, dict):
        return str(problem)
    where = "; ".join(f"{e['field']}: {e['reason']}" for e in problem.get("errors") or [])
    return f"{problem.get('status')} {problem.get('detail') or problem.get('title')}" + (
        f" ({where})" if where else ""
    )


def print_json(value: Any) -> None:
    """The result, as JSON on standard output (the bar went to standard error)."""
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
