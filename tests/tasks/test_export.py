"""Exports: JSON Lines, CSV and Label Studio round trips, pseudonyms, gold keys, who may export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from crewline.annotation import from_label_studio
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.orgs.models import OrgKind
from crewline.tasks import export
from crewline.tasks.export import ExportFilter
from crewline.tasks.models import AssignmentState, Task
from crewline.tasks.schemas import Review
from crewline.tasks.service import do_review
from tests.factories import ACTOR, Factory
from tests.tasks.support import (
    ingest,
    label,
    make_project,
    refused_field,
    schema_of,
)

TEXT = "John Smith met Ada at Acme Corp in Paris."


def _export(api: TestClient, project_id: int, **params: Any) -> Any:
    response = api.get(f"/api/v1/projects/{project_id}/export", params=params)
    assert response.status_code == 200, response.text
    return response


def _lines(response: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines()]


def _labelled_project(factory: Factory) -> tuple[Any, list[Any]]:
    """Two tasks labelled by two workers each (overlap 2), and one task left untouched."""
    project = make_project(factory, overlap=2)
    ingest(
        factory.session,
        project,
        [
            {"external_id": "r-1", "data": {"text": "Great!"}},
            {"external_id": "r-2", "data": {"text": "Awful."}},
            {"external_id": "r-3", "data": {"text": "Meh."}},
        ],
    )
    workers = [factory.person(), factory.person()]
    for worker in workers:
        label(factory.session, project, worker.id, "positive")
        label(factory.session, project, worker.id, "negative", active_seconds=None)
    return project, workers


def test_jsonl_has_one_line_per_task_with_its_annotations(factory: Factory) -> None:
    project, _ = _labelled_project(factory)
    response = _export(factory.api(factory.user(Role.admin)), project.id)

    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert f"project-{project.id}.jsonl" in response.headers["content-disposition"]
    first, second, third = _lines(response)
    assert first["external_id"] == "r-1" and first["data"] == {"text": "Great!"}
    assert first["is_gold"] is False and first["required_labels"] == 2
    assert first["completed_at"].endswith("Z")
    assert [a["value"] for a in first["annotations"]] == ["positive", "positive"]
    assert [a["value"] for a in second["annotations"]] == ["negative", "negative"]
    annotation = first["annotations"][0]
    assert set(annotation) == {
        "worker",
        "value",
        "state",
        "schema_version",
        "guideline_version",
        "active_seconds",
        "submitted_at",
    }
    assert annotation["state"] == "submitted"
    assert annotation["schema_version"] == 1 and annotation["guideline_version"] == 1
    assert annotation["active_seconds"] == 12.5
    assert second["annotations"][0]["active_seconds"] is None
    assert third["annotations"] == [] and third["completed_at"] is None


def test_workers_appear_as_stable_pseudonyms_never_their_id_or_name(
    factory: Factory, app: Any
) -> None:
    project, workers = _labelled_project(factory)
    api = factory.api(factory.user(Role.admin))
    first = _lines(_export(api, project.id))
    again = _lines(_export(api, project.id))

    names = [a["worker"] for line in first for a in line["annotations"]]
    assert names == [a["worker"] for line in again for a in line["annotations"]]
    expected = [
        export.pseudonym(secret_key=app.state.secret_key, project_id=project.id, person_id=w.id)
        for w in workers
    ]
    assert names[:2] == expected and len(set(expected)) == 2
    for pseudonym in expected:
        assert pseudonym.startswith("w_") and len(pseudonym) == 14
    text = _export(api, project.id).text
    for worker in workers:
        assert worker.full_name not in text and worker.email not in text
        assert f'"worker":{worker.id},' not in text and f'"worker":"{worker.id}"' not in text


def test_one_worker_has_unlinkable_pseudonyms_in_two_projects() -> None:
    key = "k" * 32
    assert export.pseudonym(secret_key=key, project_id=1, person_id=7) != export.pseudonym(
        secret_key=key, project_id=2, person_id=7
    )
    assert export.pseudonym(secret_key=key, project_id=1, person_id=7) != export.pseudonym(
        secret_key="other" + key, project_id=1, person_id=7
    )


def _gold_project(factory: Factory, client_id: int | None = None) -> Any:
    project = make_project(factory, client_id=client_id)
    ingest(
        factory.session,
        project,
        [
            {"external_id": "g-1", "data": {"text": "Superb"}, "gold_answer": "positive"},
            {"external_id": "t-1", "data": {"text": "Fine"}},
        ],
    )
    label(factory.session, project, factory.person().id, "negative", gold=True)
    return project


def test_staff_see_the_answer_keys(factory: Factory) -> None:
    project = _gold_project(factory)
    for role in (Role.admin, Role.reviewer, Role.finance):
        gold, plain = _lines(_export(factory.api(factory.user(role)), project.id))
        assert gold["is_gold"] is True and gold["gold_answer"] == "positive"
        assert plain["gold_answer"] is None


def test_a_client_viewer_exports_their_project_without_answer_keys(factory: Factory) -> None:
    client = factory.org(OrgKind.client)
    project = _gold_project(factory, client_id=client.id)
    viewer = factory.user(Role.client_viewer, organization_id=client.id)

    response = _export(factory.api(viewer), project.id)

    gold, plain = _lines(response)
    assert "gold_answer" not in gold and "gold_answer" not in plain
    assert gold["is_gold"] is True
    assert [a["value"] for a in gold["annotations"]] == ["negative"]
    assert "positive" not in response.text  # the key, nowhere in the file


def test_a_client_viewer_cannot_export_another_clients_project(factory: Factory) -> None:
    project = _gold_project(factory)
    viewer = factory.user(Role.client_viewer)  # of a new client
    for fmt in ("jsonl", "csv", "label-studio"):
        response = factory.api(viewer).get(
            f"/api/v1/projects/{project.id}/export", params={"format": fmt}
        )
        assert response.status_code == 404, response.text


def test_workers_and_vendor_managers_may_not_export(factory: Factory) -> None:
    project = _gold_project(factory)
    for role in (Role.worker, Role.vendor_manager, Role.candidate):
        response = factory.api(factory.user(role)).get(f"/api/v1/projects/{project.id}/export")
        assert response.status_code == 403, (role, response.text)


def test_an_unknown_project_is_404(factory: Factory) -> None:
    response = factory.api(factory.user(Role.admin)).get("/api/v1/projects/999999/export")
    assert response.status_code == 404


def test_csv_has_one_formula_safe_row_per_annotation(factory: Factory, app: Any) -> None:
    project = make_project(factory, "multi_label")
    ingest(
        factory.session,
        project,
        [
            {"external_id": "=HYPERLINK(1)", "data": {"text": "x"}},
            {"external_id": "plain", "data": {"text": "y"}},
        ],
    )
    worker = factory.person()
    label(factory.session, project, worker.id, ["c", "a"])
    label(factory.session, project, worker.id, [])

    response = _export(factory.api(factory.user(Role.admin)), project.id, format="csv")

    assert response.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(header) == export.CSV_HEADER
    pseudonym = export.pseudonym(
        secret_key=app.state.secret_key, project_id=project.id, person_id=worker.id
    )
    first, second = (dict(zip(header, row, strict=True)) for row in rows)
    assert first["external_id"] == "'=HYPERLINK(1)"  # not run as a formula
    assert first["worker"] == pseudonym and first["state"] == "submitted"
    assert json.loads(first["value"]) == ["a", "c"] and first["value"] == '["a","c"]'
    assert first["schema_version"] == "1" and first["guideline_version"] == "1"
    assert first["submitted_at"].endswith("Z")
    assert second["external_id"] == "plain" and json.loads(second["value"]) == []


def test_label_studio_export_round_trips_spans(factory: Factory, app: Any) -> None:
    project = make_project(factory, "spans")
    ingest(factory.session, project, [{"external_id": "ner-1", "data": {"text": TEXT}}])
    ada = factory.person()
    spans = [{"start": 0, "end": 10, "label": "PER"}, {"start": 22, "end": 31, "label": "ORG"}]
    label(factory.session, project, ada.id, spans)

    response = _export(factory.api(factory.user(Role.admin)), project.id, format="label-studio")

    assert response.headers["content-type"].startswith("application/json")
    [item] = response.json()
    assert item["data"] == {"text": TEXT} and item["meta"] == {"external_id": "ner-1"}
    [annotation] = item["annotations"]
    assert annotation["completed_by"] == export.pseudonym(
        secret_key=app.state.secret_key, project_id=project.id, person_id=ada.id
    )
    assert annotation["lead_time"] == 12.5 and annotation["created_at"].endswith("Z")
    assert [region["value"]["text"] for region in annotation["result"]] == [
        "John Smith",
        "Acme Corp",
    ]
    data, values = from_label_studio(schema_of(factory.session, project), item)
    assert data == {"text": TEXT} and values == [spans]


def test_label_studio_export_round_trips_boxes_by_several_workers(factory: Factory) -> None:
    project = make_project(factory, "boxes", overlap=2)
    image = {"image_url": "https://cdn.example/cat.jpg", "width": 640, "height": 480}
    ingest(factory.session, project, [{"external_id": "img-1", "data": image}])
    first = [{"x": 10, "y": 20, "w": 100, "h": 50, "label": "cat"}]
    second = [{"x": 0, "y": 0, "w": 64, "h": 48, "label": "dog"}]
    label(factory.session, project, factory.person().id, first)
    label(factory.session, project, factory.person().id, second)

    [item] = _export(
        factory.api(factory.user(Role.admin)), project.id, format="label-studio"
    ).json()

    ids = [region["id"] for a in item["annotations"] for region in a["result"]]
    assert len(ids) == len(set(ids)) == 2
    _data, values = from_label_studio(schema_of(factory.session, project), item)
    assert values == [first, second]


def test_label_studio_export_leaves_rejected_annotations_out(factory: Factory) -> None:
    project = make_project(factory, overlap=2)
    ingest(factory.session, project, [{"external_id": "a", "data": {"text": "t"}}])
    kept = label(factory.session, project, factory.person().id, "positive")
    bad = label(factory.session, project, factory.person().id, "negative")
    do_review(
        session=factory.session,
        actor=ACTOR,
        assignment_id=bad.id,
        data=Review(approve=False, reason="did not read the text"),
        now=utcnow(),
    )
    api = factory.api(factory.user(Role.admin))

    [item] = _export(api, project.id, format="label-studio").json()
    [line] = _lines(_export(api, project.id))

    assert [a["result"][0]["value"]["choices"] for a in item["annotations"]] == [["positive"]]
    assert [(a["value"], a["state"]) for a in line["annotations"]] == [
        ("positive", "submitted"),
        ("negative", "rejected"),
    ]
    assert kept.state is AssignmentState.submitted


def test_label_studio_export_of_an_empty_project_is_an_empty_array(factory: Factory) -> None:
    project = make_project(factory)
    response = _export(factory.api(factory.user(Role.admin)), project.id, format="label-studio")
    assert response.json() == []


def test_label_studio_export_refuses_a_type_it_cannot_hold(factory: Factory) -> None:
    project = make_project(factory, "pairwise")
    response = factory.api(factory.user(Role.admin)).get(
        f"/api/v1/projects/{project.id}/export", params={"format": "label-studio"}
    )
    assert refused_field(response) == "format"
    assert "pairwise" in response.json()["detail"][0]["message"]


def test_an_unknown_format_is_refused(factory: Factory) -> None:
    project = make_project(factory)
    response = factory.api(factory.user(Role.admin)).get(
        f"/api/v1/projects/{project.id}/export", params={"format": "xml"}
    )
    assert refused_field(response) == "format"


def test_a_since_without_a_time_zone_is_refused(factory: Factory) -> None:
    project = make_project(factory)
    response = factory.api(factory.user(Role.admin)).get(
        f"/api/v1/projects/{project.id}/export", params={"since": "2024-01-01T00:00:00"}
    )
    assert refused_field(response) == "since"


def test_completed_only_and_since_filter_on_completion(factory: Factory) -> None:
    project = make_project(factory)
    ingest(
        factory.session,
        project,
        [{"external_id": f"t{i}", "data": {"text": str(i)}} for i in range(3)],
    )
    worker = factory.person()
    earlier = utcnow() - timedelta(days=2)
    label(factory.session, project, worker.id, "positive", now=earlier)
    label(factory.session, project, worker.id, "neutral")
    api = factory.api(factory.user(Role.admin))

    every = _lines(_export(api, project.id))
    completed = _lines(_export(api, project.id, completed_only="true"))
    recent = _lines(_export(api, project.id, since=(earlier + timedelta(days=1)).isoformat()))
    csv_recent = _export(
        api, project.id, format="csv", since=(earlier + timedelta(days=1)).isoformat()
    ).text.splitlines()

    assert [line["external_id"] for line in every] == ["t0", "t1", "t2"]
    assert [line["external_id"] for line in completed] == ["t0", "t1"]
    assert [line["external_id"] for line in recent] == ["t1"]
    assert len(csv_recent) == 2 and csv_recent[1].startswith("t1,")


def test_the_filter_keeps_tasks_completed_exactly_at_since() -> None:
    moment = utcnow()
    done = Task(completed_at=moment)
    assert ExportFilter(since=moment).keeps(done)
    assert not ExportFilter(since=moment + timedelta(microseconds=1)).keeps(done)
    assert not ExportFilter(completed_only=True).keeps(Task(completed_at=None))
    assert ExportFilter().keeps(Task(completed_at=None))


def test_a_few_thousand_tasks_stream_in_several_chunks(factory: Factory) -> None:
    project = make_project(factory)
    ingest(
        factory.session,
        project,
        [{"external_id": f"bulk-{i:05d}", "data": {"text": f"item {i}"}} for i in range(3000)],
    )
    worker = factory.person()
    for _ in range(5):
        label(factory.session, project, worker.id, "neutral")
    api = factory.api(factory.user(Role.admin))

    for fmt in ("jsonl", "csv", "label-studio"):
        with api.stream(
            "GET", f"/api/v1/projects/{project.id}/export", params={"format": fmt}
        ) as response:
            assert response.status_code == 200
            chunks = list(response.iter_raw())
        assert len(chunks) > 1, fmt
    lines = _lines(_export(api, project.id))
    assert len(lines) == 3000 and lines[-1]["external_id"] == "bulk-02999"
    assert sum(len(line["annotations"]) for line in lines) == 5
    assert len(_export(api, project.id, format="label-studio").json()) == 3000


def test_the_export_reads_one_batch_at_a_time(factory: Factory, session: Session) -> None:
    project = make_project(factory)
    ingest(
        session,
        project,
        [{"external_id": f"b{i}", "data": {"text": "x"}} for i in range(250)],
    )
    statements: list[str] = []

    def count(*args: Any) -> None:
        if args[2].lstrip().upper().startswith("SELECT"):
            statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        lines = export.jsonl_lines(
            session=session,
            project=project,
            secret_key="k",
            filters=ExportFilter(),
            with_gold=True,
            batch=100,
        )
        next(lines)
        after_first = len(statements)
        rest = list(lines)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert after_first == 2  # one batch of tasks and their assignments, nothing more yet
    assert len(rest) == 249
    assert len(statements) == 2 * 3 + 1  # three batches, then the empty query that ends it
