"""Duty frameworks: versioned YAML libraries with a header and a flat tree of duties.

``load_framework`` validates one file (JSON Schema, then the tree: unique URNs, parents that
exist, depth = parent depth + 1, references to declared sources, cross-references only into
declared dependencies) and returns a ``FrameworkDoc`` whose ``objects`` are parent-first.
``load_frameworks`` loads several and orders them dependencies first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from keyguard.errors import SourceProblem
from keyguard.library.content_yaml import (
    ContentError,
    Located,
    file_sha256,
    read_yaml,
    validate,
)

FRAMEWORK_DIR = Path(__file__).with_name("frameworks")

Level = Literal["leadership", "security_office", "department", "team", "individual"]
Frequency = Literal["once", "on_start", "monthly", "quarterly", "yearly"]
EvidenceKind = Literal[
    "signed_statement",
    "attestation",
    "training_completed",
    "access_review_done",
    "finding_closed",
    "report_submitted",
    "document",
]
LEVELS: tuple[Level, ...] = ("leadership", "security_office", "department", "team", "individual")
FREQUENCIES: tuple[Frequency, ...] = ("once", "on_start", "monthly", "quarterly", "yearly")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """A name and description in one locale."""

    name: str
    description: str | None = None


class SourceTranslation(_Frozen):
    title: str


class Source(_Frozen):
    """A document the framework's duties cite (a law, a standard, a guide)."""

    id: str
    title: str
    publisher: str | None = None
    url: str | None = None
    translations: dict[str, SourceTranslation] = Field(default_factory=dict)


class Reference(_Frozen):
    """One citation of a duty: a source id from the header and the clause within it."""

    source: str
    ref: str
    note: str | None = None


class ChangelogEntry(_Frozen):
    version: int
    note: str


class FrameworkNode(_Frozen):
    """One object of the flat tree: a section (``assessable`` false) or a duty."""

    urn: str
    parent_urn: str | None = None
    depth: int
    ref_id: str
    name: str
    description: str | None = None
    assessable: bool
    status: Literal["active", "deprecated"] = "active"
    level: Level | None = None
    frequency: Frequency | None = None
    evidence: tuple[EvidenceKind, ...] = ()
    references: tuple[Reference, ...] = ()
    related_urns: tuple[str, ...] = ()
    translations: dict[str, Text] = Field(default_factory=dict)
    line: int | None = None  # where the object starts in its file

    def text(self, locale: str | None = None) -> Text:
        """Name and description in ``locale`` (falls back to the file's own language)."""
        if locale and locale in self.translations:
            return self.translations[locale]
        return Text(name=self.name, description=self.description)


