"""Loading and validating policies: JSON Schema first, then the fields against the indicator
catalog, the condition, and the rule that context alone never raises an alert. Every problem
names ``file:line:column`` and a reason.

Shipped policies live in ``keyguard/library/detectors/`` (retired ones in ``deprecated/``,
kept, never run). A ``policies/`` folder under the home overrides a shipped policy with the
same ``id`` (the home copy wins) and adds new ones.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

from keyguard.errors import SourceProblem
from keyguard.library.content_yaml import (
    ContentError,
    Located,
    file_sha256,
    path_text,
    read_yaml,
)
from keyguard.policies import catalog
from keyguard.policies.condition import ConditionError, names, parse, satisfiable_with
from keyguard.policies.model import (
    BOOL_MODIFIERS,
    MODIFIERS,
    PEER_MODIFIERS,
    Clause,
    Policy,
    Selection,
)

SCHEMA_FILE = Path(__file__).with_name("schema") / "policy.schema.json"
SHIPPED_DIR = Path(__file__).resolve().parent.parent / "library" / "detectors"
DEPRECATED_DIR = SHIPPED_DIR / "deprecated"


@functools.cache
def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema (checked itself on first use)."""
    data: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def _schema_problem(doc: Located, error: jsonschema.ValidationError) -> SourceProblem:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = (
            set((error.schema or {}).get("properties", {}))
            if isinstance(error.schema, dict)
            else set()
        )
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            return doc.problem(
                (*path, extra[0]),
                f"{path_text((*path, extra[0]))}: unknown field {extra[0]!r}",
                key=True,
            )
    if "propertyNames" in error.absolute_schema_path:
        key = error.instance if isinstance(error.instance, str) else None
        where = (*path, key) if key is not None else path
        word = catalog.forbidden_word(key or "")
        reason = (
            (
                f"field {key!r} is about a protected trait ({word}*): policies may not use "
                "health, religion, politics, ethnicity, nationality, union membership or "
                "personality"
            )
            if word
            else f"bad name {key!r}: {error.message}"
        )
        return doc.problem(where, f"{path_text(path)}: {reason}", key=True)
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Judge the instance by the branch of its own shape (a mapping or a list).
        branch = 0 if isinstance(error.instance, dict) else 1
        errs = [
            e
            for e in error.context
            if e.relative_schema_path and e.relative_schema_path[0] == branch
        ] or list(error.context)
        named = [e for e in errs if "propertyNames" in e.absolute_schema_path]
        best = named[0] if named else jsonschema.exceptions.best_match(errs)
        return _schema_problem(doc, best)
    return doc.problem(path, f"{path_text(path)}: {error.message}")


def _clauses(
    doc: Located,
    sel_name: str,
    index: int | None,
    raw: dict[str, Any],
    problems: list[SourceProblem],
) -> tuple[Clause, ...]:
    known = catalog.indicators()
    out: list[Clause] = []
    base = ("detection", sel_name) if index is None else ("detection", sel_name, index)
    for key, value in raw.items():
        field_name, _, modifier = key.partition("|")
        modifier = modifier or "eq"
        where = (*base, key)
        ind = known.get(field_name)
        if ind is None:
            problems.append(
                doc.problem(
                    where,
                    f"unknown field {field_name!r} in selection "
                    f"{sel_name!r}; fields are the indicators in "
                    "docs/policies.md",
                    key=True,
                )
            )
            continue
        if modifier not in MODIFIERS:
            problems.append(doc.problem(where, f"unknown modifier {modifier!r}", key=True))
            continue
        if modifier in PEER_MODIFIERS and not ind.peer:
            problems.append(
                doc.problem(
                    where,
                    f"{field_name!r} has no peer baseline; use own_* or absolute modifiers",
                    key=True,
                )
            )
            continue
        if ind.kind in catalog.PLAIN_KINDS and modifier not in ("eq", "gt", "gte", "lt", "lte"):
            what = "a flag (0 or 1)" if ind.kind == "flag" else "a share (0 to 1)"
            problems.append(
                doc.problem(
                    where,
                    f"{field_name!r} is {what}: compare it with a number, it has no baselines",
                    key=True,
                )
            )
            continue
        if (modifier in BOOL_MODIFIERS) != isinstance(value, bool):
            want = "true or false" if modifier in BOOL_MODIFIERS else "a number"
            problems.append(doc.problem(where, f"{key}: value must be {want}"))
            continue
        out.append(Clause(field_name, modifier, value))
    return tuple(out)


def _condition_problem(doc: Located, exc: ConditionError, text: str) -> SourceProblem:
    pos = doc.where(("detection", "condition"))
    line, col = pos if pos else (None, None)
    # A plain or quoted one-line scalar: point at the character when we can.
    if line is not None and col is not None:
        raw_line = (
            Path(doc.file).read_text(encoding="utf-8").splitlines()[line - 1]
            if Path(doc.file).exists()
            else ""
        )
        start = raw_line.find(text[: max(1, min(len(text), 20))], col - 1)
        if start >= 0:
            col = start + 1 + exc.offset
    return SourceProblem(doc.file, line, f"detection.condition: {exc}", col)


