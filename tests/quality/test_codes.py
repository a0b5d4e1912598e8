"""Coding label values and gold answers to class indexes (the refresh's vectorised lookups)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from crewline.quality.labels import codes_of, gold_codes

words = st.sampled_from(["positive", "neutral", "negative", "", "näive", "a,b"])
numbers = st.integers(1, 7)


@given(st.lists(words), st.lists(words, unique=True, min_size=1))
def test_codes_of_strings_match_a_dict_lookup(values: list[str], classes: list[str]) -> None:
    index = {c: i for i, c in enumerate(classes)}
    assert codes_of(values, classes).tolist() == [index.get(v, -1) for v in values]


@given(st.lists(numbers), st.lists(numbers, unique=True, min_size=1))
def test_codes_of_numbers_match_a_dict_lookup(values: list[int], classes: list[int]) -> None:
    index = {c: i for i, c in enumerate(classes)}
    assert codes_of(values, classes).tolist() == [index.get(v, -1) for v in values]


def test_mixed_types_fall_back_to_the_dict_lookup() -> None:
    assert codes_of(["a", 1, None], ["a", 1]).tolist() == [0, 1, -1]


@given(
    st.lists(st.integers(1, 30)),
    st.dictionaries(st.integers(1, 30), words),
    st.lists(words, unique=True, min_size=1),
)
def test_gold_codes_match_a_dict_lookup(
    tasks: list[int], gold: dict[int, str], classes: list[str]
) -> None:
    index = {c: i for i, c in enumerate(classes)}
    expected = [index.get(gold[t], -1) if t in gold else -1 for t in tasks]
    got = gold_codes(np.array(tasks, dtype=np.int64), gold, classes)
    assert got.tolist() == expected
