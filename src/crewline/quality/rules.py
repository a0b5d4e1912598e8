"""Quality rules, the way crowd platforms let requesters write them: collector, condition, action.

A rule reads one figure per worker (or per task) from a **collector**, compares it with a
threshold, and takes an **action** where the condition holds — but only on a figure resting
on at least ``min_count`` observations, so three unlucky answers never stop anyone. Rules run
inside every quality refresh, so they act within a refresh interval of the annotations that
fired them. Every action is logged with the rule and the numbers; an action about a person
(``stop_routing``) can be reversed by a human, which lifts the hold.

Actions are idempotent while their effect stands: a held worker is not held again, a task
with an open review item gets no second one, a task at its label maximum gets no more.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.projects import service as projects
from crewline.quality.models import (
    AlertStatus,
    QualityAlert,
    QualityRule,
    QualitySettings,
    ReviewItem,
    ReviewReason,
    ReviewStatus,
    RuleAction,
    TaskConsensus,
)
from crewline.tasks import service as tasks
from crewline.tasks.models import COUNTED, Assignment, AssignmentState, Task, TaskFlag

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
SYSTEM = Actor(user_id=None, label="quality rules")


@dataclass(frozen=True, slots=True)
class Collector:
    """What a collector measures, over what, and the settings it takes (with defaults)."""

    scope: str  # "worker" or "task"
    description: str
    params: dict[str, float]


COLLECTORS: dict[str, Collector] = {
    "gold_accuracy": Collector(
        "worker", "mean gold score over the worker's last N gold answers", {"last": 20}
    ),
    "consensus_agreement": Collector(
        "worker",
        "share of the worker's last N non-gold labels equal to the final answer",
        {"last": 50},
    ),
    "fast_answers": Collector(
        "worker",
        "share of the worker's last N labels made in under S seconds",
        {"last": 50, "seconds": 5},
    ),
    "skipped_or_returned": Collector(
        "worker",
        "share of the worker's last N finished tasks they skipped or gave back",
        {"last": 50},
    ),
    "flags_raised": Collector(
        "worker", "edge cases and questions the worker raised in the last D days", {"days": 7}
    ),
    "consensus_confidence": Collector(
        "task", "the task's consensus confidence once it has all its labels", {}
    ),
}
ACTIONS: dict[str, set[str]] = {
    "stop_routing": {"worker"},
    "notify_reviewers": {"worker", "task"},
    "more_labels": {"task"},
    "send_to_review": {"task"},
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One subject's figure: the worker or task id, the value and how many observations."""

    subject: int
    value: float
    count: int


def validate(
    *, collector: str, params: dict[str, Any], operator_: str, threshold: float, action: str
) -> dict[str, float]:
    """Refuse a rule that cannot run, naming the field; return the params with defaults."""
    if collector not in COLLECTORS:
        raise InvalidInput("collector", f"{collector!r} is not one of {', '.join(COLLECTORS)}")
    if action not in ACTIONS:
        raise InvalidInput("action", f"{action!r} is not one of {', '.join(ACTIONS)}")
    if operator_ not in OPERATORS:
        raise InvalidInput("operator", f"{operator_!r} is not one of {', '.join(OPERATORS)}")
    if not math.isfinite(threshold):
        raise InvalidInput("threshold", "must be a finite number")
    scope = COLLECTORS[collector].scope
    if scope not in ACTIONS[action]:
        raise InvalidInput("action", f"{action} does not apply to a {scope} collector")
    known = COLLECTORS[collector].params
    unknown = set(params) - set(known)
    if unknown:
        raise InvalidInput("params", f"{collector} takes {', '.join(known) or 'no settings'}")
    merged = {**known, **params}
    for name, value in merged.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise InvalidInput(f"params.{name}", "must be a positive number")
    return {name: float(value) for name, value in merged.items()}


def do_create_rule(
    *,
    session: Session,
    actor: Actor,
    project_id: int,
    name: str,
    collector: str,
    params: dict[str, Any],
    operator_: str,
    threshold: float,
    min_count: int,
    action: str,
) -> QualityRule:
    """Add an enabled rule to a project."""
    projects.get_or_404(session=session, project_id=project_id)
    merged = validate(
        collector=collector, params=params, operator_=operator_, threshold=threshold, action=action
    )
    rule = QualityRule(
        project_id=project_id,
        name=name,
        collector=collector,
        params=merged,
        operator=operator_,
        threshold=threshold,
        min_count=min_count,
        action=action,
        enabled=True,
        created_by=actor.label,
    )
    session.add(rule)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="quality.rule_create",
        entity_type="quality_rule",
        entity_id=rule.id,
        after={"name": name, "collector": collector, "action": action, "threshold": threshold},
    )
    session.commit()
    return rule


