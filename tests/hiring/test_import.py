"""Importing candidates: deduplication by email, refused rows with reasons, referrals, the
CLI with its progress bar, and the API taking CSV or JSON."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from crewline.auth.roles import Role
from crewline.cli import app
from crewline.db import make_engine, make_sessionmaker
from crewline.hiring import importing, service
from crewline.hiring.models import Application, Message, StageEvent
from crewline.hiring.schemas import ChannelCreate, CohortCreate, RequisitionCreate
from crewline.people.models import Person
from tests.factories import ACTOR, Factory

runner = CliRunner(env={"COLUMNS": "400"})
FIELDS = ["email", "full_name", "country", "region", "time_zone", "languages", "channel"]


def row(i: int, **overrides: Any) -> dict[str, Any]:
    data = {
        "email": f"cand{i}@example.org",
        "full_name": f"Candidate {i}",
        "country": "PH",
        "region": "SEA",
        "time_zone": "Asia/Manila",
        "languages": "tl:C2; en:C1",
        "channel": "Jobs board",
    }
    return data | overrides


def _requisition(session: Session, embedder: Any) -> int:
    service.do_create_channel(
        session=session, actor=ACTOR, data=ChannelCreate(name="Jobs board", kind="job_board")
    )
    service.do_create_cohort(
        session=session,
        actor=ACTOR,
        data=CohortCreate(
            name="SEA-01", region="SEA", time_zone="Asia/Manila", start_date="2027-01-04"
        ),
    )
    return service.do_create_requisition(
        session=session,
        actor=ACTOR,
        data=RequisitionCreate(
            title="Tagalog moderators",
            role_type="content_moderator",
            headcount=50,
            regions=["SEA"],
            languages=[{"language": "en", "min_level": "B2"}],
        ),
        embedder=embedder,
    ).id


def test_rows_are_deduplicated_refused_with_reasons_and_the_rest_imported(
    factory: Factory, session: Session
) -> None:
    requisition_id = _requisition(session, factory.embedder)
    known = factory.person(worker=None, email="Known@Example.org")
    rows = [row(i) for i in range(40)]
    rows += [
        row(0, full_name="Same email again"),  # duplicate of row 1
        row(41, email="KNOWN@example.org"),  # on file already (any case)
        row(42, country="XX"),  # refused: not a country
        row(43, channel="Radio"),  # refused: unknown channel
        row(44, email="not-an-email"),  # refused
        row(45, cohort="SEA-01", referred_by="cand3@example.org"),  # referral within the file
        row(46, referred_by="ghost@example.org"),  # refused: unknown referrer
        row(47, languages="tl"),  # refused: no level
    ]
    seen: list[tuple[int, int]] = []
    report = importing.do_import(
        session=session,
        actor=ACTOR,
        embedder=factory.embedder,
        requisition_id=requisition_id,
        rows=rows,
        portal_url="http://x/portal",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert report.created_people == 41  # 40 + the referred one
    assert report.existing_people == 1 and report.applications == 42
    assert report.duplicates_in_file == 1 and report.already_applied == 0
    refused = {r.row: r.reason for r in report.refused}
    assert sorted(refused) == [43, 44, 45, 47, 48]
    assert "country" in refused[43] and "unknown channel 'Radio'" in refused[44]
    assert "email" in refused[45] and "ghost@example.org" in refused[47]
    assert "level" in refused[48]
    assert seen[-1][0] == seen[-1][1]
    referred = session.scalars(
        select(Application)
        .join(Person, Person.id == Application.person_id)
        .where(Person.email == "cand45@example.org")
    ).one()
    referrer = session.scalars(select(Person).where(Person.email == "cand3@example.org")).one()
    assert referred.referred_by_id == referrer.id and referred.cohort_id is not None
    assert (
        session.scalar(
            select(func.count()).select_from(Application).where(Application.person_id == known.id)
        )
        == 1
    )
    again = importing.do_import(
        session=session,
        actor=ACTOR,
        embedder=factory.embedder,
        requisition_id=requisition_id,
        rows=rows[:40],
        portal_url="http://x/portal",
    )
    assert again.created_people == 0 and again.already_applied == 40 and again.applications == 0
    assert session.scalar(select(func.count()).select_from(StageEvent)) == 42
    assert session.scalar(select(func.count()).select_from(Message)) == 42


def test_the_api_takes_csv(factory: Factory, session: Session) -> None:
    requisition_id = _requisition(session, factory.embedder)
    text = io.StringIO()
    writer = csv.DictWriter(text, FIELDS)
    writer.writeheader()
    writer.writerows([row(i) for i in range(5)])
    api = factory.api(factory.user(Role.recruiter))
    done = api.post(
        f"/api/v1/hiring/requisitions/{requisition_id}/candidates",
        content=text.getvalue().encode(),
        headers={"content-type": "text/csv"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["applications"] == 5
    bad = api.post(f"/api/v1/hiring/requisitions/{requisition_id}/candidates", json={"email": "x"})
    assert bad.status_code == 422 and "JSON array" in bad.text
    reviewer = factory.api(factory.user(Role.reviewer))
    url = f"/api/v1/hiring/requisitions/{requisition_id}/candidates"
    assert reviewer.post(url, json=[]).status_code == 403


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Any) -> tuple[str, int]:
    monkeypatch.delenv("CREWLINE_DATABASE_URL", raising=False)
    db = tmp_path / "org.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    with make_sessionmaker(make_engine(f"sqlite:///{db}"))() as session:
        return str(db), _requisition(session, embedder)


def test_the_cli_imports_with_a_progress_bar_and_lists_refusals(
    database: tuple[str, int], tmp_path: Path
) -> None:
    db, requisition_id = database
    file = tmp_path / "candidates.csv"
    with file.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, FIELDS)
        writer.writeheader()
        writer.writerows([row(i) for i in range(30)] + [row(99, region="MARS")])
    result = runner.invoke(
        app, ["candidates", "import", str(file), "--requisition", str(requisition_id), "--db", db]
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said  # a refused row makes the exit code say so
    assert "30 new people" in said and "30 applications" in said and "1 rows refused" in said
    assert "cand99@example.org" in said and "region" in said
    with make_sessionmaker(make_engine(f"sqlite:///{db}"))() as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 30
    missing = runner.invoke(
        app, ["candidates", "import", str(file), "--requisition", "999", "--db", db]
    )
    assert missing.exit_code == 1 and "requisition 999 not found" in missing.output
