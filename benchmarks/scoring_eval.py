"""Offline evaluation of the scoring on the simulated county (issue: "Scoring that knows a county").

The county, its people and its posts are `year_sim`'s: 沅江市 with its own acceptance model,
including a taste the service is never told. The script builds it in a fresh service (uvicorn,
its own database), optionally lives `--history` months of the year first (plans, pushes,
outcomes: what the service learns from), and then, on day 2 of the next month, asks the
service two things:

* **Rankings.** Every seeking labourer's top 10 posts (`GET /v1/labourers/{id}/matches`).
  A post is relevant when the model says the labourer would take it up: they would apply and
  be hired (the model's fixed draws for that labourer and post: `year_sim._draw`). Reported:
  precision@1/3/10 and NDCG@10 (binary gain; the ideal ranking puts every relevant post the
  service could show first: open, with openings, in the labourer's reach), averaged over the
  labourers who have at least one relevant post in reach (for the others no ranking helps).
* **The plan at 50% of U.** `POST /v1/plans` with `max_pushes` = ceil(U / 2), not committed:
  the plan's expected hires (with and without competition), and the hires its pushes get when
  the model answers them (each labourer takes at most one job, each post its openings, in a
  seeded order), against an oracle that knows the acceptance model (greedy on the true
  probabilities at the same budget and caps: one push to each of the best labourers first,
  then the best pairs left) answered by the same draws. Also the share of the plan's pushes
  that are public-welfare posts for 三无 labourers and for others.

`--against REF` (repeatable) evaluates the tree at git revision REF the same way (a temporary
worktree, its `src/` on PYTHONPATH, this tree's county model and seed) and prints the columns
side by side, this tree last, with its ratio to the first. After `--history` months, two trees
have lived different months (different people are left seeking): `--toggle ENV=VALUE` compares
on the same state instead, evaluating again on the same database with the service restarted
under that setting (e.g. `MATCHING_LEARNED_WEIGHTS=false`: the learned weights' own effect).

Usage:
    PYTHONPATH=benchmarks .venv/bin/python benchmarks/scoring_eval.py [--against REF]
        [--history N] [--toggle ENV=VALUE] [--backend URL] [--json]
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import year_sim
from _server import ROOT, fresh_database

TOP_K = 10
PRECISION_AT = (1, 3, 10)


def _takes(person: year_sim.Person, post: year_sim.PostInfo) -> bool:
    """The model's answer: the labourer would apply and be hired (the same fixed draws as in
    the year's simulation)."""
    applies = year_sim._draw(person, post, "apply") < year_sim.apply_probability(person, post)
    return applies and year_sim._draw(person, post, "hire") < year_sim.hire_probability(
        person, post
    )


def rankings(sim: year_sim.Sim, seekers: list[year_sim.Person], today: date) -> dict[str, Any]:
    """precision@k and NDCG@10 of eventual hires over every seeker's top 10."""
    open_posts = year_sim.open_posts(sim, today)
    hits = dict.fromkeys(PRECISION_AT, 0.0)
    ndcg_sum, counted, no_relevant = 0.0, 0, 0
    for person in seekers:
        relevant = {p.service_id for p in open_posts if year_sim.service_reach(person, p) and
                    _takes(person, p)}  # fmt: skip
        if not relevant:
            no_relevant += 1
            continue
        page = sim.call("GET", f"/v1/labourers/{person.service_id}/matches",
                        params={"k": TOP_K}, headers=sim.staff).json()  # fmt: skip
        ranked = [item["post"]["id"] for item in page["items"]]
        gains = [1.0 if post_id in relevant else 0.0 for post_id in ranked]
        for k in PRECISION_AT:
            hits[k] += sum(gains[:k]) / k
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sum(1 / math.log2(i + 2) for i in range(min(TOP_K, len(relevant))))
        ndcg_sum += dcg / ideal
        counted += 1
    out: dict[str, Any] = {f"precision@{k}": round(hits[k] / max(counted, 1), 4)
                           for k in PRECISION_AT}  # fmt: skip
    out["ndcg@10"] = round(ndcg_sum / max(counted, 1), 4)
    out["labourers_ranked"] = counted
    out["labourers_without_relevant_post"] = no_relevant
    return out


