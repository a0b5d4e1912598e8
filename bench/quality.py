"""Quality benchmark (issue 5): truth inference against crowd-kit, dynamic overlap, refresh.

One run measures, on seeded synthetic Dawid-Skene data (each worker has a confusion matrix
drawn around an accuracy, tasks draw a class from the prior):

* **Dawid-Skene at 1,000,000 labels** (100,000 tasks x overlap 10, 2,000 workers, 5 classes),
  end to end from a CSV file on disk to answers: ours (``csvfile.read_labels`` ->
  ``inference.dawid_skene``) against crowd-kit (``pandas.read_csv`` -> ``DawidSkene``);
  accuracy against the truth.
* **GLAD and MACE** against crowd-kit at 100,000 labels, and ours alone at 1,000,000.
* **Other shapes** (3 workers per task, 20 classes, unbalanced classes, a third adversarial,
  a third spamming): accuracy of every method beside crowd-kit's counterpart, each drawn
  with five seeds (mean, spread and how often ours is lower).
* **Dynamic overlap**: labels used and accuracy, fixed overlap against asking for more only
  while the consensus is unsure.
* **Refresh at 1,000,000 annotations** (``quality.refresh.refresh_project``) on SQLite and
  PostgreSQL.

Run from the repository root (crowd-kit comes with ``pip install -e ".[bench]"``)::

    .venv/bin/python bench/quality.py --quick      # small sizes, a minute
    .venv/bin/python bench/quality.py              # the issue-5 configuration
    .venv/bin/python bench/quality.py --part refresh   # one part, merged into the JSON
    .venv/bin/python bench/quality.py --part dawid-skene   # only Dawid-Skene at 1M labels
    .venv/bin/python bench/quality.py --part paired   # the stored lower cells, paired
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from crowdkit import aggregation
from rich.console import Console
from rich.table import Table
from scipy import stats
from sqlalchemy import insert, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crewline.db import make_sessionmaker, utcnow
from crewline.orgs import service as orgs
from crewline.orgs.models import OrgKind
from crewline.orgs.schemas import OrgCreate
from crewline.people import service as people
from crewline.projects import service as projects
from crewline.projects.schemas import ProjectCreate
from crewline.quality import csvfile, inference, refresh
from crewline.quality.data import LabelTable
from crewline.quality.models import QualityRefresh
from crewline.tasks.models import Assignment, AssignmentState, Task
from routing import (
    ACTOR,
    PEOPLE_BATCH,
    ZeroEmbedder,
    _person,
    bench_engine,
    bulk_tasks,
    database,
)

console = Console(width=150)
RESULTS = Path(__file__).resolve().parent / "results-quality.json"
CROWDKIT = {
    "mv": "MajorityVote",
    "wmv": "Wawa",
    "dawid-skene": "DawidSkene",
    "one-coin": "OneCoinDawidSkene",
    "glad": "GLAD",
    "mace": "MACE",
}


# --- data ------------------------------------------------------------------------------------


def generate(
    seed: int,
    *,
    tasks: int,
    overlap: int,
    workers: int,
    classes: int,
    prior: np.ndarray | None = None,
    adversarial: float = 0.0,
    spammers: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dawid-Skene data: (task, worker, label, truth). Honest workers have a confusion matrix
    with an accuracy drawn from Beta(7, 3) on the diagonal and Dirichlet errors off it;
    adversaries answer a fixed permutation of the truth; spammers answer uniformly."""
    rng = np.random.default_rng(seed)
    p = np.full(classes, 1 / classes) if prior is None else prior
    truth = rng.choice(classes, tasks, p=p)
    accuracy = rng.beta(7, 3, workers)
    confusion = np.empty((workers, classes, classes))
    for w in range(workers):
        errors = rng.dirichlet(np.ones(classes - 1) * 2, classes)
        for k in range(classes):
            row = np.insert(errors[k] * (1 - accuracy[w]), k, accuracy[w])
            confusion[w, k] = row
    kind = rng.random(workers)
    shift = np.roll(np.eye(classes), 1, axis=1)
    confusion[kind < adversarial] = shift
    spam = (kind >= adversarial) & (kind < adversarial + spammers)
    confusion[spam] = np.full((classes, classes), 1 / classes)
    task = np.repeat(np.arange(tasks), overlap)
    worker = (
        np.argsort(rng.random((tasks, workers)), axis=1)[:, :overlap].ravel()
        if workers <= 200
        else np.concatenate([rng.choice(workers, overlap, replace=False) for _ in range(tasks)])
    )
    cumulative = confusion[worker, truth[task]].cumsum(axis=1)
    label = (rng.random(task.size)[:, None] > cumulative).sum(axis=1)
    label = np.minimum(label, classes - 1)
    return task, worker, label, truth


