"""The pack on the offline plan: stacks that pass config validation but break one rule each."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline.plan import make_plan
from tests.helpers.stack import ROOT, plan_cli


def stack(tmp_path: Path, name: str, **project: object) -> Path:
    base = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    for key, value in project.items():
        base["config"][f"mcpauth:{key}"] = value
    (tmp_path / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(base))
    return tmp_path


def tenant(**kw: object) -> dict[str, object]:
    base = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["mcpauth:tenant"]
    return {**base, **kw}


def gateways(**kw: object) -> list[dict[str, object]]:
    gws = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]["mcpauth:gateways"]
    gws[0].update(kw)
    return gws


def clients_with_admin() -> list[dict[str, object]]:
    return [{"name": "ops", "gateway": "tools", "scopes": ["read:tools", "admin"]}]


def test_dev_passes_every_mandatory_rule() -> None:
    plan = make_plan("dev")
    assert [p for p in plan.policies if p["enforcementLevel"] == "mandatory"] == []
    assert not plan.failed


@pytest.mark.parametrize(
    "name, project, rule, level",
    [
        (
            "aud-none",
            {"tenant": tenant(resourceParameterProfile="audience")},
            "audience-resolution",
            "mandatory",
        ),
        ("prod-eu", {}, "protect-production", "advisory"),
        (
            "admin-client",
            {"machineClients": clients_with_admin()},
            "machine-client-least-privilege",
            "advisory",
        ),
        (
            "long-tokens",
            {"gateways": gateways(tokenLifetimeSeconds=172800)},
            "token-lifetime-max",
            "advisory",
        ),
    ],
)
def test_each_config_fails_exactly_its_rule(
    tmp_path: Path, name: str, project: dict[str, object], rule: str, level: str
) -> None:
    plan = make_plan(name, stack_dir=stack(tmp_path, name, **project))
    assert {p["policy"] for p in plan.policies} == {rule}
    assert {p["enforcementLevel"] for p in plan.policies} == {level}
    assert plan.failed == (level == "mandatory")
    assert all(not w.problems for w in plan.wiring)  # the wiring itself is fine


@pytest.mark.parametrize("profile", ["audience", "compatibility"])
def test_a_default_audience_with_two_gateways_is_refused_before_anything_is_declared(
    tmp_path: Path, profile: str
) -> None:
    """Auth0 applies a tenant default audience to every authorization request: with dev's two
    gateways one would get the other's tokens, whatever the profile (the pack says so too)."""
    from stackconfig.model import ConfigError

    d = stack(tmp_path, "aud", tenant=tenant(resourceParameterProfile=profile, defaultAudience="tools"))
    with pytest.raises(
        ConfigError,
        match=r"tenant.defaultAudience: got 'tools': a tenant default audience is set while 2",
    ):
        make_plan("aud", stack_dir=d)


@pytest.mark.slow  # the plan command in a process of its own
def test_a_mandatory_failure_exits_1_through_the_plan_command(tmp_path: Path) -> None:
    d = stack(tmp_path, "aud", tenant=tenant(resourceParameterProfile="audience"))
    done = plan_cli("--stack", "aud", "--stack-dir", str(d))
    assert done.returncode == 1
    assert "✗ mandatory audience-resolution (tenant-settings)" in done.stdout
    assert "Set resourceParameterProfile: compatibility" in done.stdout


def test_protected_prod_stack_passes(tmp_path: Path) -> None:
    plan = make_plan("prod-eu", stack_dir=stack(tmp_path, "prod-eu", protect=True))
    assert plan.policies == []


def test_the_pack_is_what_the_cli_runs() -> None:
    meta = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"]["name"] == "python"
    assert "pulumi-policy" in (ROOT / "policies" / "requirements.txt").read_text()
    # __main__ only builds the pack (constructing it serves gRPC, so no test imports it).
    tree = ast.parse((ROOT / "policies" / "__main__.py").read_text())
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert calls.count("PolicyPack") == 1


def test_policy_config_for_the_cli_describes_the_stack() -> None:
    import json

    done = plan_cli("--stack", "dev", "--policy-config")
    assert done.returncode == 0, done.stderr
    cfg = json.loads(done.stdout)
    assert cfg["gateway-custom-jwt"] == {"issuer": "https://mcpauth-dev.us.auth0.com/"}
    assert "mcpauth-dev.us.auth0.com" in cfg["gateway-no-allowed-clients"]["auth0Hosts"]


