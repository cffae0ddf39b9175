"""Loading frameworks in two stages: idempotent by hash, older versions refused, new versions
archive the old objects and keep past evidence readable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard.library.content import ContentError, builtin_frameworks
from keyguard.records.duties import service
from keyguard.records.duties.errors import FrameworkVersionError
from keyguard.records.duties.models import (
    DutyAssignment,
    Framework,
    FrameworkFile,
    FrameworkObject,
)

BUILTIN = builtin_frameworks()[0]


def _bumped(tmp_path: Path, version: int, drop: str | None = None) -> Path:
    text = BUILTIN.read_text(encoding="utf-8")
    text = text.replace("version: 1\n", f"version: {version}\n", 1)
    text = text.replace(
        "changelog:\n", f"changelog:\n  - version: {version}\n    note: test bump.\n", 1
    )
    path = tmp_path / f"itp-v{version}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.pg
def test_load_twice_does_nothing_and_stores_raw_file(session: Session, org) -> None:
    first = service.load_framework_file(session, unit=org.unit, path=BUILTIN)
    assert first.status == "loaded" and first.duties > 10
    again = service.load_framework_file(session, unit=org.unit, path=BUILTIN)
    assert again.status == "unchanged"
    files = list(session.scalars(select(FrameworkFile)))
    assert len(files) == 1
    assert files[0].content == BUILTIN.read_text(encoding="utf-8")
    assert files[0].status == "loaded"
    assert session.scalar(select(func.count()).select_from(Framework)) == 1
    objects = list(session.scalars(select(FrameworkObject).order_by(FrameworkObject.position)))
    seen: set[int] = set()
    for obj in objects:  # parents first
        assert obj.parent_id is None or obj.parent_id in seen
        seen.add(obj.id)


@pytest.mark.pg
def test_new_version_archives_and_older_is_refused(session: Session, org, tmp_path: Path) -> None:
    service.load_framework_file(session, unit=org.unit, path=BUILTIN)
    service.assign_duties(session, unit=org.unit)
    v2 = service.load_framework_file(session, unit=org.unit, path=_bumped(tmp_path, 2))
    assert (v2.status, v2.previous_version) == ("upgraded", 1)
    old = session.scalar(select(Framework).where(Framework.version == 1))
    assert old is not None and old.status == "archived"
    assert all(
        o.archived
        for o in session.scalars(
            select(FrameworkObject).where(FrameworkObject.framework_id == old.id)
        )
    )
    live = list(session.scalars(select(DutyAssignment).where(DutyAssignment.valid_to.is_(None))))
    assert live and all(
        session.get(FrameworkObject, a.duty_id).framework_id == v2.framework_id for a in live
    )
    with pytest.raises(FrameworkVersionError, match="older than the loaded version 2"):
        service.load_framework_file(session, unit=org.unit, path=BUILTIN)


@pytest.mark.pg
def test_same_version_other_content_is_refused(session: Session, org, tmp_path: Path) -> None:
    service.load_framework_file(session, unit=org.unit, path=BUILTIN)
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        BUILTIN.read_text(encoding="utf-8").replace("First release.", "First release!"),
        encoding="utf-8",
    )
    with pytest.raises(FrameworkVersionError, match="already loaded with different content"):
        service.load_framework_file(session, unit=org.unit, path=changed)


def test_invalid_file_names_line(session: Session, org, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        BUILTIN.read_text(encoding="utf-8").replace("depth: 2", "depth: 3", 1), encoding="utf-8"
    )
    with pytest.raises(ContentError) as info:
        service.load_framework_file(session, unit=org.unit, path=bad)
    assert info.value.problem.line is not None
    assert session.scalar(select(func.count()).select_from(Framework)) == 0


@pytest.mark.pg
def test_evidence_given_under_v1_stays_readable_and_counts_after_v2(
    session: Session, org, tmp_path: Path, now
) -> None:
    import datetime as dt

    from keyguard.records.duties.score import unit_score

    now("2026-03-02T10:00:00")
    service.load_framework_file(session, unit=org.unit, path=BUILTIN)
    service.assign_duties(session, unit=org.unit, day=dt.date(2026, 1, 5))
    eng = org.people["eng"]
    item = next(
        i
        for i in service.my_duties(session, person_id=eng.id).items
        if i.kind == "attestation" and i.status != "done"
    )
    _, digest = service.attestation_for(
        session, person_id=eng.id, duty_id=item.duty.id, period=item.period, locale="en"
    )
    given = service.attest(
        session,
        person_id=eng.id,
        account_id=None,
        duty_id=item.duty.id,
        period=item.period,
        locale="en",
        text_sha256=digest,
    )
    service.load_framework_file(session, unit=org.unit, path=_bumped(tmp_path, 2))
    old_duty = session.get(FrameworkObject, given.duty_id)
    assert old_duty.archived and given.framework_version == 1
    after = next(
        i
        for i in service.my_duties(session, person_id=eng.id).items
        if i.duty is not None and i.duty.urn == item.duty.urn and i.period == item.period
    )
    assert after.status == "done" and after.framework_version == 2
    assert after.evidence_version == 1
    score = unit_score(session, unit=org.unit)
    rows = [r for t in score.terms if t.key == "attestations" for r in t.rows if r.present]
    assert any(r.version and r.version.endswith(" v1") for r in rows)


@pytest.mark.pg
def test_duties_show_in_the_readers_language(session: Session, org) -> None:
    from keyguard.records.duties.views import my_duties_view

    service.load_framework_file(session, unit=org.unit, path=BUILTIN)
    service.assign_duties(session, unit=org.unit)
    eng = org.people["eng"]
    en = my_duties_view(session, person_id=eng.id, locale="en")
    zh = my_duties_view(session, person_id=eng.id, locale="zh-CN")
    assert en["items"] and len(en["items"]) == len(zh["items"])
    assert en["items"][0]["name"] != zh["items"][0]["name"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["items"][0]["name"])
    assert "本人" in zh["items"][0]["text"]
