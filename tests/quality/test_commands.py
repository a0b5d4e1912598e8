"""``crewline quality agreement`` and ``aggregate`` on CSV files, including their bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crewline.cli import app
from crewline.quality import agreement, csvfile

# Wide enough that rich never wraps a message (the temporary paths in them are long).
runner = CliRunner(env={"COLUMNS": "400"})

#: Ann, Bob and Cai on five tasks (docs/quality.md's worked example).
EXAMPLE = """task,worker,label
t1,ann,cat
t1,bob,cat
t1,cai,cat
t2,ann,cat
t2,bob,dog
t2,cai,cat
t3,ann,dog
t3,bob,dog
t3,cai,dog
t4,ann,dog
t4,bob,dog
t4,cai,dog
t5,ann,,
t5,bob,dog
t5,cai,dog
"""


def _file(tmp_path: Path, text: str, name: str = "labels.csv") -> Path:
    path = tmp_path / name
    path.write_text(text.replace(",,\n", ",\n"), encoding="utf-8")
    return path


def _run(*args: object) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("metric", "function"),
    [
        ("percent", agreement.percent_agreement),
        ("fleiss", agreement.fleiss_kappa),
        ("krippendorff", agreement.krippendorff_alpha),
        ("gwet", agreement.gwet_ac1),
    ],
)
def test_agreement_prints_the_library_value(tmp_path: Path, metric: str, function: object) -> None:
    path = _file(tmp_path, EXAMPLE)
    expected = function(csvfile.read_labels(path))  # type: ignore[operator]
    code, out, _ = _run("quality", "agreement", path, "--metric", metric)
    assert code == 0, out
    assert f": {expected:.4f}" in out
    assert "5 tasks, 3 workers, 14 labels" in out


def test_krippendorff_interval_reads_numbers_and_ci_is_reproducible(tmp_path: Path) -> None:
    text = "task,worker,label\n" + "".join(
        f"t{t},w{w},{(t * 3 + w * (t % 2)) % 5 + 1}\n" for t in range(30) for w in range(3)
    )
    path = _file(tmp_path, text)
    expected = agreement.krippendorff_alpha(csvfile.read_labels(path, numeric=True), "interval")
    first = _run("quality", "agreement", path, "--level", "interval", "--ci", "--seed", 3)
    again = _run("quality", "agreement", path, "--level", "interval", "--ci", "--seed", 3)
    assert first[0] == 0, first
    assert f"(interval): {expected:.4f}  95% CI [" in first[1]
    assert first[1] == again[1]


def test_ordinal_orders_numbers_as_numbers(tmp_path: Path) -> None:
    text = "task,worker,label\n" + "".join(
        f"t{t},w{w},{[2, 10, 10, 2, 9][(t + w) % 5]}\n" for t in range(12) for w in range(2)
    )
    path = _file(tmp_path, text)
    numeric = agreement.krippendorff_alpha(csvfile.read_labels(path, numeric=True), "ordinal")
    code, out, _ = _run("quality", "agreement", path, "--level", "ordinal")
    assert code == 0
    assert f": {numeric:.4f}" in out


def test_weighted_cohen_between_two_workers(tmp_path: Path) -> None:
    rows = "".join(f"t{t},a,{t % 3}\nt{t},b,{(t + t // 4) % 3}\n" for t in range(24))
    path = _file(tmp_path, "task,worker,label\n" + rows)
    table = csvfile.read_labels(path)
    expected = agreement.cohen_kappa(table, "a", "b", weights="quadratic")
    code, out, _ = _run("quality", "agreement", path, "--metric", "cohen", "--weights", "quadratic")
    assert code == 0
    assert f"Cohen's kappa, quadratic weights (a and b): {expected:.4f}" in out


def test_an_undefined_coefficient_prints_nan_and_why(tmp_path: Path) -> None:
    path = _file(tmp_path, "task,worker,label\nt1,a,x\nt1,b,x\nt2,a,x\nt2,b,x\n")
    code, out, _ = _run("quality", "agreement", path, "--metric", "fleiss")
    assert code == 0
    assert "nan" in out and "undefined" in out


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("task,worker\nt1,a\n", [], "label"),
        ("task,worker,label\nt1,a,x\nt1,a,y\n", [], "more than once"),
        ("task,worker,label\nt1,a,1\nt1,b,high\n", ["--level", "interval"], "not a number"),
        (EXAMPLE, ["--metric", "cohen"], "two workers"),
        (EXAMPLE, ["--metric", "fleiss", "--weights", "linear"], "--weights"),
        (EXAMPLE, ["--metric", "gwet", "--level", "ordinal"], "--level"),
        ("task,worker,label\n", [], "no labels"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    tmp_path: Path, text: str, args: list[str], message: str
) -> None:
    code, out, err = _run("quality", "agreement", _file(tmp_path, text), *args)
    assert code == 2, out
    assert message in err


def test_unknown_metric_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = _run("quality", "agreement", _file(tmp_path, EXAMPLE), "--metric", "alpha")
    assert code == 2
    assert "--metric" in err


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = _run("quality", "agreement", tmp_path / "nope.csv")
    assert code == 2
    assert "does not exist" in err


def _answers(text: str) -> dict[str, tuple[str, float]]:
    rows = csv.DictReader(io.StringIO(text))
    return {r["task"]: (r["label"], float(r["confidence"])) for r in rows}


def test_aggregate_writes_one_answer_per_task_with_gold_clamped(tmp_path: Path) -> None:
    path = _file(tmp_path, EXAMPLE)
    gold = _file(tmp_path, "task,label\nt2,dog\n", "gold.csv")
    out = tmp_path / "answers.csv"
    code, _, err = _run(
        "quality", "aggregate", path, "--method", "dawid-skene", "--gold", gold, "-o", out
    )
    assert code == 0, err
    answers = _answers(out.read_text(encoding="utf-8"))
    assert list(answers) == ["t1", "t2", "t3", "t4", "t5"]
    assert answers["t2"] == ("dog", 1.0)  # gold wins over the 2-1 vote for cat
    assert answers["t1"][0] == "cat" and answers["t3"][0] == "dog"
    assert "5 answers from 14 labels" in err


@pytest.mark.parametrize("method", ["mv", "wmv", "dawid-skene", "one-coin", "glad", "mace"])
def test_aggregate_prints_to_stdout_with_every_method(tmp_path: Path, method: str) -> None:
    code, out, _ = _run("quality", "aggregate", _file(tmp_path, EXAMPLE), "--method", method)
    assert code == 0
    answers = _answers(out)
    assert set(answers) == {"t1", "t2", "t3", "t4", "t5"}
    assert all(0.0 <= conf <= 1.0 for _, conf in answers.values())
    assert answers["t1"][0] == "cat" and answers["t4"][0] == "dog"


def test_aggregate_refuses_gold_outside_the_labels(tmp_path: Path) -> None:
    gold = _file(tmp_path, "task,label\nt1,cow\n", "gold.csv")
    code, _, err = _run("quality", "aggregate", _file(tmp_path, EXAMPLE), "--gold", gold)
    assert code == 2
    assert "'cow' is not among the labels" in err


def test_aggregate_refuses_an_unknown_method(tmp_path: Path) -> None:
    code, _, err = _run("quality", "aggregate", _file(tmp_path, EXAMPLE), "--method", "em")
    assert code == 2
    assert "--method" in err
