"""Tiers per project: a promotion ladder from volume and gold accuracy, demotion with a
margin, changes by hand, and the history of every change with its reason and figures.

The ladder is read against the quality engine's latest figures for the member on the project
(``WorkerQuality``): labels counted and gold accuracy as a Beta posterior mean, so a worker is
not promoted on three lucky gold answers. A tier is earned at its bar and kept until gold
accuracy falls ``demotion_margin`` below it, so a worker hovering at the bar does not flap
between tiers at every refresh. Tiers above the ladder's top (a reviewer or expert appointed
by hand where the ladder stops at tier 2) are never touched by the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.assessments.models import QualificationSettings, TierChange
from crewline.assessments.schemas import TierRule, TierRules, TierSet
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.errors import Conflict, NotFound
from crewline.people.models import Tier, Worker
from crewline.projects import service as projects
from crewline.projects.models import ProjectMember
from crewline.quality.models import WorkerQuality

RULES = "tier rules"


@dataclass(frozen=True, slots=True)
class Decision:
    """Where the ladder puts a worker, and why (None: they stay)."""

    tier: Tier
    reason: str


def _meets(rule: TierRule, labels: int, accuracy: float, margin: float = 0.0) -> bool:
    return labels >= rule.min_labels and accuracy >= rule.min_gold_accuracy - margin


def decide(
    rules: Sequence[TierRule], current: Tier, labels: int, accuracy: float | None, margin: float
) -> Decision | None:
    """The tier the ladder gives a worker now, if it differs from ``current`` (pure)."""
    if not rules or accuracy is None:
        return None
    ladder = sorted(rules, key=lambda rule: rule.tier.rank)
    if current.rank > ladder[-1].tier.rank:
        return None  # appointed above the ladder by hand
    figures = f"{labels} labels, gold accuracy {accuracy:.1%}"
    earned = [rule for rule in ladder if _meets(rule, labels, accuracy)]
    if earned and earned[-1].tier.rank > current.rank:
        top = earned[-1]
        return Decision(
            top.tier,
            f"promoted: {figures} meets {top.tier.value} "
            f"({top.min_labels} labels, {top.min_gold_accuracy:.0%})",
        )
    held = next((rule for rule in ladder if rule.tier is current), None)
    if held is None or _meets(held, labels, accuracy, margin):
        return None
    kept = [
        rule
        for rule in ladder
        if rule.tier.rank < current.rank and _meets(rule, labels, accuracy, margin)
    ]
    lower = kept[-1].tier if kept else Tier.trainee
    if lower is current:
        return None
    return Decision(
        lower,
        f"demoted: gold accuracy {accuracy:.1%} is more than {margin:.0%} below "
        f"{current.value}'s bar of {held.min_gold_accuracy:.0%}",
    )


def rules_of(*, session: Session, project_id: int) -> TierRules:
    """The project's ladder (empty when none is set)."""
    settings = session.get(QualificationSettings, project_id)
    if settings is None:
        return TierRules(rules=[])
    return TierRules.model_validate(
        {"rules": settings.tier_rules, "demotion_margin": settings.demotion_margin}
    )


def do_set_rules(*, session: Session, actor: Actor, project_id: int, data: TierRules) -> TierRules:
    """Replace the project's ladder."""
    projects.get_or_404(session=session, project_id=project_id)
    settings = session.get(QualificationSettings, project_id)
    before = rules_of(session=session, project_id=project_id).model_dump(mode="json")
    if settings is None:
        settings = QualificationSettings(project_id=project_id)
        session.add(settings)
    settings.tier_rules = [rule.model_dump(mode="json") for rule in data.rules]
    settings.demotion_margin = data.demotion_margin
    settings.updated_by = actor.label
    audit.record(
        session=session,
        actor=actor,
        action="project.tier_rules",
        entity_type="project",
        entity_id=project_id,
        before=before,
        after=data.model_dump(mode="json"),
    )
    session.commit()
    return data


