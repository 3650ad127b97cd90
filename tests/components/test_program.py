"""The real program (`__main__.py`) under Pulumi's mocks: what `pulumi up` would declare."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.engine import SECRET, Evaluation, run_program
from rules.types import MCP_GATEWAY as GATEWAY
from rules.types import under_targets
from tests.helpers.stack import ROOT, make_config

API = "auth0:index/resourceServer:ResourceServer"
SCOPES = "auth0:index/resourceServerScopes:ResourceServerScopes"
ROLE_PERMISSION = "auth0:index/rolePermission:RolePermission"
TENANT = "auth0:index/tenant:Tenant"
CONNECTION = "auth0:index/connection:Connection"
ROLE = "auth0:index/role:Role"
GRANT = "auth0:index/clientGrant:ClientGrant"
CLIENT = "auth0:index/client:Client"
# How the engine's wire format marks a secret value (pulumi/runtime/rpc.py): `{_special_sig_key:
# _special_secret_sig, "value": ...}`.
SIG_KEY, SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


def wiring(ev: Evaluation) -> dict[str, tuple[str, list[str], str]]:
    """gateway resource URL -> (API identifier, allowed audiences, discovery URL), read from what
    the resources were given and what the gateway resource returns, not from the stack outputs."""
    apis = {r.inputs["identifier"] for r in ev.of_type(API)}
    out = {}
    for gw in ev.of_type(GATEWAY):
        url = gw.outputs["resourceUrl"]
        (ident,) = [a for a in apis if a == url] or [None]
        out[url] = (ident, gw.outputs["allowedAudiences"], gw.inputs["discoveryUrl"])
    return out


def test_dev_stack_wires_each_gateway_to_its_api_by_one_string(dev_eval: Evaluation) -> None:
    ev_gateways = dev_eval.of_type(GATEWAY)
    assert len(ev_gateways) == 2
    w = wiring(dev_eval)
    assert len(w) == 2
    for url, (identifier, _audiences, disc) in w.items():
        # The resource URL and allowed audiences are what the gateway resource returns (here the
        # mocks' own values): test_naming checks the URL's form, test_agentcore_moto that the
        # provider makes the allowed audience exactly that URL.
        assert identifier == url, "API identifier must equal the gateway resource URL"
        assert disc == "https://mcpauth-dev.us.auth0.com/.well-known/openid-configuration"
    # One resource owns each gateway whole: no pulumi-aws gateway, no second authorizer resource.
    assert dev_eval.of_type("aws:bedrock/agentcoreGateway:AgentcoreGateway") == []
    assert dev_eval.of_type("pulumi-python:dynamic/mcpauth:GatewayAuthorizer") == []
    for gw in ev_gateways:
        assert gw.ignore_changes == []
        assert len(gw.inputs["name"]) <= 48 and gw.inputs["autoName"] is True


def test_no_gateway_ever_gates_on_client_ids(dev_eval: Evaluation) -> None:
    for gw in dev_eval.of_type(GATEWAY):
        assert gw.inputs["allowedClients"] == []


def test_required_permissions_become_an_allowed_scope_or_claim_rules(evaluate) -> None:
    ev = evaluate(make_config([{"name": "tools", "requiredPermissions": ["read:tools", "admin"]}]))
    (gw,) = ev.of_type(GATEWAY)
    assert gw.inputs["allowedScopes"] == ["read:tools"]
    (rule,) = gw.inputs["customClaims"]
    assert rule["inboundTokenClaimName"] == "permissions"
    assert rule["authorizingClaimMatchValue"] == {
        "claimMatchOperator": "CONTAINS_ANY",
        "claimMatchValue": {"matchValueStringList": ["admin"]},
    }


def test_mcp_settings_become_the_gateways_protocol_configuration(evaluate) -> None:
    mcp = {"supportedVersions": ["2025-11-25"], "instructions": "Ask for tools by name"}
    ev = evaluate(make_config([{"name": "tools", "mcp": mcp}, {"name": "plain"}]))
    inputs = {gw.inputs["name"].split("-")[0]: gw.inputs for gw in ev.of_type(GATEWAY)}
    assert inputs["tools"]["mcp"] == mcp
    # Unset: no input at all, so a stack deployed before the key existed sees no change.
    assert "mcp" not in inputs["plain"]


def test_gateway_names_are_unique_for_stacks_and_gateways_that_read_alike(evaluate) -> None:
    a = evaluate(make_config([{"name": "tools"}]), stack="eu-prod").of_type(GATEWAY)[0].inputs["name"]
    b = evaluate(make_config([{"name": "tools-eu"}]), stack="prod").of_type(GATEWAY)[0].inputs["name"]
    assert a != b and a.startswith("tools-eu-prod-") and b.startswith("tools-eu-prod-")


def test_a_custom_domain_fixes_the_resource_url_before_the_gateway_exists(evaluate) -> None:
    ev = evaluate(make_config([{"name": "tools", "domain": "MCP.Example.com"}]))
    (gw,) = ev.of_type(GATEWAY)
    (api,) = ev.of_type(API)
    assert gw.inputs["domain"] == "mcp.example.com"
    assert api.inputs["identifier"] == "https://mcp.example.com/mcp"
    # The API no longer waits for the gateway.
    assert gw.urn not in api.depends_on and gw.urn not in [d for v in api.property_dependencies.values() for d in v]


def test_the_aws_provider_config_and_default_tags_reach_the_gateway(evaluate) -> None:
    cfg = {**make_config(), "aws:profile": "deployer", "aws:defaultTags": '{"tags": {"team": "platform"}}'}
    (gw,) = evaluate(cfg).of_type(GATEWAY)
    assert gw.inputs["aws"] == {"profile": "deployer"}
    assert gw.inputs["tags"]["team"] == "platform" and gw.inputs["tags"]["mcpauth:gateway"] == "tools"


def test_the_role_trust_policy_uses_the_regions_partition(evaluate) -> None:
    import json

    ev = evaluate({**make_config(), "aws:region": "cn-north-1"})
    (role,) = ev.of_type("aws:iam/role:Role")
    arn = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"]
    assert arn.startswith("arn:aws-cn:bedrock-agentcore:cn-north-1:")


def test_apis_are_rs256_rbac_with_permissions_in_the_token(dev_eval: Evaluation) -> None:
    # The gateways' APIs; the upstream's API of a target (tests/components/test_targets_program.py) is checked too.
    apis = [a for a in dev_eval.of_type(API) if not under_targets(a.urn)]
    assert len(apis) == 2
    assert len(dev_eval.of_type(API)) == 3
    for api in dev_eval.of_type(API):
        assert api.inputs["signingAlg"] == "RS256"
        assert api.inputs["enforcePolicies"] is True
        assert api.inputs["tokenDialect"] == "access_token_authz"
    lifetimes = sorted(a.inputs["tokenLifetime"] for a in apis)
    assert lifetimes == [900, 3600]


def test_role_permissions_wait_for_the_scopes_of_their_api(dev_eval: Evaluation) -> None:
    urns = dev_eval.by_urn()
    perms = dev_eval.of_type(ROLE_PERMISSION)
    # dev: 2 APIs x (3 user + 5 admin) permissions
    assert len(perms) == 16
    for perm in perms:
        scopes = [urns[d] for d in perm.depends_on if urns[d].type == SCOPES]
        assert len(scopes) == 1, perm.name
        scope_names = {s["name"] for s in scopes[0].inputs["scopes"]}
        assert perm.inputs["permission"] in scope_names
        assert scopes[0].inputs["resourceServerIdentifier"] == perm.inputs["resourceServerIdentifier"]


def test_third_party_clients_get_a_default_grant_per_api(dev_eval: Evaluation) -> None:
    defaults = [g for g in dev_eval.of_type(GRANT) if g.inputs.get("defaultFor")]
    assert len(defaults) == 2
    for g in defaults:
        assert g.inputs["defaultFor"] == "third_party_clients"
        assert g.inputs["subjectType"] == "user"
        assert "admin" not in g.inputs["scopes"]
    tools = next(g for g in defaults if "tools" in g.inputs["audience"])
    # dev lets DCR clients ask for write:resources on `tools`: its Admin-only tool (docs/targets.md).
    assert tools.inputs["scopes"] == ["read:tools", "execute:tools", "read:resources", "write:resources"]


def test_tenant_settings_turn_on_dcr_and_resource_parameter(dev_eval: Evaluation) -> None:
    (tenant,) = dev_eval.of_type(TENANT)
    assert tenant.inputs["flags"]["enableDynamicClientRegistration"] is True
    # Not touched: it only enables connections on new first-party apps, not DCR/CIMD clients.
    assert "enableClientConnections" not in tenant.inputs["flags"]
    # dev registers no CIMD client and has no dynamic CIMD: the flag alone would turn CIMD clients away.
    assert tenant.inputs["clientIdMetadataDocumentSupported"] is False
    assert tenant.inputs["resourceParameterProfile"] == "compatibility"
    assert tenant.inputs["defaultAudience"] == ""
    # Non-computed settings the provider nulls when they differ from state: left as imported.
    assert sorted(tenant.ignore_changes) == [
        "countryCodes",
        "defaultRedirectionUri",
        "defaultTokenQuota",
        "errorPage",
        "skipNonVerifiableCallbackUriConfirmationPrompt",
    ]
    (conn,) = dev_eval.of_type(CONNECTION)
    assert conn.inputs["isDomainConnection"] is True and conn.inputs["strategy"] == "auth0"
    assert conn.inputs["options"]["disableSignup"] is True
    assert sorted(r.inputs["name"] for r in dev_eval.of_type(ROLE)) == ["MCP Admin", "MCP User"]


def test_machine_clients_use_client_credentials_and_their_secret_stays_secret(
    dev_eval: Evaluation,
) -> None:
    clients = [c for c in dev_eval.of_type(CLIENT) if c.name.startswith("client-")]
    assert len(clients) == 2
    for c in clients:
        assert c.inputs["grantTypes"] == ["client_credentials"]
        assert c.inputs["appType"] == "non_interactive"
    assert "machineClientSecrets" in dev_eval.secret_outputs
    assert dev_eval.outputs["machineClientSecrets"] == SECRET
    creds = dev_eval.of_type("auth0:index/clientCredentials:ClientCredentials")
    assert creds and all(c.outputs["clientSecret"] == SECRET for c in creds)
    grants = [g for g in dev_eval.of_type(GRANT) if g.inputs.get("clientId")]
    smoke = next(g for g in grants if "tools" in g.inputs["audience"])
    assert smoke.inputs["scopes"] == ["read:tools", "execute:tools"]
    assert smoke.inputs["audience"] == dev_eval.outputs["gateways"]["tools"]["apiIdentifier"]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_generated_stacks_keep_every_gateway_wired(evaluate, count: int) -> None:
    gws = [{"name": f"g{i}", "requiredPermissions": ["read:tools"]} for i in range(count)]
    # A default audience serves one gateway only (config refuses it with more).
    tenant = {"resourceParameterProfile": "audience", "defaultAudience": "g0"} if count == 1 else {}
    ev = evaluate(make_config(gws, tenant=tenant), stack=f"gen{count}")
    w = wiring(ev)
    assert len(w) == count
    for url, (identifier, _, _) in w.items():
        assert identifier == url
    (settings,) = ev.of_type(TENANT)
    g0_url = ev.outputs["gateways"]["g0"]["resourceUrl"]
    assert settings.inputs["defaultAudience"] == (g0_url if count == 1 else "")
    assert settings.inputs["resourceParameterProfile"] == ("audience" if count == 1 else "compatibility")
    assert g0_url in {r.inputs["identifier"] for r in ev.of_type(API)}


def test_custom_domain_issuer_reaches_the_authorizer(evaluate) -> None:
    ev = evaluate(make_config(issuer="https://login.acme.com"))
    (gw,) = ev.of_type(GATEWAY)
    assert gw.inputs["discoveryUrl"] == "https://login.acme.com/.well-known/openid-configuration"
    assert ev.outputs["issuer"] == "https://login.acme.com/"


def test_manage_false_declares_nothing_tenant_wide_and_finds_roles_by_name(
    evaluate, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offline import engine

    found: dict[str, str] = {}  # role name looked up -> the id Auth0 (the mocks) answered
    real_call = engine.RealisticMocks.call

    def call(self: engine.RealisticMocks, args: Any) -> Any:
        answer = real_call(self, args)
        if args.token == "auth0:index/getRole:getRole":
            found[args.args["name"]] = answer[0]["id"]
        return answer

    monkeypatch.setattr(engine.RealisticMocks, "call", call)
    ev = evaluate(make_config(tenant={"manage": False}))
    for typ in (TENANT, CONNECTION, ROLE):
        assert ev.of_type(typ) == [], typ
    assert not [r for r in ev.resources if r.type == "mcpauth:index:TenantBaseline"]
    # Still adds its own API's permissions to the shared roles, found by name: each permission
    # goes to the id the look-up of its role's name returned.
    held: dict[str, set[str]] = {}
    for p in ev.of_type(ROLE_PERMISSION):
        held.setdefault(p.inputs["roleId"], set()).add(p.inputs["permission"])
    assert held == {
        found["MCP User"]: {"read:tools", "execute:tools", "read:resources"},
        found["MCP Admin"]: {"read:tools", "execute:tools", "read:resources", "write:resources", "admin"},
    }
    # Each look-up asks for the role alone: not its permissions, not its (up to 1000) users.
    lookups = [args for token, args in ev.calls if token == "auth0:index/getRole:getRole"]
    assert sorted(lookups, key=str) == [
        {"name": name, "skipPermissions": True, "skipUsers": True} for name in ("MCP Admin", "MCP User")
    ]


@pytest.mark.parametrize(
    ("dcr", "cimd", "grants"),
    [(False, False, 0), (True, False, 1), (False, True, 1), (True, True, 1)],
    ids=["neither", "dcr-only", "cimd-only", "both"],
)
def test_either_registration_path_gets_each_api_a_third_party_grant(
    evaluate, dcr: bool, cimd: bool, grants: int
) -> None:
    """Clients registered by DCR and by CIMD are both third-party: either one on needs the grant."""
    # CIMD on: a client registered by its metadata document (manual CIMD).
    on = {"clients": ["https://client.example.com/oauth/metadata.json"]}
    ev = evaluate(
        make_config(tenant={"dynamicClientRegistration": dcr, "clientIdMetadataDocuments": on if cimd else False})
    )
    assert len([g for g in ev.of_type(GRANT) if g.inputs.get("defaultFor") == "third_party_clients"]) == grants


def test_protect_reaches_api_tenant_and_gateways(evaluate) -> None:
    on = evaluate(make_config(protect=True), stack="prod")
    off = evaluate(make_config(), stack="dev")
    for typ in (API, TENANT, GATEWAY):
        assert [r.protect for r in on.of_type(typ)] == [True], typ
        assert [r.protect for r in off.of_type(typ)] == [False], typ


def test_adopting_an_existing_gateway_creates_no_role_and_uses_its_url(evaluate) -> None:
    """The API identifier is the URL the adopted gateway reports, whatever it is: here one that
    looks nothing like the mocks' (no `/mcp`, as moto and older SDKs return it)."""
    resource_url = "https://legacy-console-gw.example.test/mcp"

    def reported(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if typ == GATEWAY:
            out.update(gatewayUrl="https://Legacy-Console-GW.example.test", resourceUrl=resource_url)
        return out

    ev = evaluate(make_config([{"name": "tools", "existingGatewayId": "legacy-tools-a1b2c3d4e5"}]), hook=reported)
    (gw,) = ev.of_type(GATEWAY)
    assert gw.inputs["existingGatewayId"] == "legacy-tools-a1b2c3d4e5"
    assert gw.inputs["roleArn"] == "" and gw.inputs["autoName"] is False and gw.inputs["tags"] == {}
    assert ev.of_type("aws:iam/role:Role") == []
    (api,) = ev.of_type(API)
    assert api.inputs["identifier"] == resource_url
    assert ev.outputs["gateways"]["tools"]["resourceUrl"] == resource_url


def test_gateway_role_trusts_agentcore_in_the_deploying_account(evaluate, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever account get_caller_identity answers with (here not the mocks' usual one) is the
    one each gateway role trusts AgentCore in."""
    from offline import engine

    monkeypatch.setattr(engine, "ACCOUNT_ID", "444455556666")
    ev = evaluate(make_config([{"name": "tools"}, {"name": "docs"}]))
    assert "aws:index/getCallerIdentity:getCallerIdentity" in ev.invokes
    roles = ev.of_type("aws:iam/role:Role")
    assert len(roles) == 2
    for role in roles:
        doc = json.loads(role.inputs["assumeRolePolicy"])
        cond = doc["Statement"][0]["Condition"]
        assert cond["StringEquals"]["aws:SourceAccount"] == "444455556666"
        assert cond["ArnLike"]["aws:SourceArn"] == "arn:aws:bedrock-agentcore:eu-west-1:444455556666:*"


def test_components_parent_their_children(dev_eval: Evaluation) -> None:
    urns = dev_eval.by_urn()
    for r in dev_eval.resources:
        if r.type.startswith(("auth0:", "aws:", "pulumi-python:")):
            assert r.parent in urns, r.name
            assert urns[r.parent].type.startswith("mcpauth:index:"), r.name


def test_a_bad_config_declares_nothing(evaluate) -> None:
    import pulumi

    with pytest.raises(pulumi.RunError, match=r"mcpauth:gateways\[0\].requiredPermissions\[0\]"):
        evaluate(make_config([{"name": "tools", "requiredPermissions": ["nope"]}]))


def test_same_config_evaluates_to_the_same_resources(evaluate) -> None:
    def snapshot(ev: Evaluation) -> list[str]:
        return sorted(repr((r.urn, r.id, r.inputs, r.outputs, sorted(r.depends_on))) for r in ev.resources)

    a = evaluate(make_config(), stack="same")
    b = evaluate(make_config(), stack="same")
    assert snapshot(a) == snapshot(b)
    assert a.outputs == b.outputs


def test_apis_allow_refresh_tokens_unless_a_gateway_says_not(evaluate) -> None:
    ev = evaluate(make_config([{"name": "a"}, {"name": "b", "offlineAccess": False}]))
    by_name = {r.name: r.inputs["allowOfflineAccess"] for r in ev.of_type(API)}
    assert by_name == {"api-a-api": True, "api-b-api": False}


def test_connection_options_to_keep_reach_the_connection_and_ours_win(evaluate) -> None:
    keep = {"mfa": {"active": True, "return_enroll_settings": True}, "password_policy": "excellent"}
    ev = evaluate(make_config(tenant={"connection": {"options": keep}}))
    (conn,) = ev.of_type(CONNECTION)
    opts = conn.inputs["options"]
    assert opts["mfa"] == {"active": True, "returnEnrollSettings": True}
    assert opts["passwordPolicy"] == "excellent"  # theirs over our default "good"
    assert opts["disableSignup"] is True and opts["bruteForceProtection"] is True


def test_role_and_scope_names_cannot_make_one_permission_name(evaluate) -> None:
    """`MCP User Read` + `tools` and `MCP User` + `read:tools` joined with `-` were one name, which
    the engine refuses (the offline engine too: EngineRefusal)."""
    scopes = {"tools": "t", "read:tools": "r"}
    roles = {"MCP User Read": ["tools"], "MCP User": ["read:tools"]}
    ev = evaluate(make_config(scopes=scopes, roles=roles))
    names = sorted(r.name for r in ev.of_type(ROLE_PERMISSION))
    assert names == ["api-tools-role-mcp-user-read.tools", "api-tools-role-mcp-user.read-tools"]


def test_a_role_is_keyed_by_its_id_and_aliased_from_its_previous_ones(evaluate) -> None:
    roles = {
        "users": {"id": "mcp-people", "name": "MCP People", "permissions": ["read:tools"], "previousIds": ["mcp-user"]}
    }
    ev = evaluate(make_config(roles=roles))
    (role,) = ev.of_type(ROLE)
    assert role.name == "tenant-role-mcp-people" and role.inputs["name"] == "MCP People"
    assert role.aliases == [
        "urn:pulumi:test::mcpauth::mcpauth:index:TenantBaseline$auth0:index/role:Role::tenant-role-mcp-user"
    ]
    (perm,) = ev.of_type(ROLE_PERMISSION)
    assert perm.name == "api-tools-role-mcp-people.read-tools"
    olds = {a.rsplit("::", 1)[1] for a in perm.aliases}
    assert olds == {
        "api-tools-role-mcp-people.read-tools",  # its own name, from when its API was top-level
        "api-tools-role-mcp-people-read-tools",  # the first releases' name
        "api-tools-role-mcp-user.read-tools",
        "api-tools-role-mcp-user-read-tools",
    }


def test_a_default_role_is_assigned_by_the_action_with_its_own_least_privilege_client(evaluate) -> None:
    ev = evaluate(make_config(tenant={"defaultRole": "MCP User"}))
    (assigner,) = [c for c in ev.of_type(CLIENT) if c.name == "role-assigner-client"]
    assert assigner.inputs["grantTypes"] == ["client_credentials"]
    (grant,) = [g for g in ev.of_type(GRANT) if g.name == "role-assigner-grant"]
    assert grant.inputs["audience"] == "https://acme-test.eu.auth0.com/api/v2/"
    assert grant.inputs["scopes"] == ["create:role_members"]
    (action,) = ev.of_type("auth0:index/action:Action")
    secrets = {s["name"]: s["value"] for s in action.inputs["secrets"]}
    assert secrets["MCPAUTH_ASSIGNER_CLIENT_SECRET"] == SECRET  # a Pulumi secret: never in plain text
    assert secrets["MCPAUTH_ASSIGNER_CLIENT_ID"] == assigner.outputs["clientId"]
    cfg = json.loads(secrets["MCPAUTH_CONFIG"])
    (user_role,) = [r for r in ev.of_type(ROLE) if r.inputs["name"] == "MCP User"]
    # Only logins through the connection the stack manages get it (another connection's users,
    # on any application of the tenant, are not the stack's to give roles to).
    (connection,) = ev.of_type("auth0:index/connection:Connection")
    assert cfg["defaultRole"] == {"id": user_role.id, "name": "MCP User", "connection": connection.inputs["name"]}
    apis = sorted(r.inputs["identifier"] for r in ev.of_type("auth0:index/resourceServer:ResourceServer"))
    assert cfg["audiences"] == apis
    assert cfg["managementDomain"] == "acme-test.eu.auth0.com"
    # Not a machine client of the stack's outputs: its secret exists only as an Action secret.
    assert "role-assigner" not in json.dumps(ev.outputs)


def test_no_default_role_no_assigner(evaluate) -> None:
    ev = evaluate(make_config())
    assert not [c for c in ev.of_type(CLIENT) if c.name.startswith("role-assigner")]
    (action,) = ev.of_type("auth0:index/action:Action")
    assert [s["name"] for s in action.inputs["secrets"]] == ["MCPAUTH_CONFIG"]
    assert json.loads(action.inputs["secrets"][0]["value"])["defaultRole"] is None


def _plain_text_of(ev: Evaluation) -> str:
    """Everything the engine would store or show in plain text: inputs, outputs, stack outputs
    (a Pulumi secret is recorded as `[secret]`, never its value)."""
    return json.dumps(
        [[r.inputs, r.outputs] for r in ev.resources] + [ev.outputs],
        sort_keys=True,
    )


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("mcpauth:issuer", "https://login.secret-idp.example/", "secret-idp"),
        ("auth0:domain", "hidden-tenant.eu.auth0.com", "hidden-tenant"),
    ],
)
def test_a_value_set_with_secret_stays_secret_in_every_input_and_output(key: str, value: str, needle: str) -> None:
    """`pulumi config set --secret`: what is derived from the value (the issuer, the discovery
    URL, the token endpoint, the Management API audience) reaches state and outputs as a secret."""
    client = {"name": "ci", "gateway": "tools", "scopes": ["read:tools"]}
    cfg = make_config(tenant={"defaultRole": "MCP User"}, machineClients=[client])
    cfg[key] = value
    ev = run_program(cfg, "dev", secret_keys=frozenset({key}))
    assert ev.resources, "the program declared nothing"
    assert needle not in _plain_text_of(ev)
    for name in ("issuer", "discoveryUrl", "tokenEndpoint"):
        assert name in ev.secret_outputs
    # The same stack with the value in plain text shows it: the test can see a leak.
    cfg_plain = dict(cfg)
    assert needle in _plain_text_of(run_program(cfg_plain, "dev"))


@pytest.mark.parametrize("key", ["mcpauth:gateways", "mcpauth:tenant", "mcpauth:roles", "mcpauth:scopes"])
def test_a_structural_key_set_with_secret_is_refused_naming_it(key: str) -> None:
    """Their values become resource names (URNs) and settings that Pulumi stores in plain text,
    so a secret there cannot be kept: the program says so before declaring anything."""
    from stackconfig.model import ConfigError
    from stackconfig.settings import load_settings

    cfg = make_config(tenant={}, roles={"MCP User": ["read:tools"]}, scopes={"read:tools": "List tools"})
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, "dev", frozenset({key}))
    assert f"{key}: set with --secret" in str(err.value)
    assert "pulumi config set" in str(err.value)


def test_config_and_its_secrets_are_read_as_the_language_host_hands_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under `pulumi up` the language host passes config in PULUMI_CONFIG and the secret keys in
    PULUMI_CONFIG_SECRET_KEYS (nothing through set_all_config): the program reads both, keeps the
    secret issuer secret, and reports a misspelt key that only the environment holds."""
    cfg = make_config()
    cfg["mcpauth:issuer"] = "https://login.secret-idp.example/"
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(cfg))
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["mcpauth:issuer"]))
    ev = run_program({}, "dev")
    assert any(r.type == GATEWAY for r in ev.resources)
    assert "secret-idp" not in _plain_text_of(ev) and "issuer" in ev.secret_outputs

    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**cfg, "mcpauth:gatways": "[]"}))
    with pytest.raises(Exception, match="mcpauth:gatways: unknown key"):
        run_program({}, "dev")


