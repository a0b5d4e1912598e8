"""Fraud and carelessness flags: raised by the refresh from ``quality.signals``, decided by people.

The refresh keeps one open flag per worker and signal up to date with the latest evidence. A
dismissed flag is not raised again for the same signal unless its severity grows; a confirmed
one stays confirmed. Confirming can hold the worker back from the project (a hold a human lifts
later) and can exclude their labels from consensus from the next refresh on.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.annotation.types import FreeTextSchema, LabelSchema, LikertSchema, SingleLabelSchema
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import Conflict, NotFound
from crewline.people.embedding import Embedder
from crewline.projects import service as projects
from crewline.quality import signals
from crewline.quality.consensus import Consensus
from crewline.quality.labels import ProjectLabels, codes_of, gold_codes
from crewline.quality.models import FlagDecision, FraudFlag, Severity

RANK = {Severity.low: 0, Severity.medium: 1, Severity.high: 2}


class Decision(enum.StrEnum):
    """What a person decides about a flag."""

    confirm = "confirm"
    dismiss = "dismiss"


def detect(
    labels: ProjectLabels,
    schema: LabelSchema,
    result: Consensus,
    embedder: Embedder | None,
) -> list[signals.Signal]:
    """Every signal that fires on the project's labels (those that fit its annotation type)."""
    found = signals.fast_answers(labels.person, labels.seconds)
    found += signals.bot_timing(labels.person, labels.finished)
    codes = _codes(labels, schema)
    if codes is not None:
        label, classes = codes
        found += signals.straight_lining(labels.person, label, len(classes))
        if isinstance(schema, SingleLabelSchema):
            gold_label = gold_codes(labels.task, labels.gold, classes)
            accuracy = {p: model for p, (model, _matrix) in result.workers.items()}
            found += signals.collusion(
                labels.person,
                labels.task,
                label,
                labels.is_gold,
                gold_label,
                accuracy,
                len(classes),
            )
    if isinstance(schema, FreeTextSchema) and embedder is not None and labels.size:
        vectors = np.asarray(embedder.embed([str(v) for v in labels.value]), dtype=np.float64)
        found += signals.duplicate_text(labels.person, labels.task, vectors)
    return found


def _codes(labels: ProjectLabels, schema: LabelSchema) -> tuple[Any, list[Any]] | None:
    """Labels as class codes for the categorical types (single labels, Likert points)."""
    if isinstance(schema, SingleLabelSchema):
        classes: list[Any] = list(schema.label_values)
    elif isinstance(schema, LikertSchema):
        classes = list(range(schema.min, schema.max + 1, schema.step))
    else:
        return None
    # A value outside the schema (an old schema version) counts as the first class, as before.
    codes = np.maximum(codes_of(labels.value, classes), 0)
    return codes, classes


def store(session: Session, project_id: int, found: list[signals.Signal], now: datetime) -> int:
    """Raise or refresh flags for what fired; returns how many new flags were raised."""
    existing: dict[tuple[int, str], list[FraudFlag]] = {}
    for flag in session.scalars(select(FraudFlag).where(FraudFlag.project_id == project_id)):
        existing.setdefault((flag.person_id, flag.signal), []).append(flag)
    raised = 0
    for signal in found:
        severity = Severity(signal.severity)
        earlier = existing.get((signal.person_id, signal.signal), [])
        open_flag = next((f for f in earlier if f.status is FlagDecision.open), None)
        if open_flag is not None:
            open_flag.score, open_flag.severity = signal.score, severity
            open_flag.evidence = _plain(signal.evidence)
            continue
        if any(f.status is FlagDecision.confirmed for f in earlier):
            continue
        if any(RANK[f.severity] >= RANK[severity] for f in earlier):
            continue  # dismissed at this severity already
        session.add(
            FraudFlag(
                project_id=project_id,
                person_id=signal.person_id,
                signal=signal.signal,
                severity=severity,
                score=signal.score,
                evidence=_plain(signal.evidence),
                status=FlagDecision.open,
                created_at=now,
            )
        )
        raised += 1
    return raised


def _plain(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Evidence as JSON-ready numbers (numpy scalars become Python ones)."""
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in evidence.items()}


def flags(
    *, session: Session, project_id: int, status: FlagDecision | None = FlagDecision.open
) -> list[FraudFlag]:
    """A project's flags, most severe and newest first."""
    query = select(FraudFlag).where(FraudFlag.project_id == project_id)
    if status is not None:
        query = query.where(FraudFlag.status == status)
    rows = list(session.scalars(query.order_by(FraudFlag.created_at.desc(), FraudFlag.id.desc())))
    return sorted(rows, key=lambda f: -RANK[f.severity])


def do_decide(
    *,
    session: Session,
    actor: Actor,
    flag_id: int,
    decision: Decision,
    note: str | None,
    hold: bool,
    exclude_labels: bool,
    now: datetime,
) -> FraudFlag:
    """Confirm (optionally holding the worker back and excluding their labels) or dismiss."""
    flag = session.get(FraudFlag, flag_id)
    if flag is None:
        raise NotFound(f"flag {flag_id} not found")
    if flag.status is not FlagDecision.open:
        raise Conflict(f"flag {flag_id} is already {flag.status.value}")
    confirmed = decision is Decision.confirm
    flag.status = FlagDecision.confirmed if confirmed else FlagDecision.dismissed
    flag.exclude_labels = confirmed and exclude_labels
    flag.decided_by, flag.decided_at, flag.note = actor.label, now, note
    if confirmed and hold:
        projects.do_set_hold(
            session=session,
            actor=actor,
            project_id=flag.project_id,
            person_id=flag.person_id,
            reason=f"confirmed {flag.signal.replace('_', ' ')} flag"
            + (f": {note}" if note else ""),
            now=now,
            commit=False,
        )
    audit.record(
        session=session,
        actor=actor,
        action=f"quality.flag_{decision.value}",
        entity_type="fraud_flag",
        entity_id=flag.id,
        after={
            "status": flag.status,
            "hold": confirmed and hold,
            "exclude_labels": flag.exclude_labels,
            "note": note,
        },
    )
    session.commit()
    return flag
