"""The annotator workspace (/work), driven in a real Chromium against a real server.

A module-scoped fixture migrates an empty SQLite database and serves it (``crewline.demo.live``);
each test builds its own client, live projects, tasks and worker through the services, logs the
worker in through the login form, labels in the browser, then reads what was stored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.orgs.models import OrgKind
from crewline.projects import service as projects
from crewline.projects.schemas import MemberCreate, ProjectCreate
from crewline.tasks import ingest
from crewline.tasks import service as tasks
from crewline.tasks.models import Assignment, AssignmentState, FlagKind, Task
from tests.factories import ACTOR, PASSWORD, Factory, unique
from tests.web.support import Site, serve_site

pytestmark = [pytest.mark.browser, pytest.mark.own_sqlite]

GUIDELINES = """# Sentiment

Pick the **overall** feeling of the review.

- *positive*: the customer is happy
- `neutral`: no clear feeling

<script>window.pwned = true</script>
"""
EMOJI_TEXT = "🙂 Ada Lovelace met Charles Babbage in London."


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve_site(tmp_path_factory, "workspace") as served:
        yield served


# --- arranging data through the services -------------------------------------------------------


@dataclass
class World:
    """A worker with a login, and the projects they are on (by annotation type)."""

    email: str
    person_id: int
    projects: dict[str, int] = field(default_factory=dict)


def project_spec(
    annotation_type: str, label_schema: dict[str, Any], **settings: Any
) -> dict[str, Any]:
    return {"annotation_type": annotation_type, "label_schema": label_schema, **settings}


def arrange(site: Site, specs: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> World:
    """A client with one live project per spec (with its tasks), and a worker on all of them."""
    with site.sessions() as session:
        factory = Factory(session=session, app=site.app, embedder=site.embedder)
        client = factory.org(OrgKind.client)
        user, person = factory.worker_user()
        world = World(email=user.email, person_id=person.id)
        for spec, rows in specs:
            data = {
                "client_id": client.id,
                "name": unique(f"{spec['annotation_type']} project "),
                "status": "live",
                "guidelines": GUIDELINES,
                **spec,
            }
            project = projects.do_create_project(
                session=session, actor=ACTOR, data=ProjectCreate(**data)
            )
            projects.do_add_member(
                session=session,
                actor=ACTOR,
                project_id=project.id,
                data=MemberCreate(person_id=person.id),
            )
            report = ingest.do_ingest(
                session=session,
                actor=ACTOR,
                project=project,
                schema=projects.label_schema(session=session, project=project),
                rows=rows,
                now=utcnow(),
            )
            assert not report.refused, report.refused
            world.projects[str(spec["annotation_type"])] = project.id
        return world


def rows(*datas: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"external_id": unique("t"), "data": data} for data in datas]


def stored(site: Site, person_id: int) -> list[Assignment]:
    """The worker's assignments, oldest first."""
    with site.sessions() as session:
        return list(
            session.scalars(
                select(Assignment).where(Assignment.person_id == person_id).order_by(Assignment.id)
            )
        )


# --- driving the page -------------------------------------------------------------------------


