"""Model-assisted audit against a local server speaking the OpenAI chat-completions protocol."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.auth.roles import Role
from crewline.db import utcnow
from crewline.people.models import Person
from crewline.projects.models import Project
from crewline.quality import refresh
from crewline.quality.models import ReviewItem, ReviewReason
from tests.factories import Factory
from tests.quality.test_refresh import CLASSES, setup_project, truth, work, wrong


class FakeModel(BaseHTTPRequestHandler):
    """Answers the true label, except: the first call fails with 500 (to be retried), and
    the task "Review 3" gets a reply that is not JSON."""

    calls: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeModel.calls.append({"body": body, "auth": self.headers.get("Authorization")})
        if len(FakeModel.calls) == 1:
            self.send_response(500)
            self.end_headers()
            return
        task = re.search(r"Review (\d+)", body["messages"][1]["content"])
        number = int(task.group(1)) if task else 0
        content = (
            "not json at all"
            if number == 3
            else json.dumps({"value": CLASSES[number % 3], "reason": "the text says so"})
        )
        reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def model_url() -> Iterator[str]:
    FakeModel.calls = []
    server = HTTPServer(("127.0.0.1", 0), FakeModel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()


@pytest.fixture
def project(factory: Factory, session: Session) -> Project:
    project = setup_project(
        factory, overlap=2, count=8, gold=0, method="mv", confidence_threshold=0.4
    )
    work(factory, project, [truth, wrong])
    refresh.refresh_project(session=session, project_id=project.id, now=utcnow())
    return project


def test_audit_is_off_until_configured(factory: Factory, project: Project) -> None:
    api = factory.api(factory.user(Role.ops_manager))
    response = api.post(f"/api/v1/projects/{project.id}/llm-audits", json={})
    assert response.status_code == 409 and "CREWLINE_LLM_BASE_URL" in response.text


def test_the_model_judges_a_sample_and_disagreements_go_to_review(
    factory: Factory,
    session: Session,
    project: Project,
    model_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = factory.app.state.settings
    monkeypatch.setattr(settings, "llm_base_url", model_url)
    monkeypatch.setattr(settings, "llm_model", "judge-1")
    monkeypatch.setattr(settings, "llm_api_key", type(settings.secret_key)("sk-test"))
    api = factory.api(factory.user(Role.ops_manager))
    response = api.post(
        f"/api/v1/projects/{project.id}/llm-audits",
        json={"sample_size": 16, "seed": 1, "send_disagreements_to_review": True},
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["judged"] + result["errors"] == 16
    assert result["errors"] == 2  # both annotations of "Review 3" got an unparseable reply
    assert result["with_worker"] == pytest.approx(0.5)  # one worker right, one wrong
    low, high = result["with_worker_interval"]
    assert low < 0.5 < high
    assert FakeModel.calls[0]["auth"] == "Bearer sk-test"
    assert FakeModel.calls[1]["body"]["model"] == "judge-1"
    sent = json.dumps([c["body"] for c in FakeModel.calls])
    for person in session.scalars(select(Person)):
        assert person.full_name not in sent and person.email not in sent
    reasons = session.scalars(
        select(ReviewItem.reason).where(ReviewItem.reason == ReviewReason.audit_disagreement)
    ).all()
    disagreements = [j for j in result["judgments"] if j["agrees_with_consensus"] is False]
    assert len(reasons) == len({j["task_id"] for j in disagreements})
    again = api.get(f"/api/v1/llm-audits/{result['audit_id']}").json()
    assert again["judged"] == result["judged"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sample_size": 0}, "sample_size"),
        ({"sample_size": 500}, "sample_size"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_audit_requests_are_refused(
    factory: Factory, project: Project, body: dict[str, Any], field: str
) -> None:
    response = factory.api(factory.user(Role.ops_manager)).post(
        f"/api/v1/projects/{project.id}/llm-audits", json=body
    )
    assert response.status_code == 422 and field in response.text


def test_reviewers_read_audits_but_only_managers_run_them(
    factory: Factory, project: Project
) -> None:
    reviewer = factory.api(factory.user(Role.reviewer))
    assert reviewer.post(f"/api/v1/projects/{project.id}/llm-audits", json={}).status_code == 403
    assert reviewer.get("/api/v1/llm-audits/999999").status_code == 404
