"""Every bad stack config is refused before anything is declared, naming the key path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config import load_settings
from components.config_model import DEFAULT_ROLES, DEFAULT_SCOPES, ConfigError
from tests.conftest import make_config


def problems(cfg: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, "test")
    return info.value.problems


def one_problem(cfg: dict[str, Any]) -> str:
    found = problems(cfg)
    assert len(found) == 1, found
    return found[0]


def test_minimal_config_gets_the_documented_defaults() -> None:
    s = load_settings(make_config(), "test")
    assert s.issuer == "https://acme-test.eu.auth0.com/"
    assert s.discovery_url == "https://acme-test.eu.auth0.com/.well-known/openid-configuration"
    assert s.project.scopes == DEFAULT_SCOPES
    assert s.project.roles == DEFAULT_ROLES
    t = s.project.tenant
    assert (t.manage, t.dynamic_client_registration, t.client_id_metadata_documents) == (True, True, True)
    assert t.resource_parameter_profile == "compatibility"
    assert (t.connection.name, t.connection.disable_signup) == ("mcp-users", True)
    assert s.project.protect is False
    # DCR clients get every scope but admin unless told otherwise.
    assert s.third_party_scopes(s.project.gateways[0]) == [x for x in DEFAULT_SCOPES if x != "admin"]


def test_custom_domain_issuer_gets_exactly_one_trailing_slash() -> None:
    s = load_settings(make_config(issuer="https://login.acme.com"), "test")
    assert s.issuer == "https://login.acme.com/"
    assert s.discovery_url == "https://login.acme.com/.well-known/openid-configuration"


@pytest.mark.parametrize(
    "cfg, path, says",
    [
        (make_config(colour="blue"), "mcpauth:colour", "accepted mcpauth: keys"),
        (
            make_config([{"name": "tools", "audiance": "x"}]),
            "mcpauth:gateways[0].audiance",
            "accepted keys here",
        ),
        (make_config(tenant={"mange": False}), "mcpauth:tenant.mange", "manage"),
        (make_config([{"name": "a"}, {"name": "a"}]), "mcpauth:gateways[1].name", "already used"),
        (make_config([]), "mcpauth:gateways", "at least one"),
        (make_config([{"name": "Tools_1"}]), "mcpauth:gateways[0].name", "lower-case"),
        (
            make_config([{"name": "a", "requiredPermissions": ["read:tools", "tools.read"]}]),
            "mcpauth:gateways[0].requiredPermissions[1]",
            "'tools.read'",
        ),
        (
            make_config([{"name": "a", "thirdPartyScopes": ["nope"]}]),
            "mcpauth:gateways[0].thirdPartyScopes[0]",
            "not a scope defined",
        ),
        (
            make_config(roles={"MCP User": ["read:tools", "launch:missiles"]}),
            "mcpauth:roles.MCP User[1]",
            "launch:missiles",
        ),
        (
            make_config(machineClients=[{"name": "m", "gateway": "nope", "scopes": ["read:tools"]}]),
            "mcpauth:machineClients[0].gateway",
            "not a gateway",
        ),
        (
            make_config(machineClients=[{"name": "m", "gateway": "tools", "scopes": ["x"]}]),
            "mcpauth:machineClients[0].scopes[0]",
            "not a scope",
        ),
        (
            make_config(
                machineClients=[
                    {"name": "m", "gateway": "tools", "scopes": ["read:tools"]},
                    {"name": "m", "gateway": "tools", "scopes": ["read:tools"]},
                ]
            ),
            "mcpauth:machineClients[1].name",
            "already used",
        ),
        (
            make_config(machineClients=[{"name": "m", "gateway": "tools", "scopes": []}]),
            "mcpauth:machineClients[0].scopes",
            "at least 1",
        ),
        (make_config(tenant={"defaultAudience": "nope"}), "mcpauth:tenant.defaultAudience", "not a gateway"),
        (
            make_config(tenant={"manage": False, "defaultAudience": "tools"}),
            "mcpauth:tenant.defaultAudience",
            "manage is false",
        ),
        (
            make_config(tenant={"claimsNamespace": "http://acme.com/"}),
            "mcpauth:tenant.claimsNamespace",
            "https",
        ),
        (
            make_config(tenant={"claimsNamespace": "https://acme.auth0.com/claims"}),
            "mcpauth:tenant.claimsNamespace",
            "reserves",
        ),
        (
            make_config(tenant={"claimsNamespace": "https://auth0.com./"}),
            "mcpauth:tenant.claimsNamespace",
            "reserves",
        ),
        (
            make_config(tenant={"resourceParameterProfile": "resource"}),
            "mcpauth:tenant.resourceParameterProfile",
            "'compatibility' or 'audience'",
        ),
        (make_config(issuer="http://login.acme.com/"), "mcpauth:issuer", "https://"),
        (make_config(issuer="https://login.acme.com/tenant/"), "mcpauth:issuer", "no path"),
        (make_config(issuer="https://login.acme.com/?x=1"), "mcpauth:issuer", "no path, query"),
        (
            make_config([{"name": "a", "tokenLifetimeSeconds": 10}]),
            "mcpauth:gateways[0].tokenLifetimeSeconds",
            "60",
        ),
        (make_config(protect="maybe"), "mcpauth:protect", "bool"),
        # What AgentCore refuses (the service model), named by the key before anything is created:
        (
            make_config([{"name": "a", "requiredPermissions": ["read:tools", "execute:tools"]}]),
            "mcpauth:gateways[0].requiredPermissions",
            "at most one such permission",
        ),
        (
            make_config([{"name": "a", "requiredPermissions": ['say"hi']}], scopes={'say"hi': "x"}, roles={}),
            "mcpauth:gateways[0].requiredPermissions[0]",
            "neither as a claim value",
        ),
        (
            make_config([{"name": "a", "requiredPermissions": ["x" * 256]}], scopes={"x" * 256: "x"}, roles={}),
            "mcpauth:gateways[0].requiredPermissions[0]",
            "at most 255",
        ),
        (
            make_config(
                [{"name": "a", "existingGatewayId": "arn:aws:bedrock-agentcore:us-east-1:1:gateway/g-0123456789"}]
            ),
            "mcpauth:gateways[0].existingGatewayId",
            "that is an ARN",
        ),
        (
            make_config([{"name": "a", "existingGatewayId": " g-0123456789 "}]),
            "mcpauth:gateways[0].existingGatewayId",
            "no spaces",
        ),
        (make_config([{"name": "a", "domain": "https://mcp.example.com/"}]), "mcpauth:gateways[0].domain", "bare DNS"),
        (make_config([{"name": "a", "description": "x" * 201}]), "mcpauth:gateways[0].description", "200"),
        ({**make_config(), "aws:accessKey": "AKIAEXAMPLE"}, "aws:accessKey", "aws:profile"),
        ({**make_config(), "aws:insecure": "true"}, "aws:insecure", "TLS verification"),
        (
            {**make_config(), "aws:assumeRoles": '[{"roleArn": "arn:aws:iam::1:role/x", "duration": "2d"}]'},
            "aws:assumeRoles[0].duration",
            "between 15m and 12h",
        ),
        (
            {**make_config(), "aws:sharedConfigFiles": '["a", "b"]'},
            "aws:sharedConfigFiles",
            "exactly one path",
        ),
        (
            make_config(scopes={"read:tools": "a", "read_tools": "b"}, roles={}),
            "mcpauth:scopes",
            "differ only",
        ),
        (make_config(scopes={"read tools": "a"}, roles={}), "mcpauth:scopes", "no spaces"),
        (
            make_config(
                [{"name": "a", "existingGatewayId": "g-0123456789"}, {"name": "b", "existingGatewayId": "g-0123456789"}]
            ),
            "mcpauth:gateways[1].existingGatewayId",
            "already adopted",
        ),
    ],
)
def test_each_bad_value_names_its_key_path(cfg: dict[str, Any], path: str, says: str) -> None:
    msg = one_problem(cfg)
    assert msg.startswith(path + ":"), msg
    assert says in msg, msg


def test_missing_and_malformed_provider_keys_are_named() -> None:
    cfg = make_config()
    del cfg["auth0:domain"], cfg["aws:region"]
    found = problems(cfg)
    assert any(p.startswith("auth0:domain: is required") for p in found)
    assert any(p.startswith("aws:region: is required") for p in found)

    for domain in ("https://acme.auth0.com", "acme.auth0.com/path", "acme"):
        cfg = make_config()
        cfg["auth0:domain"] = domain
        assert one_problem(cfg).startswith("auth0:domain: got"), domain

    cfg = make_config()
    cfg["aws:region"] = "virginia"
    assert one_problem(cfg).startswith("aws:region: got 'virginia'")


def test_missing_gateways_and_bad_json_are_named() -> None:
    cfg = make_config()
    del cfg["mcpauth:gateways"]
    assert one_problem(cfg).startswith("mcpauth:gateways: is required")
    cfg = make_config()
    cfg["mcpauth:gateways"] = '[{"name": "tools",]'
    assert one_problem(cfg).startswith("mcpauth:gateways: is not valid JSON")


def test_all_problems_are_reported_at_once() -> None:
    cfg = make_config(
        [{"name": "a", "requiredPermissions": ["x"]}, {"name": "a"}],
        tenant={"defaultAudience": "zzz"},
    )
    found = problems(cfg)
    assert len(found) == 3
    assert str(ConfigError(found)).count("\n  - ") == 3


def test_other_namespaces_are_left_to_their_owners() -> None:
    cfg = make_config()
    cfg["aws:skipCredentialsValidation"] = "true"
    cfg["auth0:clientSecret"] = "[secret]"
    load_settings(cfg, "test")  # no error: providers validate their own keys


def test_the_config_error_never_echoes_a_secret_value() -> None:
    # A user who pastes a secret into a wrong key must not see it in CI logs.
    cfg = make_config()
    cfg["mcpauth:clientSecret"] = "s3cr3t-value-xyz"
    assert "s3cr3t" not in str(ConfigError(problems(cfg)))


def test_gateways_as_yaml_list_of_objects_json_roundtrip() -> None:
    gws = [{"name": "a", "requiredPermissions": ["read:tools"], "thirdPartyScopes": []}]
    s = load_settings(make_config(gws), "x")
    assert s.project.gateways[0].required_permissions == ["read:tools"]
    assert s.third_party_scopes(s.project.gateways[0]) == []
    assert json.loads(make_config(gws)["mcpauth:gateways"]) == gws


def test_a_secret_config_value_is_redacted_from_errors() -> None:
    cfg = make_config(issuer="http://hunter2-login.acme.com/")
    msg = str(ConfigError(problems(cfg)))
    assert "hunter2" in msg  # not secret: shown, so the user sees what is wrong
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, "test", frozenset({"mcpauth:issuer"}))
    assert "hunter2" not in str(info.value)
    assert "mcpauth:issuer: got [secret]" in str(info.value)


def test_the_aws_provider_config_reaches_the_gateway_client() -> None:
    cfg = {
        **make_config(),
        "aws:profile": "deployer",
        "aws:assumeRoles": json.dumps(
            [{"roleArn": "arn:aws:iam::123456789012:role/deploy", "sessionName": "ci", "duration": "1h"}]
        ),
        "aws:endpoints": '[{"bedrockagentcore": "https://agentcore.internal", "sts": "https://sts.internal"}]',
        "aws:defaultTags": '{"tags": {"team": "platform"}}',
        "aws:allowedAccountIds": '["123456789012"]',
        "aws:maxRetries": "5",  # no bearing on where calls go: ignored
    }
    s = load_settings(cfg, "test")
    assert s.aws_client == {
        "profile": "deployer",
        "assumeRoles": [
            {"roleArn": "arn:aws:iam::123456789012:role/deploy", "sessionName": "ci", "durationSeconds": 3600}
        ],
        "endpoint": "https://agentcore.internal",
        "stsEndpoint": "https://sts.internal",
        "allowedAccountIds": ["123456789012"],
    }
    assert s.aws_default_tags == {"team": "platform"}


def test_a_secret_aws_key_is_named_but_never_echoed() -> None:
    cfg = {**make_config(), "aws:secretKey": "wJalrXUtnFEMI/K7MDENG"}
    (msg,) = problems(cfg)
    assert msg.startswith("aws:secretKey:") and "wJalrXUtnFEMI" not in msg


def test_open_signup_on_a_domain_connection_with_dcr_needs_an_explicit_yes() -> None:
    cfg = make_config(tenant={"connection": {"disableSignup": False}})
    msg = one_problem(cfg)
    assert msg.startswith("mcpauth:tenant.connection.disableSignup: is false on a domain-level connection")
    assert "publicSignup: true" in msg
    load_settings(make_config(tenant={"connection": {"disableSignup": False, "publicSignup": True}}), "t")
    # Without DCR or CIMD no client registers itself: sign-up is the tenant's business.
    off = {"dynamicClientRegistration": False, "clientIdMetadataDocuments": False}
    load_settings(make_config(tenant={**off, "connection": {"disableSignup": False}}), "t")
    # A stack that does not own the tenant declares no connection.
    load_settings(make_config(tenant={"manage": False, "connection": {"disableSignup": False}}), "t")


def test_connection_options_to_keep_are_checked_against_the_provider_names() -> None:
    ok = make_config(tenant={"connection": {"options": {"mfa": {"active": True}, "password_histories": []}}})
    load_settings(ok, "t")
    msg = one_problem(make_config(tenant={"connection": {"options": {"password_history": [{"enable": True}]}}}))
    assert msg.startswith("mcpauth:tenant.connection.options.password_history: not an option of the auth0 connection")
    assert "password_histories" in msg and "mfa" in msg
    msg = one_problem(make_config(tenant={"connection": {"options": {"disable_signup": False}}}))
    assert msg == (
        "mcpauth:tenant.connection.options.disable_signup: not here: "
        "set it with mcpauth:tenant.connection.disableSignup"
    )
    msg = one_problem(make_config(tenant={"connection": {"options": {"brute_force_protection": False}}}))
    assert "brute_force_protection: not here: always on" in msg


def test_offline_access_is_on_by_default_and_per_gateway() -> None:
    s = load_settings(make_config([{"name": "a"}, {"name": "b", "offlineAccess": False}]), "t")
    assert [g.offline_access for g in s.project.gateways] == [True, False]


@pytest.mark.parametrize(
    ("roles", "says"),
    [
        ({"": ["read:tools"]}, "mcpauth:roles: key '': a role name must be 1 to 100 characters (got 0)"),
        ({"x" * 5000: ["read:tools"]}, "a role name must be 1 to 100 characters (got 5000)"),
        ({"MCP\nUser": ["read:tools"]}, "a role name must not start or end with a space, or hold a newline"),
        ({"users": {"name": " MCP User"}}, "mcpauth:roles.users.name: got ' MCP User': must not start or end"),
        ({"users": {"id": "MCP User", "name": "x"}}, "mcpauth:roles.users.id: got 'MCP User': must be lower-case"),
        ({"MCP User": ["read:tools"], "mcp-user": {"name": "Other"}}, "has id 'mcp-user', as 'MCP User' does"),
        ({"a": {"name": "Same"}, "b": {"name": "Same"}}, "mcpauth:roles.b: has name 'Same', as 'a' does"),
        ({"a": {"previousIds": ["b"]}, "b": {"name": "B"}}, "mcpauth:roles.a.previousIds[0]: got 'b': a current"),
        ({"a": {"permissions": ["nope"]}}, "mcpauth:roles.a.permissions[0]: got 'nope': not a scope defined"),
        ({"A": ["nope"]}, "mcpauth:roles.A[0]: got 'nope': not a scope defined"),
        ({"A": 5}, "mcpauth:roles.A: got 5: a role is a list of permissions, or {id, name, permissions, previousIds}"),
        (
            {"A": {"nme": "x"}},
            "mcpauth:roles.A.nme: unknown key; accepted keys here: id, name, permissions, previousIds",
        ),
    ],
    ids=[
        "empty",
        "5000",
        "newline",
        "space",
        "bad-id",
        "same-id",
        "same-name",
        "previous-is-current",
        "perm",
        "short",
        "neither-form",
        "unknown-key",
    ],
)
def test_role_names_and_ids_are_what_auth0_and_pulumi_can_hold(roles: dict[str, Any], says: str) -> None:
    found = problems(make_config(roles=roles))
    assert any(says in p for p in found), found


def test_roles_short_and_object_forms_give_stable_ids() -> None:
    s = load_settings(
        make_config(
            roles={"MCP User": ["read:tools"], "admins": {"name": "MCP Admin", "permissions": ["admin"]}},
        ),
        "t",
    )
    assert [(r.id, r.name, r.permissions) for r in s.project.role_specs] == [
        ("mcp-user", "MCP User", ("read:tools",)),
        ("admins", "MCP Admin", ("admin",)),
    ]


def test_a_default_role_must_be_a_role_of_the_owning_stack() -> None:
    assert one_problem(make_config(tenant={"defaultRole": "Nobody"})) == (
        "mcpauth:tenant.defaultRole: got 'Nobody': not a role in mcpauth:roles (MCP User, MCP Admin)"
    )
    msg = one_problem(make_config(tenant={"manage": False, "defaultRole": "MCP User"}))
    assert msg.startswith("mcpauth:tenant.defaultRole: is set while mcpauth:tenant.manage is false")
    by_id = load_settings(make_config(tenant={"defaultRole": "mcp-admin"}), "t")
    assert by_id.project.default_role_spec is not None and by_id.project.default_role_spec.name == "MCP Admin"
