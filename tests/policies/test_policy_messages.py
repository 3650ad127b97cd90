"""The pack's rules where mutation testing found them unchecked (docs/testing.md#mutation-testing): what a
user reads in a violation, which resource it is reported on, and the helpers' documented contract
(`get` by dotted path, the config schema the CLI validates pack config against).

The first test must stay first: the pack builds its config schemas when it is imported, and mutmut
links what runs at import to the first test of the run (pyproject.toml lists this file first).
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from policies import ALL_POLICIES
from policies.common import API_SCOPE, GATEWAY, UNKNOWN, get
from tests.helpers.policies import (
    GW_PARENT,
    URL,
    R,
    api,
    authorizer,
    check,
    gateway,
    mcp_gateway,
    messages,
    scopes,
)

# JSON schema types, as the CLI validates `--policy-pack-config` against each rule's schema.
JSON_TYPES: dict[str, type] = {"string": str, "boolean": bool, "integer": int, "array": list}


def test_every_config_property_declares_the_type_of_its_default() -> None:
    """A property typed wrongly makes the CLI refuse a valid pack config (or accept a wrong one)."""
    seen = 0
    for p in ALL_POLICIES:
        if p.config_schema is None:
            continue
        for key, spec in p.config_schema.properties.items():
            seen += 1
            assert set(spec) <= {"type", "items", "default", "description"}, (p.name, key)
            kind = JSON_TYPES[spec["type"]]
            assert isinstance(spec["default"], kind), (p.name, key)
            assert isinstance(spec["description"], str) and spec["description"], (p.name, key)
            if kind is list:
                assert spec["items"] == {"type": "string"}, (p.name, key)
                assert all(isinstance(x, str) for x in spec["default"]), (p.name, key)
            else:
                assert "items" not in spec, (p.name, key)
    assert seen


# --- policies.common: get, by dotted path --------------------------------------------------------


def test_get_reads_list_items_by_index_and_answers_the_default_past_the_end() -> None:
    props = {"a": [{"b": "first"}, {"b": "second"}], "s": "xyz", "n": None}
    assert get(props, "a.0.b") == "first"
    assert get(props, "a.1.b") == "second"
    assert get(props, "a.2.b", "none") == "none"  # one past the end
    assert get(props, "a.x", "none") == "none"  # a list has no named member
    assert get(props, "s.0", "none") == "none"  # a string is not a list of characters here
    assert get(props, "n", "none") == "none"  # a null property is missing
    assert get(props, "n.b", "none") == "none"
    assert get(props, "missing.b", "none") == "none"


def test_get_answers_unknown_for_an_unknown_value_not_wrapped_by_the_analyzer() -> None:
    assert get({"a": UNKNOWN_STRING_VALUE}, "a") is UNKNOWN
    assert get({"a": {"b": UNKNOWN_STRING_VALUE}}, "a.b", "default") is UNKNOWN


# --- gateway-custom-jwt, gateway-no-allowed-clients -----------------------------------------------


def test_a_well_formed_discovery_url_passes_when_no_issuer_is_configured() -> None:
    assert messages("gateway-custom-jwt", [gateway(), authorizer(), mcp_gateway()]) == []
    other = gateway(discoveryUrl="https://login.acme.com/.well-known/openid-configuration")
    assert messages("gateway-custom-jwt", [other]) == []


def test_the_wrong_authorizer_type_is_named_in_full() -> None:
    res = R(GATEWAY, {"authorizerType": "AWS_IAM"}, name="g")
    assert messages("gateway-custom-jwt", [res]) == [
        "AgentcoreGateway 'g' uses authorizer type 'AWS_IAM': set authorizerType to CUSTOM_JWT so it checks "
        "Auth0's JWTs."
    ]


def test_allowed_clients_are_not_judged_while_the_discovery_url_is_unknown() -> None:
    """At preview an unknown discovery URL may or may not be Auth0's: no verdict either way."""
    res = gateway(discoveryUrl=UNKNOWN_STRING_VALUE, allowedClients=["abc"])
    assert messages("gateway-no-allowed-clients", [res]) == []
    assert messages("gateway-no-allowed-clients", [mcp_gateway(discoveryUrl=None, allowedClients=["abc"])]) == []


