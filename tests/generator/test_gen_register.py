"""register.csv, grants.csv and how the activity relates to them: patterns match real paths,
and some regular access has no grant (grants are imperfect, as in real units)."""

from __future__ import annotations

from gen_support import Generated, pattern_regex, when


def test_register_items(small: Generated) -> None:
    items = small.table("register.csv")
    people = {r["user_id"] for r in small.ldap["2024-01"]}
    depts = {r["department"] for r in small.ldap["2024-01"] if r["department"]}
    assert {i["level"] for i in items} == {"internal", "confidential", "secret", "top secret"}
    refs = [i["reference"] for i in items]
    assert len(refs) == len(set(refs))
    for i in items:
        assert i["owner_department"] in depts
        assert i["owner"] in people and i["custodian"] in people
        assert i["location"].endswith("*")
        assert i["location"].startswith(("\\\\fs", "http://"))
        assert len(i["review_date"]) == 10


def test_register_patterns_match_activity(small: Generated) -> None:
    items = small.table("register.csv")
    paths = {r["filename"] for r in small.table("file.csv")}
    urls = {r["url"] for r in small.table("http.csv")}
    matched = 0
    path_items = [i for i in items if i["location"].startswith("\\\\")]
    for i in path_items:
        regex = pattern_regex(i["location"])
        if any(regex.match(p) for p in paths):
            matched += 1
    assert matched >= 0.8 * len(path_items)
    url_items = [i for i in items if i["location"].startswith("http")]
    assert url_items
    for i in url_items:
        regex = pattern_regex(i["location"])
        assert any(regex.match(u) for u in urls), i["location"]
    unclassified = [p for p in paths if p.startswith("\\\\") and small.item_of(p) is None]
    assert unclassified, "departmental shares also hold unclassified files"


def test_grants_resolve(small: Generated) -> None:
    ldap = small.ldap["2024-01"]
    people = {r["user_id"] for r in ldap}
    names = {
        "person": people,
        "team": {r["team"] for r in ldap if r["team"]},
        "department": {r["department"] for r in ldap if r["department"]},
        "position": {r["role"] for r in ldap},
    }
    refs = {i["reference"] for i in small.table("register.csv")}
    grants = small.table("grants.csv")
    assert {g["grantee_type"] for g in grants} >= {"department", "position"}
    for g in grants:
        assert g["grantee"] in names[g["grantee_type"]], g
        assert g["item_reference"] in refs
        assert g["start"] < "2024-01-15" or g["start"] <= "2024-02-13"
        assert g["end"] == "" or g["end"] >= g["start"]
        assert g["approved_by"] and set(g["approved_by"].split(";")) <= people


def test_some_regular_access_has_no_grant(small: Generated) -> None:
    insiders = {r["user"] for r in small.answer_rows}
    levels = {i["reference"]: i["level"] for i in small.table("register.csv")}
    inside, outside = 0, set()
    for r in small.table("file.csv"):
        if r["user"] in insiders:
            continue
        ref = small.item_of(r["filename"])
        if ref is None or levels[ref] == "internal":
            continue
        month = when(r["date"]).strftime("%Y-%m")
        if small.covered(r["user"], ref, month):
            inside += 1
        else:
            outside.add((r["user"], ref))
    assert inside > 0
    assert len(outside) >= 2, "benign people read classified items without a grant"
