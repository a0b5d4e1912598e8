"""The task,worker,label files the quality commands read, and the answers they write."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from crewline.quality.csvfile import read_gold, read_labels, write_answers
from crewline.quality.errors import QualityInputError


def _file(tmp_path: Path, text: str, name: str = "labels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_columns_are_found_by_name_and_extra_columns_ignored(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "\ufeffLabel,Worker,time,Task\ncat,w1,3,t1\ndog,w2,4,t1\n\ncat,w1,5,t2\n,w2,6,t2\n",
    )
    table = read_labels(path)
    assert table.tasks == ("t1", "t2") and table.workers == ("w1", "w2")
    assert table.n_labels == 3  # the empty label is a missing label
    assert table.classes == ("cat", "dog")


def test_numeric_labels_are_numbers_only_when_asked(tmp_path: Path) -> None:
    path = _file(tmp_path, "task,worker,label\nt1,w1,10\nt1,w2,9\n")
    assert read_labels(path).classes == ("10", "9")
    assert read_labels(path, numeric=True).classes == (9.0, 10.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("task,label\nt1,a\n", "missing worker"),
        ("task,worker,label\n", "has no labels"),
        ("task,worker,label\nt1,,a\n", "line 2: task and worker are required"),
        ("task,worker,label\nt1,w1\n", "line 2: expected 3 columns"),
        ("task,worker,label\nt1,w1,a\nt1,w1,b\n", "more than once"),
    ],
)
def test_bad_files_are_refused_with_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(QualityInputError, match=message):
        read_labels(_file(tmp_path, text))


@pytest.mark.parametrize("label", ["high", "nan", "inf"])
def test_a_label_that_is_not_a_finite_number_is_refused(tmp_path: Path, label: str) -> None:
    path = _file(tmp_path, f"task,worker,label\nt1,w1,1\nt1,w2,{label}\n")
    with pytest.raises(QualityInputError, match="line 3"):
        read_labels(path, numeric=True)


def test_gold_maps_to_codes_and_ignores_unlabelled_tasks(tmp_path: Path) -> None:
    table = read_labels(_file(tmp_path, "task,worker,label\nt1,w1,cat\nt2,w1,dog\n"))
    gold = read_gold(_file(tmp_path, "task,label\nt2,cat\nt9,dog\n", "gold.csv"), table)
    assert gold == {1: 0}
    with pytest.raises(QualityInputError, match="'cow' is not among the labels"):
        read_gold(_file(tmp_path, "task,label\nt1,cow\n", "gold.csv"), table)


def test_numeric_gold_matches_numeric_labels(tmp_path: Path) -> None:
    table = read_labels(_file(tmp_path, "task,worker,label\nt1,w1,1\nt2,w1,2\n"), numeric=True)
    gold = read_gold(_file(tmp_path, "task,label\nt1,2.0\n", "gold.csv"), table)
    assert gold == {0: 1}


def test_answers_are_written_one_row_per_task(tmp_path: Path) -> None:
    table = read_labels(_file(tmp_path, "task,worker,label\nt1,w1,2\nt2,w1,1.5\n"), numeric=True)
    out = io.StringIO()
    write_answers(out, table, [1, 0], [0.9, 0.25])
    assert out.getvalue() == "task,label,confidence\nt1,2,0.900000\nt2,1.5,0.250000\n"