def test_the_default_audience_waits_for_its_gateway(evaluate) -> None:
    """The tenant baseline is declared before the gateways (their APIs grant its roles), so its
    default audience is a forward reference to one gateway's resource URL: it must still carry the
    dependency, or a real `up` would write the tenant before the gateway has a URL."""
    ev = evaluate(make_config(tenant={"defaultAudience": "tools"}))
    (settings,) = ev.of_type(TENANT)
    (gateway,) = ev.of_type(GATEWAY)
    assert settings.inputs["defaultAudience"] == ev.outputs["gateways"]["tools"]["apiIdentifier"]
    assert gateway.urn in settings.property_dependencies["defaultAudience"]
    assert gateway.urn in settings.depends_on


@pytest.mark.timeout(30)
@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_an_error_after_the_tenant_is_declared_is_reported_not_waited_on(monkeypatch, preview: bool) -> None:
    """The tenant's default audience waits for a gateway declared after it. If declaring that
    gateway raises, `pulumi up` and `pulumi preview` must report the error, not wait forever for
    the URL (the SDK awaits every pending registration before it reports a program's error)."""
    import components.gateway

    def broken(_permissions: object) -> None:
        raise ValueError("the gateway's claim rules could not be built")

    monkeypatch.setattr(components.gateway, "permission_rules", broken)
    with pytest.raises(ValueError, match="claim rules could not be built"):
        run_program(make_config(tenant={"defaultAudience": "tools"}), "test", preview=preview)


