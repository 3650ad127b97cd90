"""(d) A stack deployed by the first release moves to the one-resource gateway with no resource
created, replaced or deleted: the state export is rewritten (tools/migrate_state.py), checked here
against exports of the first release's dev and adopt stacks (tests/fixtures/state-*-0.json, made
from that release's program under the mock engine, in `pulumi stack export`'s v3 shape)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from components.gateway_resource import _REPLACES, _Provider, _spec
from offline.engine import run_program
from offline.stackfile import load_stack
from rules.types import MCP_GATEWAY as TYPE_TOKEN
from tests.helpers.stack import ROOT
from tools.migrate_state import OLD_AUTHORIZER, OLD_GATEWAY, migrate

FIXTURES = ROOT / "tests" / "fixtures"


def export(stack: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"state-{stack}-0.json").read_text()))


def by_urn(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in state["deployment"]["resources"]}


def registered(stack: str, stack_dir: Any = None) -> dict[str, Any]:
    """URN -> inputs of what today's program registers for the stack (under the mocks)."""
    seen: dict[str, Any] = {}
    cfg = dict(load_stack(ROOT, stack, stack_dir).values)
    # The stack file as the first release had it: settings added since (a default role, which
    # brings its assigner client) would be creates on top of the migration.
    tenant = json.loads(cfg.get("mcpauth:tenant", "{}"))
    tenant.pop("defaultRole", None)
    cfg["mcpauth:tenant"] = json.dumps(tenant)
    # Targets and tool access (issue 26) are creates on top of the migration too.
    gateways = json.loads(cfg.get("mcpauth:gateways", "[]"))
    for gw in gateways:
        gw.pop("targets", None)
        gw.pop("toolAccess", None)
    cfg["mcpauth:gateways"] = json.dumps(gateways)

    def keep(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        return out

    ev = run_program(cfg, stack, hook=keep)
    for r in ev.resources:
        seen[r.urn] = r
    return seen


@pytest.mark.parametrize(("stack", "stack_dir"), [("dev", None), ("adopt", ROOT / "examples" / "adopt")])
def test_every_resource_the_program_declares_is_found_in_the_migrated_state(stack: str, stack_dir: Any) -> None:
    before = export(stack)
    after, report = migrate(before)
    old, new = by_urn(before), by_urn(after)
    assert not [r for r in new.values() if r["type"] in (OLD_GATEWAY, OLD_AUTHORIZER)]
    gateways = [r for r in new.values() if r["type"] == TYPE_TOKEN]
    assert len(gateways) == len(report) == len([r for r in old.values() if r["type"] == OLD_GATEWAY]) > 0
    program = registered(stack, stack_dir)
    # The engine matches each declared resource to its state by URN or by one of its aliases, so
    # nothing is created (and since nothing is left over, nothing is deleted).
    matched = {u: next((a for a in [u, *r.aliases] if a in new), None) for u, r in program.items() if r.custom}
    assert all(matched.values()), sorted(u for u, m in matched.items() if not m)
    leftover = {u for u, r in new.items() if r.get("custom") and "pulumi:providers:" not in r["type"]} - set(
        matched.values()
    )
    assert leftover == set()
    for r in new.values():
        for dep in [*r.get("dependencies", []), *[d for v in r.get("propertyDependencies", {}).values() for d in v]]:
            assert dep in new, f"{r['urn']} depends on {dep}, which is not in the state"


def test_each_gateway_keeps_its_id_name_url_and_audience_and_no_input_forces_a_replace() -> None:
    before, (after, _) = export("dev"), migrate(export("dev"))
    old = {r["id"]: r for r in before["deployment"]["resources"] if r["type"] == OLD_GATEWAY}
    auths = {r["parent"]: r for r in before["deployment"]["resources"] if r["type"] == OLD_AUTHORIZER}
    program = registered("dev")
    for r in (r for r in after["deployment"]["resources"] if r["type"] == TYPE_TOKEN):
        was = old[r["id"]]
        assert r["outputs"]["name"] == was["outputs"]["name"]  # immutable in AWS
        assert r["outputs"]["gatewayUrl"] == was["outputs"]["gatewayUrl"]
        assert r["outputs"]["allowedAudiences"] == auths[was["parent"]]["outputs"]["allowedAudiences"]
        assert r["provider"] == auths[was["parent"]]["provider"] and r["parent"] == was["parent"]
        news = {**program[r["urn"]].inputs}
        checked = _Provider().check(r["inputs"], news).inputs
        assert [k for k in _REPLACES if r["inputs"].get(k) != checked.get(k)] == []
        assert checked["name"] == was["outputs"]["name"]  # the derived name changed; the old one is kept


def test_an_adopted_gateway_stays_adopted() -> None:
    (after, _) = migrate(export("adopt"))
    (gw,) = [r for r in after["deployment"]["resources"] if r["type"] == TYPE_TOKEN]
    assert gw["inputs"]["existingGatewayId"] == gw["id"] and gw["inputs"]["roleArn"] == ""


def test_a_migrated_state_migrates_to_itself_and_the_cli_reports_what_it_did(tmp_path: Any) -> None:
    after, _ = migrate(export("dev"))
    assert migrate(after) == (after, [])
    src = tmp_path / "before.json"
    src.write_text(json.dumps(export("dev")))
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "migrate_state.py"), str(src)], capture_output=True, text=True, check=True
    )
    assert json.loads(run.stdout) == after
    assert run.stderr.count("-> urn:pulumi:dev::mcpauth::") == 2
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    fail = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "migrate_state.py"), str(bad)], capture_output=True, text=True
    )
    assert fail.returncode == 2 and "not a `pulumi stack export` file" in fail.stderr


