"""Check a request against the constraints of the AWS service model that the pinned botocore ships.

The constraints come from the service model inside the installed botocore package,
``botocore/data/bedrock-agentcore-control/2023-06-05/service-2.json.gz`` (the newest API version
directory of the service; a plain ``service-2.json`` is read when the ``.gz`` is absent). That is
the same file boto3 builds its client from, so the checks follow the pinned botocore version.

Why this exists: botocore's own client-side validation (``ParamValidator``) checks required
members, types, ``min`` and a few other traits, but never a string's ``pattern`` (nor ``max`` or
``enum``). The real service does enforce them and answers ``ValidationException``; a moto server
enforces none of them. ``validate`` reports what AWS would refuse; ``enforce_on`` makes a boto3
client refuse it the way the service does.

Neither botocore nor boto3 is imported here at module import time or by ``validate``: the model
is located with ``importlib.util.find_spec("botocore")`` (which does not import the package) and
parsed with gzip + json once per service, so the offline planner stays fast.

Notes on the model's patterns:

* AWS anchors them implicitly, so they are matched with ``re.fullmatch``. The model generator
  stripped the outer ``^``/``$``, which leaves a few alternations like ``$|^[...]+``; those still
  mean the right thing under ``fullmatch``.
* They are Java-style regular expressions, so they are compiled with ``re.ASCII`` (Java's
  ``\\d``, ``\\w``, ``\\s`` are ASCII-only) and Unicode property classes such as ``\\p{C}``,
  which Python's ``re`` cannot compile, are rewritten into explicit code point ranges built from
  ``unicodedata``.
"""

from __future__ import annotations

import datetime
import functools
import gzip
import importlib.util
import json
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SERVICE = "bedrock-agentcore-control"
SENSITIVE = "[sensitive]"
MAX_SHOWN = 80

__all__ = [
    "DEFAULT_SERVICE",
    "ModelViolation",
    "Violation",
    "check",
    "enforce_on",
    "input_members",
    "output_members",
    "validate",
]


@dataclass(frozen=True)
class Violation:
    """One constraint of the service model that a request breaks.

    ``value`` is already the displayed form: a truncated ``repr``, ``[sensitive]`` for values of
    shapes the model marks sensitive (and everything inside them), or empty when the violation
    is about a member rather than a value (missing, unknown, union).
    """

    path: str
    constraint: str
    value: str

    def __str__(self) -> str:
        if self.value:
            return f"{self.path}: {self.value} {self.constraint}"
        return f"{self.path}: {self.constraint}"


class ModelViolation(Exception):
    """A request that the service model (and so the real service) refuses."""

    def __init__(self, operation: str, violations: list[Violation]) -> None:
        self.operation = operation
        self.violations = list(violations)
        super().__init__(_message(operation, self.violations))


def _message(operation: str, violations: list[Violation]) -> str:
    return "\n".join(f"{operation}: {v}" for v in violations)


# --- loading the model -------------------------------------------------------------------------


def _botocore_data() -> Path:
    spec = importlib.util.find_spec("botocore")
    if spec is None:
        raise ModuleNotFoundError("botocore is not installed: no service model to check against")
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return Path(locations[0]) / "data"
    if spec.origin is None:
        raise ModuleNotFoundError("cannot locate the botocore package directory")
    return Path(spec.origin).parent / "data"


@functools.cache
def _partitions() -> list[tuple[str, re.Pattern[str]]]:
    data = json.loads((_botocore_data() / "partitions.json").read_text())
    return [(p["id"], re.compile(p["regionRegex"])) for p in data["partitions"]]


def is_region(region: str) -> bool:
    """Whether `region` is a region name of a partition botocore knows: its `data/partitions.json`
    gives each partition's `regionRegex` (aws-eusc: `^eusc\\-(de)\\-\\w+\\-\\d+$`, so eusc-de-east-1)."""
    return any(regex.search(region) for _, regex in _partitions())


def partition_for(region: str) -> str:
    """The ARN partition of a region, by the `regionRegex` of each partition in botocore's
    `data/partitions.json` (aws, aws-cn, aws-us-gov, the ISO partitions, aws-eusc)."""
    for pid, regex in _partitions():
        if regex.search(region):
            return pid
    return "aws"