def do_set_enabled(*, session: Session, actor: Actor, rule_id: int, enabled: bool) -> QualityRule:
    """Turn a rule on or off (its action log stays)."""
    rule = session.get(QualityRule, rule_id)
    if rule is None:
        raise NotFound(f"rule {rule_id} not found")
    rule.enabled = enabled
    audit.record(
        session=session,
        actor=actor,
        action="quality.rule_enable" if enabled else "quality.rule_disable",
        entity_type="quality_rule",
        entity_id=rule_id,
        after={"enabled": enabled},
    )
    session.commit()
    return rule


def rules_of(*, session: Session, project_id: int) -> list[QualityRule]:
    """A project's rules, oldest first."""
    return list(
        session.scalars(
            select(QualityRule).where(QualityRule.project_id == project_id).order_by(QualityRule.id)
        )
    )


def actions_of(*, session: Session, project_id: int, limit: int = 200) -> list[RuleAction]:
    """A project's rule actions, newest first."""
    return list(
        session.scalars(
            select(RuleAction)
            .where(RuleAction.project_id == project_id)
            .order_by(RuleAction.taken_at.desc(), RuleAction.id.desc())
            .limit(limit)
        )
    )


# --- collectors ----------------------------------------------------------------------------------


def _recent(project_id: int, last: int, *where: Any) -> Select[Any]:
    """Each worker's last ``last`` finished assignments on the project matching ``where``."""
    ranked = (
        select(
            Assignment.person_id,
            Assignment.task_id,
            Assignment.value,
            Assignment.gold_score,
            Assignment.active_seconds,
            Assignment.state,
            func.row_number()
            .over(
                partition_by=Assignment.person_id,
                order_by=(Assignment.finished_at.desc(), Assignment.id.desc()),
            )
            .label("n"),
        )
        .where(Assignment.project_id == project_id, Assignment.finished_at.is_not(None), *where)
        .subquery()
    )
    return select(ranked).where(ranked.c.n <= last)


def collect(
    session: Session, project_id: int, collector: str, params: dict[str, float], now: datetime
) -> list[Figure]:
    """The collector's figure for every worker (or task) of the project that has one."""
    last = int(params.get("last", 0))
    by_person: dict[int, list[float]] = {}
    if collector == "consensus_confidence":
        tasks_ = session.execute(
            select(TaskConsensus.task_id, TaskConsensus.confidence, TaskConsensus.n_labels)
            .join(Task, Task.id == TaskConsensus.task_id)
            .where(
                TaskConsensus.project_id == project_id,
                TaskConsensus.source.not_in(["gold", "adjudicated"]),
                Task.completed_at.is_not(None),
            )
        ).all()
        return [Figure(task_id, confidence, n) for task_id, confidence, n in tasks_]
    if collector == "flags_raised":
        since = now - timedelta(days=params["days"])
        counts = session.execute(
            select(TaskFlag.person_id, func.count())
            .where(TaskFlag.project_id == project_id, TaskFlag.created_at >= since)
            .group_by(TaskFlag.person_id)
        ).all()
        return [Figure(person_id, float(n), int(n)) for person_id, n in counts]
    if collector == "gold_accuracy":
        query = _recent(
            project_id, last, Assignment.is_gold.is_(True), Assignment.state.in_(COUNTED)
        )
        for row in session.execute(query):
            if row.gold_score is not None:
                by_person.setdefault(row.person_id, []).append(float(row.gold_score))
    elif collector == "consensus_agreement":
        query = _recent(
            project_id, last, Assignment.is_gold.is_(False), Assignment.state.in_(COUNTED)
        )
        inner = query.subquery()
        rows = session.execute(
            select(inner.c.person_id, inner.c.value, TaskConsensus.answer).join(
                TaskConsensus, TaskConsensus.task_id == inner.c.task_id
            )
        ).all()
        for person_id, value, answer in rows:
            by_person.setdefault(person_id, []).append(float(value == answer))
    elif collector == "fast_answers":
        query = _recent(project_id, last, Assignment.state.in_(COUNTED))
        for row in session.execute(query):
            if row.active_seconds is not None:
                fast = float(row.active_seconds < params["seconds"])
                by_person.setdefault(row.person_id, []).append(fast)
    elif collector == "skipped_or_returned":
        gave_up = {AssignmentState.skipped, AssignmentState.returned}
        query = _recent(project_id, last, Assignment.state.in_([*COUNTED, *gave_up]))
        for row in session.execute(query):
            by_person.setdefault(row.person_id, []).append(float(row.state in gave_up))
    return [Figure(p, sum(v) / len(v), len(v)) for p, v in by_person.items()]


# --- running -------------------------------------------------------------------------------------