def test_the_allowed_clients_violation_reads_in_full_and_names_the_gateway() -> None:
    found = check("gateway-no-allowed-clients", [mcp_gateway(allowedClients=["abc"])])
    assert [v["message"] for v in found] == [
        "AgentCoreGateway 'gw-tools-gateway' allows only clients ['abc']: CUSTOM_JWT ANDs this with the "
        "audience check, so every client registered by DCR or CIMD (ids nobody knows in advance) is refused. "
        "Remove allowedClients; the audience (the API identifier) is the gate."
    ]
    assert found[0]["resource"].endswith("::gw-tools-gateway")


def test_a_custom_domain_host_is_auth0_whatever_its_case() -> None:
    custom = gateway(discoveryUrl="https://Login.Acme.com/.well-known/openid-configuration", allowedClients=["a"])
    assert len(messages("gateway-no-allowed-clients", [custom], {"auth0Hosts": ["LOGIN.acme.com"]})) == 1
    tenant_host = gateway(
        discoveryUrl="https://ACME.us.Auth0.com/.well-known/openid-configuration", allowedClients=["a"]
    )
    assert len(messages("gateway-no-allowed-clients", [tenant_host])) == 1


# --- gateway-audience-is-api-identifier -----------------------------------------------------------


def test_the_audience_violation_reads_in_full_and_says_which_resource_set_it() -> None:
    found = check("gateway-audience-is-api-identifier", [gateway(), authorizer(["https://other/mcp"]), api()])
    assert [v["message"] for v in found] == [
        "AgentcoreGateway 'gw-tools-gateway' (set by GatewayAuthorizer 'gw-tools-authorizer') allows audience "
        "'https://other/mcp' but no Auth0 API has that identifier: the API identifier, the token's aud and the "
        "allowed audience must be the same bytes"
    ]
    # Reported on the gateway, the resource a reader looks for in the preview.
    assert found[0]["resource"].endswith("::gw-tools-gateway")
    own = check("gateway-audience-is-api-identifier", [mcp_gateway(allowedAudiences=["https://other/mcp"]), api()])
    assert [v["message"] for v in own] == [
        "AgentCoreGateway 'gw-tools-gateway' allows audience 'https://other/mcp' but no Auth0 API has that "
        "identifier: the API identifier, the token's aud and the allowed audience must be the same bytes"
    ]


def test_an_api_identifier_violation_is_reported_on_the_api() -> None:
    (v,) = check("gateway-audience-is-api-identifier", [api(URL + "/")])
    assert v["resource"].endswith("::api-tools-api")
    assert v["message"].startswith(f"ResourceServer 'api-tools-api' identifier {URL + '/'!r} ends in '/'")


def test_an_unknown_identifier_or_audience_does_not_stop_the_rule_checking_the_others() -> None:
    """Preview unknowns are skipped one by one: the APIs and gateways after them are still checked."""
    unknown_api = api(UNKNOWN_STRING_VALUE, name="api-new-api")
    (msg,) = messages("gateway-audience-is-api-identifier", [unknown_api, api("https://api.acme.com", name="bad")])
    assert msg.startswith("ResourceServer 'bad' identifier 'https://api.acme.com' does not end in /mcp")
    new = mcp_gateway(allowedAudiences=UNKNOWN_ARRAY_VALUE)
    wrong = R(
        "pulumi-python:dynamic/mcpauth:AgentCoreGateway",
        {"name": "other", "discoveryUrl": "x", "allowedAudiences": ["https://other/mcp"]},
        name="gw-other-gateway",
    )
    (msg,) = messages("gateway-audience-is-api-identifier", [new, wrong, api()])
    assert msg.startswith("AgentCoreGateway 'gw-other-gateway' allows audience 'https://other/mcp'")