@pytest.mark.timeout(30)
def test_an_error_while_declaring_the_tenant_is_reported_not_waited_on(monkeypatch) -> None:
    """Nothing the tenant baseline declares waits on a gateway that is not declared yet: an error
    half-way through it is the run's error."""
    import components.tenant

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("the connection could not be declared")

    monkeypatch.setattr(components.tenant.auth0, "Connection", broken)
    with pytest.raises(ValueError, match="connection could not be declared"):
        run_program(make_config(tenant={"defaultAudience": "tools"}), "test")


def test_each_gateway_owns_its_api_and_existing_stacks_keep_every_urn(evaluate) -> None:
    """One component per gateway holds its Auth0 API (issue 15). The API was a top-level component
    before: every resource under it is aliased to the URN it had then, so a deployed stack's API,
    scopes, role permissions and grant update in place instead of being deleted and re-created."""
    ev = evaluate(make_config())
    by_urn = ev.by_urn()
    (api,) = ev.of_type(API)
    component = by_urn[api.parent]
    assert component.type == "mcpauth:index:McpApi"
    assert by_urn[component.parent].type == "mcpauth:index:McpGateway"
    under_api = [r for r in ev.resources if "mcpauth:index:McpApi" in r.urn]
    assert len(under_api) >= 4  # the component, the API, its scopes, a role permission
    for r in under_api:
        before = r.urn.replace("mcpauth:index:McpGateway$", "", 1)
        assert before != r.urn and before in r.aliases, r.urn


