"""Funnel analytics on a pipeline small enough to work out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from crewline.hiring import analytics, service
from crewline.hiring.models import Application, StageEvent
from crewline.hiring.schemas import ChannelCreate, CohortCreate, RequisitionCreate
from tests.factories import ACTOR, Factory

DAY0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

#: Each candidate's stages with the day they entered each.
STORIES = {
    "A": [
        ("sourced", 0),
        ("screened", 2),
        ("assessed", 5),
        ("trial_training", 6),
        ("qualified", 10),
    ],
    "B": [("sourced", 0), ("screened", 1), ("assessed", 3), ("rejected", 4)],
    "C": [("sourced", 0), ("screened", 3), ("withdrawn", 4)],
    "D": [("sourced", 0), ("rejected", 1)],
    "E": [("sourced", 0)],
}


@pytest.fixture
def data(factory: Factory, session: Session) -> analytics.Data:
    channel = service.do_create_channel(
        session=session,
        actor=ACTOR,
        data=ChannelCreate(name="Referrals", kind="referral", cost=Decimal("100.00")),
    )
    cohort = service.do_create_cohort(
        session=session,
        actor=ACTOR,
        data=CohortCreate(
            name="SEA-01", region="SEA", time_zone="Asia/Manila", start_date=DAY0.date()
        ),
    )
    requisition = service.do_create_requisition(
        session=session,
        actor=ACTOR,
        data=RequisitionCreate(
            title="Moderators", role_type="content_moderator", headcount=10, regions=["SEA"]
        ),
        embedder=None,
    )
    for name, story in STORIES.items():
        person = factory.person(
            worker=None, country="PH", region="SEA", time_zone="Asia/Manila", full_name=name
        )
        last_stage, last_day = story[-1]
        application = Application(
            person_id=person.id,
            requisition_id=requisition.id,
            channel_id=channel.id if name in "AB" else None,
            cohort_id=cohort.id,
            stage=last_stage,
            stage_changed_at=DAY0 + timedelta(days=last_day),
        )
        session.add(application)
        session.flush()
        previous = None
        for stage, day in story:
            session.add(
                StageEvent(
                    application_id=application.id,
                    from_stage=previous,
                    to_stage=stage,
                    actor="test",
                    at=DAY0 + timedelta(days=day),
                )
            )
            previous = stage
    session.commit()
    return analytics.load(session=session, filters=analytics.Filters(requisition_id=requisition.id))


def test_funnel_counts_everyone_who_reached_each_stage(data: analytics.Data) -> None:
    over = list(data.requisitions.values())[-1].stages
    steps = analytics.funnel(data.apps, over)
    assert [s["reached"] for s in steps] == [5, 3, 2, 1, 1, 0]
    assert [s["conversion"] for s in steps] == [None, 0.6, pytest.approx(2 / 3), 0.5, 1.0, 0.0]


def test_time_in_stage_finds_the_bottleneck_and_the_stalled(data: analytics.Data) -> None:
    over = list(data.requisitions.values())[-1].stages
    rows = {
        r["stage"]: r for r in analytics.time_in_stage(data, over, now=DAY0 + timedelta(days=30))
    }
    assert rows["sourced"]["median_days"] == 1.5 and rows["sourced"]["finished_stays"] == 4
    assert rows["screened"]["median_days"] == 2.0
    assert rows["assessed"]["median_days"] == 1.0
    assert rows["trial_training"]["median_days"] == 4.0
    assert [s for s, r in rows.items() if r["bottleneck"]] == ["trial_training"]
    # E has waited 30 days in sourced, past that stage's p90 (2.7 days): stalled.
    assert rows["sourced"]["waiting"] == 1 and rows["sourced"]["stalled"] == 1
    assert rows["qualified"]["waiting"] == 1 and rows["qualified"]["median_days"] is None


def test_exit_points_cohorts_channels_and_health(data: analytics.Data) -> None:
    exits = {e["stage"]: e for e in analytics.exit_points(data)}
    assert (exits["screened"]["reached"], exits["screened"]["withdrew"]) == (3, 1)
    assert exits["assessed"]["drop_off"] == 0.0
    [cohort] = analytics.cohort_outcomes(data)
    assert (cohort["assessed"], cohort["qualified"], cohort["rate"]) == (2, 1, 0.5)
    [channel] = analytics.cost_per_qualified(data)
    assert channel["qualified"] == 1 and channel["cost_per_qualified"] == Decimal("100.00")
    [health] = analytics.pipeline_health(data, today=date(2026, 12, 1))
    # Of the four closed or qualified candidates who were sourced, one qualified: E, still
    # sourced, is expected to bring 0.25 more.
    assert health["qualified"] == 1 and health["expected_more"] == 0.25
    assert health["gap"] == 8.75 and health["at_stage"]["sourced"] == 1


def test_qualified_per_week_buckets_by_iso_week(data: analytics.Data) -> None:
    weeks = analytics.qualified_per_week(data, weeks=3, today=date(2026, 11, 18))
    assert weeks == [
        {"week": "2026-11-02", "qualified": 0},
        {"week": "2026-11-09", "qualified": 1},
        {"week": "2026-11-16", "qualified": 0},
    ]