def _model_file(service: str) -> Path:
    service_dir = _botocore_data() / service
    candidates: list[Path] = []
    if service_dir.is_dir():
        for version in sorted((d for d in service_dir.iterdir() if d.is_dir()), key=lambda d: d.name):
            for name in ("service-2.json.gz", "service-2.json"):
                if (version / name).is_file():
                    candidates.append(version / name)
                    break
    if not candidates:
        raise ValueError(f"botocore ships no service model for {service!r} (looked in {service_dir})")
    return candidates[-1]  # API versions are dates: the newest sorts last, as botocore picks it


@functools.cache
def _model(service: str) -> dict[str, Any]:
    path = _model_file(service)
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            model: dict[str, Any] = json.load(fh)
    else:
        with path.open(encoding="utf-8") as fh:
            model = json.load(fh)
    return model


def _shape(service: str, name: str) -> dict[str, Any]:
    shapes: dict[str, dict[str, Any]] = _model(service)["shapes"]
    try:
        return shapes[name]
    except KeyError:
        raise ValueError(f"{service} has no shape {name!r}") from None


def _input_shape_name(service: str, operation: str) -> str | None:
    operations: dict[str, dict[str, Any]] = _model(service)["operations"]
    try:
        op = operations[operation]
    except KeyError:
        raise ValueError(f"{service} has no operation {operation!r}") from None
    shape_ref = op.get("input")
    return None if shape_ref is None else str(shape_ref["shape"])


def _members(service: str, shape_name: str) -> frozenset[str]:
    shape = _shape(service, shape_name)
    if shape.get("type") != "structure":
        raise ValueError(f"{service} shape {shape_name!r} is a {shape.get('type')}, not a structure")
    return frozenset(shape.get("members", {}))


def member_shape(structure: str, member: str, service: str = DEFAULT_SERVICE) -> dict[str, Any]:
    """The shape of one member of a structure (its `enum`, `min`, `max`, `pattern`, ...)."""
    ref = _shape(service, structure).get("members", {}).get(member)
    if ref is None:
        raise ValueError(f"{service} shape {structure!r} has no member {member!r}")
    return _shape(service, str(ref["shape"]))


def input_members(operation: str, service: str = DEFAULT_SERVICE) -> frozenset[str]:
    """Top-level member names of an operation's input shape (empty if it takes no input)."""
    name = _input_shape_name(service, operation)
    return frozenset() if name is None else _members(service, name)


def output_members(shape_name: str, service: str = DEFAULT_SERVICE) -> frozenset[str]:
    """Top-level member names of a named structure shape, e.g. ``GetGatewayResponse``."""
    return _members(service, shape_name)


# --- patterns ----------------------------------------------------------------------------------

_PROPERTY = re.compile(r"\\([pP])(?:\{([A-Za-z_]+)\}|([A-Za-z]))")


@functools.cache
def _category_ranges(category: str, negate: bool) -> str:
    """Class body (no brackets) of every code point whose general category is (or, for a one-letter
    name, starts with) ``category``; the complement when ``negate``."""
    name = category.removeprefix("Is")
    if not (len(name) in (1, 2) and name[0] in "CLMNPSZ"):
        raise ValueError(f"unsupported Unicode property \\p{{{category}}} in a service model pattern")
    parts: list[str] = []
    start: int | None = None
    for cp in range(sys.maxunicode + 2):
        inside = cp <= sys.maxunicode and unicodedata.category(chr(cp)).startswith(name) != negate
        if inside and start is None:
            start = cp
        elif not inside and start is not None:
            end = cp - 1
            parts.append(f"\\U{start:08x}" if start == end else f"\\U{start:08x}-\\U{end:08x}")
            start = None
    return "".join(parts)


def _translate(pattern: str) -> str:
    """Rewrite Java's ``\\p{..}``/``\\P{..}`` (general categories) into classes ``re`` accepts."""
    if "\\p" not in pattern and "\\P" not in pattern:
        return pattern
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            match = _PROPERTY.match(pattern, i)
            if match is None:
                out.append(pattern[i : i + 2])
                i += 2
                continue
            body = _category_ranges(match.group(2) or match.group(3), match.group(1) == "P")
            out.append(body if in_class else f"[{body}]")
            i = match.end()
            continue
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            i += 1
            if pattern.startswith("^", i):
                out.append("^")
                i += 1
            if pattern.startswith("]", i):  # a leading ] is literal
                out.append("\\]")
                i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(_translate(pattern), re.ASCII)
    except re.error as exc:
        raise ValueError(f"service model pattern {pattern!r} cannot be compiled: {exc}") from exc