def run_rules(*, session: Session, project_id: int, now: datetime) -> int:
    """Evaluate the project's enabled rules and take their actions; returns actions taken.

    The caller commits (the refresh does, with everything else it wrote).
    """
    taken = 0
    for rule in session.scalars(
        select(QualityRule).where(QualityRule.project_id == project_id, QualityRule.enabled)
    ):
        test = OPERATORS[rule.operator]
        for figure in collect(session, project_id, rule.collector, rule.params, now):
            if figure.count < rule.min_count or not test(figure.value, rule.threshold):
                continue
            numbers = {
                "value": round(figure.value, 4),
                "count": figure.count,
                "operator": rule.operator,
                "threshold": rule.threshold,
                **rule.params,
            }
            if _act(session, rule, figure.subject, numbers, now):
                taken += 1
    return taken


def _act(
    session: Session, rule: QualityRule, subject: int, numbers: dict[str, Any], now: datetime
) -> bool:
    """Take the rule's action on a worker or task unless its effect already stands."""
    scope = COLLECTORS[rule.collector].scope
    person_id = subject if scope == "worker" else None
    task_id = subject if scope == "task" else None
    why = (
        f"rule '{rule.name}': {rule.collector} {numbers['value']} {rule.operator} {rule.threshold}"
    )
    if rule.action == "stop_routing":
        member = projects.current_member(
            session=session, project_id=rule.project_id, person_id=subject
        )
        if member is None or member.hold_reason is not None:
            return False
        projects.do_set_hold(
            session=session,
            actor=SYSTEM,
            project_id=rule.project_id,
            person_id=subject,
            reason=why,
            now=now,
            commit=False,
        )
    elif rule.action == "more_labels":
        task = session.get_one(Task, subject)
        settings = session.get(QualitySettings, rule.project_id)
        cap = settings.max_labels if settings and settings.max_labels else task.required_labels + 2
        if task.completed_at is None or task.required_labels >= cap:
            return False
        tasks.do_set_required_labels(
            session=session,
            actor=SYSTEM,
            task_id=subject,
            required=task.required_labels + 1,
            now=now,
            commit=False,
        )
    elif rule.action == "send_to_review":
        pending = session.scalar(
            select(ReviewItem.id).where(
                ReviewItem.task_id == subject,
                ReviewItem.status.in_([ReviewStatus.open, ReviewStatus.escalated]),
            )
        )
        if pending is not None:
            return False
        session.add(
            ReviewItem(
                task_id=subject,
                project_id=rule.project_id,
                reason=ReviewReason.rule,
                detail=why[:500],
                status=ReviewStatus.open,
                created_at=now,
            )
        )
    else:  # notify_reviewers
        who = QualityAlert.person_id == person_id if person_id else QualityAlert.person_id.is_(None)
        exists = session.scalar(
            select(QualityAlert.id).where(
                QualityAlert.project_id == rule.project_id,
                who,
                QualityAlert.kind == "rule",
                QualityAlert.status == AlertStatus.open,
                and_(QualityAlert.message == why[:500]),
            )
        )
        if exists is not None:
            return False
        session.add(
            QualityAlert(
                project_id=rule.project_id,
                person_id=person_id,
                kind="rule",
                message=why[:500],
                evidence={**numbers, "task_id": task_id},
                status=AlertStatus.open,
                created_at=now,
            )
        )
    session.add(
        RuleAction(
            rule_id=rule.id,
            project_id=rule.project_id,
            person_id=person_id,
            task_id=task_id,
            action=rule.action,
            numbers=numbers,
            taken_at=now,
        )
    )
    session.flush()
    return True


def do_reverse(
    *, session: Session, actor: Actor, action_id: int, reason: str, now: datetime
) -> RuleAction:
    """Undo an action about a person: lift the hold a ``stop_routing`` action placed."""
    taken = session.get(RuleAction, action_id)
    if taken is None:
        raise NotFound(f"rule action {action_id} not found")
    if taken.reversed_at is not None:
        raise Conflict(f"rule action {action_id} was already reversed")
    if taken.action != "stop_routing" or taken.person_id is None:
        raise Conflict(f"a {taken.action} action is not about a person and is not reversed")
    if not reason.strip():
        raise InvalidInput("reason", "say why the action is reversed")
    projects.do_set_hold(
        session=session,
        actor=actor,
        project_id=taken.project_id,
        person_id=taken.person_id,
        reason=None,
        now=now,
        commit=False,
    )
    taken.reversed_by, taken.reversed_at, taken.reverse_reason = actor.label, now, reason.strip()
    audit.record(
        session=session,
        actor=actor,
        action="quality.rule_action_reverse",
        entity_type="rule_action",
        entity_id=taken.id,
        after={"reason": taken.reverse_reason},
    )
    session.commit()
    return taken