def test_the_dev_stack_keeps_the_urns_its_deployed_resources_have(dev_eval: Evaluation) -> None:
    """A resource's URN (its name, type, and its parent's type) is its identity in the state: a
    changed URN makes `pulumi up` delete the deployed resource and create a new one, unless the
    change carries an alias. This pins every URN of the dev stack."""
    golden = ROOT / "tests" / "golden" / "dev-urns.txt"
    now = sorted(r.urn for r in dev_eval.resources)
    assert now == golden.read_text().split(), (
        "The dev stack's URNs changed. Deployed stacks would see deletes and creates: add an alias to "
        f"each moved resource, then write the new list to {golden.relative_to(ROOT)}."
    )


def test_machine_clients_are_first_party_rs256_and_client_credentials_only(dev_eval: Evaluation) -> None:
    by_name = {r.name: r for r in dev_eval.resources}
    for name in ("client-smoke-tools", "client-indexer", "role-assigner"):
        client = by_name[f"{name}-client"].inputs
        assert client["appType"] == "non_interactive"
        assert client["grantTypes"] == ["client_credentials"]
        assert client["isFirstParty"] is True and client["oidcConformant"] is True
        assert client["jwtConfiguration"] == {"alg": "RS256"}
        assert client["name"].endswith(" (dev)")
        assert by_name[f"{name}-credentials"].inputs["authenticationMethod"] == "client_secret_post"
        grant = by_name[f"{name}-grant"].inputs
        assert grant["subjectType"] == "client" and grant["clientId"] == by_name[f"{name}-client"].outputs["clientId"]