def log_in(page: Page, email: str, landing: str = "/work") -> None:
    page.goto(f"/login?next={quote(landing)}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(re.escape(landing) + "$"))


def next_task(page: Page) -> None:
    page.get_by_role("button", name="Get next task").click()
    expect(page.locator("#ws-task")).to_be_visible()


def alert(page: Page) -> Any:
    return page.get_by_role("alert")


def select_text(page: Page, needle: str) -> None:
    """Drag the mouse over ``needle`` in the span text, as a person selects with the mouse."""
    box = page.evaluate(
        """(needle) => {
          const root = document.querySelector('.ws-spantext');
          const whole = root.textContent;
          const at = whole.indexOf(needle);
          const point = (offset) => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            let seen = 0, node;
            while ((node = walker.nextNode())) {
              if (seen + node.length > offset) return [node, offset - seen];
              seen += node.length;
            }
          };
          const rect = (from, to) => {
            const range = document.createRange();
            range.setStart(...point(from));
            range.setEnd(...point(to));
            return range.getClientRects()[0];
          };
          const first = rect(at, at + 1), last = rect(at + needle.length - 1, at + needle.length);
          return {x1: first.left + 1, y1: first.top + first.height / 2,
                  x2: last.right - 1, y2: last.top + last.height / 2};
        }""",
        needle,
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, box["y2"], steps=3)
    page.mouse.move(box["x2"], box["y2"], steps=3)
    page.mouse.up()
    assert page.evaluate("String(window.getSelection())") == needle


def cp_span(text: str, needle: str, label: str) -> dict[str, Any]:
    """The span of ``needle`` in code points (Python's str indexes), as the API stores it."""
    start = text.index(needle)
    return {"start": start, "end": start + len(needle), "label": label}


# --- the main path ---------------------------------------------------------------------------


def test_worker_labels_single_label_by_keyboard_and_spans_by_mouse(page: Page, site: Site) -> None:
    world = arrange(
        site,
        [
            (
                project_spec(
                    "single_label", {"labels": ["positive", "neutral", "negative"]}, priority=5
                ),
                rows({"text": "Great blender, works well."}, {"text": "It arrived."}),
            ),
            (
                project_spec("spans", {"labels": ["PERSON", "PLACE"]}, guidelines="# Entities"),
                rows({"text": EMOJI_TEXT}),
            ),
        ],
    )
    log_in(page, world.email, landing="/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workspace").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workspace")
    expect(page.locator("#my-work")).to_contain_text("No work yet")

    next_task(page)
    # project, guideline version and the guideline Markdown, rendered with its HTML escaped
    expect(page.locator("#ws-project")).to_have_text(re.compile("^single_label project"))
    expect(page.locator("#ws-guide-version")).to_have_text("version 1")
    guide = page.locator("#ws-guide-body")
    expect(guide.locator("h3")).to_have_text("Sentiment")
    expect(guide.locator("strong")).to_have_text("overall")
    expect(guide.locator("li em")).to_have_text("positive")
    expect(guide.locator("li code")).to_have_text("neutral")
    expect(guide).to_contain_text("<script>window.pwned = true</script>")
    assert page.evaluate("window.pwned") is None
    expect(page.locator("#ws-lease")).not_to_be_empty()
    expect(page.locator(".ws-text")).to_have_text("Great blender, works well.")

    # keyboard only: the widget has focus, a number key picks the label, Enter submits
    expect(page.get_by_role("radio", name="positive")).to_be_focused()
    page.keyboard.press("Enter")  # nothing picked yet: refused in the alert region, not sent
    expect(alert(page)).to_contain_text("Pick a label first")
    page.keyboard.press("1")
    expect(page.get_by_role("radio", name="positive")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.locator(".ws-text")).to_have_text("It arrived.")  # the next task came by itself
    expect(page.get_by_role("radio", name="positive")).to_be_focused()
    page.keyboard.press("2")
    page.keyboard.press("Enter")

    # spans: select with the mouse and press a label key; click a label; keyboard selection
    text_box = page.get_by_role("textbox", name="Text to mark")
    expect(text_box).to_have_text(EMOJI_TEXT)
    expect(page.locator("#ws-project")).to_have_text(re.compile("^spans project"))
    expect(page.locator("#ws-guide-body h3")).to_have_text("Entities")
    select_text(page, "Ada Lovelace")
    page.keyboard.press("1")
    expect(page.locator(".ws-list li")).to_have_count(1)
    expect(page.locator("mark.ws-mark")).to_have_text("Ada Lovelace")
    select_text(page, "Charles Babbage")
    page.get_by_role("button", name="PERSON", exact=True).click()
    select_text(page, "met")
    page.keyboard.press("2")
    page.get_by_role("button", name="Remove PLACE “met”").click()
    text_box.focus()
    page.keyboard.press("End")  # the last token, "."
    page.keyboard.press("ArrowLeft")  # "London"
    expect(page.get_by_role("status")).to_contain_text("“London”")
    page.keyboard.press("2")
    expect(page.locator(".ws-list li")).to_have_count(3)
    page.keyboard.press("Enter")

    # then there is no more work, and the page says why
    expect(page.locator("#ws-empty")).to_contain_text("No tasks are waiting for you right now")
    expect(page.locator("#ws-task")).to_be_hidden()
    expect(page.locator("#my-work-rows tr")).to_have_count(3)
    expect(page.locator("#my-work-rows tr").first).to_contain_text("submitted")

    done = stored(site, world.person_id)
    assert [a.value for a in done] == [
        "positive",
        "neutral",
        [
            cp_span(EMOJI_TEXT, "Ada Lovelace", "PERSON"),
            cp_span(EMOJI_TEXT, "Charles Babbage", "PERSON"),
            cp_span(EMOJI_TEXT, "London", "PLACE"),
        ],
    ]
    assert EMOJI_TEXT[2:14] == "Ada Lovelace"  # code points: the emoji counts as one
    assert all(a.state is AssignmentState.submitted for a in done)
    assert all(a.active_seconds is not None and a.active_seconds > 0 for a in done)
    assert all(a.schema_version == 1 and a.guideline_version == 1 for a in done)
    assert len({a.client_submission_id for a in done}) == 3
    assert [a.project_id for a in done] == [world.projects["single_label"]] * 2 + [
        world.projects["spans"]
    ]

    # "My work" is rendered by the server too, newest first
    page.reload()
    expect(page.locator("#my-work-rows tr")).to_have_count(3)
    expect(page.locator("#my-work-rows tr").first).to_contain_text("spans project")


# --- active time: the idle cut-off -------------------------------------------------------------

#: ``CREWLINE_IDLE_SECONDS`` for these tests, short so that they wait on nothing.
IDLE_SECONDS = 1


@pytest.fixture
def short_idle(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """The served app cuts active time off after one second without input (read per page)."""
    monkeypatch.setattr(site.app.state.settings, "idle_seconds", IDLE_SECONDS)


def open_task_on_a_paused_clock(page: Page, site: Site, idle_seconds: int = IDLE_SECONDS) -> int:
    """Stop the browser's clock, log a worker in and open a single-label task.

    The page's time (``performance.now``, timers) moves only when the test moves it, so what
    is counted does not depend on how fast this machine runs the browser. Returns the worker's
    person id.
    """
    world = arrange(
        site, [(project_spec("single_label", {"labels": ["yes", "no"]}), rows({"text": "Spam?"}))]
    )
    now = datetime.now(UTC)
    page.clock.install(time=now)
    page.clock.pause_at(now + timedelta(seconds=1))
    log_in(page, world.email)
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", str(idle_seconds))
    next_task(page)
    return world.person_id


def submit_yes(page: Page) -> None:
    page.get_by_role("radio", name="yes").click()
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#ws-empty")).to_be_visible()


def test_time_without_input_stops_counting_at_the_idle_cut_off(
    page: Page, site: Site, short_idle: None
) -> None:
    person_id = open_task_on_a_paused_clock(page, site)

    page.clock.fast_forward(3_000)  # focused and visible, but nobody touches anything

    expect(page.locator("#ws-active")).to_have_text("0:01")  # the clock on screen stopped
    submit_yes(page)  # the next input resumes counting; the submit itself takes no page time
    [done] = stored(site, person_id)
    assert done.active_seconds == pytest.approx(IDLE_SECONDS, abs=0.05)


#: Kinds of input: the DOM event each gives and how the test makes one (``step`` counts up).
INPUTS: dict[str, tuple[str, Callable[[Page, int], None]]] = {
    "mouse-move": ("mousemove", lambda page, step: page.mouse.move(40 + 10 * step, 300)),
    "key": ("keydown", lambda page, _step: page.keyboard.press("Shift")),
    "wheel": ("wheel", lambda page, _step: page.mouse.wheel(0, 5)),
}


def give_input(page: Page, kind: str, step: int) -> None:
    """Make one input and wait until the page has handled it.

    Chromium may hand passive wheel listeners their event after the input call returns; the
    test's listener, added after the workspace's, runs after it, so once it has fired the
    workspace has seen the input, before the test moves the clock on.
    """
    event, make = INPUTS[kind]
    page.evaluate(
        "(type) => { window.inputSeen = new Promise((seen) =>"
        " window.addEventListener(type, seen, {capture: true, once: true})); }",
        event,
    )
    make(page, step)
    page.evaluate("() => window.inputSeen.then(() => true)")


@pytest.mark.parametrize("kind", INPUTS)
def test_time_with_input_keeps_counting(
    page: Page, site: Site, short_idle: None, kind: str
) -> None:
    person_id = open_task_on_a_paused_clock(page, site)

    for step in range(6):  # three seconds, with input every half cut-off
        page.clock.fast_forward(500)
        give_input(page, kind, step)

    expect(page.locator("#ws-active")).to_have_text("0:03")
    submit_yes(page)
    [done] = stored(site, person_id)
    assert done.active_seconds == pytest.approx(3.0, abs=0.05)


# --- keeping the lease on a long task ----------------------------------------------------------


def watch_extensions(page: Page) -> list[str]:
    """The extend requests the page makes from now on."""
    seen: list[str] = []
    page.on(
        "request", lambda request: seen.append(request.url) if "/extend" in request.url else None
    )
    return seen


def test_a_present_worker_keeps_the_lease_past_its_half(page: Page, site: Site) -> None:
    person_id = open_task_on_a_paused_clock(page, site, idle_seconds=120)
    [held] = stored(site, person_id)
    shown = page.locator("#ws-lease").get_attribute("datetime")
    extensions = watch_extensions(page)

    for step in range(4):  # four minutes of a ten-minute lease, moving the mouse every minute
        page.clock.fast_forward(60_000)
        give_input(page, "mouse-move", step)
    assert extensions == []  # more than half the lease is left: nothing to ask for yet
    # Past the half of the lease as the server issued it (leasing on this machine may have
    # taken a few seconds of the server's clock while the page's stood still).
    page_now = datetime.fromtimestamp(page.evaluate("() => Date.now()") / 1000, UTC)
    to_half = (held.lease_expires_at - page_now).total_seconds() - 5 * 60
    with page.expect_response(lambda response: "/extend" in response.url) as answer:
        page.clock.fast_forward(max(1_000, round(to_half * 1000) + 1_000))
    assert answer.value.status == 200
    [kept] = stored(site, person_id)
    assert kept.lease_expires_at > held.lease_expires_at
    expect(page.locator("#ws-lease")).not_to_have_attribute("datetime", shown or "")

    for step in range(3):  # the page asks at most once a minute
        page.clock.fast_forward(20_000)
        give_input(page, "mouse-move", step)
    page.evaluate("() => fetch('/health')")  # a round trip, so any request asked for is seen
    assert len(extensions) <= 2


def test_an_absent_worker_lets_the_lease_run_out(page: Page, site: Site) -> None:
    person_id = open_task_on_a_paused_clock(page, site, idle_seconds=120)
    extensions = watch_extensions(page)

    page.clock.fast_forward(9 * 60_000)  # the tab stays open and focused, but nobody is there

    page.evaluate("() => fetch('/health')")
    assert extensions == []
    # The lease runs on the server's clock and the page's is paused, so what is left depends on
    # how long logging in and leasing took here: compare with the stored, unextended lease.
    lease = stored(site, person_id)[0].lease_expires_at
    page_now = datetime.fromtimestamp(page.evaluate("() => Date.now()") / 1000, UTC)
    left = math.ceil((lease - page_now).total_seconds() / 60)
    assert 1 <= left <= 2  # nine of the ten minutes are gone: the lease was never extended
    expect(page.locator("#ws-lease-left")).to_have_text(f"(in {left} min)")


# --- skip, give back, flag -------------------------------------------------------------------


def test_skip_with_a_reason_frees_the_task_and_brings_the_next(page: Page, site: Site) -> None:
    world = arrange(
        site,
        [(project_spec("likert", {"min": 1, "max": 5}), rows({"text": "one"}, {"text": "two"}))],
    )
    log_in(page, world.email)
    next_task(page)
    page.get_by_role("button", name="Skip…").click()
    reason = page.get_by_label("Why are you skipping it?")
    expect(reason).to_be_focused()
    reason.fill("The guidelines do not cover this case")
    reason.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("New task")
    expect(page.locator("#my-work-rows tr").first).to_contain_text("skipped")

    first = stored(site, world.person_id)[0]
    assert first.state is AssignmentState.skipped
    assert first.skip_reason == "The guidelines do not cover this case"
    with site.sessions() as session:
        task = session.get(Task, first.task_id)
        assert task is not None
        assert (task.open, task.leased_count, task.submitted_count) == (True, 0, 0)


def test_giving_a_task_back_leaves_no_task_open(page: Page, site: Site) -> None:
    world = arrange(site, [(project_spec("likert", {"min": 1, "max": 5}), rows({"text": "x"}))])
    log_in(page, world.email)
    next_task(page)
    task_id = page.locator("#ws-task-id").inner_text()
    page.reload()  # the lease held is resumed, not a new one taken
    expect(page.locator("#ws-task-id")).to_have_text(task_id)
    expect(page.locator("#my-work-rows tr")).to_contain_text("leased")
    page.get_by_role("button", name="Give back").click()
    expect(page.locator("#ws-empty")).to_contain_text("You gave the task back")
    expect(page.locator("#my-work-rows tr")).to_have_count(1)  # the leased row was replaced
    expect(page.locator("#my-work-rows tr")).to_contain_text("returned")
    assert [a.state for a in stored(site, world.person_id)] == [AssignmentState.returned]


def test_edge_case_and_question_land_in_the_reviewers_flag_queue(page: Page, site: Site) -> None:
    world = arrange(site, [(project_spec("likert", {"min": 1, "max": 5}), rows({"text": "x"}))])
    log_in(page, world.email)
    next_task(page)
    page.get_by_role("button", name="Flag or ask…").click()
    page.get_by_label("What should the reviewers know?").fill("Sarcasm: is it negative?")
    page.get_by_role("button", name="Send to reviewers").click()
    expect(page.get_by_role("status")).to_have_text("Edge case sent to the reviewers.")
    page.get_by_role("button", name="Flag or ask…").click()
    page.get_by_label("Guideline question").check()
    page.get_by_label("What should the reviewers know?").fill("Does 3 mean neutral?")
    page.get_by_role("button", name="Send to reviewers").click()
    expect(page.get_by_role("status")).to_have_text("Question sent to the reviewers.")

    with site.sessions() as session:
        flags = tasks.open_flags(session=session, project_id=world.projects["likert"])
        assert [(f.kind, f.body, f.guideline_version) for f in flags] == [
            (FlagKind.edge_case, "Sarcasm: is it negative?", 1),
            (FlagKind.question, "Does 3 mean neutral?", 1),
        ]
    assert stored(site, world.person_id)[0].state is AssignmentState.leased  # still theirs


def test_a_guideline_change_is_announced_and_recorded(page: Page, site: Site) -> None:
    world = arrange(
        site, [(project_spec("likert", {"min": 1, "max": 5}), rows({"text": "1"}, {"text": "2"}))]
    )
    log_in(page, world.email)
    next_task(page)
    with site.sessions() as session:
        projects.do_add_guideline_version(
            session=session,
            actor=ACTOR,
            project_id=world.projects["likert"],
            body="# Fluency\n\n3 means **understandable with effort**.",
        )
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("changed (v1 → v2)")
    expect(page.locator("#ws-guide-version")).to_have_text("version 2")
    expect(page.locator("#ws-guide-body strong")).to_have_text("understandable with effort")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    expect(page.locator("#ws-empty")).to_be_visible()
    assert [a.guideline_version for a in stored(site, world.person_id)] == [1, 2]


# --- no work, refusals, errors, retries ---------------------------------------------------------


def test_a_worker_on_no_project_sees_why_there_is_no_work(page: Page, site: Site) -> None:
    world = arrange(site, [])
    log_in(page, world.email)
    page.get_by_role("button", name="Get next task").click()
    expect(page.locator("#ws-empty")).to_contain_text("You are not on any live project.")
    expect(page.get_by_role("button", name="Get next task")).to_be_focused()


def test_a_worker_account_without_a_person_record_is_told_so(page: Page, site: Site) -> None:
    with site.sessions() as session:
        factory = Factory(session=session, app=site.app, embedder=site.embedder)
        user = factory.user(Role.worker)
    log_in(page, user.email)
    expect(page.locator("main")).to_contain_text("not linked to a worker profile")
    expect(page.get_by_role("button", name="Get next task")).to_have_count(0)


def test_non_workers_are_refused_the_workspace(page: Page, site: Site) -> None:
    with site.sessions() as session:
        factory = Factory(session=session, app=site.app, embedder=site.embedder)
        reviewer = factory.user(Role.reviewer)
    log_in(page, reviewer.email, landing="/account")
    response = page.goto("/work")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("403")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Workspace")).to_have_count(0)


def test_an_api_conflict_is_shown_in_the_alert_region(page: Page, site: Site) -> None:
    world = arrange(site, [(project_spec("likert", {"min": 1, "max": 5}), rows({"text": "x"}))])
    log_in(page, world.email)
    next_task(page)
    # the task is given back behind the page's back (another tab), then submitted here
    assignment_id = stored(site, world.person_id)[0].id
    csrf = page.locator("#workspace").get_attribute("data-csrf") or ""
    response = page.request.post(
        f"/api/v1/work/{assignment_id}/return", headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 200
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    expect(alert(page)).to_contain_text(f"assignment {assignment_id} is returned")
    expect(page.get_by_role("status")).to_contain_text("get the next task")


def test_a_refused_answer_names_the_field_in_the_alert_region(page: Page, site: Site) -> None:
    world = arrange(site, [(project_spec("likert", {"min": 1, "max": 5}), rows({"text": "x"}))])
    log_in(page, world.email)
    next_task(page)

    def tamper(route: Any) -> None:  # as if the page and the schema disagreed
        body = json.loads(route.request.post_data or "{}")
        route.continue_(post_data=json.dumps({**body, "value": 9}))

    page.route("**/api/v1/work/*/submit", tamper)
    page.keyboard.press("4")
    page.keyboard.press("Enter")
    expect(alert(page)).to_contain_text("Please fix this:")
    expect(alert(page)).to_contain_text("Your answer: 9 is not on the scale 1..5")
    expect(page.locator("#ws-task")).to_be_visible()  # the task stays, to be answered again
    assert stored(site, world.person_id)[0].state is AssignmentState.leased


def test_a_lost_submit_response_is_retried_with_the_same_submission_id(
    page: Page, site: Site
) -> None:
    world = arrange(
        site,
        [(project_spec("likert", {"min": 1, "max": 5}), rows({"text": "x"}, {"text": "y"}))],
    )
    log_in(page, world.email)
    next_task(page)
    sent: list[dict[str, Any]] = []

    def lose_first_response(route: Any) -> None:
        sent.append(json.loads(route.request.post_data or "{}"))
        if len(sent) == 1:
            route.fetch()  # the server stores the answer...
            route.abort("connectionreset")  # ...but the answer never reaches the page
        else:
            route.continue_()

    page.route("**/api/v1/work/*/submit", lose_first_response)
    page.keyboard.press("4")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("New task")
    assert len(sent) == 2
    assert sent[0]["client_submission_id"] == sent[1]["client_submission_id"]
    first = stored(site, world.person_id)[0]
    assert (first.state, first.value) == (AssignmentState.submitted, 4)
    assert first.client_submission_id == sent[0]["client_submission_id"]


# --- the other widgets --------------------------------------------------------------------------

IMAGE = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600">'
    '<rect width="800" height="600" fill="#9bc"/><rect x="200" y="150" width="200" height="150"'
    ' fill="#c33"/></svg>'
)


def test_multi_label_toggles_by_key_and_honours_the_maximum(page: Page, site: Site) -> None:
    labels = {"labels": ["sports", "politics", "science", "arts"], "min_selected": 1}
    world = arrange(
        site,
        [(project_spec("multi_label", {**labels, "max_selected": 2}), rows({"text": "News"}))],
    )
    log_in(page, world.email)
    next_task(page)
    page.keyboard.press("Enter")
    expect(alert(page)).to_contain_text("Select at least 1 label")
    for key in ("1", "3", "2"):
        page.keyboard.press(key)
    expect(alert(page)).to_contain_text("at most 2")
    expect(page.get_by_role("checkbox", name="politics")).not_to_be_checked()
    page.keyboard.press("1")  # toggles sports off again
    page.get_by_role("checkbox", name="arts").check()
    page.keyboard.press("Enter")
    expect(page.locator("#ws-empty")).to_be_visible()
    assert stored(site, world.person_id)[0].value == ["science", "arts"]


def test_boxes_are_drawn_with_the_mouse_and_stored_in_image_pixels(page: Page, site: Site) -> None:
    world = arrange(
        site,
        [
            (
                project_spec("boxes", {"labels": ["car", "person"], "min_size": 4}),
                rows({"image_url": IMAGE, "width": 800, "height": 600}),
            )
        ],
    )
    log_in(page, world.email)
    next_task(page)
    corners = page.evaluate(
        """() => {
          const svg = document.querySelector('.ws-canvas');
          const m = svg.getScreenCTM();
          const at = (x, y) => new DOMPoint(x, y).matrixTransform(m);
          const a = at(200, 150), b = at(400, 300);
          return [a.x, a.y, b.x, b.y];
        }"""
    )
    page.mouse.move(corners[0], corners[1])
    page.mouse.down()
    page.mouse.move(corners[2], corners[3], steps=5)
    page.mouse.up()
    page.keyboard.press("Enter")
    expect(alert(page)).to_contain_text("Give the new box a label")
    page.keyboard.press("1")
    expect(page.locator(".ws-list li")).to_have_count(1)
    # the typed fallback adds a second box
    page.get_by_text("Add a box by typing its coordinates").click()
    for name, value in (("Left", "10"), ("Top", "20"), ("Width", "30"), ("Height", "40")):
        page.get_by_label(name).fill(value)
    page.get_by_label("Label", exact=True).select_option("person")
    page.get_by_role("button", name="Add box").click()
    expect(page.locator(".ws-list li")).to_have_count(2)
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#ws-empty")).to_be_visible()

    value = stored(site, world.person_id)[0].value
    assert value[0] == {"x": 10.0, "y": 20.0, "w": 30.0, "h": 40.0, "label": "person"}
    car = value[1]
    assert car["label"] == "car"
    for key, expected in (("x", 200), ("y", 150), ("w", 200), ("h", 150)):
        assert abs(car[key] - expected) <= 2, (key, car)


def test_pairwise_by_keys_with_a_required_reason(page: Page, site: Site) -> None:
    schema = {"allow_tie": False, "reason_required": True, "dimensions": ["helpful", "safe"]}
    world = arrange(
        site,
        [
            (
                project_spec("pairwise", schema),
                rows({"prompt": "Say hi", "response_a": "Hello.", "response_b": "Hi there!"}),
            )
        ],
    )
    log_in(page, world.email)
    next_task(page)
    expect(page.get_by_role("radio", name="Tie")).to_have_count(0)
    page.keyboard.press("b")
    expect(page.get_by_role("radio", name="B is better").first).to_be_checked()
    page.keyboard.press("Enter")
    expect(alert(page)).to_contain_text("Say why")
    page.get_by_role("group", name="helpful").get_by_label("B is better").check()
    page.get_by_label("Why? (required)").fill("Friendlier and just as correct.")
    page.keyboard.press("Control+Enter")
    expect(alert(page)).to_contain_text("Answer every dimension, or none")
    page.get_by_role("group", name="safe").get_by_label("A is better").check()
    page.keyboard.press("Control+Enter")
    expect(page.locator("#ws-empty")).to_be_visible()
    assert stored(site, world.person_id)[0].value == {
        "choice": "b",
        "reason": "Friendlier and just as correct.",
        "dimensions": {"helpful": "b", "safe": "a"},
    }


def test_ranking_reorders_with_keys_and_buttons(page: Page, site: Site) -> None:
    responses = [{"id": rid, "text": f"Answer {rid}"} for rid in ("r1", "r2", "r3")]
    world = arrange(
        site,
        [(project_spec("ranking", {}), rows({"prompt": "Rank them", "responses": responses}))],
    )
    log_in(page, world.email)
    next_task(page)
    expect(page.locator(".ws-rank li").first).to_be_focused()
    page.keyboard.press("ArrowDown")  # r1 down: r2 r1 r3
    page.keyboard.press("3")  # select r3
    page.keyboard.press("ArrowUp")  # r2 r3 r1
    page.get_by_role("button", name="Move response r2 down").click()  # r3 r2 r1
    assert page.locator(".ws-rank li").evaluate_all("els => els.map(e => e.dataset.id)") == [
        "r3",
        "r2",
        "r1",
    ]
    page.keyboard.press("Enter")
    expect(page.locator("#ws-empty")).to_be_visible()
    assert stored(site, world.person_id)[0].value == ["r3", "r2", "r1"]


def test_free_text_shows_the_media_and_submits_with_ctrl_enter(page: Page, site: Site) -> None:
    world = arrange(
        site,
        [
            (
                project_spec("free_text", {"min_length": 5, "max_length": 200}),
                rows(
                    {
                        "text": "teh cat sat",
                        "audio_url": "data:audio/wav;base64,",
                        "image_url": IMAGE,
                    }
                ),
            )
        ],
    )
    log_in(page, world.email)
    next_task(page)
    expect(page.locator("audio[controls]")).to_have_count(1)
    expect(page.get_by_role("img", name="Task image")).to_be_visible()
    expect(page.get_by_role("group", name="Source text")).to_have_text("teh cat sat")
    answer = page.get_by_label("Your answer")
    expect(answer).to_be_focused()
    page.keyboard.type("Hi")
    page.keyboard.press("Control+Enter")
    expect(alert(page)).to_contain_text("at least 5 characters")
    answer.fill("  The cat sat.\n")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#ws-empty")).to_be_visible()
    assert stored(site, world.person_id)[0].value == "The cat sat."


def test_likert_points_are_picked_by_number(page: Page, site: Site) -> None:
    schema = {"min": 1, "max": 5, "labels": {"1": "Poor", "5": "Great"}, "question": "How fluent?"}
    world = arrange(site, [(project_spec("likert", schema), rows({"text": "Bonjour"}))])
    log_in(page, world.email)
    next_task(page)
    expect(page.get_by_role("group", name="How fluent?")).to_be_visible()
    expect(page.get_by_role("radio", name="5 Great")).to_be_visible()
    page.keyboard.press("4")
    page.keyboard.press("Enter")
    expect(page.locator("#ws-empty")).to_be_visible()
    assert stored(site, world.person_id)[0].value == 4


# --- accessibility -------------------------------------------------------------------------------

UNLABELLED = """
() => [...document.querySelectorAll("input, select, textarea, button, [tabindex]")]
  .filter((el) => el.type !== "hidden" && el.tabIndex >= 0 && el.offsetParent !== null)
  .filter((el) => {
    const labels = el.labels ? [...el.labels].map((l) => l.textContent).join("") : "";
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    const named = ids.map((id) => document.getElementById(id)?.textContent || "").join("");
    const own = ["BUTTON", "SUMMARY"].includes(el.tagName) ? el.textContent : "";
    return !(labels + named + own + (el.getAttribute("aria-label") || "")).trim();
  })
  .map((el) => el.outerHTML.slice(0, 80))
"""


@pytest.mark.parametrize(
    ("annotation_type", "schema", "data"),
    [
        ("spans", {"labels": ["A", "B"]}, {"text": "Some text"}),
        ("boxes", {"labels": ["A", "B"]}, {"image_url": IMAGE, "width": 800, "height": 600}),
        (
            "pairwise",
            {"dimensions": ["x"]},
            {"prompt": "p", "response_a": "a", "response_b": "b"},
        ),
    ],
)
def test_every_control_is_labelled_and_focus_is_visible(
    page: Page, site: Site, annotation_type: str, schema: dict[str, Any], data: dict[str, Any]
) -> None:
    world = arrange(site, [(project_spec(annotation_type, schema), rows(data))])
    log_in(page, world.email)
    next_task(page)
    page.get_by_role("button", name="Skip…").click()
    page.get_by_role("button", name="Cancel").click()
    assert page.evaluate(UNLABELLED) == []
    assert page.locator("h1").count() == 1
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
