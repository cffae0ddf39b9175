"""LDAP month files: supervisors resolve within the month, leavers vanish, joiners appear,
and activity only comes from people employed that month."""

from __future__ import annotations

from gen_support import Generated, when


def test_supervisors_resolve_in_the_same_month(small: Generated) -> None:
    for month, rows in small.ldap.items():
        names = {r["employee_name"] for r in rows}
        ids = [r["user_id"] for r in rows]
        assert len(ids) == len(set(ids)), month
        tops = [r for r in rows if not r["supervisor"]]
        assert len(tops) == 1, month
        top = tops[0]
        assert top["role"] == "President"
        assert top["functional_unit"] == top["department"] == top["team"] == ""
        for r in rows:
            if r is not top:
                assert r["supervisor"] in names, (month, r["user_id"])
                assert r["functional_unit"], r
                assert r["email"].endswith("@dtaa.example")


def test_org_tree_levels(small: Generated) -> None:
    rows = small.ldap["2024-01"]
    roles = {r["role"] for r in rows}
    assert {
        "President",
        "VicePresident",
        "Director",
        "Manager",
        "ITAdmin",
        "SecurityOfficer",
    } <= roles
    depts = {r["department"] for r in rows if r["department"]}
    assert any("Security Office" in d for d in depts)
    assert any("IT Operations" in d for d in depts)
    assert all(r["department"] for r in rows if r["team"])


def test_leavers_vanish_and_joiners_appear(small: Generated) -> None:
    jan, feb = small.ldap["2024-01"], small.ldap["2024-02"]
    jan_ids = {r["user_id"] for r in jan}
    feb_ids = {r["user_id"] for r in feb}
    meta = small.meta
    assert meta["leavers"] and meta["joiners"]
    gone = jan_ids - feb_ids
    assert gone, "somebody leaves in January"
    assert gone <= set(meta["leavers"])
    for user in meta["joiners"]:
        assert user in jan_ids | feb_ids
    # Departing insiders (scenarios 1, 2, 3, 5) leave before the last month and vanish.
    for row in small.answer_rows:
        if row["scenario"] in ("1", "2", "3", "5"):
            assert row["user"] in jan_ids and row["user"] not in feb_ids, row
    # Nobody acts in a month in which they are not listed.
    for name in ("logon.csv", "http.csv"):
        for r in small.table(name):
            month = when(r["date"]).strftime("%Y-%m")
            listed = jan_ids if month == "2024-01" else feb_ids
            assert r["user"] in listed, (name, r)


def test_departed_people_stop_and_joiners_start(small: Generated) -> None:
    last_seen: dict[str, str] = {}
    first_seen: dict[str, str] = {}
    for r in small.table("logon.csv"):
        day = when(r["date"]).date().isoformat()
        last_seen[r["user"]] = max(last_seen.get(r["user"], day), day)
        first_seen[r["user"]] = min(first_seen.get(r["user"], day), day)
    layoff_day = small.meta["layoffs"]["day"]
    for user in small.meta["layoffs"]["people"]:
        assert last_seen.get(user, "") <= layoff_day
    for user in small.meta["joiners"]:
        assert first_seen.get(user, "9999") > "2024-01-15"


def test_hosts_file(small: Generated) -> None:
    hosts = small.hosts
    people = {r["user_id"] for rows in small.ldap.values() for r in rows}
    personal = [h for h in hosts.values() if h["shared"] == "False"]
    shared = [h for h in hosts.values() if h["shared"] == "True"]
    assert shared and all(h["assigned_staff_id"] == "" for h in shared)
    assert all(h["assigned_staff_id"] in people for h in personal)
    assert {h["removable_media_allowed"] for h in hosts.values()} == {"True", "False"}
    used = {r["pc"] for r in small.table("logon.csv")}
    assert any(h["host"] in used for h in shared)
