"""Live probation (gold only, then confirmed or held), tiers per project (ladder, margin,
history, by hand) and routing reading the project tier."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.assessments import tiers
from crewline.assessments.models import TierChange
from crewline.assessments.schemas import TierRule, TierRules
from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.people.models import Tier
from crewline.projects import service as projects
from crewline.projects.models import ProjectMember
from crewline.quality.models import WorkerQuality
from crewline.tasks.models import Task
from tests.assessments.support import gold_rows
from tests.factories import ACTOR, Factory
from tests.routing.support import ingest, live_project, member, reviews

TRAINEE = {"tier": "trainee", "status": "active", "availability_hours": 20}
LADDER = [
    TierRule(tier=Tier.tier_1, min_labels=50, min_gold_accuracy=0.8),
    TierRule(tier=Tier.tier_2, min_labels=500, min_gold_accuracy=0.9),
]


def _work(factory: Factory, user: Any) -> dict[str, Any]:
    response = factory.api(user).post("/api/v1/work/next")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _submit(factory: Factory, user: Any, item: dict[str, Any], value: str) -> None:
    assignment = item["assignment"]["id"]
    response = factory.api(user).post(
        f"/api/v1/work/{assignment}/submit",
        json={"value": value, "client_submission_id": str(uuid4()), "active_seconds": 9},
    )
    assert response.status_code == 200, response.text


def _key(session: Session, item: dict[str, Any]) -> str:
    key: str = session.get_one(Task, item["task"]["id"]).gold_answer
    return key


# --- probation ---------------------------------------------------------------------------------


def test_probation_offers_only_gold_then_confirms(factory: Factory, session: Session) -> None:
    project = live_project(factory, probation_tasks=3, probation_pass=0.6)
    ingest(session, project, reviews(20))
    ingest(session, project, gold_rows(5))
    user, person = member(factory, project)
    for _ in range(3):
        item = _work(factory, user)
        assert item["assignment"] is not None
        _submit(factory, user, item, _key(session, item))
    session.expire_all()
    membership = projects.current_member(
        session=session, project_id=project.id, person_id=person.id
    )
    assert membership is not None
    assert membership.probation_left is None and membership.confirmed_at is not None
    assert membership.hold_reason is None


def test_every_probation_task_is_gold(factory: Factory, session: Session) -> None:
    project = live_project(factory, probation_tasks=4, gold_rate=0.0)
    ingest(session, project, reviews(30))
    ingest(session, project, gold_rows(6))
    user, _ = member(factory, project)
    for _ in range(4):
        item = _work(factory, user)
        assert session.get_one(Task, item["task"]["id"]).is_gold
        _submit(factory, user, item, "positive")


def test_probation_below_the_bar_holds_the_member_with_the_figures(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory, probation_tasks=2, probation_pass=0.9)
    ingest(session, project, gold_rows(4))
    user, person = member(factory, project)
    for _ in range(2):
        item = _work(factory, user)
        key = _key(session, item)
        _submit(factory, user, item, "neutral" if key != "neutral" else "positive")
    session.expire_all()
    membership = projects.current_member(
        session=session, project_id=project.id, person_id=person.id
    )
    assert membership is not None and membership.confirmed_at is None
    assert "probation not passed" in (membership.hold_reason or "")
    assert "0%" in (membership.hold_reason or "")
    held = _work(factory, user)
    assert held["assignment"] is None and "probation not passed" in held["reason"]


def test_without_probation_members_start_confirmed_work(factory: Factory) -> None:
    project = live_project(factory)
    _, person = member(factory, project)
    membership = projects.current_member(
        session=factory.session, project_id=project.id, person_id=person.id
    )
    assert membership is not None and membership.probation_left is None


# --- tiers: the ladder (pure) ------------------------------------------------------------------


def test_the_ladder_promotes_to_the_highest_rung_met() -> None:
    decision = tiers.decide(LADDER, Tier.trainee, 600, 0.93, 0.03)
    assert decision is not None and decision.tier is Tier.tier_2
    assert "promoted" in decision.reason and "600 labels" in decision.reason


def test_volume_alone_does_not_promote_and_no_figures_change_nothing() -> None:
    assert tiers.decide(LADDER, Tier.trainee, 10, 0.99, 0.03) is None
    assert tiers.decide(LADDER, Tier.trainee, 900, None, 0.03) is None
    assert tiers.decide([], Tier.trainee, 900, 0.99, 0.03) is None


def test_demotion_waits_for_the_margin() -> None:
    assert tiers.decide(LADDER, Tier.tier_2, 900, 0.88, 0.03) is None  # within the margin
    decision = tiers.decide(LADDER, Tier.tier_2, 900, 0.86, 0.03)
    assert decision is not None and decision.tier is Tier.tier_1 and "demoted" in decision.reason
    fallen = tiers.decide(LADDER, Tier.tier_1, 900, 0.5, 0.03)
    assert fallen is not None and fallen.tier is Tier.trainee


def test_tiers_appointed_above_the_ladder_are_left_alone() -> None:
    assert tiers.decide(LADDER, Tier.reviewer, 0, 0.1, 0.03) is None


@given(
    labels=st.integers(0, 2000),
    accuracy=st.floats(0, 1),
    start=st.sampled_from([Tier.trainee, Tier.tier_1, Tier.tier_2]),
    margin=st.floats(0, 0.2),
)
def test_the_ladder_settles_after_one_step(
    labels: int, accuracy: float, start: Tier, margin: float
) -> None:
    """Applying the rules again to the same figures changes nothing (no flapping)."""
    first = tiers.decide(LADDER, start, labels, accuracy, margin)
    settled = first.tier if first else start
    assert tiers.decide(LADDER, settled, labels, accuracy, margin) is None


# --- tiers: on a project -----------------------------------------------------------------------


def _figures(session: Session, project_id: int, person_id: int, **values: Any) -> None:
    session.add(
        WorkerQuality(
            project_id=project_id,
            person_id=person_id,
            labels=values.get("labels", 0),
            gold_seen=values.get("gold_seen", 40),
            gold_score=0.0,
            gold_accuracy=values.get("gold_accuracy"),
        )
    )
    session.commit()


def test_a_review_applies_the_ladder_with_history_and_routing_reads_the_tier(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory, min_tier="tier_1")
    ingest(session, project, reviews(5))
    user, person = member(factory, project, worker=TRAINEE)
    assert _work(factory, user)["assignment"] is None  # below the project's tier
    ops = factory.api(factory.user(Role.ops_manager))
    rules = {"rules": [r.model_dump(mode="json") for r in LADDER], "demotion_margin": 0.03}
    assert ops.put(f"/api/v1/projects/{project.id}/tier-rules", json=rules).status_code == 200
    _figures(session, project.id, person.id, labels=80, gold_accuracy=0.85)
    changes = ops.post(f"/api/v1/projects/{project.id}/tier-review").json()
    assert [(c["from_tier"], c["to_tier"]) for c in changes] == [("trainee", "tier_1")]
    assert changes[0]["figures"]["labels"] == 80 and changes[0]["actor"] == tiers.RULES
    assert ops.post(f"/api/v1/projects/{project.id}/tier-review").json() == []
    factory.app.state.eligibility_cache.forget(person.id)
    assert _work(factory, user)["assignment"] is not None  # tier 1 on this project now


def test_a_tier_set_by_hand_is_kept_with_its_reason(factory: Factory, session: Session) -> None:
    project = live_project(factory)
    _, person = member(factory, project)
    ops = factory.api(factory.user(Role.ops_manager))
    url = f"/api/v1/projects/{project.id}/members/{person.id}/tier"
    response = ops.put(url, json={"tier": "reviewer", "reason": "Adjudicates medical edge cases"})
    assert response.status_code == 200, response.text
    assert ops.put(url, json={"tier": "reviewer", "reason": "again"}).status_code == 409
    assert ops.put(url, json={"tier": "expert"}).status_code == 422  # a reason is required
    history = ops.get(
        f"/api/v1/projects/{project.id}/tier-changes", params={"person_id": person.id}
    ).json()
    assert [h["to_tier"] for h in history] == ["reviewer"]
    assert history[0]["reason"] == "Adjudicates medical edge cases"
    stranger = ops.put(
        f"/api/v1/projects/{project.id}/members/999999/tier",
        json={"tier": "tier_1", "reason": "typo"},
    )
    assert stranger.status_code == 404
    row = session.scalar(select(ProjectMember.tier).where(ProjectMember.person_id == person.id))
    assert row is Tier.reviewer
    assert session.scalar(select(TierChange.actor).where(TierChange.person_id == person.id))


def test_tier_rules_refuse_a_ladder_out_of_order(factory: Factory) -> None:
    project = live_project(factory)
    ops = factory.api(factory.user(Role.ops_manager))
    rules = {"rules": [r.model_dump(mode="json") for r in reversed(LADDER)]}
    response = ops.put(f"/api/v1/projects/{project.id}/tier-rules", json=rules)
    assert response.status_code == 422 and "lowest first" in response.text
    recruiter = factory.api(factory.user(Role.recruiter))
    rules = {"rules": [r.model_dump(mode="json") for r in LADDER]}
    assert recruiter.put(f"/api/v1/projects/{project.id}/tier-rules", json=rules).status_code == 403


def test_the_tier_job_reviews_every_project_with_a_ladder(
    factory: Factory, session: Session
) -> None:
    project = live_project(factory)
    _, person = member(factory, project, worker=TRAINEE)
    tiers.do_set_rules(
        session=session, actor=ACTOR, project_id=project.id, data=TierRules(rules=LADDER)
    )
    _figures(session, project.id, person.id, labels=700, gold_accuracy=0.95)
    assert tiers.review_all(session, utcnow()) >= 1
    session.expire_all()
    membership = projects.current_member(
        session=session, project_id=project.id, person_id=person.id
    )
    assert membership is not None and membership.tier is Tier.tier_2


def test_probation_without_gold_left_says_so(factory: Factory, session: Session) -> None:
    project = live_project(factory, probation_tasks=3)
    ingest(session, project, reviews(5))
    ingest(session, project, gold_rows(1))
    user, _ = member(factory, project)
    item = _work(factory, user)
    _submit(factory, user, item, _key(session, item))
    dry = _work(factory, user)
    assert dry["assignment"] is None and "probation" in dry["reason"]
