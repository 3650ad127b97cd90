"""What the program declares for a gateway's targets under Pulumi's mocks: each target with its own
outbound credential (never the caller's token), the gateway's role scoped to those credentials and
its policy engine, the engine attached to the gateway, and one Cedar policy per grant."""

from __future__ import annotations

import json
from typing import Any

import cedarpy
import pytest

from offline.engine import Evaluation, run_program
from rules import toolaccess
from rules.naming import TAG_GATEWAY, TAG_STACK
from rules.types import (
    API,
    API_KEY_PROVIDER,
    API_SCOPES,
    CLIENT,
    CLIENT_GRANT,
    GATEWAY_TARGET,
    IAM_ROLE_POLICY,
    OAUTH2_PROVIDER,
    POLICY,
    POLICY_ENGINE,
)
from rules.types import MCP_GATEWAY as GATEWAY
from tests.conftest import make_config

SEARCH = {
    "name": "search",
    "mcpServer": "https://search.example.com/mcp",
    "tools": ["find", "get"],
    "outbound": {"scopes": ["search:read"]},
}
OPS = {
    "name": "ops",
    "lambdaArn": "arn:aws:lambda:eu-west-1:123456789012:function:ops-tools",
    "toolSchema": [
        {
            "name": "delete_item",
            "description": "Delete one item",
            "inputSchema": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
        }
    ],
}
WEATHER = {
    "name": "weather",
    "mcpServer": "https://weather.example.com/mcp",
    "tools": ["forecast"],
    "outbound": {"kind": "apiKey", "apiKeySecret": "weatherKey", "parameterName": "X-Api-Key"},
}
GRANTS = {"read:tools": ["search___*", "weather___forecast"], "admin": ["ops___delete_item"]}
API_KEY = "wk-0123456789-very-secret"


def evaluate(targets: list[dict[str, Any]], grants: dict[str, list[str]] = GRANTS) -> Evaluation:
    gateways = [{"name": "tools", "targets": targets, "toolAccess": {"grants": grants}}]
    config = make_config(gateways, targetSecrets={"weatherKey": API_KEY})
    return run_program(config, "test", secret_keys=frozenset({"mcpauth:targetSecrets"}))


def by_name(ev: Evaluation, typ: str) -> dict[str, Any]:
    return {r.inputs.get("name"): r for r in ev.of_type(typ)}


def test_each_target_is_declared_with_its_own_credential() -> None:
    ev = evaluate([SEARCH, OPS, WEATHER])
    targets = by_name(ev, GATEWAY_TARGET)
    assert sorted(targets) == ["ops", "search", "weather"]
    (gateway,) = ev.of_type(GATEWAY)
    for target in targets.values():
        assert target.inputs["gatewayIdentifier"] == gateway.outputs["gatewayId"]
    oauth = targets["search"].inputs["credentialProviderConfiguration"]["oauth"]
    assert oauth["grantType"] == "CLIENT_CREDENTIALS"
    assert oauth["customParameters"] == {"audience": "https://search.example.com/mcp"}
    assert oauth["scopes"] == ["search:read"]
    (provider,) = ev.of_type(OAUTH2_PROVIDER)
    assert oauth["providerArn"] == provider.outputs["credentialProviderArn"]
    assert targets["ops"].inputs["credentialProviderConfiguration"] == {"gatewayIamRole": {}}
    key = targets["weather"].inputs["credentialProviderConfiguration"]["apiKey"]
    assert key["credentialParameterName"] == "X-Api-Key"
    # No target is ever given the caller's token.
    for target in targets.values():
        config = target.inputs["credentialProviderConfiguration"]
        assert not {"jwtPassthrough", "callerIamCredentials"} & set(config)


def test_the_upstream_is_an_auth0_api_of_its_own_with_a_machine_client_granted_its_scopes() -> None:
    ev = evaluate([SEARCH], {"read:tools": ["search___*"]})
    identifiers = {r.inputs["identifier"] for r in ev.of_type(API)}
    assert "https://search.example.com/mcp" in identifiers
    grants = [g for g in ev.of_type(CLIENT_GRANT) if g.inputs["audience"] == "https://search.example.com/mcp"]
    assert len(grants) == 1 and grants[0].inputs["scopes"] == ["search:read"]
    (provider,) = ev.of_type(OAUTH2_PROVIDER)
    custom = provider.inputs["oauth2ProviderConfig"]["customOauth2ProviderConfig"]
    assert custom["oauthDiscovery"]["discoveryUrl"] == "https://acme-test.eu.auth0.com/.well-known/openid-configuration"
    assert custom["clientId"] == grants[0].inputs["clientId"]
    assert provider.inputs["credentialProviderVendor"] == "CustomOauth2"


