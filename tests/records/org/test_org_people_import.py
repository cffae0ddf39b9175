"""Plain CSV/YAML people imports: encodings, names in many scripts, bad rows, idempotence."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from org_support import counts, day
from sqlalchemy import select
from sqlalchemy.orm import Session

from keyguard.errors import InputError
from keyguard.records.org import service as org
from keyguard.records.org.models import OrgNode, Person, PersonVersion, Position, Unit

HEADER = (
    "staff_id,full_name,email,job_title,department,team,manager_staff_id,start_date,"
    "notice_date,end_date,status,position,business_unit,personal_emails"
)
NFD_JOSE = unicodedata.normalize("NFD", "José Núñez")
NFD_ZOE = unicodedata.normalize("NFD", "Zoë Brontë")
ROWS = [
    "CEO1,Grace Hopper,grace@example.org,Director General,,,,2015-01-01,,,,,Institute,",
    "S1,王小明,wang@example.cn,Director,研究部,,CEO1,2020-01-01,,,,,Institute,",
    "S2,فاطمة الزهراء,fatima@example.org,Team lead,研究部,Team A,S1,2021-03-01,,,,,Institute,"
    "fatima@mailbox.example",
    f"S3,{NFD_JOSE},jose@example.es,Engineer,研究部,Team A,S2,2022-05-01,2026-06-01,2026-07-31,"
    ",,Institute,",
    f"S4,{NFD_ZOE},zoe@example.org,Engineer,研究部,Team A,S2,2023-02-01,,,,Security officer,"
    "Institute,zoe@a.example;zoe@b.example",
]


def write(path: Path, lines: list[str], encoding: str = "utf-8", bom: bool = False) -> Path:
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def staff(session: Session, unit: Unit) -> dict[str, Person]:
    return {p.staff_id: p for p in session.scalars(select(Person).where(Person.unit_id == unit.id))}


@pytest.mark.pg
def test_csv_with_bom_keeps_names_in_every_script(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    path = write(tmp_path / "people.csv", [HEADER, *ROWS], bom=True)
    report = org.import_people_file(session, unit=unit, path=path, as_of=day("2026-06-15"))
    session.commit()
    assert report.problems == [] and report.kind == "people_csv"
    assert report.counts()["people_created"] == 5 and report.counts()["versions_added"] == 5
    people = staff(session, unit)
    assert people["S1"].full_name == "王小明"
    assert people["S2"].full_name == "فاطمة الزهراء"
    assert people["S3"].full_name == "José Núñez" and people["S3"].full_name != NFD_JOSE
    assert unicodedata.is_normalized("NFC", people["S4"].full_name)
    assert people["S4"].full_name == "Zoë Brontë"
    assert people["S4"].personal_emails == ["zoe@a.example", "zoe@b.example"]
    # status derived from the dates; the facts are valid and known from --as-of
    assert people["S3"].status == "notice" and people["S3"].end_date == day("2026-07-31")
    (v,) = session.scalars(select(PersonVersion).where(PersonVersion.person_id == people["S3"].id))
    assert (v.valid_from, v.known_from, v.source) == (
        day("2026-06-15"),
        day("2026-06-15"),
        f"{path}:5",
    )
    # tree and positions
    dept = session.scalars(select(OrgNode).where(OrgNode.name == "研究部")).one()
    assert (dept.kind, dept.path) == ("department", "Institute / 研究部")

    def position(sid: str) -> tuple[str, str]:
        pos = session.get(Position, people[sid].position_id)
        return pos.title, pos.level

    assert position("CEO1") == ("Director General", "leadership")
    assert position("S1") == ("Head of 研究部", "department")
    assert position("S2") == ("Lead of Team A", "team")
    assert position("S3") == ("Engineer", "individual")
    assert position("S4") == ("Security officer", "individual")
    assert people["S3"].manager_id == people["S2"].id
    assert [p.staff_id for p in org.subordinates(session, people["S1"].id)] == ["S3", "S4", "S2"]
    found = org.list_people(session, unit_id=unit.id, search=NFD_JOSE)
    assert [p.staff_id for p in found.items] == ["S3"]


@pytest.mark.pg
def test_rerun_is_idempotent_and_a_later_change_is_a_new_version(
    session: Session, unit: Unit, tmp_path: Path
) -> None:
    path = write(tmp_path / "people.csv", [HEADER, *ROWS])
    org.import_people_file(session, unit=unit, path=path, as_of=day("2026-06-15"))
    session.commit()
    before = counts(session)
    for as_of in ("2026-06-15", "2026-06-20"):
        again = org.import_people_file(session, unit=unit, path=path, as_of=day(as_of))
        session.commit()
        assert again.counts()["versions_added"] == 0
    after = counts(session)
    assert after["version"] == before["version"] and after["audit"] == before["audit"] + 2
    moved = [r.replace(",Team A,S2,", ",Team B,S1,") if r.startswith("S4,") else r for r in ROWS]
    write(path, [HEADER, *moved])
    report = org.import_people_file(session, unit=unit, path=path, as_of=day("2026-07-01"))
    session.commit()
    assert report.counts()["versions_added"] == 1 and report.counts()["movers"] == 1
    zoe = staff(session, unit)["S4"]
    history = org.person_history(session, unit.id, zoe.id)
    assert [(h.valid_from, h.valid_to, h.team) for h in history] == [
        (day("2026-06-15"), day("2026-07-01"), "Team A"),
        (day("2026-07-01"), None, "Team B"),
    ]
    june = {
        f.staff_id: f
        for f in org.person_facts_as_of(session, unit_id=unit.id, day=day("2026-06-30"))
    }
    assert june["S4"].manager_id == staff(session, unit)["S2"].id


def test_declared_latin1_encoding(session: Session, unit: Unit, tmp_path: Path) -> None:
    path = write(
        tmp_path / "latin.csv",
        ["staff_id,full_name,email", "L1,Jürgen Müller,jm@example.de", "L2,Ana Peña,ap@example.es"],
        encoding="latin-1",
    )
    report = org.import_people_file(session, unit=unit, path=path, as_of=day("2026-01-05"))
    assert [str(p) for p in report.problems] == [
        f"{path}:2: not valid utf-8 text (declare the file's encoding with --encoding)",
        f"{path}:3: not valid utf-8 text (declare the file's encoding with --encoding)",
    ]
    assert report.counts()["accepted"] == 0 and report.counts()["rejected"] == 2
    session.rollback()
    report = org.import_people_file(
        session, unit=unit, path=path, encoding="latin-1", as_of=day("2026-01-05")
    )
    assert report.problems == []
    assert {p.full_name for p in staff(session, unit).values()} == {"Jürgen Müller", "Ana Peña"}
    with pytest.raises(InputError, match="unknown encoding"):
        org.import_people_file(session, unit=unit, path=path, encoding="klingon")


@pytest.mark.pg
def test_bad_rows_name_file_line_and_reason(session: Session, unit: Unit, tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        [
            "staff_id,full_name,email,manager_staff_id,start_date,status,end_date,shoe_size",
            "B1,Good Person,good@example.org,,,,,",
            "b1,Dup Person,dup@example.org,,,,,",
            "B2,Bad Mail,not-mail,,,,,",
            "B3,Orphan,o@example.org,X9,,,,",
            "B4,Reports To Bad,r@example.org,B2,,,,",
            "B5,Bad Date,d@example.org,,2024-13-01,,,",
            "B6,Bad Status,s@example.org,,,retired,,",
            "B7,Too Many,t@example.org,,,,,,,",
            "B8,Ends Early,e@example.org,,2024-05-01,,2024-04-01,",
            ",No Id,n@example.org,,,,,",
            "B9,Reports To Good,g@example.org,b1,2024-01-01,,,",
        ],
    )
    report = org.import_people_file(session, unit=unit, path=path, as_of=day("2026-01-05"))
    session.commit()
    assert [str(p) for p in report.problems] == [
        f"{path}:1: unknown column 'shoe_size' ignored",
        f"{path}:9: 10 fields, expected 8",
        f"{path}:3: duplicate staff_id b1 (first on line 2)",
        f"{path}:4: invalid email 'not-mail'",
        f"{path}:7: start_date '2024-13-01' is not a date (YYYY-MM-DD)",
        f"{path}:8: status 'retired' is not one of active, notice, left, suspended",
        f"{path}:10: end_date 2024-04-01 is before start_date 2024-05-01",
        f"{path}:11: empty staff_id",
        f"{path}:5: unknown manager_staff_id 'X9' (not in this file or in keyguard)",
        f"{path}:6: manager_staff_id B2 is not imported (its row, line 4, was rejected)",
    ]
    c = report.counts()
    assert (c["rows"], c["accepted"], c["rejected"]) == (11, 2, 9)
    people = staff(session, unit)
    assert set(people) == {"B1", "B9"} and people["B9"].manager_id == people["B1"].id

    # a later bad row for a stored person loses nothing
    write(path, ["staff_id,full_name,email", "B1,Good Person,broken@"])
    report = org.import_people_file(session, unit=unit, path=path, as_of=day("2026-02-01"))
    session.commit()
    assert [str(p) for p in report.problems] == [f"{path}:2: invalid email 'broken@'"]
    assert staff(session, unit)["B1"].email == "good@example.org"


def test_yaml_list_keeps_ids_as_text(session: Session, unit: Unit, tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(
        "- staff_id: 007\n"
        "  full_name: Ngozi Okonkwo\n"
        "  email: ngozi@example.org\n"
        "  department: Security\n"
        "  personal_emails: [ngozi@mailbox.example]\n"
        "  start_date: 2024-01-02\n"
        "- staff_id: 008\n"
        "  full_name: 李雷\n"
        "  manager_staff_id: '007'\n"
        "  department: Security\n"
        "  notice_date: ~\n"
        "- just a string\n"
        "- staff_id: 009\n"
        "  full_name: Bad Mail\n"
        "  email: nope\n",
        encoding="utf-8",
    )
    report = org.import_people_file(session, unit=unit, path=path, as_of=day("2026-03-01"))
    assert report.kind == "people_yaml"
    assert [str(p) for p in report.problems] == [
        f"{path}:12: not a mapping of person fields",
        f"{path}:13: invalid email 'nope'",
    ]
    people = staff(session, unit)
    assert set(people) == {"007", "008"}
    assert people["007"].personal_emails == ["ngozi@mailbox.example"]
    assert people["007"].start_date == day("2024-01-02")
    assert people["008"].manager_id == people["007"].id and people["008"].full_name == "李雷"


def test_whole_file_problems(session: Session, unit: Unit, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        org.import_people_file(session, unit=unit, path=tmp_path / "missing.csv")
    no_name = write(tmp_path / "no_name.csv", ["staff_id,email", "A,a@example.org"])
    with pytest.raises(InputError, match=r"no_name.csv:1: missing column\(s\) full_name"):
        org.import_people_file(session, unit=unit, path=no_name)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("staff_id: 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected a list of people"):
        org.import_people_file(session, unit=unit, path=mapping)
    broken = tmp_path / "broken.yaml"
    broken.write_text("- staff_id: 1\n  full_name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.yaml:3: invalid YAML"):
        org.import_people_file(session, unit=unit, path=broken)
    with pytest.raises(InputError, match="unknown format"):
        org.import_people_file(session, unit=unit, path=no_name, fmt="xml")
