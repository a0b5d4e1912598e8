"""Screening rules: each rule's verdict and sentence, and the worst-of combination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from crewline.hiring.models import Screening
from crewline.hiring.screening import Candidate, Rules, Verdict, screen
from crewline.validation import CEFR_LEVELS

PASS, REVIEW, FAIL = Screening.passed, Screening.review, Screening.failed
RANK = {PASS: 0, REVIEW: 1, FAIL: 2}
NO_RULES = "no screening rules apply"
#: Rules with every optional rule off (the language requirements are on by default).
NOTHING = Rules(languages=False)


def person(
    *,
    country: str = "BR",
    region: str = "LATAM",
    languages: Mapping[str, str] | None = None,
    hours: int | None = 40,
    skills: float | None = 0.9,
) -> Candidate:
    return Candidate(
        country=country,
        region=region,
        languages={"en": "C1"} if languages is None else languages,
        availability_hours=hours,
        skills_match=skills,
    )


def need(language: str, level: str) -> dict[str, str]:
    return {"language": language, "min_level": level}


def run(
    rules: Rules,
    candidate: Candidate,
    regions: Sequence[str] = (),
    languages: Sequence[Mapping[str, str]] = (),
) -> Verdict:
    return screen(rules, candidate, regions=list(regions), languages=list(languages))


# --- no rules ------------------------------------------------------------------------------------


def test_no_rules_pass_and_say_so() -> None:
    assert run(NOTHING, person()) == Verdict(PASS, [NO_RULES])


def test_default_rules_without_requirements_pass() -> None:
    assert run(Rules(), person()) == Verdict(PASS, [NO_RULES])


def test_the_default_rules() -> None:
    rules = Rules()
    assert rules.languages is True
    assert rules.countries == []
    assert rules.min_hours is None
    assert rules.skills_pass is None
    assert rules.skills_review is None


def test_a_missing_profile_does_not_matter_without_rules() -> None:
    candidate = person(languages={}, hours=None, skills=None)
    assert run(NOTHING, candidate) == Verdict(PASS, [NO_RULES])


# --- region and country --------------------------------------------------------------------------


def test_region_outside_the_requisition_fails() -> None:
    assert run(NOTHING, person(region="SEA"), regions=["EU", "US"]) == Verdict(
        FAIL, ["region SEA is not one of EU, US"]
    )


def test_region_inside_the_requisition_does_not_fail() -> None:
    assert run(NOTHING, person(region="EU"), regions=["EU", "US"]).outcome == PASS


def test_empty_regions_accept_any_region() -> None:
    assert run(NOTHING, person(region="OTHER"), regions=[]) == Verdict(PASS, [NO_RULES])


def test_country_not_accepted_fails() -> None:
    rules = Rules(languages=False, countries=["DE", "PT"])
    assert run(rules, person(country="BR")) == Verdict(FAIL, ["country BR is not accepted"])


def test_accepted_country_does_not_fail() -> None:
    rules = Rules(languages=False, countries=["DE", "BR"])
    assert run(rules, person(country="BR")).outcome == PASS


def test_region_and_country_both_failing_give_both_reasons_in_rule_order() -> None:
    rules = Rules(languages=False, countries=["DE"])
    verdict = run(rules, person(country="BR", region="LATAM"), regions=["EU"])
    assert verdict == Verdict(FAIL, ["region LATAM is not one of EU", "country BR is not accepted"])


@pytest.mark.parametrize(
    ("rules", "regions"),
    [
        (Rules(languages=False, countries=["BR"]), []),
        (NOTHING, ["LATAM"]),
    ],
    ids=["country", "region"],
)
def test_a_passing_region_or_country_rule_gives_its_reason(
    rules: Rules, regions: list[str]
) -> None:
    verdict = run(rules, person(country="BR", region="LATAM"), regions=regions)
    assert verdict.outcome == PASS
    assert len(verdict.reasons) == 1
    assert verdict.reasons != [NO_RULES]


# --- languages -----------------------------------------------------------------------------------


def test_language_at_the_level_passes() -> None:
    verdict = run(Rules(), person(languages={"en": "B2"}), languages=[need("en", "B2")])
    assert verdict == Verdict(PASS, ["en B2 meets B2"])


def test_language_above_the_level_passes() -> None:
    verdict = run(Rules(), person(languages={"en": "C2"}), languages=[need("en", "B1")])
    assert verdict == Verdict(PASS, ["en C2 meets B1"])


def test_language_one_level_under_goes_to_review() -> None:
    verdict = run(Rules(), person(languages={"en": "B2"}), languages=[need("en", "C1")])
    assert verdict == Verdict(REVIEW, ["en B2 is one level under C1"])


def test_language_two_levels_under_fails() -> None:
    verdict = run(Rules(), person(languages={"en": "B1"}), languages=[need("en", "C1")])
    assert verdict == Verdict(FAIL, ["en B1 is under C1"])


def test_missing_language_fails() -> None:
    verdict = run(Rules(), person(languages={"en": "C2"}), languages=[need("de", "A1")])
    assert verdict == Verdict(FAIL, ["no de (needs A1)"])


def test_language_requirements_are_ignored_when_the_rule_is_off() -> None:
    verdict = run(NOTHING, person(languages={}), languages=[need("de", "C2")])
    assert verdict == Verdict(PASS, [NO_RULES])


def test_each_required_language_gives_a_reason() -> None:
    candidate = person(languages={"en": "C2", "pt": "B1", "es": "A1"})
    needs = [need("en", "C1"), need("pt", "B2"), need("es", "B1"), need("de", "A1")]
    verdict = run(Rules(), candidate, languages=needs)
    assert verdict == Verdict(
        FAIL,
        [
            "es A1 is under B1",
            "no de (needs A1)",
            "pt B1 is one level under B2",
            "en C2 meets C1",
        ],
    )


@pytest.mark.parametrize("have", CEFR_LEVELS)
@pytest.mark.parametrize("minimum", CEFR_LEVELS)
def test_every_pair_of_cefr_levels(have: str, minimum: str) -> None:
    gap = CEFR_LEVELS.index(minimum) - CEFR_LEVELS.index(have)
    verdict = run(Rules(), person(languages={"fr": have}), languages=[need("fr", minimum)])
    if gap <= 0:
        assert verdict == Verdict(PASS, [f"fr {have} meets {minimum}"])
    elif gap == 1:
        assert verdict == Verdict(REVIEW, [f"fr {have} is one level under {minimum}"])
    else:
        assert verdict == Verdict(FAIL, [f"fr {have} is under {minimum}"])


# --- availability --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "hours", "expected"),
    [
        (40, 40, Verdict(PASS, ["40 h/week meets 40"])),
        (40, 60, Verdict(PASS, ["60 h/week meets 40"])),
        (40, 39, Verdict(REVIEW, ["39 h/week is under 40"])),
        (40, 30, Verdict(REVIEW, ["30 h/week is under 40"])),  # exactly 75 %
        (40, 29, Verdict(FAIL, ["29 h/week is far under 40"])),
        (40, 0, Verdict(FAIL, ["0 h/week is far under 40"])),
        (10, 8, Verdict(REVIEW, ["8 h/week is under 10"])),  # 7.5 is the band's floor
        (10, 7, Verdict(FAIL, ["7 h/week is far under 10"])),
        (0, 0, Verdict(PASS, ["0 h/week meets 0"])),
        (1, 0, Verdict(FAIL, ["0 h/week is far under 1"])),
        (80, 60, Verdict(REVIEW, ["60 h/week is under 80"])),
        (80, 59, Verdict(FAIL, ["59 h/week is far under 80"])),
    ],
)
def test_min_hours(minimum: int, hours: int, expected: Verdict) -> None:
    assert run(Rules(languages=False, min_hours=minimum), person(hours=hours)) == expected


def test_missing_availability_goes_to_review() -> None:
    rules = Rules(languages=False, min_hours=20)
    assert run(rules, person(hours=None)) == Verdict(REVIEW, ["weekly availability not given"])


@given(st.integers(0, 80), st.integers(0, 200))
def test_min_hours_bands(minimum: int, hours: int) -> None:
    outcome = run(Rules(languages=False, min_hours=minimum), person(hours=hours)).outcome
    if hours >= minimum:
        assert outcome == PASS
    elif 4 * hours >= 3 * minimum:
        assert outcome == REVIEW
    else:
        assert outcome == FAIL


# --- skills match --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (0.95, Verdict(PASS, ["skills match 0.95"])),
        (0.8, Verdict(PASS, ["skills match 0.80"])),
        (0.79, Verdict(REVIEW, ["skills match 0.79 is borderline"])),
        (0.5, Verdict(REVIEW, ["skills match 0.50 is borderline"])),
        (0.49, Verdict(FAIL, ["skills match 0.49 is low"])),
        (-0.3, Verdict(FAIL, ["skills match -0.30 is low"])),
        (None, Verdict(REVIEW, ["no profile to match skills against"])),
    ],
)
def test_skills_pass_and_review_thresholds(match: float | None, expected: Verdict) -> None:
    rules = Rules(languages=False, skills_pass=0.8, skills_review=0.5)
    assert run(rules, person(skills=match)) == expected


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (0.6, Verdict(PASS, ["skills match 0.60"])),
        (0.59, Verdict(FAIL, ["skills match 0.59 is low"])),
        (None, Verdict(REVIEW, ["no profile to match skills against"])),
    ],
)
def test_without_a_review_threshold_there_is_no_borderline(
    match: float | None, expected: Verdict
) -> None:
    rules = Rules(languages=False, skills_pass=0.6)
    assert run(rules, person(skills=match)) == expected


@given(
    st.floats(-1, 1),
    st.floats(-1, 1),
    st.floats(-1, 1),
)
def test_skills_bands(first: float, second: float, match: float) -> None:
    pass_at, review_at = max(first, second), min(first, second)
    rules = Rules(languages=False, skills_pass=pass_at, skills_review=review_at)
    outcome = run(rules, person(skills=match)).outcome
    if match >= pass_at:
        assert outcome == PASS
    elif match >= review_at:
        assert outcome == REVIEW
    else:
        assert outcome == FAIL


# --- combining -----------------------------------------------------------------------------------


def test_the_worst_rule_decides_and_reasons_are_worst_first() -> None:
    rules = Rules(min_hours=40, skills_pass=0.8, skills_review=0.5)
    candidate = person(languages={"en": "B2"}, hours=20, skills=0.6)
    verdict = run(rules, candidate, languages=[need("en", "C1")])
    assert verdict == Verdict(
        FAIL,
        [
            "20 h/week is far under 40",
            "en B2 is one level under C1",
            "skills match 0.60 is borderline",
        ],
    )


def test_review_beats_pass_and_passing_reasons_are_kept() -> None:
    rules = Rules(min_hours=40, skills_pass=0.8)
    candidate = person(languages={"en": "C2"}, hours=35, skills=0.9)
    verdict = run(rules, candidate, languages=[need("en", "B2")])
    assert verdict == Verdict(
        REVIEW, ["35 h/week is under 40", "en C2 meets B2", "skills match 0.90"]
    )


def test_all_passing_rules_pass_with_every_reason_in_rule_order() -> None:
    rules = Rules(min_hours=10, skills_pass=0.5)
    candidate = person(languages={"en": "C1", "de": "B2"}, hours=10, skills=0.5)
    verdict = run(rules, candidate, languages=[need("en", "B2"), need("de", "B1")])
    assert verdict == Verdict(
        PASS, ["en C1 meets B2", "de B2 meets B1", "10 h/week meets 10", "skills match 0.50"]
    )


# --- Rules validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"min_hours": -1},
        {"min_hours": 81},
        {"skills_pass": 1.5},
        {"skills_review": -1.01},
        {"skills_review": 0.5},
        {"skills_pass": 0.4, "skills_review": 0.5},
        {"countries": ["BR"] * 301},
        {"unknown": True},
    ],
)
def test_rules_refuse_out_of_range_values(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Rules.model_validate(data)


def test_rules_accept_the_bounds() -> None:
    rules = Rules.model_validate(
        {"min_hours": 80, "skills_pass": 1, "skills_review": -1, "countries": ["BR"] * 300}
    )
    assert (rules.min_hours, rules.skills_pass, rules.skills_review) == (80, 1.0, -1.0)
    assert len(rules.countries) == 300


# --- properties ----------------------------------------------------------------------------------

REGIONS = ("SEA", "LATAM", "EU", "US", "OTHER")
COUNTRIES = ("BR", "DE", "US", "IN", "PH")
LANGUAGES = ("en", "de", "pt", "es")

cefr = st.sampled_from(CEFR_LEVELS)
scores = st.none() | st.floats(-1, 1)
requirements = st.lists(st.builds(need, st.sampled_from(LANGUAGES), cefr), max_size=4)


@st.composite
def skills_bands(draw: st.DrawFn) -> tuple[float | None, float | None]:
    """A pass threshold, and a review threshold under it (a band needs the pass threshold)."""
    pass_at = draw(scores)
    if pass_at is None:
        return None, None
    return pass_at, draw(st.none() | st.floats(-1, pass_at))


rule_sets = st.builds(
    lambda band, **fields: Rules(skills_pass=band[0], skills_review=band[1], **fields),
    band=skills_bands(),
    languages=st.booleans(),
    countries=st.lists(st.sampled_from(COUNTRIES), max_size=3, unique=True),
    min_hours=st.none() | st.integers(0, 80),
)
candidates = st.builds(
    Candidate,
    country=st.sampled_from(COUNTRIES),
    region=st.sampled_from(REGIONS),
    languages=st.dictionaries(st.sampled_from(LANGUAGES), cefr),
    availability_hours=st.none() | st.integers(0, 80),
    skills_match=scores,
)
region_lists = st.lists(st.sampled_from(REGIONS), max_size=3, unique=True)


def each_rule_alone(
    rules: Rules,
    candidate: Candidate,
    regions: list[str],
    languages: list[dict[str, str]],
) -> list[Verdict]:
    """The verdict of every rule in ``rules`` applied on its own."""
    alone = [
        run(NOTHING, candidate, regions=regions),
        run(Rules(languages=False, countries=rules.countries), candidate),
        run(Rules(languages=False, min_hours=rules.min_hours), candidate),
        run(
            Rules(
                languages=False, skills_pass=rules.skills_pass, skills_review=rules.skills_review
            ),
            candidate,
        ),
    ]
    if rules.languages:
        alone += [run(Rules(), candidate, languages=[one]) for one in languages]
    return alone


@given(rule_sets, candidates, region_lists, requirements)
def test_the_outcome_is_the_worst_single_rule(
    rules: Rules, candidate: Candidate, regions: list[str], languages: list[dict[str, str]]
) -> None:
    verdict = run(rules, candidate, regions, languages)
    alone = each_rule_alone(rules, candidate, regions, languages)
    for single in alone:
        assert RANK[verdict.outcome] >= RANK[single.outcome]
    assert RANK[verdict.outcome] == max(RANK[single.outcome] for single in alone)


@given(rule_sets, candidates, region_lists, requirements)
def test_reasons_are_every_rules_reason_worst_first(
    rules: Rules, candidate: Candidate, regions: list[str], languages: list[dict[str, str]]
) -> None:
    verdict = run(rules, candidate, regions, languages)
    assert verdict.reasons
    assert all(reason for reason in verdict.reasons)
    severity: dict[str, Screening] = {}
    expected: list[str] = []
    for single in each_rule_alone(rules, candidate, regions, languages):
        if single.reasons != [NO_RULES]:
            assert len(single.reasons) == 1
            severity[single.reasons[0]] = single.outcome
            expected.append(single.reasons[0])
    if not expected:
        assert verdict == Verdict(PASS, [NO_RULES])
        return
    assert sorted(verdict.reasons) == sorted(expected)
    ranks = [RANK[severity[reason]] for reason in verdict.reasons]
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] == RANK[verdict.outcome]


@given(rule_sets, candidates, region_lists, requirements, st.sampled_from(LANGUAGES), cefr)
def test_adding_a_requirement_never_improves_the_outcome(
    rules: Rules,
    candidate: Candidate,
    regions: list[str],
    languages: list[dict[str, str]],
    language: str,
    level: str,
) -> None:
    before = run(rules, candidate, regions, languages).outcome
    after = run(rules, candidate, regions, [*languages, need(language, level)]).outcome
    assert RANK[after] >= RANK[before]


@given(rule_sets, candidates, region_lists, requirements, st.sampled_from(LANGUAGES), cefr)
def test_adding_a_failing_requirement_fails(
    rules: Rules,
    candidate: Candidate,
    regions: list[str],
    languages: list[dict[str, str]],
    language: str,
    level: str,
) -> None:
    lacking = replace(
        candidate, languages={k: v for k, v in candidate.languages.items() if k != language}
    )
    strict = rules.model_copy(update={"languages": True})
    verdict = run(strict, lacking, regions, [*languages, need(language, level)])
    assert verdict.outcome == FAIL
    assert f"no {language} (needs {level})" in verdict.reasons


@given(rule_sets, candidates, region_lists, requirements)
def test_a_failing_region_always_fails(
    rules: Rules, candidate: Candidate, regions: list[str], languages: list[dict[str, str]]
) -> None:
    elsewhere = [region for region in regions if region != candidate.region] or ["EU"]
    if candidate.region == "EU":
        elsewhere = [region for region in elsewhere if region != "EU"] or ["US"]
    verdict = run(rules, candidate, elsewhere, languages)
    assert verdict.outcome == FAIL
    assert verdict.reasons[0].startswith(f"region {candidate.region} is not one of ")


@given(rule_sets, candidates, region_lists, requirements, st.integers(0, 40))
def test_more_availability_never_hurts(
    rules: Rules,
    candidate: Candidate,
    regions: list[str],
    languages: list[dict[str, str]],
    extra: int,
) -> None:
    hours = candidate.availability_hours or 0
    less = replace(candidate, availability_hours=hours)
    more = replace(candidate, availability_hours=hours + extra)
    worse = run(rules, less, regions, languages).outcome
    better = run(rules, more, regions, languages).outcome
    assert RANK[better] <= RANK[worse]


@given(rule_sets, candidates, region_lists, requirements, st.floats(0, 2))
def test_a_better_skills_match_never_hurts(
    rules: Rules,
    candidate: Candidate,
    regions: list[str],
    languages: list[dict[str, str]],
    extra: float,
) -> None:
    low = candidate.skills_match if candidate.skills_match is not None else -1.0
    high = min(1.0, low + extra)
    worse = run(rules, replace(candidate, skills_match=low), regions, languages).outcome
    better = run(rules, replace(candidate, skills_match=high), regions, languages).outcome
    assert RANK[better] <= RANK[worse]


@given(rule_sets, candidates, region_lists, requirements, st.sampled_from(LANGUAGES), cefr)
def test_a_higher_language_level_never_hurts(
    rules: Rules,
    candidate: Candidate,
    regions: list[str],
    languages: list[dict[str, str]],
    language: str,
    level: str,
) -> None:
    current = candidate.languages.get(language)
    if current is not None and CEFR_LEVELS.index(current) > CEFR_LEVELS.index(level):
        current, level = level, current
    lower = {**candidate.languages}
    if current is None:
        lower.pop(language, None)
    else:
        lower[language] = current
    higher = {**candidate.languages, language: level}
    worse = run(rules, replace(candidate, languages=lower), regions, languages).outcome
    better = run(rules, replace(candidate, languages=higher), regions, languages).outcome
    assert RANK[better] <= RANK[worse]


@given(rule_sets, candidates, region_lists, requirements)
def test_screening_is_deterministic_and_leaves_its_inputs_alone(
    rules: Rules, candidate: Candidate, regions: list[str], languages: list[dict[str, str]]
) -> None:
    rules_before = rules.model_dump()
    languages_before = [dict(one) for one in languages]
    first = run(rules, candidate, regions, languages)
    assert run(rules, candidate, regions, languages) == first
    assert rules.model_dump() == rules_before
    assert languages == languages_before
