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
from stackconfig.secrets import cut


class StackFileError(Exception):
    """A stack or project file that is missing or does not parse; names the file. Long values in
    the message are cut (a stack file holds ciphertext, never a plain secret, so nothing hides)."""

    def __init__(self, message: str) -> None:
        super().__init__(cut(message))


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
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<`: yaml.v3 merges it, and a key written here wins over a merged one
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", key_node.start_mark
                )
            seen[key] = True
        self.flatten_mapping(node)  # merge keys, as SafeConstructor does before its own mapping
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


# Far beyond any stack file (a dozen gateways is a few KB), and small enough to read at once.
MAX_FILE_BYTES = 1024 * 1024

# Go's yaml.v3 (decode.go, `unmarshal` and `allowedAliasRatio`) fails a decode with "document
# contains excessive aliasing" once more than 100 of its decoded nodes came through an alias, more
# than 1,000 were decoded, and the aliased share exceeds 99% (up to 400,000 decoded nodes), falling
# linearly to 10% at 4,000,000. Pulumi reads stack files with it; the same rule here stops an alias
# bomb before anything expands it.
_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000


def _allowed_alias_ratio(decoded: int) -> float:
    if decoded <= _ALIAS_RATIO_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def _check_aliasing(root: Any) -> None:
    """Walk the composed document as yaml.v3 decodes it: a node reached again (PyYAML composes an
    alias as its anchor's node) is an alias, and what is under it counts as aliased."""
    decoded = aliased = 0
    seen: set[int] = set()
    on_path: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(root, 0, False)]  # (node, alias depth, leaving)
    while stack:
        node, depth, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        decoded += 1
        if depth:
            aliased += 1
        if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
            raise ValueError("the document contains excessive aliasing (more alias expansion than yaml.v3 allows)")
        if id(node) in on_path:
            raise ValueError("an anchor's value contains itself")
        if id(node) in seen:
            depth += 1  # an alias: yaml.v3 counts the alias node, then its target as aliased
            decoded += 1
            aliased += 1
        seen.add(id(node))
        if isinstance(node, (yaml.SequenceNode, yaml.MappingNode)):
            on_path.add(id(node))
            stack.append((node, depth, True))
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for kv in node.value for n in kv]
            stack.extend((child, depth, False) for child in reversed(children))


def _stacks_in(folder: Path) -> str:
    names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.?*.yaml"))
    return ", ".join(names) or "none"


def _load_yaml(path: Path, *, stack_file: bool = False) -> Any:
    if not path.is_file():
        hint = (
            f"; stacks there: {_stacks_in(path.parent)}. Name one with STACK=<stack>, or point "
            "STACK_DIR=<folder> at the folder that holds Pulumi.<stack>.yaml"
            if stack_file
            else ""
        )
        raise StackFileError(f"{path.name}: no such file in {path.parent}{hint}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise StackFileError(
            f"{path.name}: {size / 1024 / 1024:.1f} MiB; a stack file is read only up to "
            f"{MAX_FILE_BYTES // 1024 // 1024} MiB (a few KB is usual)"
        )
    loader = _Yaml12Loader(path.read_text())
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        try:
            _check_aliasing(node)
        except ValueError as e:
            raise StackFileError(f"{path.name}: YAML refused: {e}") from None
        return loader.construct_document(node) or {}
    except RecursionError:
        raise StackFileError(f"{path.name}: YAML refused: nested too deeply") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise StackFileError(f"{path.name}: YAML does not parse{where}: {cut(str(problem))}") from None
    finally:
        loader.dispose()


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
            _check_value(file, f"{path}.{k if len(k) <= 60 else k[:40] + '…'}", v)
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
    stack_file = _load_yaml(stack_path, stack_file=True)
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
