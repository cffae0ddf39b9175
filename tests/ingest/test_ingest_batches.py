"""CERT chunks are checked in batches of several chunks (one DuckDB query each): the events,
rejects (with their line, reason and kept text) and counts do not depend on where the chunk
and batch borders fall."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ingest_support import HEADERS, ROWS, SECRET, comparable, run_context, store_text

from keyguard.events.store import EventStore
from keyguard.ingest import lines, runner
from keyguard.ingest.adapters import cert

BAD_HTTP = [
    '{Q1},"01/05/2010 09:00:00",U7,PC-7,http://q.example/a,WWW Visit,"' + SECRET + '"',
    "{B1},01/05/2010 09:00:01,U7,PC-7,http://q.example/a,WWW Visit",
    '{B2},13/45/2010 09:00:02,U7,PC-7,http://q.example/a,WWW Visit,"x"',
    '{Q2},01/05/2010 09:00:03,"U7",PC-7,http://q.example/b,WWW Upload,"' + SECRET + '"',
    "   ",
    '{B3},01/05/2010 09:00:04,"U7,PC-7,http://q.example/a,WWW Visit,"' + SECRET,
]


def _folder(root: Path) -> Path:
    folder = root / "src"
    folder.mkdir(parents=True)
    for name, rows in ROWS["r6.2"].items():
        body = list(rows)
        if name == "http.csv":  # bad and quoted rows spread between good ones, many times
            body = [r for _ in range(6) for r in (*rows, *BAD_HTTP)]
            body = [r.replace("}", f"-{i}}}", 1) for i, r in enumerate(body)]
        (folder / name).write_text(
            "\n".join([HEADERS["r6.2"][name], *body]) + "\n", encoding="utf-8"
        )
    with (folder / "logon.csv").open("ab") as fh:
        fh.write(b"{NU},01/05/2010 10:00:00,U\xff7,PC-7,Logon\n")
    return folder


def _run(folder: Path, home: Path) -> tuple[Any, ...]:
    files, _notes, _ldap = cert.plan(folder)
    ctx = run_context(
        home, "cert", source_tz="Europe/Berlin", known_users=["U7"], email_domains=["dtaa.com"]
    )
    counts = {fc.name: fc.as_dict() for fc in runner.run(ctx, files)}
    store = EventStore(home)
    rejects = sorted(
        (r["source_file"], r["line"], r["reason"], r["raw"])
        for r in store.rejects("u1").to_pylist()
    )
    return comparable(store.read("u1")), rejects, counts


def test_batch_and_chunk_borders_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    whole = _run(folder, tmp_path / "whole")
    assert whole[1], "the folder must have rejects"
    assert any(r[2].startswith("broken quoting") for r in whole[1])

    combined: list[int] = []
    original = cert.CertParser.combine

    def spy(self: cert.CertParser, items: list[cert.Prepared]) -> cert.Prepared:
        combined.append(len(items))
        return original(self, items)

    monkeypatch.setattr(lines, "BLOCK", 97)  # a few lines per chunk
    monkeypatch.setattr(cert.CertParser, "batch_rows", 5)
    monkeypatch.setattr(cert.CertParser, "combine", spy)
    small = _run(folder, tmp_path / "small")
    assert max(combined) > 1, "chunks were combined into batches"
    assert small == whole
    assert SECRET not in store_text(tmp_path / "small")
