"""Worker pool pages: list, search, filters, sort, paging, CSV export, person page, status form."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.orgs.models import OrgKind
from crewline.people import service as people
from crewline.people.schemas import PersonCreate
from tests.factories import ACTOR, Factory
from tests.people.support import audit_events, row_counts, stored_person

CSV_HEADER = [
    "id",
    "full_name",
    "email",
    "country",
    "region",
    "time_zone",
    "classification",
    "vendor_id",
    "languages",
    "skills",
    "tier",
    "status",
    "availability_hours",
    "origin",
]
EN_DASH = "\u2013"  # the pager writes row ranges with an en dash
ROW = re.compile(r'<td><a href="/people/(\d+)">([^<]*)</a></td>')


def listed(response: Response) -> list[str]:
    """Names in the people table of a list page, top to bottom."""
    assert response.status_code == 200, response.text[:2000]
    return [html.unescape(name) for _id, name in ROW.findall(response.text)]


def sort_link(page_html: str, label: str) -> str:
    """The href of the sortable column header called ``label``."""
    match = re.search(r'<a href="([^"]*)">' + re.escape(label) + r"\s*<span", page_html)
    assert match, f"no sort link for {label}"
    return html.unescape(match.group(1))


def csv_rows(response: Response) -> list[list[str]]:
    assert response.status_code == 200, response.text[:2000]
    return list(csv.reader(io.StringIO(response.text)))


@pytest.fixture
def staff(factory: Factory) -> TestClient:
    """An operations manager logged in through the form."""
    return factory.browser(factory.user(Role.ops_manager))


@pytest.fixture
def pool(factory: Factory) -> None:
    factory.person(
        full_name="Ana Souza",
        region="LATAM",
        skills=["ner"],
        worker={"tier": "tier_1", "status": "active", "availability_hours": 20},
    )
    factory.person(
        full_name="Chen Wei",
        country="SG",
        region="SEA",
        time_zone="Asia/Singapore",
        skills=["python"],
        worker={"tier": "expert", "status": "active", "availability_hours": 5},
    )
    factory.person(
        full_name="Dana Vogel",
        country="DE",
        region="EU",
        time_zone="Europe/Berlin",
        skills=["legal-translation"],
        worker={"tier": "reviewer", "status": "inactive", "availability_hours": 40},
    )
    factory.person(
        full_name="Eli Park",
        country="US",
        region="US",
        time_zone="America/Chicago",
        skills=["transcription"],
        worker=None,
    )
    factory.imported_annotator(full_name="Label Studio user 7", skills=["transcription"])


# --- the list -----------------------------------------------------------------------------------


def test_list_shows_pool_members_by_name_and_hides_candidates(
    staff: TestClient, pool: None
) -> None:
    assert listed(staff.get("/people")) == ["Ana Souza", "Chen Wei", "Dana Vogel"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("q=vogel", ["Dana Vogel"], id="search-name"),
        pytest.param("q=PYTHON", ["Chen Wei"], id="search-skill"),
        pytest.param("region=SEA", ["Chen Wei"], id="region"),
        pytest.param("country=de", ["Dana Vogel"], id="country"),
        pytest.param("tier=expert", ["Chen Wei"], id="tier"),
        pytest.param("status=inactive", ["Dana Vogel"], id="status"),
        pytest.param("skill=ner", ["Ana Souza"], id="skill"),
        pytest.param("show=candidates", ["Eli Park"], id="candidates"),
        pytest.param(
            "show=all", ["Ana Souza", "Chen Wei", "Dana Vogel", "Eli Park"], id="everyone"
        ),
        pytest.param(
            "region=&tier=&q=", ["Ana Souza", "Chen Wei", "Dana Vogel"], id="blank-filters"
        ),
        pytest.param("q=transcription&show=all", ["Eli Park"], id="search-leaves-out-imported"),
        pytest.param("origin=label_studio_import", ["Label Studio user 7"], id="imported"),
        pytest.param("origin=label_studio_import&show=workers", [], id="imported-never-in-pool"),
        pytest.param(
            "origin=crewline&show=all",
            ["Ana Souza", "Chen Wei", "Dana Vogel", "Eli Park"],
            id="made-here",
        ),
    ],
)
def test_list_search_and_filters(
    staff: TestClient, pool: None, query: str, expected: list[str]
) -> None:
    assert listed(staff.get(f"/people?{query}")) == expected


def test_list_says_when_nobody_matches(staff: TestClient, pool: None) -> None:
    response = staff.get("/people?q=nobody-has-this")
    assert listed(response) == []
    assert "Nobody matches these filters." in response.text


def test_sort_link_toggles_the_direction_and_keeps_filters(staff: TestClient, pool: None) -> None:
    first = staff.get("/people?show=all")
    assert re.search(r'aria-sort="ascending">\s*<a href="[^"]*">Name', first.text)
    descending = sort_link(first.text, "Name")
    assert descending == "?show=all&sort=name&dir=desc"

    second = staff.get("/people" + descending)
    assert listed(second) == ["Eli Park", "Dana Vogel", "Chen Wei", "Ana Souza"]
    assert re.search(r'aria-sort="descending">\s*<a href="[^"]*">Name', second.text)
    assert sort_link(second.text, "Name") == "?show=all&sort=name&dir=asc"


def test_sorting_by_hours_per_week(staff: TestClient, pool: None) -> None:
    link = sort_link(staff.get("/people").text, "Hours / week")
    assert listed(staff.get("/people" + link)) == ["Chen Wei", "Ana Souza", "Dana Vogel"]


def test_unknown_sort_or_unreadable_page_falls_back_to_the_defaults(
    staff: TestClient, pool: None
) -> None:
    response = staff.get("/people?sort=bogus&page=abc&per_page=many")
    assert listed(response) == ["Ana Souza", "Chen Wei", "Dana Vogel"]


def test_per_page_out_of_range_is_clamped(staff: TestClient, pool: None) -> None:
    response = staff.get("/people?per_page=0")
    assert listed(response) == ["Ana Souza"]
    assert f"1{EN_DASH}1 of 3 people" in response.text


def test_list_pages_fifty_at_a_time(factory: Factory, staff: TestClient, session: Session) -> None:
    rows = [PersonCreate(**factory.person_data(full_name=f"Worker {n:03d}")) for n in range(51)]
    people.do_create_people(session=session, actor=ACTOR, embedder=factory.embedder, rows=rows)

    first = staff.get("/people")
    assert f"1{EN_DASH}50 of 51 people" in first.text
    assert listed(first) == [f"Worker {n:03d}" for n in range(50)]
    next_link = re.search(r'<a href="([^"]*)" rel="next">', first.text)
    assert next_link

    second = staff.get("/people" + html.unescape(next_link.group(1)))
    assert f"51{EN_DASH}51 of 51 people" in second.text
    assert listed(second) == ["Worker 050"]
    assert 'rel="next"' not in second.text


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("country", "ZZ"),
        ("region", "MARS"),
        ("tier", "legend"),
        ("status", "sleeping"),
        ("classification", "freelancer"),
        ("language", "zz"),
        ("min_level", "D1"),
        ("vendor_id", "abc"),
        ("origin", "spreadsheet"),
    ],
)
def test_bad_filter_value_is_a_422_page_naming_the_parameter(
    staff: TestClient, param: str, value: str
) -> None:
    response = staff.get("/people", params={param: value})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert f"{param}: " in html.unescape(response.text)


# --- CSV export ---------------------------------------------------------------------------------


def test_csv_has_a_header_and_one_row_per_matching_person(staff: TestClient, pool: None) -> None:
    rows = csv_rows(staff.get("/people.csv?show=all"))
    assert rows[0] == CSV_HEADER
    assert sorted(row[1] for row in rows[1:]) == ["Ana Souza", "Chen Wei", "Dana Vogel", "Eli Park"]


def test_csv_of_imported_annotators_says_where_they_came_from(
    staff: TestClient, pool: None
) -> None:
    rows = csv_rows(staff.get("/people.csv?origin=label_studio_import"))
    assert [(row[1], row[-1]) for row in rows[1:]] == [
        ("Label Studio user 7", "label_studio_import")
    ]


def test_list_of_imported_annotators_keeps_the_filter_and_says_what_they_are(
    staff: TestClient, pool: None
) -> None:
    text = html.unescape(staff.get("/people?origin=label_studio_import").text)
    assert '<option value="label_studio_import" selected>' in text
    assert '<option value="all" selected>' in text
    assert "Imported from Label Studio — annotation history only: each of these" in text
    assert "<td>imported</td>" in text


def test_csv_follows_the_filters(staff: TestClient, pool: None) -> None:
    rows = csv_rows(staff.get("/people.csv?region=SEA"))
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["full_name"], record["country"], record["tier"]) == ("Chen Wei", "SG", "expert")
    assert record["skills"] == "python"
    assert record["availability_hours"] == "5"


def test_csv_with_a_bad_filter_is_422(staff: TestClient) -> None:
    response = staff.get("/people.csv?status=sleeping")
    assert response.status_code == 422
    assert "status: " in html.unescape(response.text)


@pytest.mark.parametrize(
    "name",
    ['=HYPERLINK("http://evil.example","x")', "+1+2", "-3+4", "@SUM(A1:A9)"],
    ids=["equals", "plus", "minus", "at"],
)
def test_csv_neutralises_names_that_a_spreadsheet_would_run(
    factory: Factory, staff: TestClient, name: str
) -> None:
    person = factory.person(full_name=name)
    rows = csv_rows(staff.get("/people.csv"))
    [row] = [row for row in rows[1:] if row[0] == str(person.id)]
    assert row[1] == "'" + name


def test_csv_neutralises_emails_that_a_spreadsheet_would_run(
    factory: Factory, staff: TestClient
) -> None:
    person = factory.person(email="=cmd@example.org")
    [row] = [row for row in csv_rows(staff.get("/people.csv"))[1:] if row[0] == str(person.id)]
    assert row[2] == "'=cmd@example.org"


def test_csv_leaves_ordinary_values_alone(factory: Factory, staff: TestClient) -> None:
    person = factory.person(full_name="Ana Souza", email="ana@example.org")
    [row] = [row for row in csv_rows(staff.get("/people.csv"))[1:] if row[0] == str(person.id)]
    assert row[1:3] == ["Ana Souza", "ana@example.org"]


def test_vendor_managers_csv_holds_only_their_vendors_people(factory: Factory) -> None:
    own_vendor, other_vendor = factory.org(OrgKind.vendor), factory.org(OrgKind.vendor)
    own = factory.person(classification="vendor_supplied", vendor_id=own_vendor.id)
    factory.person(classification="vendor_supplied", vendor_id=other_vendor.id)
    factory.person()
    manager = factory.browser(factory.user(Role.vendor_manager, organization_id=own_vendor.id))
    rows = csv_rows(manager.get(f"/people.csv?show=all&vendor_id={other_vendor.id}"))
    assert [row[0] for row in rows[1:]] == [str(own.id)]


# --- who sees what ------------------------------------------------------------------------------


def test_worker_is_refused_the_pool_list_and_export(factory: Factory) -> None:
    user, _me = factory.worker_user()
    browser = factory.browser(user)
    assert browser.get("/people").status_code == 403
    assert browser.get("/people.csv").status_code == 403


def test_worker_sees_their_own_page_but_not_anothers(factory: Factory) -> None:
    user, me = factory.worker_user()
    other = factory.person()
    browser = factory.browser(user)
    own = browser.get(f"/people/{me.id}")
    assert own.status_code == 200
    assert me.full_name in own.text
    assert f'action="/people/{me.id}/worker"' not in own.text
    assert browser.get(f"/people/{other.id}").status_code == 404
    assert browser.get("/people/999999").status_code == 404


def test_person_page_shows_languages_skills_and_pool_status(
    factory: Factory, staff: TestClient
) -> None:
    person = factory.person(
        languages=[
            {"language": "pt", "level": "C2", "native": True},
            {"language": "en", "level": "B2"},
        ],
        skills=["medical-coding", "ner"],
        worker={"tier": "reviewer", "status": "active", "availability_hours": 32},
    )
    text = html.unescape(staff.get(f"/people/{person.id}").text)
    assert "Portuguese C2 · native" in text
    assert "English B2" in text
    assert '<span class="tag">medical-coding</span>' in text
    assert '<span class="tag">ner</span>' in text
    assert "<dt>Tier</dt><dd>reviewer</dd>" in text
    assert "32 hours / week" in text
    assert f'action="/people/{person.id}/worker"' in text


def test_person_page_of_a_candidate_says_not_in_the_pool(
    factory: Factory, staff: TestClient
) -> None:
    candidate = factory.person(worker=None)
    text = html.unescape(staff.get(f"/people/{candidate.id}").text)
    assert "Not in the worker pool." in text
    assert "<dt>Origin</dt><dd>Made in Crewline: a candidate or a worker</dd>" in text


def test_person_page_of_an_imported_annotator_says_it_is_history_only(
    factory: Factory, staff: TestClient
) -> None:
    imported = factory.imported_annotator()
    text = html.unescape(staff.get(f"/people/{imported.id}").text)
    assert '<span class="status">Imported from Label Studio</span>' in text
    assert "<dt>Origin</dt><dd>Imported from Label Studio — annotation history only</dd>" in text
    assert "Not in the worker pool, and never will be" in text
    assert f'action="/people/{imported.id}/worker"' not in text


# --- the worker status form ---------------------------------------------------------------------


def form(factory: Factory, browser: TestClient, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {"tier": "tier_1", "status": "active", "availability_hours": 20}
    return {**base, **fields, "csrf_token": factory.csrf(browser)}


def test_status_form_changes_the_tier(
    factory: Factory, staff: TestClient, session: Session
) -> None:
    person = factory.person(worker={"tier": "tier_1", "status": "active", "availability_hours": 20})
    response = staff.post(
        f"/people/{person.id}/worker",
        data=form(factory, staff, tier="tier_2"),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/people/{person.id}"
    assert stored_person(session, person.id)["worker"]["tier"] == "tier_2"
    [event] = audit_events(session, person.id, action="worker.update")
    assert (event.before, event.after) == ({"tier": "tier_1"}, {"tier": "tier_2"})


def test_status_form_refuses_a_pause_without_reason(
    factory: Factory, staff: TestClient, session: Session
) -> None:
    person = factory.person()
    before, stored = row_counts(session), stored_person(session, person.id)
    response = staff.post(
        f"/people/{person.id}/worker",
        data=form(factory, staff, status="paused", status_reason="  "),
    )
    assert response.status_code == 422
    assert "status_reason" in response.text
    assert row_counts(session) == before
    assert stored_person(session, person.id) == stored


def test_status_form_pauses_with_a_reason_the_page_then_shows(
    factory: Factory, staff: TestClient, session: Session
) -> None:
    person = factory.person()
    response = staff.post(
        f"/people/{person.id}/worker",
        data=form(factory, staff, status="paused", status_reason="Parental leave"),
    )
    assert response.status_code == 200  # followed the redirect to the person page
    assert "paused — Parental leave" in response.text
    worker = stored_person(session, person.id)["worker"]
    assert (worker["status"], worker["status_reason"]) == ("paused", "Parental leave")


def test_status_form_refuses_availability_over_80(
    factory: Factory, staff: TestClient, session: Session
) -> None:
    person = factory.person()
    before = row_counts(session)
    response = staff.post(
        f"/people/{person.id}/worker", data=form(factory, staff, availability_hours=81)
    )
    assert response.status_code == 422
    assert "availability_hours" in response.text
    assert row_counts(session) == before


def test_status_form_without_csrf_token_is_403(
    factory: Factory, staff: TestClient, session: Session
) -> None:
    person = factory.person()
    before = row_counts(session)
    data = {"tier": "expert", "status": "active", "availability_hours": 20}
    assert staff.post(f"/people/{person.id}/worker", data=data).status_code == 403
    assert row_counts(session) == before


def test_worker_cannot_use_the_status_form(factory: Factory, session: Session) -> None:
    user, me = factory.worker_user()
    browser = factory.browser(user)
    before = row_counts(session)
    response = browser.post(f"/people/{me.id}/worker", data=form(factory, browser, tier="expert"))
    assert response.status_code == 403
    assert "may not" in response.text
    assert row_counts(session) == before
