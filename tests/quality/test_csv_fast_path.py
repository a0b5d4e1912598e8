"""The integer fast path of ``read_labels``: ids (and labels) that are plain integers are coded
as integers, and must give exactly what coding their text gives, or the text is coded."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crewline.quality import csvfile, inference
from crewline.quality.csvfile import read_labels, write_answers
from crewline.quality.data import LabelTable
from crewline.quality.errors import QualityInputError


def _file(tmp_path: Path, text: str, name: str = "labels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _text_path(path: Path, *, numeric: bool = False) -> LabelTable:
    """The reading without the integer paths: every column coded as text."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csvfile, "_integer_file", lambda path, names: None)
        patch.setattr(csvfile, "_exact_ints", lambda column: None)
        return read_labels(path, numeric=numeric)


def _same(a: LabelTable, b: LabelTable) -> None:
    for name in ("task", "worker", "label"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype == np.int64
        assert np.array_equal(left, right), name
    assert (a.tasks, a.workers, a.classes) == (b.tasks, b.workers, b.classes)
    assert all(
        type(x) is type(y) for x, y in zip(a.tasks + a.workers, b.tasks + b.workers, strict=True)
    )


def _answers(table: LabelTable) -> str:
    answers = inference.aggregate(table, "dawid-skene")
    out = io.StringIO()
    write_answers(out, table, answers.label, answers.confidence)
    return out.getvalue()


def _both(path: Path, *, numeric: bool = False) -> LabelTable:
    fast, slow = read_labels(path, numeric=numeric), _text_path(path, numeric=numeric)
    _same(fast, slow)
    assert _answers(fast) == _answers(slow)
    return fast


@pytest.mark.parametrize(
    ("text", "whole_file"),
    [
        ("task,worker,label\n12,3,1\n5,3,0\n12,40,1\n-7,40,10\n5,-1,1\n", True),
        ("task,worker,label\n12,3,1\n5,3,0\n12,40,1\n-7,40,10\n5,-1,1", True),  # no last \n
        ("label,task,worker\n1,12,3\n0,5,3\n1,12,40\n10,-7,40\n1,5,-1\n", True),
        ("task,worker,label\n12,3,1\n5,3,0\n\n12,40,1\n-7,40,10\n5,-1,1\n", False),  # blank
        ("task,worker,label\r\n12,3,1\r\n5,3,0\r\n12,40,1\r\n-7,40,10\r\n5,-1,1\r\n", False),
        ("task,worker,label,note\n12,3,1,\n5,3,0,\n12,40,1,x\n-7,40,10,\n5,-1,1,\n", False),
    ],
)
def test_integer_ids_take_an_integer_path_and_keep_their_text(
    tmp_path: Path, text: str, whole_file: bool
) -> None:
    """A file of nothing but integer columns is read whole as integers; one with carriage
    returns or other columns has its columns read as text and then coded as integers."""
    calls: dict[str, list[Any]] = {"_integer_file": [], "_exact_ints": []}

    def spy(name: str) -> Any:
        original = getattr(csvfile, name)

        def wrapper(*args: Any) -> Any:
            calls[name].append(result := original(*args))
            return result

        return wrapper

    path = _file(tmp_path, text)
    with pytest.MonkeyPatch.context() as patch:
        for name in calls:
            patch.setattr(csvfile, name, spy(name))
        table = read_labels(path)
    assert (calls["_integer_file"] != [None]) is whole_file
    assert len(calls["_exact_ints"]) == (0 if whole_file else 3)
    assert all(c is not None for c in calls["_exact_ints"])
    assert table.tasks == ("12", "5", "-7") and table.workers == ("3", "40", "-1")
    assert table.classes == ("0", "1", "10")  # sorted as text, as before
    assert table.task.tolist() == [0, 1, 0, 2, 1] and table.label.tolist() == [1, 0, 1, 2, 1]
    _both(path)
    assert _both(path, numeric=True).classes == (0.0, 1.0, 10.0)


@pytest.mark.parametrize(
    "body",
    [
        "1,2,3\n007,2,3\n",  # leading zeros: another id
        "1,2,3\n-0,2,3\n",
        "1,2,3\n1,-,3\n",  # a lone minus sign
        "1,2,3\n1,3,\n",  # an empty label is a missing label
        "1,2,3\n,3,1\n",  # no task
        "1,2,3\n1,3\n",  # a short row
        "1,2,3\n1,3,1,4\n",  # a long row
        "1,2,3\n1,99999999999999999999,1\n",  # beyond 64 bits
        "1,2,3\n\n\n2,2,3\n\n",  # blank lines
        "1,2,3\n1,2,4\n",  # a worker labelling a task twice
        "",
    ],
)
def test_integer_files_that_are_not_plain_read_as_text_does(tmp_path: Path, body: str) -> None:
    """Whatever the whole-file reader cannot take exactly reads (or is refused) just as the
    text reader reads (or refuses) it."""
    for header in ("task,worker,label\n", "\ufefftask,worker,label\n", '"task",worker,label\n'):
        path = _file(tmp_path, header + body)
        try:
            fast = read_labels(path)
        except QualityInputError as exc:
            with pytest.raises(QualityInputError) as slow:
                _text_path(path)
            assert str(exc) == str(slow.value)
        else:
            _same(fast, _text_path(path))


@pytest.mark.parametrize(
    "ids",
    [
        ["007", "7", "07"],  # leading zeros are other ids
        ["+5", "5", "6"],
        [" 12 ", "12", "13"],  # trimmed: the same id
        ["0", "-0", "1"],
        ["0x1F", "31", "1"],  # Arrow parses hexadecimal
        ["t1", "2", "3"],
        ["9223372036854775808", "9223372036854775807", "-9223372036854775808"],
        ["99999999999999999999999", "1", "2"],
        ["-1", "-2", "1"],
        ["1.0", "1", "2"],
        ["1e3", "1000", "5"],
        ["\u0661", "1", "2"],  # an Arabic-Indic digit one
    ],
)
def test_ids_that_are_not_plain_integers_read_as_before(tmp_path: Path, ids: list[str]) -> None:
    # Each id as a task (with its own worker) and as a worker (with its own task).
    rows = [f'"{t}",{10 + i},a' for i, t in enumerate(ids)]
    rows += [f'{20 + i},"{w}",b' for i, w in enumerate(ids)]
    path = _file(tmp_path, "task,worker,label\n" + "\n".join(rows) + "\n")
    table = _both(path)
    assert set(table.tasks) == {i.strip() for i in ids} | {"20", "21", "22"}


def test_missing_labels_blank_rows_and_padding_with_integer_ids(tmp_path: Path) -> None:
    path = _file(tmp_path, "task,worker,label\n1,2,3\n1,3,\n\n,,\n4,2, 5 \n4,3,3\n9,3,\n")
    table = _both(path)
    assert table.tasks == ("1", "4") and table.classes == ("3", "5")
    assert _both(path, numeric=True).classes == (3.0, 5.0)


def test_numeric_labels_with_integer_ids(tmp_path: Path) -> None:
    path = _file(tmp_path, "task,worker,label\n1,2,10\n1,3,9\n2,2,9.5\n")
    assert _both(path, numeric=True).classes == (9.0, 9.5, 10.0)
    with pytest.raises(QualityInputError, match="line 3: label 'x' is not a number"):
        read_labels(_file(tmp_path, "task,worker,label\n1,2,1\n1,3,x\n"), numeric=True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("task,worker,label\n1,2,1\n1,2,0\n", "a worker labelled the same task more than once"),
        ("task,worker,label\n1,2,1\n3,2,0\n1,2,1\n", "more than once"),
        ("task,worker,label\n1,2,1\n3,,0\n", "labels.csv line 3: task and worker are required"),
        ("task,worker,label\n1,2,1\n\n,2,0\n", "labels.csv line 4: task and worker are required"),
        ("task,worker,label\n1,2,\n3,4,\n", "labels.csv has no labels"),
        ("task,worker,label\n1,2,1\n3,4\n", "labels.csv line 3: expected 3 columns, got 2"),
    ],
)
def test_integer_files_are_refused_as_before(tmp_path: Path, text: str, message: str) -> None:
    path = _file(tmp_path, text)
    for reader in (read_labels, _text_path):
        with pytest.raises(QualityInputError, match=message):
            reader(path)


