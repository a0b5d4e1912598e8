"""Hiring benchmark (issue 6): importing 13,000 candidates, a bulk move, the funnel figures.

On SQLite and PostgreSQL, one run measures:

* **Import**: 13,000 candidates from a CSV (``hiring.importing.do_import`` with the real
  WordLlama embedder): people created, screened, evented and sent their first message; then
  the same file again (nothing new: every row already applied).
* **Bulk move**: 1,000 applications moved to ``screened`` in one call, each with an event
  and a message.
* **Analytics**: every funnel figure over the 13,000 applications
  (``hiring.api.analytics_report``), median of three.

Run from the repository root::

    .venv/bin/python bench/hiring.py            # both databases
    .venv/bin/python bench/hiring.py --db sqlite
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rich.console import Console
from sqlalchemy import select

from crewline.db import make_sessionmaker
from crewline.hiring import analytics, importing, service
from crewline.hiring.api import analytics_report
from crewline.hiring.models import Application
from crewline.hiring.schemas import ChannelCreate, MoveRequest, RequisitionCreate
from crewline.people.embedding import WordLlamaEmbedder
from quality import machine
from routing import ACTOR, bench_engine, database

console = Console(width=150)
RESULTS = Path(__file__).resolve().parent / "results-hiring.json"
COUNTRIES = (("PH", "SEA", "Asia/Manila"), ("BR", "LATAM", "America/Sao_Paulo"),
             ("PL", "EU", "Europe/Warsaw"), ("US", "US", "America/New_York"))  # fmt: skip


def write_candidates(path: Path, count: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "email",
                "full_name",
                "country",
                "region",
                "time_zone",
                "languages",
                "skills",
                "profile",
                "channel",
                "availability_hours",
            ]
        )
        for i in range(count):
            country, region, zone = COUNTRIES[i % len(COUNTRIES)]
            writer.writerow(
                [
                    f"candidate{i}@example.org",
                    f"Candidate Number{i}",
                    country,
                    region,
                    zone,
                    "en:C1; es:B2" if i % 3 else "en:B1",
                    "transcription; ner",
                    f"Annotator {i} with experience in speech transcription and review.",
                    "Job boards",
                    10 + i % 30,
                ]
            )


def run(kind: str, count: int) -> dict[str, Any]:
    embedder = WordLlamaEmbedder()
    with database(kind) as url, tempfile.TemporaryDirectory() as tmp:
        engine = bench_engine(url, pool=2)
        sessions = make_sessionmaker(engine)
        file = Path(tmp) / "candidates.csv"
        write_candidates(file, count)
        rows = importing.read_csv(file)
        with sessions() as session:
            service.do_create_channel(
                session=session,
                actor=ACTOR,
                data=ChannelCreate.model_validate({"name": "Job boards", "kind": "job_board"}),
            )
            requisition = service.do_create_requisition(
                session=session,
                actor=ACTOR,
                data=RequisitionCreate.model_validate(
                    {
                        "title": "Transcribers",
                        "role_type": "annotator",
                        "headcount": 500,
                        "regions": ["SEA", "LATAM", "EU", "US"],
                        "languages": [{"language": "en", "min_level": "B2"}],
                        "screening": {"min_hours": 15, "skills_pass": 0.3},
                        "profile": "Speech transcription and review",
                    }
                ),
                embedder=embedder,
            )
            requisition_id = requisition.id
        with sessions() as session:
            started = time.perf_counter()
            report = importing.do_import(
                session=session,
                actor=ACTOR,
                embedder=embedder,
                requisition_id=requisition_id,
                rows=rows,
                portal_url="http://127.0.0.1:8000/portal",
            )
            imported = time.perf_counter() - started
        with sessions() as session:
            started = time.perf_counter()
            again = importing.do_import(
                session=session,
                actor=ACTOR,
                embedder=embedder,
                requisition_id=requisition_id,
                rows=rows,
                portal_url="http://127.0.0.1:8000/portal",
            )
            reimported = time.perf_counter() - started
        with sessions() as session:
            ids = list(session.scalars(select(Application.id).order_by(Application.id).limit(1000)))
            started = time.perf_counter()
            moved = service.do_move(
                session=session,
                actor=ACTOR,
                data=MoveRequest(application_ids=ids, to_stage="screened", partial=True),
                portal_url="http://127.0.0.1:8000/portal",
            )
            move_seconds = time.perf_counter() - started
        runs = []
        with sessions() as session:
            for _ in range(3):
                started = time.perf_counter()
                analytics_report(session=session, filters=analytics.Filters())
                runs.append(time.perf_counter() - started)
        engine.dispose()
    row = {
        "database": kind,
        "candidates": count,
        "import_s": round(imported, 1),
        "import_rows_per_s": round(count / imported),
        "created_people": report.created_people,
        "applications": report.applications,
        "refused": len(report.refused),
        "reimport_s": round(reimported, 1),
        "reimport_applications": again.applications,
        "reimport_already_applied": again.already_applied,
        "move_1000_s": round(move_seconds, 2),
        "moved": len(moved.moved),
        "analytics_s_median": round(statistics.median(runs), 2),
    }
    console.print(row)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--candidates", type=int, default=13_000)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    report = {"machine": machine(), "runs": [run(kind, args.candidates) for kind in kinds]}
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(f"Wrote {RESULTS}")


if __name__ == "__main__":
    main()
