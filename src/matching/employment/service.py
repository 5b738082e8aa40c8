"""Starting and ending jobs: the one place that takes a post's openings and moves a status."""

from datetime import date

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from matching import clock
from matching.audit.trail import AuditAction, record
from matching.changes import POSTS, next_seq
from matching.employment.models import Employment, ServiceKind, ServiceRecord
from matching.errors import Conflict, NotFound, Unprocessable
from matching.labourers import service as labourers
from matching.labourers.models import EmploymentStatus, Labourer
from matching.labourers.schemas import StatusChange
from matching.posts.models import Post, PostStatus, PostType
from matching.rules import notices
from matching.webhooks.models import NoticeType


def status_for_job(
    hukou_region: str,
    workplace_region: str | None,
    *,
    in_organisation: bool,
    public_welfare: bool,
) -> EmploymentStatus:
    """The status a job gives: public-welfare, self-employed, or by how far from home it is."""
    if public_welfare:
        return EmploymentStatus.public_welfare
    if not in_organisation:
        return EmploymentStatus.self_employed
    if workplace_region is None or workplace_region[:6] == hukou_region[:6]:
        return EmploymentStatus.employed_local
    if workplace_region[:2] == hukou_region[:2]:
        return EmploymentStatus.employed_out_county
    return EmploymentStatus.employed_out_province


def take_opening(session: Session, post_id: int) -> int:
    """Take one opening of a post atomically; the post becomes filled at 0. Returns openings left.

    One conditional UPDATE: under any concurrency a post never gets more hires than openings,
    because the row's `openings_left > 0` is re-checked by the database as the row is written
    (PostgreSQL re-evaluates it after waiting for a concurrent writer; SQLite writes one at a time).
    """
    seq = next_seq(session, POSTS)
    left = session.scalar(
        update(Post)
        .where(
            Post.id == post_id,
            Post.openings_left > 0,
            Post.status.in_([PostStatus.open, PostStatus.expired]),
        )
        .values(
            openings_left=Post.openings_left - 1,
            status=case((Post.openings_left == 1, PostStatus.filled.value), else_=Post.status),
            change_seq=seq,
        )
        .returning(Post.openings_left)
        .execution_options(synchronize_session=False)
    )
    if left is None:
        state = session.execute(
            select(Post.status, Post.openings_left).where(Post.id == post_id)
        ).one_or_none()
        if state is None:
            raise NotFound(f"No post with id {post_id}")
        status, openings_left = state
        raise Conflict(
            f"Post {post_id} has no opening left (status {status}, openings_left "
            f"{openings_left}) / 岗位已招满或已关闭",
            extra={"post_status": str(status), "openings_left": openings_left},
        )
    if left == 0:  # the agency whose post it is hears it filled, in this transaction
        notices.notify_posts(session, [post_id], NoticeType.post_filled, clock.now())
    return int(left)


def start_job(
    session: Session,
    labourer: Labourer,
    *,
    employer: str,
    start_date: date,
    in_organisation: bool,
    public_welfare: bool = False,
    workplace_region: str | None = None,
    monthly_wage: int | None = None,
    end_date: date | None = None,
    post_id: int | None = None,
    push_id: int | None = None,
    note: str | None = None,
    key_id: int | None,
) -> Employment:
    """Record a job; a job with a post takes one of its openings; the status follows from the start.

    A job that has ended already (end date given) sets the labourer unemployed from its end.
    """
    if post_id is not None:
        take_opening(session, post_id)
    job = Employment(
        labourer_id=labourer.id,
        post_id=post_id,
        push_id=push_id,
        employer=employer,
        workplace_region=workplace_region,
        in_organisation=in_organisation,
        public_welfare=public_welfare,
        start_date=start_date,
        end_date=end_date,
        monthly_wage=monthly_wage,
        note=note,
        recorded_by_key_id=key_id,
    )
    session.add(job)
    status = status_for_job(
        labourer.hukou_region,
        workplace_region,
        in_organisation=in_organisation,
        public_welfare=public_welfare,
    )
    labourers.change_status(
        session,
        labourer,
        StatusChange(status=status, effective_from=start_date, note=f"就业: {employer}"[:200]),
        key_id=key_id,
    )
    if end_date is not None:
        _unemployed_from(session, labourer, end_date, employer, key_id)
    session.flush()
    return job


def audit_job(
    session: Session, *, key_id: int | None, labourer_id: int, request_id: str | None
) -> None:
    """The audit entry of a job started, ended or taken by a hire: a job is a write to the
    labourer, since it sets the employment status from its dates."""
    record(
        session,
        AuditAction.employment,
        key_id=key_id,
        labourer_id=labourer_id,
        fields=("employment", "employment_status"),
        request_id=request_id,
    )


def job_from_post(post: Post) -> dict[str, object]:
    """What a hire onto a post records as the job."""
    return {
        "employer": post.employer,
        "workplace_region": post.workplace_region,
        "in_organisation": post.post_type != PostType.home_based,
        "public_welfare": post.post_type == PostType.public_welfare,
    }


def end_job(
    session: Session, job: Employment, labourer: Labourer, end_date: date, *, key_id: int | None
) -> Employment:
    """End a job; the labourer is unemployed from that day unless another job is still held."""
    if job.end_date is not None:
        raise Conflict(f"Employment {job.id} ended already on {job.end_date} / 已离职")
    if end_date < job.start_date:
        raise Unprocessable.for_field(
            "end_date", f"is before the start date {job.start_date} / 早于入职日期"
        )
    job.end_date = end_date
    session.flush()
    still_held = session.scalar(
        select(Employment.id).where(
            Employment.labourer_id == labourer.id,
            Employment.id != job.id,
            Employment.start_date <= end_date,
            (Employment.end_date.is_(None)) | (Employment.end_date > end_date),
        )
    )
    if still_held is None:
        _unemployed_from(session, labourer, end_date, job.employer, key_id)
    return job


def _unemployed_from(
    session: Session, labourer: Labourer, day: date, employer: str, key_id: int | None
) -> None:
    labourers.change_status(
        session,
        labourer,
        StatusChange(
            status=EmploymentStatus.unemployed,
            effective_from=day,
            note=f"离职: {employer}"[:200],
        ),
        key_id=key_id,
    )


def get_job(session: Session, employment_id: int) -> Employment:
    """One employment record, or 404."""
    job = session.get(Employment, employment_id)
    if job is None:
        raise NotFound(f"No employment record with id {employment_id}")
    return job


def jobs_of(session: Session, labourer_id: int) -> list[Employment]:
    """A labourer's jobs, newest first."""
    return list(
        session.scalars(
            select(Employment)
            .where(Employment.labourer_id == labourer_id)
            .order_by(Employment.start_date.desc(), Employment.id.desc())
        )
    )


def add_service(
    session: Session,
    labourer_id: int,
    kind: ServiceKind,
    provided_on: date,
    note: str | None,
    *,
    key_id: int | None,
) -> ServiceRecord:
    """Record one "311" service."""
    record = ServiceRecord(
        labourer_id=labourer_id,
        kind=kind,
        provided_on=provided_on,
        note=note,
        recorded_by_key_id=key_id,
    )
    session.add(record)
    session.flush()
    return record


def services_of(session: Session, labourer_id: int) -> list[ServiceRecord]:
    """A labourer's service records, newest first."""
    return list(
        session.scalars(
            select(ServiceRecord)
            .where(ServiceRecord.labourer_id == labourer_id)
            .order_by(ServiceRecord.provided_on.desc(), ServiceRecord.id.desc())
        )
    )