def test_an_authorizer_is_matched_to_its_gateway_by_gateway_id_outside_a_component() -> None:
    """A hand-written stack: gateway and authorizer are top-level, tied by the gateway's id."""

    def top(r: R) -> R:
        r.parent = ""
        return r

    gw_a = top(gateway(gatewayId="gw-a"))
    gw_a.inputs["gatewayId"] = "gw-a"
    other = top(authorizer(["https://other/mcp"], gatewayId="gw-b"))
    other.name = "other-authorizer"
    own = top(authorizer([URL], gatewayId="gw-a"))
    assert messages("gateway-audience-is-api-identifier", [gw_a, other, own, api()]) == []
    # With no authorizer for its id, the gateway's own (placeholder) audience is what it has.
    (msg,) = messages("gateway-audience-is-api-identifier", [gw_a, other, api()])
    assert "'urn:placeholder'" in msg and "(set by" not in msg


def test_each_component_s_gateway_reads_its_own_authorizer() -> None:
    other_parent = "urn:pulumi:dev::mcpauth::mcpauth:index:McpGateway::gw-other"
    first = authorizer(["https://other/mcp"])
    first.parent, first.name = other_parent, "gw-other-authorizer"
    other_gw = gateway()
    other_gw.parent, other_gw.name = other_parent, "gw-other-gateway"
    msgs = messages(
        "gateway-audience-is-api-identifier",
        [first, authorizer(), gateway(), other_gw, api()],
    )
    assert msgs == [
        "AgentcoreGateway 'gw-other-gateway' (set by GatewayAuthorizer 'gw-other-authorizer') allows audience "
        "'https://other/mcp' but no Auth0 API has that identifier: the API identifier, the token's aud and the "
        "allowed audience must be the same bytes"
    ]
    assert other_parent != GW_PARENT


# --- scopes-defined-on-api: where a gateway's required permissions are read ----------------------


def _claim(name: str, **match: Any) -> dict[str, Any]:
    return {"inboundTokenClaimName": name, "authorizingClaimMatchValue": {"claimMatchValue": match}}


def test_a_pulumi_aws_gateway_s_scopes_and_claim_rules_are_checked() -> None:
    """pulumi-aws's gateway (another program's stack): its own audience, allowed scopes and claim
    rules under authorizerConfiguration, with the Terraform provider's `matchValueStringLists`."""
    gw = gateway(
        allowedAudiences=[URL],
        allowedScopes=["undefined:scope"],
        customClaims=[
            _claim("permissions", matchValueStringLists=["nope"]),
            _claim("permissions", matchValueString="x"),
        ],
    )
    gw.parent = ""
    found = messages("scopes-defined-on-api", [gw, api(), scopes()])
    assert sorted(found) == sorted(
        f"AgentcoreGateway 'gw-tools-gateway' requires permission {s!r}: not a scope defined on API {URL!r} "
        "(admin, read:tools). Add the scope to the API or fix the name."
        for s in ("undefined:scope", "nope", "x")
    )


def test_claim_rules_on_other_claims_are_not_scopes() -> None:
    rules = [_claim("groups", matchValueStringList=["staff"]), _claim("permissions", matchValueStringList=["nope"])]
    found = messages("scopes-defined-on-api", [mcp_gateway(customClaims=rules, allowedScopes=[]), api(), scopes()])
    assert len(found) == 1 and "requires permission 'nope'" in found[0]


def test_unknown_allowed_scopes_at_preview_are_not_judged() -> None:
    gw = mcp_gateway(allowedScopes=UNKNOWN_ARRAY_VALUE, customClaims=UNKNOWN_ARRAY_VALUE)
    assert messages("scopes-defined-on-api", [gw, api(), scopes()]) == []


