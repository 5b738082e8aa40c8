"""Command-line entry point `matching`: serve, migrate, keys, demo data, OpenAPI export."""

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command

from matching.auth import service as keys
from matching.auth.models import Role
from matching.database import make_engine, make_sessionmaker, session_scope
from matching.kit.processes import pid_exists
from matching.migrations_state import alembic_config
from matching.settings import Settings, get_settings

if TYPE_CHECKING:
    from matching.remote import Remote


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matching", description="就业扶贫 job-matching service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="migrate to the newest revision")
    db_sub.add_parser("check", help="fail if the models and the migrations disagree")
    db_sub.add_parser("current", help="print the database's revision")

    key = sub.add_parser("keys", help="API keys")
    key_sub = key.add_subparsers(dest="keys_command", required=True)
    create = key_sub.add_parser("create", help="mint a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--region", action="append", default=[], help="staff scope (repeatable)")
    create.add_argument("--agency-id", type=int)
    create.add_argument("--expires-on", type=date.fromisoformat, help="last day it works")
    key_sub.add_parser("list", help="list keys (never their secrets)")
    revoke = key_sub.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id", type=int)

    demo = sub.add_parser("demo", help="load demo data if empty and mint a demo admin key")
    demo.add_argument("--quiet", action="store_true", help="print only the key")

    hooks = sub.add_parser("webhooks", help="agencies' outcome notices")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", required=True)
    deliver = hooks_sub.add_parser(
        "deliver", help="send the pending notices (a worker beside `serve --workers N`)"
    )
    deliver.add_argument("--once", action="store_true", help="one pass, then exit")

    remote = argparse.ArgumentParser(add_help=False)
    remote.add_argument(
        "--url",
        default=os.environ.get("MATCHING_API_URL", "http://127.0.0.1:8000"),
        help="the running service (MATCHING_API_URL)",
    )
    remote.add_argument(
        "--key",
        default=os.environ.get("MATCHING_API_KEY"),
        help="a staff or admin key (MATCHING_API_KEY)",
    )
    plan = sub.add_parser(
        "plan", parents=[remote], help="plan a region's month on a running service, with progress"
    )
    plan.add_argument("--region", help="region code, any level")
    plan.add_argument(
        "--month", help="YYYY-MM: this month (default) or, in its last days, the next"
    )
    plan.add_argument("--coverage", type=float, help="pushes as a share of U (default: the target)")
    plan.add_argument("--max-pushes", type=int, help="at most this many pushes")
    plan_sub = plan.add_subparsers(dest="plan_command")
    commit = plan_sub.add_parser("commit", parents=[remote], help="commit a plan: write its pushes")
    commit.add_argument("plan_id", type=int)
    roster = sub.add_parser(
        "import", parents=[remote], help="import a roster (.xlsx/.csv) on a running service"
    )
    roster.add_argument("file", type=Path)
    roster.add_argument("--mode", choices=["create", "update"], default="create")
    roster.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    openapi = sub.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", type=Path, default=Path("openapi/openapi.json"))
    openapi.add_argument("--check", action="store_true", help="fail if the file differs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    settings = get_settings()
    handler = {
        "serve": _serve,
        "db": _db,
        "keys": _keys,
        "demo": _demo,
        "openapi": _openapi,
        "webhooks": _webhooks,
        "plan": _plan,
        "import": _import,
    }[args.command]
    return handler(args, settings)


def _remote(args: argparse.Namespace) -> "Remote":
    from matching.remote import Remote

    if not args.key:
        raise SystemExit("a key is needed: --key or MATCHING_API_KEY")
    return Remote(args.url, args.key)


def _plan(args: argparse.Namespace, settings: Settings) -> int:
    from matching.remote import RemoteError, print_json

    remote = _remote(args)
    try:
        if args.plan_command == "commit":
            plan = remote.commit(args.plan_id)
            print_json({"id": plan["id"], "status": plan["status"],
                        "commit_result": plan["commit_result"]})  # fmt: skip
            return 0
        if not args.region:
            raise SystemExit("--region is needed to plan")
        body = {"region": args.region, "month": args.month, "coverage": args.coverage,
                "max_pushes": args.max_pushes}  # fmt: skip
        plan = remote.plan({k: v for k, v in body.items() if v is not None})
    except RemoteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print_json({"id": plan["id"], "region": plan["region"], "month": plan["month"],
                "summary": plan["summary"]})  # fmt: skip
    return 0


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from matching.remote import RemoteError, print_json

    try:
        report = _remote(args).import_roster(args.file, mode=args.mode, dry_run=args.dry_run)
    except RemoteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print_json({k: report.get(k) for k in ("dry_run", "rows", "valid", "created", "updated",
                                          "counts", "errors")})  # fmt: skip
    return 0 if not report.get("errors") else 1


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    with _index_store(settings, args.workers):
        uvicorn.run(
            "matching.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=True,
            access_log=False,  # the service writes its own structured line per request
        )
    return 0


@contextmanager
def _index_store(settings: Settings, workers: int) -> Iterator[None]:
    """For several web workers, a directory where they share the labourer index (matches.store),
    removed when the service stops; none for one worker, or when MATCHING_INDEX_STORE names one
    already. In shared memory when the host has room there (a container's /dev/shm is 64 MB
    unless told otherwise), else in the temporary directory: a mapped file on disk is shared
    through the page cache all the same."""
    if workers < 2 or settings.index_store is not None:
        yield
        return
    root = _roomy_shm()
    remove_stale_stores(Path(root or tempfile.gettempdir()))
    directory = tempfile.mkdtemp(prefix=STORE_PREFIX, dir=root)
    Path(directory, OWNER).write_text(str(os.getpid()))
    os.environ["MATCHING_INDEX_STORE"] = directory  # the workers' settings read it
    try:
        yield
    finally:
        os.environ.pop("MATCHING_INDEX_STORE", None)
        shutil.rmtree(directory, ignore_errors=True)


STORE_PREFIX = "matching-index-"
OWNER = "owner.pid"  # the serving process's id, in the store directory it made


def remove_stale_stores(root: Path) -> list[Path]:
    """Remove the store directories of services that died without removing theirs (killed,
    or out of memory): in /dev/shm a left-over index holds its memory until the host restarts,
    and every restart after a crash would leave one more. A directory whose owner still runs
    is kept, as is one without an owner file (not ours to judge); returns those removed."""
    removed = []
    for directory in root.glob(f"{STORE_PREFIX}*"):
        try:
            owner = int((directory / OWNER).read_text())
        except (OSError, ValueError):
            continue
        if not pid_exists(owner):
            shutil.rmtree(directory, ignore_errors=True)
            removed.append(directory)
    return removed


SHM_ROOM = 2 * 2**30  # free bytes /dev/shm must have to hold the index (277 MB at 2 M labourers)


def _roomy_shm() -> str | None:
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    return str(shm) if shutil.disk_usage(shm).free >= SHM_ROOM else None


def _db(args: argparse.Namespace, settings: Settings) -> int:
    config = alembic_config(settings.migrations_dir, settings.database_url)
    if args.db_command == "upgrade":
        command.upgrade(config, "head")
    elif args.db_command == "check":
        command.check(config)
    else:
        command.current(config)
    return 0


def _keys(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    try:
        for session in session_scope(factory):
            if args.keys_command == "create":
                record, secret = keys.create_key(
                    session,
                    name=args.name,
                    role=Role(args.role),
                    region_scopes=args.region,
                    agency_id=args.agency_id,
                    expires_on=args.expires_on,
                )
                print(f"id={record.id} role={record.role} name={record.name}", file=sys.stderr)
                print(secret)
            elif args.keys_command == "list":
                for k in keys.list_keys(session):
                    state = "revoked" if k.revoked_at else "active"
                    scope = ",".join(k.region_scopes) or (
                        f"agency={k.agency_id}" if k.agency_id else "-"
                    )
                    print(f"{k.id}\t{k.prefix}…\t{k.role}\t{state}\t{scope}\t{k.name}")
            else:
                revoked = keys.revoke_key(session, args.key_id, by=None)
                print(f"revoked key {revoked.id} ({revoked.name})")
    finally:
        engine.dispose()
    return 0


def _webhooks(args: argparse.Namespace, settings: Settings) -> int:
    import signal
    import threading

    from matching.app import delivery_policy
    from matching.kit.personal import PersonalData
    from matching.webhooks.delivery import Deliverer

    engine = make_engine(settings.database_url)
    deliverer = Deliverer(make_sessionmaker(engine), PersonalData(settings).cipher,
                          delivery_policy(settings))  # fmt: skip
    try:
        if args.once:
            sent = deliverer.run_once()
            told = deliverer.sweep_expired_posts()
            print(f"tried {sent} notice(s); {told} expired post(s) told", file=sys.stderr)
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            deliverer.run(stop, settings.webhook_poll_seconds)
    finally:
        engine.dispose()
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from matching.demo import load_demo

    if settings.environment == "production":
        print("refusing to load demo data in production", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    try:
        for session in session_scope(make_sessionmaker(engine)):
            summary, secret = load_demo(session, settings)
    finally:
        engine.dispose()
    if not args.quiet:
        print(summary, file=sys.stderr)
        print("Demo admin API key (paste it into Authorize at /docs):", file=sys.stderr)
    print(secret)
    return 0


def _openapi(args: argparse.Namespace, settings: Settings) -> int:
    from matching.openapi_export import render_openapi

    text = render_openapi()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `matching openapi`", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(json.loads(text)['paths'])} paths)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
