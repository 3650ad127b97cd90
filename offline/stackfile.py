"""Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` into the config map a program receives.

What the Pulumi CLI does before it starts the program: project defaults first, stack values
over them, structured values handed over as JSON text. `secure:` values are never decrypted:
each becomes `[secret]` where it stands, and its key is listed as secret.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# What a `secure:` value reads as offline: the plan cannot decrypt it (that needs the stack's
# secrets provider), so it carries this through and shows it as it is.
from stackconfig.secrets import OFFLINE_SECRET as SECRET_PLACEHOLDER


class StackFileError(Exception):
    """A stack or project file that is missing or does not parse; names the file."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, Any]
    secret_keys: frozenset[str]


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml parses, in C
    """YAML as Pulumi reads stack files (Go's yaml.v3, YAML 1.2): only true/false are booleans
    (`name: no` is the string "no"), dates and sexagesimal numbers stay strings, and a key given
    twice in one mapping is an error, not "the last one wins"."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen[key] = True
        return dict(super().construct_mapping(node, deep=deep))


# PyYAML's resolvers are YAML 1.1's: keep YAML 1.2 core schema ones only.
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regex) for tag, regex in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
for _first, _resolvers in _Yaml12Loader.yaml_implicit_resolvers.items():
    _resolvers[:] = [(t, r) for t, r in _resolvers if not t.endswith(("int", "float"))]
# YAML 1.2 core schema numbers (no sexagesimal `1:30`, no `0b`, no `_` separators).
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+.0123456789"),
)


def _load_yaml(path: Path) -> Any:
    if not path.is_file():
        raise StackFileError(f"{path.name}: no such file in {path.parent}")
    try:
        return yaml.load(path.read_text(), Loader=_Yaml12Loader) or {}  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise StackFileError(f"{path.name}: YAML does not parse{where}: {problem}") from None


def _as_config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _check_value(file: str, path: str, value: Any) -> None:
    """Only what Pulumi config holds: strings, numbers, booleans, null, lists and string-keyed maps."""
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise StackFileError(f"{file}: {path}: key {k!r} is not a string; quote it")
            _check_value(file, f"{path}.{k}", v)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_value(file, f"{path}[{i}]", v)
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        kind = "!!binary" if isinstance(value, bytes) else "!!set" if isinstance(value, set) else type(value).__name__
        raise StackFileError(
            f"{file}: {path}: a {kind} value, which Pulumi config cannot hold; use a string, number, "
            "boolean, list or mapping"
        )


def _without_secure(value: Any) -> tuple[Any, bool]:
    """`value` with each `{secure: …}` replaced by SECRET_PLACEHOLDER, and whether there was one.
    The structure around a secret stays, so the rest of a structured value is still checked and
    planned; Pulumi likewise treats the whole key as secret when any part of it is."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        items = {k: _without_secure(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(found for _, found in items.values())
    if isinstance(value, list):
        elems = [_without_secure(v) for v in value]
        return [v for v, _ in elems], any(found for _, found in elems)
    return value, False


def load_stack(root: Path, stack: str, stack_dir: Path | None = None) -> StackConfig:
    """`Pulumi.yaml` from `root`; `Pulumi.<stack>.yaml` from `stack_dir` (default `root`)."""
    project_file = _load_yaml(root / "Pulumi.yaml")
    if not isinstance(project_file, dict) or "name" not in project_file:
        raise StackFileError("Pulumi.yaml: not a Pulumi project file (no `name:`)")
    project = str(project_file["name"])
    stack_path = (stack_dir or root) / f"Pulumi.{stack}.yaml"
    stack_file = _load_yaml(stack_path)
    if not isinstance(stack_file, dict):
        raise StackFileError(f"{stack_path.name}: expected a mapping with a `config:` key")
    stack_config = stack_file.get("config") or {}
    if not isinstance(stack_config, dict):
        raise StackFileError(f"{stack_path.name}: `config:` must be a mapping of keys to values")

    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, decl in (project_file.get("config") or {}).items():
        full = key if ":" in key else f"{project}:{key}"
        default = decl.get("default") if isinstance(decl, dict) else decl
        if isinstance(decl, dict) and "value" in decl:
            default = decl["value"]
        if default is not None:
            values[full] = _as_config_text(default)

    for key, value in stack_config.items():
        if not isinstance(key, str):
            raise StackFileError(f"{stack_path.name}: config key {key!r} is not a string; quote it or name it ns:key")
        full = key if ":" in key else f"{project}:{key}"
        _check_value(stack_path.name, full, value)
        value, secret = _without_secure(value)
        if secret:
            secrets.add(full)
        values[full] = _as_config_text(value)
    return StackConfig(project, stack, values, frozenset(secrets))
