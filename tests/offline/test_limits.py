"""Auth0's free plan caps APIs and applications per tenant: the plan counts what a stack, and the
stacks sharing its tenant, declare, and warns past the cap before `up` fails on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline.plan import make_plan
from offline.render import render_text, to_document
from tests.conftest import ROOT


def _stack(folder: Path, name: str, domain: str, gateways: int, clients: int = 0, **tenant: object) -> None:
    gws = [{"name": f"gw-{i}"} for i in range(gateways)]
    mcs = [{"name": f"mc-{i}", "gateway": "gw-0", "scopes": ["read:tools"]} for i in range(clients)]
    lines = [
        "config:",
        "  aws:region: us-east-1",
        f"  auth0:domain: {domain}",
        f"  mcpauth:tenant: {json.dumps(tenant)}",
        f"  mcpauth:gateways: {json.dumps(gws)}",
        f"  mcpauth:machineClients: {json.dumps(mcs)}",
    ]
    (folder / f"Pulumi.{name}.yaml").write_text("\n".join(lines) + "\n")


def _plan(folder: Path, name: str):  # type: ignore[no-untyped-def]
    return make_plan(name, stack_dir=folder, policies=lambda *_: [])


def test_a_stack_over_the_free_plan_s_api_count_is_warned(tmp_path: Path) -> None:
    _stack(tmp_path, "big", "big-test.us.auth0.com", gateways=11, clients=1)
    plan = _plan(tmp_path, "big")
    assert plan.limits == [
        "APIs: this stack declares 11; Auth0's free plan allows 10 per tenant (Entity Limit Policy), "
        "so `up` fails on a free tenant once it holds 10. Use fewer gateways per tenant, or a paid plan"
    ]
    assert "Auth0 free-plan limits" in render_text(plan)
    assert to_document(plan)["limits"] == plan.limits
    assert not plan.failed, "a warning: the tenant may be on a paid plan"


def test_applications_count_machine_clients_the_role_assigner_and_cimd_clients(tmp_path: Path) -> None:
    cimd = {"clients": [f"https://c{i}.example.com/client.json" for i in range(2)]}
    _stack(
        tmp_path,
        "apps",
        "apps-test.us.auth0.com",
        gateways=1,
        clients=8,
        defaultRole="MCP User",
        clientIdMetadataDocuments=cimd,
    )
    plan = _plan(tmp_path, "apps")
    # 8 machine clients + the role assigner + 2 CIMD clients.
    (msg,) = plan.limits
    assert msg.startswith("applications: this stack declares 11; Auth0's free plan allows 10 per tenant")


def test_stacks_sharing_a_tenant_are_counted_together(tmp_path: Path) -> None:
    domain = "shared-test.eu.auth0.com"
    _stack(tmp_path, "owner", domain, gateways=4, teamStacks=["acme/mcpauth/team-1", "acme/mcpauth/team-2"])
    _stack(tmp_path, "team-1", domain, gateways=4, manage=False, owner="acme/mcpauth/owner")
    _stack(tmp_path, "team-2", domain, gateways=3, manage=False, owner="acme/mcpauth/owner")
    _stack(tmp_path, "elsewhere", "other-test.eu.auth0.com", gateways=9)
    plan = _plan(tmp_path, "team-2")
    assert plan.limits == [
        f"APIs: the 3 stacks on tenant {domain} (owner, team-1, team-2) declare 11; Auth0's free plan allows 10 "
        "per tenant (Entity Limit Policy), so `up` fails on a free tenant once it holds 10. Use fewer gateways "
        "per tenant, or a paid plan"
    ]


@pytest.mark.parametrize(
    ("stack_dir", "stack"),
    [(ROOT, "dev"), (ROOT, "prod"), *((ROOT / "examples" / "shared-tenant", s) for s in ("platform", "team-a"))],
)
def test_the_count_from_config_is_what_the_program_declares(stack_dir: Path, stack: str) -> None:
    """Other stacks on the tenant are counted from their config; that count must be what the program
    declares, or the tenant total drifts from the truth."""
    from offline.limits import declared, from_settings
    from offline.tenants import stacks_on_tenant

    plan = _plan(stack_dir, stack)
    assert from_settings(stacks_on_tenant(stack, stack_dir)[stack]) == declared(plan.evaluation)
    assert plan.limits == []
