"""The Jinja environment: the base layout plus every domain's ``templates/`` folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from crewline.auth import security
from crewline.auth.deps import CSRF_COOKIE, Principal

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[Path]:
    web = PACKAGE_DIR / "web" / "templates"
    domains = sorted(p for p in PACKAGE_DIR.glob("*/templates") if p != web)
    return [web, *domains]


def _query(request: Request, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


def make_templates() -> Jinja2Templates:
    """Templates with autoescaping on, shared helpers as globals."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in _template_dirs()]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["query"] = _query
    return Jinja2Templates(env=env)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page with the caller, their navigation and the CSRF token available.

    A ``page_data`` mapping in the context becomes ``data-*`` attributes of ``<body>``: how a
    route hands a setting to the page's script without the script asking the server for it.
    """
    templates: Jinja2Templates = request.app.state.templates
    nonce = request.cookies.get(CSRF_COOKIE) or request.state.csrf_nonce
    full = {
        "principal": principal,
        "user": principal.user if principal else None,
        "csrf_token": security.csrf_token(request.app.state.secret_key, nonce),
        "nav": request.app.state.navigation.for_principal(principal),
        "path": request.url.path,
        "nav_current": None,
        "page_data": {},
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, full, status_code=status_code)
