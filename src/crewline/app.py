"""The FastAPI application factory: mounts each domain's API and pages.

``create_app(settings)`` builds everything (engine, sessions, hasher, embedder, templates);
nothing is created at import, so tests and the CLI build apps with their own settings.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import plotly
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crewline import __version__, logs
from crewline.assessments import api as assessments_api
from crewline.assessments import attempts as assessment_attempts
from crewline.assessments import pages as assessments_pages
from crewline.assessments import tiers as assessment_tiers
from crewline.audit import api as audit_api
from crewline.audit import pages as audit_pages
from crewline.auth import api as auth_api
from crewline.auth import pages as auth_pages
from crewline.auth.deps import CSRF_COOKIE, SessionDep, public
from crewline.auth.security import make_hasher
from crewline.config import Settings
from crewline.db import make_engine, make_sessionmaker
from crewline.hiring import api as hiring_api
from crewline.hiring import messages as hiring_messages
from crewline.hiring import pages as hiring_pages
from crewline.hiring import portal as hiring_portal
from crewline.hiring import retention as hiring_retention
from crewline.home import pages as home_pages
from crewline.jobs import Job, Jobs
from crewline.orgs import api as orgs_api
from crewline.people import api as people_api
from crewline.people import pages as people_pages
from crewline.people.embedding import Embedder, WordLlamaEmbedder
from crewline.people.pages import PersonPanels
from crewline.projects import api as projects_api
from crewline.projects import pages as projects_pages
from crewline.quality import api as quality_api
from crewline.quality import experiments_api, llm_api, review_api, review_pages, rules_api
from crewline.quality import pages as quality_pages
from crewline.quality import refresh as quality_refresh
from crewline.routing import api as routing_api
from crewline.routing import pages as routing_pages
from crewline.routing.eligibility import EligibilityCache
from crewline.tasks import api as tasks_api
from crewline.tasks import export_api as tasks_export_api
from crewline.tasks import service as tasks_service
from crewline.web import errors
from crewline.web.navigation import Navigation
from crewline.web.templating import make_templates
from crewline.webhooks import api as webhooks_api
from crewline.webhooks import delivery as webhooks_delivery

API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"

health_router = APIRouter(tags=["health"])


@health_router.get("/health", dependencies=[Depends(public)])
def health(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability (load balancers poll this)."""
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


def plotly_js() -> FileResponse:
    """plotly.js from the installed wheel: charts work offline, no CDN."""
    return FileResponse(
        PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
    )


