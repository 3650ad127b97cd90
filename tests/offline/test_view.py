"""offline/view.py: the typed view of a plan the sandbox stands up, read from the plan's records
once, here, so that nothing downstream walks records by type strings or resource names."""

from __future__ import annotations

import dataclasses

import pytest

from offline.plan import make_plan
from offline.view import PlanView, plan_view
from tests.helpers.stack import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "interactive"


@pytest.fixture(scope="module")
def dev() -> PlanView:
    return plan_view(make_plan("dev", policies=lambda *_: []))


def test_each_gateway_carries_the_wiring_rows_strings(dev: PlanView) -> None:
    plan = make_plan("dev", policies=lambda *_: [])
    assert [g.name for g in dev.gateways] == [row.gateway for row in plan.wiring] == ["tools", "docs"]
    for row in plan.wiring:
        gw = dev.gateway(row.gateway)
        assert gw.resource_url == row.resource_url == gw.api_identifier == row.api_identifier
        assert gw.allowed_audiences == (row.api_identifier,) and gw.discovery_url == row.discovery_url
        assert gw.gateway_id == dev.outputs["gateways"][gw.name]["gatewayId"]
    tools = dev.gateway("tools")
    assert tools.required_permissions == ("read:tools",) and tools.allowed_scopes == ("read:tools",)
    assert tools.allowed_clients == () and tools.custom_claims == ()


def test_apis_clients_roles_and_tenant(dev: PlanView) -> None:
    tools = dev.gateway("tools").api_identifier
    apis = {a.identifier: a for a in dev.apis}
    assert set(apis) == {g.api_identifier for g in dev.gateways}
    assert apis[tools].allow_offline_access and "read:tools" in apis[tools].scopes
    assert apis[tools].third_party_scopes is not None and "admin" not in apis[tools].third_party_scopes
    clients = {c.name: c for c in dev.clients}
    smoke = clients["smoke-tools"]
    assert smoke.client_id == dev.outputs["machineClients"]["smoke-tools"]["clientId"]
    assert smoke.grant_types == ("client_credentials",) and smoke.grants == {tools: ("read:tools", "execute:tools")}
    roles = {r.name: r for r in dev.roles}
    assert set(roles) == {"MCP User", "MCP Admin"} and "admin" in roles["MCP Admin"].permissions[tools]
    assert dev.issuer == "https://mcpauth-dev.us.auth0.com/"
    assert dev.tenant.dynamic_registration and dev.tenant.domain_connection
    assert dev.tenant.resource_parameter_profile == "compatibility" and dev.tenant.default_audience is None
    assert dev.tenant.action_config is not None and tools in dev.tenant.action_config


def test_claim_rules_come_through_and_the_view_is_frozen() -> None:
    view = plan_view(make_plan("claims", stack_dir=FIXTURES, policies=lambda *_: []))
    rules = view.gateway("tools").custom_claims
    assert rules and all(r["inboundTokenClaimName"] == "permissions" for r in rules)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.gateway("tools").name = "other"  # type: ignore[misc]


def test_a_gateways_targets_and_policies_as_the_program_declares_them(dev: PlanView) -> None:
    """What the sandbox stands up for `tools`: each target's kind, URL, tools and outbound client, and
    the Cedar statements of its policy engine with the gateway's ARN in them."""
    tools = dev.gateway("tools")
    search, ops = (next(t for t in tools.targets if t.name == n) for n in ("search", "ops"))
    assert (search.kind, search.endpoint, search.credential) == (
        "mcpServer",
        "https://search.dev.example.com/mcp",
        "oauth",
    )
    assert [t["name"] for t in search.tools] == ["find", "get"]  # the config's `tools` (output `targets`)
    assert (search.audience, search.scopes) == ("https://search.dev.example.com/mcp", ("search:read",))
    # The gateway's own machine client for the upstream, granted on the upstream's API only.
    client = next(c for c in dev.clients if c.client_id == search.client_id)
    assert dict(client.grants) == {"https://search.dev.example.com/mcp": ("search:read",)}
    assert (ops.kind, ops.credential, ops.endpoint) == ("lambda", "gatewayIamRole", "")
    delete = next(t for t in ops.tools if t["name"] == "delete_item")
    assert delete["inputSchema"]["required"] == ["id"] and delete["inputSchema"]["properties"]["id"]["type"] == "string"
    assert tools.policy_mode == "ENFORCE" and len(tools.policies) == 2
    assert all(f'AgentCore::Gateway::"{tools.gateway_arn}"' in p for p in tools.policies)
    assert tools.gateway_arn.startswith("arn:aws:bedrock-agentcore:us-east-1:")
    assert dev.gateway("docs").targets == () and dev.gateway("docs").policies == ()
