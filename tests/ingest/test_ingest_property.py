"""Property: whatever corruption a file suffers, every adapter accounts for every row —
read = accepted + duplicate + rejected + skipped (+ outside retention), read is the number of
non-blank data lines, stored rows point at real lines, and content never reaches the store.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_support import HEADERS, ROWS, SECRET, run_context, store_text

from keyguard.events.store import EventStore
from keyguard.ingest import runner
from keyguard.ingest.adapters import cert, mapped
from keyguard.ingest.context import PlannedFile
from keyguard.ingest.lines import BOM

#: ``KEYGUARD_PROPERTY_EXAMPLES=N`` runs N random examples per case instead of the fixed
#: (derandomised) CI set, e.g. with ``--hypothesis-seed=S`` to search for new failures.
RANDOM_EXAMPLES = int(os.environ.get("KEYGUARD_PROPERTY_EXAMPLES", "0") or 0)

PROXY = (
    "time,client,username,method,url,status,bytes\n"
    "1709539262.5,10.0.0.9,CORP\\alice,GET,https://www.dropbox.com/home,200,5120\n"
    "1709539300,10.0.0.9,CORP\\alice,POST,https://www.dropbox.com/up,200,12\n"
    "1709539400,10.0.0.9,bob,GET,https://news.example.com/,200,0\n"
)
SYSLOG = (
    "\n".join(
        json.dumps(r)
        for r in [
            {
                "timestamp": "2024-03-04T08:01:02+01:00",
                "hostname": "h1",
                "event": "accepted",
                "user": "alice",
                "message": f"{SECRET} text",
            },
            {
                "timestamp": "2024-03-04T08:05:00+01:00",
                "hostname": "h1",
                "event": "failed",
                "user": "bob",
                "message": f"{SECRET} more",
            },
            {
                "timestamp": "2024-03-04T09:00:00+01:00",
                "hostname": "h2",
                "event": "closed",
                "user": "alice",
                "message": f"{SECRET}",
            },
        ]
    )
    + "\n"
)
WINDOWS = (
    "\n".join(
        json.dumps(r)
        for r in [
            {
                "EventID": 4624,
                "EventRecordID": 1,
                "TimeCreated": "2024-03-04T07:01:02Z",
                "Computer": "WS-1.corp",
                "EventData": {"TargetUserName": "alice"},
            },
            {
                "EventID": 4663,
                "EventRecordID": 2,
                "TimeCreated": "2024-03-04T07:02:02Z",
                "Computer": "WS-1.corp",
                "EventData": {"SubjectUserName": "alice", "ObjectName": "C:\\x"},
            },
            {
                "EventID": 4688,
                "EventRecordID": 3,
                "TimeCreated": "2024-03-04T07:03:02Z",
                "Computer": "WS-1.corp",
                "EventData": {},
            },
        ]
    )
    + "\n"
)


def cert_case(release: str, name: str) -> tuple[str, bytes, int]:
    rows = ROWS[release][name] * 2  # a repeated row is a duplicate
    return name, ("\n".join([HEADERS[release][name], *rows]) + "\n").encode(), 1


CASES: dict[str, tuple[str, bytes, int]] = {
    f"{release}-{name}": cert_case(release, name)
    for release in ("r4.2", "r6.2")
    for name in HEADERS[release]
}
CASES["decoy"] = ("decoy_file.csv", b"decoy_filename,pc\nC:\\a.doc,PC-1\nR:\\b.txt,PC-2\n", 1)
CASES["psychometric"] = ("psychometric.csv", b"employee_name,user_id,O,C,E,A,N\nA,B,1,2,3,4,5\n", 1)
CASES["proxy-log"] = ("proxy.csv", PROXY.encode(), 1)
CASES["syslog-auth"] = ("auth.jsonl", SYSLOG.encode(), 0)
CASES["windows-security"] = ("sec.jsonl", WINDOWS.encode(), 0)

NOISE = [
    b",",
    b'"',
    b"\r",
    b"\n",
    b"\x00",
    b"\xff",
    b"\xc3",
    b" ",
    b";",
    b"{",
    b"}",
    b"\t",
    b"7",
    b"/",
    b"\r\n",
    b"\xe2\x82\xac",
]
OPS = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "repeat_line", "cut_line", "swap"]),
        st.integers(min_value=0, max_value=10**6),
        st.sampled_from(NOISE),
    ),
    max_size=10,
)


def corrupt(data: bytes, header: int, ops: list[tuple[str, int, bytes]]) -> bytes:
    """Corruption of the data lines only (the header stays, so the layout is found)."""
    cut = data.index(b"\n") + 1 if header else 0
    head, body = data[:cut], bytearray(data[cut:])
    for op, pos, noise in ops:
        if not body:
            break
        i = pos % len(body)
        if op == "insert":
            body[i:i] = noise
        elif op == "delete":
            del body[i : i + 1 + pos % 3]
        else:
            lines = bytes(body).split(b"\n")
            k = pos % len(lines)
            if op == "repeat_line":
                lines.insert(k, lines[k])
            elif op == "cut_line":
                lines[k] = lines[k][: len(lines[k]) // 2]
            else:
                j = (pos // 7) % len(lines)
                lines[k], lines[j] = lines[j], lines[k]
            body = bytearray(b"\n".join(lines))
    return head + bytes(body)


def data_lines(data: bytes, header: int) -> int:
    if data.startswith(BOM):
        data = data[len(BOM) :]
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    lines = [p.removesuffix(b"\r") for p in pieces]
    return sum(1 for i, line in enumerate(lines, 1) if i > header and line.strip(b" \t"))


def plan(case: str, path: Path) -> tuple[str, list[PlannedFile]]:
    if case in ("proxy-log", "syslog-auth", "windows-security"):
        _spec, planned = mapped.plan(path, case)
        return f"mapping:{case}", [planned]
    if path.name in ("decoy_file.csv", "psychometric.csv"):  # a CERT folder needs activity
        (path.parent / "logon.csv").write_text("id,date,user,pc,activity\n", encoding="utf-8")
    files, _notes, _ldap = cert.plan(path.parent)
    return "cert", [f for f in files if f.name == path.name]


@pytest.mark.parametrize("case", sorted(CASES))
@settings(
    max_examples=RANDOM_EXAMPLES or 12,
    derandomize=not RANDOM_EXAMPLES,  # reproducible in CI
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_every_row_is_accounted_for(case: str, ops: list[tuple[str, int, bytes]]) -> None:
    name, clean, header = CASES[case]
    data = corrupt(clean, header, ops)
    root = Path(tempfile.mkdtemp(prefix="kg-prop-"))
    try:
        folder = root / "src"
        folder.mkdir()
        path = folder / name
        path.write_bytes(data)
        adapter, files = plan(case, path)
        home = root / "home"
        ctx = run_context(home, adapter, id_prefix=f"{case}:")
        (fc,) = runner.run(ctx, files)
        assert (
            fc.read == fc.accepted + fc.duplicate + fc.rejected + fc.skipped + fc.outside_retention
        )
        assert fc.read == data_lines(data, header)
        store = EventStore(home)
        n_lines = data.count(b"\n") + 1
        stored = store.read("u1") if fc.kind != "decoy" else store.decoys("u1")
        if fc.kind != "decoy":
            assert stored.num_rows == fc.accepted
            assert len(set(stored["event_id"].to_pylist())) == stored.num_rows
        lines = stored["source_line"].to_pylist()
        rejected = store.rejects("u1")
        assert rejected.num_rows == fc.rejected
        assert all(1 <= n <= n_lines for n in lines + rejected["line"].to_pylist())
        assert all(r for r in rejected["reason"].to_pylist())
        if case.startswith("r6.2") or case in ("r4.2-http.csv", "r4.2-email.csv", "syslog-auth"):
            assert SECRET not in store_text(home)
    finally:
        shutil.rmtree(root, ignore_errors=True)
