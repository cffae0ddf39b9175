"""Questions about people over time, answered without look-ahead, and recording a change
of a person's facts.

Use these rather than filtering ``person_version`` by hand: a version's ``valid_to`` is
today's belief, while "what was known on day k" needs the versions known by k only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard.errors import RuleViolation
from keyguard.records.org.facts import Facts, Timeline, staff_key, winners_of
from keyguard.records.org.models import EMPLOYMENT_STATUSES, Person, PersonVersion
from keyguard.records.org.schemas import Departure, PersonFacts


def person_facts_as_of(
    session: Session,
    *,
    unit_id: int,
    day: dt.date,
    known_on: dt.date | None = None,
    active_only: bool = False,
) -> list[PersonFacts]:
    """Each person's facts valid on ``day`` using only versions known by ``known_on``
    (default: ``day``): the version with the latest start on or before ``day``, and of
    versions with the same start the one recorded last. People unknown then are absent;
    leavers are included (status ``left``) unless ``active_only``."""
    known_on = known_on or day
    rank = (
        func.row_number()
        .over(
            partition_by=PersonVersion.person_id,
            order_by=(PersonVersion.valid_from.desc(), PersonVersion.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(PersonVersion.id, rank)
        .where(
            PersonVersion.unit_id == unit_id,
            PersonVersion.valid_from <= day,
            PersonVersion.known_from <= known_on,
        )
        .subquery()
    )
    query = (
        select(PersonVersion, Person.staff_id, Person.pseudonym)
        .join(ranked, ranked.c.id == PersonVersion.id)
        .join(Person, Person.id == PersonVersion.person_id)
        .where(ranked.c.rank == 1)
        .order_by(Person.staff_id)
    )
    if active_only:
        query = query.where(PersonVersion.status != "left")
    return [_facts(v, staff_id, pseudonym) for v, staff_id, pseudonym in session.execute(query)]


def _facts(v: PersonVersion, staff_id: str, pseudonym: str) -> PersonFacts:
    return PersonFacts(
        person_id=v.person_id,
        staff_id=staff_id,
        pseudonym=pseudonym,
        version_id=v.id,
        full_name=v.full_name,
        email=v.email,
        job_title=v.job_title,
        projects=list(v.projects or []),
        department_id=v.department_id,
        team_id=v.team_id,
        position_id=v.position_id,
        manager_id=v.manager_id,
        status=v.status,
        start_date=v.start_date,
        notice_date=v.notice_date,
        end_date=v.end_date,
        valid_from=v.valid_from,
        known_from=v.known_from,
    )


def _departing(v: PersonVersion) -> bool:
    return v.status in ("notice", "left") or v.notice_date is not None or v.end_date is not None


def departing_known_on(
    session: Session,
    *,
    unit_id: int,
    day: dt.date,
    since: dt.date | None = None,
) -> list[Departure]:
    """People whose notice or departure was known by ``day`` (their facts on ``day`` as
    known then carry a notice, an end date or status notice/left). ``since`` keeps only
    those whose end date is unknown or on/after it. ``known_from`` is the first day the
    current departure was known."""
    rows = session.execute(
        select(PersonVersion, Person.staff_id, Person.pseudonym)
        .join(Person, Person.id == PersonVersion.person_id)
        .where(
            PersonVersion.unit_id == unit_id,
            PersonVersion.valid_from <= day,
            PersonVersion.known_from <= day,
        )
        .order_by(PersonVersion.person_id, PersonVersion.id)
    )
    versions: dict[int, list[PersonVersion]] = defaultdict(list)
    who: dict[int, tuple[str, str]] = {}
    for v, staff_id, pseudonym in rows:
        versions[v.person_id].append(v)
        who[v.person_id] = (staff_id, pseudonym)
    out: list[Departure] = []
    for person_id, vs in versions.items():
        winners = winners_of(vs)
        current = winners[-1]
        if not _departing(current):
            continue
        if since is not None and current.end_date is not None and current.end_date < since:
            continue
        trail = []
        for v in reversed(winners):
            if not _departing(v):
                break
            trail.append(v)
        staff_id, pseudonym = who[person_id]
        out.append(
            Departure(
                person_id=person_id,
                staff_id=staff_id,
                pseudonym=pseudonym,
                status=current.status,
                notice_date=current.notice_date,
                end_date=current.end_date,
                known_from=min(v.known_from for v in trail),
                source=current.source,
            )
        )
    return sorted(out, key=lambda d: d.staff_id)


class PeopleByUser(Mapping[str, Person]):
    """People of a unit by staff id (the user name in the logs), case-insensitively."""

    def __init__(self, people: list[Person]) -> None:
        self._people = {staff_key(p.staff_id): p for p in people}

    def __getitem__(self, user: str) -> Person:
        return self._people[staff_key(user)]

    def __contains__(self, user: object) -> bool:
        return isinstance(user, str) and staff_key(user) in self._people

    def __iter__(self) -> Iterator[str]:
        return (p.staff_id for p in self._people.values())

    def __len__(self) -> int:
        return len(self._people)


def people_by_source_user(session: Session, unit_id: int) -> PeopleByUser:
    """``staff_id`` -> person for the unit; lookups ignore case (``acm2278`` = ``ACM2278``)."""
    people = session.scalars(
        select(Person).where(Person.unit_id == unit_id).order_by(Person.id)
    ).all()
    return PeopleByUser(list(people))


def apply_person_facts(
    session: Session,
    *,
    person: Person,
    valid_from: dt.date,
    source: str,
    known_from: dt.date | None = None,
    **changes: object,
) -> list[PersonVersion]:
    """Record that from ``valid_from`` on (known from ``known_from``, default the same day)
    the person's facts change as given, e.g. ``status="notice", notice_date=d``.

    Later versions take the change too, unless they set that fact themselves (a later
    "left" stays left). Nothing is recorded when nothing changes. Returns new versions.
    """
    status = changes.get("status")
    if status is not None and status not in EMPLOYMENT_STATUSES:
        raise RuleViolation(f"status {status!r} is not one of {', '.join(EMPLOYMENT_STATUSES)}")
    versions = session.scalars(select(PersonVersion).where(PersonVersion.person_id == person.id))
    tl = Timeline(person, versions)
    base = tl.in_effect(valid_from)
    if base is None:
        raise RuleViolation(f"{person.staff_id} has no recorded facts on {valid_from}")
    before = Facts.of(base)
    before.changed(**changes)  # unknown fact names are refused here

    def make(old: Facts | None) -> Facts | None:
        if old is None:
            return None
        keep = {k: v for k, v in changes.items() if getattr(old, k) == getattr(before, k)}
        return old.changed(**keep)

    added = tl.write(
        session,
        valid_from=valid_from,
        known_from=known_from or valid_from,
        source=source,
        make=make,
        propagate=True,
    )
    tl.sync_person()
    session.flush()
    return added
