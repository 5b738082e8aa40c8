"""A region's plan and a plan's commit as jobs (docs/jobs.md): the long part reads, in a
read transaction, reporting its progress; the write lands with the job's end, so a job that
dies leaves nothing half-written."""

from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from matching.auth.principal import Principal
from matching.clock import china_date
from matching.compute import engine_for
from matching.jobs.runner import JobContext, Kind
from matching.matches.read_model import ReadModel
from matching.planning import commit, service
from matching.pushes.models import Channel
from matching.settings import Settings

PLAN = "plan"
PLAN_COMMIT = "plan_commit"

# Each stage's share of a plan's time: the province plan of the README's benchmark on two Dask
# workers (benchmarks/run province-commit, 6 December: load 8 s, calibrating 12 s, the
# candidate stage 100 s, solve 39 s, store 10 s of 169 s); of the candidate stage, the
# indexes about 15 s (what 2 M labourers' took in the four-province benchmark at a quarter),
# the search the rest.
PLAN_STAGES = (
    ("load", 4.5),
    ("calibrate", 7.0),
    ("indexes", 10.0),
    ("candidates", 49.5),
    ("solve", 23.0),
    ("store", 6.0),
)
# The province commit of the README's benchmark (benchmarks/run province-commit, 6 December:
# loading and scoring 62 s, writing 72 s of 134 s; linking is about a fifth of the writing).
COMMIT_STAGES = (("load", 4.0), ("score", 42.0), ("write", 43.0), ("link", 11.0))

ReadModelFor = Callable[[Session, date], ReadModel]


def plan_request(region: str, params: service.PlanParams) -> dict[str, Any]:
    """A plan job's request, as stored with the job."""
    return {"region": region, **asdict(params), "channel": params.channel.value}


def _params(request: dict[str, Any]) -> service.PlanParams:
    fields = {k: v for k, v in request.items() if k != "region"}
    return service.PlanParams(**{**fields, "channel": Channel(fields["channel"])})


def kinds(read_model_for: ReadModelFor, current: Callable[[], Settings]) -> dict[str, Kind]:
    """The planning jobs, bound to the process's indexes and (as they are when a job runs)
    its settings."""

    def run_plan(job: JobContext) -> None:
        settings = current()
        principal = Principal.from_stored(job.principal)
        rules = service.rules_from(settings)
        with job.writing() as session:  # the month's weight fit, the one write before drafting
            service.fit_weights_first(session, job.request["region"], _params(job.request),
                                      job.as_of, rules)  # fmt: skip
        with job.reading() as session:
            indexes = read_model_for(session, china_date(job.as_of))
            draft = service.draft_plan(
                session,
                indexes,
                region=job.request["region"],
                params=_params(job.request),
                principal=principal,
                now=job.as_of,
                rules=rules,
                engine=engine_for(settings.dask_scheduler, settings.dask_workers),
                progress=job.progress,
            )
        with job.writing() as session:
            plan = service.store_plan(session, draft, job.progress)
            result = {
                "plan_id": plan.id,
                "region": plan.region,
                "month": plan.month,
                "items": len(draft.items[0]),
            }
            job.land(session, result, f"/v1/plans/{plan.id}")

    def run_commit(job: JobContext) -> None:
        settings = current()
        principal = Principal.from_stored(job.principal)
        plan_id = int(job.request["plan_id"])
        with job.reading() as session:
            indexes = read_model_for(session, china_date(job.as_of))
            scored = commit.score_commit(
                session, indexes, plan_id, principal=principal, now=job.as_of,
                engine=engine_for(settings.dask_scheduler, settings.dask_workers),
                progress=job.progress,
            )  # fmt: skip
        with job.writing() as session:
            if scored is None:  # committed before: the first commit's result
                plan, wrote = service.get_plan(session, plan_id, principal), False
            else:
                plan, wrote = commit.write_commit(
                    session, scored, principal=principal, now=job.as_of,
                    attribution_days=settings.attribution_days, progress=job.progress,
                )  # fmt: skip
            result = {"plan_id": plan.id, "committed_now": wrote, **(plan.commit_result or {})}
            job.land(session, result, f"/v1/plans/{plan.id}")

    return {
        PLAN: Kind(run_plan, PLAN_STAGES),
        PLAN_COMMIT: Kind(run_commit, COMMIT_STAGES),
    }
