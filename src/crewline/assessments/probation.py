"""Live probation: a new annotator's first N tasks on a project are all gold, then a verdict.

Routing offers a member on probation only gold tasks (``Offer.gold_only``), so every answer in
probation is graded against a key the moment it is submitted. When the last probation task is
in, the mean gold score decides: at or above the project's ``probation_pass`` the member is
confirmed; below it they are held back from the project with the figures as the reason, for a
human to look at (lifting a hold is the same action as for any other hold).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.projects.models import Project, ProjectMember
from crewline.tasks.models import Assignment, AssignmentState

SYSTEM = Actor(user_id=None, label="probation")
#: States of an assignment whose answer stands (a later review does not undo the gold score).
ANSWERED = (AssignmentState.submitted, AssignmentState.approved, AssignmentState.rejected)


def after_submit(*, session: Session, assignment: Assignment, now: datetime) -> None:
    """Count a submitted gold answer towards the member's probation; decide at the last one.

    Runs in the submitting transaction, under a lock on the membership row, so two answers
    submitted at once cannot both count as the last.
    """
    if not assignment.is_gold or assignment.gold_score is None:
        return
    member = session.scalar(
        select(ProjectMember)
        .where(
            ProjectMember.project_id == assignment.project_id,
            ProjectMember.person_id == assignment.person_id,
            ProjectMember.left_at.is_(None),
            ProjectMember.probation_left.is_not(None),
        )
        .with_for_update(of=ProjectMember)  # not the joined project row
    )
    if member is None or member.probation_left is None:
        return
    project = session.get_one(Project, member.project_id)
    # Counted, not decremented: a retried submission returns the same assignment again, and
    # counting the answers makes the retry change nothing.
    count, mean = session.execute(
        select(func.count(), func.avg(Assignment.gold_score)).where(
            Assignment.project_id == member.project_id,
            Assignment.person_id == member.person_id,
            Assignment.is_gold.is_(True),
            Assignment.state.in_(ANSWERED),
            Assignment.gold_score.is_not(None),
            Assignment.leased_at >= member.joined_at,
        )
    ).one()
    member.probation_left = max(0, project.probation_tasks - count)
    if member.probation_left > 0:
        return
    score = float(mean or 0.0)
    member.probation_left = None
    figures = f"mean gold score {score:.0%} over {count} probation tasks"
    if score >= project.probation_pass - 1e-9:
        member.confirmed_at = now
        outcome = f"confirmed: {figures} (bar {project.probation_pass:.0%})"
    else:
        member.hold_reason = f"probation not passed: {figures}, below {project.probation_pass:.0%}"
        member.held_at = now
        outcome = member.hold_reason
    audit.record(
        session=session,
        actor=SYSTEM,
        action="project.probation",
        entity_type="person",
        entity_id=member.person_id,
        after={"project_id": member.project_id, "outcome": outcome},
    )
