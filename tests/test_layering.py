"""One-way imports between the project's packages, read from the source with `ast` (imports inside
functions and under TYPE_CHECKING count: they run, or type-check, all the same).

    rules       the wiring rule and naming as pure functions: imports none of ours, so all of them may
                import it
    stackconfig the stack's config model and checks: rules, and the AWS service model
                (agentcore.awsmodel) to check values against; it declares nothing, so the program, the
                plan and the sandbox all read a stack through it
    agentcore   the AgentCore control-plane client and service model: rules only, and no Pulumi SDK
                (the gateway's dynamic provider calls it; so do the plan and the tests, without Pulumi)
    policies    the CrossGuard pack: rules only (the CLI loads it alone, with the repository root on
                its path)
    components  the Pulumi program: never what evaluates or checks it
    offline     the mock engine and `make plan`: the program, never verify or the sandbox
    verify      `make verify`: the stack outputs and rules only (never the config: it reads a deployed
                stack's outputs, whatever program made them)
    sandbox     `make sandbox` / `make demo`: may import offline and verify; nothing imports it,
                and it reads a plan only through offline/view.py
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.stack import ROOT

PACKAGES = ("rules", "stackconfig", "agentcore", "components", "offline", "policies", "verify", "sandbox")
PULUMI_SDKS = ("pulumi", "pulumi_aws", "pulumi_auth0", "pulumi_policy")

# package -> the packages it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "rules": ("stackconfig", "agentcore", "components", "offline", "policies", "verify", "sandbox"),
    "stackconfig": ("agentcore", "components", "offline", "policies", "verify", "sandbox"),
    "agentcore": ("stackconfig", "components", "offline", "policies", "verify", "sandbox", *PULUMI_SDKS),
    "policies": ("stackconfig", "agentcore", "components", "offline", "verify", "sandbox"),
    "components": ("offline", "policies", "verify", "sandbox"),
    "offline": ("verify", "sandbox"),
    "verify": ("stackconfig", "agentcore", "components", "offline", "sandbox"),
}
# Modules a package may import from a package it is otherwise kept from: the service model is a
# pure reader of botocore's data, and config checks names, patterns and enums against it before
# anything is declared; the client that calls AWS stays out of reach.
EXCEPTIONS: dict[str, tuple[str, ...]] = {"stackconfig": ("agentcore.awsmodel",)}

# What the sandbox must not read: the plan's records (offline/view.py reads them for it).
RECORD_ATTRIBUTES = ("evaluation", "resources", "of_type", "by_urn")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    path: str  # its file, relative to the root
    imported: str  # the imported module, dotted and absolute
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, path: str = "", is_package: bool = False) -> Iterator[Import]:
    """Every import in `source`, resolved to absolute dotted names: `from pkg import name` is
    `pkg.name` where that is one of the project's modules, else `pkg`."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, path, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = ROOT.joinpath(*target.split("."), alias.name)
                submodule = candidate.with_suffix(".py").exists() or (candidate / "__init__.py").exists()
                yield Import(module, path, f"{target}.{alias.name}" if submodule else target, node.lineno)


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(imports: Iterator[Import]) -> list[str]:
    found: list[str] = []
    for imp in dict.fromkeys(imports):  # one line per imported module, however many names
        package = imp.module.split(".")[0]
        for banned in FORBIDDEN.get(package, ()):
            if not _within(imp.imported, banned):
                continue
            if any(_within(imp.imported, allowed) for allowed in EXCEPTIONS.get(package, ())):
                continue
            found.append(
                f"{imp.path}:{imp.line}: {imp.module} imports {imp.imported} ({package} must not import {banned})"
            )
    return found