def test_secrets_never_appear_in_plain_text() -> None:
    ev = evaluate([SEARCH, WEATHER], {"read:tools": ["search___*", "weather___forecast"]})
    text = json.dumps([r.inputs for r in ev.resources] + [r.outputs for r in ev.resources], default=str)
    assert API_KEY not in text
    (key,) = ev.of_type(API_KEY_PROVIDER)
    assert key.inputs["apiKey"] == "[secret]"
    (provider,) = ev.of_type(OAUTH2_PROVIDER)
    assert provider.inputs["oauth2ProviderConfig"]["customOauth2ProviderConfig"]["clientSecret"] == "[secret]"


def test_the_role_may_use_exactly_these_credentials_and_functions_and_the_engine() -> None:
    ev = evaluate([SEARCH, OPS, WEATHER])
    (policy,) = ev.of_type(IAM_ROLE_POLICY)
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    (oauth,) = ev.of_type(OAUTH2_PROVIDER)
    (key,) = ev.of_type(API_KEY_PROVIDER)
    (engine,) = ev.of_type(POLICY_ENGINE)
    assert oauth.outputs["credentialProviderArn"] in statements["OAuthToken"]["Resource"]
    assert key.outputs["credentialProviderArn"] in statements["ApiKey"]["Resource"]
    assert statements["LambdaTargets"]["Resource"] == [OPS["lambdaArn"]]
    assert sorted(statements["ProviderSecrets"]["Resource"]) == sorted(
        [oauth.outputs["clientSecretArns"][0]["secretArn"], key.outputs["apiKeySecretArns"][0]["secretArn"]]
    )
    assert engine.outputs["policyEngineArn"] in statements["PolicyEngine"]["Resource"]
    assert set(statements["PolicyEngine"]["Action"]) == {
        "bedrock-agentcore:AuthorizeAction",
        "bedrock-agentcore:PartiallyAuthorizeActions",
        "bedrock-agentcore:GetPolicyEngine",
    }
    # The gateway waits for the role's permissions: AWS checks them when it is created.
    (gateway,) = ev.of_type(GATEWAY)
    assert policy.urn in gateway.depends_on


def test_the_engine_is_attached_to_the_gateway_and_each_grant_is_one_policy_after_the_targets() -> None:
    ev = evaluate([SEARCH, OPS, WEATHER])
    (gateway,) = ev.of_type(GATEWAY)
    (engine,) = ev.of_type(POLICY_ENGINE)
    assert gateway.inputs["policyEngine"] == {"arn": engine.outputs["policyEngineArn"], "mode": "ENFORCE"}
    policies = by_name(ev, POLICY)
    assert sorted(policies) == sorted(toolaccess.policy_name("tools", p) for p in GRANTS)
    target_urns = {t.urn for t in ev.of_type(GATEWAY_TARGET)}
    for policy in policies.values():
        assert policy.inputs["policyEngineId"] == engine.outputs["policyEngineId"]
        assert policy.inputs["validationMode"] == "FAIL_ON_ANY_FINDINGS"
        assert target_urns <= set(policy.depends_on)
        assert toolaccess.POLICY_NAME_RE.fullmatch(policy.inputs["name"])


def test_the_declared_policies_decide_as_the_roles_say() -> None:
    ev = evaluate([SEARCH, OPS, WEATHER])
    (gateway,) = ev.of_type(GATEWAY)
    arn = gateway.outputs["gatewayArn"]
    text = "\n".join(p.inputs["definition"]["cedar"]["statement"] for p in ev.of_type(POLICY))

    def decide(tool: str, permissions: list[str]) -> bool:
        tags = toolaccess.claim_tags({"permissions": permissions})
        entities = [
            {"uid": {"type": "AgentCore::OAuthUser", "id": "u"}, "attrs": {}, "parents": [], "tags": tags},
            {"uid": {"type": "AgentCore::Gateway", "id": arn}, "attrs": {}, "parents": []},
        ]
        request = {
            "principal": 'AgentCore::OAuthUser::"u"',
            "action": f'AgentCore::Action::"{tool}"',
            "resource": f'AgentCore::Gateway::"{arn}"',
            "context": {},
        }
        return cedarpy.is_authorized(request, text, entities).decision == cedarpy.Decision.Allow

    user, admin = ["read:tools", "execute:tools"], ["read:tools", "execute:tools", "admin"]
    assert decide("search___find", user) and decide("weather___forecast", user)
    assert not decide("ops___delete_item", user)
    assert decide("ops___delete_item", admin)