def _plan_pairs(sim: year_sim.Sim, plan_id: int) -> list[tuple[int, int, float]]:
    """(labourer id, post id, probability) of every proposed push of a plan."""
    pairs, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = sim.call("GET", f"/v1/plans/{plan_id}", params=params, headers=sim.staff).json()
        for labourer in page["labourers"]:
            pairs += [(labourer["labourer_id"], p["post_id"], p["probability"])
                      for p in labourer["posts"]]  # fmt: skip
        cursor = page.get("next_cursor")
        if not cursor:
            return pairs


def plan_at_half(sim: year_sim.Sim, seekers: list[year_sim.Person], today: date,
                 month: str) -> dict[str, Any]:  # fmt: skip
    """The service's plan cut to 50% of U, answered by the model, against the oracle."""
    report = sim.job("POST", "/v1/plans", result={"limit": 1}, headers=sim.staff, timeout=600,
                     json={"region": year_sim.COUNTY, "month": month}).json()  # fmt: skip
    u = report["summary"]["unemployed_willing"] + report["summary"].get("new_seekers", 0)
    budget = -(-u // 2)
    response = sim.job("POST", "/v1/plans", result={"limit": 1}, headers=sim.staff,
                       timeout=600, json={"region": year_sim.COUNTY, "month": month,
                                          "max_pushes": budget, "coverage": 0.5})  # fmt: skip
    response.raise_for_status()
    plan = response.json()
    people = {p.service_id: p for p in sim.people}
    pairs = [(people[lab], sim.posts[post]) for lab, post, _ in _plan_pairs(sim, plan["id"])]
    oracle = year_sim.oracle_pairs(sim, seekers, today, len(pairs) or budget)
    seed = year_sim.ARGS.seed
    hires = year_sim.answered_hires(pairs, seed)
    oracle_hires = year_sim.answered_hires(oracle, seed)
    welfare = [(person, post) for person, post in pairs if post.trade == year_sim.WELFARE]
    summary = plan["summary"]
    return {
        "u": u,
        "budget": budget,
        "pushes": len(pairs),
        "expected_hires": round(summary["expected_hires"], 1),
        "expected_hires_without_competition": round(
            summary["expected_hires_without_competition"] or 0, 1
        ),
        "simulated_hires": hires,
        "oracle_simulated_hires": oracle_hires,
        "hires_over_oracle": round(hires / oracle_hires, 3) if oracle_hires else None,
        "welfare_pushes_to_sanwu": round(sum(p.sanwu for p, _ in welfare) / max(len(pairs), 1), 4),
        "welfare_pushes_to_others": round(
            sum(not p.sanwu for p, _ in welfare) / max(len(pairs), 1), 4
        ),
        "sanwu_reached": sum(1 for p in {p.row: p for p, _ in pairs}.values() if p.sanwu),
        "sanwu_seeking": sum(p.sanwu for p in seekers),
    }


def measure(sim: year_sim.Sim, today: date) -> dict[str, Any]:
    """Rankings and the plan at 50% of U, as the running service gives them today."""
    sim.at(today)
    seekers = [p for p in sim.people if not p.employed]
    result: dict[str, Any] = {"history_months": ARGS.history, "seekers": len(seekers)}
    # The plan first: the month's first plan fits the province's weights, which the rankings
    # then use too (the plan is not committed: nothing else changes).
    plan = plan_at_half(sim, seekers, today, f"{today:%Y-%m}")
    result |= rankings(sim, seekers, today)
    result |= plan
    result |= _weights(sim)
    result["requests_5xx"] = sim.errors_5xx
    return result


def _weights(sim: year_sim.Sim) -> dict[str, Any]:
    """What the province scores with, and its newest fit's hold-out check (where the service
    learns weights: GET /v1/scoring/weights)."""
    response = sim.http.get("/v1/scoring/weights", params={"province": year_sim.COUNTY[:2]},
                            headers=sim.staff)  # fmt: skip
    if response.status_code != 200:
        return {}
    found = response.json()
    fit = found["fits"][0] if found["fits"] else {}
    return {
        "weights_source": found["source"],
        "fit_outcome": fit.get("outcome"),
        "fit_auc_settings": _round(fit.get("auc_settings")),
        "fit_auc_learned": _round(fit.get("auc_learned")),
        "weights_in_force": ",".join(f"{v:.2f}" for v in found["in_force"].values()),
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def evaluate(label: str) -> dict[str, dict[str, Any]]:
    """Build the county, live --history months, evaluate on day 2 of the next: the columns
    `label` and, with --toggle, `label` with the toggle (same database, service restarted)."""
    started = time.perf_counter()
    os.environ["MATCHING_PLANNER_LEARNING"] = "true"
    columns = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(ARGS.backend, Path(tmp), "scoring_eval") as url,
    ):
        with year_sim.serve(url) as sim:
            for index in range(ARGS.history):
                year_sim.run_month(sim, date(2027, 1 + index, 1), index)
            first = date(2027, 1 + ARGS.history, 1)
            year_sim.open_month(sim, first, ARGS.history)
            today = first + timedelta(days=1)
            columns[label] = measure(sim, today)
        if ARGS.toggle:
            name, _, value = ARGS.toggle.partition("=")
            os.environ[name] = value
            with year_sim.serve(url, sim) as sim:
                columns[f"{label} {ARGS.toggle}"] = measure(sim, today)
    for figures in columns.values():
        figures["seconds"] = round(time.perf_counter() - started, 1)
    return columns


def _evaluate_at(ref: str) -> dict[str, dict[str, Any]]:
    """This script, run against the source tree of git revision `ref`."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT,
                       check=True, capture_output=True)  # fmt: skip
        try:
            env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{ROOT / 'benchmarks'}"}
            args = [sys.executable, __file__, "--json", "--history", str(ARGS.history),
                    "--backend", ARGS.backend, "--seed", str(ARGS.seed)]  # fmt: skip
            if ARGS.toggle:
                args += ["--toggle", ARGS.toggle]
            if ARGS.town_seats:
                args.append("--town-seats")
            done = subprocess.run(args, env=env, check=True, capture_output=True, text=True)
            found = json.loads(done.stdout.strip().splitlines()[-1])
            return {name.replace("tree", ref, 1): figures for name, figures in found.items()}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           check=True, capture_output=True)  # fmt: skip


def _revision() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout.strip()  # fmt: skip


def main() -> int:
    if ARGS.json:
        print(json.dumps(evaluate("tree"), ensure_ascii=False))
        return 0
    columns: dict[str, dict[str, Any]] = {}
    for ref in ARGS.against or []:
        columns |= _evaluate_at(ref)
    columns |= evaluate(f"{_revision()}+")  # this tree, with what is not committed
    names = list(columns)
    first, last = columns[names[0]], columns[names[-1]]
    print(f"{'':36s}" + "".join(f" {name:>14s}" for name in names))
    for key in last:
        row = "".join(f" {columns[name].get(key)!s:>14s}" for name in names)
        ratio = ""
        if isinstance(last[key], int | float) and isinstance(first.get(key), int | float):
            ratio = f" {last[key] / first[key]:6.2f}x" if first[key] else ""
        print(f"{key:36s}{row}{ratio}")
    print(json.dumps({"benchmark": "scoring_eval", "columns": columns}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", help="sqlite or a PostgreSQL server URL")
    parser.add_argument("--labourers", type=int, default=3000)
    parser.add_argument("--posts", type=int, default=240, help="posts at the start")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--history", type=int, default=0,
                        help="months of the year lived before the evaluation")  # fmt: skip
    parser.add_argument(
        "--town-seats",
        action="store_true",
        help="year_sim's towns at points staff give the service (PUT "
        "/v1/regions/{code}/seat), labourers weighing the way to local posts",
    )
    parser.add_argument("--against", action="append",
                        help="a git revision to evaluate side by side (repeatable)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--toggle", metavar="ENV=VALUE",
                        help="evaluate again on the same database, the service restarted "
                        "with this setting (e.g. MATCHING_LEARNED_WEIGHTS=false)")  # fmt: skip
    ARGS = parser.parse_args()
    year_sim.ARGS = argparse.Namespace(
        backend=ARGS.backend, labourers=ARGS.labourers, posts=ARGS.posts, seed=ARGS.seed,
        months=ARGS.history + 1, verbose=False, taste_follows_trade=0.6,
        town_seats=ARGS.town_seats,
    )  # fmt: skip
    sys.exit(main())