def test_scopes_declared_one_resource_each_count_as_defined() -> None:
    """ResourceServerScope (one scope per resource) defines scopes as ResourceServerScopes does."""
    one = [
        R(API_SCOPE, {"resourceServerIdentifier": URL, "scope": s}, name=f"scope-{i}")
        for i, s in enumerate(("read:tools", "admin"))
    ]
    gw = mcp_gateway(allowedScopes=["read:tools"], customClaims=[_claim("permissions", matchValueStringList=["x"])])
    (msg,) = messages("scopes-defined-on-api", [gw, api(), *one])
    assert msg == (
        f"AgentCoreGateway 'gw-tools-gateway' requires permission 'x': not a scope defined on API {URL!r} "
        "(admin, read:tools). Add the scope to the API or fix the name."
    )
    partial = R(API_SCOPE, {"resourceServerIdentifier": URL, "scope": UNKNOWN_STRING_VALUE}, name="scope-new")
    (msg,) = messages("scopes-defined-on-api", [gw, api(), one[0], partial])
    assert "(read:tools). Add" in msg


@pytest.mark.parametrize("when", ["no scopes", "unknown scopes"])
def test_an_api_that_defines_no_scopes_says_so(when: str) -> None:
    names: Any = [] if when == "no scopes" else UNKNOWN_ARRAY_VALUE
    bare = R(
        "auth0:index/resourceServerScopes:ResourceServerScopes",
        {"resourceServerIdentifier": URL, "scopes": names},
        name="api-tools-scopes",
    )
    (msg,) = messages("scopes-defined-on-api", [mcp_gateway(allowedScopes=["read:tools"]), api(), bare])
    assert msg.endswith(f"not a scope defined on API {URL!r} (none). Add the scope to the API or fix the name.")


# --- api-signing-alg, api-rbac-permissions-in-token -----------------------------------------------

ROLE_PERMISSIONS = "auth0:index/rolePermissions:RolePermissions"


def test_the_signing_violation_reads_in_full_on_the_api() -> None:
    (v,) = check("api-signing-alg", [api(signingAlg="HS256")])
    assert v["message"] == (
        "ResourceServer 'api-tools-api' signs with 'HS256': a gateway verifies tokens with the tenant's public "
        "JWKS (HS256 shares the secret with every verifier), third-party clients' tokens must be RS256, and "
        "PS256 is neither documented for AgentCore nor checked by `make verify`. Use RS256."
    )
    assert v["resource"].endswith("::api-tools-api")


def test_rbac_violations_read_in_full_on_the_api() -> None:
    perm = R(
        ROLE_PERMISSIONS, {"roleId": "r", "permissions": [{"name": "read:tools", "resourceServerIdentifier": URL}]}
    )
    found = check("api-rbac-permissions-in-token", [api(enforcePolicies=None, tokenDialect="access_token"), perm])
    assert [v["message"] for v in found] == [
        "ResourceServer 'api-tools-api' has roles but RBAC is off: Auth0 then grants any requested scope. "
        "Set enforcePolicies: true.",
        "ResourceServer 'api-tools-api' token dialect 'access_token' leaves `permissions` out of access tokens, so "
        "the gateway's claim rules and the MCP tools see none. Set tokenDialect: access_token_authz.",
    ]
    assert {v["resource"] for v in found} == {api().urn}


def test_rbac_is_checked_on_every_api_with_roles_whatever_comes_first() -> None:
    perm = R(
        ROLE_PERMISSIONS, {"roleId": "r", "permissions": [{"name": "read:tools", "resourceServerIdentifier": URL}]}
    )
    no_roles = api("https://other.example.com/mcp", name="no-roles", enforcePolicies=False)
    (msg,) = messages("api-rbac-permissions-in-token", [no_roles, api(enforcePolicies=False), perm])
    assert msg.startswith("ResourceServer 'api-tools-api' has roles but RBAC is off")
    # RFC 9068's dialect carries `permissions` too.
    assert messages("api-rbac-permissions-in-token", [api(tokenDialect="rfc9068_profile_authz"), perm]) == []


