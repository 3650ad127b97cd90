"""Every bad stack config is refused before anything is declared, naming the key path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stackconfig.model import DEFAULT_ROLES, DEFAULT_SCOPES, ConfigError
from stackconfig.settings import load_settings
from tests.helpers.stack import make_config, one_problem, problems


def test_minimal_config_gets_the_documented_defaults() -> None:
    s = load_settings(make_config(), "test")
    assert s.issuer == "https://acme-test.eu.auth0.com/"
    assert s.discovery_url == "https://acme-test.eu.auth0.com/.well-known/openid-configuration"
    assert s.project.scopes == DEFAULT_SCOPES
    assert s.project.roles == DEFAULT_ROLES
    t = s.project.tenant
    assert (t.manage, t.dynamic_client_registration, t.client_id_metadata_documents) == (True, True, False)
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
            "at most one permission with ':' per gateway",
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


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eusc-de-east-1", "aws-eusc"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"), ("eu-west-3", "aws")],
)
def test_a_region_of_every_partition_botocore_knows_is_accepted(region: str, partition: str) -> None:
    """botocore's data/partitions.json defines aws-eusc (regionRegex ^eusc\\-(de)\\-\\w+\\-\\d+$), which
    docs/configuration.md lists; its regions were refused by a shape check that wanted two letters first."""
    from agentcore.awsmodel import partition_for

    s = load_settings({**make_config(), "aws:region": region}, "test")
    assert s.aws_region == region and partition_for(s.aws_region) == partition


def test_a_region_no_partition_knows_names_the_accepted_forms() -> None:
    msg = one_problem({**make_config(), "aws:region": "eusc-xx-east"})
    assert msg.startswith("aws:region: got 'eusc-xx-east': not an AWS region name such as us-east-1"), msg
    assert "eusc-de-east-1" in msg


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


@pytest.mark.parametrize(
    "flags",
    [
        # CIMD alone: known clients registered by their metadata document (manual CIMD).
        {
            "dynamicClientRegistration": False,
            "clientIdMetadataDocuments": {"clients": ["https://c.example.com/m.json"]},
        },
        # DCR alone.
        {"clientIdMetadataDocuments": False},
    ],
)
def test_open_signup_is_refused_when_either_self_registration_is_on(flags: dict[str, bool]) -> None:
    """DCR alone or CIMD alone lets a client register itself; either one makes open sign-up public."""
    msg = one_problem(make_config(tenant={**flags, "connection": {"disableSignup": False}}))
    assert msg.startswith("mcpauth:tenant.connection.disableSignup: is false on a domain-level connection")


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


# --- the aws:* keys (stackconfig/aws.py): what reaches the gateway's boto3 client, or why not ---


def aws_client(**keys: Any) -> dict[str, Any]:
    return load_settings({**make_config(), **{f"aws:{k}": v for k, v in keys.items()}}, "test").aws_client


def aws_problems(**keys: Any) -> list[str]:
    return problems({**make_config(), **{f"aws:{k}": v for k, v in keys.items()}})


def test_refused_aws_keys_are_refused_only_when_set() -> None:
    assert aws_client(accessKey="false", token="", insecure=False) == {}
    (msg,) = aws_problems(httpProxy="http://proxy.internal:3128")
    assert msg == (
        "aws:httpProxy: is set, which means an HTTP proxy for pulumi-aws; the gateway is managed by calls this "
        "program makes with boto3, which cannot honour it, so they would go elsewhere or as someone else. Unset "
        "aws:httpProxy and use the environment or an AWS profile (aws:profile) instead"
    )


def test_shared_files_reach_the_client_as_one_path_each() -> None:
    assert aws_client(sharedConfigFiles='["/cfg"]', sharedCredentialsFiles='["/creds"]') == {
        "sharedConfigFile": "/cfg",
        "sharedCredentialsFile": "/creds",
    }
    assert aws_problems(sharedCredentialsFiles="[1]") == [
        "aws:sharedCredentialsFiles: got [1]: boto3 reads one file; give a list of exactly one path"
    ]
    assert aws_client(sharedConfigFiles="[]", profile="") == {}
    # A key set to "" (`pulumi config set aws:… ""`) is a key not set.
    assert aws_client(sharedConfigFiles="", assumeRoles="", endpoints="", allowedAccountIds="") == {}


def test_assume_role_chain_problems_name_the_hop() -> None:
    assert aws_problems(assumeRoles='{"roleArn": "arn:aws:iam::1:role/x"}') == [
        "aws:assumeRoles: got {'roleArn': 'arn:aws:iam::1:role/x'}: must be a list of {roleArn, ...}"
    ]
    found = aws_problems(
        assumeRoles='[{"sessionName": "ci"}, {"roleArn": "arn:aws:iam::1:role/x", "colour": "b", "size": 1}]'
    )
    assert found == [
        "aws:assumeRoles[0]: must have a roleArn",
        "aws:assumeRoles[1]: unknown key(s) colour, size; accepted: duration, externalId, policy, policyArns, roleArn, "
        "sessionName, sourceIdentity, tags, transitiveTagKeys",
    ]


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("15m", 900), ("12h", 43200), ("1h30m", 5400), ("900s", 900), ("14m59s", None), ("12h0m1s", None), ("", None)],
)
def test_an_assumed_roles_duration_is_between_15_minutes_and_12_hours(duration: str, seconds: int | None) -> None:
    roles = json.dumps([{"roleArn": "arn:aws:iam::1:role/x", "duration": duration}])
    if seconds is None:
        assert aws_problems(assumeRoles=roles) == [
            f"aws:assumeRoles[0].duration: got {duration!r}: a duration between 15m and 12h, e.g. 1h"
        ]
    else:
        assert aws_client(assumeRoles=roles)["assumeRoles"] == [
            {"roleArn": "arn:aws:iam::1:role/x", "durationSeconds": seconds}
        ]


def test_endpoints_sts_region_and_endpoint_flags_reach_the_client() -> None:
    assert aws_client(endpoints='{"bedrockagentcore": "https://agentcore.internal"}') == {
        "endpoint": "https://agentcore.internal"
    }
    assert aws_client(endpoints='[{"sts": "https://sts.internal"}, "x"]') == {"stsEndpoint": "https://sts.internal"}
    assert aws_client(stsRegion="us-west-2", useFipsEndpoint="true", useDualstackEndpoint=True) == {
        "stsRegion": "us-west-2",
        "useFipsEndpoint": True,
        "useDualstackEndpoint": True,
    }
    assert aws_client(useFipsEndpoint="false", useDualstackEndpoint="TRUE") == {"useDualstackEndpoint": True}


def test_account_id_lists_are_checked() -> None:
    assert aws_client(forbiddenAccountIds='["123456789012"]') == {"forbiddenAccountIds": ["123456789012"]}
    assert aws_problems(forbiddenAccountIds='["12345"]') == [
        "aws:forbiddenAccountIds: got ['12345']: a list of 12-digit account ids"
    ]


def test_default_tags_are_strings_and_only_from_a_tags_map() -> None:
    cfg = {**make_config(), "aws:defaultTags": '{"tags": {"cost-centre": 42}}'}
    assert load_settings(cfg, "test").aws_default_tags == {"cost-centre": "42"}
    cfg["aws:defaultTags"] = '{"tags": "team=platform"}'
    assert load_settings(cfg, "test").aws_default_tags == {}


def test_the_config_error_lists_every_problem_under_one_heading() -> None:
    assert str(ConfigError(["a: bad", "b: worse"])) == "invalid stack config:\n  - a: bad\n  - b: worse"


@pytest.mark.parametrize(
    ("cfg", "problem"),
    [
        (make_config([{"description": "x"}]), "mcpauth:gateways[0].name: is required"),
        (
            make_config(tenant={"resourceParameterProfile": "rfc8707"}),
            "mcpauth:tenant.resourceParameterProfile: got 'rfc8707'; input should be 'compatibility' or 'audience'",
        ),
        (
            make_config(tenant="x"),
            "mcpauth:tenant: got 'x': Input should be a valid dictionary or instance of TenantConfig",
        ),
        (
            make_config([{"name": "a", "audiance": "x"}]),
            "mcpauth:gateways[0].audiance: unknown key; accepted keys here: name, description, existingGatewayId, "
            "domain, requiredPermissions, thirdPartyScopes, tokenLifetimeSeconds, offlineAccess, targets, toolAccess, "
            "mcp",
        ),
        (
            make_config(tenant={"connection": {"nmae": "x"}}),
            "mcpauth:tenant.connection.nmae: unknown key; accepted keys here: name, disableSignup, publicSignup, "
            "options",
        ),
        (
            make_config(machineClients=[{"name": "m", "gateway": "tools", "scopes": ["admin"], "secret": "x"}]),
            "mcpauth:machineClients[0].secret: unknown key; accepted keys here: name, gateway, scopes",
        ),
        (
            make_config(issuer="https://user@login.acme.com/"),
            "mcpauth:issuer: got 'https://user@login.acme.com/': must be https://<host>/ with no path, query or "
            "fragment",
        ),
    ],
)
def test_pydantic_and_url_problems_read_as_the_user_wrote_the_key(cfg: dict[str, Any], problem: str) -> None:
    assert problems(cfg) == [problem]


def test_connection_options_are_the_sdks_keyword_arguments_only() -> None:
    msg = one_problem(make_config(tenant={"connection": {"options": {"__self__": 1}}}))
    assert msg.startswith("mcpauth:tenant.connection.options.__self__: not an option of the auth0 connection")
    accepted = msg.split("ConnectionOptionsArgs): ")[1].split(", ")
    assert "password_policy" in accepted and "__self__" not in accepted and "self" not in accepted


def test_an_undefined_scope_is_named_with_the_defined_ones() -> None:
    assert one_problem(make_config([{"name": "a", "requiredPermissions": ["nope"]}])) == (
        "mcpauth:gateways[0].requiredPermissions[0]: got 'nope': not a scope defined in mcpauth:scopes "
        "(admin, execute:tools, read:resources, read:tools, write:resources)"
    )
    assert problems(make_config([{"name": "a", "requiredPermissions": ["nope"]}], scopes={}, roles={})) == [
        "mcpauth:gateways[0].requiredPermissions[0]: got 'nope': not a scope defined in mcpauth:scopes (none)"
    ]


def test_required_permissions_agentcore_can_and_cannot_require() -> None:
    scopes = {"read:tools": "r", "execute:tools": "e", "tools.x": "x", 'a"b': "q", "p" * 255: "p", "q" * 256: "q"}
    perms = ["tools.x", "read:tools", 'a"b', "execute:tools"]
    assert problems(make_config([{"name": "a", "requiredPermissions": perms}], scopes=scopes, roles={})) == [
        "mcpauth:gateways[0].requiredPermissions[2]: got 'a\"b': AgentCore can require it neither as a claim value "
        '([A-Za-z0-9_.-]+) nor as an allowed scope (printable ASCII without space, " or \\)',
        "mcpauth:gateways[0].requiredPermissions: 'read:tools', 'execute:tools' must all hold, but AgentCore "
        "cannot require all of them: a claim rule's value may not contain ':', and a token needs only any one of "
        "a gateway's allowed scopes. Accepted: at most one permission with ':' per gateway (its allowed scope), "
        "and any number named with letters, digits, '_', '.' and '-' only (e.g. tools.execute; each becomes a "
        "claim rule, and every claim rule must hold). Requiring several ':' permissions at once needs AgentCore's "
        "policy engine (Cedar), which mcpauth does not set up yet",
    ]
    # 1-255 characters each (the model's MatchValueString and AllowedScopeType).
    longest = make_config([{"name": "a", "requiredPermissions": ["p" * 255, "q" * 256]}], scopes=scopes, roles={})
    assert problems(longest) == [
        "mcpauth:gateways[0].requiredPermissions[1]: 256 characters; AgentCore takes at most 255"
    ]


def test_role_names_may_have_100_characters() -> None:
    assert problems(make_config(roles={"r" * 100: [], "s" * 101: []})) == [
        f"mcpauth:roles: key {'s' * 60!r}: a role name must be 1 to 100 characters (got 101)"
    ]


def test_an_issuer_with_its_trailing_slash_is_accepted() -> None:
    assert load_settings(make_config(issuer="https://login.acme.com/"), "test").issuer == "https://login.acme.com/"


def test_a_secret_structured_value_is_redacted_leaf_by_leaf() -> None:
    cfg = {**make_config(), "aws:sharedConfigFiles": '["/secret/path/a", "/secret/b"]'}
    assert problems(cfg, "aws:sharedConfigFiles") == [
        "aws:sharedConfigFiles: got [[secret], [secret]]: boto3 reads one file; give a list of exactly one path"
    ]


def test_a_value_make_plan_could_not_decrypt_says_so_and_what_to_do() -> None:
    assert problems({**make_config(), "aws:region": "[secret]"}, "aws:region") == [
        "aws:region: got [secret]: not an AWS region name such as us-east-1, cn-north-1, us-gov-west-1 or "
        "eusc-de-east-1 (aws:region is set with `secure:`, "
        "which `make plan` cannot decrypt offline, so it read [secret]. Keep settings that are not credentials in "
        "plain text (`pulumi config set aws:region …` without --secret), or check this stack with `make preview`, "
        "which decrypts it)"
    ]


ACCEPTED = "accepted mcpauth: keys: issuer, tenant, scopes, roles, gateways, machineClients, protect, targetSecrets"


def test_every_unknown_mcpauth_key_is_named_with_the_accepted_ones() -> None:
    cfg = {"mcpauth:colour": "blue", **make_config(), "mcpauth:tenant:manage": "false"}
    assert problems(cfg) == [
        f"mcpauth:colour: unknown key; {ACCEPTED}",
        f"mcpauth:tenant:manage: unknown key; {ACCEPTED}",
    ]


def test_a_plain_only_key_set_as_a_secret_is_refused_and_the_rest_still_checked() -> None:
    cfg = {"mcpauth:gateways": "[]", **make_config(), "mcpauth:colour": "blue"}
    assert problems(cfg, "mcpauth:gateways") == [
        "mcpauth:gateways: set with --secret, but gateway names become resource names and the AgentCore gateway's "
        "name, which Pulumi keeps in plain text (resource names are never encrypted), so the secret would not stay "
        "one. Set it in plain text: `pulumi config set mcpauth:gateways '…'` without --secret (keep credentials "
        "out of it)",
        f"mcpauth:colour: unknown key; {ACCEPTED}",
    ]


def test_an_undecryptable_mcpauth_value_is_explained_not_parsed() -> None:
    cfg = {"mcpauth:issuer": "[secret]", **make_config(), "mcpauth:colour": "blue"}
    assert problems(cfg, "mcpauth:issuer") == [
        "mcpauth:issuer: its value decides what the program declares, and mcpauth:issuer is set with `secure:`, "
        "which `make plan` cannot decrypt offline, so it read [secret]. Keep settings that are not credentials in "
        "plain text (`pulumi config set mcpauth:issuer …` without --secret), or check this stack with "
        "`make preview`, which decrypts it",
        f"mcpauth:colour: unknown key; {ACCEPTED}",
    ]
    # The text "[secret]" in a key that is not a secret is just a value, here not valid JSON.
    assert problems({**make_config(), "mcpauth:issuer": "[secret]"}) == [
        "mcpauth:issuer: is not valid JSON (Expecting value at 1)"
    ]


def test_secret_parts_are_redacted_longest_first_down_to_four_characters() -> None:
    # "zzzz" is inside "aaaa-zzzz": replaced first, it would leave "aaaa-" in the message.
    cfg = {**make_config(), "aws:sharedConfigFiles": '["zzzz", "aaaa-zzzz"]'}
    assert problems(cfg, "aws:sharedConfigFiles") == [
        "aws:sharedConfigFiles: got [[secret], [secret]]: boto3 reads one file; give a list of exactly one path"
    ]


def test_the_auth0_domain_problems_say_what_to_set() -> None:
    cfg = make_config()
    del cfg["auth0:domain"]
    assert problems(cfg) == [
        "auth0:domain: is required (the tenant's Management API host, e.g. my-tenant.us.auth0.com); set it with "
        "`pulumi config set auth0:domain <host>`"
    ]
    assert problems({**make_config(), "auth0:domain": "https://acme.eu.auth0.com"}) == [
        "auth0:domain: got 'https://acme.eu.auth0.com': must be a host name only, e.g. my-tenant.us.auth0.com "
        "(no https://, path, query or port)"
    ]
    # Host names are case-insensitive: an upper-case one is a host name too.
    assert load_settings({**make_config(), "auth0:domain": "ACME.eu.auth0.com"}, "test").auth0_domain == (
        "ACME.eu.auth0.com"
    )


DEFINED = "(admin, execute:tools, read:resources, read:tools, write:resources)"


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        (
            make_config([{"name": "a"}, {"name": "b"}], tenant={"defaultAudience": "a"}),
            [
                "mcpauth:tenant.defaultAudience: got 'a': a tenant default audience is set while 2 gateways share "
                "the tenant: Auth0 applies it to requests that send only `resource` (as MCP clients do), so the other "
                "gateways' clients may get tokens for the wrong audience. Unset the default audience (with "
                "resourceParameterProfile compatibility none is needed)."
            ],
        ),
        (
            make_config([{"name": "a"}], tenant={"defaultAudience": "a", "manage": False}),
            [
                "mcpauth:tenant.defaultAudience: is set while mcpauth:tenant.manage is false; only the stack that "
                "manages the tenant may set its default audience"
            ],
        ),
        (
            make_config([{"name": "a"}], tenant={"defaultRole": "MCP User", "manage": False}),
            [
                "mcpauth:tenant.defaultRole: is set while mcpauth:tenant.manage is false; the stack that owns the "
                "tenant (and its Action) assigns it"
            ],
        ),
        (
            make_config([{"name": "a"}], tenant={"defaultRole": "nobody"}, roles={}),
            ["mcpauth:tenant.defaultRole: got 'nobody': not a role in mcpauth:roles (none)"],
        ),
        (
            make_config(
                [{"name": "a"}], tenant={"claims": {"adminEmailDomain": "acme.com", "elevatedPermissions": ["root"]}}
            ),
            [
                "mcpauth:tenant.claims.elevatedPermissions[0]: got 'root': not a scope defined in mcpauth:scopes "
                + DEFINED
            ],
        ),
        (
            make_config([{"name": "a", "thirdPartyScopes": ["root"]}]),
            [f"mcpauth:gateways[0].thirdPartyScopes[0]: got 'root': not a scope defined in mcpauth:scopes {DEFINED}"],
        ),
        (
            make_config(
                [{"name": "a"}, {"name": "b"}, {"name": "a"}],
                machineClients=[
                    {"name": "m", "gateway": "zz", "scopes": ["admin"]},
                    {"name": "m", "gateway": "a", "scopes": ["admin"]},
                    {"name": "m", "gateway": "a", "scopes": ["admin"]},
                ],
            ),
            [
                "mcpauth:gateways[2].name: got 'a': already used by mcpauth:gateways[0]",
                "mcpauth:machineClients[0].gateway: got 'zz': not a gateway in mcpauth:gateways (a, b)",
                "mcpauth:machineClients[1].name: got 'm': already used by mcpauth:machineClients[0]",
                "mcpauth:machineClients[2].name: got 'm': already used by mcpauth:machineClients[0]",
            ],
        ),
        (
            make_config(
                [
                    {"name": "a", "existingGatewayId": "g-0123456789"},
                    {"name": "b"},
                    {"name": "c", "existingGatewayId": "g-0123456789"},
                ]
            ),
            ["mcpauth:gateways[2].existingGatewayId: got 'g-0123456789': already adopted by mcpauth:gateways[0]"],
        ),
        (
            make_config(roles={"A": {"id": "x"}, "B": {"id": "x", "previousIds": ["Bad Id", "x"]}}),
            [
                "mcpauth:roles.B: has id 'x', as 'A' does (ids key the Pulumi resources); give one an `id` of its own",
                "mcpauth:roles.B.previousIds[0]: got 'Bad Id': not a role id (e.g. mcp-user)",
                "mcpauth:roles.B.previousIds[1]: got 'x': a current role's id",
            ],
        ),
        (
            make_config(roles={"r" * 70 + " ": []}),
            [
                f"mcpauth:roles: key {'r' * 60!r}: a role name must not start or end with a space, or hold a newline, "
                "tab or other control character"
            ],
        ),
        (
            make_config(tenant={"connection": {"disableSignup": False}}),
            [
                "mcpauth:tenant.connection.disableSignup: is false on a domain-level connection while dynamic client "
                "registration or CIMD is on: anyone could create an account through any client that registers "
                "itself. Set disableSignup: true and create users yourself, or say "
                "mcpauth:tenant.connection.publicSignup: true if that is the intent"
            ],
        ),
    ],
)
def test_cross_reference_problems_name_the_key_the_value_and_the_way_out(
    cfg: dict[str, Any], expected: list[str]
) -> None:
    assert problems(cfg) == expected


def test_a_machine_client_with_no_gateways_defined_is_told_there_are_none() -> None:
    cfg = make_config([], machineClients=[{"name": "m", "gateway": "tools", "scopes": ["admin"]}])
    assert problems(cfg) == [
        "mcpauth:gateways: must list at least one gateway",
        "mcpauth:machineClients[0].gateway: got 'tools': not a gateway in mcpauth:gateways (none)",
    ]


def test_gateways_adopting_different_gateways_are_fine() -> None:
    gws = [{"name": "a", "existingGatewayId": "g-0123456789"}, {"name": "b", "existingGatewayId": "h-0123456789"}]
    s = load_settings(make_config(gws), "test")
    assert [g.existing_gateway_id for g in s.project.gateways] == ["g-0123456789", "h-0123456789"]


def test_a_secret_objects_values_are_redacted() -> None:
    cfg = {**make_config(), "aws:assumeRoles": '{"roleArn": "arn:aws:iam::123456789012:role/hidden"}'}
    assert problems(cfg, "aws:assumeRoles") == [
        "aws:assumeRoles: got {'roleArn': [secret]}: must be a list of {roleArn, ...}"
    ]


def test_no_aws_profile_means_the_default_credential_chain() -> None:
    assert "profile" not in load_settings(make_config(), "test").aws_client


def test_one_gateway_may_be_the_tenants_default_audience() -> None:
    s = load_settings(make_config([{"name": "a"}], tenant={"defaultAudience": "a"}), "test")
    assert s.project.tenant.default_audience == "a"


def test_aws_region_is_required_and_scalars_are_read_as_the_cli_sets_them() -> None:
    cfg = make_config()
    del cfg["aws:region"]
    assert problems(cfg) == [
        "aws:region: is required (the region of the AgentCore gateways), e.g. `pulumi config set aws:region us-east-1`"
    ]
    s = load_settings({**make_config(), "mcpauth:protect": "true", "aws:profile": "dev"}, "test")
    assert (s.project.protect, s.aws_client["profile"]) == (True, "dev")
    assert load_settings({**make_config(), "mcpauth:protect": " false "}, "test").project.protect is False


def test_mcp_settings_per_gateway_are_checked_against_the_service_model() -> None:
    """MCPGatewayConfiguration (model): searchType is the enum SEARCH_TYPES, instructions 1-2048
    characters; supportedVersions are the MCP versions AWS's guide lists."""
    ok = make_config(
        [
            {
                "name": "a",
                "mcp": {
                    "supportedVersions": ["2025-06-18", "2025-03-26"],
                    "searchType": "SEMANTIC",
                    "instructions": "Tools for the platform team",
                },
            }
        ]
    )
    mcp = load_settings(ok, "test").project.gateways[0].mcp
    assert mcp.protocol_configuration() == {
        "supportedVersions": ["2025-06-18", "2025-03-26"],
        "searchType": "SEMANTIC",
        "instructions": "Tools for the platform team",
    }
    assert load_settings(make_config(), "test").project.gateways[0].mcp.protocol_configuration() == {}
    found = problems(
        make_config(
            [
                {
                    "name": "a",
                    "mcp": {
                        "supportedVersions": ["2024-11-05", "2025-06-18"],
                        "searchType": "KEYWORD",
                        "instructions": "x" * 2049,
                    },
                }
            ]
        )
    )
    joined = "\n".join(found)
    assert "mcpauth:gateways[0].mcp.supportedVersions[0]: got '2024-11-05'" in joined, found
    assert "2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28" in joined
    assert "mcpauth:gateways[0].mcp.searchType: got 'KEYWORD'" in joined and "SEMANTIC" in joined
    assert "mcpauth:gateways[0].mcp.instructions: " in joined and "2048" in joined
    twice = make_config([{"name": "a", "mcp": {"supportedVersions": ["2025-06-18", "2025-06-18"]}}])
    assert problems(twice) == ["mcpauth:gateways[0].mcp.supportedVersions: lists '2025-06-18' twice"]
    empty = problems(make_config([{"name": "a", "mcp": {"supportedVersions": [], "instructions": ""}}]))
    assert any(p.startswith("mcpauth:gateways[0].mcp.supportedVersions:") for p in empty), empty
    assert any(p.startswith("mcpauth:gateways[0].mcp.instructions:") for p in empty), empty
