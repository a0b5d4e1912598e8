"""Build the simulated demo organization through the domain services, from one seed.

Every write goes through a service (``do_create_org``, ``do_create_user``, ``do_create_people``,
``do_update_worker``, ``do_link_user``), so the demo exercises the same rules and audit trail as
real use. All randomness comes from one ``numpy.random.Generator`` made from the seed, and
Faker instances seeded from it, so the same seed builds the same people.

The build is a sequence of small steps (organizations, staff, pool, candidates, statuses,
person accounts); later features add their own step to ``build``.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

import numpy as np
from argon2 import PasswordHasher
from faker import Faker
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.orm import Session

from crewline.audit.schemas import Actor
from crewline.auth import service as auth
from crewline.auth.models import User
from crewline.auth.roles import Role
from crewline.auth.schemas import UserCreate
from crewline.db import utcnow
from crewline.demo import assessments as demo_assessments
from crewline.demo import hiring as demo_hiring
from crewline.demo import projects as demo_projects
from crewline.demo import vocab
from crewline.demo import work as demo_work
from crewline.demo.vocab import Country, Persona
from crewline.orgs import service as orgs
from crewline.orgs.models import Organization, OrgKind
from crewline.orgs.schemas import OrgCreate
from crewline.people import service as people
from crewline.people.embedding import Embedder
from crewline.people.models import Classification, Person, Region, Tier, WorkerStatus
from crewline.people.schemas import LanguageSkill, PersonCreate, WorkerFields, WorkerUpdate
from crewline.projects.models import ProjectStatus
from crewline.quality import refresh as quality_refresh
from crewline.quality import service as quality
from crewline.validation import CEFR_LEVELS

T = TypeVar("T")

DEMO_PASSWORD = "crewline-demo"  # noqa: S105 - published on purpose: every demo login uses it
DEMO_DOMAIN = "demo.crewline.dev"
#: Pool members and candidates at ``scale=1``.
POOL_SIZE = 720
CANDIDATES = 150
#: Share of the pool that is not active, by status (the rest is active).
STATUS_SHARES: dict[WorkerStatus, float] = {
    WorkerStatus.paused: 0.04,
    WorkerStatus.inactive: 0.035,
    WorkerStatus.offboarded: 0.025,
}
#: Tiers trainee..expert; scarce experts (``Persona.tier_shift``) move up a step at this chance.
TIER_WEIGHTS = (0.3, 0.42, 0.18, 0.07, 0.03)
TIER_SHIFT_CHANCE = 0.35
HOURS = (10, 15, 20, 25, 30, 35, 40)
HOURS_WEIGHTS = (0.1, 0.15, 0.25, 0.15, 0.1, 0.05, 0.2)
#: In the order of ``vocab.CLASSIFICATION_WEIGHTS``: employee, contractor, EOR, vendor-supplied.
CLASSIFICATIONS = tuple(Classification)
BATCH = 200
#: Pool members joined between one month and about two and a half years ago.
TENURE_DAYS = (30, 900)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A demo login: staff, or an organization's manager/viewer (``org`` is an OrgSpec key)."""

    role: Role
    email: str
    full_name: str
    org: str | None = None


def _email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