def test_role_permissions_in_one_resource_name_scopes_the_api_defines() -> None:
    perms = R(
        ROLE_PERMISSIONS,
        {
            "roleId": "r",
            "permissions": [
                {"name": "read:tools", "resourceServerIdentifier": URL},
                {"name": "write:tools", "resourceServerIdentifier": URL},
            ],
        },
        name="perms",
    )
    found = check("scopes-defined-on-api", [api(), scopes(), perms])
    assert [v["message"] for v in found] == [
        f"RolePermissions 'perms' grants permission 'write:tools': not a scope defined on API {URL!r} "
        "(admin, read:tools). Add the scope to the API or fix the name."
    ]
    assert found[0]["resource"] == perms.urn


def test_a_client_grant_s_undefined_scope_reads_in_full() -> None:
    grant = R(CLIENT_GRANT, {"clientId": "c", "audience": URL, "scopes": ["launch"]}, name="g")
    unknown = R(CLIENT_GRANT, {"clientId": "c", "audience": URL, "scopes": UNKNOWN_ARRAY_VALUE}, name="new")
    found = check("scopes-defined-on-api", [api(), scopes(), unknown, grant])
    assert [v["message"] for v in found] == [
        f"ClientGrant 'g' grants scope 'launch': not a scope defined on API {URL!r} (admin, read:tools). "
        "Add the scope to the API or fix the name."
    ]
    assert found[0]["resource"] == grant.urn


def test_gateways_without_exactly_one_known_audience_are_left_to_the_audience_rule() -> None:
    required = {"allowedScopes": ["undefined:scope"]}
    new = mcp_gateway(allowedAudiences=None, **required)
    two = mcp_gateway(allowedAudiences=[URL, "https://other/mcp"], **required)
    two.name = "two"
    one = mcp_gateway(**required)
    one.name = "one"
    (msg,) = messages("scopes-defined-on-api", [new, two, one, api(), scopes()])
    assert msg.startswith("AgentCoreGateway 'one' requires permission 'undefined:scope'")


# --- third-party-clients-ready, audience-resolution ------------------------------------------------

CLIENT_GRANT = "auth0:index/clientGrant:ClientGrant"


def _tenant(dcr: Any = True, cimd: Any = True, **props: Any) -> R:
    from tests.helpers.policies import tenant

    return tenant(flags={"enableDynamicClientRegistration": dcr}, clientIdMetadataDocumentSupported=cimd, **props)


def _grant(audience: Any, name: str) -> R:
    return R(CLIENT_GRANT, {"audience": audience, "defaultFor": "third_party_clients", "scopes": []}, name=name)


@pytest.mark.parametrize("dcr, cimd", [(True, False), (False, True)])
def test_either_registration_flag_needs_a_domain_connection_and_default_grants(dcr: bool, cimd: bool) -> None:
    found = check("third-party-clients-ready", [_tenant(dcr, cimd), api()])
    assert [v["message"] for v in found] == [
        "Tenant 'tenant-settings' turns on DCR/CIMD but no connection in this stack is domain-level: third-party "
        "clients can only use domain-level connections, so their users cannot log in. Set isDomainConnection: "
        "true on a connection.",
        "ResourceServer 'api-tools-api' has no default grant for third-party clients: clients registered by DCR "
        "or CIMD cannot get a token for it. Add a ClientGrant with defaultFor: third_party_clients, subjectType: "
        "user and the scopes they may have.",
    ]
    assert [v["resource"] for v in found] == [_tenant().urn, api().urn]


