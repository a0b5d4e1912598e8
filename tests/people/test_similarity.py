"""Ranking people by skill-profile similarity: the pure ``rank``, the embedder, and the endpoint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from crewline.auth.roles import Role
from crewline.orgs.models import OrgKind
from crewline.people import embedding
from crewline.people.embedding import DIM, WordLlamaEmbedder
from crewline.people.models import Person
from tests.factories import Factory
from tests.people.support import error_fields

SIMILAR = "/api/v1/people/similar"
MEDICAL = "Medical annotators to classify radiology reports and clinical notes"
CODING = "Python developers to review code and write unit tests"

# --- embedding.rank: properties -----------------------------------------------------------------

FLOATS = st.floats(-1, 1, width=32, allow_nan=False, allow_subnormal=False)


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """A query vector, a matrix of candidate rows of the same width, and a limit."""
    n = draw(st.integers(1, 40))
    dim = draw(st.integers(1, 8))
    matrix = draw(arrays(np.float32, (n, dim), elements=FLOATS))
    query = draw(arrays(np.float32, (dim,), elements=FLOATS))
    limit = draw(st.integers(1, 50))
    return query, matrix, limit


@given(problems())
def test_rank_returns_min_of_limit_and_rows_unique_valid_indices(
    problem: tuple[np.ndarray, np.ndarray, int],
) -> None:
    query, matrix, limit = problem
    ranked = embedding.rank(query, matrix, limit)
    indices = [i for i, _ in ranked]
    assert len(ranked) == min(limit, matrix.shape[0])
    assert len(set(indices)) == len(indices)
    assert all(0 <= i < matrix.shape[0] for i in indices)


@given(problems())
def test_rank_scores_are_the_dot_products_best_first(
    problem: tuple[np.ndarray, np.ndarray, int],
) -> None:
    query, matrix, limit = problem
    ranked = embedding.rank(query, matrix, limit)
    scores = [score for _, score in ranked]
    assert scores == sorted(scores, reverse=True)
    for index, score in ranked:
        assert score == pytest.approx(float(matrix[index] @ query), rel=1e-5, abs=1e-5)


@given(problems())
def test_rank_keeps_the_top_rows_and_leaves_out_only_worse_ones(
    problem: tuple[np.ndarray, np.ndarray, int],
) -> None:
    query, matrix, limit = problem
    ranked = embedding.rank(query, matrix, limit)
    kept = {i for i, _ in ranked}
    all_scores = matrix @ query
    worst_kept = min(score for _, score in ranked)
    left_out = [float(all_scores[i]) for i in range(matrix.shape[0]) if i not in kept]
    assert all(score <= worst_kept + 1e-6 for score in left_out)


@given(problems(), st.data())
def test_rank_finds_the_row_equal_to_the_query_first(
    problem: tuple[np.ndarray, np.ndarray, int], data: st.DataObject
) -> None:
    _, matrix, limit = problem
    rows = embedding.normalize(matrix)
    position = data.draw(st.integers(0, rows.shape[0] - 1), label="position")
    query = embedding.normalize(data.draw(arrays(np.float32, (1, rows.shape[1]), elements=FLOATS)))[
        0
    ]
    if not query.any():
        query = np.eye(rows.shape[1], dtype=np.float32)[0]
    rows[position] = query
    best, score = embedding.rank(query, rows, limit)[0]
    assert score == pytest.approx(1.0, abs=1e-5)
    # Either the planted row or another pointing the same way (cosine 1) comes first.
    assert best == position or np.allclose(rows[best], query, atol=1e-3)


def test_rank_breaks_ties_by_row_order() -> None:
    rows = np.ones((6, 3), dtype=np.float32)
    assert [i for i, _ in embedding.rank(np.ones(3, dtype=np.float32), rows, 4)] == [0, 1, 2, 3]


def test_rank_of_an_empty_matrix_is_empty() -> None:
    assert embedding.rank(np.ones(DIM, dtype=np.float32), np.zeros((0, DIM), np.float32), 5) == []


@given(arrays(np.float32, (3, DIM), elements=FLOATS))
@settings(max_examples=25)
def test_vectors_survive_the_bytes_round_trip(matrix: np.ndarray) -> None:
    restored = embedding.from_bytes([embedding.to_bytes(row) for row in matrix])
    assert np.array_equal(restored, matrix)


# --- the real embedder --------------------------------------------------------------------------


def test_embedder_gives_unit_vectors_of_the_model_width(embedder: WordLlamaEmbedder) -> None:
    vectors = embedder.embed(["radiology reports", "python code review", "x"])
    assert vectors.shape == (3, DIM)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_embedder_gives_a_zero_vector_for_empty_text(embedder: WordLlamaEmbedder) -> None:
    vectors = embedder.embed(["", "radiology reports"])
    assert not vectors[0].any()
    assert np.linalg.norm(vectors[1]) == pytest.approx(1.0, abs=1e-5)


def test_embedder_of_no_texts_is_an_empty_matrix(embedder: WordLlamaEmbedder) -> None:
    assert embedder.embed([]).shape == (0, DIM)


def test_embedder_puts_related_texts_closer_than_unrelated_ones(
    embedder: WordLlamaEmbedder,
) -> None:
    medical, nurse, code = embedder.embed(
        [MEDICAL, "Nurse labelling CT and MRI radiology findings", "Reviewing Python pull requests"]
    )
    assert float(medical @ nurse) > float(medical @ code) + 0.2


# --- GET /people/similar ------------------------------------------------------------------------


@dataclass
class Pool:
    """Pool members with clearly different profiles, a candidate outside the pool, and an
    imported Label Studio annotator whose profile matches the medical requirement best."""

    nurse: Person
    developer: Person
    translator: Person
    transcriber: Person
    labeller: Person
    paused_doctor: Person
    candidate_doctor: Person
    imported_radiologist: Person


@pytest.fixture
def pool(factory: Factory) -> Pool:
    def en(level: str) -> dict[str, str]:
        return {"language": "en", "level": level}

    return Pool(
        nurse=factory.person(
            full_name="Nurse",
            region="LATAM",
            languages=[{"language": "es", "level": "C2"}, en("C1")],
            skills=["radiology", "medical-coding"],
            profile="Registered nurse who labels radiology reports, CT and MRI findings and "
            "clinical notes for medical AI.",
            worker={"tier": "reviewer", "status": "active"},
        ),
        developer=factory.person(
            full_name="Developer",
            region="EU",
            country="PL",
            time_zone="Europe/Warsaw",
            languages=[en("C2")],
            skills=["python", "code-review"],
            profile="Senior Python developer who reviews code, writes unit tests and grades "
            "programming solutions.",
            worker={"tier": "expert", "status": "active"},
        ),
        translator=factory.person(
            full_name="Translator",
            region="EU",
            country="DE",
            time_zone="Europe/Berlin",
            languages=[{"language": "de", "level": "C2"}, en("C1")],
            skills=["legal-translation"],
            profile="Certified legal translator of contracts and court documents between German "
            "and English.",
            worker={"tier": "tier_2", "status": "active"},
        ),
        transcriber=factory.person(
            full_name="Transcriber",
            region="US",
            country="US",
            time_zone="America/Chicago",
            languages=[en("C2")],
            skills=["transcription", "audio"],
            profile="Transcribes podcasts and call-centre audio recordings with timestamps and "
            "speaker labels.",
            worker={"tier": "tier_1", "status": "active"},
        ),
        labeller=factory.person(
            full_name="Labeller",
            region="SEA",
            country="PH",
            time_zone="Asia/Manila",
            languages=[en("B2")],
            skills=["image-labeling"],
            profile="Draws bounding boxes around dishes in food photos for recipe apps.",
            worker={"tier": "trainee", "status": "active"},
        ),
        paused_doctor=factory.person(
            full_name="Paused doctor",
            region="LATAM",
            languages=[en("B1")],
            skills=["radiology", "medical-coding"],
            profile="Medical doctor annotating radiology images and pathology reports.",
            worker={"tier": "expert", "status": "active"},
        ),
        candidate_doctor=factory.person(
            full_name="Candidate doctor",
            region="LATAM",
            languages=[en("C2")],
            skills=["radiology", "medical-coding"],
            profile="Radiologist reviewing medical reports and clinical notes.",
            worker=None,
        ),
        imported_radiologist=factory.imported_annotator(
            full_name="Imported radiologist",
            region="LATAM",
            languages=[en("C2")],
            skills=["radiology", "medical-coding"],
            profile=MEDICAL,
        ),
    )


@pytest.fixture
def recruiter(factory: Factory, pool: Pool) -> TestClient:
    """A recruiter's API client, with the paused doctor paused through the API."""
    client = factory.api(factory.user(Role.recruiter))
    response = client.patch(
        f"/api/v1/people/{pool.paused_doctor.id}/worker",
        json={"status": "paused", "status_reason": "Parental leave"},
    )
    assert response.status_code == 200, response.text
    return client


