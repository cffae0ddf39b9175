"""Same seed, same bytes; where the answers go changes nothing in the output folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from gen_support import SMALL, Generated

from keyguard.errors import KeyguardError
from keyguard.generator import generate


def _files(folder: Path, skip: Path | None = None) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (skip is None or skip not in path.parents):
            out[path.relative_to(folder).as_posix()] = path.read_bytes()
    return out


def test_same_seed_gives_identical_bytes(small: Generated, tmp_path: Path) -> None:
    generate(SMALL, tmp_path / "out", tmp_path / "answers")
    first, second = _files(small.out), _files(tmp_path / "out")
    assert sorted(first) == sorted(second)
    assert "logon.csv" in first and "LDAP/2024-01.csv" in first
    for name in first:
        assert first[name] == second[name], name
    assert _files(small.answers) == _files(tmp_path / "answers")


def test_other_seed_gives_other_data(small: Generated, tmp_path: Path) -> None:
    generate(dataclasses.replace(SMALL, seed=8), tmp_path / "out", tmp_path / "answers")
    assert (tmp_path / "out" / "http.csv").read_bytes() != (small.out / "http.csv").read_bytes()


def test_answers_inside_output_change_nothing_else(small: Generated, tmp_path: Path) -> None:
    out = tmp_path / "out"
    generate(SMALL, out, out / "answers")
    inside = _files(out, skip=out / "answers")
    assert inside == _files(small.out)
    assert sorted(p.name for p in (out / "answers").iterdir()) == [
        "answers.csv",
        "events.csv",
        "meta.json",
    ]
    assert (out / "answers" / "events.csv").read_bytes() == (
        small.answers / "events.csv"
    ).read_bytes()


def test_rerun_into_same_folder_is_identical(tmp_path: Path) -> None:
    params = dataclasses.replace(SMALL, days=60, start=SMALL.start)
    generate(params, tmp_path / "out", tmp_path / "answers")
    generate(SMALL, tmp_path / "out", tmp_path / "answers")  # shorter: stale LDAP months go
    fresh = tmp_path / "fresh"
    generate(SMALL, fresh / "out", fresh / "answers")
    assert _files(tmp_path / "out") == _files(fresh / "out")


def test_answers_folder_must_differ_from_output(tmp_path: Path) -> None:
    with pytest.raises(KeyguardError, match="answers"):
        generate(SMALL, tmp_path / "same", tmp_path / "same")
    with pytest.raises(KeyguardError, match="users"):
        generate(dataclasses.replace(SMALL, users=5), tmp_path / "o", tmp_path / "a")
    with pytest.raises(KeyguardError, match="tz"):
        generate(dataclasses.replace(SMALL, tz="Mars/Olympus"), tmp_path / "o", tmp_path / "a")
