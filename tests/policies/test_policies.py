"""Each rule of the pack without the CLI: compliant, non-compliant, missing properties, preview
unknowns and config overrides. Resources are built by hand, as a hand-edited stack would have."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from policies import ALL_POLICIES
from policies.offline import run_pack
from rules.types import (
    ACTION,
    API,
    AUTHORIZER,
    CLIENT,
    CLIENT_GRANT,
    ROLE,
    ROLE_PERMISSION,
    TRIGGER_ACTION,
    TRIGGER_ACTIONS,
)
from rules.types import AWS_GATEWAY as GATEWAY
from tests.helpers.policies import (
    URL,
    R,
    api,
    authorizer,
    by_name,
    check,
    dataclass_replace,
    domain_connection,
    gateway,
    mcp_gateway,
    messages,
    scopes,
    tenant,
)
from tests.helpers.stack import ROOT


def third_party_grant(audience: str = URL) -> R:
    return R(
        CLIENT_GRANT,
        {
            "audience": audience,
            "defaultFor": "third_party_clients",
            "subjectType": "user",
            "scopes": ["read:tools"],
        },
        name="api-tools-third-party-grant",
    )


def compliant_stack() -> list[R]:
    return [gateway(), authorizer(), api(), scopes(), tenant(), third_party_grant(), domain_connection()]


def test_the_compliant_stack_passes_every_rule() -> None:
    assert run_pack(compliant_stack(), {"gateway-custom-jwt": {"issuer": "https://acme.us.auth0.com/"}}) == []


def test_every_rule_is_named_described_and_leveled() -> None:
    import re

    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))
    # The security page's table of rules is the pack: each rule it documents runs, at its level, and no other.
    page = (ROOT / "docs" / "security.md").read_text()
    table = page.split("| rule | level | why it exists |", 1)[1].split("\n\n", 1)[0]
    documented = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (mandatory|advisory|disabled) \|", table, re.M))
    assert documented == {p.name: p.enforcement_level.value for p in ALL_POLICIES}
    for p in ALL_POLICIES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p.name)
        assert p.description and p.remediation_steps and p.enforcement_level is not None


# --- gateway-custom-jwt


@pytest.mark.parametrize(
    "res, says",
    [
        (R(GATEWAY, {"authorizerType": "AWS_IAM"}, name="g"), "set authorizerType to CUSTOM_JWT"),
        (gateway(discoveryUrl="http://acme.us.auth0.com/.well-known/openid-configuration"), "must be https"),
        (
            gateway(discoveryUrl="https://acme.us.auth0.com/.well_known/openid-configuration"),
            "must be https and end in",
        ),
        (gateway(discoveryUrl=""), "has no discovery URL"),
        (authorizer(discoveryUrl="https://acme.us.auth0.com/"), "end in /.well-known/openid-configuration"),
    ],
)
def test_gateway_custom_jwt_refuses(res: R, says: str) -> None:
    (msg,) = messages("gateway-custom-jwt", [res])
    assert says in msg and res.name in msg


def test_gateway_custom_jwt_checks_the_issuer_from_config() -> None:
    cfg = {"issuer": "https://login.acme.com/"}
    (msg,) = messages("gateway-custom-jwt", [authorizer()], cfg)
    assert "trusts issuer 'https://acme.us.auth0.com/'" in msg
    assert "https://login.acme.com/.well-known/openid-configuration" in msg
    assert (
        messages(
            "gateway-custom-jwt",
            [authorizer(discoveryUrl="https://login.acme.com/.well-known/openid-configuration")],
            cfg,
        )
        == []
    )


def test_gateway_custom_jwt_is_safe_on_missing_and_unknown() -> None:
    assert messages("gateway-custom-jwt", [R(GATEWAY, {})]) == []  # nothing to judge, no crash
    (msg,) = messages("gateway-custom-jwt", [R(AUTHORIZER, {}, name="a")])
    assert "'a' has no discovery URL" in msg
    assert messages("gateway-custom-jwt", [R(GATEWAY, {"authorizerType": UNKNOWN_STRING_VALUE})]) == []
    assert messages("gateway-custom-jwt", [gateway(discoveryUrl=UNKNOWN_STRING_VALUE)]) == []


# --- gateway-no-allowed-clients


def test_allowed_clients_on_an_auth0_gateway_are_refused() -> None:
    (msg,) = messages("gateway-no-allowed-clients", [gateway(allowedClients=["abc123"])])
    assert "DCR" in msg and "Remove allowedClients" in msg
    (msg,) = messages("gateway-no-allowed-clients", [authorizer(allowedClients=["abc123"])])
    assert "gw-tools-authorizer" in msg


def test_allowed_clients_elsewhere_and_custom_domains() -> None:
    other = gateway(
        discoveryUrl="https://cognito-idp.us-east-1.amazonaws.com/x/.well-known/openid-configuration",
        allowedClients=["abc"],
    )
    assert messages("gateway-no-allowed-clients", [other]) == []
    custom = gateway(discoveryUrl="https://login.acme.com/.well-known/openid-configuration", allowedClients=["a"])
    assert messages("gateway-no-allowed-clients", [custom]) == []
    assert len(messages("gateway-no-allowed-clients", [custom], {"auth0Hosts": ["login.acme.com"]})) == 1
    assert messages("gateway-no-allowed-clients", [gateway(allowedClients=UNKNOWN_ARRAY_VALUE)]) == []
    assert messages("gateway-no-allowed-clients", [R(GATEWAY, {})]) == []


# --- gateway-audience-is-api-identifier


def test_audience_rule_reads_the_authorizer_not_the_placeholder() -> None:
    assert messages("gateway-audience-is-api-identifier", [gateway(), authorizer(), api()]) == []
    # Without our authorizer, the gateway's own (placeholder) audience is what it finally has.
    (msg,) = messages("gateway-audience-is-api-identifier", [gateway(), api()])
    assert "'urn:placeholder'" in msg and "no Auth0 API has that identifier" in msg


@pytest.mark.parametrize(
    "resources, says",
    [
        ([gateway(), authorizer([URL + "/"]), api()], "differs only by a trailing slash"),
        ([gateway(), authorizer(), api(URL + "/")], "ends in '/'"),
        ([gateway(), authorizer([URL, "https://x/mcp"]), api()], "allow exactly one"),
        ([gateway(), authorizer(), api(), api(name="dup")], "2 APIs have it"),
    ],
)
def test_audience_rule_catches_each_mismatch(resources: list[R], says: str) -> None:
    msgs = messages("gateway-audience-is-api-identifier", resources)
    assert any(says in m for m in msgs), msgs


def test_api_identifier_must_be_the_mcp_url() -> None:
    msgs = messages("gateway-audience-is-api-identifier", [api("https://api.acme.com")])
    assert msgs == [
        "ResourceServer 'api-tools-api' identifier 'https://api.acme.com' does not end in /mcp: it must "
        "be the gateway's MCP resource URL https://<gateway-host>/mcp."
    ]


def test_audience_rule_skips_preview_unknowns() -> None:
    res = [gateway(), authorizer(UNKNOWN_ARRAY_VALUE), api(UNKNOWN_STRING_VALUE)]
    assert messages("gateway-audience-is-api-identifier", res) == []
    assert messages("gateway-audience-is-api-identifier", [gateway(), authorizer([UNKNOWN_STRING_VALUE]), api()]) == []


# --- api-signing-alg, api-rbac-permissions-in-token


def test_signing_alg() -> None:
    (msg,) = messages("api-signing-alg", [api(signingAlg="HS256")])
    assert "'HS256'" in msg and "Use RS256" in msg
    (msg,) = messages("api-signing-alg", [api(signingAlg="PS256")])  # one answer: verify accepts RS256 only
    assert "'PS256'" in msg
    for ok in ("RS256", UNKNOWN_STRING_VALUE):
        assert messages("api-signing-alg", [api(signingAlg=ok)]) == []
    assert messages("api-signing-alg", [R(API, {"identifier": URL})]) == []


def test_rbac_is_required_where_roles_grant_permissions() -> None:
    perm = R(ROLE_PERMISSION, {"roleId": "rol_1", "permission": "read:tools", "resourceServerIdentifier": URL})
    msgs = messages("api-rbac-permissions-in-token", [api(enforcePolicies=False, tokenDialect="access_token"), perm])
    assert len(msgs) == 2
    assert "enforcePolicies: true" in msgs[0] and "tokenDialect: access_token_authz" in msgs[1]
    assert messages("api-rbac-permissions-in-token", [api(enforcePolicies=False)]) == []  # no roles
    unknown = api(enforcePolicies=UNKNOWN_BOOLEAN_VALUE, tokenDialect=UNKNOWN_STRING_VALUE)
    assert messages("api-rbac-permissions-in-token", [unknown, perm]) == []


# --- scopes-defined-on-api


def test_every_reference_names_a_defined_scope() -> None:
    perm = R(
        ROLE_PERMISSION,
        {"roleId": "r", "permission": "write:tools", "resourceServerIdentifier": URL},
        name="p",
    )
    grant = R(CLIENT_GRANT, {"clientId": "c", "audience": URL, "scopes": ["read:tools", "launch"]}, name="g")
    claim = {
        "inboundTokenClaimName": "permissions",
        "inboundTokenClaimValueType": "STRING_ARRAY",
        "authorizingClaimMatchValue": {
            "claimMatchOperator": "CONTAINS",
            "claimMatchValue": {"matchValueString": "read:tool"},
        },
    }
    mgmt = R(
        CLIENT_GRANT,
        {"clientId": "c", "audience": "https://acme.us.auth0.com/api/v2/", "scopes": ["read:users"]},
    )
    msgs = messages(
        "scopes-defined-on-api",
        [gateway(), authorizer(customClaims=[claim]), api(), scopes(), perm, grant, mgmt],
    )
    assert len(msgs) == 3
    assert any("'p' grants permission 'write:tools'" in m for m in msgs)
    assert any("'g' grants scope 'launch'" in m for m in msgs)
    assert any("requires permission 'read:tool'" in m for m in msgs)
    assert messages("scopes-defined-on-api", compliant_stack()) == []


# --- third-party-clients-ready, audience-resolution


def test_dcr_needs_a_domain_connection_and_default_grants() -> None:
    msgs = messages("third-party-clients-ready", [tenant(), api(), domain_connection(False)])
    assert len(msgs) == 2
    assert "isDomainConnection: true" in msgs[0]
    assert "defaultFor: third_party_clients" in msgs[1]
    off = tenant(flags={"enableDynamicClientRegistration": False}, clientIdMetadataDocumentSupported=False)
    assert messages("third-party-clients-ready", [off, api()]) == []


def test_dcr_check_for_stacks_that_do_not_own_the_tenant() -> None:
    assert messages("third-party-clients-ready", [api()]) == []
    cfg = {"thirdPartyClients": True, "domainConnectionElsewhere": True}
    (msg,) = messages("third-party-clients-ready", [api()], cfg)
    assert "no default grant" in msg
    assert messages("third-party-clients-ready", [api(), third_party_grant()], cfg) == []


def test_audience_resolution() -> None:
    two = [gateway(), R(GATEWAY, {}, name="gw2")]
    (msg,) = messages("audience-resolution", [tenant(resourceParameterProfile="audience"), *two])
    assert "no default audience" in msg and "compatibility" in msg
    (msg,) = messages("audience-resolution", [tenant(resourceParameterProfile="audience", defaultAudience=URL), *two])
    assert "2 gateways share the tenant" in msg
    assert (
        messages(
            "audience-resolution",
            [tenant(resourceParameterProfile="audience", defaultAudience=URL), gateway()],
        )
        == []
    )
    assert messages("audience-resolution", [tenant(resourceParameterProfile=UNKNOWN_STRING_VALUE), *two]) == []
    assert messages("audience-resolution", two) == []  # the tenant is another stack's
    # compatibility: a default audience is applied to resource-only requests too (Auth0 tenant
    # settings: "appending this audience to every authorization request"): one gateway only.
    (msg,) = messages(
        "audience-resolution", [tenant(resourceParameterProfile="compatibility", defaultAudience=URL), *two]
    )
    assert "2 gateways share the tenant" in msg and "Unset the default audience" in msg
    assert (
        messages(
            "audience-resolution", [tenant(resourceParameterProfile="compatibility", defaultAudience=URL), gateway()]
        )
        == []
    )
    assert (
        messages("audience-resolution", [tenant(resourceParameterProfile="compatibility", defaultAudience=""), *two])
        == []
    )


# --- advisory rules


def test_machine_clients_least_privilege() -> None:
    client = R(CLIENT, {"appType": "non_interactive", "grantTypes": ["client_credentials", "password"]}, name="c")
    grant = R(CLIENT_GRANT, {"clientId": "c", "audience": URL, "scopes": ["read:tools", "admin"]}, name="g")
    found = check("machine-client-least-privilege", [client, grant])
    assert {v["enforcementLevel"] for v in found} == {"advisory"}
    assert len(found) == 2
    assert messages("machine-client-least-privilege", [grant], {"forbiddenScopes": ["write:resources"]}) == []
    assert messages("machine-client-least-privilege", [third_party_grant()]) == []


def test_token_lifetime_max() -> None:
    (msg,) = messages("token-lifetime-max", [api(tokenLifetime=172800)])
    assert "172800" in msg
    assert messages("token-lifetime-max", [api(tokenLifetime=7200)]) == []
    assert len(messages("token-lifetime-max", [api(tokenLifetime=7200)], {"maxSeconds": 3600})) == 1


def test_protect_production() -> None:
    prod = [dataclass_replace(r, stack="prod-eu") for r in (gateway(), api(), tenant())]
    assert len(messages("protect-production", prod)) == 3
    assert messages("protect-production", [dataclass_replace(r, protect=True) for r in prod]) == []
    assert messages("protect-production", [gateway(), api(), tenant()]) == []  # dev
    assert len(messages("protect-production", [gateway()], {"stackPatterns": ["dev"]})) == 1
    # A role or the connection too: deleting either loses every user's assignment or account.
    people = [dataclass_replace(r, stack="prod-eu") for r in (domain_connection(), R(ROLE, {"name": "MCP User"}))]
    found = messages("protect-production", people)
    assert len(found) == 2 and all("is not protected" in m for m in found)
    assert messages("protect-production", [dataclass_replace(r, protect=True) for r in people]) == []


def test_post_login_action_binding() -> None:
    action = R(
        ACTION,
        {"name": "claims", "deploy": True, "supportedTriggers": {"id": "post-login", "version": "v3"}},
        name="act",
    )
    as_list = dataclass_replace(action, inputs={**action.inputs, "supportedTriggers": [{"id": "post-login"}]})
    assert "bound to post-login by no TriggerAction" in messages("post-login-action-bound-safely", [as_list])[0]
    good = R(
        TRIGGER_ACTION,
        {"trigger": "post-login", "actionId": UNKNOWN_STRING_VALUE},
        name="bind",
        depends_on=[action.urn],
    )
    assert messages("post-login-action-bound-safely", [action, good]) == []
    (msg,) = messages("post-login-action-bound-safely", [action])
    assert "bound to post-login by no TriggerAction" in msg
    undeployed = dataclass_replace(action, inputs={**action.inputs, "deploy": False})
    assert "not deployed" in messages("post-login-action-bound-safely", [undeployed, good])[0]
    whole = R(TRIGGER_ACTIONS, {"trigger": "post-login", "actions": []}, name="all")
    assert "removes every other Action" in messages("post-login-action-bound-safely", [action, good, whole])[0]


# --- config: enforcement levels


def test_enforcement_level_can_be_overridden_or_disabled() -> None:
    bad = [api(signingAlg="HS256")]
    (v,) = run_pack(bad, {}, [by_name("api-signing-alg")])
    assert v["enforcementLevel"] == "mandatory" and v["resource"].endswith("::api-tools-api")
    (v,) = run_pack(bad, {"api-signing-alg": {"enforcementLevel": "advisory"}}, [by_name("api-signing-alg")])
    assert v["enforcementLevel"] == "advisory"
    assert run_pack(bad, {"api-signing-alg": {"enforcementLevel": "disabled"}}, [by_name("api-signing-alg")]) == []
    # As pulumi_policy's analyzer reports it: a rule with no remediation set to `remediate` still
    # fails as mandatory (the offline pack runs in that analyzer, not a copy of its handling).
    (v,) = run_pack(bad, {"api-signing-alg": {"enforcementLevel": "remediate"}}, [by_name("api-signing-alg")])
    assert v["enforcementLevel"] == "mandatory"


def test_config_schemas_declare_their_defaults() -> None:
    for p in ALL_POLICIES:
        if p.config_schema:
            for key, spec in p.config_schema.properties.items():
                assert "default" in spec and spec.get("description"), (p.name, key)


# --- the gateway resource of this program (one resource: gateway and authorizer) ----------------


def test_the_rules_read_the_one_resource_gateway() -> None:
    assert messages("gateway-audience-is-api-identifier", [mcp_gateway(), api()]) == []
    (msg,) = messages("gateway-audience-is-api-identifier", [mcp_gateway(allowedAudiences=[URL + "/"]), api()])
    assert "differs only by a trailing slash" in msg
    (msg,) = messages("gateway-no-allowed-clients", [mcp_gateway(allowedClients=["abc"])])
    assert "gw-tools-gateway" in msg
    (msg,) = messages("gateway-custom-jwt", [mcp_gateway(discoveryUrl="https://acme.us.auth0.com/")])
    assert "end in /.well-known/openid-configuration" in msg
    # The allowed scope and claim rules name scopes the API must define.
    rule = {
        "inboundTokenClaimName": "permissions",
        "authorizingClaimMatchValue": {"claimMatchValue": {"matchValueStringList": ["nope"]}},
    }
    found = messages(
        "scopes-defined-on-api", [mcp_gateway(customClaims=[rule], allowedScopes=["missing:x"]), api(), scopes()]
    )
    assert len(found) == 2 and any("'nope'" in m for m in found) and any("'missing:x'" in m for m in found)


def test_at_preview_a_new_gateways_audience_is_unknown_not_wrong() -> None:
    """A preview of a new gateway has no allowedAudiences yet: no false failure; with a custom
    domain the audience is known and checked."""
    assert messages("gateway-audience-is-api-identifier", [mcp_gateway(allowedAudiences=None), api()]) == []
    assert (
        messages("gateway-audience-is-api-identifier", [mcp_gateway(allowedAudiences=UNKNOWN_ARRAY_VALUE), api()]) == []
    )
    domained = mcp_gateway(allowedAudiences=None, domain="mcp.example.com")
    (msg,) = messages("gateway-audience-is-api-identifier", [domained, api()])
    assert "'https://mcp.example.com/mcp'" in msg and "no Auth0 API has that identifier" in msg
    assert messages("gateway-audience-is-api-identifier", [domained, api("https://mcp.example.com/mcp")]) == []
