"""One place that turns domain exceptions and validation failures into HTTP answers.

API paths (``/api/...``) get JSON ``{"detail": [{"field", "message"}...]}`` or
``{"detail": "message"}``; pages get an HTML error page, and an anonymous visitor is sent to
the login page instead of a 401.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crewline.errors import (
    Conflict,
    CrewlineError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from crewline.web.templating import render

log = logging.getLogger("crewline.web")

STATUS: dict[type[CrewlineError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    PermissionDenied: 403,
    NotAuthenticated: 401,
    RateLimited: 429,
}


TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict",
    422: "Invalid input",
    429: "Too many attempts",
}


def is_api(request: Request) -> bool:
    """True for JSON API paths."""
    return request.url.path.startswith("/api/")


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def validation_details(errors: list[Any]) -> list[dict[str, str]]:
    """Pydantic errors as ``[{"field": "email", "message": "..."}]``."""
    details = []
    for error in errors:
        message = str(error.get("msg", "invalid value"))
        if error.get("type") == "extra_forbidden":
            message = "unknown field"
        field = _field_name(error.get("loc", ()))
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "cannot parse")
            message = f"malformed JSON at character {field}: {reason}"
            field = "body"
        details.append({"field": field, "message": message})
    return details


def _page(request: Request, status: int, title: str, message: str) -> Response:
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        principal=getattr(request.state, "principal", None),
        status_code=status,
    )


class FieldError(BaseModel):
    """One refused field: its dotted path and what is wrong with it."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx answer of the JSON API: a message, or one entry per refused field (422)."""

    detail: str | list[FieldError]


#: Declared on every API router so the OpenAPI document describes the real error bodies.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "Refused; `detail` says why (per field for 422)"},
}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    path = request.url.path
    for route in request.app.router.routes:
        for prefix, candidate in _flatten(route, ""):
            route_methods = getattr(candidate, "methods", None) or set()
            if not route_methods or not path.startswith(prefix):
                continue
            regex = getattr(candidate, "path_regex", None)
            if regex is not None and regex.match(path[len(prefix) :] or "/"):
                methods |= route_methods
    return sorted(methods)


def _flatten(route: Any, prefix: str) -> list[tuple[str, Any]]:
    """Leaf routes with the prefix their included routers add in front of their paths."""
    included = getattr(route, "original_router", None)
    if included is None:
        return [(prefix, route)]
    inner = prefix + route.include_context.prefix
    return [leaf for child in included.routes for leaf in _flatten(child, inner)]


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(CrewlineError)
    async def domain_error(request: Request, exc: CrewlineError) -> Response:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if is_api(request):
            detail: Any = exc.message
            if isinstance(exc, InvalidInput):
                detail = [{"field": exc.field, "message": exc.reason}]
            elif isinstance(exc, Conflict) and exc.details:
                detail = [{"field": "", "message": exc.message}, *exc.details]
            elif isinstance(exc, Conflict) and exc.field:
                detail = [{"field": exc.field, "message": exc.message}]
            if isinstance(exc, NotAuthenticated):
                headers["WWW-Authenticate"] = "Bearer"
            return JSONResponse({"detail": detail}, status_code=status, headers=headers)
        if isinstance(exc, NotAuthenticated):
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        return _page(request, status, TITLES.get(status, "Error"), exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        details = validation_details(list(exc.errors()))
        if is_api(request):
            return JSONResponse({"detail": details}, status_code=422)
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return _page(request, 422, "Invalid input", message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api(request):
            headers = dict(exc.headers or {})
            if exc.status_code == 405:
                headers["Allow"] = ", ".join(allowed_methods(request))
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=headers
            )
        return _page(
            request, exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail)
        )

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        # The service's transaction is rolled back when its session closes: nothing is written.
        log.info("refused a value the database cannot store", extra={"path": request.url.path})
        message = "a value cannot be stored (for example text with a NUL character, \\u0000)"
        if is_api(request):
            return JSONResponse(
                {"detail": [{"field": "body", "message": message}]}, status_code=422
            )
        return _page(request, 422, TITLES[422], message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        if is_api(request):
            return JSONResponse({"detail": "internal error"}, status_code=500)
        return _page(request, 500, "Something went wrong", "The error has been logged.")