def write_csv(path: Path, task: np.ndarray, worker: np.ndarray, label: np.ndarray) -> None:
    rows = np.stack([task, worker, label], axis=1)
    np.savetxt(path, rows, fmt="%d", delimiter=",", header="task,worker,label", comments="")


def right_of(table: LabelTable, labels: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per task id (0..n-1, the generator's), whether ``labels`` got it right."""
    ids = np.array([int(t) for t in table.tasks])
    given = np.array([int(table.classes[c]) for c in labels])
    right = np.zeros(truth.size, dtype=bool)
    right[ids] = given == truth[ids]
    return right


def paired(mine: np.ndarray, theirs: np.ndarray) -> dict[str, Any]:
    """The tasks only one side got right, and the exact McNemar test of "neither is better":
    two methods a task or two apart on thousands are told apart from noise by these."""
    only_ours, only_theirs = int((mine & ~theirs).sum()), int((theirs & ~mine).sum())
    return {
        "only_ours_right": only_ours,
        "only_crowdkit_right": only_theirs,
        "mcnemar_p": mcnemar_p(only_ours, only_theirs),
    }


def mcnemar_p(only_ours: int, only_theirs: int) -> float:
    """Two-sided exact McNemar: the discordant tasks split as a fair coin would split them."""
    discordant = only_ours + only_theirs
    return float(stats.binomtest(only_ours, discordant).pvalue) if discordant else 1.0


# --- runs ------------------------------------------------------------------------------------


def repeated(run: Callable[[], Callable[[], np.ndarray]], repeats: int) -> dict[str, Any]:
    """``run`` timed end to end ``repeats`` times (the median and every run); what it returns
    is called after the clock stops and says which tasks (by the generator's id) it got right."""
    seconds: list[float] = []
    right = np.zeros(0, dtype=bool)
    for _ in range(repeats):
        start = time.perf_counter()
        score = run()
        seconds.append(time.perf_counter() - start)
        right = score()
    return {
        "seconds": statistics.median(seconds),
        "runs": seconds,
        "accuracy": float(right.mean()),
        "right": right,
    }


def ours(path: Path, method: str, truth: np.ndarray, repeats: int) -> dict[str, Any]:
    def run() -> Callable[[], np.ndarray]:
        table = csvfile.read_labels(path)
        answers = inference.aggregate(table, method)
        return lambda: right_of(table, answers.label, truth)

    return repeated(run, repeats)


def crowdkit(path: Path, method: str, truth: np.ndarray, repeats: int) -> dict[str, Any]:
    def run() -> Callable[[], np.ndarray]:
        frame = pd.read_csv(path)
        model = getattr(aggregation, CROWDKIT[method])()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = model.fit_predict(frame)

        def score() -> np.ndarray:
            given = result.sort_index()
            right = np.zeros(truth.size, dtype=bool)
            right[given.index.to_numpy()] = given.to_numpy() == truth[given.index.to_numpy()]
            return right

        return score

    return repeated(run, repeats)


def head_to_head(
    tmp: Path,
    name: str,
    data: tuple[np.ndarray, ...],
    methods: list[str],
    repeats: int,
    their_repeats: int = 1,
) -> list[dict[str, Any]]:
    """Ours (median of ``repeats`` runs) against crowd-kit (median of ``their_repeats``: one
    where a run takes a minute) on the same file, each run end to end from the CSV."""
    task, worker, label, truth = data
    path = tmp / f"{name}.csv"
    write_csv(path, task, worker, label)
    rows = []
    for method in methods:
        mine = ours(path, method, truth, repeats)
        theirs = crowdkit(path, method, truth, their_repeats)
        rows.append(
            {
                "data": name,
                "labels": int(task.size),
                "method": method,
                "ours_s": round(mine["seconds"], 3),
                "ours_runs_s": [round(x, 3) for x in mine["runs"]],
                "crowdkit_s": round(theirs["seconds"], 3),
                "crowdkit_runs_s": [round(x, 3) for x in theirs["runs"]],
                "speedup": round(theirs["seconds"] / mine["seconds"], 1),
                "ours_accuracy": round(mine["accuracy"], 5),
                "crowdkit_accuracy": round(theirs["accuracy"], 5),
                **paired(mine["right"], theirs["right"]),
            }
        )
        console.print(rows[-1])
    return rows


#: Dynamic overlap's runs: most labels a task may get, and the fixed overlaps it is set against.
MOST_LABELS = 11
FIXED_OVERLAPS = (3, 5, 7, 9, 11)


def dynamic_overlap(seed: int, tasks: int) -> list[dict[str, Any]]:
    """Fixed overlaps against "3 labels, then one more at a time (up to 9) while the
    Dawid-Skene confidence is under the threshold", replaying each task's labels in arrival
    order; each dynamic policy's saving is counted against the labels fixed overlap needs for
    the same accuracy (interpolated between the two fixed overlaps around it)."""
    workers = 150
    task, worker, label, truth = generate(
        seed, tasks=tasks, overlap=MOST_LABELS, workers=workers, classes=3
    )
    order = np.argsort(task, kind="stable")
    task, worker, label = task[order], worker[order], label[order]
    position = np.tile(np.arange(MOST_LABELS), tasks)

    def run(keep: np.ndarray) -> tuple[float, int, np.ndarray]:
        table = LabelTable(
            task[keep],
            worker[keep],
            label[keep],
            tuple(range(tasks)),
            tuple(range(workers)),
            (0, 1, 2),
        )
        answers = inference.dawid_skene(table)
        return float((answers.label == truth).mean()), int(keep.sum()), answers.confidence

    rows: list[dict[str, Any]] = []
    for overlap in FIXED_OVERLAPS:
        acc, used, _ = run(position < overlap)
        rows.append(
            {"policy": f"fixed overlap {overlap}", "labels": used, "accuracy": round(acc, 4)}
        )
    fixed = [(r["accuracy"], r["labels"]) for r in rows]
    for threshold in (0.99, 0.999, 0.9999):
        depth = np.full(tasks, 3)
        while True:
            _acc, _n, confidence = run(position < depth[task])
            unsure = (confidence < threshold) & (depth < 9)
            if not unsure.any():
                break
            depth[unsure] += 1
        acc, used, _ = run(position < depth[task])
        row: dict[str, Any] = {
            "policy": f"base 3, more below {threshold} (max 9)",
            "labels": used,
            "accuracy": round(acc, 4),
        }
        row.update(_same_accuracy(fixed, acc, used))
        rows.append(row)
    for row in rows:
        console.print(row)
    return rows


def _same_accuracy(fixed: list[tuple[float, int]], accuracy: float, used: int) -> dict[str, Any]:
    """The labels fixed overlap needs for ``accuracy`` (linear between the fixed overlaps
    around it) and the share of them ``used`` saves; beyond the most accurate fixed overlap,
    only a lower bound on the saving."""
    below = [(a, n) for a, n in fixed if a <= accuracy]
    above = [(a, n) for a, n in fixed if a >= accuracy]
    if not above:
        most = max(fixed)
        return {
            "fixed_labels_needed": f"> {most[1]}",
            "saved_at_same_accuracy": f"> {1 - used / most[1]:.3f}",
        }
    high = min(above, key=lambda p: p[1])
    if not below or high[0] == accuracy:
        needed = float(high[1])
    else:
        low = max(below, key=lambda p: p[1])
        needed = low[1] + (high[1] - low[1]) * (accuracy - low[0]) / (high[0] - low[0])
    return {
        "fixed_labels_needed": round(needed),
        "saved_at_same_accuracy": round(1 - used / needed, 3),
    }


#: Labels added before each warm refresh (1,000 more tasks at the same overlap).
WARM_TASKS = 1_000


def labelled_project(
    engine: Any, tasks: int, overlap: int, workers: int
) -> tuple[int, _LabelWorld]:
    """A live project with ``workers`` people and room for ``tasks + 2 * WARM_TASKS`` tasks,
    the first ``tasks`` of them labelled ``overlap`` times; its id, and the labels to come."""
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        client = orgs.do_create_org(
            session=session,
            actor=ACTOR,
            data=OrgCreate(kind=OrgKind.client, name="Bench Lab", country="US", currency="USD"),
        )
        project = projects.do_create_project(
            session=session,
            actor=ACTOR,
            data=ProjectCreate(
                client_id=client.id,
                name="Refresh bench",
                status="live",
                overlap=overlap,
                gold_rate=0.05,
                label_schema={"labels": ["positive", "neutral", "negative"]},
                guidelines="# Sentiment",
            ),
            embedder=ZeroEmbedder(),
        )
        project_id = project.id
        person_ids: list[int] = []
        for start in range(0, workers, PEOPLE_BATCH):
            rows = [_person(i) for i in range(start, min(workers, start + PEOPLE_BATCH))]
            made = people.do_create_people(
                session=session, actor=ACTOR, embedder=ZeroEmbedder(), rows=rows
            )
            person_ids += [p.id for p in made]
    total = tasks + 2 * WARM_TASKS
    bulk_tasks(sessions, project_id, 0, total, overlap)
    world = _LabelWorld.make(engine, project_id, person_ids, total, overlap, workers)
    world.write(engine, 0, tasks)
    return project_id, world


def refresh_at_scale(kind: str, tasks: int, overlap: int, workers: int) -> dict[str, Any]:
    """Build a project with ``tasks * overlap`` submitted labels and time a cold refresh (every
    figure written), then two warm ones, each after ``WARM_TASKS * overlap`` new labels."""
    with database(kind) as url:
        engine = bench_engine(url, pool=2)
        sessions = make_sessionmaker(engine)
        t_build = time.perf_counter()
        project_id, world = labelled_project(engine, tasks, overlap, workers)
        built = time.perf_counter() - t_build

        def timed() -> tuple[float, Any]:
            with sessions() as session:
                start = time.perf_counter()
                result = refresh.refresh_project(
                    session=session, project_id=project_id, now=utcnow()
                )
                return time.perf_counter() - start, result

        loads = [round(x, 2) for x in os.getloadavg()]
        cold, result = timed()
        warm = []
        for round_ in range(2):
            first = tasks + round_ * WARM_TASKS
            world.write(engine, first, first + WARM_TASKS)
            seconds, result = timed()
            warm.append(seconds)
        with sessions() as session:
            written = session.get_one(QualityRefresh, project_id).rows_written
        engine.dispose()
        row = {
            "database": kind,
            "annotations": tasks * overlap,
            "tasks": tasks,
            "workers": workers,
            "load_s": round(built, 1),
            "cold_refresh_s": round(cold, 2),
            "warm_refresh_s": [round(r, 2) for r in warm],
            "warm_new_labels": WARM_TASKS * overlap,
            "warm_rows_written": written,
            "target_s": 10.0,
            "loadavg_before_refreshes": loads,
            "pass": cold < 10.0 and max(warm) < 10.0,
            "last": {k: v for k, v in asdict(result).items() if k != "seconds"},
        }
        console.print(row)
        return row


@dataclass
class _LabelWorld:
    """The synthetic labels of the refresh benchmark, written to the database in slices."""

    ids: np.ndarray
    gold: set[int]
    person_ids: list[int]
    task: np.ndarray
    worker: np.ndarray
    label: np.ndarray
    key: dict[int, str]
    seconds: np.ndarray
    overlap: int
    project_id: int

    @classmethod
    def make(
        cls,
        engine: Any,
        project_id: int,
        person_ids: list[int],
        tasks: int,
        overlap: int,
        workers: int,
    ) -> _LabelWorld:
        with engine.begin() as connection:
            ids = np.array(
                connection.execute(
                    text("SELECT id FROM tasks WHERE project_id = :p ORDER BY id"),
                    {"p": project_id},
                )
                .scalars()
                .all()
            )
            gold = set(
                connection.execute(
                    text("SELECT id FROM tasks WHERE project_id = :p AND is_gold"),
                    {"p": project_id},
                )
                .scalars()
                .all()
            )
        t, w, lab, truth = generate(5, tasks=tasks, overlap=overlap, workers=workers, classes=3)
        key = {int(task_id): NAMES[truth[i]] for i, task_id in enumerate(ids) if task_id in gold}
        with engine.begin() as connection:
            tasks_table = Task.__table__
            for task_id, answer in key.items():
                connection.execute(
                    update(tasks_table)
                    .where(tasks_table.c.id == task_id)
                    .values(gold_answer=answer)
                )
        seconds = np.random.default_rng(9).lognormal(np.log(30), 0.5, t.size)
        return cls(ids, gold, person_ids, t, w, lab, key, seconds, overlap, project_id)

    def write(self, engine: Any, first_task: int, end_task: int) -> None:
        """Submit the labels of tasks ``first_task..end_task-1`` (their slots all filled)."""
        now = utcnow() - timedelta(days=20)
        chunk = 50_000
        begin, end = first_task * self.overlap, end_task * self.overlap
        with engine.begin() as connection:
            for start in range(begin, end, chunk):
                rows = []
                for i in range(start, min(end, start + chunk)):
                    task_id = int(self.ids[self.task[i]])
                    is_gold = task_id in self.gold
                    value = NAMES[self.label[i]]
                    rows.append(
                        {
                            "task_id": task_id,
                            "project_id": self.project_id,
                            "person_id": self.person_ids[self.worker[i]],
                            "state": AssignmentState.submitted,
                            "is_gold": is_gold,
                            "leased_at": now,
                            "lease_expires_at": now + timedelta(minutes=10),
                            "finished_at": now + timedelta(seconds=int(i) * 1.7),
                            "value": value,
                            "client_submission_id": f"b{i}",
                            "active_seconds": float(self.seconds[i]),
                            "schema_version": 1,
                            "guideline_version": 1,
                            "gold_score": float(value == self.key[task_id]) if is_gold else None,
                            "skip_reason": None,
                            "review_reason": None,
                            "reviewed_by": None,
                            "reviewed_at": None,
                        }
                    )
                connection.execute(insert(Assignment.__table__), rows)
            tasks_table = Task.__table__
            touched = [int(self.ids[k]) for k in range(first_task, end_task)]
            for start in range(0, len(touched), 10_000):
                connection.execute(
                    update(tasks_table)
                    .where(tasks_table.c.id.in_(touched[start : start + 10_000]))
                    .values(submitted_count=self.overlap, open=False, completed_at=utcnow())
                )


NAMES = ["positive", "neutral", "negative"]


# --- other shapes ----------------------------------------------------------------------------

#: Added to each shape's own seed: the accuracy of every cell is the mean over these draws.
SEEDS = (0, 100, 200, 300, 400)


def shapes(n: int, offset: int) -> dict[str, tuple[np.ndarray, ...]]:
    """The five other shapes, drawn with each shape's seed plus ``offset`` (0: the first run's
    data)."""
    zipf = 1 / np.arange(1, 6) ** 1.5
    return {
        "3 workers per task": generate(3 + offset, tasks=n, overlap=3, workers=100, classes=5),
        "20 classes": generate(4 + offset, tasks=n, overlap=5, workers=100, classes=20),
        "unbalanced classes": generate(
            5 + offset, tasks=n, overlap=5, workers=100, classes=5, prior=zipf / zipf.sum()
        ),
        "a third adversarial": generate(
            6 + offset, tasks=n, overlap=5, workers=100, classes=5, adversarial=0.33
        ),
        "a third spamming": generate(
            7 + offset, tasks=n, overlap=5, workers=100, classes=5, spammers=0.33
        ),
    }


def summarise_shapes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per shape and method: mean and standard deviation of ours and crowd-kit's accuracy over
    the seeds, the mean difference, and on how many seeds ours was lower."""
    out = []
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        cells.setdefault((row["data"], row["method"]), []).append(row)
    for (name, method), runs in cells.items():
        ours_acc = np.array([r["ours_accuracy"] for r in runs])
        theirs = np.array([r["crowdkit_accuracy"] for r in runs])
        diff = ours_acc - theirs
        out.append(
            {
                "data": name,
                "method": method,
                "seeds": len(runs),
                "ours_mean": round(float(ours_acc.mean()), 5),
                "ours_sd": round(float(ours_acc.std(ddof=1)) if len(runs) > 1 else 0.0, 5),
                "crowdkit_mean": round(float(theirs.mean()), 5),
                "crowdkit_sd": round(float(theirs.std(ddof=1)) if len(runs) > 1 else 0.0, 5),
                "mean_diff_pp": round(float(diff.mean()) * 100, 3),
                "min_diff_pp": round(float(diff.min()) * 100, 3),
                "max_diff_pp": round(float(diff.max()) * 100, 3),
                "seeds_lower": int((diff < 0).sum()),
                "ours_s_median": statistics.median(r["ours_s"] for r in runs),
                "crowdkit_s_median": statistics.median(r["crowdkit_s"] for r in runs),
                **pooled(runs),
            }
        )
    return out


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The tasks only one side got right, over the seeds, and their McNemar p."""
    if not all("only_ours_right" in r for r in runs):
        return {}  # rows from before the paired counts
    ours_only = sum(r["only_ours_right"] for r in runs)
    theirs_only = sum(r["only_crowdkit_right"] for r in runs)
    return {
        "only_ours_right": ours_only,
        "only_crowdkit_right": theirs_only,
        "mcnemar_p": mcnemar_p(ours_only, theirs_only),
    }


# --- main ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "loadavg_at_start": os.getloadavg(),
    }
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    info["crowdkit"] = importlib.metadata.version("crowd-kit")
    root = Path(__file__).resolve().parent.parent
    info["commit"] = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    return info


PARTS = ("inference", "shapes", "overlap", "refresh", "dawid-skene", "paired")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--db", default="both", choices=["sqlite", "postgresql", "both", "none"])
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument(
        "--part",
        choices=PARTS,
        action="append",
        help="run only these parts (repeatable); their figures replace the same keys in --json, "
        "the others are kept, and each part records its own machine state",
    )
    args = parser.parse_args(argv)
    # "dawid-skene" is the first figure of "inference" alone (the 10x target).
    # "paired" re-checks the lower cells of a stored "shapes", whose rows a full run pools.
    parts = args.part or [p for p in PARTS if p not in ("dawid-skene", "paired")]
    scale = 0.02 if args.quick else 1.0
    big = max(2000, int(100_000 * scale))
    report: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    if args.part and args.json.exists():
        report = {**json.loads(args.json.read_text()), "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="crewline-quality-") as tmp_name:
        tmp = Path(tmp_name)
        if "inference" in parts:
            report["machine_inference"] = machine()
            console.rule("Dawid-Skene, 1,000,000 labels")
            million = generate(1, tasks=big, overlap=10, workers=2000, classes=5)
            report["dawid_skene_1m"] = head_to_head(tmp, "ds-1m", million, ["dawid-skene"], 5, 5)
            console.rule("GLAD and MACE, 100,000 labels")
            hundred_k = generate(2, tasks=big // 10, overlap=10, workers=2000, classes=5)
            report["glad_mace_100k"] = head_to_head(tmp, "gm-100k", hundred_k, ["glad", "mace"], 3)
            console.rule("GLAD and MACE alone, 1,000,000 labels")
            path = tmp / "ds-1m.csv"
            report["glad_mace_1m"] = [
                {
                    "method": m,
                    **{
                        k: v
                        for k, v in ours(path, m, million[3], 1).items()
                        if k not in ("runs", "right")
                    },
                }
                for m in ("glad", "mace")
            ]
            console.print(report["glad_mace_1m"])
        if "dawid-skene" in parts and "inference" not in parts:
            report["machine_dawid_skene"] = machine()
            console.rule("Dawid-Skene, 1,000,000 labels")
            million = generate(1, tasks=big, overlap=10, workers=2000, classes=5)
            report["dawid_skene_1m"] = head_to_head(tmp, "ds-1m", million, ["dawid-skene"], 5, 5)
        if "shapes" in parts:
            report["machine_shapes"] = machine()
            console.rule(f"Other shapes, {len(SEEDS)} seeds")
            n = max(600, int(3000 * scale * 10)) if args.quick else 3000
            report["shapes"] = []
            for offset in SEEDS:
                for name, data in shapes(n, offset).items():
                    rows = head_to_head(tmp, name, data, list(CROWDKIT), 1)
                    report["shapes"] += [{**row, "seed_offset": offset} for row in rows]
            report["shapes_summary"] = summarise_shapes(report["shapes"])
        if "paired" in parts:
            # The cells of "shapes" where ours was lower on the mean, again on the same data,
            # with the tasks only one side got right pooled over the seeds (exact McNemar).
            report["machine_paired"] = machine()
            console.rule("Lower cells of the other shapes, paired")
            n = max(600, int(3000 * scale * 10)) if args.quick else 3000
            lower = [c for c in report.get("shapes_summary", []) if c["mean_diff_pp"] < 0]
            report["paired"] = []
            for cell in lower:
                runs = [
                    head_to_head(
                        tmp, cell["data"], shapes(n, offset)[cell["data"]], [cell["method"]], 1
                    )[0]
                    for offset in SEEDS
                ]
                report["paired"].append(
                    {
                        "data": cell["data"],
                        "method": cell["method"],
                        "tasks": n * len(SEEDS),
                        **pooled(runs),
                    }
                )
                console.print(report["paired"][-1])
    if "overlap" in parts:
        console.rule("Dynamic overlap")
        report["dynamic_overlap"] = dynamic_overlap(8, max(1000, int(20_000 * scale)))
    if "refresh" in parts:
        report["machine_refresh"] = machine()
        report["refresh"] = []
        kinds = {"both": ["sqlite", "postgresql"], "none": []}.get(args.db, [args.db])
        for kind in kinds:
            console.rule(f"Refresh, {kind}")
            workers = 2000 if not args.quick else 200
            report["refresh"].append(refresh_at_scale(kind, big, 10, workers))
    args.json.write_text(json.dumps(report, indent=2, default=str))
    show(report)


def show(report: dict[str, Any]) -> None:
    columns = [
        "data",
        "labels",
        "method",
        "ours_s",
        "crowdkit_s",
        "speedup",
        "ours_accuracy",
        "crowdkit_accuracy",
    ]
    table = Table(title="Truth inference against crowd-kit")
    for column in columns:
        table.add_column(column)
    for row in report.get("dawid_skene_1m", []) + report.get("glad_mace_100k", []):
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)
    summary = Table(title=f"Other shapes, mean accuracy over {len(SEEDS)} seeds")
    names = ["data", "method", "ours_mean", "ours_sd", "crowdkit_mean", "crowdkit_sd"]
    names += ["mean_diff_pp", "min_diff_pp", "seeds_lower"]
    for column in names:
        summary.add_column(column)
    for row in report.get("shapes_summary", []):
        summary.add_row(*(str(row[c]) for c in names))
    console.print(summary)


if __name__ == "__main__":
    main()
