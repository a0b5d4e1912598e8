"""Take the documentation screenshots from a freshly built demo organization.

    .venv/bin/python scripts/screenshots.py [--out docs/images]

Builds the full demo (seed 7) into a temporary SQLite file, serves it on a free local port,
logs in as the operations manager in headless Chromium (Debian's ``/usr/bin/chromium``;
``apt-get install chromium``) and saves:

- ``workers.png``  the worker list (1400x900 viewport, as README.md shows it)
- ``person.png``   the page of an active pool member with project history
- ``home-ops.png`` the Operations home page with its charts
- ``hiring-funnel.png`` the hiring funnel analytics of the 13,000-candidate pipeline

The same seed builds the same people, so the pictures change only when the pages do (and
for the build's own timestamps in the person page's change history).
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, ViewportSize, expect, sync_playwright
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
from crewline.people.models import Worker, WorkerStatus
from crewline.projects.models import ProjectMember

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}
SEED = 7


def build_demo(path: Path, embedder: WordLlamaEmbedder) -> sessionmaker[Session]:
    """The full-size demo organization in a new SQLite file."""
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    migrate.upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        summary = generator.build(
            session=session,
            embedder=embedder,
            hasher=make_hasher(time_cost=1, memory_kib=8),
            seed=SEED,
        )
    print(f"built the demo in {summary.seconds:.1f} s: {summary.describe()}")
    return sessions


def showcase_person(sessions: sessionmaker[Session]) -> int:
    """The active pool member with the longest project history (lowest id on a tie)."""
    with sessions() as session:
        periods = func.count(ProjectMember.id)
        person_id = session.scalars(
            select(ProjectMember.person_id)
            .join(Worker, Worker.person_id == ProjectMember.person_id)
            .where(Worker.status == WorkerStatus.active)
            .group_by(ProjectMember.person_id)
            .order_by(periods.desc(), ProjectMember.person_id)
            .limit(1)
        ).first()
        if person_id is None:  # a demo without projects: any active pool member
            person_id = session.scalars(
                select(func.min(Worker.person_id)).where(Worker.status == WorkerStatus.active)
            ).one()
        return int(person_id)


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(generator.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")  # the home page


def settle(page: Page) -> None:
    """Wait until fonts are loaded and nothing is animating, then drop the text cursor."""
    page.evaluate("document.fonts.ready")
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement && document.activeElement.blur()")


def take(out: Path, sessions: sessionmaker[Session], url: str) -> list[Path]:
    ops_email = next(email for role, email in generator.DEMO_LOGINS if role is Role.ops_manager)
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                base_url=url, viewport=VIEWPORT, device_scale_factor=1, reduced_motion="reduce"
            )
            context.set_default_timeout(20_000)
            page = context.new_page()
            log_in(page, ops_email)

            for chart in ("#chart-region", "#chart-tier"):
                expect(page.locator(f"{chart} .bars path").first).to_be_attached()
            settle(page)
            saved.append(out / "home-ops.png")
            page.screenshot(path=saved[-1], full_page=True)

            page.goto("/people")
            expect(page.locator("table.data tbody tr")).to_have_count(50)
            settle(page)
            saved.append(out / "workers.png")
            page.screenshot(path=saved[-1])

            page.goto(f"/people/{showcase_person(sessions)}")
            settle(page)
            saved.append(out / "person.png")
            page.screenshot(path=saved[-1], full_page=True)

            page.goto("/hiring/analytics")
            expect(page.locator("#chart-funnel .main-svg").first).to_be_attached()
            settle(page)
            saved.append(out / "hiring-funnel.png")
            page.screenshot(path=saved[-1])
        finally:
            browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "images", help="where to write the PNGs"
    )
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not CHROMIUM.exists():
        print(f"error: {CHROMIUM} is missing; run `apt-get install chromium`", file=sys.stderr)
        return 1
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crewline-screenshots-") as tmp:
        root = Path(tmp)
        embedder = WordLlamaEmbedder()
        sessions = build_demo(root / "demo.db", embedder)
        settings = Settings(
            env="test",
            data_dir=root,
            secret_key=secrets.token_urlsafe(32),
            argon2_time_cost=1,
            argon2_memory_kib=8,
        )
        app = create_app(settings, session_factory=sessions, embedder=embedder)
        try:
            with live_server(app) as url:
                saved = take(out, sessions, url)
        finally:
            engine = sessions.kw["bind"]
            engine.dispose()
    for path in saved:
        print(f"saved {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