def test_a_domain_connection_elsewhere_still_leaves_the_grants_checked() -> None:
    cfg = {"domainConnectionElsewhere": True}
    (msg,) = messages("third-party-clients-ready", [_tenant(), api()], cfg)
    assert msg.startswith("ResourceServer 'api-tools-api' has no default grant")


def test_each_api_needs_its_own_default_grant() -> None:
    from tests.helpers.policies import domain_connection

    other = api("https://other.example.com/mcp", name="other-api")
    found = messages(
        "third-party-clients-ready",
        [
            _tenant(),
            domain_connection(),
            api(),
            other,
            _grant(URL, "g1"),
            R(CLIENT_GRANT, {"audience": "https://other.example.com/mcp", "clientId": "c"}, name="not-default"),
        ],
    )
    assert len(found) == 1 and found[0].startswith("ResourceServer 'other-api' has no default grant")
    # A grant whose audience is unknown at preview may be any API's: nothing is judged.
    assert (
        messages(
            "third-party-clients-ready", [_tenant(), domain_connection(), other, _grant(UNKNOWN_STRING_VALUE, "g")]
        )
        == []
    )


def test_the_audience_resolution_violation_is_reported_on_the_tenant() -> None:
    from tests.helpers.policies import tenant

    (v,) = check("audience-resolution", [tenant(resourceParameterProfile="audience"), mcp_gateway()])
    assert v["resource"] == tenant().urn
    assert v["message"].startswith("Tenant 'tenant-settings': MCP clients send `resource`, not `audience`;")
    # Gateways of either kind share the tenant.
    both = [tenant(defaultAudience=URL), mcp_gateway(), gateway()]
    (msg,) = messages("audience-resolution", both)
    assert "while 2 gateways share the tenant" in msg
    assert (
        messages("audience-resolution", [tenant(defaultAudience=UNKNOWN_STRING_VALUE), mcp_gateway(), gateway()]) == []
    )


# --- advisory rules -------------------------------------------------------------------------------

CLIENT = "auth0:index/client:Client"


def test_machine_client_violations_read_in_full_on_the_resource() -> None:
    spa = R(CLIENT, {"appType": "spa", "grantTypes": ["authorization_code", "refresh_token"]}, name="spa")
    m2m = R(CLIENT, {"appType": "non_interactive", "grantTypes": ["client_credentials", "password"]}, name="c")
    ok = R(CLIENT, {"appType": "non_interactive", "grantTypes": ["client_credentials"]}, name="ok")
    new = R(CLIENT, {"appType": "non_interactive", "grantTypes": UNKNOWN_ARRAY_VALUE}, name="new")
    default = R(
        CLIENT_GRANT, {"clientId": "", "audience": URL, "scopes": ["admin"], "defaultFor": "third_party_clients"}
    )
    no_client = R(CLIENT_GRANT, {"clientId": "", "audience": URL, "scopes": ["admin"]}, name="orphan")
    unknown_scopes = R(CLIENT_GRANT, {"clientId": "c", "audience": URL, "scopes": UNKNOWN_ARRAY_VALUE}, name="u")
    grant = R(
        CLIENT_GRANT,
        {"clientId": UNKNOWN_STRING_VALUE, "audience": URL, "scopes": ["write:all", "read:tools", "admin"]},
        name="g",
    )
    found = check(
        "machine-client-least-privilege",
        [spa, m2m, ok, new, default, no_client, unknown_scopes, grant],
        {"forbiddenScopes": ["admin", "write:all"]},
    )
    assert [(v["message"], v["resource"]) for v in found] == [
        (
            "Client 'c' is a machine client with grant types ['client_credentials', 'password']: give it "
            "client_credentials only.",
            m2m.urn,
        ),
        (
            "ClientGrant 'g' gives a machine client admin, write:all: a leaked client secret would carry it. "
            "Grant the narrowest scopes the job needs.",
            grant.urn,
        ),
    ]


