"""Policies load, validate and refuse bad rules with file, line and reason."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from keyguard.errors import InputError
from keyguard.library.content_yaml import ContentError
from keyguard.policies import catalog
from keyguard.policies.loader import DEPRECATED_DIR, load_file, load_policies

GOOD = """\
id: {id}
title: Test policy
status: experimental
level: low
version: 1
description: A policy written by a test to check the loader.
tags: [insider.test]
detection:
  spike:
    files_to_removable|gte: 10
{extra}  condition: {condition}
falsepositives:
  - none known
"""


def write(
    tmp: Path,
    name: str = "p.yaml",
    *,
    pid: str | None = None,
    condition: str = "spike",
    extra: str = "",
) -> Path:
    path = tmp / name
    path.write_text(
        GOOD.format(id=pid or str(uuid.uuid4()), condition=condition, extra=extra), encoding="utf-8"
    )
    return path


def test_shipped_policies_validate_with_stable_ids() -> None:
    policies = load_policies(include_deprecated=True)
    ids = [p.id for p in policies]
    assert len(ids) == len(set(ids)) >= 12
    for p in policies:
        assert uuid.UUID(p.id).version == 4
        assert p.falsepositives and p.tags and p.version >= 1
        assert p.indicators(), p.title
    retired = [p for p in policies if p.origin == "deprecated"]
    assert retired and all(p.status == "deprecated" and not p.runs for p in retired)
    assert all(Path(p.source).parent == DEPRECATED_DIR for p in retired)


def test_unknown_field_names_file_line_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path, extra="  other:\n    usb_thingies|gte: 3\n", condition="spike or other")
    with pytest.raises(ContentError) as err:
        load_file(path)
    problem = err.value.problems[0]
    assert problem.file == str(path) and problem.line == 12 and problem.column == 5
    assert "unknown field 'usb_thingies'" in problem.reason


@pytest.mark.parametrize(
    "field", ["health_visits", "religion_sites", "union_member", "personality_n", "nationality"]
)
def test_protected_traits_are_refused(tmp_path: Path, field: str) -> None:
    path = write(tmp_path, extra=f"  other:\n    {field}|gte: 1\n", condition="spike or other")
    with pytest.raises(ContentError) as err:
        load_file(path)
    assert "protected trait" in str(err.value)
    assert err.value.problems[0].line == 12


def test_catalog_has_no_protected_trait() -> None:
    for ind in catalog.indicators():
        assert catalog.forbidden_word(ind) is None


def test_context_alone_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, extra="  jobs:\n    job_search|gte: 1\n", condition="jobs or spike")
    with pytest.raises(ContentError, match="could fire on context alone"):
        load_file(path)
    path = write(tmp_path, extra="  jobs:\n    job_search|gte: 1\n", condition="jobs@30d and spike")
    assert load_file(path).context_selections == frozenset({"jobs"})
    path = write(tmp_path, extra="  jobs:\n    job_search|gte: 1\n", condition="jobs and not spike")
    with pytest.raises(ContentError, match="context alone"):
        load_file(path)


def test_condition_errors_point_at_the_character(tmp_path: Path) -> None:
    path = write(tmp_path, condition="spike and (spike")
    with pytest.raises(ContentError) as err:
        load_file(path)
    assert err.value.problems[0].line == 11
    assert "expected )" in err.value.problems[0].reason
    path = write(tmp_path, condition="spike@400d")
    with pytest.raises(ContentError, match="1d to 180d"):
        load_file(path)
    path = write(tmp_path, condition="nothing")
    with pytest.raises(ContentError) as err:
        load_file(path)
    assert any("no selection named 'nothing'" in p.reason for p in err.value.problems)


def test_unused_selection_and_bad_modifiers(tmp_path: Path) -> None:
    path = write(tmp_path, extra="  spare:\n    logons|gte: 1\n")
    with pytest.raises(ContentError, match="'spare' is not used"):
        load_file(path)
    path = write(tmp_path, extra="  f:\n    departing|own_z_gte: 1\n", condition="spike and f")
    with pytest.raises(ContentError, match="is a flag"):
        load_file(path)
    path = write(tmp_path, extra="  f:\n    decoy_access|peer_z_gte: 1\n", condition="spike and f")
    with pytest.raises(ContentError, match="no peer baseline"):
        load_file(path)
    path = write(tmp_path, extra="  f:\n    logons|above_own_p90: 3\n", condition="spike and f")
    with pytest.raises(ContentError, match="true or false"):
        load_file(path)


def test_schema_problems_are_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        GOOD.format(id="not-a-uuid", condition="spike", extra="").replace(
            "level: low", "level: urgent"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as err:
        load_file(path)
    reasons = [(p.line, p.reason) for p in err.value.problems]
    assert any(line == 1 and "id" in r for line, r in reasons)
    assert any(line == 4 and "urgent" in r for line, r in reasons)


def test_home_policies_override_disable_and_extend(tmp_path: Path) -> None:
    shipped = {p.id: p for p in load_policies()}
    decoy = next(p for p in shipped.values() if p.title == "Decoy file touched")
    folder = tmp_path / "policies"
    folder.mkdir()
    text = Path(decoy.source).read_text(encoding="utf-8")
    text = text.replace("version: 1", "version: 2").replace("level: high", "level: critical")
    (folder / "decoy.yaml").write_text(text + "enabled: false\n", encoding="utf-8")
    write(folder, "mine.yaml", pid="0b6f3c1e-0000-4000-8000-000000000001")
    loaded = {p.id: p for p in load_policies(tmp_path)}
    assert loaded[decoy.id].version == 2 and loaded[decoy.id].level == "critical"
    assert loaded[decoy.id].origin == "home" and not loaded[decoy.id].runs
    assert "0b6f3c1e-0000-4000-8000-000000000001" in loaded
    assert len(loaded) == len(shipped) + 1


def test_all_problems_of_all_files_reported(tmp_path: Path) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    write(folder, "a.yaml", condition="spike and")
    write(folder, "b.yaml", extra="  x:\n    nope|gte: 1\n", condition="spike or x")
    with pytest.raises(ContentError) as err:
        load_policies(tmp_path)
    files = {Path(p.file).name for p in err.value.problems}
    assert files == {"a.yaml", "b.yaml"}
    assert re.search(r"a\.yaml:11:\d+", str(err.value))


def test_a_share_is_compared_with_a_number_only(tmp_path: Path) -> None:
    share = "items_outside_ntk_moved_share_90d"
    assert catalog.indicators()[share].kind == "share"
    path = write(tmp_path, extra=f"  f:\n    {share}|own_ratio_gte: 2\n", condition="spike and f")
    with pytest.raises(ContentError, match="is a share"):
        load_file(path)
    path = write(tmp_path, extra=f"  f:\n    {share}|gte: 0.3\n", condition="spike and f")
    assert load_file(path).selections["f"].alternatives[0][0].value == 0.3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("numerator: items_outside_ntk_moved_90d", "numerator: no_such_count"),
        ("denominator: items_outside_ntk_90d", "denominator: departing"),
        (
            "denominator: items_outside_ntk_90d\n    peer: false",
            "denominator: items_outside_ntk_90d\n    peer: true",
        ),
    ],
)
def test_the_catalog_refuses_a_bad_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str, reason: str
) -> None:
    text = catalog.CATALOG_FILE.read_text(encoding="utf-8")
    assert change in text
    bad = tmp_path / "indicators.yaml"
    bad.write_text(text.replace(change, reason, 1), encoding="utf-8")
    monkeypatch.setattr(catalog, "CATALOG_FILE", bad)
    catalog.indicators.cache_clear()
    try:
        with pytest.raises(InputError, match=r"items_outside_ntk_moved_share_90d.*share"):
            catalog.indicators()
    finally:
        monkeypatch.undo()
        catalog.indicators.cache_clear()
