"""Server-side tables: parse sort and page parameters, count, slice; ``_macros.html`` draws them.

Sorting, filtering and paging happen in SQL so a table of 13,000 rows costs one page of rows.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from fastapi import Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Select, func, select
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

T = TypeVar("T")
#: Something a query can be ordered by: a mapped attribute or a SQL expression.
SortKey = ColumnElement[Any] | QueryableAttribute[Any]
MAX_PER_PAGE = 500


@dataclass(frozen=True, slots=True)
class Column:
    """A table column; ``sort`` names the SQL expression key it sorts by (None: not sortable)."""

    key: str
    label: str
    sort: str | None = None
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which slice of a sorted table to show."""

    page: int = 1
    per_page: int = 50
    sort: str = ""
    direction: Literal["asc", "desc"] = "asc"

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.per_page


@dataclass(frozen=True, slots=True)
class PageResult(Generic[T]):
    """One page of rows and where it sits in the whole."""

    items: Sequence[T]
    total: int
    request: PageRequest

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, math.ceil(self.total / self.request.per_page))

    @property
    def first_row(self) -> int:
        """1-based number of the first row shown (0 when empty)."""
        return 0 if self.total == 0 else self.request.offset + 1

    @property
    def last_row(self) -> int:
        """1-based number of the last row shown."""
        return min(self.total, self.request.offset + len(self.items))


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return min(max(number, low), high)


def page_request(
    request: Request, *, sorts: Iterable[str], default_sort: str, default_per_page: int = 50
) -> PageRequest:
    """Read ``page``, ``per_page``, ``sort`` and ``dir`` from the query; bad values fall back."""
    params = request.query_params
    sort = params.get("sort", default_sort)
    if sort not in set(sorts):
        sort = default_sort
    direction: Literal["asc", "desc"] = "desc" if params.get("dir") == "desc" else "asc"
    return PageRequest(
        page=_int(params.get("page"), 1, 1, 1_000_000),
        per_page=_int(params.get("per_page"), default_per_page, 1, MAX_PER_PAGE),
        sort=sort,
        direction=direction,
    )


def paginate(
    session: Session,
    query: Select[T],
    page: PageRequest,
    sort_columns: Mapping[str, SortKey],
    tiebreak: SortKey,
) -> PageResult[T]:
    """Count the filtered query, then fetch one sorted page (ties broken by ``tiebreak``)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    column = sort_columns[page.sort]
    # Empty values last in both directions, on SQLite as on PostgreSQL.
    order = (column.desc() if page.direction == "desc" else column.asc()).nulls_last()
    rows = (
        session.scalars(query.order_by(order, tiebreak).offset(page.offset).limit(page.per_page))
        .unique()
        .all()
    )
    return PageResult(items=rows, total=total, request=page)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: text that would run as a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingResponse:
    """Stream rows as a CSV download without building the whole file in memory."""

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows:
            writer.writerow([csv_cell(cell) for cell in row])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return StreamingResponse(
        generate(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
