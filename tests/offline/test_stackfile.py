"""Stack files as Pulumi reads them (Go's yaml.v3), and the plan that reads them: what a hostile
or careless stack file must not do to `make plan` and `make plan-summary`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from offline.stackfile import StackFileError, load_stack
from stackconfig.model import ConfigError
from stackconfig.settings import load_settings
from tests.conftest import ROOT, make_config

BASE = "config:\n  aws:region: us-east-1\n  auth0:domain: a.us.auth0.com\n"


def laughs(levels: int, fanout: int) -> str:
    """The billion-laughs document: each level a list of `fanout` aliases of the one below."""
    lines = ["  mcpauth:l0: &l0 lol"]
    for i in range(1, levels + 1):
        lines.append(f"  mcpauth:l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fanout)}]")
    return BASE + "\n".join(lines) + "\n  mcpauth:gateways: [{name: tools}]\n"


def test_a_document_mostly_made_of_alias_expansion_is_refused_as_yaml_v3_refuses_it(tmp_path: Path) -> None:
    """yaml.v3 (decode.go, `allowedAliasRatio`) fails a decode once more than 100 aliased nodes
    make up more than 99% of over 1,000 decoded ones; 9^6 expanded strings is far past that."""
    (tmp_path / "Pulumi.s.yaml").write_text(laughs(6, 9))
    with pytest.raises(StackFileError, match=r"Pulumi\.s\.yaml: .*excessive aliasing"):
        load_stack(ROOT, "s", tmp_path)


def test_a_billion_laughs_is_refused_at_once(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.s.yaml").write_text(laughs(9, 9))
    started = time.monotonic()
    with pytest.raises(StackFileError, match="excessive aliasing"):
        load_stack(ROOT, "s", tmp_path)
    assert time.monotonic() - started < 5


def test_modest_aliases_and_merge_keys_are_read_as_pulumi_reads_them(tmp_path: Path) -> None:
    """yaml.v3 takes `<<` merge keys; an explicit key wins over a merged one."""
    (tmp_path / "Pulumi.s.yaml").write_text(
        BASE
        + "  mcpauth:scopes: &scopes {read:tools: Read, tools.run: Run}\n"
        + "  mcpauth:gateways:\n"
        + "    - &tools {name: tools, requiredPermissions: [tools.run], tokenLifetimeSeconds: 900}\n"
        + "    - <<: *tools\n      name: docs\n"
    )
    values = load_stack(ROOT, "s", tmp_path).values
    assert json.loads(values["mcpauth:gateways"]) == [
        {"name": "tools", "requiredPermissions": ["tools.run"], "tokenLifetimeSeconds": 900},
        {"name": "docs", "requiredPermissions": ["tools.run"], "tokenLifetimeSeconds": 900},
    ]
    # A key given twice by hand is still refused.
    (tmp_path / "Pulumi.t.yaml").write_text(BASE + "  mcpauth:gateways:\n    - {<<: {a: 1}, name: x, name: y}\n")
    with pytest.raises(StackFileError, match="key 'name' appears twice"):
        load_stack(ROOT, "t", tmp_path)


def test_a_stack_file_larger_than_any_stack_needs_is_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.s.yaml").write_text(BASE + "  mcpauth:issuer: " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(StackFileError) as info:
        load_stack(ROOT, "s", tmp_path)
    assert "Pulumi.s.yaml: " in str(info.value) and "MiB" in str(info.value) and len(str(info.value)) < 300


def test_a_long_key_in_a_stack_file_error_is_cut(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.s.yaml").write_text(BASE + f"  mcpauth:gateways: [{{name: tools, {'k' * 1000}: {{7: x}}}}]\n")
    with pytest.raises(StackFileError) as info:
        load_stack(ROOT, "s", tmp_path)
    assert "key 7 is not a string" in str(info.value) and len(str(info.value)) < 400


def test_a_missing_stack_file_lists_the_stacks_there_and_stack_dir(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(BASE)
    (tmp_path / "Pulumi.prod.yaml").write_text(BASE)
    with pytest.raises(StackFileError) as info:
        load_stack(ROOT, "staging", tmp_path)
    msg = str(info.value)
    assert msg.startswith(f"Pulumi.staging.yaml: no such file in {tmp_path}")
    assert "stacks there: dev, prod" in msg and "STACK_DIR=" in msg
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(StackFileError, match="stacks there: none"):
        load_stack(ROOT, "staging", empty)


@pytest.mark.parametrize("value", ["yes", "'1'", "off", "'on'", "1", "0", "y"])
def test_a_boolean_key_takes_only_true_or_false(tmp_path: Path, value: str) -> None:
    """Pulumi's config reads a boolean as "true"/"True" or "false"/"False" and refuses anything
    else (pulumi SDK, config.py `_get_bool`: ConfigTypeError)."""
    body = f"  mcpauth:protect: {value}\n  mcpauth:gateways: [{{name: tools}}]\n"
    (tmp_path / "Pulumi.s.yaml").write_text(BASE + body)
    sc = load_stack(ROOT, "s", tmp_path)
    with pytest.raises(ConfigError) as info:
        load_settings(sc.values, "s", sc.secret_keys)
    (problem,) = info.value.problems
    assert problem.startswith("mcpauth:protect: got ") and "true or false" in problem, problem


def test_a_nested_boolean_takes_only_true_or_false() -> None:
    cfg = make_config(tenant={"connection": {"disableSignup": "no"}}, gateways=None)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, "test")
    assert info.value.problems == [
        "mcpauth:tenant.connection.disableSignup: got 'no': a boolean takes only true or false "
        "(as Pulumi's config reads booleans)"
    ]


@pytest.mark.parametrize("text", ["true", "True", "false", "False"])
def test_the_booleans_pulumi_accepts_are_accepted(text: str) -> None:
    s = load_settings({**make_config(), "mcpauth:protect": text}, "test")
    assert s.project.protect is (text.lower() == "true")


def test_an_error_shows_a_long_value_cut_short() -> None:
    long = "https://" + "a" * 200_000 + ".example.com/path"
    with pytest.raises(ConfigError) as info:
        load_settings({**make_config(), "mcpauth:issuer": long, "aws:region": "r" * 5000}, "test")
    for problem in info.value.problems:
        assert len(problem) < 600, problem[:200]
    joined = "\n".join(info.value.problems)
    assert "200025 characters" in joined and "5000 characters" in joined


def test_default_roles_that_miss_the_users_scopes_name_the_default_not_a_key_never_written() -> None:
    found = load_problems(make_config(scopes={"tools.read": "Read"}, gateways=[{"name": "tools"}]))
    assert found == [
        "mcpauth:roles: not set, so the default roles (MCP User, MCP Admin) apply, and they hold "
        "'read:tools', 'execute:tools', 'read:resources', 'write:resources', 'admin', which mcpauth:scopes "
        "does not define (tools.read); set mcpauth:roles to roles of your scopes, or define those scopes"
    ]


def test_default_elevated_permissions_that_miss_the_users_scopes_say_they_are_the_default() -> None:
    cfg = make_config(scopes={"tools.read": "Read"}, roles={}, tenant={"claims": {"adminEmailDomain": "acme.com"}})
    assert load_problems(cfg) == [
        "mcpauth:tenant.claims.elevatedPermissions: not set, so the default ['admin'] applies with adminEmailDomain, "
        "and mcpauth:scopes does not define 'admin' (tools.read); set elevatedPermissions to scopes you define"
    ]


def load_problems(cfg: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, "test")
    return info.value.problems