# --- walking a request -------------------------------------------------------------------------


def _show(value: Any, sensitive: bool) -> str:
    if sensitive:
        return SENSITIVE
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_timestamp(value: Any) -> bool:
    if isinstance(value, datetime.datetime | datetime.date) or _is_number(value):
        return True
    if isinstance(value, str):
        try:
            datetime.datetime.fromisoformat(value)
        except ValueError:
            try:
                float(value)
            except ValueError:
                return False
        return True
    return False


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind in ("integer", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("float", "double"):
        return _is_number(value)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list | tuple)
    if kind in ("map", "structure"):
        return isinstance(value, Mapping)
    if kind == "timestamp":
        return _is_timestamp(value)
    if kind == "blob":
        return isinstance(value, bytes | bytearray | str) or hasattr(value, "read")
    return True  # a type this module does not know: nothing to check


class _Walker:
    def __init__(self, service: str) -> None:
        self.service = service
        self.found: list[Violation] = []

    def report(self, path: str, constraint: str, value: str = "") -> None:
        self.found.append(Violation(path, constraint, value))

    def walk(self, value: Any, shape_name: str, path: str, sensitive: bool) -> None:
        shape = _shape(self.service, shape_name)
        sensitive = sensitive or bool(shape.get("sensitive"))
        kind = str(shape.get("type"))
        if shape.get("document"):
            return  # a free-form JSON document: the model constrains nothing inside it
        if not _type_ok(kind, value):
            self.report(
                path,
                f"has type {type(value).__name__}, expected {kind} ({shape_name})",
                _show(value, sensitive),
            )
            return
        if kind == "structure":
            self.structure(value, shape_name, shape, path, sensitive)
        elif kind == "list":
            self.bounds(len(value), value, shape_name, shape, path, sensitive, "items")
            member = shape["member"]["shape"]
            for index, item in enumerate(value):
                self.walk(item, member, f"{path}[{index}]", sensitive)
        elif kind == "map":
            self.map(value, shape_name, shape, path, sensitive)
        elif kind == "string":
            self.string(value, shape_name, shape, path, sensitive)
        elif kind in ("integer", "long", "float", "double"):
            self.number(value, shape_name, shape, path, sensitive)
        elif kind == "blob" and not hasattr(value, "read"):  # a file-like body's size is unknown here
            size = len(value.encode() if isinstance(value, str) else value)
            self.bounds(size, value, shape_name, shape, path, sensitive, "bytes")

    def structure(
        self, value: Mapping[str, Any], shape_name: str, shape: dict[str, Any], path: str, sensitive: bool
    ) -> None:
        members: dict[str, dict[str, Any]] = shape.get("members", {})
        prefix = f"{path}." if path else ""
        for name in shape.get("required", []):
            if name not in value:
                self.report(f"{prefix}{name}", f"required member missing ({shape_name})")
        if shape.get("union") and len(value) != 1:
            names = ", ".join(sorted(str(k) for k in value)) or "none"
            self.report(
                path or "<params>",
                f"union must have exactly one member set, has {len(value)}: {names} ({shape_name})",
            )
        for name, item in value.items():
            if name in members:
                self.walk(item, members[name]["shape"], f"{prefix}{name}", sensitive)
            else:
                self.report(f"{prefix}{name}", f"unknown member, not in {shape_name}")

    def map(self, value: Mapping[Any, Any], shape_name: str, shape: dict[str, Any], path: str, sensitive: bool) -> None:
        self.bounds(len(value), value, shape_name, shape, path, sensitive, "entries")
        key_shape, value_shape = shape["key"]["shape"], shape["value"]["shape"]
        for number, (key, item) in enumerate(value.items(), start=1):
            # In a sensitive map the keys are part of the secret too: name entries by position.
            label = f"entry#{number}" if sensitive else (json.dumps(key) if isinstance(key, str) else repr(key))
            entry = f"{path}[{label}]"
            keys = _Walker(self.service)
            keys.walk(key, key_shape, entry, sensitive)
            self.found.extend(Violation(v.path, v.constraint, f"key {v.value}") for v in keys.found)
            self.walk(item, value_shape, entry, sensitive)

    def string(self, value: str, shape_name: str, shape: dict[str, Any], path: str, sensitive: bool) -> None:
        enum = shape.get("enum")
        if enum is not None and value not in enum:
            self.report(path, f"is not one of {', '.join(enum)} ({shape_name})", _show(value, sensitive))
        self.bounds(len(value), value, shape_name, shape, path, sensitive, "characters")
        pattern = shape.get("pattern")
        if pattern is not None and _compiled(pattern).fullmatch(value) is None:
            self.report(path, f"does not match pattern {pattern} ({shape_name})", _show(value, sensitive))

    def number(self, value: float, shape_name: str, shape: dict[str, Any], path: str, sensitive: bool) -> None:
        if "min" in shape and value < shape["min"]:
            self.report(path, f"is below min {shape['min']} ({shape_name})", _show(value, sensitive))
        if "max" in shape and value > shape["max"]:
            self.report(path, f"is above max {shape['max']} ({shape_name})", _show(value, sensitive))

    def bounds(
        self, size: int, value: Any, shape_name: str, shape: dict[str, Any], path: str, sensitive: bool, unit: str
    ) -> None:
        if "min" in shape and size < shape["min"]:
            self.report(path, f"has {size} {unit}, below min {shape['min']} ({shape_name})", _show(value, sensitive))
        if "max" in shape and size > shape["max"]:
            self.report(path, f"has {size} {unit}, above max {shape['max']} ({shape_name})", _show(value, sensitive))


