"""Declarative YAML mappings for CSV and JSON-lines sources: loading, validation (JSON
Schema ``library/mappings/mapping.schema.json`` plus checks of zones, categories,
activities and regexes) and applying a mapping to one source record.

A mapping can only rename fields, parse times in a named format and zone, apply a closed
set of named steps (strip, lower, upper, split, after_last, before_first, regex, replace),
translate values with a map, and set constants. Nothing in it is executed as code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from keyguard.errors import ConfigError, InputError
from keyguard.events.schema import ACTIVITIES, CATEGORIES
from keyguard.ingest import tz

if TYPE_CHECKING:
    import jsonschema

MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "library" / "mappings"
SCHEMA_PATH = MAPPINGS_DIR / "mapping.schema.json"
TIME_FORMATS = ("iso8601", "epoch", "epoch_ms")
INT_TARGETS = ("size", "attachment_count")
BOOL_TARGETS = ("to_removable", "from_removable")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class RowError(Exception):
    """A record the mapping cannot turn into an event; the message is the reject reason."""


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema  # only when a mapping is read (a CERT ingest never needs it)

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@dataclass(frozen=True)
class ValueSpec:
    target: str
    fields: tuple[str, ...] = ()
    const: Any = None
    steps: tuple[Any, ...] = ()
    default: Any = None
    mapping: dict[str, Any] | None = None
    otherwise: Any = None


@dataclass(frozen=True)
class MappingSpec:
    name: str
    format: str
    origin: str
    timezone: str
    time_field: str
    time_format: str
    time_zone: str | None
    values: tuple[ValueSpec, ...]
    category: str | None = None
    description: str = ""
    delimiter: str = ","
    quote: str = '"'
    header: bool = True
    columns: tuple[str, ...] = ()
    content_fields: frozenset[str] = frozenset()
    skip_field: str | None = None
    skip_values: frozenset[str] = frozenset()
    regexes: dict[str, re.Pattern[str]] = field(default_factory=dict)

    def source_fields(self) -> list[str]:
        """Every source field the mapping reads (nothing else is kept from a record)."""
        names = [self.time_field, *(f for v in self.values for f in v.fields)]
        if self.skip_field:
            names.append(self.skip_field)
        return list(dict.fromkeys(n for n in names if n not in self.content_fields))

    def targets(self) -> list[str]:
        out = ["time_utc", *(v.target for v in self.values)]
        if self.category:
            out.append("category")
        return list(dict.fromkeys(out))


def shipped_mappings() -> dict[str, Path]:
    """The example mappings that come with keyguard, by name (file stem)."""
    return {p.stem: p for p in sorted(MAPPINGS_DIR.glob("*.yaml"))}


def _read(ref: str | Path) -> tuple[Any, str]:
    path = Path(ref)
    if not path.exists() and isinstance(ref, str) and ref in shipped_mappings():
        path = shipped_mappings()[ref]
    if not path.exists():
        known = ", ".join(shipped_mappings())
        raise InputError(str(ref), f"no such mapping file (shipped mappings: {known})")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the mapping ({exc})") from exc
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"invalid YAML: {exc}".replace("\n", " ")) from exc


def _check(doc: Any, origin: str) -> None:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: [str(p) for p in e.path])
    if errors:
        told = [
            f"at {'/'.join(str(p) for p in e.path) or '(top)'}: {e.message}" for e in errors[:3]
        ]
        raise InputError(origin, "mapping invalid " + "; ".join(told))


def load_mapping(ref: str | Path) -> MappingSpec:
    """Load and validate a mapping file (a path, or the name of a shipped mapping)."""
    doc, origin = _read(ref)
    _check(doc, origin)
    try:
        return _build(doc, origin)
    except (ValueError, re.error, ConfigError) as exc:
        raise InputError(origin, f"mapping invalid: {exc}") from exc


def _build(doc: dict[str, Any], origin: str) -> MappingSpec:
    zone = str(doc.get("timezone", "UTC"))
    if zone != "unit":
        tz.zone(zone)
    fields = doc["fields"]
    time = fields["time"]
    if time.get("timezone"):
        tz.zone(time["timezone"])
    fmt = str(time["format"])
    if fmt not in TIME_FORMATS and "%" not in fmt:
        raise ValueError(f"time format {fmt!r}: use iso8601, epoch, epoch_ms or a strptime format")
    regexes: dict[str, re.Pattern[str]] = {}
    values = []
    for target, spec in fields.items():
        if target == "time":
            continue
        for step in spec.get("steps", []):
            if isinstance(step, dict) and "regex" in step:
                regexes[step["regex"]] = re.compile(step["regex"])
        values.append(
            ValueSpec(
                target=target,
                fields=tuple([spec["field"]] if "field" in spec else spec.get("first_of", [])),
                const=spec.get("const"),
                steps=tuple(spec.get("steps", [])),
                default=spec.get("default"),
                mapping={str(k): v for k, v in spec["map"].items()} if "map" in spec else None,
                otherwise=spec.get("otherwise"),
            )
        )
    category = doc.get("category")
    if category is None and "category" not in fields:
        raise ValueError("give a category (top level) or fields.category")
    _check_vocabulary(values, category)
    csv_opts = doc.get("csv", {})
    if doc["format"] == "csv" and not csv_opts.get("header", True) and not csv_opts.get("columns"):
        raise ValueError("a CSV without a header needs csv.columns")
    skip = doc.get("skip_unless")
    return MappingSpec(
        name=doc["name"],
        format=doc["format"],
        origin=origin,
        timezone=zone,
        time_field=time["field"],
        time_format=fmt,
        time_zone=time.get("timezone"),
        values=tuple(values),
        category=category,
        description=doc.get("description", ""),
        delimiter=csv_opts.get("delimiter", ","),
        quote=csv_opts.get("quote", '"'),
        header=csv_opts.get("header", True),
        columns=tuple(csv_opts.get("columns", ())),
        content_fields=frozenset(doc.get("content_fields", ())),
        skip_field=skip["field"] if skip else None,
        skip_values=frozenset(str(v) for v in skip["in"]) if skip else frozenset(),
        regexes=regexes,
    )


def _check_vocabulary(values: list[ValueSpec], category: str | None) -> None:
    by_target = {v.target: v for v in values}
    cats = {category} if category else set()
    cat_spec = by_target.get("category")
    if cat_spec is not None:
        produced = _constants(cat_spec)
        bad = sorted(str(c) for c in produced if c not in CATEGORIES)
        if bad:
            raise ValueError(f"unknown categories {bad}: use {', '.join(CATEGORIES)}")
        cats |= {str(c) for c in produced}
    allowed = {a for c in cats for a in ACTIVITIES.get(c, ())} or {
        a for acts in ACTIVITIES.values() for a in acts
    }
    produced_acts = _constants(by_target["activity"])
    bad = sorted(str(a) for a in produced_acts if a not in allowed)
    if bad:
        raise ValueError(f"activities {bad} are not in the vocabulary {sorted(allowed)}")


def _constants(spec: ValueSpec) -> set[Any]:
    """Values a spec can produce that are fixed in the mapping (const, map, defaults)."""
    out = {spec.const} if spec.const is not None else set()
    if spec.mapping:
        out |= set(spec.mapping.values())
    for extra in (spec.otherwise, spec.default if spec.mapping is None else None):
        if extra is not None:
            out.add(extra)
    return out


# -- applying a mapping ------------------------------------------------------------------
def lookup(record: dict[str, Any], name: str) -> Any:
    """A field of a record; dotted names walk into JSON objects."""
    if name in record:
        return record[name]
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _step(value: Any, step: Any, spec: MappingSpec) -> Any:
    if isinstance(value, list):
        return [v for v in (_step(x, step, spec) for x in value) if v not in (None, "")]
    if value is None:
        return None
    if step == "strip":
        return value.strip()
    if step == "lower":
        return value.lower()
    if step == "upper":
        return value.upper()
    name, arg = next(iter(step.items()))
    if name == "split":
        return [p.strip() for p in value.split(arg) if p.strip()]
    if name == "after_last":
        return value.rsplit(arg, 1)[-1]
    if name == "before_first":
        return value.split(arg, 1)[0]
    if name == "regex":
        m = spec.regexes[arg].search(value)
        if m is None:
            return None
        return m.group(1) if m.groups() else m.group(0)
    if name == "replace":
        return value.replace(arg["old"], arg["new"])
    raise RowError(f"unknown step {name}")


def _value(spec: MappingSpec, v: ValueSpec, record: dict[str, Any]) -> Any:
    if v.const is not None:
        value: Any = v.const
    else:
        value = None
        for name in v.fields:
            value = _text(lookup(record, name))
            if value not in (None, ""):
                break
        for step in v.steps:
            value = _step(value, step, spec)
    if value in (None, "", []):
        value = v.default
    if v.mapping is not None and value is not None:
        key = _text(value) if not isinstance(value, list) else None
        if key in v.mapping:
            value = v.mapping[key]
        elif v.otherwise is not None:
            value = v.otherwise
        else:
            raise RowError(f"{v.target}: value {key!r} is not in the mapping's map")
    return value


def parse_time(spec: MappingSpec, raw: Any, source_tz: str) -> dt.datetime:
    """The record's time as a naive UTC datetime."""
    text = _text(raw)
    if text is None or not text.strip():
        raise RowError(f"missing time ({spec.time_field})")
    text = text.strip()
    fmt = spec.time_format
    try:
        if fmt in ("epoch", "epoch_ms"):
            seconds = float(text) / (1000 if fmt == "epoch_ms" else 1)
            return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
        value = (
            dt.datetime.fromisoformat(text) if fmt == "iso8601" else dt.datetime.strptime(text, fmt)
        )
    except (ValueError, OverflowError) as exc:
        shown = repr(text) if len(text) <= 40 else f"({len(text)} characters)"
        raise RowError(f"bad time {shown} (format {fmt})") from exc
    if value.tzinfo is None:
        if not dt.date(1900, 1, 1) <= value.date() <= dt.date(2100, 12, 31):
            raise RowError("time outside the years 1900-2100")
        value = tz.to_utc(value, spec.time_zone or source_tz)
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def apply(spec: MappingSpec, record: dict[str, Any], source_tz: str) -> dict[str, Any]:
    """Pre-event values of one record, or :class:`RowError` with the reason."""
    out: dict[str, Any] = {"time_utc": parse_time(spec, lookup(record, spec.time_field), source_tz)}
    if spec.category:
        out["category"] = spec.category
    for v in spec.values:
        out[v.target] = _value(spec, v, record)
    for target in INT_TARGETS:
        if out.get(target) is not None:
            try:
                out[target] = int(str(out[target]).strip())
            except ValueError as exc:
                raise RowError(f"{target}: {out[target]!r} is not a whole number") from exc
            if out[target] < 0:
                raise RowError(f"{target}: negative")
    for target in BOOL_TARGETS:
        if out.get(target) is not None and not isinstance(out[target], bool):
            text = str(out[target]).strip().lower()
            if text not in _TRUE | _FALSE:
                raise RowError(f"{target}: {out[target]!r} is not true or false")
            out[target] = text in _TRUE
    if out.get("recipients") is not None and not isinstance(out["recipients"], list):
        out["recipients"] = [str(out["recipients"])]
    if isinstance(out.get("recipients"), list):
        out["recipients"] = [str(r).strip().lower() for r in out["recipients"] if str(r).strip()]
    for target in ("source_user", "activity", "category"):
        if out.get(target) in (None, ""):
            raise RowError(f"missing {target}")
    category = str(out["category"])
    if category not in CATEGORIES:
        raise RowError(f"unknown category {category!r}")
    if out["activity"] not in ACTIVITIES[category]:
        raise RowError(f"activity {out['activity']!r} is not a {category} activity")
    for target in ("event_id", "source_user", "host", "object", "url", "sender"):
        if out.get(target) is not None:
            out[target] = _text(out[target])
    if out.get("sender"):
        out["sender"] = out["sender"].strip().lower()
    return out