def ranked_names(response: Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["person"]["full_name"] for item in response.json()]


def test_medical_requirement_ranks_the_radiology_nurse_first(
    recruiter: TestClient, pool: Pool
) -> None:
    assert ranked_names(recruiter.get(SIMILAR, params={"requirement": MEDICAL}))[0] == "Nurse"


def test_coding_requirement_ranks_the_developer_first(recruiter: TestClient, pool: Pool) -> None:
    assert ranked_names(recruiter.get(SIMILAR, params={"requirement": CODING}))[0] == "Developer"


def test_similar_scores_are_cosines_best_first(recruiter: TestClient, pool: Pool) -> None:
    scores = [
        item["score"] for item in recruiter.get(SIMILAR, params={"requirement": MEDICAL}).json()
    ]
    assert scores == sorted(scores, reverse=True)
    assert all(-1.0 <= s <= 1.0 + 1e-6 for s in scores)


def test_similar_leaves_out_paused_workers_and_candidates_by_default(
    recruiter: TestClient, pool: Pool
) -> None:
    found = ranked_names(recruiter.get(SIMILAR, params={"requirement": MEDICAL}))
    assert sorted(found) == ["Developer", "Labeller", "Nurse", "Transcriber", "Translator"]


def test_similar_includes_paused_workers_when_not_active_only(
    recruiter: TestClient, pool: Pool
) -> None:
    found = ranked_names(
        recruiter.get(SIMILAR, params={"requirement": MEDICAL, "active_only": "false"})
    )
    assert "Paused doctor" in found[:2]
    assert "Candidate doctor" not in found