def test_the_tenant_s_connection_roles_action_and_grants_as_auth0_gets_them(dev_eval: Evaluation) -> None:
    by_name = {r.name: r for r in dev_eval.resources}
    assert by_name["tenant-connection"].inputs == {
        "name": "mcp-users",
        "strategy": "auth0",
        "isDomainConnection": True,
        "options": {"disableSignup": True, "passwordPolicy": "good", "bruteForceProtection": True},
    }
    assert by_name["tenant-role-mcp-user"].inputs["description"] == "MCP User (managed by mcpauth stack dev)"
    action = by_name["claims-action"].inputs
    assert action["name"] == "mcpauth-claims-dev"
    assert by_name["claims-binding"].inputs["displayName"] == "mcpauth-claims-dev"
    # The Action's config is written with sorted keys: the same config gives the same secret, so
    # `pulumi up` shows no change to the Action when nothing changed.
    (config,) = [s["value"] for s in action["secrets"] if s["name"] == "MCPAUTH_CONFIG"]
    assert config == json.dumps(json.loads(config), sort_keys=True)
    # A grant names scopes; Auth0 refuses it until its API defines them, so it waits for them.
    scopes = by_name["api-tools-scopes"].urn
    assert scopes in by_name["client-smoke-tools-grant"].depends_on


