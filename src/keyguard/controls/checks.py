"""Loading and validating control checks (YAML, one check per file).

A file is checked against ``library/controls/check.schema.json``, then against the query
registry (the query exists, every parameter is known and of the right type, the check
declares at least the inputs its query reads) and the shipped frameworks (every duty URN of
a keyguard framework exists and is a duty). Every problem names ``file:line:column``.

Shipped checks live in ``keyguard/library/controls/`` (retired ones in ``deprecated/``,
kept, never run). A ``controls/`` folder under the home overrides a shipped check with the
same ``id`` (the home copy wins: tune its parameters, set ``enabled: false``) and adds new
checks that reuse a registered query with other parameters.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from keyguard.config import get_settings
from keyguard.controls.queries import check_value, registry
from keyguard.errors import SourceProblem
from keyguard.library.content import builtin_frameworks, load_framework
from keyguard.library.content_yaml import ContentError, Located, path_text, read_yaml

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "library" / "controls"
SCHEMA_FILE = SHIPPED_DIR / "check.schema.json"
KEYGUARD_URN = "urn:keyguard:framework:"
DEFAULT_OWNER = ("department_head", "security_office")


@dataclass(frozen=True)
class Check:
    """One validated check, with its query parameters merged over the query's defaults."""

    id: str
    title: str
    description: str
    severity: str
    inputs: tuple[str, ...]
    query: str
    params: dict[str, Any]
    duties: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    status: str = "stable"
    version: int = 1
    enabled: bool = True
    owner: tuple[str, ...] = DEFAULT_OWNER
    due_days: int | None = None
    max_evidence: int = 50
    remediation: str = ""
    falsepositives: tuple[str, ...] = ()
    file: str = ""
    line: int = 1
    origin: str = "shipped"
    given: dict[str, Any] = field(default_factory=dict)

    @property
    def supports(self) -> list[str]:
        """Duty URNs, then control ids."""
        return [*self.duties, *self.controls]


@functools.cache
def check_schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data


@functools.cache
def known_duties() -> dict[str, bool]:
    """URN -> assessable, for every object of the shipped frameworks."""
    out: dict[str, bool] = {}
    for path in builtin_frameworks():
        for node in load_framework(path).objects:
            out[node.urn] = node.assessable
    return out


def _schema_problem(doc: Located, error: jsonschema.ValidationError) -> SourceProblem:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = (
            set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        )
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            where = (*path, extra[0])
            return doc.problem(where, f"{path_text(where)}: unknown field {extra[0]!r}", key=True)
    return doc.problem(path, f"{path_text(path)}: {error.message}")


def _params(doc: Located, data: dict[str, Any], problems: list[SourceProblem]) -> dict[str, Any]:
    name = data["query"]["name"]
    qdef = registry().get(name)
    if qdef is None:
        known = ", ".join(registry())
        problems.append(doc.problem(("query", "name"), f"unknown query {name!r}; known: {known}"))
        return {}
    given = data["query"].get("params") or {}
    merged = {k: p.default for k, p in qdef.params.items()}
    for key, value in given.items():
        where = ("query", "params", key)
        param = qdef.params.get(key)
        if param is None:
            known = ", ".join(qdef.params) or "none"
            problems.append(
                doc.problem(where, f"query {name} has no parameter {key!r} ({known})", key=True)
            )
            continue
        why = check_value(param, value)
        if why:
            problems.append(doc.problem(where, f"query.params.{key}: {why}"))
            continue
        merged[key] = value
    missing = sorted(set(qdef.inputs) - set(data["inputs"]))
    if missing:
        problems.append(
            doc.problem(
                ("inputs",),
                f"inputs: query {name} reads {', '.join(qdef.inputs)}; add {', '.join(missing)}",
            )
        )
    return merged


def _duties(doc: Located, data: dict[str, Any], problems: list[SourceProblem]) -> None:
    known = known_duties()
    for i, urn in enumerate(data["supports"].get("duties", [])):
        if not urn.startswith(KEYGUARD_URN):
            continue  # a framework of the unit's own, loaded from a file
        if urn not in known:
            problems.append(
                doc.problem(("supports", "duties", i), f"no duty {urn} in keyguard's frameworks")
            )
        elif not known[urn]:
            problems.append(
                doc.problem(("supports", "duties", i), f"{urn} is a section, not a duty")
            )


def build_check(doc: Located, *, origin: str = "shipped") -> Check:
    """Validate one parsed document and build its :class:`Check` (``ContentError`` if bad)."""
    validator = jsonschema.Draft202012Validator(check_schema())
    problems = [_schema_problem(doc, e) for e in validator.iter_errors(doc.data)]
    if problems:
        raise ContentError(problems)
    data: dict[str, Any] = doc.data
    params = _params(doc, data, problems)
    _duties(doc, data, problems)
    if problems:
        raise ContentError(problems)
    pos = doc.where(("id",))
    supports = data["supports"]
    return Check(
        id=data["id"],
        title=data["title"].strip(),
        description=" ".join(data["description"].split()),
        severity=data["severity"],
        inputs=tuple(data["inputs"]),
        query=data["query"]["name"],
        params=params,
        duties=tuple(supports.get("duties", [])),
        controls=tuple(supports.get("controls", [])),
        status=data.get("status", "stable"),
        version=data.get("version", 1),
        enabled=data.get("enabled", True),
        owner=tuple(data.get("owner", DEFAULT_OWNER)),
        due_days=data.get("due_days"),
        max_evidence=data.get("max_evidence", 50),
        remediation=" ".join(str(data.get("remediation", "")).split()),
        falsepositives=tuple(data.get("falsepositives", [])),
        file=doc.file,
        line=pos[0] if pos else 1,
        origin=origin,
        given=dict(data["query"].get("params") or {}),
    )


def load_check(path: str | Path, *, origin: str = "shipped") -> Check:
    """Read and validate one check file."""
    doc = read_yaml(Path(path))
    if not isinstance(doc.data, dict):
        raise ContentError([SourceProblem(str(path), 1, "a check is a YAML mapping", 1)])
    return build_check(doc, origin=origin)


def home_dir(home: Path | None = None) -> Path:
    """The folder of the home's own checks and overrides."""
    return (home or get_settings().home) / "controls"


def _load_folder(folder: Path, origin: str, problems: list[SourceProblem]) -> list[Check]:
    out: list[Check] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        try:
            check = load_check(path, origin=origin)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        if check.id in seen:
            problems.append(
                SourceProblem(
                    str(path), check.line, f"id {check.id!r} is also used by {seen[check.id]}", 1
                )
            )
            continue
        seen[check.id] = str(path)
        out.append(check)
    return out


def load_checks(home: Path | None = None, *, shipped_dir: Path = SHIPPED_DIR) -> list[Check]:
    """Shipped checks overridden and extended by the home's; ``ContentError`` lists every
    problem of every file."""
    problems: list[SourceProblem] = []
    checks = {c.id: c for c in _load_folder(shipped_dir, "shipped", problems)}
    folder = home_dir(home)
    if folder.is_dir():
        for c in _load_folder(folder, "home", problems):
            checks[c.id] = c
    if problems:
        raise ContentError(problems)
    return sorted(checks.values(), key=lambda c: c.id)


def deprecated_checks(shipped_dir: Path = SHIPPED_DIR) -> list[Check]:
    """Retired checks (kept for their history; never run)."""
    folder = shipped_dir / "deprecated"
    if not folder.is_dir():
        return []
    problems: list[SourceProblem] = []
    out = _load_folder(folder, "deprecated", problems)
    if problems:
        raise ContentError(problems)
    return out
