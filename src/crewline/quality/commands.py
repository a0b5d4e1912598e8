"""``crewline quality``: the metrics library on any ``task,worker,label`` CSV.

Ops people run these on exports from other tools too, so they need no database: a file in,
a number or an answers file out. Input problems (a missing column, a worker labelling a task
twice, a label that is not a number where one is needed) end the command with the file's
line and exit status 2; an undefined metric (everyone gave one label) prints ``nan`` with the
reason, since that is an answer, not an error.
"""

from __future__ import annotations

import enum
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console

from crewline.quality import agreement, csvfile, inference
from crewline.quality.data import LabelTable
from crewline.quality.errors import QualityInputError

app = typer.Typer(help="Agreement and truth inference on task,worker,label CSV files.")
console = Console()
errors = Console(stderr=True)


class Metric(enum.StrEnum):
    """The agreement coefficients ``crewline quality agreement`` computes."""

    percent = "percent"
    cohen = "cohen"
    fleiss = "fleiss"
    krippendorff = "krippendorff"
    gwet = "gwet"


class Level(enum.StrEnum):
    """Krippendorff's measurement levels; the numeric ones read labels as numbers."""

    nominal = "nominal"
    ordinal = "ordinal"
    interval = "interval"
    ratio = "ratio"


class Weights(enum.StrEnum):
    """Weighted kappa's disagreement weights."""

    linear = "linear"
    quadratic = "quadratic"


class Method(enum.StrEnum):
    """Truth-inference methods ``crewline quality aggregate`` offers."""

    mv = "mv"
    wmv = "wmv"
    dawid_skene = "dawid-skene"
    one_coin = "one-coin"
    glad = "glad"
    mace = "mace"


FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="CSV with columns task,worker,label.")
]


def _fail(error: Exception) -> typer.Exit:
    errors.print(f"[red]error:[/red] {error}", highlight=False)
    return typer.Exit(2)


def _metric(
    table: LabelTable, metric: Metric, level: Level, weights: Weights | None
) -> tuple[Callable[[LabelTable], float], str]:
    """The function computing ``metric`` on a table, and how to describe it."""
    if weights is not None and metric is not Metric.cohen:
        raise QualityInputError("--weights applies to --metric cohen only")
    if level is not Level.nominal and metric is not Metric.krippendorff:
        raise QualityInputError("--level applies to --metric krippendorff only")
    match metric:
        case Metric.percent:
            return agreement.percent_agreement, "percent agreement"
        case Metric.fleiss:
            return agreement.fleiss_kappa, "Fleiss' kappa"
        case Metric.gwet:
            return agreement.gwet_ac1, "Gwet's AC1"
        case Metric.krippendorff:
            return (
                lambda t: agreement.krippendorff_alpha(t, level.value),
                f"Krippendorff's alpha ({level.value})",
            )
        case Metric.cohen:
            kind = f", {weights.value} weights" if weights else ""
            if table.n_workers != 2:
                raise QualityInputError(
                    f"Cohen's kappa compares two workers and the file has {table.n_workers}; "
                    "use --metric fleiss or krippendorff for more"
                )
            a, b = table.workers
            return (
                lambda t: agreement.cohen_kappa(
                    t, a, b, weights=weights.value if weights else None
                ),
                f"Cohen's kappa{kind} ({a} and {b})",
            )


def _read(file: Path, level: Level) -> LabelTable:
    """Labels as strings, as numbers for interval and ratio, and for ordinal when they all are.

    Ordinal labels need an order: numbers give theirs ("2" before "10"); other labels are
    ordered as text, so name them to sort (``1-poor``, ``2-fair``...).
    """
    if level in (Level.interval, Level.ratio):
        return csvfile.read_labels(file, numeric=True)
    if level is Level.ordinal:
        try:
            return csvfile.read_labels(file, numeric=True)
        except QualityInputError:
            pass  # not all numbers: ordered as text, below
    return csvfile.read_labels(file)


@app.command("agreement")
def agreement_command(
    file: FileArgument,
    metric: Annotated[Metric, typer.Option(help="Agreement coefficient.")] = Metric.krippendorff,
    level: Annotated[
        Level, typer.Option(help="Measurement level (krippendorff); numeric levels read numbers.")
    ] = Level.nominal,
    weights: Annotated[
        Weights | None, typer.Option(help="Weighted Cohen's kappa (cohen only).")
    ] = None,
    ci: Annotated[
        bool, typer.Option("--ci", help="Add a 95% bootstrap interval (1,000 task resamples).")
    ] = False,
    seed: Annotated[int, typer.Option(help="Bootstrap seed (same seed, same interval).")] = 0,
) -> None:
    """Print one agreement coefficient of the labels in FILE (and its interval with --ci)."""
    try:
        table = _read(file, level)
        compute, name = _metric(table, metric, level, weights)
        if ci:
            value, low, high = agreement.bootstrap_ci(table, compute, seed=seed)
        else:
            value, low, high = compute(table), math.nan, math.nan
    except QualityInputError as error:
        raise _fail(error) from None
    shown = f"{value:.4f}"
    if ci:
        shown += (
            f"  95% CI [{low:.4f}, {high:.4f}]"
            if not (math.isnan(low) or math.isnan(high))
            else "  95% CI undefined (the metric is undefined on some resamples)"
        )
    console.print(
        f"{name}: {shown}  ({table.n_tasks} tasks, {table.n_workers} workers, "
        f"{table.n_labels} labels)",
        highlight=False,
    )
    if math.isnan(value):
        console.print(
            "undefined: the labels leave no disagreement to expect (one class only, or no "
            "task with two labels)",
            highlight=False,
        )


@app.command("aggregate")
def aggregate_command(
    file: FileArgument,
    method: Annotated[Method, typer.Option(help="Truth-inference method.")] = Method.dawid_skene,
    gold: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="CSV task,label of known answers."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write one answer per task of FILE as task,label,confidence."""
    try:
        table = csvfile.read_labels(file)
        known = csvfile.read_gold(gold, table) if gold is not None else None
        answers = inference.aggregate(table, method.value, gold=known or None)
    except QualityInputError as error:
        raise _fail(error) from None
    if output is None:
        _write(sys.stdout, table, answers)
        return
    with output.open("w", encoding="utf-8", newline="") as stream:
        _write(stream, table, answers)
    errors.print(
        f"{table.n_tasks} answers from {table.n_labels} labels ({method.value}) -> {output}",
        highlight=False,
    )


def _write(stream: TextIO, table: LabelTable, answers: inference.Answers) -> None:
    csvfile.write_answers(stream, table, answers.label, answers.confidence)