def test_each_gateway_declared_is_one_the_gateway_provider_accepts_as_configured(evaluate) -> None:
    """The dynamic provider's `check` and its reading of the inputs (`_spec`) are what `pulumi up`
    runs on what the program declares; the mocks run neither, so this test does."""
    from components.gateway_resource import INPUT_KEYS, _Provider, _spec
    from rules.naming import gateway_physical_name, legacy_gateway_name

    ev = evaluate(
        make_config(
            [
                {"name": "tools", "description": "Tools for agents"},
                {"name": "docs"},
                {"name": "old", "existingGatewayId": "old-gw-0123456789"},
            ]
        )
    )
    by_name = {r.name: r for r in ev.resources}
    for gw, description in (("tools", "Tools for agents"), ("docs", "MCP gateway docs (test)")):
        inputs = by_name[f"gw-{gw}-gateway"].inputs
        # policyEngine and mcp are given only when set (tests/components/test_targets_program.py), so stacks
        # deployed before they existed see no input change.
        assert set(inputs) == {*INPUT_KEYS, "legacyName"} - {"policyEngine", "mcp"}, gw
        assert _Provider().check({}, inputs).failures == [], gw
        role = by_name[f"gw-{gw}-role"]
        assert role.inputs["description"] == f"AgentCore gateway {gw} (test), managed by mcpauth"
        spec = _spec(inputs)
        assert (spec.name, spec.legacy_name, spec.description, spec.role_arn) == (
            gateway_physical_name("mcpauth", "test", gw),
            legacy_gateway_name("test", gw),
            description,
            role.outputs["arn"],
        )
        assert inputs["region"] == "eu-west-1"
    adopted = by_name["gw-old-gateway"].inputs
    assert _Provider().check({}, adopted).failures == []
    spec = _spec(adopted)
    assert (spec.name, spec.existing_gateway_id, spec.legacy_name, spec.role_arn) == (
        "old-gw-0123456789",
        "old-gw-0123456789",
        None,
        None,
    )


