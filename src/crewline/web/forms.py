"""Reading a posted form into a pydantic model, with a refusal that names the field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crewline.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def parse_form(model: type[M], data: Mapping[str, Any]) -> M:
    """``model`` validated from ``data``; the first problem becomes an InvalidInput naming
    its field (``regions.0``), which the page shows like any other refusal."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(where or "form", first["msg"]) from None
