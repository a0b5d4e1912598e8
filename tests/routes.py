"""Walk every route of the app, including those of included routers, with their dependencies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    route: APIRoute


def iter_routes(app: FastAPI) -> Iterator[RouteInfo]:
    def walk(routes: list[Any], prefix: str) -> Iterator[RouteInfo]:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is not None:
                yield from walk(included.routes, prefix + route.include_context.prefix)
            elif isinstance(route, APIRoute):
                # path_format drops converters: /people/{person_id:int} -> /people/{person_id}
                yield RouteInfo(prefix + route.path_format, frozenset(route.methods), route)

    yield from walk(list(app.routes), "")


def dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from dependency_calls(sub)
