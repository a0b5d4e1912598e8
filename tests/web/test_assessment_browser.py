"""Assessments in a real Chromium: a candidate signs in, starts an assessment of a single-label
project from their list, answers every item with the keyboard and the mouse while the countdown
runs, hands in and reads the result; a trial shows round one's feedback, then round two; an
answer sent after the time limit shows the server's refusal and the graded result.

Same arrangement as the other browser tests: a module-scoped live server on a migrated SQLite
file; the data is built through the services and the API, and checked in the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import select

from crewline.assessments.models import Attempt, AttemptItem, AttemptStatus, Outcome
from crewline.auth.roles import Role
from crewline.db import utcnow
from tests.assessments.support import LABELS, World, answer_all, build, finish, start, world
from tests.factories import PASSWORD, Factory
from tests.web.support import Site, serve_site

pytestmark = [pytest.mark.browser, pytest.mark.own_sqlite]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve_site(tmp_path_factory, "assessments") as served:
        yield served


@pytest.fixture
def console_errors(page: Page) -> Iterator[list[str]]:
    """Errors the page logs to its console (failed requests included), except the browser's own
    favicon request (the app serves none)."""
    errors: list[str] = []

    def note(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        if message.type == "error" and not url.endswith("/favicon.ico"):
            errors.append(f"{message.text} ({url})")

    page.on("console", note)
    yield errors


def _world(site: Site, **settings: Any) -> tuple[World, int]:
    with site.sessions() as session:
        factory = Factory(session=session, app=site.app, embedder=site.embedder)
        w = world(factory)
        return w, build(w, **settings)["id"]


def _log_in(page: Page, email: str, landing: str) -> None:
    page.goto(f"/login?next={quote(landing)}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(re.escape(landing) + "$"))


def _start(page: Page, w: World, name: str) -> None:
    _log_in(page, w.candidate_user.email, "/my/assessments")
    expect(page.get_by_role("link", name="Assessments")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/my/attempts/\d+$"))


def _key(page: Page) -> str:
    """The right label of the item on screen (gold review N has label N mod 3)."""
    text = page.locator("#ws-widget .ws-text").inner_text()
    found = re.search(r"Gold review (\d+)", text)
    assert found, text
    return LABELS[int(found.group(1)) % 3]


def _answer_round(page: Page, count: int, *, round_: str = "") -> None:
    """Answer each item right: odd items by key (the label's number), even ones by mouse."""
    for i in range(count):
        expect(page.locator("#sit-progress")).to_have_text(f"Item {i + 1} of {count}")
        if round_:
            expect(page.locator("#sit-round")).to_have_text(round_)
        right = _key(page)
        if i % 2 == 0:
            page.keyboard.press(str(LABELS.index(right) + 1))
            expect(page.get_by_role("radio", name=right)).to_be_checked()
            page.keyboard.press("Enter")
        else:
            page.get_by_text(right, exact=True).click()
            page.get_by_role("button", name=re.compile(r"^Save and")).click()
        expect(page.locator("#sit-answered")).to_have_text(f"{i + 1} of {count} answered")
    expect(page.get_by_role("heading", name="Hand in this round?")).to_be_visible()
    expect(page.locator("#sit-confirm-text")).to_contain_text("Every item is answered")
    page.get_by_role("button", name="Hand in").click()


def test_a_candidate_takes_an_assessment_end_to_end(
    site: Site, page: Page, console_errors: list[str]
) -> None:
    w, assessment_id = _world(site, items_per_attempt=4, time_limit_minutes=10)
    _start(page, w, "Sentiment qualification")

    timer = page.get_by_role("timer")
    expect(timer).to_have_attribute("aria-live", "off")
    expect(timer).to_have_text(re.compile(r"^(10:00|9:5\d)$"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first, timeout=3000)  # it counts down

    # Enter with nothing picked is refused in the alert region, and nothing moves on.
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Pick a label first")
    expect(page.locator("#sit-progress")).to_have_text("Item 1 of 4")
    # Previous keeps what was chosen on this page.
    right = _key(page)
    page.keyboard.press(str(LABELS.index(right) + 1))
    page.keyboard.press("Enter")
    expect(page.locator("#sit-progress")).to_have_text("Item 2 of 4")
    page.get_by_role("button", name="Previous").click()
    expect(page.locator("#sit-progress")).to_have_text("Item 1 of 4")
    expect(page.get_by_role("radio", name=right)).to_be_checked()
    page.get_by_role("button", name=re.compile(r"^Save and next")).click()
    expect(page.locator("#sit-progress")).to_have_text("Item 2 of 4")
    # From item 1 again (already answered: pressing its key keeps it), answer every item.
    page.get_by_role("button", name="Previous").click()
    _answer_round(page, 4)

    result = page.locator("#sit-result")
    expect(result).to_be_focused()
    expect(result).to_contain_text("Score: 100 %")
    expect(result.locator(".status")).to_have_text("passed")
    expect(result).to_contain_text("You scored 100%; the pass mark is 80%.")
    expect(result.get_by_role("table")).to_contain_text("Accuracy")
    expect(page.get_by_role("timer")).to_be_hidden()

    with site.sessions() as session:
        attempt = session.scalars(
            select(Attempt).where(Attempt.assessment_id == assessment_id)
        ).one()
        assert attempt.status is AttemptStatus.finished and attempt.outcome is Outcome.passed
        assert attempt.score == pytest.approx(1.0)
        items = session.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id))
        assert all(i.answer is not None and (i.seconds or 0) > 0 for i in items)

    page.get_by_role("link", name="Back to my assessments").click()
    expect(page.get_by_text("you have already passed this assessment")).to_be_visible()
    assert console_errors == []