def _change(
    session: Session,
    member: ProjectMember,
    to: Tier,
    *,
    current: Tier,
    reason: str,
    figures: dict[str, Any],
    actor: str,
    now: datetime,
) -> TierChange:
    member.tier = to
    change = TierChange(
        project_id=member.project_id,
        person_id=member.person_id,
        from_tier=current,
        to_tier=to,
        reason=reason[:500],
        figures=figures,
        actor=actor,
        at=now,
    )
    session.add(change)
    return change


def current_tier(member: ProjectMember, worker: Worker | None) -> Tier:
    """The member's tier on the project: their own, else their pool-wide tier."""
    if member.tier is not None:
        return member.tier
    return worker.tier if worker is not None else Tier.trainee


def review_project(*, session: Session, project_id: int, now: datetime) -> list[TierChange]:
    """Apply the ladder to every current member with quality figures; the changes made."""
    ladder = rules_of(session=session, project_id=project_id)
    if not ladder.rules:
        return []
    rows = session.execute(
        select(ProjectMember, WorkerQuality, Worker)
        .join(
            WorkerQuality,
            (WorkerQuality.project_id == ProjectMember.project_id)
            & (WorkerQuality.person_id == ProjectMember.person_id),
        )
        .outerjoin(Worker, Worker.person_id == ProjectMember.person_id)
        .where(ProjectMember.project_id == project_id, ProjectMember.left_at.is_(None))
        .order_by(ProjectMember.id)
        .with_for_update(of=ProjectMember)
    )
    changes = []
    for member, figures, worker in rows:
        current = current_tier(member, worker)
        decision = decide(
            ladder.rules, current, figures.labels, figures.gold_accuracy, ladder.demotion_margin
        )
        if decision is None:
            continue
        changes.append(
            _change(
                session,
                member,
                decision.tier,
                current=current,
                reason=decision.reason,
                figures={
                    "labels": figures.labels,
                    "gold_seen": figures.gold_seen,
                    "gold_accuracy": figures.gold_accuracy,
                },
                actor=RULES,
                now=now,
            )
        )
    session.commit()
    return changes


def review_all(session: Session, now: datetime) -> int:
    """The ``assessments.tiers`` job: review every project that has a ladder."""
    project_ids = list(session.scalars(select(QualificationSettings.project_id)))
    return sum(
        len(review_project(session=session, project_id=project_id, now=now))
        for project_id in project_ids
    )


def do_set_tier(
    *,
    session: Session,
    actor: Actor,
    project_id: int,
    person_id: int,
    data: TierSet,
    now: datetime,
) -> TierChange:
    """Set a member's tier by hand, with the reason (history and audit)."""
    member = projects.current_member(session=session, project_id=project_id, person_id=person_id)
    if member is None:
        raise NotFound(f"person {person_id} is not a member of project {project_id}")
    current = current_tier(member, session.get(Worker, person_id))
    if current is data.tier:
        raise Conflict(f"the member is already {data.tier.value} on this project")
    change = _change(
        session,
        member,
        data.tier,
        current=current,
        reason=data.reason,
        figures={},
        actor=actor.label,
        now=now,
    )
    audit.record(
        session=session,
        actor=actor,
        action="project.set_tier",
        entity_type="person",
        entity_id=person_id,
        before={"project_id": project_id, "tier": current},
        after={"project_id": project_id, "tier": data.tier, "reason": data.reason},
    )
    session.commit()
    return change


def history(*, session: Session, project_id: int, person_id: int | None = None) -> list[TierChange]:
    """Tier changes on a project, newest first."""
    statement = (
        select(TierChange)
        .where(TierChange.project_id == project_id)
        .order_by(TierChange.at.desc(), TierChange.id.desc())
    )
    if person_id is not None:
        statement = statement.where(TierChange.person_id == person_id)
    return list(session.scalars(statement))