def test_a_gateway_without_targets_declares_none_of_it() -> None:
    ev = run_program(make_config(), "test")
    for typ in (GATEWAY_TARGET, OAUTH2_PROVIDER, POLICY_ENGINE, POLICY, IAM_ROLE_POLICY):
        assert ev.of_type(typ) == [], typ
    (gateway,) = ev.of_type(GATEWAY)
    assert "policyEngine" not in gateway.inputs


def test_openapi_and_smithy_targets_carry_their_schema_inline_or_from_s3() -> None:
    spec = '{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {}}'
    targets = [
        {
            "name": "api",
            "openApiSchema": spec,
            "tools": ["listThings"],
            "outbound": {"audience": "https://api.example.com"},
        },
        {"name": "model", "smithyModel": "s3://models-bucket/weather.json", "tools": ["GetForecast"]},
    ]
    ev = evaluate(targets, {"read:tools": ["api___*", "model___*"]})
    declared = by_name(ev, GATEWAY_TARGET)
    api = declared["api"].inputs["targetConfiguration"]["mcp"]
    assert api == {"openApiSchema": {"inlinePayload": {"payload": spec}}}
    model = declared["model"].inputs["targetConfiguration"]["mcp"]
    assert model == {"smithyModel": {"s3": {"uri": "s3://models-bucket/weather.json"}}}
    assert declared["model"].inputs["credentialProviderConfiguration"] == {"gatewayIamRole": {}}
    assert declared["api"].inputs["credentialProviderConfiguration"]["oauth"]["customParameters"] == {
        "audience": "https://api.example.com"
    }


def test_the_outputs_name_each_target_id_and_the_policy_engine_for_a_resync() -> None:
    """`synchronize-gateway-targets --target-id-list` takes the ids AWS gave the targets: the
    outputs carry them by target name, with the engine's id, only for a gateway that has them."""
    ev = evaluate([SEARCH, OPS, WEATHER])
    out = ev.outputs["gateways"]["tools"]
    targets = by_name(ev, GATEWAY_TARGET)
    assert out["targets"] == {name: targets[name].outputs["targetId"] for name in ("search", "ops", "weather")}
    assert len(set(out["targets"].values())) == 3
    (engine,) = ev.of_type(POLICY_ENGINE)
    assert out["policyEngineId"] == engine.outputs["policyEngineId"]
    # Targets without tool access: the ids, and no engine.
    no_grants = evaluate([SEARCH], grants={})
    assert set(no_grants.outputs["gateways"]["tools"]["targets"]) == {"search"}
    assert "policyEngineId" not in no_grants.outputs["gateways"]["tools"]
    # A gateway without targets keeps its outputs as they were.
    plain = run_program(make_config(), "test").outputs["gateways"]
    assert all("targets" not in g and "policyEngineId" not in g for g in plain.values())


SIGNED = {
    "name": "model",
    "smithyModel": "s3://models-bucket/weather.json",
    "tools": ["GetForecast"],
}


def test_iam_signed_targets_without_tool_access_give_the_role_no_policy() -> None:
    """Nothing to grant (the role signs its own calls, no credential, function or engine): no
    inline policy, since IAM refuses one without statements (MalformedPolicyDocument)."""
    ev = evaluate([SIGNED], grants={})
    assert ev.of_type(IAM_ROLE_POLICY) == []
    (target,) = ev.of_type(GATEWAY_TARGET)
    assert target.inputs["credentialProviderConfiguration"] == {"gatewayIamRole": {}}
    # With tool access, the role needs the engine, and only that.
    (policy,) = evaluate([SIGNED], {"read:tools": ["model___*"]}).of_type(IAM_ROLE_POLICY)
    assert [s["Sid"] for s in json.loads(policy.inputs["policy"])["Statement"]] == ["PolicyEngine"]


def test_the_credential_providers_and_the_engine_carry_the_stacks_tags() -> None:
    """What this stack creates on AWS is tagged with the stack, like its gateway, so an account's
    owner can tell whose a credential provider or policy engine is."""
    ev = evaluate([SEARCH, OPS, WEATHER])
    (gateway,) = ev.of_type(GATEWAY)
    tags = gateway.inputs["tags"]
    assert tags[TAG_STACK] == "test" and tags[TAG_GATEWAY] == "tools"
    for typ in (OAUTH2_PROVIDER, API_KEY_PROVIDER, POLICY_ENGINE):
        (resource,) = ev.of_type(typ)
        assert resource.inputs["tags"] == tags, typ


