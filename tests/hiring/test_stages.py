"""Pipeline stages and the moves between them: path validation, move rules, labels."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crewline.hiring.stages import (
    CLOSED,
    DEFAULT_STAGES,
    EXIT_POINTS,
    LABELS,
    ON_HOLD,
    QUALIFIED,
    REJECTED,
    SIDE_STAGES,
    WITHDRAWN,
    Move,
    check_move,
    check_path,
    label,
)

OPEN_MAIN = DEFAULT_STAGES[:-1]  # main stages an application can still move on from
LAST = DEFAULT_STAGES[-1]

# --- strategies -------------------------------------------------------------------------------

_FIRST = "abcdefghijklmnopqrstuvwxyz"
_REST = _FIRST + "0123456789_"

slugs = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(_FIRST),
    st.text(alphabet=_REST, max_size=39),
)
#: Slugs that may sit on a main path (not a side stage, not the mandatory one).
custom_stages = slugs.filter(lambda s: s not in SIDE_STAGES and s != QUALIFIED)


#: Shorter names for the move tests, where the spelling of a stage does not matter.
short_stages = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(_FIRST),
    st.text(alphabet=_REST, max_size=6),
).filter(lambda s: s not in SIDE_STAGES and s != QUALIFIED)


@st.composite
def valid_paths(draw: st.DrawFn, names: st.SearchStrategy[str] = custom_stages) -> list[str]:
    """A main path check_path accepts: 2..12 unique slugs, one of them ``qualified``."""
    others = draw(st.lists(names, min_size=1, max_size=11, unique=True))
    where = draw(st.integers(0, len(others)))
    return [*others[:where], QUALIFIED, *others[where:]]


move_paths = valid_paths(short_stages)


@st.composite
def forward_pairs(draw: st.DrawFn) -> tuple[list[str], int, int]:
    """A valid path and two indices ``i < j`` on it."""
    path = draw(move_paths)
    i = draw(st.integers(0, len(path) - 2))
    j = draw(st.integers(i + 1, len(path) - 1))
    return path, i, j


# --- constants ---------------------------------------------------------------------------------


def test_default_stages_are_the_documented_funnel() -> None:
    assert DEFAULT_STAGES == (
        "sourced",
        "screened",
        "assessed",
        "trial_training",
        "qualified",
        "onboarded",
    )


def test_side_stages_and_closed_stages() -> None:
    assert SIDE_STAGES == ("rejected", "withdrawn", "on_hold")
    assert (REJECTED, WITHDRAWN, ON_HOLD) == SIDE_STAGES
    assert frozenset({"rejected", "withdrawn"}) == CLOSED
    assert ON_HOLD not in CLOSED
    assert set(SIDE_STAGES).isdisjoint(DEFAULT_STAGES)


def test_exit_points_are_main_stages_before_qualification() -> None:
    assert EXIT_POINTS == ("screened", "assessed")
    for stage in EXIT_POINTS:
        assert DEFAULT_STAGES.index(stage) < DEFAULT_STAGES.index(QUALIFIED)


def test_the_default_path_is_a_valid_path() -> None:
    assert check_path(DEFAULT_STAGES) is None
    assert check_path(list(DEFAULT_STAGES)) is None


# --- label ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("sourced", "Sourced"),
        ("screened", "Screened"),
        ("assessed", "Assessed"),
        ("trial_training", "Trial & training"),
        ("qualified", "Qualified"),
        ("onboarded", "Onboarded"),
        ("rejected", "Rejected"),
        ("withdrawn", "Withdrawn"),
        ("on_hold", "On hold"),
    ],
)
def test_label_of_known_stages(stage: str, expected: str) -> None:
    assert label(stage) == expected


def test_every_default_and_side_stage_has_a_label() -> None:
    assert set(LABELS) == set(DEFAULT_STAGES) | set(SIDE_STAGES)


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("interview", "Interview"),
        ("phone_screen", "Phone screen"),
        ("round_2_call", "Round 2 call"),
        ("x", "X"),
    ],
)
def test_label_of_custom_stages_reads_the_slug_in_words(stage: str, expected: str) -> None:
    assert label(stage) == expected


@given(custom_stages.filter(lambda s: s not in LABELS))
def test_custom_label_is_the_slug_with_spaces_capitalised(stage: str) -> None:
    text = label(stage)
    assert "_" not in text
    assert text.lower() == stage.replace("_", " ")
    assert text[0] == stage[0].upper()


# --- check_path ----------------------------------------------------------------------------------


def test_check_path_accepts_the_shortest_and_longest_paths() -> None:
    assert check_path(["sourced", "qualified"]) is None
    assert check_path([*(f"s{i}" for i in range(11)), "qualified"]) is None


@pytest.mark.parametrize("size", [0, 1, 13, 20])
def test_check_path_refuses_wrong_lengths(size: int) -> None:
    path = ["qualified", *(f"s{i}" for i in range(size - 1))][:size]
    assert len(path) == size
    assert check_path(path) == "a pipeline has 2 to 12 stages"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "Sourced",
        "1st_call",
        "_private",
        "phone-screen",
        "phone screen",
        "café",
        "a" * 41,
        " sourced",
    ],
)
def test_check_path_refuses_bad_slugs(bad: str) -> None:
    assert check_path([bad, "qualified"]) == (
        f"stage {bad!r} must be lower-case letters, digits and _ (at most 40)"
    )


def test_check_path_accepts_a_forty_character_slug() -> None:
    assert check_path(["a" * 40, "qualified"]) is None


@pytest.mark.parametrize("bad", ["sourced\n", "a" * 40 + "\n"])
def test_check_path_refuses_a_slug_with_a_trailing_newline(bad: str) -> None:
    assert check_path([bad, "qualified"]) == (
        f"stage {bad!r} must be lower-case letters, digits and _ (at most 40)"
    )


@pytest.mark.parametrize("side", SIDE_STAGES)
def test_check_path_refuses_side_stages(side: str) -> None:
    assert check_path(["sourced", side, "qualified"]) == (
        f"{side!r} is a side stage every pipeline has; leave it out"
    )


def test_check_path_refuses_repeats() -> None:
    assert check_path(["sourced", "qualified", "sourced"]) == "stages repeat"
    assert check_path(["qualified", "qualified"]) == "stages repeat"


def test_check_path_needs_qualified() -> None:
    assert check_path(["sourced", "screened", "onboarded"]) == (
        "the pipeline needs a 'qualified' stage (the funnel counts from it)"
    )


def test_check_path_reports_length_before_the_slug() -> None:
    assert check_path(["Bad"]) == "a pipeline has 2 to 12 stages"


@given(valid_paths())
def test_valid_paths_are_accepted(path: list[str]) -> None:
    assert check_path(path) is None
    assert check_path(tuple(path)) is None


@given(valid_paths())
def test_paths_without_qualified_are_refused(path: list[str]) -> None:
    rest = [stage for stage in path if stage != QUALIFIED]
    assume(len(rest) >= 2)
    assert check_path(rest) == (
        "the pipeline needs a 'qualified' stage (the funnel counts from it)"
    )


@given(valid_paths(), st.data())
def test_paths_with_a_repeat_are_refused(path: list[str], data: st.DataObject) -> None:
    assume(len(path) < 12)
    repeat = data.draw(st.sampled_from(path))
    where = data.draw(st.integers(0, len(path)))
    assert check_path([*path[:where], repeat, *path[where:]]) == "stages repeat"


@given(valid_paths(), st.sampled_from(SIDE_STAGES), st.data())
def test_paths_with_a_side_stage_are_refused(
    path: list[str], side: str, data: st.DataObject
) -> None:
    assume(len(path) < 12)
    where = data.draw(st.integers(0, len(path)))
    assert check_path([*path[:where], side, *path[where:]]) == (
        f"{side!r} is a side stage every pipeline has; leave it out"
    )


@given(
    valid_paths(),
    st.one_of(
        st.text(alphabet=_REST, max_size=10).filter(lambda s: not s or s[0] not in _FIRST),
        st.text(min_size=1, max_size=10).filter(lambda s: any(c not in _REST for c in s)),
        st.builds(lambda t: "a" + t, st.text(alphabet=_REST, min_size=40, max_size=50)),
    ),
    st.data(),
)
def test_paths_with_a_bad_slug_are_refused(path: list[str], bad: str, data: st.DataObject) -> None:
    assume(len(path) < 12)
    where = data.draw(st.integers(0, len(path)))
    assert check_path([*path[:where], bad, *path[where:]]) == (
        f"stage {bad!r} must be lower-case letters, digits and _ (at most 40)"
    )


@given(st.lists(custom_stages, min_size=12, max_size=16, unique=True))
def test_paths_longer_than_twelve_are_refused(others: list[str]) -> None:
    assert check_path([QUALIFIED, *others]) == "a pipeline has 2 to 12 stages"


@given(st.lists(st.sampled_from([QUALIFIED, *DEFAULT_STAGES]), max_size=1))
def test_paths_shorter_than_two_are_refused(path: list[str]) -> None:
    assert check_path(path) == "a pipeline has 2 to 12 stages"


# --- Move ----------------------------------------------------------------------------------------


def test_move_defaults_to_allowed_with_nothing_skipped() -> None:
    move = Move("screened")
    assert move.to_stage == "screened"
    assert move.refused is None
    assert move.skipped == ()


def test_move_is_frozen() -> None:
    move = Move("screened")
    with pytest.raises(dataclasses.FrozenInstanceError):
        move.refused = "no"  # type: ignore[misc]


# --- check_move: examples ------------------------------------------------------------------------


def test_one_step_forward_is_allowed() -> None:
    assert check_move(DEFAULT_STAGES, "sourced", None, "screened") == Move("screened")


def test_skipping_forward_is_allowed_and_recorded() -> None:
    assert check_move(DEFAULT_STAGES, "sourced", None, "qualified") == Move(
        "qualified", skipped=("screened", "assessed", "trial_training")
    )
    assert check_move(DEFAULT_STAGES, "qualified", None, "onboarded") == Move("onboarded")


def test_backward_is_refused() -> None:
    assert check_move(DEFAULT_STAGES, "assessed", None, "screened") == Move(
        "screened", "cannot go back from assessed to screened"
    )
    assert check_move(DEFAULT_STAGES, "qualified", None, "trial_training") == Move(
        "trial_training", "cannot go back from qualified to trial & training"
    )


@pytest.mark.parametrize("stage", [*DEFAULT_STAGES, ON_HOLD])
def test_staying_put_is_refused(stage: str) -> None:
    assert check_move(DEFAULT_STAGES, stage, "sourced", stage) == Move(
        stage, f"already {label(stage).lower()}"
    )


@pytest.mark.parametrize("stage", sorted(CLOSED))
def test_moving_to_the_same_closed_stage_says_already(stage: str) -> None:
    assert check_move(DEFAULT_STAGES, stage, None, stage).refused == f"already {stage}"


@pytest.mark.parametrize("target", ["hired", "interview", "Sourced", ""])
def test_unknown_target_is_refused(target: str) -> None:
    assert check_move(DEFAULT_STAGES, "sourced", None, target) == Move(
        target, f"{target!r} is not a stage of this pipeline"
    )


def test_unknown_target_is_refused_even_from_a_closed_application() -> None:
    assert check_move(DEFAULT_STAGES, REJECTED, None, "hired").refused == (
        "'hired' is not a stage of this pipeline"
    )


@pytest.mark.parametrize("closed", sorted(CLOSED))
@pytest.mark.parametrize("target", [*DEFAULT_STAGES, *SIDE_STAGES])
def test_closed_applications_cannot_move(closed: str, target: str) -> None:
    move = check_move(DEFAULT_STAGES, closed, None, target)
    assert move.to_stage == target
    if target == closed:
        assert move.refused == f"already {closed}"
    else:
        assert move.refused == f"the application is closed ({closed})"
    assert move.skipped == ()


@pytest.mark.parametrize("current", OPEN_MAIN)
@pytest.mark.parametrize("side", SIDE_STAGES)
def test_side_stages_are_reachable_from_any_open_stage(current: str, side: str) -> None:
    assert check_move(DEFAULT_STAGES, current, None, side) == Move(side)


def test_the_last_stage_only_allows_withdrawn() -> None:
    assert check_move(DEFAULT_STAGES, LAST, None, WITHDRAWN) == Move(WITHDRAWN)
    for target in (REJECTED, ON_HOLD, *OPEN_MAIN):
        assert check_move(DEFAULT_STAGES, LAST, None, target) == Move(
            target, "onboarded is the last stage"
        )


def test_on_hold_returns_to_the_stage_it_was_held_from() -> None:
    assert check_move(DEFAULT_STAGES, ON_HOLD, "assessed", "assessed") == Move("assessed")


def test_on_hold_may_return_further_forward() -> None:
    assert check_move(DEFAULT_STAGES, ON_HOLD, "screened", "qualified") == Move(
        "qualified", skipped=("assessed", "trial_training")
    )
    assert check_move(DEFAULT_STAGES, ON_HOLD, "qualified", "onboarded") == Move("onboarded")


def test_on_hold_cannot_return_behind_where_it_was_held() -> None:
    assert check_move(DEFAULT_STAGES, ON_HOLD, "assessed", "screened") == Move(
        "screened", "cannot go back from assessed to screened"
    )


@pytest.mark.parametrize("side", [REJECTED, WITHDRAWN])
def test_on_hold_can_be_closed(side: str) -> None:
    assert check_move(DEFAULT_STAGES, ON_HOLD, "screened", side) == Move(side)


@pytest.mark.parametrize("held_from", [None, "nowhere", REJECTED])
def test_on_hold_without_a_known_origin_cannot_return_to_the_path(held_from: str | None) -> None:
    assert check_move(DEFAULT_STAGES, ON_HOLD, held_from, "screened") == Move(
        "screened", "stage 'on_hold' is not on this pipeline"
    )


def test_current_stage_off_the_pipeline_cannot_move_along_it() -> None:
    assert check_move(DEFAULT_STAGES, "interview", None, "screened") == Move(
        "screened", "stage 'interview' is not on this pipeline"
    )


def test_held_from_is_ignored_when_not_on_hold() -> None:
    assert check_move(DEFAULT_STAGES, "assessed", "sourced", "screened").refused == (
        "cannot go back from assessed to screened"
    )


def test_moves_follow_a_custom_path() -> None:
    path = ("applied", "interview", "qualified", "contract")
    assert check_move(path, "applied", None, "qualified") == Move(
        "qualified", skipped=("interview",)
    )
    assert check_move(path, "interview", None, "applied").refused == (
        "cannot go back from interview to applied"
    )
    assert check_move(path, "contract", None, REJECTED).refused == "contract is the last stage"
    # A default stage that this pipeline does not have is unknown here.
    assert check_move(path, "applied", None, "screened").refused == (
        "'screened' is not a stage of this pipeline"
    )


# --- check_move: properties ----------------------------------------------------------------------


@given(forward_pairs())
def test_forward_moves_are_allowed_and_record_the_skipped_stages(
    case: tuple[list[str], int, int],
) -> None:
    path, i, j = case
    move = check_move(path, path[i], None, path[j])
    assert move == Move(path[j], None, tuple(path[i + 1 : j]))
    assert len(move.skipped) == j - i - 1


@given(forward_pairs())
def test_backward_moves_are_refused(case: tuple[list[str], int, int]) -> None:
    path, j, i = case  # from the later stage i back to the earlier j
    move = check_move(path, path[i], None, path[j])
    assert move.to_stage == path[j]
    assert move.skipped == ()
    if i == len(path) - 1:
        assert move.refused == f"{label(path[i]).lower()} is the last stage"
    else:
        assert move.refused == (
            f"cannot go back from {label(path[i]).lower()} to {label(path[j]).lower()}"
        )


@given(forward_pairs())
def test_returning_from_hold_goes_forward_only(case: tuple[list[str], int, int]) -> None:
    path, i, j = case  # held from i (never the last stage), returning to j or back to i's past
    assert check_move(path, ON_HOLD, path[i], path[j]) == Move(
        path[j], None, tuple(path[i + 1 : j])
    )
    if i > 0:
        back = path[i - 1]
        assert check_move(path, ON_HOLD, path[i], back) == Move(
            back, f"cannot go back from {label(path[i]).lower()} to {label(back).lower()}"
        )


@given(move_paths, st.data())
def test_returning_from_hold_to_the_held_stage_skips_nothing(
    path: list[str], data: st.DataObject
) -> None:
    held = data.draw(st.sampled_from(path[:-1]))
    assert check_move(path, ON_HOLD, held, held) == Move(held)


@given(move_paths, st.data())
def test_side_stages_are_reachable_from_every_open_stage(
    path: list[str], data: st.DataObject
) -> None:
    current = data.draw(st.sampled_from([*path[:-1], ON_HOLD]))
    side = data.draw(st.sampled_from([s for s in SIDE_STAGES if s != current]))
    assert check_move(path, current, path[0], side) == Move(side)


@given(move_paths, st.sampled_from(sorted(CLOSED)), st.data())
def test_closed_applications_refuse_every_move(
    path: list[str], closed: str, data: st.DataObject
) -> None:
    target = data.draw(st.sampled_from([*path, *SIDE_STAGES]))
    held_from = data.draw(st.none() | st.sampled_from(path))
    move = check_move(path, closed, held_from, target)
    assert move.refused is not None
    assert move.skipped == ()
    if target != closed:
        assert move.refused == f"the application is closed ({label(closed).lower()})"


@given(move_paths, custom_stages, st.data())
def test_targets_off_the_pipeline_are_refused(
    path: list[str], target: str, data: st.DataObject
) -> None:
    assume(target not in path)
    current = data.draw(st.sampled_from([*path, *SIDE_STAGES]))
    assert check_move(path, current, path[0], target) == Move(
        target, f"{target!r} is not a stage of this pipeline"
    )


@given(move_paths, st.data())
def test_the_last_stage_of_any_path_only_allows_withdrawn(
    path: list[str], data: st.DataObject
) -> None:
    target = data.draw(st.sampled_from([*path[:-1], *SIDE_STAGES]))
    move = check_move(path, path[-1], None, target)
    if target == WITHDRAWN:
        assert move == Move(WITHDRAWN)
    else:
        assert move.refused == f"{label(path[-1]).lower()} is the last stage"


@given(move_paths, st.data())
def test_a_move_is_refused_or_lands_on_its_target(path: list[str], data: st.DataObject) -> None:
    stages = [*path, *SIDE_STAGES]
    current = data.draw(st.sampled_from(stages))
    held_from = data.draw(st.none() | st.sampled_from(path[:-1]))
    target = data.draw(st.sampled_from(stages))
    move = check_move(path, current, held_from, target)
    assert move.to_stage == target
    if move.refused is not None:
        assert move.skipped == ()
    assert set(move.skipped) <= set(path)
    assert target not in move.skipped
    if current == target:
        assert move.refused is not None