def test_stack_outputs_are_what_each_gateway_and_its_api_report(dev_eval: Evaluation) -> None:
    by_name = {r.name: r for r in dev_eval.resources}
    for gw in ("tools", "docs"):
        reported = by_name[f"gw-{gw}-gateway"].outputs
        out = dev_eval.outputs["gateways"][gw]
        assert {k: out[k] for k in ("gatewayId", "gatewayUrl", "resourceUrl", "allowedAudiences")} == {
            k: reported[k] for k in ("gatewayId", "gatewayUrl", "resourceUrl", "allowedAudiences")
        }
        assert out["apiIdentifier"] == by_name[f"api-{gw}-api"].outputs["identifier"]


def test_each_api_is_named_for_its_gateway_and_stack_with_the_configured_scopes(dev_eval: Evaluation) -> None:
    from stackconfig.model import DEFAULT_SCOPES

    by_name = {r.name: r for r in dev_eval.resources}
    api = by_name["api-tools-api"].inputs
    assert {k: v for k, v in api.items() if k != "identifier"} == {
        "name": "MCP tools (dev)",
        "signingAlg": "RS256",
        "enforcePolicies": True,
        "tokenDialect": "access_token_authz",
        "tokenLifetime": 3600,
        "allowOfflineAccess": True,
        # First-party clients (ours, never the MCP clients DCR registers) are not asked for consent.
        "skipConsentForVerifiableFirstPartyClients": True,
    }
    scopes = by_name["api-tools-scopes"].inputs["scopes"]
    assert scopes == [{"name": n, "description": d} for n, d in DEFAULT_SCOPES.items()]


def _revealing(names: tuple[str, ...]) -> Any:
    """The program as `__main__.py` runs it, plus one output with the named outputs' values in
    the clear: a test's only way to see that a secret output holds the value, not just the flag."""
    import pulumi

    from components.program import build, raw_config
    from stackconfig.settings import load_settings

    def program() -> None:
        raw, secret_keys = raw_config()
        outputs = build(load_settings(raw, pulumi.get_stack(), secret_keys))
        pulumi.export("revealed", pulumi.Output.unsecret(pulumi.Output.from_input({n: outputs[n] for n in names})))

    return program


