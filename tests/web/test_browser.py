"""The pages that matter, driven in a real Chromium against a real server.

One module-scoped fixture builds the full-size demo organization (720 pool members) into its
own SQLite file and serves it with uvicorn on a free port in a background thread; every test
opens a fresh browser context on it and logs in through the login form with the keyboard, as a
person would. The browser is Debian's ``/usr/bin/chromium`` (``apt-get install chromium``;
``.ci/run`` installs it). Deselect these tests with ``-m "not browser"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    Playwright,
    StorageState,
    expect,
    sync_playwright,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crewline import migrate
from crewline.app import create_app
from crewline.auth.roles import Role
from crewline.auth.security import make_hasher
from crewline.config import Settings
from crewline.db import make_engine, make_sessionmaker
from crewline.demo import generator
from crewline.demo.live import CHROMIUM, CHROMIUM_ARGS, live_server
from crewline.people.embedding import WordLlamaEmbedder
from crewline.people.models import Person, Worker, WorkerStatus
from crewline.projects.models import ProjectMember

pytestmark = [pytest.mark.browser, pytest.mark.own_sqlite]

OPS_EMAIL = next(email for role, email in generator.DEMO_LOGINS if role is Role.ops_manager)
WORKER_EMAIL = generator.WORKER_EMAIL
TIMEOUT_MS = 10_000
PAGER = re.compile(r"(\d+)\u2013(\d+) of (\d+) people")  # "1-50 of 720", en dash


@dataclass(frozen=True)
class Demo:
    """The served demo: its address and sessions on its database (for picking test subjects)."""

    url: str
    sessions: sessionmaker[Session]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The full-size demo organization (with a small hiring pipeline), served for this module."""
    root = tmp_path_factory.mktemp("browser-demo")
    engine = make_engine(f"sqlite:///{(root / 'demo.db').as_posix()}")
    try:
        migrate.upgrade(engine)
        sessions = make_sessionmaker(engine)
        embedder = WordLlamaEmbedder()
        with sessions() as session:
            generator.build(
                session=session,
                embedder=embedder,
                hasher=make_hasher(time_cost=1, memory_kib=8),
                seed=7,
                scale=1.0,
                # The pages tested here are the pool's; the hiring pipeline has its own tests.
                hiring_scale=0.05,
            )
        settings = Settings(
            env="test",
            data_dir=root,
            secret_key="browser-test-secret-key",
            argon2_time_cost=1,
            argon2_memory_kib=8,
        )
        app = create_app(settings, session_factory=sessions, embedder=embedder)
        with live_server(app) as url:
            yield Demo(url=url, sessions=sessions)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get install chromium`, or deselect with -m 'not browser'"
        )
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    """A fresh browser context (no cookies) with relative URLs resolved against the server."""
    context = browser.new_context(base_url=demo.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def log_in(page: Page, email: str, landing: str = "/") -> None:
    """Log in through the form with the keyboard only (type, Tab, type, Enter); the form then
    goes on to ``landing``, as it does after a deep link sent an anonymous visitor to it."""
    page.goto("/login" if landing == "/" else f"/login?next={quote(landing)}")
    expect(page.locator("#email")).to_be_focused()  # autofocus: no click needed
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(generator.DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: urlsplit(url).path == landing)


@pytest.fixture(scope="module")
def ops_login(browser: Browser, demo: Demo) -> StorageState:
    """The cookies of one operations-manager login, shared by the tests that only read pages."""
    context = browser.new_context(base_url=demo.url)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        log_in(context.new_page(), OPS_EMAIL, landing="/people")
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def ops(browser: Browser, demo: Demo, ops_login: StorageState) -> Iterator[Page]:
    """A fresh context already logged in as the operations manager."""
    context = browser.new_context(
        base_url=demo.url, viewport={"width": 1280, "height": 900}, storage_state=ops_login
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def pager(page: Page) -> tuple[int, int, int]:
    """(first row, last row, total) from the pager text, e.g. (1, 50, 720)."""
    text = page.locator("nav.pager").inner_text()
    match = PAGER.search(text)
    assert match, f"unexpected pager text: {text!r}"
    first, last, total = (int(g) for g in match.groups())
    return first, last, total


def column(page: Page, index: int) -> list[str]:
    """The text of one column (1-based) of the main data table, row by row."""
    return page.locator(f"table.data tbody tr td:nth-child({index})").all_inner_texts()


def names(page: Page) -> list[str]:
    return column(page, 1)


def header(page: Page, label: str) -> Locator:
    return page.locator("thead th", has_text=label)


# --- logging in and the Operations home --------------------------------------------------


def test_ops_manager_logs_in_with_the_keyboard_and_sees_charts(page: Page, demo: Demo) -> None:
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Crewline")
    log_in(page, OPS_EMAIL)

    expect(page).to_have_url(f"{demo.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Operations")
    expect(page.locator(".who")).to_contain_text("Operations manager")
    for chart in ("#chart-region", "#chart-tier"):
        expect(page.locator(f"{chart} svg.main-svg").first).to_be_attached()
        expect(page.locator(f"{chart} .bars path").first).to_be_attached()  # bars were drawn
    scripts = page.locator("script[src]").evaluate_all("els => els.map(e => e.src)")
    assert f"{demo.url}/static/plotly.min.js" in scripts
    assert page.evaluate("typeof Plotly") == "object"
    outside = [url for url in requests if not url.startswith(demo.url)]
    assert outside == [], f"the page fetched from elsewhere (a CDN?): {outside}"
    assert errors == []
    active = int(
        page.locator(".stat", has_text="Active workers").locator(".stat-value").inner_text()
    )
    assert active >= 600


def test_wrong_password_stays_on_the_login_page_with_an_alert(page: Page) -> None:
    page.goto("/login")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(OPS_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type("not the password")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.locator("#email")).to_have_value(OPS_EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Crewline")


# --- the worker list -----------------------------------------------------------------------


@pytest.fixture
def people_page(ops: Page) -> Page:
    """Logged in as the operations manager, on the worker list reached from the header."""
    page = ops
    page.goto("/account")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Workers").click()
    expect(page).to_have_url(re.compile(r"/people$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Worker pool")
    return page


def test_worker_list_shows_the_whole_pool_fifty_at_a_time(people_page: Page) -> None:
    page = people_page
    first, last, total = pager(page)
    assert total >= 600, f"the demo pool should list 600+ people, the pager says {total}"
    assert (first, last) == (1, 50)
    assert len(names(page)) == 50
    expect(page.locator("nav.pager")).to_contain_text(f"Page 1 of {-(-total // 50)}")
    expect(page.locator('nav[aria-label="Main"] a[aria-current="page"]')).to_have_text("Workers")


def test_searching_by_name_narrows_the_list(people_page: Page) -> None:
    page = people_page
    total = pager(page)[2]
    wanted = names(page)[2]
    search = page.get_by_role("searchbox", name="Search")
    search.fill(wanted)
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q="))
    found = pager(page)[2]
    assert 1 <= found < total
    assert wanted in names(page)
    expect(search).to_have_value(wanted)


def test_region_filter_applies(people_page: Page) -> None:
    page = people_page
    total = pager(page)[2]
    page.get_by_label("Region").select_option("SEA")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]region=SEA(&|$)"))
    in_region = pager(page)[2]
    assert 0 < in_region < total
    assert set(column(page, 3)) == {"SEA"}
    expect(page.get_by_label("Region")).to_have_value("SEA")
    page.get_by_role("link", name="Clear").click()
    assert pager(page)[2] == total


def test_clicking_a_column_header_sorts_and_sets_aria_sort(people_page: Page) -> None:
    page = people_page
    by_name = names(page)
    expect(header(page, "Name")).to_have_attribute("aria-sort", "ascending")
    expect(header(page, "Hours / week")).to_have_attribute("aria-sort", "none")

    header(page, "Hours / week").get_by_role("link").click()
    expect(header(page, "Hours / week")).to_have_attribute("aria-sort", "ascending")
    expect(header(page, "Name")).to_have_attribute("aria-sort", "none")
    hours = [int(h) for h in column(page, 8)]
    assert hours == sorted(hours)
    assert names(page) != by_name

    header(page, "Hours / week").get_by_role("link").click()
    expect(header(page, "Hours / week")).to_have_attribute("aria-sort", "descending")
    descending = [int(h) for h in column(page, 8)]
    assert descending == sorted(descending, reverse=True)
    assert descending[0] > hours[0]


def test_next_page_shows_the_following_fifty(people_page: Page) -> None:
    page = people_page
    page_one = names(page)
    page.get_by_role("link", name=re.compile(r"^Next\b")).click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    assert pager(page)[:2] == (51, 100)
    expect(page.locator("nav.pager")).to_contain_text("Page 2 of")
    page_two = names(page)
    assert len(page_two) == 50
    assert not set(page_one) & set(page_two)
    page.get_by_role("link", name=re.compile(r"\bPrevious$")).click()
    assert names(page) == page_one


def test_opening_a_person_from_the_list(people_page: Page) -> None:
    page = people_page
    link = page.locator("table.data tbody tr td:first-child a").nth(4)
    name = link.inner_text()
    link.click()
    expect(page).to_have_url(re.compile(r"/people/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


# --- the person page -----------------------------------------------------------------------


def _person_with_projects(demo: Demo) -> tuple[int, str, str]:
    """An active pool member who worked on a project: (id, name, one project's name)."""
    with demo.sessions() as session:
        member = session.scalars(
            select(ProjectMember)
            .join(Worker, Worker.person_id == ProjectMember.person_id)
            .where(Worker.status == WorkerStatus.active)
            .order_by(ProjectMember.id)
            .limit(1)
        ).one()
        person = session.get(Person, member.person_id)
        assert person is not None
        return person.id, person.full_name, member.project.name


def _person_without_projects(demo: Demo) -> int:
    with demo.sessions() as session:
        has_projects = select(ProjectMember.person_id)
        return session.scalars(
            select(func.min(Worker.person_id)).where(Worker.person_id.not_in(has_projects))
        ).one()


def test_person_page_shows_languages_skills_pool_card_and_project_history(
    ops: Page, demo: Demo
) -> None:
    page = ops
    person_id, name, project = _person_with_projects(demo)
    page.goto(f"/people/{person_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

    profile = page.locator("section.card", has=page.get_by_role("heading", name="Profile"))
    languages = profile.locator("dt:text-is('Languages') + dd .tag")
    assert languages.count() >= 1
    assert all(re.search(r"\b(A1|A2|B1|B2|C1|C2)\b", t) for t in languages.all_inner_texts()), (
        languages.all_inner_texts()
    )
    assert profile.locator("dt:text-is('Skills') + dd .tag").count() >= 1

    pool = page.locator("section.card", has=page.get_by_role("heading", name="Worker pool"))
    for fact in ("Tier", "Status", "Availability", "Joined the pool"):
        expect(pool.locator(f"dt:text-is('{fact}')")).to_be_visible()
    expect(pool.locator("dt:text-is('Status') + dd")).to_contain_text("active")
    expect(pool.get_by_role("button", name="Save")).to_be_visible()  # ops managers may edit

    history = page.locator(
        "section.card", has=page.get_by_role("heading", name="Project history", exact=True)
    )
    expect(history.locator("table tbody tr").first).to_be_visible()
    expect(history).to_contain_text(project)


def test_person_page_without_projects_says_so(ops: Page, demo: Demo) -> None:
    page = ops
    page.goto(f"/people/{_person_without_projects(demo)}")
    history = page.locator(
        "section.card", has=page.get_by_role("heading", name="Project history", exact=True)
    )
    expect(history).to_contain_text("No project work yet")


# --- find people like a requirement ------------------------------------------------------


def test_find_people_ranks_medical_radiology_profiles_first(ops: Page) -> None:
    page = ops
    page.goto("/people")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Find people").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find people like this requirement")
    page.get_by_label("Requirement").fill("radiology nurse medical reports")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"requirement=radiology"))
    expect(page.locator("table.data caption")).to_have_text("20 best matches")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 20
    for rank in range(5):
        skills = rows.nth(rank).locator("td:last-child .tag").all_inner_texts()
        assert {"medical", "radiology"} & set(skills), (rank, skills)
    scores = [
        float(s)
        for s in page.locator("table.data tbody meter").evaluate_all("els => els.map(e => e.value)")
    ]
    assert scores == sorted(scores, reverse=True)


# --- a worker --------------------------------------------------------------------------------


def test_worker_sees_their_home_is_refused_the_list_and_reaches_their_page(page: Page) -> None:
    log_in(page, WORKER_EMAIL)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"^Hello, \S+"))
    expect(page.get_by_role("heading", name="Your status")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Workers")).to_have_count(0)
    first_name = heading.inner_text().removeprefix("Hello, ")

    refused = page.goto("/people")
    assert refused is not None and refused.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text("403")
    expect(page.locator("table.data")).to_have_count(0)

    page.goto("/")
    nav.get_by_role("link", name="My profile").click()
    expect(page).to_have_url(re.compile(r"/people/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(rf"^{first_name}\b"))
    expect(page.get_by_role("button", name="Save")).to_have_count(0)  # no editing one's own tier
    own_id = int(page.url.rsplit("/", 1)[1])
    other = page.goto(f"/people/{own_id + 1}")
    assert other is not None and other.status == 404  # another person is as if absent


# --- logging out -----------------------------------------------------------------------------


def test_logging_out_returns_to_the_login_page(page: Page, demo: Demo) -> None:
    log_in(page, OPS_EMAIL, landing="/account")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Crewline")
    page.goto("/")
    expect(page).to_have_url(f"{demo.url}/login?next=/")
    page.goto("/people")
    expect(page).to_have_url(re.compile(r"/login\?next=/people$"))


# --- accessibility basics --------------------------------------------------------------------

A11Y_PROBLEMS = """
() => {
  const problems = [];
  const name = (el) => {
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    const labelled = ids.map((id) => document.getElementById(id)?.textContent || "").join(" ");
    return (el.getAttribute("aria-label") || labelled || "").trim();
  };
  if (!document.documentElement.lang) problems.push("<html> has no lang");
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(`${h1} h1 elements`);
  if (!document.title.trim()) problems.push("no <title>");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const label = [...el.labels].map((l) => l.textContent).join(" ").trim();
    if (!label && !name(el) && !(el.title || "").trim()) {
      problems.push(`unlabelled ${el.tagName.toLowerCase()} name=${el.name}`);
    }
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt")) problems.push(`img without alt: ${el.src}`);
  }
  for (const el of document.querySelectorAll("[role=img], .chart-area")) {
    if (el.getAttribute("role") !== "img") problems.push(`chart ${el.id} has no role=img`);
    if (!name(el)) problems.push(`image ${el.id} has no accessible name`);
  }
  for (const el of document.querySelectorAll("a[href], button")) {
    if (!el.textContent.trim() && !name(el)) problems.push(`unnamed ${el.outerHTML}`);
  }
  const focusable = [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]"
  )].filter((el) => el.tabIndex >= 0 && !el.disabled);
  if (!focusable.length || !focusable[0].classList.contains("skip-link")) {
    problems.push(`first focusable is ${focusable[0]?.outerHTML}, not the skip link`);
  }
  for (const el of focusable) {
    if (el.tabIndex > 0) problems.push(`positive tabindex: ${el.outerHTML}`);
  }
  const skip = document.querySelector("a.skip-link");
  const target = skip && document.querySelector(skip.getAttribute("href"));
  if (!target || target.tagName !== "MAIN") problems.push("the skip link does not lead to <main>");
  for (const table of document.querySelectorAll("table")) {
    for (const th of table.querySelectorAll("thead th")) {
      if (th.getAttribute("scope") !== "col") problems.push("a column header without scope=col");
    }
  }
  return problems;
}
"""


def assert_accessible_basics(page: Page, *, tab_to_skip_link: bool = True) -> None:
    problems = page.evaluate(A11Y_PROBLEMS)
    assert problems == [], f"{page.url}: {problems}"
    if tab_to_skip_link:
        page.keyboard.press("Tab")
        skip = page.locator("a.skip-link")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box is not None and box["x"] >= 0 and box["y"] >= 0, "skip link stays off-screen"
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()


def test_main_pages_meet_accessibility_basics(page: Page, demo: Demo) -> None:
    page.goto("/login")
    assert_accessible_basics(page, tab_to_skip_link=False)  # autofocus starts on the email field
    log_in(page, OPS_EMAIL)
    page.wait_for_selector("#chart-region svg")
    assert_accessible_basics(page)
    for path in ("/people", "/people?region=EU&sort=availability&dir=desc&page=2", "/people/1"):
        page.goto(path)
        assert_accessible_basics(page)
    page.goto("/people/similar?requirement=Spanish+speaking+legal+reviewers")
    assert_accessible_basics(page)


def test_worker_pages_meet_accessibility_basics(page: Page) -> None:
    log_in(page, WORKER_EMAIL)
    assert_accessible_basics(page)
    page.goto("/me")
    assert_accessible_basics(page)
    page.goto("/people")
    assert_accessible_basics(page)  # the 403 page too


# --- keyboard focus, error pages and small screens ---------------------------------------------

FOCUSABLE_INSIDE = """
(selector) => [...document.querySelectorAll(selector)].flatMap((el) =>
  [...el.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")]
    .filter((child) => child.tabIndex >= 0)
    .map((child) => `${el.id}: ${child.getAttribute("aria-label") || child.outerHTML.slice(0, 60)}`)
)
"""


def test_charts_put_no_hidden_buttons_in_the_tab_order(ops: Page) -> None:
    page = ops
    page.goto("/")
    expect(page.locator("#chart-region .bars path").first).to_be_attached()
    assert page.evaluate(FOCUSABLE_INSIDE, "[role=img]") == []


def test_error_pages_keep_the_navigation_of_a_logged_in_user(page: Page) -> None:
    log_in(page, WORKER_EMAIL, landing="/people")  # the login goes on to a page they may not see
    expect(page.get_by_role("heading", level=1)).to_contain_text("403")
    # the page has loaded: no need to wait for the header to appear
    expect(page.get_by_role("navigation", name="Main")).to_be_visible(timeout=500)
    expect(page.get_by_role("button", name="Log out")).to_be_visible(timeout=500)


def test_pages_fit_a_phone_screen_without_sideways_scrolling(
    browser: Browser, demo: Demo, ops_login: StorageState
) -> None:
    context = browser.new_context(
        base_url=demo.url, viewport={"width": 390, "height": 844}, storage_state=ops_login
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        too_wide = {}
        for path in ("/people", "/people/1", "/people/similar?requirement=medical+reviewers"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                too_wide[path] = width
        assert too_wide == {}
    finally:
        context.close()
