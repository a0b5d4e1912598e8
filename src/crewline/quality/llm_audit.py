"""Model-assisted audit: a chat model judges a sample of annotations, compared with people.

Off unless ``CREWLINE_LLM_BASE_URL`` and ``CREWLINE_LLM_MODEL`` are set. Any OpenAI-compatible
endpoint works (``POST {base}/chat/completions``). Each sampled annotation becomes one prompt:
the guideline version the worker saw, the schema's description and the task data — never
the worker's name, email or any other personal field. The model answers JSON
``{"value": ..., "reason": "..."}``; the value is checked against the schema like a worker's
would be, and an answer that does not parse or fit is recorded as an error, not a judgment.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from random import Random
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.annotation import AnnotationError, validate_value
from crewline.annotation.widget import describe
from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.config import Settings
from crewline.errors import Conflict, InvalidInput, NotFound
from crewline.projects import service as projects
from crewline.quality.beta import wilson
from crewline.quality.models import (
    LlmAudit,
    LlmJudgment,
    ReviewItem,
    ReviewReason,
    ReviewStatus,
    TaskConsensus,
)
from crewline.tasks.models import COUNTED, Assignment, Task

MAX_SAMPLE = 200
RETRY_DELAYS = (0.5, 1.0, 2.0)
SYSTEM_PROMPT = (
    "You audit data annotations. Follow the guidelines exactly. Answer with one JSON object "
    '{"value": <the annotation, in the format described>, "reason": "<one sentence>"} '
    "and nothing else."
)


@dataclass(frozen=True, slots=True)
class ChatModel:
    """An OpenAI-compatible chat endpoint and model."""

    base_url: str
    model: str
    api_key: str | None
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatModel:
        """The configured model; Conflict when audits are not configured."""
        if not settings.llm_base_url or not settings.llm_model:
            raise Conflict(
                "model-assisted audit is off: set CREWLINE_LLM_BASE_URL and CREWLINE_LLM_MODEL"
            )
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        return cls(settings.llm_base_url.rstrip("/"), settings.llm_model, key)

    def ask(self, prompt: str) -> str:
        """The model's reply text; retries rate limits and server errors with backoff."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
            ],
        }
        for attempt in range(len(RETRY_DELAYS) + 1):
            response = httpx.post(
                f"{self.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=self.timeout,
            )
            retry = response.status_code == 429 or response.status_code >= 500
            if retry and attempt < len(RETRY_DELAYS):
                self.sleep(RETRY_DELAYS[attempt])
                continue
            response.raise_for_status()
            return str(response.json()["choices"][0]["message"]["content"])
        raise RuntimeError("unreachable")  # the loop returns or raises


def prompt_for(guidelines: str, widget: dict[str, object], data: dict[str, Any]) -> str:
    """The user message for one task: guidelines, answer format and the task data only."""
    return (
        f"# Guidelines\n\n{guidelines}\n\n# Answer format\n\n{json.dumps(widget)}\n\n"
        f"# Task\n\n{json.dumps(data, ensure_ascii=False)}"
    )


def do_run(
    *,
    session: Session,
    actor: Actor,
    project_id: int,
    sample_size: int,
    seed: int,
    send_to_review: bool,
    chat: ChatModel,
    now: datetime,
) -> LlmAudit:
    """Sample up to ``sample_size`` non-gold annotations (seeded), judge each, store results."""
    if not 1 <= sample_size <= MAX_SAMPLE:
        raise InvalidInput("sample_size", f"must be between 1 and {MAX_SAMPLE}")
    project = projects.get_or_404(session=session, project_id=project_id)
    schema = projects.label_schema(session=session, project=project)
    ids = list(
        session.scalars(
            select(Assignment.id)
            .where(
                Assignment.project_id == project_id,
                Assignment.state.in_(COUNTED),
                Assignment.is_gold.is_(False),
            )
            .order_by(Assignment.id)
        )
    )
    if not ids:
        raise Conflict(f"project {project_id} has no annotations to audit")
    chosen = sorted(Random(seed).sample(ids, min(sample_size, len(ids))))  # noqa: S311 (a sample)
    run = LlmAudit(
        project_id=project_id,
        model=chat.model,
        sample_size=len(chosen),
        seed=seed,
        created_by=actor.label,
        created_at=now,
    )
    session.add(run)
    session.flush()
    guidelines: dict[int, str] = {}
    for assignment in session.scalars(select(Assignment).where(Assignment.id.in_(chosen))):
        task = session.get_one(Task, assignment.task_id)
        version = assignment.guideline_version
        if version not in guidelines:
            found = projects.guideline(session=session, project_id=project_id, version=version)
            guidelines[version] = found.body if found else ""
        judgment = LlmJudgment(audit_id=run.id, task_id=task.id, assignment_id=assignment.id)
        try:
            reply = json.loads(
                chat.ask(prompt_for(guidelines[version], describe(schema), task.data))
            )
            judgment.answer = validate_value(schema, reply.get("value"), task.data)
            judgment.reason = str(reply.get("reason", ""))[:2000]
        except (ValueError, AttributeError, AnnotationError, httpx.HTTPError, KeyError) as error:
            judgment.error = f"{type(error).__name__}: {error}"[:500]
        if judgment.error is None:
            consensus = session.get(TaskConsensus, task.id)
            judgment.agrees_with_worker = judgment.answer == assignment.value
            if consensus is not None:
                judgment.agrees_with_consensus = judgment.answer == consensus.answer
                if send_to_review and not judgment.agrees_with_consensus:
                    _to_review(session, task, judgment, now)
        session.add(judgment)
        session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="quality.llm_audit",
        entity_type="project",
        entity_id=project_id,
        after={"audit_id": run.id, "model": chat.model, "sample_size": len(chosen)},
    )
    session.commit()
    return run


def _to_review(session: Session, task: Task, judgment: LlmJudgment, now: datetime) -> None:
    pending = session.scalar(
        select(ReviewItem.id).where(
            ReviewItem.task_id == task.id,
            ReviewItem.status.in_([ReviewStatus.open, ReviewStatus.escalated]),
        )
    )
    if pending is None:
        session.add(
            ReviewItem(
                task_id=task.id,
                project_id=task.project_id,
                reason=ReviewReason.audit_disagreement,
                detail=f"the model answered {json.dumps(judgment.answer)[:200]}: "
                f"{(judgment.reason or '')[:250]}",
                status=ReviewStatus.open,
                created_at=now,
            )
        )


@dataclass(frozen=True, slots=True)
class Summary:
    """How often the model agreed with the workers and with the final answers."""

    audit_id: int
    judged: int
    errors: int
    with_worker: float | None
    with_worker_interval: tuple[float, float] | None
    with_consensus: float | None
    with_consensus_interval: tuple[float, float] | None


def summary(*, session: Session, audit_id: int) -> Summary:
    """Agreement rates with Wilson intervals; errors are counted, not judged."""
    if session.get(LlmAudit, audit_id) is None:
        raise NotFound(f"audit {audit_id} not found")
    rows = list(session.scalars(select(LlmJudgment).where(LlmJudgment.audit_id == audit_id)))
    judged = [r for r in rows if r.error is None]

    def rate(values: list[bool]) -> tuple[float | None, tuple[float, float] | None]:
        if not values:
            return None, None
        return sum(values) / len(values), wilson(sum(values), len(values))

    worker = rate([bool(r.agrees_with_worker) for r in judged])
    final = rate(
        [bool(r.agrees_with_consensus) for r in judged if r.agrees_with_consensus is not None]
    )
    return Summary(audit_id, len(judged), len(rows) - len(judged), *worker, *final)
