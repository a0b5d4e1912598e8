"""Each task's final answer and confidence from its workers' labels, for any annotation type.

Single labels go through truth inference (``quality.inference``, the project's method, with
gold answers clamped), which also estimates every worker's confusion matrix. Every other type
is aggregated task by task (``quality.structured``), each worker weighted by their gold
accuracy where the project has gold, so a reliable worker counts for more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from crewline.annotation.task_data import span_text
from crewline.annotation.types import (
    BoxesSchema,
    FreeTextSchema,
    LabelSchema,
    LikertSchema,
    MultiLabelSchema,
    PairwiseSchema,
    RankingSchema,
    SingleLabelSchema,
    SpansSchema,
)
from crewline.people.embedding import Embedder
from crewline.quality import inference, structured
from crewline.quality.data import FloatArray, IntArray, LabelTable, unique_ints
from crewline.quality.labels import ProjectLabels, codes_of


@dataclass(frozen=True, slots=True)
class Consensus:
    """Final answers by task (parallel arrays) and, for single labels, the workers' model."""

    task: IntArray
    answer: list[Any]
    confidence: FloatArray
    n_labels: IntArray
    method: str
    #: Person id -> (model accuracy, confusion matrix as nested lists); single labels only.
    workers: dict[int, tuple[float, list[list[float]]]]
    classes: tuple[Any, ...]


def compute(
    labels: ProjectLabels,
    schema: LabelSchema,
    *,
    method: str,
    weights: Mapping[int, float],
    task_data: Mapping[int, Mapping[str, Any]],
    embedder: Embedder | None,
) -> Consensus:
    """The consensus of every task that has at least one label.

    ``weights`` are per person (gold accuracy), used by the per-task aggregators; ``task_data``
    is needed only for spans (the text length); ``embedder`` only for free text.
    """
    if isinstance(schema, SingleLabelSchema):
        return _single(labels, schema, method)
    order = np.argsort(labels.task, kind="stable")
    tasks, bounds = np.unique(labels.task[order], return_index=True)
    ends = np.append(bounds[1:], labels.size) if labels.size else bounds
    answers: list[Any] = []
    confidence: list[float] = []
    counts: list[int] = []
    for task_id, start, end in zip(tasks, bounds, ends, strict=True):
        rows = order[int(start) : int(end)]
        values = [labels.value[i] for i in rows]
        w = [weights.get(int(labels.person[i]), 1.0) for i in rows]
        result = _one_task(schema, values, w, task_data.get(int(task_id), {}), embedder)
        answers.append(result.value)
        confidence.append(result.confidence)
        counts.append(len(rows))
    return Consensus(
        task=np.asarray(tasks, dtype=np.int64),
        answer=answers,
        confidence=np.asarray(confidence, dtype=np.float64),
        n_labels=np.asarray(counts, dtype=np.int64),
        method="weighted-vote",
        workers={},
        classes=(),
    )


def _single(labels: ProjectLabels, schema: SingleLabelSchema, method: str) -> Consensus:
    classes = tuple(schema.label_values)
    if not labels.size:
        empty = np.zeros(0, dtype=np.int64)
        return Consensus(empty, [], np.zeros(0), empty, method, {}, classes)
    tasks, task_codes = unique_ints(labels.task)
    people, worker_codes = unique_ints(labels.person)
    class_code = {c: i for i, c in enumerate(classes)}
    label_codes = codes_of(labels.value, classes)
    if (label_codes < 0).any():
        stray = labels.value[int(np.argmax(label_codes < 0))]
        raise ValueError(f"label {stray!r} is not in the project's schema")
    table = LabelTable(
        task_codes.astype(np.int64),
        worker_codes.astype(np.int64),
        label_codes,
        tuple(tasks.tolist()),
        tuple(people.tolist()),
        classes,
    )
    task_code = {task_id: code for code, task_id in enumerate(table.tasks)}
    gold = {
        task_code[task_id]: class_code[answer]
        for task_id, answer in labels.gold.items()
        if task_id in task_code and answer in class_code
    }
    answers = inference.aggregate(table, method, gold=gold or None)
    workers: dict[int, tuple[float, list[list[float]]]] = {}
    if answers.confusion is not None:
        prior = answers.posterior.mean(axis=0)
        for code, person_id in enumerate(table.workers):
            matrix = answers.confusion[code]
            accuracy = float(np.sum(prior * np.diag(matrix)))
            workers[int(person_id)] = (accuracy, np.round(matrix, 4).tolist())
    return Consensus(
        task=np.asarray(table.tasks, dtype=np.int64),
        answer=[classes[c] for c in answers.label],
        confidence=answers.confidence,
        n_labels=np.bincount(table.task, minlength=table.n_tasks).astype(np.int64),
        method=method,
        workers=workers,
        classes=classes,
    )


def _one_task(
    schema: LabelSchema,
    values: list[Any],
    weights: list[float],
    data: Mapping[str, Any],
    embedder: Embedder | None,
) -> structured.Aggregate[Any]:
    match schema:
        case MultiLabelSchema():
            return structured.aggregate_multi_label(values, weights=weights, schema=schema)
        case SpansSchema():
            return structured.aggregate_spans(values, len(span_text(data)), weights=weights)
        case BoxesSchema():
            return structured.aggregate_boxes(values, weights=weights)
        case PairwiseSchema():
            return structured.aggregate_preferences(values, schema=schema, weights=weights)
        case RankingSchema():
            return structured.borda(values, weights=weights)
        case LikertSchema():
            return structured.aggregate_likert(values, schema=schema, weights=weights)
        case FreeTextSchema():
            if embedder is None:
                raise ValueError("free-text consensus needs an embedder")
            return structured.medoid(values, embedder.embed(values), weights=weights)
    raise ValueError(f"no aggregator for {type(schema).__name__}")