@pytest.mark.parametrize("active_only", ["true", "false"])
def test_similar_never_ranks_imported_annotators(
    recruiter: TestClient, pool: Pool, active_only: str
) -> None:
    params = {"requirement": MEDICAL, "active_only": active_only, "limit": "200"}
    assert "Imported radiologist" not in ranked_names(recruiter.get(SIMILAR, params=params))


def test_similar_page_never_lists_imported_annotators(factory: Factory, pool: Pool) -> None:
    browser = factory.browser(factory.user(Role.recruiter))
    page = browser.get("/people/similar", params={"requirement": MEDICAL, "active_only": "false"})
    assert page.status_code == 200
    assert "Nurse" in page.text and "Imported radiologist" not in page.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"region": "EU"}, ["Developer", "Translator"], id="region"),
        pytest.param({"language": "de"}, ["Translator"], id="language"),
        pytest.param(
            {"language": "en", "min_level": "C1"},
            ["Developer", "Nurse", "Transcriber", "Translator"],
            id="language-min-level",
        ),
        pytest.param({"min_tier": "reviewer"}, ["Developer", "Nurse"], id="min-tier"),
        pytest.param({"region": "SEA", "min_tier": "tier_1"}, [], id="nobody"),
    ],
)
def test_similar_respects_hard_filters(
    recruiter: TestClient, pool: Pool, params: dict[str, str], expected: list[str]
) -> None:
    found = ranked_names(recruiter.get(SIMILAR, params={"requirement": MEDICAL, **params}))
    assert sorted(found) == expected


def test_similar_respects_the_limit(recruiter: TestClient, pool: Pool) -> None:
    found = ranked_names(recruiter.get(SIMILAR, params={"requirement": CODING, "limit": 2}))
    assert len(found) == 2
    assert found[0] == "Developer"


@pytest.mark.parametrize("requirement", ["ab", "  ab  ", ""], ids=["two-chars", "padded", "empty"])
def test_similar_with_a_too_short_requirement_is_422(
    recruiter: TestClient, requirement: str
) -> None:
    response = recruiter.get(SIMILAR, params={"requirement": requirement})
    assert response.status_code == 422
    assert error_fields(response) == ["requirement"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("limit", "0"),
        ("limit", "201"),
        ("min_tier", "legend"),
        ("min_level", "D1"),
        ("region", "MARS"),
    ],
)
def test_similar_with_a_bad_filter_is_422_naming_it(
    recruiter: TestClient, param: str, value: str
) -> None:
    response = recruiter.get(SIMILAR, params={"requirement": MEDICAL, param: value})
    assert response.status_code == 422
    assert error_fields(response) == [param]


def test_vendor_manager_finds_only_their_vendors_people(factory: Factory, pool: Pool) -> None:
    vendor = factory.org(OrgKind.vendor)
    factory.person(
        full_name="Vendor coder",
        classification="vendor_supplied",
        vendor_id=vendor.id,
        skills=["python"],
        profile="Writes Python code.",
        worker={"status": "active"},
    )
    manager = factory.api(factory.user(Role.vendor_manager, organization_id=vendor.id))
    assert ranked_names(manager.get(SIMILAR, params={"requirement": MEDICAL})) == ["Vendor coder"]
