"""Logging in and out: cookies, CSRF, rate limiting, redirects."""

from __future__ import annotations

from sqlalchemy import func, select

from crewline.auth.models import LoginSession
from crewline.auth.roles import Role
from tests.factories import PASSWORD


def _login(factory, client, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    client.get("/login")
    data = {"email": email, "password": password, "csrf_token": factory.csrf(client), **extra}
    return client.post("/login", data=data, follow_redirects=False)


def test_login_sets_an_httponly_samesite_session_cookie(factory) -> None:
    user = factory.user(Role.recruiter)
    client = factory.browser()
    response = _login(factory, client, user.email.upper(), PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "crewline_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert client.get("/").status_code == 200


def test_the_session_cookie_is_secure_when_configured(factory, settings) -> None:
    settings.secure_cookies = True
    user = factory.user(Role.recruiter)
    response = _login(factory, factory.browser(), user.email, PASSWORD)
    assert "Secure" in response.headers["set-cookie"]


def test_the_session_token_is_stored_only_as_a_hash(factory, session) -> None:
    user = factory.user(Role.finance)
    client = factory.browser(user)
    token = client.cookies.get("crewline_session")
    stored = session.scalars(
        select(LoginSession.token_hash).where(LoginSession.user_id == user.id)
    ).all()
    assert token and stored and token not in stored


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(factory) -> None:
    user = factory.user(Role.recruiter)
    wrong_password = _login(factory, factory.browser(), user.email, "not the password")
    unknown_email = _login(factory, factory.browser(), "nobody@example.org", "not the password")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert "Wrong email or password" in wrong_password.text
    assert "Wrong email or password" in unknown_email.text


def test_a_deactivated_account_cannot_log_in_and_its_sessions_end(factory) -> None:
    admin = factory.user(Role.admin)
    user = factory.user(Role.reviewer)
    browser = factory.browser(user)
    assert browser.get("/").status_code == 200
    api = factory.api(admin)
    assert api.patch(f"/api/v1/users/{user.id}", json={"is_active": False}).status_code == 200
    assert browser.get("/", follow_redirects=False).status_code == 303
    assert _login(factory, factory.browser(), user.email, PASSWORD).status_code == 401


def test_login_without_a_csrf_token_is_refused(factory) -> None:
    user = factory.user(Role.recruiter)
    client = factory.browser()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_a_forged_csrf_token_is_refused(factory) -> None:
    user = factory.user(Role.recruiter)
    response = _login(factory, factory.browser(), user.email, PASSWORD, csrf_token="0" * 64)
    assert response.status_code == 403


def test_forms_of_a_logged_in_user_need_the_csrf_token(factory, session) -> None:
    user = factory.user(Role.ops_manager)
    browser = factory.browser(user)
    assert browser.post("/account/tokens", data={"name": "x", "scopes": "read"}).status_code == 403
    assert browser.post("/logout", follow_redirects=False).status_code == 403
    ok = browser.post(
        "/account/tokens", data={"name": "x", "scopes": "read", "csrf_token": factory.csrf(browser)}
    )
    assert ok.status_code == 201


def test_cookie_authenticated_api_writes_need_the_csrf_header(factory) -> None:
    admin = factory.user(Role.admin)
    browser = factory.browser(admin)
    body = factory.person_data()
    assert browser.post("/api/v1/people", json=body).status_code == 403
    response = browser.post(
        "/api/v1/people", json=body, headers={"X-CSRF-Token": factory.csrf(browser)}
    )
    assert response.status_code == 201


def test_login_is_rate_limited_per_email(factory, settings) -> None:
    user = factory.user(Role.recruiter)
    for _ in range(settings.login_max_failures):
        assert _login(factory, factory.browser(), user.email, "wrong password").status_code == 401
    blocked = _login(factory, factory.browser(), user.email, PASSWORD)
    assert blocked.status_code == 429
    assert "too many failed logins" in blocked.text
    # Another account from the same address is not yet blocked.
    other = factory.user(Role.recruiter)
    assert _login(factory, factory.browser(), other.email, PASSWORD).status_code == 303


def test_login_is_rate_limited_per_address(factory, settings) -> None:
    for i in range(settings.login_max_failures * 4):
        _login(factory, factory.browser(), f"guess{i}@example.org", "wrong password")
    user = factory.user(Role.recruiter)
    assert _login(factory, factory.browser(), user.email, PASSWORD).status_code == 429


def test_logout_ends_the_session(factory, session) -> None:
    user = factory.user(Role.recruiter)
    browser = factory.browser(user)
    token = browser.cookies.get("crewline_session")
    response = browser.post(
        "/logout", data={"csrf_token": factory.csrf(browser)}, follow_redirects=False
    )
    assert response.status_code == 303
    # Replaying the old cookie no longer works.
    replay = factory.browser()
    replay.cookies.set("crewline_session", token)
    assert replay.get("/account", follow_redirects=False).status_code == 303
    assert (
        session.scalar(
            select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user.id)
        )
        == 0
    )


def test_login_never_redirects_off_site(factory) -> None:
    user = factory.user(Role.recruiter)
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        response = _login(factory, factory.browser(), user.email, PASSWORD, next=target)
        assert response.headers["location"] == "/"
    response = _login(factory, factory.browser(), user.email, PASSWORD, next="/people?region=EU")
    assert response.headers["location"] == "/people?region=EU"


def test_each_role_lands_on_its_own_home_page(factory) -> None:
    headings = {
        Role.admin: "Administration",
        Role.ops_manager: "Operations",
        Role.recruiter: "Recruiting",
        Role.reviewer: "Quality and review",
        Role.finance: "Finance",
        Role.vendor_manager: "vendor",
        Role.client_viewer: "client",
        Role.worker: "Hello",
        Role.candidate: "Your application",
    }
    for role, heading in headings.items():
        user = factory.user(role)
        page = factory.browser(user).get("/")
        assert page.status_code == 200
        assert heading in page.text, role
