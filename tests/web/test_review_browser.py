"""The review queue in a real Chromium: a reviewer corrects an item with the mouse and keyboard.

Same arrangement as ``test_workspace``: a module-scoped live server on a migrated SQLite file;
the test arranges its data through the services and reads what the page stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.quality import refresh
from crewline.quality.models import ReviewItem, ReviewStatus, TaskConsensus
from tests.factories import PASSWORD, Factory
from tests.quality.test_refresh import setup_project, truth, work, wrong
from tests.web.support import Site, serve_site

pytestmark = [pytest.mark.browser, pytest.mark.own_sqlite]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with serve_site(tmp_path_factory, "review") as served:
        yield served


def test_a_reviewer_corrects_an_item_with_mouse_and_keyboard(site: Site, page: Page) -> None:
    with site.sessions() as session:
        factory = Factory(session=session, app=site.app, embedder=site.embedder)
        project = setup_project(
            factory, overlap=2, count=2, gold=0, confidence_threshold=0.9, method="mv"
        )
        work(factory, project, [truth, wrong])
        refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
        item_id = session.scalars(
            select(ReviewItem.id)
            .where(ReviewItem.project_id == project.id)
            .order_by(ReviewItem.id)
            .limit(1)
        ).one()
        email = factory.user(Role.reviewer).email
        project_id = project.id

    landing = f"/quality/projects/{project_id}/review"
    page.goto(f"/login?next={quote(landing)}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(re.escape(landing) + "$"))
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    header = page.get_by_role("navigation", name="Main")
    expect(header.get_by_role("link", name="Review", exact=True)).to_be_visible()

    card = page.locator(f"#item-{item_id}")
    card.get_by_label("Correct answer").select_option("neutral")  # the mouse's pick
    card.get_by_label("Correct answer").press("Tab")  # then the keyboard: on to the note
    expect(page.locator(f"#correct-note-{item_id}")).to_be_focused()
    page.keyboard.type("Neither happy nor unhappy.")
    page.keyboard.press("Enter")  # submits the Correct form
    page.wait_for_url(re.compile(re.escape(landing) + "$"))
    expect(page.locator(f"#item-{item_id}")).to_have_count(0)  # decided items leave the queue

    with site.sessions() as session:
        item = session.get_one(ReviewItem, item_id)
        final = session.get_one(TaskConsensus, item.task_id)
        assert item.status is ReviewStatus.corrected and item.answer == "neutral"
        assert item.note == "Neither happy nor unhappy."
        assert (final.answer, final.source, final.confidence) == ("neutral", "adjudicated", 1.0)
