"""``/``: the home page of each role, built only from what is in the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.auth import service as auth
from crewline.auth.deps import CurrentUser, Principal, SessionDep
from crewline.auth.roles import Role
from crewline.orgs import service as orgs
from crewline.people import service as people
from crewline.people.models import Classification, Region, Tier, WorkerStatus
from crewline.projects import service as projects
from crewline.web.navigation import Navigation
from crewline.web.templating import render

router = APIRouter()


def register_navigation(nav: Navigation) -> None:
    """Everyone logged in has a home."""
    nav.add("Home", "/", set(Role), order=0)


def _ordered(counts: dict[str, int], order: list[str]) -> tuple[list[str], list[int]]:
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    return keys, [counts[k] for k in keys]


def _pool(session: Session, vendor_id: int | None = None) -> dict[str, Any]:
    summary = people.pool_summary(session=session, vendor_id=vendor_id)
    regions = _ordered(summary["region"], [r.value for r in Region])
    tiers = _ordered(summary["tier"], [t.value for t in Tier])
    return {
        "summary": summary,
        "total": sum(summary["status"].values()),
        "active": summary["status"].get(WorkerStatus.active.value, 0),
        "paused": summary["status"].get(WorkerStatus.paused.value, 0),
        "region_labels": regions[0],
        "region_values": regions[1],
        "classifications": [
            (c.value, c.label, summary["classification"][c.value])
            for c in Classification
            if c.value in summary["classification"]
        ],
        "tier_labels": [t.replace("_", " ") for t in tiers[0]],
        "tier_values": tiers[1],
    }


#: What each staff role's home is about, until their own modules give them more to show.
STAFF_HOMES: dict[Role, tuple[str, str]] = {
    Role.ops_manager: ("Operations", "How many people can work this week, and where they are."),
    Role.recruiter: (
        "Recruiting",
        "Who is in the pool by region and tier. The hiring pipeline (requisitions, cohorts, "
        "funnel) arrives with the hiring module.",
    ),
    Role.reviewer: (
        "Quality and review",
        "The people whose work you review. Review queues and agreement arrive with the "
        "quality module.",
    ),
    Role.finance: (
        "Finance",
        "How people are engaged. Pay, budgets and payouts arrive with the pay module.",
    ),
}


def _staff(session: Session, caller: Principal) -> dict[str, Any]:
    title, blurb = STAFF_HOMES[caller.role]
    return {"pool": _pool(session), "title": title, "blurb": blurb}


def _admin(session: Session, caller: Principal) -> dict[str, Any]:
    by_role = auth.count_by_role(session=session)
    return {
        "pool": _pool(session),
        "users_by_role": sorted((role.label, n) for role, n in by_role.items()),
        "recent": audit.list_events(session=session, limit=10),
    }


def _vendor(session: Session, caller: Principal) -> dict[str, Any]:
    org_id = caller.user.organization_id
    org = orgs.get(session=session, org_id=org_id) if org_id else None
    return {"org": org, "pool": _pool(session, vendor_id=org_id) if org_id else None}


def _client(session: Session, caller: Principal) -> dict[str, Any]:
    org_id = caller.user.organization_id
    if org_id is None:
        return {"org": None, "projects": []}
    return {
        "org": orgs.get(session=session, org_id=org_id),
        "projects": projects.list_projects(session=session, client_id=org_id),
    }


def _self(session: Session, caller: Principal) -> dict[str, Any]:
    return {"person": people.get_by_user(session=session, user_id=caller.user.id)}


HOMES: dict[Role, Callable[[Session, Principal], dict[str, Any]]] = {
    Role.admin: _admin,
    Role.ops_manager: _staff,
    Role.recruiter: _staff,
    Role.reviewer: _staff,
    Role.finance: _staff,
    Role.vendor_manager: _vendor,
    Role.client_viewer: _client,
    Role.worker: _self,
    Role.candidate: _self,
}


@router.get("/")
def home(request: Request, session: SessionDep, caller: CurrentUser) -> Response:
    """The caller's role home (anonymous visitors are sent to the login page)."""
    context = HOMES[caller.role](session, caller)
    template = "staff" if caller.role in STAFF_HOMES else caller.role.value
    return render(request, f"home/{template}.html", context, principal=caller)
