"""Hand-made CERT LDAP folders and helpers shared by the org tests (imported as
``org_support``)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyguard.audit.models import AuditEntry
from keyguard.records.org.models import Person, PersonVersion

R4_HEADER = (
    "employee_name,user_id,email,role,business_unit,functional_unit,department,team,supervisor"
)
R6_HEADER = (
    "employee_name,user_id,email,role,projects,business_unit,functional_unit,department,team,"
    "supervisor"
)

#: José's name as a decomposed (NFD) string: "e" + combining acute accent.
JOSE_NFD = unicodedata.normalize("NFD", "José Núñez")
JOSE = "José Núñez"

RESEARCH = "1 - Research"
ENGINEERING = "1 - Engineering"
DESIGN = "1 - Design"
TESTING = "2 - Testing"


def person(
    name: str,
    uid: str,
    role: str,
    fu: str = "",
    dept: str = "",
    team: str = "",
    sup: str = "",
    projects: str = "",
    email: str | None = None,
) -> dict[str, str]:
    plain = unicodedata.normalize("NFD", name).encode("ascii", "ignore").decode()
    return {
        "employee_name": name,
        "user_id": uid,
        "email": email if email is not None else plain.replace(" ", ".") + "@dtaa.com",
        "role": role,
        "projects": projects,
        "business_unit": "1",
        "functional_unit": fu,
        "department": dept,
        "team": team,
        "supervisor": sup,
    }


def staff_january() -> list[dict[str, str]]:
    """A president (empty trailing fields), a VP, a head, two team leads and staff."""
    return [
        person("Ada Lovelace", "ADA0001", "President"),
        person("Bob Vice", "BOV0002", "VicePresident", RESEARCH, sup="Ada Lovelace"),
        person(JOSE, "JON0003", "Director", RESEARCH, ENGINEERING, sup="Bob Vice"),
        person("Dan Lead", "DAL0004", "Manager", RESEARCH, ENGINEERING, DESIGN, sup=JOSE_NFD),
        person(
            "Eve Staff",
            "EVS0005",
            "Engineer",
            RESEARCH,
            ENGINEERING,
            DESIGN,
            sup="Dan Lead",
            projects="Project 1",
        ),
        person("Finn Move", "FIM0006", "Engineer", RESEARCH, ENGINEERING, DESIGN, sup="Dan Lead"),
        person("Gus Lead", "GUL0007", "Manager", RESEARCH, ENGINEERING, TESTING, sup=JOSE),
        person("Hana Leaver", "HAL0008", "Tester", RESEARCH, ENGINEERING, TESTING, sup="Gus Lead"),
    ]


def staff_february() -> list[dict[str, str]]:
    """January plus a joiner (Ivy) and a mover (Finn: Design -> Testing)."""
    rows = staff_january()
    for row in rows:
        if row["user_id"] == "FIM0006":
            row.update(team=TESTING, supervisor="Gus Lead")
    rows.append(
        person("Ivy Joiner", "IVJ0009", "Engineer", RESEARCH, ENGINEERING, DESIGN, sup="Dan Lead")
    )
    return rows


def staff_march() -> list[dict[str, str]]:
    """February without Hana (a leaver)."""
    return [r for r in staff_february() if r["user_id"] != "HAL0008"]


def line(row: dict[str, str], release: str) -> str:
    cols = R6_HEADER.split(",") if release == "r6.2" else R4_HEADER.split(",")
    values = [row.get(c, "") for c in cols]
    if row["supervisor"] == "" and row["functional_unit"] == "":
        # the top person's row: empty trailing fields
        return ",".join(values)
    return ",".join(f'"{v}"' if "," in v else v for v in values)


def write_month(
    folder: Path,
    month: str,
    rows: list[dict[str, str]],
    release: str = "r6.2",
    extra_lines: list[str] | None = None,
    encoding: str = "utf-8",
    flat: bool = False,
) -> Path:
    """``folder/LDAP/<month>.csv`` (``flat``: ``folder/<month>.csv``)."""
    ldap = folder if flat else folder / "LDAP"
    ldap.mkdir(parents=True, exist_ok=True)
    header = R6_HEADER if release == "r6.2" else R4_HEADER
    text = "\n".join([header, *(line(r, release) for r in rows), *(extra_lines or [])]) + "\n"
    path = ldap / f"{month}.csv"
    path.write_bytes(text.encode(encoding))
    return path


def cert_folder(base: Path, release: str = "r6.2", months: int = 3) -> Path:
    folder = base / f"cert-{release}"
    makers = [staff_january, staff_february, staff_march]
    for i in range(months):
        write_month(folder, f"2010-0{i + 1}", makers[i](), release)
    return folder


def counts(session: Session) -> dict[str, int]:
    """Rows per table that an import may write, and audit entries."""
    return {
        "person": session.scalar(select(func.count()).select_from(Person)) or 0,
        "version": session.scalar(select(func.count()).select_from(PersonVersion)) or 0,
        "audit": session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
    }


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
