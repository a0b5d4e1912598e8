"""Assessment pages: who may open each, the candidate's start button, the staff override form
(and its CSRF check), the attempts table's filters, and validity with too few and enough pairs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from crewline.assessments.models import Attempt, AttemptStatus, Outcome
from crewline.auth.roles import STAFF, Role
from crewline.db import utcnow
from crewline.quality.models import WorkerQuality
from tests.assessments.support import World, answer_all, build, finish, start, world
from tests.factories import Factory


@pytest.fixture
def w(factory: Factory) -> World:
    return world(factory)


def staff_pages(assessment_id: int) -> list[str]:
    return [
        "/assessments",
        f"/assessments/{assessment_id}",
        f"/assessments/{assessment_id}/validity",
    ]


def candidate_browser(factory: Factory, w: World) -> TestClient:
    return factory.browser(w.candidate_user)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


# --- who may open what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(STAFF, key=lambda r: r.value), ids=lambda r: r.value)
def test_every_staff_role_reads_the_staff_pages(factory: Factory, w: World, role: Role) -> None:
    built = build(w)
    browser = factory.browser(factory.user(role))
    for path in staff_pages(built["id"]):
        response = browser.get(path)
        assert response.status_code == 200, (path, response.text)
        assert "Sentiment qualification" in response.text
    home = browser.get("/").text
    assert 'href="/assessments"' in home and 'href="/my/assessments"' not in home


@pytest.mark.parametrize("role", [Role.candidate, Role.worker, Role.vendor_manager])
def test_others_are_refused_the_staff_pages(factory: Factory, w: World, role: Role) -> None:
    built = build(w)
    user = factory.user(role)
    if role in (Role.candidate, Role.worker):
        factory.person(user=user)
    browser = factory.browser(user)
    for path in staff_pages(built["id"]):
        assert browser.get(path).status_code == 403, path


def test_an_anonymous_visitor_is_sent_to_log_in(factory: Factory, w: World) -> None:
    built = build(w)
    anonymous = factory.browser()
    for path in [*staff_pages(built["id"]), "/my/assessments"]:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303 and "/login?next=" in response.headers["location"]


def test_staff_are_refused_the_taker_pages(factory: Factory, w: World) -> None:
    built = build(w)
    sitting = start(w, built["id"])
    browser = factory.browser(factory.user(Role.recruiter))
    assert browser.get("/my/assessments").status_code == 403
    assert browser.get(f"/my/attempts/{sitting['attempt']['id']}").status_code == 403
    page = browser.get("/assessments").text
    response = browser.post(
        f"/my/assessments/{built['id']}/start", data={"csrf_token": csrf_of(page)}
    )
    assert response.status_code == 403


# --- candidates and workers --------------------------------------------------------------------


def test_a_candidate_starts_from_the_list_and_lands_on_the_sitting(
    factory: Factory, w: World, session: Session
) -> None:
    built = build(w)
    browser = candidate_browser(factory, w)
    listing = browser.get("/my/assessments")
    assert listing.status_code == 200
    assert "Sentiment qualification" in listing.text and ">Start</button>" in listing.text
    assert 'href="/my/assessments"' in listing.text  # the nav entry

    refused = browser.post(f"/my/assessments/{built['id']}/start", follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    assert session.query(Attempt).count() == 0

    started = browser.post(
        f"/my/assessments/{built['id']}/start",
        data={"csrf_token": csrf_of(listing.text)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    attempt = session.query(Attempt).one()
    assert started.headers["location"] == f"/my/attempts/{attempt.id}"
    assert attempt.person_id == w.candidate.id and attempt.application_id == w.application.id

    sitting = browser.get(started.headers["location"])
    assert sitting.status_code == 200
    assert f'data-attempt="{attempt.id}"' in sitting.text
    assert 'data-csrf="' in sitting.text and "/static/assessment.js" in sitting.text
    assert 'role="timer"' in sitting.text

    again = browser.get("/my/assessments").text
    assert ">Resume</button>" in again and "Attempt 1" in again
    # Starting again resumes the same attempt.
    resumed = browser.post(
        f"/my/assessments/{built['id']}/start",
        data={"csrf_token": csrf_of(again)},
        follow_redirects=False,
    )
    assert resumed.headers["location"] == f"/my/attempts/{attempt.id}"


def test_a_finished_attempt_shows_its_outcome_and_the_retake_policy(
    factory: Factory, w: World
) -> None:
    built = build(w, max_attempts=1)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=1)
    finish(w, sitting)
    page = candidate_browser(factory, w).get("/my/assessments").text
    assert "failed" in page and "below the training mark of 60%" in page
    assert "you have used every one" in page and ">Start</button>" not in page


def test_a_person_with_no_application_is_offered_nothing(factory: Factory, w: World) -> None:
    built = build(w)
    user = factory.user(Role.candidate)
    factory.person(user=user, worker=None)
    browser = factory.browser(user)
    listing = browser.get("/my/assessments")
    assert "no assessment for you to take" in listing.text
    response = browser.post(
        f"/my/assessments/{built['id']}/start", data={"csrf_token": csrf_of(listing.text)}
    )
    assert response.status_code == 403 and "open application" in response.text


def test_someone_elses_attempt_is_not_found(factory: Factory, w: World) -> None:
    built = build(w)
    sitting = start(w, built["id"])
    user, _ = factory.worker_user()
    response = factory.browser(user).get(f"/my/attempts/{sitting['attempt']['id']}")
    assert response.status_code == 404


def test_a_pool_worker_may_take_an_assessment(factory: Factory, w: World) -> None:
    build(w)
    user, _ = factory.worker_user()
    page = factory.browser(user).get("/my/assessments").text
    assert "Sentiment qualification" in page and ">Start</button>" in page


# --- staff: the attempts table and overrides ---------------------------------------------------


def graded_attempt(w: World, right: int) -> tuple[int, int]:
    built = build(w)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=right)
    finish(w, sitting)
    return built["id"], sitting["attempt"]["id"]


def test_the_attempts_table_shows_dimensions_and_filters(factory: Factory, w: World) -> None:
    assessment_id, attempt_id = graded_attempt(w, right=2)
    browser = factory.browser(factory.user(Role.reviewer))
    page = browser.get(f"/assessments/{assessment_id}").text
    assert f'id="attempt-{attempt_id}"' in page
    assert w.candidate.full_name in page and f'href="/people/{w.candidate.id}"' in page
    assert ">Edge cases" in page and "assessment engine" in page
    assert "Set outcome" not in page  # a reviewer reads; recruiters and ops decide
    passed_only = browser.get(f"/assessments/{assessment_id}?outcome=passed").text
    assert f'id="attempt-{attempt_id}"' not in passed_only and "No attempts match." in passed_only
    by_name = browser.get(
        f"/assessments/{assessment_id}?q={w.candidate.full_name[:6]}&sort=score&dir=asc"
    ).text
    assert f'id="attempt-{attempt_id}"' in by_name and 'aria-sort="ascending"' in by_name
    # The overview counts it, per cohort and per week.
    overview = browser.get("/assessments").text
    assert "no cohort" in overview and "0.0 %" in overview and "Plotly.newPlot" in overview


def test_a_recruiter_overrides_an_outcome_with_a_reason(
    factory: Factory, w: World, session: Session
) -> None:
    assessment_id, attempt_id = graded_attempt(w, right=2)
    browser = factory.browser(factory.user(Role.recruiter))
    page = browser.get(f"/assessments/{assessment_id}").text
    assert "Set outcome" in page
    target = f"/assessments/{assessment_id}/attempts/{attempt_id}/outcome"
    form = {"outcome": "passed", "reason": "strong work sample reviewed by hand"}

    assert browser.post(target, data=form).status_code == 403  # no CSRF token
    short = browser.post(target, data={**form, "reason": "ok", "csrf_token": csrf_of(page)})
    assert short.status_code == 422

    done = browser.post(target, data={**form, "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == (
        f"/assessments/{assessment_id}?overridden={attempt_id}#attempt-{attempt_id}"
    )
    shown = browser.get(done.headers["location"]).text
    assert "is now “passed”" in shown and 'role="status"' in shown
    session.expire_all()
    attempt = session.get_one(Attempt, attempt_id)
    assert attempt.outcome is Outcome.passed and attempt.engine_outcome is Outcome.failed
    assert "strong work sample" in (attempt.outcome_reason or "")


def test_an_override_is_refused_to_a_reviewer_and_for_another_assessment(
    factory: Factory, w: World
) -> None:
    assessment_id, attempt_id = graded_attempt(w, right=2)
    reviewer = factory.browser(factory.user(Role.reviewer))
    token = csrf_of(reviewer.get("/assessments").text)
    form = {"outcome": "passed", "reason": "looks fine to me", "csrf_token": token}
    target = f"/assessments/{assessment_id}/attempts/{attempt_id}/outcome"
    assert reviewer.post(target, data=form).status_code == 403
    ops = factory.browser(factory.user(Role.ops_manager))
    form["csrf_token"] = csrf_of(ops.get("/assessments").text)
    other = build(w, name="Another")
    wrong = f"/assessments/{other['id']}/attempts/{attempt_id}/outcome"
    assert ops.post(wrong, data=form).status_code == 404


# --- staff: validity ---------------------------------------------------------------------------


def test_validity_says_plainly_when_there_are_too_few_pairs(factory: Factory, w: World) -> None:
    assessment_id, _ = graded_attempt(w, right=5)
    browser = factory.browser(factory.user(Role.ops_manager))
    page = browser.get(f"/assessments/{assessment_id}/validity").text
    assert "Not enough live work yet" in page and "chart-calibration" not in page
    assert "at least 20 live tasks" in page
    assert "Plotly.newPlot" not in page
    typo = browser.get(f"/assessments/{assessment_id}/validity?required_yield=lots").text
    assert "is not a number" in typo and 'aria-invalid="true"' in typo


def test_validity_draws_calibration_and_recommends_a_mark(
    factory: Factory, w: World, session: Session
) -> None:
    built = build(w)
    now = utcnow()
    for i in range(8):
        person = factory.person(worker=None)
        score = 0.4 + 0.075 * i
        session.add(
            Attempt(
                assessment_id=built["id"],
                person_id=person.id,
                number=1,
                status=AttemptStatus.finished,
                started_at=now - timedelta(minutes=30),
                deadline_at=now,
                finished_at=now - timedelta(minutes=1),
                score=score,
                outcome=Outcome.passed if score >= 0.8 else Outcome.failed,
            )
        )
        session.add(
            WorkerQuality(
                project_id=w.project.id,
                person_id=person.id,
                labels=400,
                gold_seen=40,
                gold_score=0.0,
                gold_accuracy=0.6 + 0.04 * i,
                model_accuracy=0.6 + 0.03 * i,
            )
        )
    session.commit()
    browser = factory.browser(factory.user(Role.recruiter))
    page = browser.get(f"/assessments/{built['id']}/validity?required_yield=50").text
    assert "chart-calibration" in page and "chart-scatter" in page
    assert "1.00" in page  # a perfectly monotone relation: rho = 1
    assert 'value="50"' in page and "Recommended" in page
    assert "Not enough live work yet" not in page


# --- building from the page, and the person page -----------------------------------------------


def build_form(w: World, **changes: str) -> dict[str, str]:
    return {
        "project_id": str(w.project.id),
        "name": "Built on the page",
        "kind": "trial",
        "time_limit_minutes": "20",
        "items_per_attempt": "4",
        "pass_percent": "80",
        "training_percent": "70",
        "max_attempts": "2",
        "retake_after_days": "7",
        **changes,
    }


def test_recruiters_build_an_assessment_from_the_overview(factory: Factory, w: World) -> None:
    browser = factory.browser(factory.user(Role.recruiter))
    page = browser.get("/assessments").text
    assert "Build an assessment" in page and f"({len(w.gold)} gold)" in page
    response = browser.post(
        "/assessments",
        data={**build_form(w), "paid": "true", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    built = w.staff.get(response.headers["location"].replace("/assessments", "/api/v1/assessments"))
    body = built.json()
    assert (body["kind"], body["pool"], body["pass_score"], body["training_score"]) == (
        "trial",
        len(w.gold),
        0.8,
        0.7,
    )
    assert body["paid"] is True


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"pass_percent": "eighty"}, "pass_percent"),
        ({"pass_percent": "120"}, "between 0 and 100"),
        ({"training_percent": "90"}, "training_score"),
        ({"items_per_attempt": "50"}, "only 12"),
        ({"kind": "quiz"}, "kind"),
    ],
)
def test_the_build_form_names_what_is_wrong(
    factory: Factory, w: World, changes: dict[str, str], words: str
) -> None:
    browser = factory.browser(factory.user(Role.ops_manager))
    token = csrf_of(browser.get("/assessments").text)
    response = browser.post("/assessments", data={**build_form(w, **changes), "csrf_token": token})
    assert response.status_code == 422 and words in response.text


def test_reviewers_see_no_build_form_and_may_not_build(factory: Factory, w: World) -> None:
    browser = factory.browser(factory.user(Role.reviewer))
    page = browser.get("/assessments").text
    assert "Build an assessment" not in page
    response = browser.post("/assessments", data={**build_form(w), "csrf_token": csrf_of(page)})
    assert response.status_code == 403


def test_the_person_page_lists_attempts_and_tier_changes(factory: Factory, w: World) -> None:
    built = build(w, items_per_attempt=5)
    sitting = start(w, built["id"])
    answer_all(w, sitting, right=5)
    finish(w, sitting)
    page = factory.browser(factory.user(Role.recruiter)).get(f"/people/{w.candidate.id}").text
    assert "Assessments and tiers" in page and "Sentiment qualification" in page
    assert "scored 100%" in page