@pytest.mark.timeout(30)
def test_an_error_while_declaring_the_gateway_is_reported_not_waited_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The credentials are declared before the gateway and the targets after it. If declaring the
    gateway raises in between, `pulumi up` must report the error, not wait forever for an id."""
    import components.gateway

    def broken(_permissions: object) -> None:
        raise ValueError("the gateway's claim rules could not be built")

    monkeypatch.setattr(components.gateway, "permission_rules", broken)
    with pytest.raises(ValueError, match="claim rules could not be built"):
        evaluate([SEARCH], {"read:tools": ["search___*"]})


def test_the_upstream_api_issues_rs256_tokens_with_its_permissions_and_defines_its_scopes() -> None:
    """The upstream checks the tokens the gateway brings: signed RS256 (verifiable from the
    tenant's JWKS), RBAC on, permissions in the token, and the scopes the grant names defined on
    the API before the grant asks for them (Auth0 refuses a grant of an undefined scope)."""
    ev = evaluate([SEARCH], {"read:tools": ["search___*"]})
    (api,) = [a for a in ev.of_type(API) if a.inputs["identifier"] == SEARCH["mcpServer"]]
    assert api.inputs["name"] == "search behind tools (test)"
    assert api.inputs["signingAlg"] == "RS256"
    assert api.inputs["enforcePolicies"] is True
    assert api.inputs["tokenDialect"] == "access_token_authz"
    # The gateway's own machine client is first-party: no consent screen to stop its token request.
    assert api.inputs["skipConsentForVerifiableFirstPartyClients"] is True
    (scopes,) = [s for s in ev.of_type(API_SCOPES) if s.inputs["resourceServerIdentifier"] == SEARCH["mcpServer"]]
    assert scopes.inputs["scopes"] == [{"name": "search:read", "description": "search:read on search"}]
    (grant,) = [g for g in ev.of_type(CLIENT_GRANT) if g.inputs["audience"] == SEARCH["mcpServer"]]
    assert scopes.urn in grant.depends_on
    (client,) = [c for c in ev.of_type(CLIENT) if c.outputs["clientId"] == grant.inputs["clientId"]]
    assert client.inputs["name"] == "gateway tools to search (test)"


def test_an_upstream_without_scopes_gets_no_scopes_resource() -> None:
    unscoped = {**SEARCH, "outbound": {}}
    ev = evaluate([unscoped], {"read:tools": ["search___*"]})
    assert [s for s in ev.of_type(API_SCOPES) if s.inputs["resourceServerIdentifier"] == SEARCH["mcpServer"]] == []


def test_every_piece_of_a_target_lives_under_its_gateways_targets_component() -> None:
    """The URN carries the parent's type: a piece declared without it would get another URN, and a
    deployed stack would see it deleted and created again."""
    ev = evaluate([SEARCH, OPS, WEATHER])
    pieces = [
        *ev.of_type(OAUTH2_PROVIDER),
        *ev.of_type(API_KEY_PROVIDER),
        *ev.of_type(GATEWAY_TARGET),
        *ev.of_type(POLICY),
        *ev.of_type(IAM_ROLE_POLICY),
        *[a for a in ev.of_type(API) if a.inputs["identifier"] == SEARCH["mcpServer"]],
        *[s for s in ev.of_type(API_SCOPES) if s.inputs["resourceServerIdentifier"] == SEARCH["mcpServer"]],
        *[g for g in ev.of_type(CLIENT_GRANT) if g.inputs["audience"] == SEARCH["mcpServer"]],
    ]
    assert len(pieces) == 11
    for piece in pieces:
        assert "mcpauth:index:McpGateway$mcpauth:index:GatewayTargets$" in piece.urn, piece.urn
        # Named after the component and the target: one gateway's pieces never meet another's.
        assert piece.name.startswith("gw-tools-targets-"), piece.name
    assert {r.name for r in ev.of_type(OAUTH2_PROVIDER) + ev.of_type(API_KEY_PROVIDER)} == {
        "gw-tools-targets-search-oauth",
        "gw-tools-targets-weather-apikey",
    }


def test_a_providers_name_is_the_gateways_and_the_targets_within_awss_128_characters() -> None:
    """CredentialProviderName: 1-128 characters (model); a gateway name (up to 48) and a target
    name (up to 100) can exceed it together."""
    long_name = "s" * 100
    targets = [{**SEARCH, "name": long_name}, {**WEATHER, "name": "w" + long_name[1:]}]
    grants = {"read:tools": [f"{long_name}___*", f"w{long_name[1:]}___*"]}
    gateway = "a-gateway-with-a-long-name-" + "g" * 13  # 40, the most config takes
    gateways = [{"name": gateway, "targets": targets, "toolAccess": {"grants": grants}}]
    config = make_config(gateways, targetSecrets={"weatherKey": API_KEY})
    ev = run_program(config, "test", secret_keys=frozenset({"mcpauth:targetSecrets"}))
    (gateway,) = ev.of_type(GATEWAY)
    physical = gateway.inputs["name"]
    assert len(f"{physical}-{long_name}") > 128
    (provider,) = ev.of_type(OAUTH2_PROVIDER)
    assert provider.inputs["name"] == f"{physical}-{long_name}"[:128]
    (key,) = ev.of_type(API_KEY_PROVIDER)
    assert key.inputs["name"] == f"{physical}-w{long_name[1:]}"[:128]


def test_each_kind_of_credential_reaches_its_target_as_configured() -> None:
    """Where the gateway puts an API key (header or query, name, prefix) and which service an
    IAM-signed call is for are what the upstream checks: they pass through unchanged."""
    keyed = {**WEATHER, "outbound": {**WEATHER["outbound"], "location": "QUERY_PARAMETER", "prefix": "Key "}}
    signed = {
        "name": "runtime",
        "mcpServer": "https://runtime.example.com/mcp",
        "tools": ["echo"],
        "description": "An MCP server on AgentCore Runtime",
        "outbound": {"kind": "gatewayIamRole", "service": "bedrock-agentcore"},
    }
    ev = evaluate([keyed, signed], {"read:tools": ["weather___*", "runtime___*"]})
    targets = by_name(ev, GATEWAY_TARGET)
    assert targets["weather"].inputs["credentialProviderConfiguration"]["apiKey"] == {
        "providerArn": ev.of_type(API_KEY_PROVIDER)[0].outputs["credentialProviderArn"],
        "credentialLocation": "QUERY_PARAMETER",
        "credentialParameterName": "X-Api-Key",
        "credentialPrefix": "Key ",
    }
    assert targets["runtime"].inputs["credentialProviderConfiguration"] == {
        "gatewayIamRole": {"service": "bedrock-agentcore"}
    }
    assert targets["runtime"].inputs["description"] == "An MCP server on AgentCore Runtime"


def test_the_role_policy_is_declared_for_each_kind_of_credential_alone_in_this_account() -> None:
    """One OAuth target, or one API-key target, with no tool access: the role still needs its
    policy, scoped to this account's workload identities and this provider only."""
    for target, sid in ((SEARCH, "OAuthToken"), (WEATHER, "ApiKey")):
        ev = evaluate([target], grants={})
        (policy,) = ev.of_type(IAM_ROLE_POLICY)
        statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
        assert set(statements) == {"WorkloadIdentity", sid, "ProviderSecrets"}
        directory = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:workload-identity-directory/default"
        (gateway,) = ev.of_type(GATEWAY)
        identities = f"{directory}/workload-identity/{gateway.inputs['name']}-*"
        assert statements["WorkloadIdentity"]["Resource"] == [directory, identities]
        (target_resource,) = ev.of_type(GATEWAY_TARGET)
        # AWS lists an MCP server's tools with the credential when the target is created.
        assert policy.urn in target_resource.depends_on


def test_each_grants_policy_says_what_it_allows_within_awss_4096_characters() -> None:
    ev = evaluate([SEARCH, OPS, WEATHER])
    policies = by_name(ev, POLICY)
    admin = policies[toolaccess.policy_name("tools", "admin")]
    assert admin.inputs["description"] == "admin may call: ops___delete_item"
    # A target with many tools: the description is cut to the model's 4,096 (Description, CreatePolicy).
    many = {**SEARCH, "tools": [f"tool_{i:03d}_" + "x" * 52 for i in range(70)]}
    (policy,) = evaluate([many], {"read:tools": ["search___*"]}).of_type(POLICY)
    assert len(policy.inputs["description"]) == 4096
    assert policy.inputs["description"].startswith("read:tools may call: search___tool_000_" + "x" * 52 + ", search___")


def test_a_protected_stack_protects_the_upstreams_api() -> None:
    """Deleting the upstream's API invalidates every token the gateway holds for it."""
    gateways = [{"name": "tools", "targets": [SEARCH], "toolAccess": {"grants": {"read:tools": ["search___*"]}}}]
    for protect in (True, False):
        ev = run_program(make_config(gateways, protect=protect), "test")
        (api,) = [a for a in ev.of_type(API) if a.inputs["identifier"] == SEARCH["mcpServer"]]
        assert api.protect is protect
