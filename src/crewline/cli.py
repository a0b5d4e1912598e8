"""The ``crewline`` command: serve, demo, db, users, tokens, jobs, tasks, quality."""

from __future__ import annotations

import asyncio
import enum
import getpass
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crewline import logs, migrate
from crewline.app import create_app
from crewline.audit.schemas import Actor
from crewline.auth import service as auth
from crewline.auth.roles import Role, Scope
from crewline.auth.schemas import TokenCreate, UserCreate
from crewline.auth.security import make_hasher
from crewline.config import Settings
from crewline.db import make_engine, make_sessionmaker, utcnow
from crewline.demo import generator as demo_generator
from crewline.demo import mail as demo_mail
from crewline.errors import CrewlineError
from crewline.hiring import api as hiring_api
from crewline.hiring import importing as hiring_importing
from crewline.jobs import Jobs
from crewline.people import service as people
from crewline.people.embedding import WordLlamaEmbedder
from crewline.projects import service as projects
from crewline.quality import commands as quality_commands
from crewline.tasks import imports as task_imports
from crewline.tasks import ingest
from crewline.tasks.schemas import MAX_BATCH, IngestReport
from crewline.validation import MAX_ID

app = typer.Typer(
    help="Crewline: run the human workforce behind AI training data.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Login accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
tasks_app = typer.Typer(help="Tasks: bulk import.", no_args_is_help=True)
candidates_app = typer.Typer(
    help="Import candidates into the hiring pipeline.", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(jobs_app, name="jobs")
app.add_typer(tasks_app, name="tasks")
app.add_typer(candidates_app, name="candidates")
app.add_typer(quality_commands.app, name="quality")
console = Console()
CLI_ACTOR = Actor.system("cli")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite database file (overrides CREWLINE_DATABASE_URL)."),
]


def _settings(db: Path | None) -> Settings:
    settings = Settings()
    if db is not None:
        settings = settings.model_copy(
            update={"database_url": f"sqlite:///{db.resolve().as_posix()}"}
        )
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    logs.configure(level=settings.log_level, json=settings.log_json)
    return settings


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=1)


