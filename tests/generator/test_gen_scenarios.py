"""Each labelled scenario is present, its events are where events.csv says, and the data
shows what the scenario describes."""

from __future__ import annotations

from collections import Counter, defaultdict

from gen_support import Generated, when

from keyguard.library.site_categories import category_of


def _by_user(small: Generated) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for e in small.event_rows:
        out[e["user"]].append(e)
    return out


def _row(small: Generated, event: dict[str, str]) -> dict[str, str]:
    rows = small.rows(event["file"])
    return dict(zip(rows[0], rows[int(event["line"]) - 1], strict=True))


def test_every_scenario_has_an_insider(small: Generated) -> None:
    scenarios = Counter(r["scenario"] for r in small.answer_rows)
    assert sorted(scenarios) == ["1", "2", "3", "4", "5", "6"]
    users = [r["user"] for r in small.answer_rows]
    assert len(users) == len(set(users))
    for r in small.answer_rows:
        assert "2024-01-15" <= r["start"] <= r["end"] <= "2024-02-13"


def test_events_exist_at_their_lines(small: Generated) -> None:
    assert small.event_rows
    answered = {(r["scenario"], r["user"]) for r in small.answer_rows}
    seen = set()
    for e in small.event_rows:
        row = _row(small, e)
        assert row["id"] == e["event_id"], e
        assert (e["file"], int(e["line"])) not in small.dirty_lines
        seen.add((e["scenario"], e["user"]))
    assert seen == answered
    ids = [e["event_id"] for e in small.event_rows]
    assert len(ids) == len(set(ids))
    for r in small.answer_rows:
        days = sorted(
            when(_row(small, e)["date"]).date().isoformat()
            for e in small.event_rows
            if e["user"] == r["user"]
        )
        assert (days[0], days[-1]) == (r["start"], r["end"])


def _insider(small: Generated, scenario: str) -> str:
    return next(r["user"] for r in small.answer_rows if r["scenario"] == scenario)


def test_scenario_1_after_hours_usb_leak_upload(small: Generated) -> None:
    user = _insider(small, "1")
    start = next(r["start"] for r in small.answer_rows if r["user"] == user)
    rows = [_row(small, e) for e in _by_user(small)[user]]
    assert any(r.get("activity") == "Connect" for r in rows)
    late = [r for r in rows if r.get("activity") == "Logon" and when(r["date"]).hour >= 19]
    assert late
    uploads = [r for r in rows if r.get("activity") == "WWW Upload"]
    assert uploads and all(category_of(r["url"]) == "leak_site" for r in uploads)
    before = [
        r
        for r in small.table("device.csv")
        if r["user"] == user and when(r["date"]).date().isoformat() < start
    ]
    assert not before  # never used removable media before
    for r in small.table("logon.csv"):
        moment = when(r["date"])
        if r["user"] == user and moment.date().isoformat() < start:
            assert 5 <= moment.hour < 19


def test_scenario_2_job_sites_competitor_then_usb(small: Generated) -> None:
    user = _insider(small, "2")
    rows = [_row(small, e) for e in _by_user(small)[user]]
    assert any(category_of(r.get("url", "")) == "job_search" for r in rows)
    competitors = small.meta["competitor_domains"]
    mails = [r for r in rows if "to" in r]
    assert any(any(d in r["to"] + r["from"] for d in competitors) for r in mails)
    copies = [r for r in rows if r.get("to_removable_media") == "True"]
    assert len(copies) >= 6
    first_job = min(when(r["date"]) for r in rows if "url" in r)
    assert all(when(c["date"]) > first_job for c in copies)
    before = [
        r
        for r in small.table("file.csv")
        if r["user"] == user and r["to_removable_media"] == "True" and when(r["date"]) < first_job
    ]
    assert len(copies) > len(before)  # markedly more than before