def build_policy(doc: Located, *, origin: str = "shipped") -> Policy:
    """Validate one parsed document and build its :class:`Policy` (``ContentError`` if bad)."""
    if isinstance(doc.data, dict):
        for key in ("date", "modified"):  # YAML reads ISO dates as dates
            if isinstance(doc.data.get(key), dt.date):
                doc.data[key] = doc.data[key].isoformat()
    validator = jsonschema.Draft202012Validator(policy_schema())
    problems = [_schema_problem(doc, e) for e in validator.iter_errors(doc.data)]
    if problems:
        raise ContentError(problems)
    data: dict[str, Any] = doc.data
    det: dict[str, Any] = data["detection"]
    selections: dict[str, Selection] = {}
    for name, raw in det.items():
        if name == "condition":
            continue
        alts = [raw] if isinstance(raw, dict) else raw
        selections[name] = Selection(
            name,
            tuple(
                _clauses(doc, name, None if isinstance(raw, dict) else i, alt, problems)
                for i, alt in enumerate(alts)
            ),
        )
    text = str(det["condition"])
    try:
        cond = parse(text)
    except ConditionError as exc:
        problems.append(_condition_problem(doc, exc, text))
        raise ContentError(problems) from exc
    used = names(cond)
    for missing in sorted(used - selections.keys()):
        problems.append(
            doc.problem(
                ("detection", "condition"), f"detection.condition: no selection named {missing!r}"
            )
        )
    for unused in sorted(selections.keys() - used):
        problems.append(
            doc.problem(
                ("detection", unused),
                f"selection {unused!r} is not used by the condition",
                key=True,
            )
        )
    context = catalog.context_ids()
    ctx_sel = frozenset(n for n, s in selections.items() if s.fields() and s.fields() <= context)
    if not problems and satisfiable_with(cond, set(ctx_sel)):
        problems.append(
            doc.problem(
                ("detection", "condition"),
                "detection.condition: could fire on context alone ("
                + ", ".join(sorted(ctx_sel))
                + "); job search, competitor visits, departure and privilege never raise an alert "
                "on their own — combine them with an activity selection",
            )
        )
    if data["status"] == "deprecated" and origin != "deprecated":
        problems.append(
            doc.problem(
                ("status",),
                "status: deprecated policies belong in "
                "deprecated/ (retired rules are moved, never deleted)",
            )
        )
    if problems:
        raise ContentError(problems)
    return Policy(
        id=data["id"],
        title=data["title"],
        status=data["status"],
        level=data["level"],
        version=int(data["version"]),
        description=" ".join(str(data["description"]).split()),
        selections=selections,
        condition_text=text,
        condition=cond,
        falsepositives=tuple(data.get("falsepositives") or ()),
        tags=tuple(data["tags"]),
        enabled=bool(data.get("enabled", True)),
        source=doc.file,
        sha256=file_sha256(doc.file) if Path(doc.file).exists() else "",
        origin=origin,
        author=str(data.get("author", "")),
        context_selections=ctx_sel,
    )


def load_file(path: Path, *, origin: str = "shipped") -> Policy:
    """Load and validate one policy file."""
    return build_policy(read_yaml(path), origin=origin)


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_policies(
    home: Path | None = None, *, include_deprecated: bool = False, extra_dirs: Iterable[Path] = ()
) -> list[Policy]:
    """Shipped policies overridden/extended by ``<home>/policies`` (then ``extra_dirs``).

    Every file is validated; all problems of all files are raised together."""
    problems: list[SourceProblem] = []
    by_id: dict[str, Policy] = {}
    sources: list[tuple[Path, str]] = [(p, "shipped") for p in _yaml_files(SHIPPED_DIR)]
    if include_deprecated:
        sources += [(p, "deprecated") for p in _yaml_files(DEPRECATED_DIR)]
    if home is not None:
        sources += [(p, "home") for p in _yaml_files(home / "policies")]
    sources += [(p, "home") for d in extra_dirs for p in _yaml_files(d)]
    seen_in_origin: dict[tuple[str, str], str] = {}
    for path, origin in sources:
        try:
            policy = load_file(path, origin=origin)
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        key = (policy.id, "home" if origin == "home" else "shipped")
        if key in seen_in_origin:
            problems.append(
                SourceProblem(
                    str(path), 1, f"id {policy.id} is also used by {seen_in_origin[key]}", 1
                )
            )
            continue
        seen_in_origin[key] = str(path)
        by_id[policy.id] = policy
    if problems:
        raise ContentError(problems)
    return sorted(by_id.values(), key=lambda p: (p.title.lower(), p.id))


def active_policies(home: Path | None = None) -> list[Policy]:
    """The policies detection runs (enabled, not deprecated)."""
    return [p for p in load_policies(home) if p.runs]