def _path_order(violation: Violation) -> tuple[tuple[str, int], ...]:
    """Sort key: by path, with list indexes compared as numbers (``[2]`` before ``[10]``)."""
    parts = re.split(r"(\d+)", violation.path)
    return tuple((parts[i], int(parts[i + 1]) if i + 1 < len(parts) else -1) for i in range(0, len(parts), 2))


def validate(operation: str, params: Mapping[str, Any], service: str = DEFAULT_SERVICE) -> list[Violation]:
    """Every constraint of ``operation``'s input shape that ``params`` breaks, ordered by path.

    Raises ``ValueError`` for an operation or service the model does not have.
    """
    walker = _Walker(service)
    input_shape = _input_shape_name(service, operation)
    if input_shape is None:
        if not isinstance(params, Mapping):
            walker.report("<params>", f"has type {type(params).__name__}, expected structure (no input)")
        else:
            for name in params:
                walker.report(str(name), f"unknown member, {operation} takes no input")
    else:
        walker.walk(params, input_shape, "", False)
        walker.found = [v if v.path else Violation("<params>", v.constraint, v.value) for v in walker.found]
    return sorted(walker.found, key=_path_order)


def check(operation: str, params: Mapping[str, Any], service: str = DEFAULT_SERVICE) -> None:
    """Raise ``ModelViolation`` listing every violation, one per line, each prefixed by ``operation``."""
    violations = validate(operation, params, service)
    if violations:
        raise ModelViolation(operation, violations)


def _iter_lines(operation: str, violations: list[Violation]) -> Iterator[str]:
    yield f"{len(violations)} validation error(s) detected"
    for violation in violations:
        yield f"{operation}: {violation}"


def enforce_on(client: Any) -> None:
    """Make a boto3 client refuse, like the real service, every request the model forbids.

    Registers a ``before-parameter-build.<service-id>`` handler: botocore emits it for every
    operation, with the operation model and the API params about to be validated and serialized
    (after any ``provide-client-params`` handler has substituted them). On a violation it raises
    ``ClientError`` (the client's modeled ``ValidationException`` class when it has one) with code
    ``ValidationException``, HTTP status 400 and the violations in the message; nothing is sent.
    Calling it twice on the same client registers the handler once.
    """
    service_model = client.meta.service_model
    service = str(service_model.service_name)
    event = f"before-parameter-build.{service_model.service_id.hyphenize()}"

    def refuse_invalid(params: Mapping[str, Any], model: Any, **kwargs: Any) -> None:
        operation = str(model.name)
        violations = validate(operation, params, service)
        if not violations:
            return
        message = "\n".join(_iter_lines(operation, violations))
        # The client's modeled ValidationException, or ClientError itself where the service models
        # none (botocore/errorfactory.py, `from_code`: "If the error code does not match any of the
        # known modeled exceptions then return a generic ClientError").
        error_class = client.exceptions.from_code("ValidationException")
        response = {
            "Error": {"Code": "ValidationException", "Message": message},
            "message": message,
            "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": {}, "RetryAttempts": 0},
        }
        raise error_class(response, operation)

    client.meta.events.register(event, refuse_invalid, unique_id=f"{__name__}.enforce_on.{event}")