def test_scenario_3_admin_keylogger_and_mass_mail(small: Generated) -> None:
    user = _insider(small, "3")
    roles = {r["user_id"]: r for r in small.ldap["2024-01"]}
    assert roles[user]["role"] == "ITAdmin"
    manager = next(
        r["user_id"]
        for r in small.ldap["2024-01"]
        if r["employee_name"] == roles[user]["supervisor"]
    )
    manager_pc = next(h for h, r in small.hosts.items() if r["assigned_staff_id"] == manager)
    rows = [_row(small, e) for e in _by_user(small)[user]]
    downloads = [r for r in rows if r.get("activity") == "WWW Download"]
    assert downloads and category_of(downloads[0]["url"]) == "hacking_tools"
    assert any(
        r["user"] == user and r["pc"] == manager_pc and r.get("activity") == "Logon" for r in rows
    )
    as_manager = [r for r in rows if r["user"] == manager]
    mass = [r for r in as_manager if r.get("activity") == "Send"]
    assert len(mass) == 1 and mass[0]["pc"] == manager_pc
    assert mass[0]["to"].count(";") >= 10


def test_scenario_4_colleague_machine_and_personal_mail(small: Generated) -> None:
    user = _insider(small, "4")
    rows = [_row(small, e) for e in _by_user(small)[user]]
    foreign = [r for r in rows if "activity" in r and r["pc"] in small.hosts]
    owners = {
        small.hosts[r["pc"]]["assigned_staff_id"] for r in foreign if r.get("activity") == "Logon"
    }
    assert owners and user not in owners
    opened = [r for r in rows if r.get("activity") == "File Open"]
    assert all(f"\\Users\\{user}\\" not in r["filename"] for r in opened)
    sends = [r for r in rows if r.get("activity") == "Send"]
    assert sends and all(not r["to"].endswith("@dtaa.example") and r["attachments"] for r in sends)
    assert all(category_of(r["to"].split("@")[1]) == "webmail" for r in sends)


def test_scenario_5_layoff_cloud_uploads(small: Generated) -> None:
    user = _insider(small, "5")
    layoff = small.meta["layoffs"]
    assert user in layoff["people"] and len(layoff["people"]) >= 3
    rows = [_row(small, e) for e in _by_user(small)[user]]
    uploads = [r for r in rows if r.get("activity") == "WWW Upload"]
    assert uploads and all(category_of(r["url"]) == "cloud_storage" for r in uploads)
    assert all(when(r["date"]).date().isoformat() <= layoff["day"] for r in uploads)


def test_scenario_6_low_and_slow_beyond_need_to_know(small: Generated) -> None:
    user = _insider(small, "6")
    assert user not in small.meta["leavers"]
    rows = [_row(small, e) for e in _by_user(small)[user]]
    opens = [r for r in rows if r.get("activity") == "File Open"]
    docs = {r["filename"] for r in opens}
    assert 20 <= len(docs) <= 40 and len(docs) == len(opens)
    per_day = Counter(when(r["date"]).date() for r in opens)
    assert max(per_day.values()) <= 3 and len(per_day) >= 7
    working = sum(8 <= when(r["date"]).hour < 18 for r in opens)
    assert working >= 0.7 * len(opens)
    me = next(r for r in small.ldap["2024-01"] if r["user_id"] == user)
    outside = 0
    for path in docs:
        ref = small.item_of(path)
        assert ref is not None, path
        if not small.covered(user, ref, "2024-01"):
            outside += 1
    assert outside >= 0.6 * len(docs)
    owners = {r["reference"]: r["owner_department"] for r in small.table("register.csv")}
    assert any(owners[small.item_of(p)] != me["department"] for p in docs)
    out_ways = {r.get("activity") for r in rows} - {"File Open"}
    assert out_ways & {"File Copy", "WWW Upload", "Send"}
    exfil_usb = [r for r in rows if r.get("to_removable_media") == "True"]
    exfil_web = [r for r in rows if r.get("activity") == "WWW Upload"]
    assert all(category_of(r["url"]) == "webmail" for r in exfil_web)
    assert len(exfil_usb) + len(exfil_web) + sum(r.get("activity") == "Send" for r in rows) > 0