ADMIN_EMAIL = _email("admin")
WORKER_EMAIL = _email("worker")
CANDIDATE_EMAIL = _email("candidate")
STAFF_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(Role.admin, ADMIN_EMAIL, "Dana Whitfield"),
    DemoAccount(Role.ops_manager, _email("ops"), "Marisol Ortega"),
    DemoAccount(Role.recruiter, _email("recruiter"), "Kofi Mensah"),
    DemoAccount(Role.reviewer, _email("reviewer"), "Ingrid Novak"),
    DemoAccount(Role.finance, _email("finance"), "Rahul Mehta"),
    DemoAccount(Role.vendor_manager, _email("vendor"), "Paolo Villanueva", "bayanihan"),
    DemoAccount(Role.client_viewer, _email("client"), "Samantha Reid", "meridian"),
)
#: Managers and viewers for the other organizations, so every one of them can log in.
ORG_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(Role.vendor_manager, _email("vendor.nusantara"), "Dewi Kartika", "nusantara"),
    DemoAccount(Role.vendor_manager, _email("vendor.andes"), "Camilo Restrepo", "andes"),
    DemoAccount(Role.vendor_manager, _email("vendor.vistula"), "Agnieszka Wrona", "vistula"),
    DemoAccount(Role.client_viewer, _email("client.lumen"), "Jordan Price", "lumen"),
    DemoAccount(Role.client_viewer, _email("client.kestrel"), "Harriet Lowe", "kestrel"),
    DemoAccount(Role.client_viewer, _email("client.halcyon"), "Claire Dubois", "halcyon"),
)
DEMO_LOGINS: list[tuple[Role, str]] = [
    *[(a.role, a.email) for a in STAFF_ACCOUNTS],
    (Role.worker, WORKER_EMAIL),
    (Role.candidate, CANDIDATE_EMAIL),
    *[(a.role, a.email) for a in ORG_ACCOUNTS],
]


class DemoProgress(Protocol):
    """What ``build`` reports to: a total number of units, then advances with a step label."""

    def start(self, total: int) -> None:
        """The build is about to do ``total`` units of work."""
        ...

    def advance(self, step: str, amount: int = 1) -> None:
        """``amount`` more units are done; ``step`` names what is being built."""
        ...

    def stop(self) -> None:
        """The build is over (also called when it fails)."""
        ...


class _Silent:
    def start(self, total: int) -> None: ...
    def advance(self, step: str, amount: int = 1) -> None: ...
    def stop(self) -> None: ...


