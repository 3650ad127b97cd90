"""Pulumi.yaml and the example stacks say what the program accepts."""

from __future__ import annotations

import yaml

from offline.stackfile import load_stack
from stackconfig.model import ProjectConfig
from stackconfig.settings import load_settings
from tests.helpers.stack import ROOT

# Pulumi's project schema: a declared config key has one of these types (objects are not
# expressible), arrays need `items`.
PULUMI_CONFIG_TYPES = {"string", "integer", "boolean", "array"}


def test_pulumi_yaml_is_a_python_pip_venv_project() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "mcpauth"
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": "venv"},
    }


def test_declared_keys_fit_pulumis_schema_and_match_the_program_defaults() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    declared = project["config"]
    fields = {(f.alias or n): f for n, f in ProjectConfig.model_fields.items()}
    for key, decl in declared.items():
        ns, _, name = key.partition(":")
        assert ns == "mcpauth" and name in fields, key
        assert decl["type"] in PULUMI_CONFIG_TYPES, key
        assert decl.get("description"), key
        default = fields[name].default
        assert decl["default"] == ("" if default is None else default), key
    # Every key, typed or not, is documented in the file's header comment.
    text = (ROOT / "Pulumi.yaml").read_text()
    for name in fields:
        assert f"mcpauth:{name}" in text, name


def test_every_committed_stack_file_is_valid() -> None:
    stacks = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))
    assert "dev" in stacks
    for stack in stacks:
        sc = load_stack(ROOT, stack)
        load_settings(sc.values, stack, sc.secret_keys)


def test_dev_stack_is_a_realistic_two_gateway_example() -> None:
    s = load_settings(load_stack(ROOT, "dev").values, "dev")
    assert len(s.project.gateways) == 2
    assert s.project.machine_clients
    assert s.project.tenant.manage