def _serve(settings: Settings, host: str, port: int) -> None:
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    application = create_app(settings, session_factory=make_sessionmaker(engine))
    console.print(f"Crewline is serving on [bold]http://{host}:{port}[/] (Ctrl-C to stop)")
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve an existing database (migrations are applied first)."""
    settings = _settings(db)
    path = settings.sqlite_path()
    if path is not None and not path.exists():
        raise _fail(f"no database at {path}; run `crewline demo` or `crewline db upgrade` first")
    _serve(settings, host, port)


@app.command()
def demo(
    db: DbOption = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Rebuild the database from scratch.")
    ] = False,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve it afterwards.")
    ] = True,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed builds the same organization.")
    ] = 7,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Build the simulated demo organization into a SQLite file and serve it."""
    settings = _settings(db if db is not None else Path("var/demo.db"))
    path = settings.sqlite_path()
    if path is None:
        raise _fail("the demo builds a SQLite file; pass --db PATH")
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(settings.resolved_database_url)
    existed = migrate.current(engine) is not None
    migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    logins = demo_generator.DEMO_LOGINS
    with sessions() as session:
        built = demo_generator.is_built(session=session)
        if existed and built:
            console.print(f"Reusing the demo database at {path} (pass --fresh to rebuild).")
        else:
            hasher = make_hasher(
                time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
            )
            summary = demo_generator.build(
                session=session,
                embedder=WordLlamaEmbedder(),
                hasher=hasher,
                seed=seed,
                progress=demo_generator.rich_progress(console),
            )
            console.print(
                f"Built the demo organization in {summary.seconds:.1f} s: {summary.describe()}"
            )
    table = Table(title="Demo logins (password for all: " + demo_generator.DEMO_PASSWORD + ")")
    table.add_column("Role")
    table.add_column("Email")
    for role, email in logins:
        table.add_row(role.label, email)
    console.print(table)
    if not serve_after:
        return
    if settings.smtp_host:
        _serve(settings, "127.0.0.1", port)
        return
    folder = Path(f"{path}.mail")
    with demo_mail.mailbox_server(folder) as smtp_port:
        console.print(f"Candidate messages are sent to a local mail server and kept in {folder}/")
        local = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_port,
                "smtp_security": "none",
                "public_url": f"http://127.0.0.1:{port}",
            }
        )
        _serve(local, "127.0.0.1", port)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply migrations up to the latest schema."""
    settings = _settings(db)
    engine = make_engine(settings.resolved_database_url)
    migrate.upgrade(engine)
    console.print(f"Database is at revision {migrate.current(engine)}.")


@jobs_app.command("run")
def jobs_run(
    once: Annotated[bool, typer.Option("--once", help="Run every job once and exit.")] = False,
    db: DbOption = None,
) -> None:
    """Run the background jobs (lease expiry, webhook delivery) in this process."""
    settings = _settings(db)
    sessions = make_sessionmaker(make_engine(settings.resolved_database_url))
    application = create_app(settings, session_factory=sessions)
    jobs: Jobs = application.state.jobs
    if once:
        for name, count in jobs.run_once(sessions).items():
            console.print(f"{name}: {count}")
        return
    console.print(f"Running {len(jobs.jobs)} jobs (Ctrl-C to stop)")
    stop = asyncio.Event()
    try:
        asyncio.run(jobs.run_forever(sessions, stop))
    except KeyboardInterrupt:
        stop.set()


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[Role, typer.Option(help="Role of the account.")],
    organization_id: Annotated[
        int | None, typer.Option(help="Vendor or client id, for those roles.")
    ] = None,
    password: Annotated[str | None, typer.Option(help="Password (prompted if omitted).")] = None,
    person_id: Annotated[
        int | None, typer.Option(help="Person record a worker or candidate account belongs to.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a login account (and tie a worker or candidate to their person record)."""
    settings = _settings(db)
    if password is None:
        password = getpass.getpass("Password (10+ characters): ")
    sessions = make_sessionmaker(make_engine(settings.resolved_database_url))
    hasher = make_hasher(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)
    try:
        data = UserCreate(
            email=email,
            full_name=name,
            role=role,
            password=password,
            organization_id=organization_id,
        )
        with sessions() as session:
            user = auth.do_create_user(
                session=session, actor=CLI_ACTOR, hasher=hasher, data=data, commit=person_id is None
            )
            if person_id is not None:
                people.do_link_user(
                    session=session, actor=CLI_ACTOR, person_id=person_id, user_id=user.id
                )
    except CrewlineError as exc:
        raise _fail(exc.message) from exc
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"Created {user.role.label.lower()} {user.email} (id {user.id}).")


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Option(help="Email of the account the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    scope: Annotated[list[Scope] | None, typer.Option(help="Scopes (repeat for several).")] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(help="Expire after this many days.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Create an API token and print it once."""
    settings = _settings(db)
    sessions = make_sessionmaker(make_engine(settings.resolved_database_url))
    with sessions() as session:
        account = auth.get_by_email(session=session, email=user)
        if account is None:
            raise _fail(f"no account with email {user}")
        try:
            data = TokenCreate(
                name=name, scopes=scope or [Scope.read], expires_in_days=expires_in_days
            )
            _token, secret = auth.do_create_token(
                session=session, actor=CLI_ACTOR, user_id=account.id, data=data
            )
        except (CrewlineError, ValueError) as exc:
            raise _fail(str(exc)) from exc
    console.print("Token (shown once; store it now):", style="bold")
    print(secret)


class ImportFormat(enum.StrEnum):
    """What a task file holds."""

    json = "json"
    jsonl = "jsonl"
    label_studio = "label-studio"


#: Refusals listed after an import (the totals count them all).
SHOWN_REFUSALS = 10


@tasks_app.command("import")
def tasks_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="JSON, JSON Lines or Label Studio.")
    ],
    project: Annotated[int, typer.Option(min=1, max=MAX_ID, help="Project id.")],
    format: Annotated[
        ImportFormat | None,
        typer.Option(help="File format (default: jsonl for .jsonl/.ndjson files, else json)."),
    ] = None,
    db: DbOption = None,
    batch: Annotated[int, typer.Option(min=1, max=MAX_BATCH, help="Tasks per transaction.")] = 5000,
) -> None:
    """Push a file of tasks into a project in batches (idempotent: re-running adds nothing)."""
    settings = _settings(db)
    path = settings.sqlite_path()
    if path is not None and not path.exists():
        raise _fail(f"no database at {path}; run `crewline db upgrade` first")
    kind = format or (
        ImportFormat.jsonl if file.suffix.lower() in {".jsonl", ".ndjson"} else ImportFormat.json
    )
    sessions = make_sessionmaker(make_engine(settings.resolved_database_url))
    embedder = WordLlamaEmbedder() if kind is ImportFormat.label_studio else None
    totals = {"created": 0, "existing": 0, "refused": 0, "annotations": 0, "annotators": 0}
    unit = "line" if kind is ImportFormat.jsonl else "item"
    shown: list[tuple[int, str, str, str]] = []
    with sessions() as session:
        try:
            target = projects.get_or_404(session=session, project_id=project)
            schema = projects.label_schema(session=session, project=target)
            total, batches = task_imports.file_batches(
                file, lines=kind is ImportFormat.jsonl, size=batch
            )
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
                bar = progress.add_task(f"Importing {file.name}", total=total)
                for chunk in batches:
                    totals["refused"] += len(chunk.malformed)
                    shown += [(place, "", "", reason) for place, reason in chunk.malformed]
                    report: IngestReport
                    if embedder is not None:
                        report = task_imports.do_import_label_studio(
                            session=session,
                            actor=CLI_ACTOR,
                            project=target,
                            schema=schema,
                            embedder=embedder,
                            ls_tasks=chunk.rows,
                            now=utcnow(),
                        )
                        totals["annotations"] += report.annotations
                        totals["annotators"] += report.annotators
                    else:
                        report = ingest.do_ingest(
                            session=session,
                            actor=CLI_ACTOR,
                            project=target,
                            schema=schema,
                            rows=chunk.rows,
                            now=utcnow(),
                        )
                    totals["created"] += len(report.created)
                    totals["existing"] += len(report.existing)
                    totals["refused"] += len(report.refused)
                    shown += [
                        (chunk.places[r.index], r.external_id or "", r.field, r.reason)
                        for r in report.refused
                    ]
                    shown = sorted(shown)[:SHOWN_REFUSALS]
                    progress.advance(bar, chunk.progress)
        except CrewlineError as exc:
            raise _fail(exc.message) from exc
    console.print(
        f"Imported {file.name} into project {project}: {totals['created']} created, "
        f"{totals['existing']} already there, {totals['refused']} refused."
    )
    if kind is ImportFormat.label_studio:
        console.print(
            f"{totals['annotations']} annotations stored, "
            f"{totals['annotators']} placeholder annotators added."
        )
    if shown:
        table = Table(title=f"First refusals (of {totals['refused']})")
        for heading in (unit, "external_id", "field", "reason"):
            table.add_column(heading)
        for place, *rest in shown:
            table.add_row(str(place), *rest)
        console.print(table)
        raise typer.Exit(code=1)


@candidates_app.command("import")
def candidates_import(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row.")
    ],
    requisition: Annotated[int, typer.Option(min=1, max=MAX_ID, help="Requisition id.")],
    db: DbOption = None,
) -> None:
    """Import candidates from a CSV (email, full_name, country, region, time_zone, and optional
    languages, skills, profile, channel, referred_by, cohort, availability_hours).

    People already on file (same email) are reused; a repeated email in the file is skipped;
    refused rows are listed with their number and reason, and the rest are imported in one
    transaction. Every new applicant is screened and sent a message.
    """
    settings = _settings(db)
    path = settings.sqlite_path()
    if path is not None and not path.exists():
        raise _fail(f"no database at {path}; run `crewline db upgrade` first")
    sessions = make_sessionmaker(make_engine(settings.resolved_database_url))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with sessions() as session:
        try:
            rows = hiring_importing.read_csv(file)
            with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
                bar = progress.add_task(f"Importing {file.name}", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(bar, completed=done, total=total)

                report = hiring_importing.do_import(
                    session=session,
                    actor=CLI_ACTOR,
                    embedder=WordLlamaEmbedder(),
                    requisition_id=requisition,
                    rows=rows,
                    portal_url=hiring_api.portal_address(settings.public_url),
                    progress=advance,
                )
        except CrewlineError as exc:
            raise _fail(exc.message) from exc
    console.print(
        f"Imported {file.name} into requisition {requisition}: {report.created_people} new "
        f"people, {report.existing_people} already on file, {report.applications} applications, "
        f"{report.already_applied} had already applied, {report.duplicates_in_file} repeated "
        f"emails skipped, {len(report.refused)} rows refused."
    )
    if report.refused:
        table = Table(title=f"First refusals (of {len(report.refused)})")
        for heading in ("row", "email", "reason"):
            table.add_column(heading)
        for refusal in report.refused[:SHOWN_REFUSALS]:
            table.add_row(str(refusal.row), refusal.email, refusal.reason)
        console.print(table)
        raise typer.Exit(code=1)