def test_token_lifetime_at_the_limit_passes_and_over_it_reads_in_full() -> None:
    assert messages("token-lifetime-max", [api(tokenLifetime=86400)]) == []
    assert messages("token-lifetime-max", [api(tokenLifetime=None)]) == []
    (v,) = check("token-lifetime-max", [api(tokenLifetime=86400.5)])
    assert v["message"] == (
        "ResourceServer 'api-tools-api' issues tokens valid for 86400 s (over 86400 s): a stolen token stays "
        "usable that long. Lower tokenLifetime."
    )
    assert v["resource"] == api().urn


def test_protect_production_reads_in_full_on_the_resource() -> None:
    from tests.helpers.policies import dataclass_replace

    assert messages("protect-production", []) == []
    prod = dataclass_replace(api(), stack="prod")
    (v,) = check("protect-production", [prod])
    assert v["message"] == (
        "ResourceServer 'api-tools-api' in stack 'prod' is not protected: one mistaken `pulumi destroy` or rename "
        "deletes it, and every token and client bound to it. Set mcpauth:protect: true."
    )
    assert v["resource"] == prod.urn


ACTION = "auth0:index/action:Action"
TRIGGER_ACTION = "auth0:index/triggerAction:TriggerAction"
TRIGGER_ACTIONS = "auth0:index/triggerActions:TriggerActions"


def _action(name: str = "act", trigger: Any = None, **props: Any) -> R:
    triggers = {"id": "post-login", "version": "v3"} if trigger is None else trigger
    return R(ACTION, {"name": name, "deploy": True, "supportedTriggers": triggers, **props}, name=name)


def test_only_post_login_actions_and_bindings_are_judged() -> None:
    other = _action("m2m", {"id": "credentials-exchange", "version": "v2"})
    listed_other = _action("listed", ["post-login", {"id": "credentials-exchange"}])
    whole_other = R(TRIGGER_ACTIONS, {"trigger": "credentials-exchange", "actions": []}, name="all-m2m")
    assert messages("post-login-action-bound-safely", [other, listed_other, whole_other]) == []
    unbound = _action("late")
    found = check("post-login-action-bound-safely", [other, unbound])
    assert [(v["message"], v["resource"]) for v in found] == [
        (
            "Action 'late' is bound to post-login by no TriggerAction declared after it: it never runs, or its "
            "binding races the deploy. Add a TriggerAction whose actionId is the Action's id.",
            unbound.urn,
        )
    ]


def test_a_binding_names_its_action_by_id_or_by_name_on_the_post_login_trigger() -> None:
    by_id = _action("act", id="act_123")
    assert (
        messages(
            "post-login-action-bound-safely",
            [by_id, R(TRIGGER_ACTION, {"trigger": "post-login", "actionId": "act_123"}, name="b")],
        )
        == []
    )
    assert (
        messages(
            "post-login-action-bound-safely",
            [by_id, R(TRIGGER_ACTION, {"trigger": "post-login", "actionId": "act"}, name="b")],
        )
        == []
    )
    elsewhere = R(
        TRIGGER_ACTION, {"trigger": "credentials-exchange", "actionId": "act_123"}, name="b", depends_on=[by_id.urn]
    )
    other = R(TRIGGER_ACTION, {"trigger": "post-login", "actionId": "act_999"}, name="b2")
    (msg,) = messages("post-login-action-bound-safely", [by_id, elsewhere, other])
    assert "bound to post-login by no TriggerAction" in msg


def test_deploy_and_whole_trigger_violations_read_in_full() -> None:
    bound = R(TRIGGER_ACTION, {"trigger": "post-login", "actionId": "act"}, name="bind")
    assert messages("post-login-action-bound-safely", [_action(deploy=UNKNOWN_STRING_VALUE), bound]) == []
    undeployed = _action(deploy=None)
    whole = R(TRIGGER_ACTIONS, {"trigger": "post-login", "actions": []}, name="all")
    found = check("post-login-action-bound-safely", [whole, undeployed, bound])
    assert [(v["message"], v["resource"]) for v in found] == [
        (
            "TriggerActions 'all' owns the whole post-login trigger: applying it removes every other Action bound "
            "there (by other stacks or by hand). Bind with one TriggerAction instead.",
            whole.urn,
        ),
        (
            "Action 'act' is not deployed: set deploy: true, or its binding has no version to run.",
            undeployed.urn,
        ),
    ]


