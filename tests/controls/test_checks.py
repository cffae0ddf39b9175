"""Loading check files: the shipped ones are valid; every kind of mistake is reported with
file, line and reason; the home's folder tunes, disables and adds checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyguard.controls.checks import SHIPPED_DIR, deprecated_checks, load_check, load_checks
from keyguard.controls.queries import registry
from keyguard.library.content_yaml import ContentError

GOOD = """\
id: my-check
title: Stale grants at the top level
severity: high
description: A check of the officer's own, reusing a registered query.
supports:
  duties: [urn:keyguard:framework:insider-threat-program:4.4]
  controls: [NIST AC-2]
inputs: [register]
query:
  name: grants.unreviewed
  params:
    review_every_days: 30
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, "check.yaml", text)
    with pytest.raises(ContentError) as info:
        load_check(path)
    return [str(p) for p in info.value.problems]


def problem(tmp_path: Path, text: str) -> str:
    return problems(tmp_path, text)[0]


def test_shipped_checks_load_and_cover_the_queries() -> None:
    checks = load_checks(Path("/nonexistent"))
    assert len(checks) >= 20
    assert len({c.id for c in checks}) == len(checks)
    used = {c.query for c in checks}
    assert used == set(registry()), "every registered query is used by a shipped check"
    for c in checks:
        assert c.supports, c.id
        assert set(registry()[c.query].inputs) <= set(c.inputs), c.id
    assert deprecated_checks() == []


def test_a_good_file_merges_parameters_over_the_defaults(tmp_path: Path) -> None:
    c = load_check(write(tmp_path, "c.yaml", GOOD))
    assert c.params["review_every_days"] == 30
    assert c.params["grace_days"] == 90  # the query's default
    assert c.given == {"review_every_days": 30}
    assert c.line == 1 and c.enabled


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("name: grants.unreviewed", "name: grants.nothing", 10, "unknown query 'grants.nothing'"),
        ("review_every_days: 30", "every_days: 30", 12, "has no parameter 'every_days'"),
        ("review_every_days: 30", "review_every_days: soon", 12, "must be a whole number"),
        ("review_every_days: 30", "review_every_days: 0", 12, "must be at least 1"),
        ("inputs: [register]", "inputs: [events]", 8, "add register"),
        ("4.4]", "4.99]", 6, "no duty urn:keyguard:framework:insider-threat-program:4.99"),
        ("program:4.4]", "program:4]", 6, "is a section, not a duty"),
        ("severity: high", "severity: urgent", 3, "'urgent' is not one of"),
        ("title: Stale", "titel: Stale", 2, "unknown field 'titel'"),
        ("  controls: [NIST AC-2]", "  controls: [nist]", 7, "does not match"),
    ],
)
def test_mistakes_name_file_line_and_reason(
    tmp_path: Path, old: str, new: str, line: int, reason: str
) -> None:
    found = problems(tmp_path, GOOD.replace(old, new))
    where = f"{tmp_path / 'check.yaml'}:{line}:"
    assert any(p.startswith(where) and reason in p for p in found), found


def test_missing_field_and_bad_yaml(tmp_path: Path) -> None:
    assert "'query' is a required property" in problem(tmp_path, GOOD.split("query:")[0])
    text = problem(tmp_path, GOOD.replace("severity: high", "severity: [high"))
    assert "invalid YAML" in text, text
    assert f"{tmp_path / 'check.yaml'}:" in text


def test_home_folder_tunes_disables_and_adds(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shipped = (SHIPPED_DIR / "grant-never-reviewed.yaml").read_text(encoding="utf-8")
    write(
        home / "controls",
        "grant-never-reviewed.yaml",
        shipped.replace("grace_days: 90", "grace_days: 10"),
    )
    write(
        home / "controls",
        "leaver.yaml",
        (SHIPPED_DIR / "leaver-grants-live.yaml").read_text(encoding="utf-8") + "enabled: false\n",
    )
    write(home / "controls", "mine.yaml", GOOD)
    checks = {c.id: c for c in load_checks(home)}
    assert checks["grant-never-reviewed"].params["grace_days"] == 10
    assert checks["grant-never-reviewed"].origin == "home"
    assert checks["leaver-grants-live"].enabled is False
    assert checks["my-check"].query == "grants.unreviewed"
    assert checks["access-without-grant"].origin == "shipped"


def test_duplicate_ids_in_the_home_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home / "controls", "a.yaml", GOOD)
    write(home / "controls", "b.yaml", GOOD)
    with pytest.raises(ContentError) as info:
        load_checks(home)
    assert "b.yaml:1:1: id 'my-check' is also used by" in str(info.value.problem)
