"""Label files in and answers out: the CSV shapes ``crewline quality`` reads and writes.

Ops people run the quality commands on exports from any tool, so the input is the plainest
shape there is: a header naming ``task``, ``worker`` and ``label`` (other columns are
ignored), then one row per label.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from crewline.quality.data import LabelTable
from crewline.quality.errors import QualityInputError

COLUMNS = ("task", "worker", "label")


def _rows(stream: TextIO, columns: tuple[str, ...], source: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise QualityInputError(f"{source} is empty")
    names = [h.strip().lower() for h in header]
    missing = [c for c in columns if c not in names]
    if missing:
        raise QualityInputError(
            f"{source} needs the columns {', '.join(columns)}; missing {', '.join(missing)}"
        )
    positions = [names.index(c) for c in columns]
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(names):
            raise QualityInputError(f"{source} line {line}: expected {len(names)} columns")
        yield line, [row[p].strip() for p in positions]


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise QualityInputError(f"{where}: label {text!r} is not a number") from None
    if not math.isfinite(value):
        raise QualityInputError(f"{where}: label {text!r} is not a finite number")
    return value


def read_labels(path: Path, *, numeric: bool = False) -> LabelTable:
    """A ``task,worker,label`` file as a LabelTable; labels are numbers when ``numeric``.

    Empty labels are missing labels and are skipped; a worker labelling a task twice, or a
    label that is not a number when one is needed, is refused with the line number.
    """
    tasks: list[str] = []
    workers: list[str] = []
    labels: list[Any] = []
    with path.open(newline="", encoding="utf-8-sig") as stream:
        for line, (task, worker, label) in _rows(stream, COLUMNS, path.name):
            if not task or not worker:
                raise QualityInputError(f"{path.name} line {line}: task and worker are required")
            if label == "":
                continue
            tasks.append(task)
            workers.append(worker)
            labels.append(_number(label, f"{path.name} line {line}") if numeric else label)
    if not labels:
        raise QualityInputError(f"{path.name} has no labels")
    return LabelTable.from_triples(tasks, workers, labels)


def read_gold(path: Path, table: LabelTable) -> dict[int, int]:
    """A ``task,label`` file of known answers, as task code -> class code of ``table``.

    Gold for tasks nobody labelled is ignored (it cannot inform anything); a gold label that
    is not one of the table's classes is refused, since no worker could have given it.
    """
    task_code = {task: code for code, task in enumerate(table.tasks)}
    numeric = all(isinstance(c, float) for c in table.classes)
    class_code = {value: code for code, value in enumerate(table.classes)}
    gold: dict[int, int] = {}
    with path.open(newline="", encoding="utf-8-sig") as stream:
        for line, (task, label) in _rows(stream, ("task", "label"), path.name):
            if task not in task_code or label == "":
                continue
            key: Any = _number(label, f"{path.name} line {line}") if numeric else label
            if key not in class_code:
                raise QualityInputError(
                    f"{path.name} line {line}: gold label {label!r} is not among the labels given"
                )
            gold[task_code[task]] = class_code[key]
    return gold


def write_answers(stream: TextIO, table: LabelTable, labels: Any, confidence: Any) -> None:
    """``task,label,confidence`` rows, one per task, in the order tasks first appeared."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(("task", "label", "confidence"))
    for task, label, conf in zip(table.tasks, labels, confidence, strict=True):
        value = table.classes[int(label)]
        shown = f"{value:g}" if isinstance(value, float) else value
        writer.writerow((task, shown, f"{float(conf):.6f}"))
