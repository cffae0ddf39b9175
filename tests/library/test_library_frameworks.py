"""The shipped duty frameworks load, are complete, and broken copies fail at the right line."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest

from keyguard.errors import InputError
from keyguard.library.content import (
    FREQUENCIES,
    LEVELS,
    ContentError,
    builtin_frameworks,
    dependency_order,
    file_sha256,
    load_framework,
    load_frameworks,
    missing_translations,
    walk,
)

CJK = re.compile(r"[\u4e00-\u9fff]")
KUSP_URN = "urn:keyguard:framework:key-unit-security-prevention"
ITP_URN = "urn:keyguard:framework:insider-threat-program"


def framework_path(slug: str) -> Path:
    return next(p for p in builtin_frameworks() if p.stem == slug)


# --- the shipped frameworks -------------------------------------------------------------


def test_builtin_frameworks_are_the_two_shipped_files():
    assert [p.name for p in builtin_frameworks()] == [
        "insider-threat-program.yaml",
        "key-unit-security-prevention.yaml",
    ]


def test_both_frameworks_load_in_dependency_order(frameworks):
    ordered = load_frameworks(reversed(builtin_frameworks()))
    assert [doc.urn for doc in ordered] == [ITP_URN, KUSP_URN]
    assert frameworks[KUSP_URN].dependencies == (ITP_URN,)
    assert frameworks[ITP_URN].dependencies == ()


@pytest.mark.parametrize("urn", [KUSP_URN, ITP_URN])
def test_framework_size_and_shape(frameworks, urn):
    doc = frameworks[urn]
    assert doc.version == {KUSP_URN: 2, ITP_URN: 1}[urn]  # KUSP v2: references checked
    assert doc.locale == "en"
    assert 40 <= len(doc.duties) <= 60
    # sections at depth 1, duties below them; every duty is fully described
    assert {node.depth for node in doc.sections} == {1}
    for duty in doc.duties:
        assert duty.depth == 2
        assert duty.level in LEVELS
        assert duty.frequency in FREQUENCIES
        assert duty.evidence
        assert duty.references, duty.urn
        assert duty.description and len(duty.description) > 60, duty.urn
        assert duty.urn == f"{urn}:{duty.ref_id}"


@pytest.mark.parametrize("urn", [KUSP_URN, ITP_URN])
def test_objects_are_parent_first(frameworks, urn):
    doc = frameworks[urn]
    seen: dict[str, int] = {}
    for node in doc.objects:
        if node.parent_urn is None:
            assert node.depth == 1
        else:
            assert node.parent_urn in seen, f"{node.urn} before its parent"
            assert node.depth == seen[node.parent_urn] + 1
        seen[node.urn] = node.depth
    assert list(walk(doc)) == list(doc.objects)
    assert len(seen) == len(doc.objects)


def test_every_level_carries_duties_in_the_key_unit_framework(frameworks):
    levels = Counter(duty.level for duty in frameworks[KUSP_URN].duties)
    assert set(levels) == set(LEVELS)
    assert all(count >= 4 for count in levels.values()), levels


def test_key_unit_framework_covers_the_required_topics(frameworks):
    names = [section.name.lower() for section in frameworks[KUSP_URN].sections]
    for topic in (
        "responsibility",
        "education",
        "classified",
        "personnel",
        "technical",
        "self-inspection",
        "reporting",
    ):
        assert any(topic in name for name in names), topic
    text = " ".join(f"{d.name} {d.description}".lower() for d in frameworks[KUSP_URN].duties)
    for phrase in ("need-to-know", "vetted", "cooling-off", "supervising body", "12339"):
        assert phrase in text, phrase


def test_insider_threat_framework_cites_the_required_controls(frameworks):
    doc = frameworks[ITP_URN]
    cited = {(ref.source, ref.ref) for duty in doc.duties for ref in duty.references}
    nist = {ref for source, ref in cited if source == "nist-800-53r5"}
    for control in ("PM-12", "AT-2(2)", "AC-2", "AC-6", "AU-6", "AU-9", "AU-10", "MP-7"):
        assert control in nist, control
    for number in range(3, 9):
        assert f"PS-{number}" in nist
    iso = {ref for source, ref in cited if source == "iso27001"}
    for number in range(1, 9):
        assert f"A.6.{number}" in iso
    for number in range(15, 19):
        assert f"A.5.{number}" in iso
    cfr = {ref for source, ref in cited if source == "cfr117"}
    assert {"117.7", "117.8", "117.12(g)"} <= cfr
    assert any(source == "cert-csg6" for source, _ in cited)


def test_insider_threat_framework_requires_training_before_access_and_yearly(frameworks):
    training = [
        d
        for d in frameworks[ITP_URN].duties
        if d.level == "individual" and "training_completed" in d.evidence
    ]
    assert {d.frequency for d in training} == {"on_start", "yearly"}


def test_related_urns_point_into_the_dependency(frameworks):
    itp = {node.urn for node in frameworks[ITP_URN].objects}
    related = [u for d in frameworks[KUSP_URN].duties for u in d.related_urns]
    assert len(related) >= 20
    assert set(related) <= itp


@pytest.mark.parametrize("urn", [KUSP_URN, ITP_URN])
def test_every_object_has_a_simplified_chinese_translation(frameworks, urn):
    doc = frameworks[urn]
    assert missing_translations(doc, "zh-CN") == []
    assert CJK.search(doc.text("zh-CN").name)
    for node in doc.objects:
        zh = node.text("zh-CN")
        assert CJK.search(zh.name), node.urn
        assert zh.description and CJK.search(zh.description), node.urn
        assert zh.name != node.name
    for source in doc.sources:
        assert "zh-CN" in source.translations, source.id


def test_missing_translations_lists_what_lacks_a_locale(frameworks):
    doc = frameworks[ITP_URN]
    assert missing_translations(doc, "fr") == [doc.urn, *[n.urn for n in doc.objects]]
    assert missing_translations(doc, "en") == []


def test_model_helpers(frameworks):
    doc = frameworks[ITP_URN]
    sections = doc.children(None)
    assert [s.ref_id for s in sections] == ["1", "2", "3", "4", "5", "6", "7"]
    first = doc.children(sections[0].urn)[0]
    assert doc.node(first.urn) is first
    assert first.text("zh-CN").name == first.translations["zh-CN"].name
    assert first.text("fr").name == first.name
    assert doc.source("cfr117").url.startswith("https://")
    assert first.line is not None and first.line > 1
    with pytest.raises(KeyError):
        doc.node(f"{ITP_URN}:99")


def test_hash_is_of_the_file_bytes(frameworks):
    path = framework_path("insider-threat-program")
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert file_sha256(path) == expected
    assert frameworks[ITP_URN].sha256 == expected
    assert frameworks[ITP_URN].path == str(path)


# --- broken copies ----------------------------------------------------------------------


def assert_fails_at(path: Path, line: int, *words: str) -> ContentError:
    with pytest.raises(InputError) as caught:
        load_framework(path)
    error = caught.value
    assert isinstance(error, ContentError)
    assert error.problem.file == str(path)
    assert error.problem.line == line, str(error)
    assert error.problem.column is not None and error.problem.column >= 1
    assert str(error).startswith(f"{path}:{line}:")
    for word in words:
        assert word in error.problem.reason, error.problem.reason
    return error


def test_bad_schema_value_names_its_line(broken_framework):
    path, line = broken_framework("    level: team", "    level: boss")
    error = assert_fails_at(path, line, "level", "'boss'", "not one of")
    assert error.problem.column == len("    level: ") + 1


def test_bad_frequency_and_evidence_are_all_reported(broken_framework, tmp_path):
    path, _ = broken_framework("    frequency: monthly", "    frequency: weekly")
    text = path.read_text(encoding="utf-8")
    target = tmp_path / "two.yaml"
    target.write_text(
        text.replace("evidence: [access_review_done]", "evidence: [looked_at_it]", 1),
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as caught:
        load_framework(target)
    assert len(caught.value.problems) == 2
    reasons = " ".join(p.reason for p in caught.value.problems)
    assert "'weekly'" in reasons and "'looked_at_it'" in reasons
    assert "and 1 more problem" in str(caught.value)


def test_unknown_parent_names_its_line(broken_framework):
    old = f"    parent_urn: {KUSP_URN}:3"
    path, line = broken_framework(old, f"    parent_urn: {KUSP_URN}:99")
    assert_fails_at(path, line, "unknown parent_urn", f"{KUSP_URN}:99")


def test_duplicate_urn_names_the_second_occurrence(broken_framework):
    path, line = broken_framework(f"  - urn: {KUSP_URN}:1.2", f"  - urn: {KUSP_URN}:1.1")
    error = assert_fails_at(path, line, "duplicate urn", f"{KUSP_URN}:1.1")
    first_line = path.read_text(encoding="utf-8").splitlines().index(f"  - urn: {KUSP_URN}:1.1")
    assert f"first at line {first_line + 1}" in error.problem.reason


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        ("   frequency: once", 4),  # dedented: the mapping breaks on this line
        ("  frequency: once", 3),
        ("    frequency once", 5),  # key without ':'
    ],
)
def test_bad_yaml_indentation_names_its_line(broken_framework, bad, column):
    path, line = broken_framework("    frequency: once", bad)
    error = assert_fails_at(path, line, "invalid YAML")
    assert error.problem.column == column


def test_wrong_depth_names_its_line(broken_framework):
    path, line = broken_framework("    depth: 2", "    depth: 3")
    assert_fails_at(path, line, "depth 3 should be 2")


def test_top_level_object_without_parent_must_have_depth_one(broken_framework):
    path, line = broken_framework("    depth: 1", "    depth: 2")
    assert_fails_at(path, line, "needs a parent_urn")


def test_unknown_field_names_the_key(broken_framework):
    path, line = broken_framework("    assessable: false", "    assessible: false")
    # the unknown key is reported at its own line; the missing 'assessable' at the object
    with pytest.raises(ContentError) as caught:
        load_framework(path)
    problems = {p.reason: p.line for p in caught.value.problems}
    assert any("unknown field 'assessible'" in r and ln == line for r, ln in problems.items())
    assert any("'assessable' is a required property" in r for r in problems)


def test_duplicate_yaml_key_names_its_line(broken_framework):
    path, line = broken_framework("    frequency: once", "    level: team")
    assert_fails_at(path, line, "duplicate key 'level'")


def test_unknown_source_names_its_line(broken_framework):
    old = "      - {source: aspr2021, ref: Art. 4, note: the unit bears primary responsibility}"
    path, line = broken_framework(old, old.replace("aspr2021", "nowhere"))
    assert_fails_at(path, line, "unknown source 'nowhere'")


def test_related_urn_outside_dependencies_is_refused(broken_framework):
    old = f"      - {ITP_URN}:1.1"
    path, line = broken_framework(old, "      - urn:keyguard:framework:elsewhere:1.1")
    assert_fails_at(path, line, "belongs to no library listed in 'dependencies'")


def test_object_urn_must_live_under_the_library_urn(broken_framework):
    path, line = broken_framework(f"  - urn: {KUSP_URN}:7.7", "  - urn: urn:keyguard:other:7.7")
    with pytest.raises(ContentError) as caught:
        load_framework(path)
    assert any(
        p.line == line and "must start with the library urn" in p.reason
        for p in caught.value.problems
    )


def test_level_on_a_section_is_refused(broken_framework):
    path, line = broken_framework("    assessable: false", "    assessable: false\n    level: team")
    assert_fails_at(path, line + 1, "only for duties")


def test_assessable_duty_needs_level(broken_framework):
    path, line = broken_framework("    level: leadership", "    status: active")
    lines = path.read_text(encoding="utf-8").splitlines()[:line]
    object_line = max(i for i, text in enumerate(lines) if text.startswith("  - urn:")) + 1
    error = assert_fails_at(path, object_line, "'level' is a required property")
    assert error.problem.column == 5  # the first key of the object


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_framework(tmp_path / "absent.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty file"):
        load_framework(empty)


def test_missing_dependency_names_the_dependencies_line():
    kusp = load_framework(framework_path("key-unit-security-prevention"))
    with pytest.raises(ContentError) as caught:
        dependency_order([kusp])
    lines = framework_path("key-unit-security-prevention").read_text().splitlines()
    assert caught.value.problem.line == lines.index(f"  - {ITP_URN}") + 1
    assert "is not loaded and not available" in caught.value.problem.reason
    # already loaded elsewhere (e.g. in the database): accepted
    assert dependency_order([kusp], available=[ITP_URN]) == [kusp]


def test_same_library_twice_is_refused():
    path = framework_path("insider-threat-program")
    with pytest.raises(ContentError, match="is also given by"):
        load_frameworks([path, path])


def test_related_urn_missing_from_the_dependency_is_refused(broken_framework, frameworks):
    path, _ = broken_framework(f"      - {ITP_URN}:1.1", f"      - {ITP_URN}:1.99")
    kusp = load_framework(path)  # the file alone is fine: 1.99 may exist in some ITP version
    with pytest.raises(ContentError) as caught:
        dependency_order([kusp, frameworks[ITP_URN]])
    assert f"{ITP_URN}:1.99" in caught.value.problem.reason
    assert caught.value.problem.line == kusp.node(f"{KUSP_URN}:1.1").line


def test_new_version_loads_and_keeps_its_number(broken_framework):
    path, _ = broken_framework("version: 1", "version: 2", slug="insider-threat-program")
    doc = load_framework(path)
    assert doc.version == 2
    assert doc.sha256 != file_sha256(framework_path("insider-threat-program"))