class RichProgress:
    """A Rich progress bar for the terminal."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._task = self._bar.add_task("Demo organization", total=None)

    def start(self, total: int) -> None:
        """Show the bar."""
        self._bar.update(self._task, total=total)
        self._bar.start()

    def advance(self, step: str, amount: int = 1) -> None:
        """Move the bar and show the current step."""
        self._bar.update(self._task, advance=amount, description=step)

    def stop(self) -> None:
        """Finish the bar (it stays on screen)."""
        self._bar.update(self._task, description="Demo organization")
        self._bar.stop()


def rich_progress(console: Console) -> RichProgress:
    """A progress reporter drawing a Rich bar on ``console``."""
    return RichProgress(console)


@dataclass(slots=True)
class DemoSummary:
    """What a build made and how long it took."""

    seconds: float
    counts: dict[str, int]

    def describe(self) -> str:
        """One line: ``4 clients, 4 vendors, 720 pool members, ...``."""
        return ", ".join(f"{n} {what}" for what, n in self.counts.items())


@dataclass(slots=True)
class _Build:
    """The state one build threads through its steps."""

    session: Session
    embedder: Embedder
    hasher: PasswordHasher
    rng: np.random.Generator
    progress: DemoProgress
    actor: Actor = field(default_factory=lambda: Actor.system("demo"))
    fakers: dict[str, Faker] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)
    serial: int = 0

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.rng.integers(len(items)))]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        p = np.asarray(weights, dtype=float)
        return items[int(self.rng.choice(len(items), p=p / p.sum()))]

    def some(self, items: Sequence[T], low: int, high: int) -> list[T]:
        """Between ``low`` and ``high`` distinct items, in their original order."""
        k = min(len(items), int(self.rng.integers(low, high + 1)))
        chosen = sorted(int(i) for i in self.rng.choice(len(items), size=k, replace=False))
        return [items[i] for i in chosen]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)


def is_built(*, session: Session) -> bool:
    """True if this database already holds the demo organization (its admin account exists)."""
    return auth.get_by_email(session=session, email=ADMIN_EMAIL) is not None


def build(
    *,
    session: Session,
    embedder: Embedder,
    hasher: PasswordHasher,
    seed: int,
    progress: DemoProgress | None = None,
    scale: float = 1.0,
    hiring_scale: float | None = None,
) -> DemoSummary:
    """Build the demo organization into an empty database; ``scale`` shrinks it for tests
    (``hiring_scale``, when given, shrinks only the hiring pipeline's 13,000 candidates)."""
    started = time.perf_counter()
    pool_size = max(10, round(POOL_SIZE * scale))
    candidates = max(2, round(CANDIDATES * scale))
    hiring_total = max(
        candidates + 20,
        round(demo_hiring.CANDIDATES * (scale if hiring_scale is None else hiring_scale)),
    )
    status_counts = {status: round(pool_size * share) for status, share in STATUS_SHARES.items()}
    accounts = len(STAFF_ACCOUNTS) + len(ORG_ACCOUNTS) + 2
    b = _Build(
        session=session,
        embedder=embedder,
        hasher=hasher,
        rng=np.random.default_rng(seed),
        progress=progress or _Silent(),
    )
    b.progress.start(
        len(vocab.ORGS)
        + accounts
        + pool_size
        + hiring_total
        + demo_hiring.progress_units(hiring_total)
        + sum(status_counts.values())
        + len(demo_projects.PROJECTS)
        + demo_work.PROGRESS_UNITS
        + len(demo_projects.PROJECTS)
        + demo_assessments.PROGRESS_UNITS
    )
    try:
        b.fakers = make_fakers(b.rng)
        organizations = create_orgs(b)
        staff = create_staff(b, organizations)
        vendor_ids = {k: o.id for k, o in organizations.items() if o.kind is OrgKind.vendor}
        pool = create_people(b, plan_people(b, pool_size, vendor_ids, in_pool=True), "Worker pool")
        statuses = set_statuses(b, pool, status_counts)
        applicants = create_people(
            b, plan_people(b, candidates, vendor_ids, in_pool=False), "Candidates"
        )
        linked = create_person_accounts(b, pool, applicants)
        more = create_people(
            b,
            plan_people(b, hiring_total - len(applicants), vendor_ids, in_pool=False),
            "Candidates",
        )
        pipeline = demo_hiring.simulate(
            session=b.session,
            actor=b.actor,
            rng=b.rng,
            embedder=b.embedder,
            candidates=[*applicants, *more],
            now=b.now,
            keep_open=people.get_by_user(session=b.session, user_id=linked[-1].id),
            advance=b.progress.advance,
            scale=hiring_total / demo_hiring.CANDIDATES,
        )
        clients = {k: o for k, o in organizations.items() if o.kind is OrgKind.client}
        demos = demo_projects.create_projects(
            session=b.session, actor=b.actor, rng=b.rng, clients=clients, pool=pool, now=b.now
        )
        b.progress.advance("Projects and history", len(demo_projects.PROJECTS))
        history = demo_work.simulate(
            session=b.session,
            actor=b.actor,
            rng=b.rng,
            demos=demos,
            now=b.now,
            scale=scale,
            progress=b.progress,
        )
        held = measure_quality(b, demos)
        assessed = demo_assessments.simulate(
            session=b.session,
            actor=b.actor,
            rng=b.rng,
            demos=demos,
            history=history,
            now=b.now,
            advance=b.progress.advance,
        )
    finally:
        b.progress.stop()
    kinds = Counter(o.kind for o in organizations.values())
    counts = {
        "clients": kinds[OrgKind.client],
        "vendors": kinds[OrgKind.vendor],
        "accounts": len(staff) + len(linked),
        "pool members": len(pool),
        "active workers": statuses[WorkerStatus.active],
        **{status.value: statuses[status] for status in STATUS_SHARES},
        "candidates": len(applicants) + len(more),
        "requisitions": pipeline.requisitions,
        "cohorts": pipeline.cohorts,
        "applications": pipeline.applications,
        "qualified": pipeline.qualified,
        "projects": len(demos),
        "project periods": sum(len(demo.periods) for demo in demos),
        "tasks": history.tasks,
        "gold tasks": history.gold_tasks,
        "annotations": history.submitted,
        "held below the gold bar": held,
        "assessments": assessed.assessments,
        "assessment attempts": assessed.attempts,
    }
    return DemoSummary(seconds=time.perf_counter() - started, counts=counts)


#: The demo's gold bar: live projects hold back workers under it (the careless and the
#: fraudulent ones the simulation planted), so the quality pages show holds and alerts.
DEMO_GOLD_BAR = 0.7


def measure_quality(b: _Build, demos: list[demo_projects.DemoProject]) -> int:
    """Set a gold bar on live projects and compute every project's quality figures once, as
    the quality job would; returns how many workers the bar held back."""
    held = 0
    for demo in demos:
        if demo.project.status is ProjectStatus.live:
            quality.do_update_settings(
                session=b.session,
                actor=b.actor,
                project_id=demo.project.id,
                changes={"min_gold_accuracy": DEMO_GOLD_BAR, "min_gold_seen": 8},
            )
        done = quality_refresh.refresh_project(
            session=b.session, project_id=demo.project.id, now=b.now, embedder=b.embedder
        )
        held += done.held
        b.progress.advance("Quality figures")
    return held


def make_fakers(rng: np.random.Generator) -> dict[str, Faker]:
    """One Faker per locale the countries use, each seeded from ``rng`` in a fixed order."""
    fakers: dict[str, Faker] = {}
    for country in vocab.COUNTRIES:
        if "_" in country.names and country.names not in fakers:
            fake = Faker(country.names, providers=["faker.providers.person"])
            fake.seed_instance(int(rng.integers(2**31)))
            fakers[country.names] = fake
    return fakers


def create_orgs(b: _Build) -> dict[str, Organization]:
    """The client AI labs and the staffing vendors, keyed by their vocab key."""
    created: dict[str, Organization] = {}
    for spec in vocab.ORGS:
        data = OrgCreate(**{k: v for k, v in asdict(spec).items() if k != "key"})
        created[spec.key] = orgs.do_create_org(session=b.session, actor=b.actor, data=data)
        b.progress.advance("Clients and vendors")
    return created


def create_staff(b: _Build, organizations: dict[str, Organization]) -> list[User]:
    """A login for every staff role, and a manager or viewer for every organization."""
    users = []
    for account in (*STAFF_ACCOUNTS, *ORG_ACCOUNTS):
        org_id = organizations[account.org].id if account.org else None
        users.append(_account(b, account.role, account.email, account.full_name, org_id))
        b.progress.advance("Staff accounts")
    return users


def _account(b: _Build, role: Role, email: str, full_name: str, org_id: int | None) -> User:
    data = UserCreate(
        email=email,
        full_name=full_name,
        role=role,
        password=DEMO_PASSWORD,
        organization_id=org_id,
    )
    return auth.do_create_user(session=b.session, actor=b.actor, hasher=b.hasher, data=data)


def plan_people(
    b: _Build, count: int, vendor_ids: dict[str, int], *, in_pool: bool
) -> list[PersonCreate]:
    """``count`` new people (pool members when ``in_pool``), drawn from the vocabulary."""
    countries, personas = vocab.COUNTRIES, vocab.PERSONAS
    country_weights, persona_weights = [c.weight for c in countries], [p.weight for p in personas]
    return [
        _person(
            b,
            b.weighted(countries, country_weights),
            b.weighted(personas, persona_weights),
            vendor_ids,
            in_pool=in_pool,
        )
        for _ in range(count)
    ]


def _person(
    b: _Build, country: Country, persona: Persona, vendor_ids: dict[str, int], *, in_pool: bool
) -> PersonCreate:
    full_name, email, native = _name(b, country)
    classification = b.weighted(CLASSIFICATIONS, vocab.CLASSIFICATION_WEIGHTS[country.region])
    supplied = classification is Classification.vendor_supplied
    vendor_id = vendor_ids[country.vendor] if supplied and country.vendor else None
    zone, _, cities = b.weighted(country.zones, [weight for _, weight, _ in country.zones])
    field_name, field_skills = b.pick(persona.fields)
    shift = int(b.rng.binomial(persona.tier_shift, TIER_SHIFT_CHANCE))
    tier = list(Tier)[min(len(Tier) - 1, b.weighted(range(len(Tier)), TIER_WEIGHTS) + shift)]
    worker = None
    if in_pool:
        tenure = timedelta(days=int(b.rng.integers(*TENURE_DAYS)))
        worker = WorkerFields(
            tier=tier,
            availability_hours=b.weighted(HOURS, HOURS_WEIGHTS),
            joined_at=b.now - tenure,
        )
    return PersonCreate(
        full_name=full_name,
        email=email,
        country=country.code,
        region=country.region,
        time_zone=zone,
        classification=classification,
        vendor_id=vendor_id,
        pay_currency=country.currency,
        languages=_languages(b, country, persona, native),
        skills=_skills(b, persona, field_skills),
        profile=_profile(b, persona, field_name, b.pick(cities), tier),
        worker=worker,
    )


#: Letters that Unicode does not decompose into an ASCII letter plus accents.
_FOLD: dict[int, str] = {
    ord("ł"): "l", ord("Ł"): "L", ord("đ"): "d", ord("Đ"): "D", ord("ø"): "o", ord("Ø"): "O",
    ord("ß"): "ss", ord("æ"): "ae", ord("œ"): "oe",
}  # fmt: skip


def ascii_slug(text: str) -> str:
    """``João Felipe`` → ``joao-felipe``: accents folded, anything else becomes a hyphen."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    plain = folded.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _name(b: _Build, country: Country) -> tuple[str, str, str]:
    """A realistic name for the country, a unique obviously fake email, and the native language."""
    female = b.chance(0.5)
    native = country.native
    if country.names == "ph":
        given = b.pick(vocab.PH_GIVEN_FEMALE if female else vocab.PH_GIVEN_MALE)
        family = b.pick(vocab.PH_SURNAMES)
        full = f"{given} {family}"
    elif country.names == "vi_VN":
        fake = b.fakers["vi_VN"]
        given = fake.first_name_female() if female else fake.first_name_male()
        family = fake.last_name()
        middle = b.pick(vocab.VI_MIDDLE_FEMALE if female else vocab.VI_MIDDLE_MALE)
        full = f"{family} {middle} {given}"
    elif country.names == "my":
        given, family, full, native = _malaysian_name(b, female)
    else:
        fake = b.fakers[country.names]
        given = fake.first_name_female() if female else fake.first_name_male()
        family = fake.last_name()
        full = f"{given} {family}"
    b.serial += 1
    email = f"{ascii_slug(given)}.{ascii_slug(family)}.{b.serial}@example.org"
    return full, email, native


def _malaysian_name(b: _Build, female: bool) -> tuple[str, str, str, str]:
    """Malay (``X binti Y``), Chinese (family name first) or Indian Malaysian names."""
    group = b.weighted(range(3), (0.6, 0.28, 0.12))
    if group == 0:
        given = b.pick(vocab.MY_MALAY_FEMALE if female else vocab.MY_MALAY_MALE)
        family = b.pick(vocab.MY_MALAY_FATHERS)
        return given, family, f"{given} {'binti' if female else 'bin'} {family}", "ms"
    if group == 1:
        given, family = b.pick(vocab.MY_CHINESE_GIVEN), b.pick(vocab.MY_CHINESE_SURNAMES)
        return given, family, f"{family} {given}", "zh"
    given, family = b.pick(vocab.MY_INDIAN_GIVEN), b.pick(vocab.MY_INDIAN_FAMILY)
    return given, family, f"{given} {family}", "ta"


def _languages(b: _Build, country: Country, persona: Persona, native: str) -> list[LanguageSkill]:
    """Native language (C2), English at the country's usual level, sometimes one more."""
    levels = [LanguageSkill(language=native, level="C2", native=True)]
    if native != "en":
        english = b.weighted(vocab.ENGLISH_LEVELS, country.english)
        english = max(english, persona.min_english, key=CEFR_LEVELS.index)
        levels.append(LanguageSkill(language="en", level=english))
    if native != country.native:
        levels.append(LanguageSkill(language=country.native, level=b.pick(("B2", "C1"))))
    known = {lang.language for lang in levels}
    extras = [code for code in country.extra_languages if code not in known]
    if extras and persona.translator:
        levels.append(LanguageSkill(language=b.pick(extras), level=b.pick(("C1", "C2"))))
    elif extras and b.chance(0.25):
        level = b.weighted(("A2", "B1", "B2", "C1"), (0.3, 0.35, 0.25, 0.1))
        levels.append(LanguageSkill(language=b.pick(extras), level=level))
    return levels


def _skills(b: _Build, persona: Persona, field_skills: tuple[str, ...]) -> list[str]:
    """The persona's core tags, its field's tags, a few extras and sometimes a general one."""
    tags = [*persona.skills, *field_skills, *b.some(persona.extra_skills, 1, 3)]
    if b.chance(0.3):
        tags.append(b.pick(vocab.GENERAL_SKILLS))
    return tags


def _article(title: str) -> str:
    first = title.split(maxsplit=1)[0]
    vowel = first[0].lower() in "aeiou"
    if first.isupper():
        vowel = first[0] in "AEFHILMNORSX"
    return f"{'an' if vowel else 'a'} {title}"


def _profile(b: _Build, persona: Persona, field_name: str, city: str, tier: Tier) -> str:
    """Free text for skill matching: an opening line, background, annotation work, a closing."""
    title = b.pick(persona.titles)
    years = int(b.rng.integers(1, 7)) + 2 * persona.tier_shift + tier.rank
    opening = b.pick(vocab.OPENINGS).format(
        Title=title[0].upper() + title[1:],
        a_title=_article(title),
        years=f"{years} years" if years > 1 else "a year",
        field=field_name,
        city=city,
    )
    parts = [opening, *b.some(persona.details, 1, 2), *b.some(persona.work, 1, 2)]
    if b.chance(0.6):
        parts.append(b.pick(vocab.CLOSINGS))
    return " ".join(parts)


def create_people(b: _Build, rows: list[PersonCreate], step: str) -> list[Person]:
    """Create people in batches of ``BATCH``, one transaction and one embedding call each."""
    created: list[Person] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        created += people.do_create_people(
            session=b.session, actor=b.actor, embedder=b.embedder, rows=batch
        )
        b.progress.advance(step, len(batch))
    return created


def set_statuses(
    b: _Build, pool: list[Person], counts: dict[WorkerStatus, int]
) -> Counter[WorkerStatus]:
    """Pause, deactivate and offboard some pool members, each with a reason."""
    order = [int(i) for i in b.rng.permutation(len(pool))]
    taken = 0
    for status, count in counts.items():
        for index in order[taken : taken + count]:
            data = WorkerUpdate(status=status, status_reason=b.pick(vocab.STATUS_REASONS[status]))
            people.do_update_worker(
                session=b.session, actor=b.actor, person_id=pool[index].id, data=data
            )
            b.progress.advance("Worker statuses")
        taken += count
    return Counter(p.worker.status for p in pool if p.worker is not None)


def create_person_accounts(b: _Build, pool: list[Person], applicants: list[Person]) -> list[User]:
    """Logins for one active worker and one candidate, linked to their person records."""
    active = [p for p in pool if p.worker and p.worker.status is WorkerStatus.active]
    worker = next((p for p in active if p.worker and p.worker.tier.rank in (1, 2)), active[0])
    # The candidate login applies where a cohort is forming (see ``demo.hiring``).
    hiring = (Region.LATAM, Region.EU, Region.US)
    candidate = next((p for p in applicants if p.region in hiring), applicants[0])
    users = []
    for role, email, person in (
        (Role.worker, WORKER_EMAIL, worker),
        (Role.candidate, CANDIDATE_EMAIL, candidate),
    ):
        user = _account(b, role, email, person.full_name, None)
        people.do_link_user(session=b.session, actor=b.actor, person_id=person.id, user_id=user.id)
        users.append(user)
        b.progress.advance("Worker and candidate logins")
    return users