def test_a_state_not_yet_migrated_still_refreshes_and_destroys_without_touching_the_gateway(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first release's authorizer resources load their provider by reference
    (components.authorizer): until `make migrate-state`, it keeps what the state holds, changes
    nothing, calls no AWS API, and refuses to create one."""
    import boto3

    from components.authorizer import _Provider as Retired

    def no_aws(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the retired provider called AWS")

    monkeypatch.setattr(boto3, "client", no_aws)
    monkeypatch.setattr(boto3.session.Session, "client", no_aws)
    auth = next(r for r in export("dev")["deployment"]["resources"] if r["type"] == OLD_AUTHORIZER)
    provider = Retired()
    checked = provider.check(auth["inputs"], auth["inputs"])
    assert checked.inputs == auth["inputs"] and checked.failures == []
    assert provider.diff(auth["id"], auth["outputs"], auth["inputs"]).changes is False
    read = provider.read(auth["id"], auth["outputs"])
    assert (read.id, read.outs) == (auth["id"], auth["outputs"])
    assert provider.delete(auth["id"], auth["outputs"]) is None
    with pytest.raises(RuntimeError, match=r"^GatewayAuthorizer is retired: .*; run `make migrate-state`$"):
        provider.create(auth["inputs"])


# Every AgentCoreGateway's `__provider` input as the SDK wrote it (pulumi.dynamic.dynamic
# .serialize_provider) up to 886a15a, when the control-plane client was components/agentcore.py.
PICKLED_BEFORE = "gASVMAAAAAAAAACMG2NvbXBvbmVudHMuZ2F0ZXdheV9yZXNvdXJjZZSMCV9Qcm92aWRlcpSTlCmBlC4="


def test_a_provider_pickled_before_the_agentcore_package_loads_and_sees_drift(monkeypatch: pytest.MonkeyPatch) -> None:
    """The provider host loads the provider from the state as the SDK does (pulumi/dynamic/__main__.py,
    get_provider: dill.loads of the base64 text) and runs today's code: a stack deployed before the
    client moved to agentcore/ still previews, updates, refreshes and deletes its gateway."""
    import base64

    import dill

    from agentcore import client as agentcore

    provider = dill.loads(base64.b64decode(PICKLED_BEFORE))  # noqa: S301  (a literal of our own)
    assert type(provider) is _Provider
    url = "https://tools-dev-abc.gateway.bedrock-agentcore.eu-west-1.amazonaws.com/mcp"
    props = {
        "name": "tools-dev",
        "autoName": True,
        "region": "eu-west-1",
        "discoveryUrl": "https://acme.eu.auth0.com/.well-known/openid-configuration",
        "roleArn": "arn:aws:iam::123456789012:role/gw",
        "allowedScopes": ["read:tools"],
    }
    live = {
        "gatewayId": "gw-1",
        "name": "tools-dev",
        "status": "READY",
        "gatewayUrl": url,
        "protocolType": "MCP",
        "roleArn": props["roleArn"],
        "authorizerType": "CUSTOM_JWT",
        "authorizerConfiguration": {
            "customJWTAuthorizer": {"discoveryUrl": props["discoveryUrl"], "allowedAudience": ["urn:placeholder"]}
        },
    }
    monkeypatch.setattr(agentcore, "make_client", lambda _settings: object())
    monkeypatch.setattr(agentcore, "get_gateway", lambda _client, _id: live)
    assert provider.diff("gw-1", props, props).changes is True  # the placeholder audience shows as drift
    want = agentcore.desired_request(live, _spec(props))
    live = {**live, **{k: v for k, v in want.items() if k != "gatewayIdentifier"}}
    assert live["authorizerConfiguration"]["customJWTAuthorizer"]["allowedAudience"] == [url]
    assert provider.diff("gw-1", props, props).changes is False