def _preview_violations(config: dict[str, Any], stack: str = "pv") -> list[dict[str, Any]]:
    from offline.engine import run_program
    from policies.offline import run_policies
    from stackconfig.settings import load_settings

    ev = run_program(config, stack, preview=True)
    return run_policies(ev, load_settings(config, stack))


def test_a_preview_of_a_new_stack_has_no_false_failure(dev_config: dict[str, Any]) -> None:
    """`pulumi preview` of a new stack knows no gateway id or URL (so no API identifier): the pack
    must not fail on those unknowns. Before, `third-party-clients-ready` did, for every API."""
    from offline.engine import run_program

    ev = run_program(dev_config, "pv", preview=True)
    # A gateway's API; an upstream's (a target's) has its own URL, known before anything exists.
    (api, *_) = [
        r for r in ev.resources if r.type == "auth0:index/resourceServer:ResourceServer" and "Targets" not in r.urn
    ]
    assert api.inputs["identifier"] == "[unknown]"
    assert _preview_violations(dev_config) == []


def test_a_preview_still_catches_what_it_can_know(dev_config: dict[str, Any]) -> None:
    """No false pass: what is known at preview is still checked (a machine client granted admin;
    a custom-domain gateway's audience)."""
    from tests.helpers.stack import make_config

    bad = make_config(
        [{"name": "tools", "domain": "mcp.example.com"}],
        machineClients=[{"name": "ops", "gateway": "tools", "scopes": ["admin"]}],
    )
    found = {v["policy"] for v in _preview_violations(bad)}
    assert "machine-client-least-privilege" in found


def _drifted(**outputs: Any) -> Any:
    """The dev plan with the tools gateway's state changed after `up` (what `pulumi refresh`
    reads back from a gateway someone changed in the console)."""
    from rules.types import MCP_GATEWAY

    def hook(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if typ == MCP_GATEWAY and name == "gw-tools-gateway":
            out.update(outputs)
        return out

    return make_plan("dev", hook=hook)


def test_the_pack_judges_a_gateway_s_state_not_only_what_the_program_gave_it() -> None:
    """A stack policy sees each resource's state after `up`: its inputs and what the provider
    computed. An audience drifted from the API identifier is caught from the state."""
    plan = _drifted(allowedAudiences=["https://other.example.com/mcp"])
    found = {(p["policy"], p["enforcementLevel"]) for p in plan.policies}
    assert ("gateway-audience-is-api-identifier", "mandatory") in found, plan.policies
    assert plan.failed


def test_the_plan_s_pack_knows_the_stack_s_issuer() -> None:
    """The plan hands the pack the stack's own issuer, as `make policy-config` hands it to
    `pulumi preview`: a gateway trusting another issuer's discovery URL fails."""
    plan = _drifted(discoveryUrl="https://evil.example.com/.well-known/openid-configuration")
    msgs = [p["message"] for p in plan.policies if p["policy"] == "gateway-custom-jwt"]
    assert msgs and "https://mcpauth-dev.us.auth0.com/" in msgs[0], plan.policies


def test_the_plan_s_pack_knows_whether_the_stack_owns_the_tenant() -> None:
    """The tenant's owner must have the domain-level connection itself; a team stack's pack is told
    the owner has it, and that its own APIs still need the third-party grant."""
    from rules.types import CLIENT_GRANT, CONNECTION

    def connection_drifted(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if typ == CONNECTION:
            out["isDomainConnection"] = False
        return out

    owner = make_plan("dev", hook=connection_drifted)
    assert [p["policy"] for p in owner.policies] == ["third-party-clients-ready"]
    assert "no connection in this stack is domain-level" in owner.policies[0]["message"]

    def grant_drifted(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if typ == CLIENT_GRANT and name.endswith("-third-party-grant"):
            out["audience"] = "https://elsewhere.example.com/mcp"
        return out

    team = make_plan("team-a", stack_dir=ROOT / "examples" / "shared-tenant", hook=grant_drifted)
    found = [p for p in team.policies if p["policy"] == "third-party-clients-ready"]
    assert found and "has no default grant for third-party clients" in found[0]["message"], team.policies
