"""Label Studio import: tasks with their history, placeholders, counters, idempotency, refusals."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.audit.models import AuditEvent
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.orgs.models import OrgKind
from crewline.people import service as people
from crewline.people.models import Classification, Person, PersonOrigin, Region
from crewline.projects import service as projects
from crewline.projects.schemas import ProjectCreate
from crewline.tasks import service
from crewline.tasks.imports import placeholder_email
from crewline.tasks.models import AssignmentState
from tests.factories import ACTOR, Factory
from tests.tasks.support import (
    assignments_of,
    make_project,
    refused_field,
    task_by_external_id,
)

TEXT = "John Smith met Ada at Acme Corp in Paris."


def _choice(label: str, user: Any = 7, **extra: Any) -> dict[str, Any]:
    """An annotation as Label Studio exports it."""
    return {
        "id": 900,
        "completed_by": user,
        "result": [
            {
                "id": "r1",
                "from_name": "sentiment",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [label]},
                "origin": "manual",
            }
        ],
        "was_cancelled": False,
        "ground_truth": False,
        "created_at": "2024-03-01T10:00:00.123456Z",
        "updated_at": "2024-03-01T10:05:00.000000Z",
        "lead_time": 31.4,
        **extra,
    }


def _ls_task(task_id: Any, text: str, *annotations: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": task_id,
        "data": {"text": text},
        "annotations": list(annotations),
        "predictions": [],
        "meta": {},
        "created_at": "2024-02-01T09:00:00Z",
        "project": 3,
    }


EXPORT = [
    _ls_task(101, "Great!", _choice("positive", 7), _choice("positive", 8)),
    _ls_task(102, "Awful.", _choice("negative", 7)),
    _ls_task(103, "Not labelled yet."),
]


def _manager(factory: Factory) -> TestClient:
    return factory.api(factory.user(Role.ops_manager))


def _import(api: TestClient, project_id: int, body: Any) -> Any:
    return api.post(f"/api/v1/projects/{project_id}/import/label-studio", json=body)


def _ok(api: TestClient, project_id: int, body: Any) -> dict[str, Any]:
    response = _import(api, project_id, body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _placeholders(session: Session, project_id: int) -> list[Person]:
    return list(
        session.scalars(
            select(Person).where(Person.email.like(f"ls-{project_id}-%")).order_by(Person.email)
        )
    )


def test_tasks_arrive_with_their_annotations_as_submitted_labels(
    factory: Factory, session: Session
) -> None:
    client = factory.org(OrgKind.client, country="DE", currency="EUR")
    project = make_project(factory, client_id=client.id)

    report = _ok(_manager(factory), project.id, EXPORT)

    assert report["created"] == ["ls-101", "ls-102", "ls-103"]
    assert report["existing"] == [] and report["refused"] == []
    assert report["annotations"] == 3 and report["annotators"] == 2
    task = task_by_external_id(session, project.id, "ls-101")
    assert task.data == {"text": "Great!"}
    labels = assignments_of(session, task.id)
    assert [a.value for a in labels] == ["positive", "positive"]
    first = labels[0]
    assert first.state is AssignmentState.submitted
    assert first.schema_version == project.schema_version
    assert first.guideline_version == project.guideline_version
    assert first.finished_at == datetime(2024, 3, 1, 10, 5, tzinfo=UTC)  # updated_at
    assert first.active_seconds == 31.4


def test_each_label_studio_user_gets_one_placeholder_person_per_project(
    factory: Factory, session: Session
) -> None:
    client = factory.org(OrgKind.client, country="DE", currency="EUR")
    project = make_project(factory, client_id=client.id)
    _ok(_manager(factory), project.id, EXPORT)

    seven, eight = _placeholders(session, project.id)

    assert seven.email == placeholder_email(project.id, "7")
    assert seven.email == f"ls-{project.id}-7@import.example"
    assert eight.email == f"ls-{project.id}-8@import.example"
    assert seven.country == "DE" and seven.pay_currency == "EUR"
    assert seven.region is Region.OTHER and seven.time_zone == "UTC"
    assert seven.classification is Classification.contractor
    assert seven.worker is None and seven.user_id is None  # never routed work, never logs in
    assert seven.origin is eight.origin is PersonOrigin.label_studio_import
    t101 = task_by_external_id(session, project.id, "ls-101")
    t102 = task_by_external_id(session, project.id, "ls-102")
    assert {a.person_id for a in assignments_of(session, t101.id)} == {seven.id, eight.id}
    assert [a.person_id for a in assignments_of(session, t102.id)] == [seven.id]


def test_placeholders_are_left_out_of_people_lists_unless_asked_for(
    factory: Factory, session: Session
) -> None:
    project = make_project(factory)
    staff = factory.api(factory.user(Role.admin))
    candidate = factory.person(worker=None, profile="Labels customer reviews by sentiment.")
    pool_before = people.pool_summary(session=session)
    _ok(staff, project.id, EXPORT)
    placeholders = [p.email for p in _placeholders(session, project.id)]

    def emails(**params: str) -> list[str]:
        response = staff.get("/api/v1/people", params={"per_page": "500", **params})
        assert response.status_code == 200, response.text
        return [item["email"] for item in response.json()["items"]]

    assert emails(in_pool="false") == [candidate.email]
    assert emails(q="import.example") == []
    assert sorted(emails(origin="label_studio_import")) == placeholders
    page = factory.browser(factory.user(Role.recruiter)).get("/people", params={"show": "all"})
    assert candidate.full_name in page.text and "Label Studio user" not in page.text
    ranked = staff.get(
        "/api/v1/people/similar",
        params={"requirement": "sentiment of reviews", "active_only": "false", "limit": "200"},
    ).json()
    assert not {item["person"]["email"] for item in ranked} & set(placeholders)
    assert people.pool_summary(session=session) == pool_before  # home page counts unchanged


def test_another_project_gets_its_own_placeholders(factory: Factory, session: Session) -> None:
    api = _manager(factory)
    one, two = make_project(factory), make_project(factory)
    _ok(api, one.id, EXPORT)
    report = _ok(api, two.id, EXPORT)
    assert report["annotators"] == 2
    assert {p.id for p in _placeholders(session, one.id)}.isdisjoint(
        p.id for p in _placeholders(session, two.id)
    )


def test_counters_hold_the_history_and_keep_the_slot_invariant(
    factory: Factory, session: Session
) -> None:
    project = make_project(factory, overlap=1)
    _ok(_manager(factory), project.id, EXPORT)

    two = task_by_external_id(session, project.id, "ls-101")  # two labels, overlap one
    one = task_by_external_id(session, project.id, "ls-102")
    none = task_by_external_id(session, project.id, "ls-103")

    assert (two.required_labels, two.submitted_count, two.leased_count) == (2, 2, 0)
    assert two.open is False and two.completed_at is not None
    assert (one.required_labels, one.submitted_count, one.open) == (1, 1, False)
    assert one.completed_at is not None
    assert (none.required_labels, none.submitted_count, none.open) == (1, 0, True)
    assert none.completed_at is None


def test_a_task_with_fewer_labels_than_the_overlap_stays_open_for_workers(
    factory: Factory, session: Session
) -> None:
    project = make_project(factory, overlap=3)
    _ok(_manager(factory), project.id, [EXPORT[0]])
    task = task_by_external_id(session, project.id, "ls-101")
    assert (task.required_labels, task.submitted_count, task.open) == (3, 2, True)
    assert task.completed_at is None

    worker = factory.person()
    leased = service.claim(
        session=session,
        project_id=project.id,
        person_id=worker.id,
        gold=False,
        lease=timedelta(minutes=5),
        now=utcnow(),
    )
    session.commit()
    assert leased is not None and leased.task_id == task.id
    session.refresh(task)
    assert task.open is False  # 2 labels + 1 lease = 3 slots


def test_reimporting_the_same_file_changes_nothing(factory: Factory, session: Session) -> None:
    project = make_project(factory)
    api = _manager(factory)
    _ok(api, project.id, EXPORT)
    before = task_by_external_id(session, project.id, "ls-101")
    counts = (before.submitted_count, before.required_labels, before.completed_at)
    people = session.scalar(select(func.count()).select_from(Person))

    again = _ok(api, project.id, EXPORT)

    assert again["created"] == [] and again["existing"] == ["ls-101", "ls-102", "ls-103"]
    assert again["annotations"] == 0 and again["annotators"] == 0
    after = task_by_external_id(session, project.id, "ls-101")
    assert (after.submitted_count, after.required_labels, after.completed_at) == counts
    assert len(assignments_of(session, after.id)) == 2
    assert session.scalar(select(func.count()).select_from(Person)) == people


def test_a_later_export_adds_only_the_new_annotations(factory: Factory, session: Session) -> None:
    project = make_project(factory)
    api = _manager(factory)
    _ok(api, project.id, EXPORT)
    later = copy.deepcopy(EXPORT)
    later[1]["annotations"].append(_choice("neutral", 9))

    report = _ok(api, project.id, later)

    assert report["annotations"] == 1 and report["annotators"] == 1
    task = task_by_external_id(session, project.id, "ls-102")
    assert [a.value for a in assignments_of(session, task.id)] == ["negative", "neutral"]
    assert (task.submitted_count, task.required_labels, task.open) == (2, 2, False)


def test_cancelled_annotations_are_left_out(factory: Factory, session: Session) -> None:
    project = make_project(factory)
    skipped = _choice("positive", 8, was_cancelled=True, result=[])
    report = _ok(_manager(factory), project.id, [_ls_task(5, "x", _choice("neutral"), skipped)])
    assert report["annotations"] == 1 and report["annotators"] == 1
    task = task_by_external_id(session, project.id, "ls-5")
    assert [a.value for a in assignments_of(session, task.id)] == ["neutral"]


def test_the_import_is_audited(factory: Factory, session: Session) -> None:
    project = make_project(factory)
    _ok(_manager(factory), project.id, EXPORT)
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "tasks.import_label_studio")
    )
    assert event is not None and event.entity_id == str(project.id)
    assert event.after == {"tasks": 2, "annotations": 3, "annotators": 2}


def test_spans_with_a_user_given_as_an_object_are_imported(
    factory: Factory, session: Session
) -> None:
    project = make_project(factory, "spans")
    region = {
        "id": "x",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 10, "text": "John Smith", "labels": ["PER"]},
    }
    annotation = {"completed_by": {"id": 12, "email": "ann@example.com"}, "result": [region]}
    report = _ok(
        _manager(factory),
        project.id,
        [{"id": 1, "data": {"text": TEXT}, "annotations": [annotation]}],
    )
    assert report["annotations"] == 1
    task = task_by_external_id(session, project.id, "ls-1")
    [stored] = assignments_of(session, task.id)
    assert stored.value == [{"start": 0, "end": 10, "label": "PER"}]
    [person] = _placeholders(session, project.id)
    assert person.email == f"ls-{project.id}-12@import.example"
    assert "ann@example.com" not in (person.email, person.full_name, person.profile)


def test_our_own_label_studio_export_imports_into_another_project(
    factory: Factory, session: Session
) -> None:
    """Export Crewline -> Label Studio JSON -> import: same data, values and annotators."""
    source = make_project(factory, overlap=2)
    api = factory.api(factory.user(Role.admin))
    _ok(api, source.id, EXPORT)
    exported = api.get(
        f"/api/v1/projects/{source.id}/export", params={"format": "label-studio"}
    ).json()
    target = make_project(factory)

    report = _ok(api, target.id, exported)

    assert report["annotations"] == 3 and report["annotators"] == 2
    first = exported[0]
    task = task_by_external_id(session, target.id, f"ls-{first['id']}")
    assert task.data == {"text": "Great!"}
    assert [a.value for a in assignments_of(session, task.id)] == ["positive", "positive"]
    emails = [p.email for p in _placeholders(session, target.id)]
    pseudonyms = sorted({a["completed_by"] for item in exported for a in item["annotations"]})
    assert emails == [f"ls-{target.id}-{p}@import.example" for p in pseudonyms]


# --- refusals ---------------------------------------------------------------------------------


def _refusals(factory: Factory, *tasks: Any) -> list[dict[str, Any]]:
    project = make_project(factory)
    report = _ok(_manager(factory), project.id, list(tasks))
    refused: list[dict[str, Any]] = report["refused"]
    return refused


def test_a_refused_task_does_not_stop_the_others(factory: Factory, session: Session) -> None:
    project = make_project(factory)
    bad = _ls_task(2, "y", _choice("ecstatic"))
    report = _ok(_manager(factory), project.id, [_ls_task(1, "x", _choice("neutral")), bad])
    assert report["created"] == ["ls-1"]
    [refusal] = report["refused"]
    assert refusal["index"] == 1 and refusal["external_id"] == "ls-2"
    assert refusal["field"].startswith("annotations.0")
    assert "ecstatic" in refusal["reason"]
    assert report["annotations"] == 1


def test_a_task_without_an_id_is_refused(factory: Factory) -> None:
    task = _ls_task(1, "x")
    del task["id"]
    [refusal] = _refusals(factory, task)
    assert refusal["field"] == "id" and refusal["external_id"] is None


@pytest.mark.parametrize("bad_id", [True, -1, 1.5, "", "has space", None])
def test_a_task_id_that_is_not_an_id_is_refused(factory: Factory, bad_id: Any) -> None:
    [refusal] = _refusals(factory, _ls_task(bad_id, "x"))
    assert refusal["field"] == "id"


def test_a_task_that_is_not_an_object_is_refused(factory: Factory) -> None:
    [refusal] = _refusals(factory, ["not", "a", "task"])
    assert refusal["field"] == "task" and refusal["index"] == 0


def test_a_task_without_data_is_refused(factory: Factory) -> None:
    [refusal] = _refusals(factory, {"id": 4, "annotations": []})
    assert refusal["field"] == "data"


def test_an_annotation_without_its_user_is_refused(factory: Factory) -> None:
    annotation = _choice("neutral")
    del annotation["completed_by"]
    [refusal] = _refusals(factory, _ls_task(1, "x", annotation))
    assert refusal["field"] == "annotations.0.completed_by"


def test_a_user_that_cannot_be_read_is_refused(factory: Factory) -> None:
    [refusal] = _refusals(factory, _ls_task(1, "x", _choice("neutral", "not a user!")))
    assert refusal["field"] == "annotations.0.completed_by"


def test_two_annotations_by_one_user_on_a_task_are_refused(factory: Factory) -> None:
    [refusal] = _refusals(factory, _ls_task(1, "x", _choice("neutral", 7), _choice("positive", 7)))
    assert refusal["field"] == "annotations.1.completed_by"
    assert "one label per worker" in refusal["reason"]


def test_a_date_that_cannot_be_read_is_refused(factory: Factory) -> None:
    annotation = _choice("neutral", updated_at="last tuesday")
    [refusal] = _refusals(factory, _ls_task(1, "x", annotation))
    assert refusal["field"] == "annotations.0.updated_at"


def test_a_task_id_twice_in_one_file_is_refused_the_second_time(factory: Factory) -> None:
    refusals = _refusals(factory, _ls_task(1, "x"), _ls_task(1, "y"))
    assert [(r["index"], r["field"]) for r in refusals] == [(1, "id")]


def test_a_region_of_another_type_is_refused(factory: Factory) -> None:
    annotation = _choice("neutral")
    annotation["result"][0]["type"] = "textarea"
    [refusal] = _refusals(factory, _ls_task(1, "x", annotation))
    assert refusal["field"] == "annotations.0.result.0.type"


def test_more_than_fifty_annotations_on_a_task_are_refused(factory: Factory) -> None:
    many = [_choice("neutral", user) for user in range(51)]
    [refusal] = _refusals(factory, _ls_task(1, "x", *many))
    assert refusal["field"] == "annotations"


def test_a_date_in_the_future_is_taken_as_now(factory: Factory, session: Session) -> None:
    project = make_project(factory)
    ahead = (utcnow() + timedelta(hours=1)).isoformat()
    _ok(_manager(factory), project.id, [_ls_task(1, "x", _choice("neutral", updated_at=ahead))])
    [stored] = assignments_of(session, task_by_external_id(session, project.id, "ls-1").id)
    assert stored.finished_at is not None and stored.finished_at <= utcnow()


def test_a_body_that_is_not_an_array_is_refused(factory: Factory) -> None:
    project = make_project(factory)
    assert refused_field(_import(_manager(factory), project.id, {"id": 1})) == "body"


def test_malformed_json_is_refused(factory: Factory) -> None:
    project = make_project(factory)
    response = _manager(factory).post(
        f"/api/v1/projects/{project.id}/import/label-studio",
        content=b"[{",
        headers={"Content-Type": "application/json"},
    )
    assert refused_field(response) == "body"


def test_a_project_type_label_studio_cannot_hold_is_refused(factory: Factory) -> None:
    project = make_project(factory, "pairwise")
    assert refused_field(_import(_manager(factory), project.id, EXPORT)) == "schema.type"


def test_a_project_without_a_schema_is_refused(factory: Factory) -> None:
    client = factory.org(OrgKind.client)
    bare = projects.do_create_project(
        session=factory.session,
        actor=ACTOR,
        data=ProjectCreate(client_id=client.id, name="No schema yet"),
    )
    assert refused_field(_import(_manager(factory), bare.id, EXPORT)) == "schema"


@pytest.mark.parametrize("role", [Role.reviewer, Role.recruiter, Role.finance, Role.worker])
def test_only_admins_and_ops_managers_may_import(factory: Factory, role: Role) -> None:
    project = make_project(factory)
    response = _import(factory.api(factory.user(role)), project.id, EXPORT)
    assert response.status_code == 403


def test_a_client_viewer_may_not_import_even_into_their_project(factory: Factory) -> None:
    client = factory.org(OrgKind.client)
    project = make_project(factory, client_id=client.id)
    viewer = factory.user(Role.client_viewer, organization_id=client.id)
    assert _import(factory.api(viewer), project.id, EXPORT).status_code == 403


def test_an_admin_may_import_and_an_unknown_project_is_404(factory: Factory) -> None:
    api = factory.api(factory.user(Role.admin))
    assert _import(api, 999_999, EXPORT).status_code == 404
    project = make_project(factory)
    assert _ok(api, project.id, EXPORT)["annotations"] == 3


def test_a_user_id_too_long_for_a_placeholder_email_is_refused(factory: Factory) -> None:
    [refusal] = _refusals(factory, _ls_task(1, "x", _choice("neutral", "u" * 41)))
    assert refusal["field"] == "annotations.0.completed_by"


def test_annotations_of_a_task_whose_stored_data_differs_are_refused(
    factory: Factory, session: Session
) -> None:
    project = make_project(factory)
    api = _manager(factory)
    _ok(api, project.id, [_ls_task(1, "original", _choice("neutral", 7))])

    report = _ok(api, project.id, [_ls_task(1, "edited since", _choice("positive", 8))])

    assert report["existing"] == ["ls-1"] and report["annotations"] == 0
    [refusal] = report["refused"]
    assert (refusal["index"], refusal["external_id"], refusal["field"]) == (0, "ls-1", "data")
    task = task_by_external_id(session, project.id, "ls-1")
    assert task.data == {"text": "original"}
    assert [a.value for a in assignments_of(session, task.id)] == ["neutral"]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
ANNOTATION = st.fixed_dictionaries(
    {},
    optional={
        "completed_by": JSON | st.integers(min_value=0, max_value=99),
        "result": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["choices", "labels"]), "value": JSON}, optional={}
            ),
            max_size=2,
        ),
        "was_cancelled": st.booleans(),
        "updated_at": JSON | st.sampled_from(["2024-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00"]),
        "lead_time": JSON,
    },
)
LS_TASK = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON | st.integers(min_value=0, max_value=50),
        "data": JSON | st.fixed_dictionaries({"text": st.text(max_size=8)}),
        "annotations": st.lists(ANNOTATION, max_size=3) | JSON,
        "completions": st.lists(ANNOTATION, max_size=2),
    },
)


@given(body=st.lists(LS_TASK | JSON, max_size=4))
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_json_array_is_stored_or_refused_never_an_error(
    factory: Factory, body: list[Any]
) -> None:
    project = make_project(factory)
    report = _ok(_manager(factory), project.id, body)
    placed = len(report["created"]) + len(report["existing"])
    assert placed + len({r["index"] for r in report["refused"]}) <= len(body)
    for refusal in report["refused"]:
        assert refusal["field"] and refusal["reason"]
