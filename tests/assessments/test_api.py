"""Assessments through the API: building, sitting, grading, outcomes that move applications,
retakes, time limits, overrides, and every refusal the issue names."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.assessments import attempts, outcomes
from crewline.assessments.models import Attempt, AttemptItem, AttemptStatus, Outcome
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.hiring.models import Application, Message, StageEvent
from tests.assessments.support import (
    PORTAL,
    World,
    answer_all,
    build,
    finish,
    key_of,
    start,
    world,
)
from tests.factories import Factory


@pytest.fixture
def w(factory: Factory) -> World:
    return world(factory)


def stage_of(session: Session, w: World) -> str:
    session.expire_all()
    return session.get_one(Application, w.application.id).stage


# --- building ----------------------------------------------------------------------------------


def test_build_takes_every_gold_task_with_its_tags(w: World) -> None:
    built = build(w)
    assert built["pool"] == 12 and built["status"] == "open" and built["kind"] == "project"
    items = w.staff.get(f"/api/v1/assessments/{built['id']}").json()
    assert items["pool"] == 12


def test_build_refuses_a_project_without_gold(factory: Factory) -> None:
    w = world(factory, gold=0)
    response = w.staff.post(
        f"/api/v1/projects/{w.project.id}/assessments",
        json={"name": "Empty", "time_limit_minutes": 10, "items_per_attempt": 3, "pass_score": 0.8},
    )
    assert response.status_code == 422
    assert "no gold items" in response.text and '"items"' in response.text


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"items_per_attempt": 13}, "items_per_attempt", "only 12"),
        ({"training_score": 0.9}, "training_score", "below pass_score"),
        ({"items": [{"task_id": 999_999}]}, "items.0.task_id", "not a gold task"),
        ({"items": [{"task_id": "first"}, {"task_id": "first"}]}, "items.1.task_id", "twice"),
        (
            {"items": [{"task_id": "first", "repeats_task_id": "second"}]},
            "items.0.repeats_task_id",
            "not itself a repeat",
        ),
        ({"pass_score": 1.5}, "pass_score", "less than or equal"),
        ({"time_limit_minutes": 0}, "time_limit_minutes", "greater than or equal"),
    ],
)
def test_build_refuses_bad_settings(
    w: World, change: dict[str, Any], field: str, words: str
) -> None:
    first, second = w.gold[0].id, w.gold[1].id
    for item in change.get("items", []):
        for name in ("task_id", "repeats_task_id"):
            item[name] = {"first": first, "second": second}.get(item.get(name), item.get(name))
            if item[name] is None:
                del item[name]
    body = {
        "name": "Bad",
        "time_limit_minutes": 10,
        "items_per_attempt": 3,
        "pass_score": 0.8,
        "training_score": 0.5,
        **change,
    }
    if "items" in change:
        body["items_per_attempt"] = 1
    response = w.staff.post(f"/api/v1/projects/{w.project.id}/assessments", json=body)
    assert response.status_code == 422, response.text
    assert field in response.text and words in response.text


def test_only_staff_build_and_candidates_cannot_read_the_pool(w: World) -> None:
    response = w.client.post(
        f"/api/v1/projects/{w.project.id}/assessments",
        json={"name": "x", "time_limit_minutes": 5, "items_per_attempt": 1, "pass_score": 0.5},
    )
    assert response.status_code == 403
    built = build(w)
    assert w.client.get(f"/api/v1/assessments/{built['id']}/attempts").status_code == 403


# --- sitting and outcomes ----------------------------------------------------------------------


def test_a_pass_moves_the_application_to_qualified_and_tells_the_candidate(
    w: World, session: Session
) -> None:
    built = build(w)
    sitting = start(w, built["id"])
    assert len(sitting["items"]) == 6 and sitting["seconds_left"] > 29 * 60
    assert "gold_answer" not in str(sitting) and sitting["widget"]["type"] == "single_label"
    answer_all(w, sitting, right=6)
    done = finish(w, sitting)
    attempt = done["attempt"]
    assert attempt["status"] == "finished" and attempt["outcome"] == "passed"
    assert attempt["score"] == 1.0 and attempt["dimensions"]["accuracy"] == 1.0
    assert attempt["dimensions"]["throughput"] == pytest.approx(6 / (6 * 20 / 3600))
    assert "scored 100%" in attempt["outcome_reason"]
    assert stage_of(session, w) == "qualified"
    message = session.scalars(
        select(Message).where(Message.person_id == w.candidate.id).order_by(Message.id.desc())
    ).first()
    assert message is not None and "qualified" in message.subject
    assert "scored 100%" in message.body
    event = session.scalars(
        select(StageEvent)
        .where(StageEvent.application_id == w.application.id)
        .order_by(StageEvent.id.desc())
    ).first()
    assert event is not None and event.actor == outcomes.ENGINE


def test_between_the_marks_goes_to_training(w: World, session: Session) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=3)  # 60%: at the training mark, below the pass mark
    attempt = finish(w, sitting)["attempt"]
    assert attempt["outcome"] == "training" and "admits to training" in attempt["outcome_reason"]
    assert stage_of(session, w) == "trial_training"


def test_a_fail_with_a_retake_left_keeps_the_application_and_says_so(
    w: World, session: Session
) -> None:
    built = build(w, items_per_attempt=5, max_attempts=2)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=1)
    attempt = finish(w, sitting)["attempt"]
    assert attempt["outcome"] == "failed"
    assert stage_of(session, w) == "sourced"
    note = session.scalars(
        select(Message).where(Message.person_id == w.candidate.id).order_by(Message.id.desc())
    ).first()
    assert note is not None and "may take it again" in note.body
    again = start(w, built["id"])
    assert again["attempt"]["number"] == 2
    answer_all(w, again, right=0)
    assert finish(w, again)["attempt"]["outcome"] == "failed"
    assert stage_of(session, w) == "rejected"


def test_a_retake_beyond_the_policy_is_refused(w: World, session: Session) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=0)
    finish(w, sitting)
    response = w.client.post(f"/api/v1/assessments/{built['id']}/attempts", json={})
    assert response.status_code == 409
    assert "allows 1 attempt" in response.json()["detail"]
    assert session.scalar(select(Attempt.id).where(Attempt.number == 2)) is None


def test_a_retake_before_the_wait_is_refused(w: World) -> None:
    built = build(w, items_per_attempt=5, max_attempts=3, retake_after_days=7)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=0)
    finish(w, sitting)
    response = w.client.post(f"/api/v1/assessments/{built['id']}/attempts", json={})
    assert response.status_code == 409 and "retake this assessment from" in response.text


def test_a_passed_assessment_cannot_be_taken_again(w: World) -> None:
    built = build(w, items_per_attempt=5, max_attempts=3)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=5)
    finish(w, sitting)
    response = w.client.post(f"/api/v1/assessments/{built['id']}/attempts", json={})
    assert response.status_code == 409 and "already passed" in response.text


def test_starting_twice_resumes_the_same_attempt(w: World) -> None:
    built = build(w)
    first = w.client.post(f"/api/v1/assessments/{built['id']}/attempts", json={})
    second = w.client.post(f"/api/v1/assessments/{built['id']}/attempts", json={})
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["attempt"]["id"] == second.json()["attempt"]["id"]
    assert [i["id"] for i in first.json()["items"]] == [i["id"] for i in second.json()["items"]]


def test_answering_an_item_not_in_the_attempt_is_refused(w: World, factory: Factory) -> None:
    built = build(w)
    sitting = start(w, built["id"])
    other = world(factory)
    theirs = start(other, build(other)["id"])
    response = w.client.put(
        f"/api/v1/attempts/{sitting['attempt']['id']}/items/{theirs['items'][0]['id']}",
        json={"answer": "positive"},
    )
    assert response.status_code == 422
    assert "not part of this attempt" in response.text and "item_id" in response.text
    # and someone else's attempt reads as not found
    response = w.client.put(
        f"/api/v1/attempts/{theirs['attempt']['id']}/items/{theirs['items'][0]['id']}",
        json={"answer": "positive"},
    )
    assert response.status_code == 404


def test_an_answer_of_the_wrong_shape_names_the_field(w: World) -> None:
    sitting = start(w, build(w)["id"])
    response = w.client.put(
        f"/api/v1/attempts/{sitting['attempt']['id']}/items/{sitting['items'][0]['id']}",
        json={"answer": "ecstatic"},
    )
    assert response.status_code == 422 and '"answer"' in response.text


def test_an_answer_after_the_time_limit_is_refused_and_never_passes(
    w: World, session: Session
) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=2)
    attempt = session.get_one(Attempt, sitting["attempt"]["id"])
    attempt.deadline_at = utcnow() - timedelta(minutes=1)
    session.commit()
    last = sitting["items"][-1]
    response = w.client.put(
        f"/api/v1/attempts/{attempt.id}/items/{last['id']}",
        json={"answer": key_of(w, sitting, last)},
    )
    assert response.status_code == 409 and "time limit passed" in response.text
    session.expire_all()
    closed = session.get_one(Attempt, attempt.id)
    assert closed.status is AttemptStatus.expired and closed.outcome is not Outcome.passed
    item = session.get_one(AttemptItem, last["id"])
    assert item.answer != key_of(w, sitting, last)  # the late answer was not recorded
    assert "time ran out" in (closed.outcome_reason or "")


def test_late_answers_cannot_turn_a_fail_into_a_pass(w: World, session: Session) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    attempt = session.get_one(Attempt, sitting["attempt"]["id"])
    attempt.deadline_at = utcnow() - timedelta(minutes=1)
    session.commit()
    for item in sitting["items"]:
        w.client.put(
            f"/api/v1/attempts/{attempt.id}/items/{item['id']}",
            json={"answer": key_of(w, sitting, item)},
        )
    session.expire_all()
    assert session.get_one(Attempt, attempt.id).outcome is Outcome.failed


def test_abandoned_attempts_are_closed_by_the_job(w: World, session: Session) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=5)
    assert attempts.expire_due(session=session, now=utcnow(), portal_url=PORTAL) == 0
    closed = attempts.expire_due(
        session=session, now=utcnow() + timedelta(minutes=31), portal_url=PORTAL
    )
    assert closed == 1
    session.expire_all()
    attempt = session.get_one(Attempt, sitting["attempt"]["id"])
    assert attempt.status is AttemptStatus.expired
    # answered in time, so they count: the candidate only forgot to press Finish
    assert attempt.outcome is Outcome.passed


def test_a_closed_assessment_cannot_be_started(w: World) -> None:
    built = build(w)
    assert (
        w.staff.patch(f"/api/v1/assessments/{built['id']}", json={"status": "closed"}).status_code
        == 200
    )
    response = w.client.post(f"/api/v1/assessments/{built['id']}/attempts", json={})
    assert response.status_code == 409 and "closed" in response.text


def test_people_without_an_application_or_a_pool_place_cannot_start(
    w: World, factory: Factory
) -> None:
    stranger = factory.user(Role.candidate)
    factory.person(user=stranger, worker=None)
    response = factory.api(stranger).post(f"/api/v1/assessments/{build(w)['id']}/attempts", json={})
    assert response.status_code == 403


# --- the three stages --------------------------------------------------------------------------


def test_a_trial_gives_feedback_then_a_second_round_and_a_learning_score(
    w: World, session: Session
) -> None:
    built = build(w, kind="trial", items_per_attempt=4, pass_score=0.75, training_score=None)
    first = start(w, built["id"])
    answer_all(w, first, right=1)
    between = finish(w, first)
    assert between["attempt"]["status"] == "feedback" and between["attempt"]["outcome"] is None
    assert len(between["feedback"]) == 4 and between["items"] == []
    assert any("the answer is" in (f["feedback"] or "").lower() for f in between["feedback"])
    second = w.client.post(f"/api/v1/attempts/{first['attempt']['id']}/next-round").json()
    assert second["attempt"]["round"] == 2 and len(second["items"]) == 4
    seen = {i["data"]["text"] for i in first["items"]}
    assert not seen & {i["data"]["text"] for i in second["items"]}  # unseen items first
    answer_all(w, second, right=4)
    attempt = finish(w, second)["attempt"]
    assert attempt["outcome"] == "passed" and attempt["score"] == 1.0
    assert attempt["learning"]["first"] == 0.25 and attempt["learning"]["second"] == 1.0
    assert attempt["learning"]["normalized_gain"] == 1.0
    assert stage_of(session, w) == "assessed"


def test_next_round_is_refused_outside_a_trial_feedback_step(w: World) -> None:
    sitting = start(w, build(w)["id"])
    response = w.client.post(f"/api/v1/attempts/{sitting['attempt']['id']}/next-round")
    assert response.status_code == 409


def test_consistency_is_measured_on_repeated_items(w: World) -> None:
    pairs = [{"task_id": t.id, "tags": ["domain"]} for t in w.gold[:4]]
    repeats = [
        {"task_id": t.id, "repeats_task_id": o.id}
        for t, o in zip(w.gold[4:8], w.gold[:4], strict=True)
    ]
    built = build(w, items=pairs + repeats, items_per_attempt=4)
    assert built["pool"] == 8
    sitting = start(w, built["id"])
    assert len(sitting["items"]) == 4  # two originals, each followed by a repeat
    answer_all(w, sitting, right=4)
    dimensions = finish(w, sitting)["attempt"]["dimensions"]
    assert dimensions["consistency"] is not None
    assert dimensions["domain"] == 1.0


# --- overrides ---------------------------------------------------------------------------------


def test_a_human_override_reopens_a_rejection_and_keeps_the_engine_outcome(
    w: World, session: Session
) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=0)
    finish(w, sitting)
    assert stage_of(session, w) == "rejected"
    attempt_id = sitting["attempt"]["id"]
    response = w.staff.post(
        f"/api/v1/attempts/{attempt_id}/outcome",
        json={"outcome": "training", "reason": "Strong domain expert; the guideline was new"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "training" and body["engine_outcome"] == "failed"
    assert "Strong domain expert" in body["outcome_reason"]
    assert stage_of(session, w) == "trial_training"


def test_overrides_need_a_reason_a_finished_attempt_and_a_staff_role(w: World) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    attempt_id = sitting["attempt"]["id"]
    url = f"/api/v1/attempts/{attempt_id}/outcome"
    assert w.staff.post(url, json={"outcome": "passed"}).status_code == 422
    under_way = w.staff.post(url, json={"outcome": "passed", "reason": "looks good"})
    assert under_way.status_code == 409
    answer_all(w, sitting, right=5)
    finish(w, sitting)
    same = w.staff.post(url, json={"outcome": "passed", "reason": "looks good"})
    assert same.status_code == 409
    assert w.client.post(url, json={"outcome": "failed", "reason": "nope"}).status_code == 403


def test_staff_see_attempts_and_item_results(w: World) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=4)
    finish(w, sitting)
    listed = w.staff.get(f"/api/v1/assessments/{built['id']}/attempts").json()
    assert [a["score"] for a in listed] == [0.8]
    results = w.staff.get(f"/api/v1/attempts/{sitting['attempt']['id']}/results").json()
    assert sum(r["correct"] for r in results) == 4 and all(r["feedback"] for r in results)


def test_validity_and_listing_answer_on_the_api(w: World) -> None:
    built = build(w)
    listed = w.staff.get(f"/api/v1/projects/{w.project.id}/assessments").json()
    assert [a["id"] for a in listed] == [built["id"]] and listed[0]["pool"] == 12
    validity = w.staff.get(f"/api/v1/assessments/{built['id']}/validity", params={"min_tasks": 5})
    assert validity.status_code == 200, validity.text
    body = validity.json()
    assert body["gold"] is None and body["pairs"] == [] and len(body["bands"]) == 6
    bad = w.staff.get(f"/api/v1/assessments/{built['id']}/validity", params={"min_tasks": 0})
    assert bad.status_code == 422 and "min_tasks" in bad.text


def test_a_simulation_is_one_timed_batch_that_passes_to_assessed(
    w: World, session: Session
) -> None:
    built = build(w, kind="simulation", items_per_attempt=5, training_score=None)
    sitting = start(w, built["id"])
    assert sitting["attempt"]["rounds"] == 1 and len(sitting["items"]) == 5
    answer_all(w, sitting, right=5)
    attempt = finish(w, sitting)["attempt"]
    assert attempt["status"] == "finished" and attempt["outcome"] == "passed"
    assert attempt["dimensions"]["throughput"] == pytest.approx(5 / (5 * 20 / 3600))
    assert stage_of(session, w) == "assessed"