def test_a_trial_shows_feedback_then_round_two(
    site: Site, page: Page, console_errors: list[str]
) -> None:
    w, assessment_id = _world(
        site, name="Sentiment trial", kind="trial", items_per_attempt=3, time_limit_minutes=10
    )
    _start(page, w, "Sentiment trial")
    _answer_round(page, 3, round_="Round 1 of 2")

    feedback = page.locator("#sit-feedback")
    expect(feedback).to_be_focused()
    expect(page.get_by_role("heading", name="Feedback on round 1")).to_be_visible()
    expect(feedback).to_contain_text("You got 3 of 3 items right in round 1")
    expect(feedback.locator("li")).to_have_count(3)
    expect(page.get_by_role("status")).to_have_text(re.compile("read the feedback"))
    expect(page.get_by_role("timer")).to_be_hidden()
    page.get_by_role("button", name="Start round 2").click()

    expect(page.get_by_role("timer")).to_be_visible()
    _answer_round(page, 3, round_="Round 2 of 2")
    result = page.locator("#sit-result")
    expect(result).to_contain_text("Round 1: 100 %; round 2: 100 %.")
    expect(result).not_to_contain_text("null")
    expect(result.locator(".status")).to_have_text("passed")
    with site.sessions() as session:
        attempt = session.scalars(
            select(Attempt).where(Attempt.assessment_id == assessment_id)
        ).one()
        assert attempt.round == 2 and attempt.learning is not None
    assert console_errors == []


def test_the_countdown_warns_at_five_and_one_minutes_then_hands_in(
    site: Site, page: Page, console_errors: list[str]
) -> None:
    w, assessment_id = _world(
        site, name="Sentiment countdown", items_per_attempt=2, time_limit_minutes=10
    )
    # The page's clock moves only when the test moves it (the server's runs as usual).
    now = datetime.now(UTC)
    page.clock.install(time=now)
    page.clock.pause_at(now + timedelta(seconds=1))
    _start(page, w, "Sentiment countdown")
    expect(page.locator("#sit-progress")).to_have_text("Item 1 of 2")
    page.keyboard.press(str(LABELS.index(_key(page)) + 1))
    page.keyboard.press("Enter")
    expect(page.locator("#sit-answered")).to_have_text("1 of 2 answered")

    status = page.locator("#ws-status")
    page.clock.fast_forward("05:00")
    expect(status).to_have_text("5 minutes left.")
    expect(page.get_by_role("timer")).to_have_text(re.compile(r"^[45]:\d\d$"))
    page.clock.fast_forward("04:00")
    expect(status).to_have_text("1 minute left.")
    page.clock.fast_forward("01:00")  # time is up: the page hands in what was saved

    result = page.locator("#sit-result")
    expect(result).to_contain_text("Score: 50 %")
    expect(result.locator(".status")).to_have_text("failed")
    with site.sessions() as session:
        attempt = session.scalars(
            select(Attempt).where(Attempt.assessment_id == assessment_id)
        ).one()
        assert attempt.status is AttemptStatus.finished and attempt.score == pytest.approx(0.5)
    assert console_errors == []


def test_an_answer_after_the_time_limit_shows_the_servers_refusal(
    site: Site, page: Page, console_errors: list[str]
) -> None:
    w, assessment_id = _world(site, name="Sentiment timed", items_per_attempt=2)
    _start(page, w, "Sentiment timed")
    expect(page.locator("#sit-progress")).to_have_text("Item 1 of 2")
    with site.sessions() as session:
        attempt = session.scalars(
            select(Attempt).where(Attempt.assessment_id == assessment_id)
        ).one()
        attempt.deadline_at = utcnow() - timedelta(minutes=5)
        session.commit()

    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Conflict: the time limit passed at")
    result = page.locator("#sit-result")
    expect(result).to_contain_text("The time ran out before you handed in.")
    expect(result).to_contain_text("time ran out; answers given in time were graded")
    # The refused PUT is the one console error the browser logs (a failed request).
    assert all("409" in error for error in console_errors), console_errors


def test_a_recruiter_reads_the_charts_and_overrides_an_outcome(
    site: Site, page: Page, console_errors: list[str]
) -> None:
    with site.sessions() as session:
        factory = Factory(session=session, app=site.app, embedder=site.embedder)
        w = world(factory)
        assessment_id = build(w, name="Sentiment reviewed", items_per_attempt=3)["id"]
        sitting = start(w, assessment_id)
        answer_all(w, sitting, right=1)
        finish(w, sitting)
        email = factory.user(Role.recruiter).email

    _log_in(page, email, "/assessments")
    expect(page.locator("#all-weekly .main-svg").first).to_be_attached()  # Plotly drew it
    page.get_by_role("link", name="Sentiment reviewed", exact=True).click()
    expect(page.get_by_role("heading", name="Sentiment reviewed")).to_be_visible()
    row = page.locator(f"#attempt-{sitting['attempt']['id']}")
    expect(row).to_contain_text("failed")
    row.get_by_text("Override").click()
    row.get_by_label("New outcome").select_option("training")
    row.get_by_label("Reason (the candidate sees it)").fill("close to the mark; coach them")
    row.get_by_role("button", name="Set outcome").click()
    expect(page.get_by_role("status")).to_contain_text("is now “training”")
    expect(row.locator(".status")).to_have_text("training")
    page.get_by_role("link", name="Predictive validity").click()
    expect(page.get_by_role("heading", name="Not enough live work yet")).to_be_visible()
    assert console_errors == []
