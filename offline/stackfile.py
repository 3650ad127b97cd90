"""Read `Pulumi.yaml` and `Pulumi.<stack>.yaml` into the config map a program receives.

What the Pulumi CLI does before it starts the program: project defaults first, stack values
over them, structured values handed over as JSON text. `secure:` values are never decrypted:
they become `[secret]` and their keys are listed as secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class StackFileError(Exception):
    """A stack or project file that is missing or does not parse; names the file."""


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, Any]
    secret_keys: frozenset[str]


def _load_yaml(path: Path) -> Any:
    if not path.is_file():
        raise StackFileError(f"{path.name}: no such file in {path.parent}")
    try:
        return yaml.safe_load(path.read_text()) or {}
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


def _contains_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


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
        full = key if ":" in key else f"{project}:{key}"
        if _contains_secure(value):
            secrets.add(full)
            values[full] = "[secret]"
            continue
        values[full] = _as_config_text(value)
    return StackConfig(project, stack, values, frozenset(secrets))
