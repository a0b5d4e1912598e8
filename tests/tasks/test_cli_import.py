"""``crewline tasks import``: JSON Lines streamed in batches, JSON arrays, Label Studio exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from crewline.cli import app
from crewline.db import make_engine, make_sessionmaker
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.orgs.schemas import OrgCreate
from crewline.projects import service as projects
from crewline.projects.schemas import ProjectCreate
from crewline.tasks.imports import file_batches
from crewline.tasks.models import Assignment, Task
from tests.factories import ACTOR

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREWLINE_DATABASE_URL", raising=False)


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, int]:
    """A migrated SQLite file with one single-label project; its path and the project id."""
    db = tmp_path / "org.db"
    assert runner.invoke(app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    with make_sessionmaker(make_engine(f"sqlite:///{db}"))() as session:
        client = orgs.do_create_org(
            session=session,
            actor=ACTOR,
            data=OrgCreate(kind=OrgKind.client, name="Acme", country="US", currency="USD"),
        )
        project = projects.do_create_project(
            session=session,
            actor=ACTOR,
            data=ProjectCreate(
                client_id=client.id,
                name="Reviews",
                label_schema={"labels": ["positive", "negative"]},
                guidelines="# Label the mood",
            ),
        )
        return str(db), project.id


def _count(db: str, model: Any) -> int:
    with make_sessionmaker(make_engine(f"sqlite:///{db}"))() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def _said(result: Any) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(result.output.split())


def _jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_jsonl_is_imported_in_batches_with_a_progress_bar(
    database: tuple[str, int], tmp_path: Path
) -> None:
    db, project = database
    rows = [{"external_id": f"t{i}", "data": {"text": f"item {i}"}} for i in range(25)]
    file = _jsonl(tmp_path / "tasks.jsonl", rows)

    result = _run(
        "tasks", "import", str(file), "--project", str(project), "--db", db, "--batch", "10"
    )

    assert result.exit_code == 0, result.output
    assert "Importing tasks.jsonl" in result.output  # the progress bar
    assert "25 created, 0 already there, 0 refused" in _said(result)
    assert _count(db, Task) == 25


def test_running_the_same_file_again_creates_nothing(
    database: tuple[str, int], tmp_path: Path
) -> None:
    db, project = database
    file = _jsonl(tmp_path / "t.jsonl", [{"external_id": "a", "data": {"text": "x"}}])
    assert _run("tasks", "import", str(file), "--project", str(project), "--db", db).exit_code == 0
    again = _run("tasks", "import", str(file), "--project", str(project), "--db", db)
    assert again.exit_code == 0 and "0 created, 1 already there" in _said(again)
    assert _count(db, Task) == 1


def test_refused_and_malformed_lines_are_counted_and_shown_by_line(
    database: tuple[str, int], tmp_path: Path
) -> None:
    db, project = database
    file = tmp_path / "mixed.jsonl"
    file.write_text(
        '{"external_id": "ok", "data": {"text": "fine"}}\n'
        "\n"
        "{not json\n"
        '{"external_id": "bad", "data": {"text": 5}}\n',
        encoding="utf-8",
    )

    result = _run("tasks", "import", str(file), "--project", str(project), "--db", db)

    assert result.exit_code == 1, result.output
    assert "1 created, 0 already there, 2 refused" in _said(result)
    assert "malformed JSON" in _said(result) and "data.text" in _said(result)
    table = result.output[result.output.index("First refusals") :]
    assert table.index(" 3 ") < table.index(" 4 ")  # in file order, by line number
    assert _count(db, Task) == 1


def test_a_json_array_file_is_imported(database: tuple[str, int], tmp_path: Path) -> None:
    db, project = database
    file = tmp_path / "tasks.json"
    file.write_text(json.dumps([{"external_id": "j1", "data": {"text": "x"}}]), encoding="utf-8")
    result = _run("tasks", "import", str(file), "--project", str(project), "--db", db)
    assert result.exit_code == 0, result.output
    assert "1 created" in _said(result)


def test_a_json_file_that_is_not_an_array_is_refused(
    database: tuple[str, int], tmp_path: Path
) -> None:
    db, project = database
    file = tmp_path / "tasks.json"
    file.write_text('{"external_id": "j1"}', encoding="utf-8")
    result = _run("tasks", "import", str(file), "--project", str(project), "--db", db)
    assert result.exit_code == 1 and "JSON array" in _said(result)


def test_a_label_studio_export_brings_its_annotations(
    database: tuple[str, int], tmp_path: Path
) -> None:
    db, project = database
    region = {
        "from_name": "label",
        "to_name": "text",
        "type": "choices",
        "value": {"choices": ["negative"]},
    }
    export = [
        {"id": 1, "data": {"text": "bad"}, "annotations": [{"completed_by": 3, "result": [region]}]}
    ]
    file = tmp_path / "export.json"
    file.write_text(json.dumps(export), encoding="utf-8")

    result = _run(
        "tasks", "import", str(file), "--project", str(project), "--db", db,
        "--format", "label-studio",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "1 created" in _said(result) and "1 annotations stored" in _said(result)
    assert _count(db, Assignment) == 1


def test_an_unknown_project_fails_cleanly(database: tuple[str, int], tmp_path: Path) -> None:
    db, _ = database
    file = _jsonl(tmp_path / "t.jsonl", [])
    result = _run("tasks", "import", str(file), "--project", "4242", "--db", db)
    assert result.exit_code == 1 and "project 4242 not found" in _said(result)


def test_a_missing_database_fails_cleanly(tmp_path: Path) -> None:
    file = _jsonl(tmp_path / "t.jsonl", [])
    result = _run("tasks", "import", str(file), "--project", "1", "--db", str(tmp_path / "no.db"))
    assert result.exit_code == 1 and "no database" in _said(result)


def test_jsonl_batches_are_read_lazily_and_count_bytes(tmp_path: Path) -> None:
    file = _jsonl(tmp_path / "t.jsonl", [{"n": i} for i in range(5)])
    total, batches = file_batches(file, lines=True, size=2)
    first = next(batches)
    assert first.rows == [{"n": 0}, {"n": 1}] and first.places == [1, 2]
    rest = list(batches)
    assert [len(b.rows) for b in rest] == [2, 1]
    assert first.progress + sum(b.progress for b in rest) == total == file.stat().st_size