def _sources() -> Iterator[tuple[Path, str]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "node_modules" not in path.parts:
                yield path, _module_name(path)


def _all_imports() -> Iterator[Import]:
    for path, module in _sources():
        yield from imports_of(
            path.read_text(), module, str(path.relative_to(ROOT)), is_package=path.name == "__init__.py"
        )


def test_no_package_imports_against_the_layering() -> None:
    found = violations(_all_imports())
    assert not found, "imports against the layering (tests/test_layering.py):\n" + "\n".join(found)


def test_the_sandbox_reads_a_plan_only_through_offline_view() -> None:
    found = []
    for path, _ in _sources():
        if path.relative_to(ROOT).parts[0] != "sandbox":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in RECORD_ATTRIBUTES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert not found, "the sandbox reads the plan's records; use offline.view:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("module", "source", "says"),
    [
        ("offline.fake", "from verify.checks import run_all", "offline.fake imports verify.checks"),
        ("offline.fake", "def f():\n    import sandbox.sandbox", "offline.fake imports sandbox.sandbox"),
        ("verify.fake", "from offline import plan", "verify.fake imports offline.plan"),
        ("verify.fake", "from stackconfig.settings import Settings", "verify.fake imports stackconfig.settings"),
        ("verify.checks", "from stackconfig import settings", "verify.checks imports stackconfig.settings"),
        (
            "policies.fake",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import components.gateway",
            "policies",
        ),
        ("components.fake", "from ..offline import engine", "components.fake imports offline.engine"),
        ("sandbox.fake", "from verify.checks import run_all\nfrom offline.view import plan_view", ""),
        ("verify.fake", "from rules.urls import resource_url\nfrom rules import wiring", ""),
        ("rules.fake", "from components.gateway import McpGateway", "rules.fake imports components.gateway"),
        ("policies.fake", "from rules.wiring import audience_problems", ""),
        ("rules.fake", "from stackconfig.model import slug", "rules.fake imports stackconfig.model"),
        ("stackconfig.fake", "from components.program import build", "stackconfig.fake imports components.program"),
        ("stackconfig.fake", "from agentcore import client", "stackconfig.fake imports agentcore.client"),
        ("stackconfig.fake", "from rules.naming import slug", ""),
        ("agentcore.fake", "import pulumi.dynamic as dyn", "agentcore.fake imports pulumi.dynamic"),
        ("agentcore.fake", "def f():\n    import pulumi_aws", "agentcore.fake imports pulumi_aws"),
        ("agentcore.fake", "from stackconfig.aws import HONOURED", "agentcore.fake imports stackconfig.aws"),
        ("agentcore.fake", "from components import gateway_resource", "agentcore.fake imports components.gateway"),
        ("agentcore.fake", "from rules.urls import resource_url\nimport botocore", ""),
        ("components.fake", "from agentcore import client\nfrom stackconfig import settings", ""),
        ("components.fake", "from policies.offline import run_pack", "components.fake imports policies.offline"),
    ],
)
def test_the_check_names_the_module_and_the_import(module: str, source: str, says: str) -> None:
    found = violations(imports_of(source, module, module.replace(".", "/") + ".py"))
    if says:
        assert found and all(says in f for f in found), found
    else:
        assert found == []


# The SDK's internals the offline engine relies on: only offline/pulumi_internals.py may touch them.
PULUMI_INTERNALS = "offline/pulumi_internals.py"
INTERNAL_MODULES = (
    "pulumi.runtime.settings",
    "pulumi.runtime.resource",
    "pulumi.runtime.sync_await",
    "pulumi.runtime.stack",
)


def private_pulumi_uses(source: str) -> list[int]:
    """Lines that import a private name from a pulumi module or an internal runtime module, or read
    a private attribute of a pulumi module."""
    found: list[int] = []
    modules: set[str] = set()  # local names bound to pulumi modules
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _within(alias.name, "pulumi"):
                    modules.add(alias.asname or alias.name.split(".")[0])
                    if any(_within(alias.name, m) for m in INTERNAL_MODULES):
                        found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module and _within(node.module, "pulumi"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if alias.name.startswith("_") or any(
                    _within(full, m) or _within(node.module, m) for m in INTERNAL_MODULES
                ):
                    found.append(node.lineno)
                modules.add(alias.asname or alias.name)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in modules:
                found.append(node.lineno)
    return sorted(set(found))


def test_the_sdks_private_parts_are_used_only_in_offline_pulumi_internals() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path, _ in [*_sources(), *((p, "") for p in sorted((ROOT / "tools").glob("*.py")))]
        if str(path.relative_to(ROOT)) != PULUMI_INTERNALS
        for line in private_pulumi_uses(path.read_text())
    ]
    assert not found, f"private Pulumi SDK parts outside {PULUMI_INTERNALS}:\n" + "\n".join(found)
    assert private_pulumi_uses((ROOT / PULUMI_INTERNALS).read_text())  # the check sees what it must


@pytest.mark.parametrize(
    ("source", "lines"),
    [
        ("from pulumi.runtime.sync_await import _sync_await", [1]),
        ("from pulumi.runtime import settings as s\ns.ROOT.set(None)", [1]),
        ("from pulumi.runtime import mocks as m\nm._sync_await = None", [2]),
        ("import pulumi\npulumi.runtime.settings._get_rpc_manager()", [2]),
        ("import pulumi\nfrom pulumi.runtime import mocks\npulumi.export('a', 1)\nclass M(mocks.Mocks): ...", []),
    ],
)
def test_the_private_use_check_names_the_line(source: str, lines: list[int]) -> None:
    assert private_pulumi_uses(source) == lines