_INTS = st.integers(-30, 30)
_ID = st.one_of(
    _INTS.map(str),
    _INTS.map(str),
    _INTS.map(lambda i: f"0{abs(i)}"),
    _INTS.map(lambda i: f"+{abs(i)}"),
    _INTS.map(lambda i: f" {i}"),
    _INTS.map(lambda i: f"t{i}"),
    st.sampled_from(["-0", "0x1", "", "99999999999999999999", "9223372036854775807"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(_INTS.map(str), _ID),
            st.one_of(_INTS.map(str), _ID),
            st.one_of(st.integers(0, 12).map(str), st.sampled_from(["", "a", " 3", "03", "2.5"])),
        ),
        min_size=1,
        max_size=40,
    ),
    integer_only=st.booleans(),
    numeric=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_the_fast_reader_reads_what_the_text_reader_reads(
    rows: list[tuple[str, str, str]], integer_only: bool, numeric: bool, newline: str
) -> None:
    if integer_only:  # mostly plain integers, so the fast path is taken often
        rows = [
            (str(int(t)) if _plain(t) else "1", w if _plain(w) else "2", lab) for t, w, lab in rows
        ]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.csv"
        with path.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, lineterminator=newline)
            writer.writerow(("task", "worker", "label"))
            writer.writerows(rows)
        outcomes = []
        for reader in (read_labels, _text_path):
            try:
                table = reader(path, numeric=numeric)
            except QualityInputError as exc:
                outcomes.append(("refused", str(exc)))
            else:
                outcomes.append(("read", table))
        (fast_kind, fast), (slow_kind, slow) = outcomes
        assert fast_kind == slow_kind
        if fast_kind == "refused":
            assert fast == slow
        else:
            _same(fast, slow)
            assert _answers(fast) == _answers(slow)


def _plain(text: str) -> bool:
    try:
        return str(int(text)) == text
    except ValueError:
        return False


def test_a_text_id_past_the_first_block_sends_the_file_to_the_text_reader(
    tmp_path: Path,
) -> None:
    """The whole-file reader turns a file away on its first 64 KiB, and otherwise checks every
    byte: a text id on a late row must still be read as text, not lost or merged."""
    rows = [f"{t},{w},{(t + w) % 3}" for t in range(4000) for w in range(5)]
    # Arrow parses hexadecimal, and this one prints as long as its value: only the byte check
    # keeps it from becoming task 4294967295.
    rows += ["0xFFFFFFFF,7,1", "4294967295,8,1"]
    path = _file(tmp_path, "task,worker,label\n" + "\n".join(rows) + "\n")
    assert len(path.read_bytes()) > 1 << 16
    table = _both(path)
    assert table.tasks[-2:] == ("0xFFFFFFFF", "4294967295") and table.n_tasks == 4002
