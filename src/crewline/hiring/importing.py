"""Importing candidates in bulk: 13,000 rows in one go, deduplicated by email.

Every row is checked before anything is written; rows that cannot be taken are reported
with their row number and the reason, and the rest are written in one transaction (so a
crash half-way leaves nothing behind). A person already on file (same email, any case) is
reused, not duplicated; a row repeating an email earlier in the file is skipped as a
duplicate; a person who already applied to the requisition is counted, not applied twice.
Referrals may name someone on file or someone earlier in the same file.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crewline.audit import service as audit
from crewline.audit.schemas import Actor
from crewline.db import utcnow
from crewline.errors import Conflict, InvalidInput
from crewline.hiring import messages, service
from crewline.hiring.models import Application, Channel, Cohort
from crewline.hiring.schemas import CandidateRow, ImportReport, RowRefusal
from crewline.people import service as people
from crewline.people.embedding import Embedder
from crewline.people.models import Classification, Person
from crewline.people.schemas import LanguageSkill, PersonCreate

BATCH = 1000
MAX_ROWS = 100_000


def _languages(text: str) -> list[LanguageSkill]:
    """``es:C1; en:B2`` as language skills."""
    out = []
    for part in filter(None, (p.strip() for p in text.replace(",", ";").split(";"))):
        language, _, level = part.partition(":")
        out.append(LanguageSkill(language=language.strip(), level=level.strip()))
    return out


def _skills(text: str) -> list[str]:
    return [s.strip() for s in text.replace(",", ";").split(";") if s.strip()]


def _message(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    return "; ".join(parts)


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a candidate CSV, keyed by lower-cased header names."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            if reader.fieldnames is None:
                raise InvalidInput("file", f"{path.name} is empty")
            return [
                {(k or "").strip().lower(): (v or "") for k, v in row.items()} for row in reader
            ]
    except UnicodeDecodeError:
        raise InvalidInput("file", f"{path.name} is not UTF-8 text") from None


@dataclass
class _Row:
    """A row that passed its checks: its number, the candidate and their parsed lists."""

    number: int
    candidate: CandidateRow
    languages: list[LanguageSkill]
    skills: list[str]

    @property
    def email(self) -> str:
        return self.candidate.email.lower()

    @property
    def referrer(self) -> str | None:
        return str(self.candidate.referred_by).lower() if self.candidate.referred_by else None

    def person(self) -> PersonCreate:
        c = self.candidate
        return PersonCreate(
            full_name=c.full_name,
            email=c.email,
            country=c.country,
            region=c.region,
            time_zone=c.time_zone,
            classification=Classification.contractor,
            languages=self.languages,
            skills=self.skills,
            profile=c.profile,
        )


@dataclass
class _Checked:
    rows: list[_Row] = field(default_factory=list)
    refused: list[RowRefusal] = field(default_factory=list)
    duplicates: int = 0


def _check_row(number: int, row: Mapping[str, Any]) -> _Row:
    """A row parsed and checked as the person it will create (raises ValidationError)."""
    candidate = CandidateRow.model_validate({k: v for k, v in row.items() if v not in ("", None)})
    checked = _Row(number, candidate, _languages(candidate.languages), _skills(candidate.skills))
    checked.person()  # validates languages, skills and profile as a person would
    return checked


def _check(
    rows: list[Mapping[str, Any]], channels: Mapping[str, int], cohorts: Mapping[str, int]
) -> _Checked:
    out = _Checked()
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        try:
            checked = _check_row(number, row)
        except ValidationError as exc:
            email = str(row.get("email", "")).strip().lower()
            out.refused.append(RowRefusal(row=number, email=email, reason=_message(exc)))
            continue
        channel, cohort = checked.candidate.channel, checked.candidate.cohort
        problem = (
            f"unknown channel {channel!r}"
            if channel and channel not in channels
            else f"unknown cohort {cohort!r}"
            if cohort and cohort not in cohorts
            else None
        )
        if problem:
            out.refused.append(RowRefusal(row=number, email=checked.email, reason=problem))
        elif checked.email in seen:
            out.duplicates += 1
        else:
            seen.add(checked.email)
            out.rows.append(checked)
    return out


def _check_referrals(checked: _Checked, referrers: Mapping[str, Person]) -> None:
    """Refuse rows whose referrer is themselves, or neither on file nor in the file."""
    in_file = {row.email for row in checked.rows}
    for row in [r for r in checked.rows if r.referrer]:
        if row.referrer == row.email:
            problem = "referred_by is the candidate themselves"
        elif row.referrer not in in_file and row.referrer not in referrers:
            problem = f"referred_by {row.referrer} is neither on file nor in this file"
        else:
            continue
        checked.refused.append(RowRefusal(row=row.number, email=row.email, reason=problem))
        checked.rows.remove(row)


def do_import(
    *,
    session: Session,
    actor: Actor,
    embedder: Embedder,
    requisition_id: int,
    rows: Iterable[Mapping[str, Any]],
    portal_url: str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import candidates into a requisition (see the module docstring for the rules).

    ``progress(done, total)`` is called as people are created and applications made.
    """
    requisition = service.get_requisition_or_404(session=session, requisition_id=requisition_id)
    if requisition.status not in service.ACCEPTING:
        raise Conflict(
            f"requisition {requisition.id} is {requisition.status.value}; it takes no applications",
            field="requisition_id",
        )
    raw = list(rows)
    if len(raw) > MAX_ROWS:
        raise InvalidInput("rows", f"at most {MAX_ROWS} rows per import (got {len(raw)})")
    channels = dict(session.execute(select(Channel.name, Channel.id)).all())
    cohorts = dict(session.execute(select(Cohort.name, Cohort.id)).all())
    checked = _check(raw, channels, cohorts)
    on_file = _people_by_email(session, [row.email for row in checked.rows])
    referrers = _people_by_email(session, [r.referrer for r in checked.rows if r.referrer])
    _check_referrals(checked, referrers)
    new_rows = [row for row in checked.rows if row.email not in on_file]
    total, done = len(new_rows) + len(checked.rows), 0
    created: dict[str, Person] = {}
    for start in range(0, len(new_rows), BATCH):
        chunk = new_rows[start : start + BATCH]
        made = people.do_create_people(
            session=session,
            actor=actor,
            embedder=embedder,
            rows=[row.person() for row in chunk],
            commit=False,
        )
        created.update({person.email: person for person in made})
        done += len(chunk)
        if progress:
            progress(done, total)
    everyone = {**referrers, **on_file, **created}
    applied = set(
        session.scalars(
            select(Application.person_id).where(
                Application.requisition_id == requisition.id,
                Application.person_id.in_([p.id for p in on_file.values()]),
            )
        )
    )
    now = utcnow()
    applications = 0
    templates: messages.Templates = {}
    for row in checked.rows:
        person = everyone[row.email]
        done += 1
        if person.id in applied:
            continue
        service.new_application(
            session,
            person=person,
            requisition=requisition,
            actor=actor.label,
            now=now,
            portal_url=portal_url,
            channel_id=channels.get(row.candidate.channel),
            referred_by_id=everyone[row.referrer].id if row.referrer else None,
            cohort_id=cohorts.get(row.candidate.cohort),
            availability_hours=row.candidate.availability_hours,
            templates=templates,
        )
        applications += 1
        if progress and done % BATCH == 0:
            progress(done, total)
    report = ImportReport(
        created_people=len(created),
        existing_people=len(checked.rows) - len(created),
        applications=applications,
        already_applied=len(checked.rows) - applications,
        duplicates_in_file=checked.duplicates,
        refused=sorted(checked.refused, key=lambda r: r.row),
    )
    audit.record(
        session=session,
        actor=actor,
        action="candidates.import",
        entity_type="requisition",
        entity_id=requisition.id,
        after=report.model_dump(exclude={"refused"}) | {"refused": len(checked.refused)},
    )
    session.commit()
    if progress:
        progress(total, total)
    return report


def _people_by_email(session: Session, emails: list[str]) -> dict[str, Person]:
    found: dict[str, Person] = {}
    for start in range(0, len(emails), BATCH):
        chunk = emails[start : start + BATCH]
        found.update(
            {p.email: p for p in session.scalars(select(Person).where(Person.email.in_(chunk)))}
        )
    return found
