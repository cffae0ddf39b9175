"""The small, non-streamed files: ``LDAP/YYYY-MM.csv`` (one per month), ``psychometric.csv``,
``decoy_file.csv``, ``register.csv``, ``grants.csv`` and ``hosts.csv``.

Imports only the standard library, numpy and sibling modules of the generator.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from keyguard.generator.org import ldap_row
from keyguard.generator.params import HEADERS, STREAM_STATIC, rng_for
from keyguard.generator.register import grant_rows, host_rows, register_rows
from keyguard.generator.scenarios import Plan
from keyguard.generator.world import World


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> int:
    """Write a CSV file with ``\\n`` line ends; returns the number of data rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def ldap_members(w: World, month: int) -> list[int]:
    """People listed in a month's LDAP file: employed on at least one day of it."""
    first, last = w.cal.month_bounds(month)
    return [p.index for p in w.org.people if p.start_day <= last and p.end_day >= first]


def write_ldap(w: World, out: Path) -> dict[str, int]:
    """One file per month touched by the period; returns rows per file name."""
    folder = out / "LDAP"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in sorted(folder.glob("????-??.csv")):
        stale.unlink()
    counts = {}
    for m, (year, month) in enumerate(w.cal.months):
        name = f"{year:04d}-{month:02d}.csv"
        rows = [ldap_row(w.org, p) for p in ldap_members(w, m)]
        counts[f"LDAP/{name}"] = write_csv(folder / name, HEADERS["LDAP"], rows)
    return counts


def decoy_rows(w: World, plan: Plan) -> list[list[str]]:
    """Decoy files: those planted for scenario 4 plus a few on other machines."""
    rng = rng_for(w.params.seed, STREAM_STATIC, 2)
    rows = [[path, w.org.hosts[host].name] for path, host in plan.decoys]
    names = (
        "salary_overview.xlsx",
        "board_minutes_confidential.docx",
        "passwords.txt",
        "merger_plan.pptx",
    )
    count = max(1, round(0.08 * len(w.org.hosts)))
    for h in sorted(int(x) for x in rng.choice(len(w.org.hosts), size=count, replace=False)):
        host = w.org.hosts[h]
        name = names[int(rng.integers(len(names)))]
        if host.owner >= 0:
            path = f"C:\\Users\\{w.org.people[host.owner].user_id}\\Documents\\{name}"
        else:
            path = f"C:\\Shared\\{name}"
        rows.append([path, host.name])
    return rows


def write_static(w: World, plan: Plan, out: Path) -> dict[str, int]:
    """Write every small file; returns rows per file (relative name)."""
    rng = rng_for(w.params.seed, STREAM_STATIC, 3)
    counts = write_ldap(w, out)
    psycho = [
        [p.name, p.user_id, *[str(int(x)) for x in rng.integers(10, 51, 5)]] for p in w.org.people
    ]
    counts["psychometric.csv"] = write_csv(
        out / "psychometric.csv", HEADERS["psychometric.csv"], psycho
    )
    counts["decoy_file.csv"] = write_csv(
        out / "decoy_file.csv", HEADERS["decoy_file.csv"], decoy_rows(w, plan)
    )
    counts["register.csv"] = write_csv(
        out / "register.csv", HEADERS["register.csv"], register_rows(w.org, w.reg)
    )
    counts["grants.csv"] = write_csv(
        out / "grants.csv", HEADERS["grants.csv"], grant_rows(w.org, w.reg)
    )
    counts["hosts.csv"] = write_csv(out / "hosts.csv", HEADERS["hosts.csv"], host_rows(w.org))
    return counts
