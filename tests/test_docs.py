"""Docs are checked: every setting, CLI command and API route appears in docs/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main

from crewline.cli import app as cli_app
from crewline.config import Settings
from tests.routes import iter_routes

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _commands(group: Any, prefix: str = "crewline") -> list[str]:
    """Full names of the leaf commands (typer bundles its own click, so no isinstance checks)."""
    names = []
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        if hasattr(command, "commands"):
            names.extend(_commands(command, full))
        else:
            names.append(full)
    return names


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert f"CREWLINE_{name.upper()}" in _text("settings.md")


def test_every_cli_command_is_documented() -> None:
    text = _text("cli.md")
    group = typer.main.get_command(cli_app)
    assert len(_commands(group)) >= 5
    missing = [c for c in _commands(group) if f"`{c}" not in text]
    assert missing == []


def test_every_api_route_is_documented(app) -> None:
    text = _text("api.md")
    missing = [
        f"{method} {info.path}"
        for info in iter_routes(app)
        if info.path.startswith("/api/") and info.route.include_in_schema
        for method in sorted(info.methods - {"HEAD"})
        if f"`{method} {info.path}`" not in text
    ]
    assert missing == []


def test_readme_names_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