def test_secrets_hold_the_values_they_hide() -> None:
    """Each secret output, and the Action's secret for the role assigner, is the value itself
    (the issuer set with --secret, each client's secret), not an empty secret."""
    action_secrets: dict[str, Any] = {}

    def credentials(typ: str, name: str, inputs: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
        if typ == "auth0:index/clientCredentials:ClientCredentials":
            out["clientSecret"] = f"secret-of-{name}"
        if typ == "auth0:index/action:Action":
            wrapped = inputs["secrets"]
            assert wrapped[SIG_KEY] == SECRET_SIG  # the whole list is a secret: one of its values is
            action_secrets.update({s["name"]: s["value"] for s in wrapped["value"]})
        return out

    client = {"name": "ci", "gateway": "tools", "scopes": ["read:tools"]}
    cfg = make_config(machineClients=[client], tenant={"defaultRole": "MCP User"})
    cfg["mcpauth:issuer"] = "https://login.secret-idp.example/"
    names = ("issuer", "discoveryUrl", "tokenEndpoint", "machineClientSecrets")
    ev = run_program(cfg, "dev", secret_keys=frozenset({"mcpauth:issuer"}), hook=credentials, program=_revealing(names))
    assert ev.outputs["revealed"] == {
        "issuer": "https://login.secret-idp.example/",
        "discoveryUrl": "https://login.secret-idp.example/.well-known/openid-configuration",
        "tokenEndpoint": "https://login.secret-idp.example/oauth/token",
        "machineClientSecrets": {"ci": "secret-of-client-ci-credentials"},
    }
    assert action_secrets["MCPAUTH_ASSIGNER_CLIENT_SECRET"] == "secret-of-role-assigner-credentials"


def test_the_stack_outputs_people_and_make_verify_read(dev_eval: Evaluation, evaluate) -> None:
    from verify.checks import Target

    out = dev_eval.outputs
    assert set(out) == {
        "issuer",
        "discoveryUrl",
        "tokenEndpoint",
        "clientRegistration",
        "gateways",
        "machineClients",
        "machineClientSecrets",
        "tenant",
    }
    assert out["clientRegistration"] == {
        "dynamic": True,
        "metadataDocuments": False,
        "metadataDocumentClients": [],
        "dynamicMetadataDocuments": False,
    }
    assert {name: gw["requiredPermissions"] for name, gw in out["gateways"].items()} == {
        "tools": ["read:tools"],
        "docs": ["read:resources"],
    }
    by_name = {r.name: r for r in dev_eval.resources}
    assert out["machineClients"]["smoke-tools"] == {
        "gateway": "tools",
        "clientId": by_name["client-smoke-tools-client"].outputs["clientId"],
        "audience": by_name["api-tools-api"].outputs["identifier"],
        "scopes": ["read:tools", "execute:tools"],
    }
    # `pulumi stack output --json --show-secrets` as verify reads it; the secrets' values are
    # test_secrets_hold_the_values_they_hide's.
    target = Target.from_outputs({**out, "machineClientSecrets": {}})
    assert (sorted(target.gateways), sorted(target.clients), target.dynamic_registration) == (
        ["docs", "tools"],
        ["indexer", "smoke-tools"],
        True,
    )
    # The flags are the config's, each on its own.
    flags = evaluate(
        make_config(tenant={"dynamicClientRegistration": False, "clientIdMetadataDocuments": {"dynamic": True}})
    )
    assert flags.outputs["clientRegistration"] == {
        "dynamic": False,
        "metadataDocuments": True,
        "metadataDocumentClients": [],
        "dynamicMetadataDocuments": True,
    }


def test_the_exported_outputs_are_the_typed_stack_outputs_verify_reads(dev_eval: Evaluation) -> None:
    """rules/outputs.py types both ends: what `build` exports and what `make verify` reads."""
    from rules.outputs import ClientRegistration, GatewayOutputs, MachineClientOutputs, StackOutputs

    out = dev_eval.outputs
    assert StackOutputs.__required_keys__ <= set(out) <= StackOutputs.__required_keys__ | {"tenant"}
    assert set(out["clientRegistration"]) == ClientRegistration.__required_keys__
    gateways = out["gateways"].values()
    every = GatewayOutputs.__required_keys__ | GatewayOutputs.__optional_keys__
    assert gateways and all(GatewayOutputs.__required_keys__ <= set(g) <= every for g in gateways)
    # The dev stack's `tools` gateway has targets and tool access: both optional keys are exported.
    assert {"targets", "policyEngineId"} <= set(out["gateways"]["tools"])
    # A gateway with targets says which tools they serve and who may call which; one without, neither.
    assert out["gateways"]["tools"]["targetTools"] == {"search": ["find", "get"], "ops": ["list_items", "delete_item"]}
    assert out["gateways"]["tools"]["toolGrants"]["write:resources"] == ["ops___delete_item"]
    assert "targets" not in out["gateways"]["docs"] and "targetTools" not in out["gateways"]["docs"]
    clients = out["machineClients"].values()
    assert clients and all(set(c) == MachineClientOutputs.__required_keys__ for c in clients)
