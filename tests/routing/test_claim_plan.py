"""The claim reads the partial index of open tasks and probes assignments by key.

The issue warns that ``NOT EXISTS (my earlier assignment) ... ORDER BY ... LIMIT 1`` can turn
into an anti-join over the whole assignments table. This test reads the planner's choice on a
project where most tasks are finished and the worker has history, and fails if the claim scans
assignments or walks finished tasks.
"""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.dialects import postgresql, sqlite

from crewline.tasks.models import Assignment, AssignmentState, Task
from crewline.tasks.service import _incomplete, _pick
from tests.routing.support import ingest, live_project, member


def _plan(session, statement) -> str:  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect
    compiled = statement.compile(
        dialect=postgresql.dialect() if dialect.name == "postgresql" else sqlite.dialect(),
        compile_kwargs={"literal_binds": True},
    )
    prefix = "EXPLAIN" if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    rows = session.execute(text(f"{prefix} {compiled}")).all()
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


def test_the_claim_uses_the_open_task_index_and_probes_assignments(factory, session) -> None:
    project = live_project(factory, overlap=1)
    rows = [{"external_id": f"t{i}", "data": {"text": "x"}} for i in range(3000)]
    ingest(session, project, rows)
    _, person = member(factory, project)
    # Most of the project is finished; the worker has done a lot of it.
    task_ids = [
        t
        for (t,) in session.execute(
            text(f"SELECT id FROM tasks WHERE project_id = {project.id} ORDER BY id")
        )
    ]
    finished = task_ids[:2500]
    session.execute(update(Task).where(Task.id.in_(finished)).values(open=False, submitted_count=1))
    session.add_all(
        Assignment(
            task_id=task_id,
            project_id=project.id,
            person_id=person.id,
            state=AssignmentState.submitted,
            lease_expires_at=project.created_at,
            schema_version=1,
            guideline_version=1,
        )
        for task_id in finished[:1500]
    )
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE tasks"))
        session.execute(text("ANALYZE assignments"))
    plan = _plan(session, _pick(project.id, person.id, gold=False))
    assert "ix_tasks_claim" in plan, plan
    if session.get_bind().dialect.name == "postgresql":
        assert "Seq Scan on assignments" not in plan, plan
        assert "Anti Join" not in plan or "Nested Loop Anti Join" in plan, plan
        assert "Sort" not in plan, plan  # the index's own order serves ORDER BY ... LIMIT 1
        assert "uq_assignments_task_id_person_id" in plan or "Index Only Scan" in plan, plan
    else:
        assert "SCAN assignments" not in plan, plan
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_the_completion_check_reads_one_entry_of_the_incomplete_index(factory, session) -> None:
    """Run after every completed task: a sequential scan here cost 1.5-4 ms per submission."""
    project = live_project(factory, overlap=1)
    ingest(session, project, [{"external_id": f"t{i}", "data": {"text": "x"}} for i in range(3000)])
    session.execute(
        text(
            f"UPDATE tasks SET completed_at = created_at, open = false "
            f"WHERE project_id = {project.id} AND id % 10 < 3"
        )
    )
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE tasks"))
    plan = _plan(session, _incomplete(project.id))
    assert "ix_tasks_incomplete" in plan, plan
    assert "Seq Scan" not in plan and "Sort" not in plan, plan
    assert "USE TEMP B-TREE" not in plan, plan
