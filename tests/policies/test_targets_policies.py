"""The pack's rules on targets (issue 26): no token passthrough, no default grant on an upstream's
API, and a protected gateway enforces its tool access. Each on the compliant case, the
non-compliant one (with the fix named), preview unknowns, and the dev stack as the program plans it."""

from __future__ import annotations

from typing import Any

from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from offline.plan import make_plan
from rules.types import API, CLIENT_GRANT, GATEWAY_TARGET, GATEWAY_TARGETS, MCP_GATEWAY
from tests.helpers.policies import R, messages

PASSTHROUGH = "gateway-target-no-token-passthrough"
UPSTREAM = "upstream-api-no-third-party-grant"
ENFORCED = "protected-gateway-enforces-tool-access"
UPSTREAM_URL = "https://search.example.com/mcp"
# A resource under a gateway's GatewayTargets component: its URN holds the component's type.
UNDER_TARGETS = f"{GATEWAY_TARGETS}$"


def target(credentials: Any) -> R:
    return R(GATEWAY_TARGET, {"name": "search", "credentialProviderConfiguration": credentials}, name="t")


def test_a_target_with_its_own_credential_passes_and_passthrough_fails_naming_the_fix() -> None:
    for ok in ({"gatewayIamRole": {}}, {"oauth": {"providerArn": "arn:x", "scopes": ["s"]}}, {"apiKey": {}}):
        assert messages(PASSTHROUGH, [target(ok)]) == []
    for kind in ("jwtPassthrough", "callerIamCredentials"):
        (msg,) = messages(PASSTHROUGH, [target({kind: {}})])
        assert kind in msg and "forbids token passthrough" in msg
        assert "Use oauth" in msg and "apiKey or gatewayIamRole" in msg
    # A hand-written stack's one-item list.
    assert len(messages(PASSTHROUGH, [target([{"jwtPassthrough": {}}])])) == 1


def test_passthrough_is_safe_on_preview_unknowns() -> None:
    assert messages(PASSTHROUGH, [target(UNKNOWN_OBJECT_VALUE)]) == []
    assert messages(PASSTHROUGH, [target(None)]) == []


def upstream_api(identifier: Any = UPSTREAM_URL) -> R:
    return R(API, {"identifier": identifier}, name=f"{UNDER_TARGETS}gw-tools-targets-search-api")


def grant(audience: Any, default_for: Any = "third_party_clients", client: Any = None) -> R:
    inputs = {"audience": audience, "scopes": ["search:read"], "defaultFor": default_for, "clientId": client}
    return R(CLIENT_GRANT, {k: v for k, v in inputs.items() if v is not None}, name="g")


def test_a_default_grant_on_an_upstreams_api_fails_and_the_gateways_own_client_grant_passes() -> None:
    assert messages(UPSTREAM, [upstream_api(), grant(UPSTREAM_URL, default_for=None, client="gw-client")]) == []
    (msg,) = messages(UPSTREAM, [upstream_api(), grant(UPSTREAM_URL)])
    assert "default grant (third_party_clients)" in msg and "around the gateway" in msg
    assert "Remove the grant" in msg
    # A default grant on a gateway's own API (not under targets) is what DCR clients need: not this rule's.
    gateway_api = R(API, {"identifier": UPSTREAM_URL}, name="api-tools")
    assert messages(UPSTREAM, [gateway_api, grant(UPSTREAM_URL)]) == []


def test_the_upstream_rule_is_safe_on_preview_unknowns() -> None:
    assert messages(UPSTREAM, [upstream_api(), grant(UNKNOWN_STRING_VALUE)]) == []
    assert messages(UPSTREAM, [upstream_api(), grant(UPSTREAM_URL, default_for=UNKNOWN_STRING_VALUE)]) == []
    assert messages(UPSTREAM, [upstream_api(UNKNOWN_STRING_VALUE), grant(UPSTREAM_URL)]) == []


def gateway(mode: Any, protect: bool) -> R:
    inputs: dict[str, Any] = {"name": "tools-prod"}
    if mode is not None:
        inputs["policyEngine"] = {"arn": "arn:aws:bedrock-agentcore:us-east-1:1:policy-engine/e", "mode": mode}
    return R(MCP_GATEWAY, inputs, name="gw-tools-gateway", protect=protect, stack="prod")


def test_a_protected_gateway_in_log_only_is_advised_to_enforce() -> None:
    (msg,) = messages(ENFORCED, [gateway("LOG_ONLY", protect=True)])
    assert "LOG_ONLY" in msg and "toolAccess.mode: ENFORCE" in msg
    assert messages(ENFORCED, [gateway("ENFORCE", protect=True)]) == []
    assert messages(ENFORCED, [gateway("LOG_ONLY", protect=False)]) == []  # a dev stack rolling grants out
    assert messages(ENFORCED, [gateway(None, protect=True)]) == []
    assert messages(ENFORCED, [gateway(UNKNOWN_STRING_VALUE, protect=True)]) == []


def test_the_dev_stack_passes_and_a_protected_log_only_stack_is_advised(tmp_path: Any) -> None:
    from tests.helpers.stack import ROOT

    assert [v for v in make_plan("dev").policies if v["policy"] in (PASSTHROUGH, UPSTREAM, ENFORCED)] == []
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    text = text.replace("mode: ENFORCE", "mode: LOG_ONLY").replace("mcpauth:protect: false", "mcpauth:protect: true")
    (tmp_path / "Pulumi.dev.yaml").write_text(text)
    found = [v for v in make_plan("dev", stack_dir=tmp_path).policies if v["policy"] == ENFORCED]
    assert [v["enforcementLevel"] for v in found] == ["advisory"]
    assert found[0]["resource"].endswith("::gw-tools-gateway")