class SecurityHeaders:
    """Give every browser a CSRF nonce cookie and send conservative security headers.

    Plain ASGI rather than ``BaseHTTPMiddleware``: that one runs each request through extra
    tasks and streams, which cost more CPU than many of the API's handlers.
    """

    HEADERS = (
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    )

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        nonce = request.cookies.get(CSRF_COOKIE)
        request.state.csrf_nonce = nonce or secrets.token_urlsafe(24)
        new_cookie = nonce is None and not request.url.path.startswith(API_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if new_cookie:
                    headers.append("set-cookie", self._cookie(request.state.csrf_nonce))
                for name, value in self.HEADERS:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie(self, nonce: str) -> str:
        """The nonce cookie's header value, formatted by Starlette as any other cookie."""
        carrier = Response()
        carrier.set_cookie(
            CSRF_COOKIE,
            nonce,
            httponly=True,
            samesite="strict",
            secure=self.secure_cookies,
            path="/",
        )
        return carrier.headers["set-cookie"]


def expire_leases(session: Session, now: datetime) -> int:
    """The lease sweeper: frees the slots of leases that ran out (off the claim's hot path)."""
    return tasks_service.expire_leases(session=session, now=now)


def production_app() -> FastAPI:
    """Factory for ``uvicorn --factory crewline.app:production_app``: settings from the
    environment, structured logging configured, one app per worker process."""
    settings = Settings()
    logs.configure(level=settings.log_level, json=settings.log_json)
    return create_app(settings)


def create_app(
    settings: Settings | None = None,
    *,
    session_factory: sessionmaker[Session] | None = None,
    embedder: Embedder | None = None,
) -> FastAPI:
    """Build the application. Tests pass a session factory bound to their transaction."""
    settings = settings or Settings()
    jobs = Jobs()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        runner = None
        if settings.run_jobs and jobs.jobs:
            runner = asyncio.create_task(jobs.run_forever(app.state.sessionmaker, stop))
        yield
        stop.set()
        if runner is not None:
            await runner

    app = FastAPI(
        lifespan=lifespan,
        title="Crewline",
        version=__version__,
        description="Hire, qualify, route, measure and pay the people behind AI training data.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    if session_factory is None:
        session_factory = make_sessionmaker(make_engine(settings.resolved_database_url))
    app.state.settings = settings
    app.state.sessionmaker = session_factory
    app.state.secret_key = settings.resolve_secret_key()
    app.state.hasher = make_hasher(
        time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib
    )
    app.state.embedder = embedder or WordLlamaEmbedder()
    app.state.templates = make_templates()
    app.state.navigation = Navigation()
    app.state.person_panels = PersonPanels()
    app.state.jobs = jobs
    app.state.eligibility_cache = EligibilityCache(settings.routing_cache_seconds)

    app.add_middleware(SecurityHeaders, secure_cookies=settings.cookies_secure)
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    errors.install(app)

    app.include_router(health_router, prefix=API_PREFIX)
    app.add_api_route(
        "/static/plotly.min.js", plotly_js, include_in_schema=False, dependencies=[Depends(public)]
    )
    jobs.add(Job("tasks.expire_leases", every_seconds=15, run=expire_leases))
    jobs.add(
        Job(
            "webhooks.deliver",
            every_seconds=5,
            run=webhooks_delivery.job(allow_private=settings.webhooks_may_reach_private),
        )
    )
    jobs.add(
        Job(
            "quality.refresh",
            every_seconds=settings.quality_refresh_seconds,
            run=quality_refresh.job(app.state.embedder),
        )
    )
    jobs.add(
        Job(
            "hiring.send_messages",
            every_seconds=settings.messages_send_seconds,
            run=hiring_messages.job(hiring_messages.SmtpConfig.from_settings(settings)),
        )
    )
    jobs.add(Job("hiring.retention", every_seconds=3600, run=hiring_retention.job))
    jobs.add(
        Job(
            "assessments.expire",
            every_seconds=60,
            run=assessment_attempts.job(hiring_api.portal_address(settings.public_url)),
        )
    )
    jobs.add(Job("assessments.tiers", every_seconds=3600, run=assessment_tiers.review_all))
    for module in (
        auth_api,
        orgs_api,
        people_api,
        projects_api,
        tasks_api,
        tasks_export_api,
        routing_api,
        audit_api,
        webhooks_api,
        quality_api,
        review_api,
        rules_api,
        llm_api,
        experiments_api,
        hiring_api,
        assessments_api,
    ):
        app.include_router(module.router, prefix=API_PREFIX, responses=errors.ERROR_RESPONSES)
    for pages in (
        auth_pages,
        home_pages,
        people_pages,
        audit_pages,
        routing_pages,
        quality_pages,
        hiring_pages,
        assessments_pages,
    ):
        app.include_router(pages.router, include_in_schema=False)
        pages.register_navigation(app.state.navigation)
    app.include_router(review_pages.router, include_in_schema=False)
    app.include_router(hiring_portal.router, include_in_schema=False)
    review_pages.register_navigation(app.state.navigation)
    projects_pages.register_panels(app.state.person_panels)
    quality_pages.register_panels(app.state.person_panels)
    hiring_pages.register_panels(app.state.person_panels)
    assessments_pages.register_panels(app.state.person_panels)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