class FrameworkDoc(_Frozen):
    """A validated framework library: header fields plus ``objects`` in parent-first order."""

    urn: str
    version: int
    locale: str
    ref_id: str
    provider: str
    packager: str | None = None
    name: str
    description: str
    copyright: str
    changelog: tuple[ChangelogEntry, ...] = ()
    dependencies: tuple[str, ...] = ()
    translations: dict[str, Text] = Field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    objects: tuple[FrameworkNode, ...] = ()
    path: str
    sha256: str

    def text(self, locale: str | None = None) -> Text:
        """The framework's name and description in ``locale``."""
        if locale and locale in self.translations:
            return self.translations[locale]
        return Text(name=self.name, description=self.description)

    @property
    def duties(self) -> list[FrameworkNode]:
        """The assessable objects (duties), parent-first."""
        return [node for node in self.objects if node.assessable]

    @property
    def sections(self) -> list[FrameworkNode]:
        """The grouping objects (not assessable), parent-first."""
        return [node for node in self.objects if not node.assessable]

    def node(self, urn: str) -> FrameworkNode:
        """The object with this URN (KeyError if absent)."""
        for node in self.objects:
            if node.urn == urn:
                return node
        raise KeyError(urn)

    def children(self, urn: str | None) -> list[FrameworkNode]:
        """Direct children of ``urn`` (``None``: the top-level objects), in file order."""
        return [node for node in self.objects if node.parent_urn == urn]

    def source(self, source_id: str) -> Source:
        """The header source with this id (KeyError if absent)."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)


def builtin_frameworks() -> list[Path]:
    """The framework files shipped with keyguard, sorted by name."""
    return sorted(FRAMEWORK_DIR.glob("*.yaml"))


def _check_header(located: Located, problems: list[SourceProblem]) -> None:
    data = located.data
    urn = data["urn"]
    for index, dep in enumerate(data.get("dependencies", [])):
        if dep == urn:
            problems.append(
                located.problem(("dependencies", index), "a library cannot depend on itself")
            )
    if data["locale"] in data.get("translations", {}):
        problems.append(
            located.problem(
                ("translations", data["locale"]),
                f"translation into {data['locale']!r} repeats the file's own locale",
                key=True,
            )
        )
    seen: dict[str, int] = {}
    for index, source in enumerate(data.get("sources", [])):
        if source["id"] in seen:
            problems.append(
                located.problem(("sources", index, "id"), f"duplicate source id {source['id']!r}")
            )
        seen[source["id"]] = index
    versions: set[int] = set()
    for index, entry in enumerate(data.get("changelog", [])):
        if entry["version"] > data["version"]:
            problems.append(
                located.problem(
                    ("changelog", index, "version"),
                    f"changelog entry for version {entry['version']} is newer than the "
                    f"library version {data['version']}",
                )
            )
        if entry["version"] in versions:
            problems.append(
                located.problem(
                    ("changelog", index, "version"),
                    f"duplicate changelog version {entry['version']}",
                )
            )
        versions.add(entry["version"])


def _check_objects(located: Located, problems: list[SourceProblem]) -> None:
    data = located.data
    prefix = data["urn"] + ":"
    locale = data["locale"]
    sources = {source["id"] for source in data.get("sources", [])}
    dependencies = list(data.get("dependencies", []))
    objects: list[dict[str, Any]] = data["objects"]
    by_urn: dict[str, int] = {}
    ref_ids: dict[str, int] = {}

    for index, obj in enumerate(objects):
        here = ("objects", index)
        urn = obj["urn"]
        if urn in by_urn:
            first = located.where(("objects", by_urn[urn], "urn"))
            problems.append(
                located.problem(
                    (*here, "urn"),
                    f"duplicate urn {urn!r} (first at line {first[0] if first else '?'})",
                )
            )
        else:
            by_urn[urn] = index
        if not urn.startswith(prefix):
            problems.append(
                located.problem(
                    (*here, "urn"), f"urn {urn!r} must start with the library urn {prefix!r}"
                )
            )
        if obj["ref_id"] in ref_ids:
            problems.append(
                located.problem((*here, "ref_id"), f"duplicate ref_id {obj['ref_id']!r}")
            )
        else:
            ref_ids[obj["ref_id"]] = index
        if not obj["assessable"]:
            for name in ("level", "frequency", "evidence"):
                if name in obj:
                    problems.append(
                        located.problem(
                            (*here, name),
                            f"{name!r} is only for duties (assessable: true)",
                            key=True,
                        )
                    )
        for ref_index, ref in enumerate(obj.get("references", [])):
            if ref["source"] not in sources:
                problems.append(
                    located.problem(
                        (*here, "references", ref_index, "source"),
                        f"unknown source {ref['source']!r} (declare it under 'sources')",
                    )
                )
        if locale in obj.get("translations", {}):
            problems.append(
                located.problem(
                    (*here, "translations", locale),
                    f"translation into {locale!r} repeats the file's own locale",
                    key=True,
                )
            )

    for index, obj in enumerate(objects):
        here = ("objects", index)
        parent = obj.get("parent_urn")
        depth = obj["depth"]
        if parent is None:
            if depth != 1:
                problems.append(
                    located.problem(
                        (*here, "depth"),
                        f"depth {depth} needs a parent_urn (only depth 1 has no parent)",
                    )
                )
        elif parent == obj["urn"]:
            problems.append(
                located.problem((*here, "parent_urn"), "an object cannot be its own parent")
            )
        elif parent not in by_urn:
            problems.append(
                located.problem((*here, "parent_urn"), f"unknown parent_urn {parent!r}")
            )
        else:
            parent_depth = objects[by_urn[parent]]["depth"]
            if depth != parent_depth + 1:
                problems.append(
                    located.problem(
                        (*here, "depth"),
                        f"depth {depth} should be {parent_depth + 1} "
                        f"(parent {parent!r} has depth {parent_depth})",
                    )
                )
        for rel_index, related in enumerate(obj.get("related_urns", [])):
            where = (*here, "related_urns", rel_index)
            if related == obj["urn"]:
                problems.append(located.problem(where, "an object cannot relate to itself"))
            elif related.startswith(prefix):
                if related not in by_urn:
                    problems.append(located.problem(where, f"unknown related urn {related!r}"))
            elif not any(related.startswith(dep + ":") for dep in dependencies):
                problems.append(
                    located.problem(
                        where,
                        f"related urn {related!r} belongs to no library listed in 'dependencies'",
                    )
                )


def _parent_first(objects: Sequence[dict[str, Any]]) -> list[int]:
    """Indices of ``objects`` in depth-first, parent-first order (siblings in file order)."""
    children: dict[str | None, list[int]] = {}
    for index, obj in enumerate(objects):
        children.setdefault(obj.get("parent_urn"), []).append(index)
    order: list[int] = []

    def visit(parent: str | None) -> None:
        for index in children.get(parent, []):
            order.append(index)
            visit(objects[index]["urn"])

    visit(None)
    return order


def load_framework(path: str | Path, *, label: str | None = None) -> FrameworkDoc:
    """Validate one framework file and return it; ContentError (an InputError) names file:line."""
    file = Path(path)
    located = read_yaml(file, label)
    problems = validate(located, "framework")
    if problems:
        raise ContentError(problems)
    _check_header(located, problems)
    _check_objects(located, problems)
    if problems:
        raise ContentError(problems)

    data = located.data
    objects: list[dict[str, Any]] = data["objects"]
    nodes = []
    for index in _parent_first(objects):
        pos = located.where(("objects", index))
        nodes.append(FrameworkNode(**objects[index], line=pos[0] if pos else None))
    header = {key: value for key, value in data.items() if key != "objects"}
    return FrameworkDoc(**header, objects=tuple(nodes), path=str(file), sha256=file_sha256(file))


def _dependency_line(doc: FrameworkDoc, dependency: str) -> SourceProblem:
    # re-read positions only when reporting, so FrameworkDoc stays plain data
    located = read_yaml(Path(doc.path))
    index = doc.dependencies.index(dependency)
    return located.problem(
        ("dependencies", index), f"dependency {dependency!r} is not loaded and not available"
    )


def dependency_order(
    docs: Iterable[FrameworkDoc], *, available: Iterable[str] = ()
) -> list[FrameworkDoc]:
    """``docs`` sorted so every library comes after its dependencies.

    A dependency must be among ``docs`` or in ``available`` (URNs already loaded elsewhere,
    e.g. in the database). Related URNs pointing into a dependency among ``docs`` must exist.
    """
    docs = list(docs)
    known = set(available)
    by_urn: dict[str, FrameworkDoc] = {}
    problems: list[SourceProblem] = []
    for doc in docs:
        if doc.urn in by_urn:
            problems.append(
                SourceProblem(
                    file=doc.path,
                    line=1,
                    reason=f"library {doc.urn!r} is also given by {by_urn[doc.urn].path}",
                )
            )
        by_urn[doc.urn] = doc
    for doc in docs:
        for dependency in doc.dependencies:
            if dependency not in by_urn and dependency not in known:
                problems.append(_dependency_line(doc, dependency))
        for node in doc.objects:
            for related in node.related_urns:
                for dependency in doc.dependencies:
                    target = by_urn.get(dependency)
                    if (
                        target is not None
                        and related.startswith(dependency + ":")
                        and not any(other.urn == related for other in target.objects)
                    ):
                        problems.append(
                            SourceProblem(
                                file=doc.path,
                                line=node.line,
                                reason=f"{node.urn}: related urn {related!r} does not exist in "
                                f"{dependency!r} version {target.version}",
                            )
                        )
    if problems:
        raise ContentError(problems)

    ordered: list[FrameworkDoc] = []
    state: dict[str, str] = {}

    def visit(doc: FrameworkDoc, trail: tuple[str, ...]) -> None:
        if state.get(doc.urn) == "done":
            return
        if state.get(doc.urn) == "active":
            cycle = " -> ".join((*trail, doc.urn))
            raise ContentError(
                [SourceProblem(file=doc.path, line=None, reason=f"dependency cycle: {cycle}")]
            )
        state[doc.urn] = "active"
        for dependency in doc.dependencies:
            if dependency in by_urn:
                visit(by_urn[dependency], (*trail, doc.urn))
        state[doc.urn] = "done"
        ordered.append(doc)

    for doc in docs:
        visit(doc, ())
    return ordered


def load_frameworks(
    paths: Iterable[str | Path], *, available: Iterable[str] = ()
) -> list[FrameworkDoc]:
    """Load several framework files and return them dependencies first."""
    return dependency_order([load_framework(path) for path in paths], available=available)


def missing_translations(doc: FrameworkDoc, locale: str) -> list[str]:
    """URNs (the library's and its objects') that lack a ``locale`` translation."""
    if locale == doc.locale:
        return []
    missing = [] if locale in doc.translations else [doc.urn]
    missing.extend(node.urn for node in doc.objects if locale not in node.translations)
    return missing


def walk(doc: FrameworkDoc, urn: str | None = None) -> Iterator[FrameworkNode]:
    """The objects below ``urn`` (``None``: all), parent-first."""
    for child in doc.children(urn):
        yield child
        yield from walk(doc, child.urn)
