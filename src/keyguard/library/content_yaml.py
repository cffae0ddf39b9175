"""Reading YAML with positions and validating it against a JSON Schema.

Every value read keeps the line and column it came from, so a schema error or a
consistency error names ``file:line:column`` and a reason. Lines and columns are 1-based.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError

from keyguard.errors import InputError, SourceProblem

SCHEMA_DIR = Path(__file__).with_name("schemas")

JsonPath = tuple[str | int, ...]
Position = tuple[int, int]

_MAX_REASON = 300

# libyaml's parser when available (several times faster); both keep node marks
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(InputError):
    """A content file that cannot be used; ``problems`` lists every problem found, first first.

    The exception itself (``file``/``line``/``column`` of ``problem``) names the first one.
    """

    def __init__(self, problems: Sequence[SourceProblem]):
        if not problems:
            raise ValueError("ContentError needs at least one problem")
        ordered = sorted(problems, key=_problem_order)
        first = ordered[0]
        reason = first.reason
        if len(ordered) > 1:
            reason += f" (and {len(ordered) - 1} more problem{'s' if len(ordered) > 2 else ''})"
        super().__init__(first.file, reason, first.line, first.column)
        self.problems: list[SourceProblem] = ordered


def _problem_order(problem: SourceProblem) -> tuple[str, int, int]:
    return (problem.file, problem.line or 0, problem.column or 0)


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes, as stored beside a loaded library."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Located:
    """A parsed YAML document and where each of its values (and mapping keys) starts."""

    file: str
    data: Any
    positions: dict[JsonPath, Position] = field(default_factory=dict)
    key_positions: dict[JsonPath, Position] = field(default_factory=dict)

    def where(self, path: Iterable[str | int], *, key: bool = False) -> Position | None:
        """Position of the value at ``path`` (or of its key), else of its nearest ancestor."""
        parts = tuple(path)
        if key and parts in self.key_positions:
            return self.key_positions[parts]
        while True:
            if parts in self.positions:
                return self.positions[parts]
            if not parts:
                return None
            parts = parts[:-1]

    def problem(
        self, path: Iterable[str | int], reason: str, *, key: bool = False
    ) -> SourceProblem:
        """A problem located at ``path`` in this document."""
        pos = self.where(path, key=key)
        line, column = pos if pos else (None, None)
        return SourceProblem(file=self.file, line=line, column=column, reason=reason)


def _mark_position(mark: yaml.Mark | None) -> Position | None:
    if mark is None:
        return None
    return (mark.line + 1, mark.column + 1)


def _yaml_problem(label: str, exc: yaml.YAMLError) -> SourceProblem:
    if isinstance(exc, yaml.MarkedYAMLError):
        # a scanner error's context (e.g. the start of a key missing its ':') is where the
        # mistake is; a parser error's problem mark is where the structure broke
        mark: yaml.Mark | None
        if isinstance(exc, yaml.scanner.ScannerError) and exc.context_mark is not None:
            mark = exc.context_mark
        else:
            mark = exc.problem_mark or exc.context_mark
        pos = _mark_position(mark)
        parts = [p for p in (exc.context, exc.problem) if p]
        reason = "invalid YAML: " + (", ".join(parts) if parts else "cannot parse")
        if pos:
            return SourceProblem(file=label, line=pos[0], column=pos[1], reason=reason)
        return SourceProblem(file=label, line=None, reason=reason)
    return SourceProblem(file=label, line=None, reason=f"invalid YAML: {exc}")


def _scalar_key(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return None


def _check_duplicate_keys(label: str, node: yaml.Node, problems: list[SourceProblem]) -> None:
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: dict[str, Position] = {}
            for key_node, value_node in current.value:
                name = _scalar_key(key_node)
                if name is not None and key_node.tag != "tag:yaml.org,2002:merge":
                    pos = _mark_position(key_node.start_mark) or (0, 0)
                    if name in keys:
                        first = keys[name]
                        problems.append(
                            SourceProblem(
                                file=label,
                                line=pos[0],
                                column=pos[1],
                                reason=f"duplicate key {name!r} (first at line {first[0]})",
                            )
                        )
                    else:
                        keys[name] = pos
                stack.append(value_node)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _record_positions(node: yaml.Node, located: Located) -> None:
    stack: list[tuple[yaml.Node, JsonPath]] = [(node, ())]
    while stack:
        current, path = stack.pop()
        pos = _mark_position(current.start_mark)
        if pos is not None:
            located.positions.setdefault(path, pos)
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                name = _scalar_key(key_node)
                if name is None:
                    continue
                child = (*path, name)
                key_pos = _mark_position(key_node.start_mark)
                if key_pos is not None:
                    located.key_positions.setdefault(child, key_pos)
                stack.append((value_node, child))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                stack.append((item, (*path, index)))


def parse_yaml(text: str, label: str) -> Located:
    """Parse one YAML document, keeping positions; raise ContentError on bad YAML."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ContentError([SourceProblem(file=label, line=1, column=1, reason="empty file")])
        problems: list[SourceProblem] = []
        _check_duplicate_keys(label, node, problems)
        if problems:
            raise ContentError(problems)
        located = Located(file=label, data=None)
        _record_positions(node, located)
        located.data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ContentError([_yaml_problem(label, exc)]) from exc
    finally:
        loader.dispose()
    return located


def read_text(path: Path, label: str | None = None) -> str:
    """A UTF-8 text file's content, or ContentError naming the file."""
    name = label or str(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContentError([SourceProblem(file=name, line=None, reason="file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise ContentError(
            [SourceProblem(file=name, line=None, reason=f"not UTF-8 text ({exc.reason})")]
        ) from exc
    except OSError as exc:
        raise ContentError(
            [SourceProblem(file=name, line=None, reason=f"cannot read: {exc.strerror}")]
        ) from exc


def read_yaml(path: Path, label: str | None = None) -> Located:
    """Read and parse a YAML file, keeping positions."""
    name = label or str(path)
    return parse_yaml(read_text(path, name), name)


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``library/schemas`` (``framework``, ``course``, ``quiz``)."""
    with (SCHEMA_DIR / f"{name}.schema.json").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(name))


def path_text(path: Iterable[str | int]) -> str:
    """``objects[3].level`` for a JSON path, ``(document)`` for the root."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"


def _short(value: str) -> str:
    return value if len(value) <= _MAX_REASON else value[: _MAX_REASON - 1] + "…"


def _schema_problem(located: Located, error: ValidationError) -> SourceProblem:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema_part = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema_part.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            name = extra[0]
            return located.problem(
                (*path, name), f"{path_text((*path, name))}: unknown field {name!r}", key=True
            )
    if error.validator == "required" and isinstance(error.instance, dict):
        return located.problem(path, _short(f"{path_text(path)}: {error.message}"))
    if error.validator in ("oneOf", "anyOf") and error.context:
        best = jsonschema.exceptions.best_match(error.context)
        return located.problem(path, _short(f"{path_text(path)}: {best.message}"))
    if "propertyNames" in error.absolute_schema_path:
        key = error.instance if isinstance(error.instance, str) else None
        where = (*path, key) if key is not None else path
        return located.problem(
            where, _short(f"{path_text(path)}: bad key: {error.message}"), key=True
        )
    return located.problem(path, _short(f"{path_text(path)}: {error.message}"))


def validate(located: Located, schema_name: str) -> list[SourceProblem]:
    """Every schema problem of the document, each with its position."""
    errors = _validator(schema_name).iter_errors(located.data)
    problems = [_schema_problem(located, error) for error in errors]
    return sorted(problems, key=_problem_order)