# --- a rule run with no config at all behaves as with its schema's defaults ----------------------


def _bare(name: str, resources: list[R]) -> list[str]:
    """The rule run with an empty config: what it does if the engine does not fill in the schema's
    defaults (the offline runner does, and our reading is that the CLI does; not confirmed)."""
    from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs

    from policies.offline import _policy_resources
    from tests.helpers.policies import by_name

    policy = by_name(name)
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    prs = _policy_resources(resources)
    if isinstance(policy, ResourceValidationPolicy):
        for pr in prs:
            policy.validate(
                ResourceValidationArgs(pr.resource_type, pr.props, pr.urn, pr.name, pr.opts, None, {}), report
            )
    else:
        policy.validate(StackValidationArgs(prs, {}), report)
    return found


@pytest.mark.parametrize(
    ("name", "resources", "count"),
    [
        (
            "machine-client-least-privilege",
            [R(CLIENT_GRANT, {"clientId": "c", "audience": URL, "scopes": ["read:tools", "admin"]}, name="g")],
            1,
        ),
        ("token-lifetime-max", [api(tokenLifetime=86401)], 1),
        ("token-lifetime-max", [api(tokenLifetime=86400)], 0),
        ("protect-production", [R(GATEWAY, {}, name="gw", stack="prod-eu")], 1),
    ],
)
def test_a_rule_without_config_applies_its_schema_s_default(name: str, resources: list[R], count: int) -> None:
    assert len(messages(name, resources)) == count  # with the schema's defaults filled in
    assert sorted(_bare(name, resources)) == sorted(messages(name, resources))


def test_a_role_permission_unknown_at_preview_is_not_judged() -> None:
    """The permission's name is unknown until its role exists; the API's identifier is known."""
    from rules.types import ROLE_PERMISSION

    perm = R(ROLE_PERMISSION, {"roleId": "r", "permission": UNKNOWN_STRING_VALUE, "resourceServerIdentifier": URL})
    assert messages("scopes-defined-on-api", [api(), scopes(), perm]) == []


def test_the_pack_config_a_stack_gets_names_its_issuer_hosts_and_owner() -> None:
    """What `make policy-config` writes for `pulumi preview --policy-pack-config`, in process."""
    from policies.offline import policy_config_for

    owner = policy_config_for("https://login.example.com/", "acme.us.auth0.com", manage=True, third_party=True)
    assert owner == {
        "gateway-custom-jwt": {"issuer": "https://login.example.com/"},
        "gateway-no-allowed-clients": {"auth0Hosts": ["acme.us.auth0.com", "login.example.com"]},
    }
    team = policy_config_for("https://acme.us.auth0.com/", "acme.us.auth0.com", manage=False, third_party=False)
    assert team == {
        "gateway-custom-jwt": {"issuer": "https://acme.us.auth0.com/"},
        "gateway-no-allowed-clients": {"auth0Hosts": ["acme.us.auth0.com"]},
        "third-party-clients-ready": {"thirdPartyClients": False, "domainConnectionElsewhere": True},
    }


def test_a_disabled_rule_leaves_the_rules_after_it_running() -> None:
    from policies.offline import run_pack

    first = ALL_POLICIES[0]
    found = run_pack([api(tokenLifetime=172800)], {first.name: {"enforcementLevel": "disabled"}})
    assert "token-lifetime-max" in {v["policy"] for v in found}
    assert first.name not in {v["policy"] for v in found}
