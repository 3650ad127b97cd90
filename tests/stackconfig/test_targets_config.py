"""A gateway's `targets` and `toolAccess` keys: what each accepts, refused by key path before
anything is declared, and the CreateGatewayTarget request each target becomes, checked whole
against AWS's service model."""

from __future__ import annotations

from typing import Any

import pytest

from agentcore import awsmodel
from stackconfig.model import ConfigError
from stackconfig.settings import load_settings
from stackconfig.targets import TargetConfig, target_request
from tests.conftest import make_config

SEARCH = {"name": "search", "mcpServer": "https://search.example.com/mcp", "tools": ["find", "get"]}
OPS = {
    "name": "ops",
    "lambdaArn": "arn:aws:lambda:eu-west-1:123456789012:function:ops-tools",
    "toolSchema": [{"name": "delete_item", "description": "Delete one item"}],
}
GRANTS = {"read:tools": ["search___*"], "admin": ["ops___delete_item"]}


def gateway(**extra: Any) -> dict[str, Any]:
    return {"name": "tools", "targets": [SEARCH, OPS], "toolAccess": {"grants": GRANTS}} | extra


def problems(gw: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(make_config([gw]), "test")
    return info.value.problems


def test_a_gateway_with_two_kinds_of_target_loads_with_their_defaults() -> None:
    settings = load_settings(make_config([gateway()]), "test")
    search, ops = settings.project.gateways[0].targets
    assert (search.kind, search.credential, search.audience) == ("mcpServer", "oauth", SEARCH["mcpServer"])
    assert (ops.kind, ops.credential, ops.tool_names) == ("lambda", "gatewayIamRole", ["delete_item"])
    assert settings.project.gateways[0].tool_access.mode == "ENFORCE"


def test_every_request_the_targets_become_validates_against_the_model() -> None:
    settings = load_settings(make_config([gateway()]), "test")
    for target in settings.project.gateways[0].targets:
        request = target_request(target, "tools-abcde12345", None)
        assert awsmodel.validate("CreateGatewayTarget", request) == [], target.name


def test_an_oauth_target_sends_the_upstream_audience_and_the_client_credentials_grant() -> None:
    target = TargetConfig.model_validate(SEARCH | {"outbound": {"scopes": ["search:read"]}})
    arn = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:token-vault/default/oauth2credentialprovider/search"
    oauth = target_request(target, "tools-abcde12345", arn)["credentialProviderConfigurations"][0]
    assert oauth["credentialProviderType"] == "OAUTH"
    provider = oauth["credentialProvider"]["oauthCredentialProvider"]
    assert provider["customParameters"] == {"audience": "https://search.example.com/mcp"}
    assert (provider["grantType"], provider["scopes"], provider["providerArn"]) == (
        "CLIENT_CREDENTIALS",
        ["search:read"],
        arn,
    )


def test_an_api_key_target_names_its_secret_and_where_the_key_goes() -> None:
    target = TargetConfig.model_validate(
        SEARCH | {"outbound": {"kind": "apiKey", "apiKeySecret": "mcpauth:searchKey", "parameterName": "X-Key"}}
    )
    assert target.outbound.api_key_secret == "searchKey"
    config = target_request(target, "tools-abcde12345", None)["credentialProviderConfigurations"][0]
    assert config["credentialProviderType"] == "API_KEY"
    assert config["credentialProvider"]["apiKeyCredentialProvider"]["credentialParameterName"] == "X-Key"
    assert awsmodel.validate("CreateGatewayTarget", target_request(target, "tools-abcde12345", None)) == []


@pytest.mark.parametrize(
    ("change", "key", "says"),
    [
        ({"targets": [SEARCH | {"mcpServer": "http://search.example.com/mcp"}]}, "targets[0]", "https:// URL"),
        ({"targets": [OPS | {"outbound": {"kind": "oauth"}}]}, "targets[0]", "use gatewayIamRole"),
        ({"targets": [SEARCH | {"lambdaArn": OPS["lambdaArn"]}]}, "targets[0]", "exactly one of"),
        ({"targets": [SEARCH | {"outbound": {"kind": "gatewayIamRole"}}]}, "targets[0]", "SigV4 service name"),
        ({"targets": [SEARCH | {"outbound": {"kind": "apiKey"}}]}, "targets[0]", "apiKeySecret"),
        ({"targets": [SEARCH | {"tools": []}]}, "targets[0]", "name the tools"),
        ({"targets": [SEARCH | {"tools": ["a", "a"]}]}, "targets[0]", "named twice"),
        ({"targets": [SEARCH | {"outbound": {"service": "lambda"}}]}, "targets[0]", "does not apply to oauth"),
        ({"targets": [{k: v for k, v in OPS.items() if k != "toolSchema"}]}, "targets[0]", "needs toolSchema"),
    ],
)
def test_a_target_refused_by_its_key(change: dict[str, Any], key: str, says: str) -> None:
    found = problems({"name": "tools"} | change)
    assert len(found) == 1, found
    assert found[0].startswith(f"mcpauth:gateways[0].{key}") and says in found[0], found


def test_names_aws_refuses_are_caught_before_anything_is_created() -> None:
    found = problems({"name": "tools", "targets": [SEARCH | {"name": "search_tools"}]})
    assert found == [
        "mcpauth:gateways[0].targets[0]: AWS would refuse it: name: [sensitive] does not match pattern "
        "([0-9a-zA-Z][-]?){1,100} (TargetName)"
    ]


def test_a_duplicate_target_name_is_refused() -> None:
    found = problems({"name": "tools", "targets": [SEARCH, SEARCH | {"name": "Search"}]})
    assert found == [
        "mcpauth:gateways[0].targets[1].name: 'Search' is used twice on this gateway (target names are unique)"
    ]


@pytest.mark.parametrize(
    ("grants", "says"),
    [
        ({"read:tools": ["search___nope"]}, "target 'search' has no tool 'nope'; its tools: find, get"),
        ({"read:tools": ["billing___*"]}, "names target 'billing'; targets: ops, search"),
        ({"write:everything": ["search___find"]}, "toolAccess.grants.write:everything: got 'write:everything'"),
    ],
)
def test_a_grant_naming_what_does_not_exist_is_refused(grants: dict[str, list[str]], says: str) -> None:
    found = problems(gateway(toolAccess={"grants": grants}))
    assert len(found) == 1 and says in found[0], found
    assert found[0].startswith("mcpauth:gateways[0].toolAccess.grants"), found


def test_grants_on_a_gateway_without_targets_are_refused() -> None:
    found = problems({"name": "tools", "toolAccess": {"grants": {"read:tools": ["search___find"]}}})
    assert any("has no targets" in p for p in found), found


def test_log_only_is_a_mode_and_nothing_else_is() -> None:
    settings = load_settings(make_config([gateway(toolAccess={"mode": "LOG_ONLY", "grants": GRANTS})]), "test")
    assert settings.project.gateways[0].tool_access.mode == "LOG_ONLY"
    found = problems(gateway(toolAccess={"mode": "AUDIT", "grants": GRANTS}))
    assert found == ["mcpauth:gateways[0].toolAccess.mode: got 'AUDIT'; input should be 'ENFORCE' or 'LOG_ONLY'"]


KEYED = {**SEARCH, "outbound": {"kind": "apiKey", "apiKeySecret": "searchKey"}}


def test_an_api_key_names_a_secret_that_exists_and_is_never_echoed() -> None:
    config = make_config([{"name": "tools", "targets": [KEYED]}], targetSecrets={"searchKey": "sk-live-123456"})
    secret = frozenset({"mcpauth:targetSecrets"})
    settings = load_settings(config, "test", secret)
    assert settings.target_secret_names == frozenset({"searchKey"})
    config = make_config([{"name": "tools", "targets": [KEYED]}], targetSecrets={"otherKey": "sk-live-123456"})
    with pytest.raises(ConfigError) as info:
        load_settings(config, "test", secret)
    assert info.value.problems == [
        "mcpauth:gateways[0].targets[0].outbound.apiKeySecret: got 'searchKey': not a name under "
        "mcpauth:targetSecrets (otherKey); set it with "
        "`pulumi config set --secret --path 'mcpauth:targetSecrets.searchKey' <key>`"
    ]
    assert "sk-live" not in str(info.value)


def test_target_secrets_in_plain_text_are_refused_without_echoing_them() -> None:
    config = make_config([{"name": "tools", "targets": [KEYED]}], targetSecrets={"searchKey": "sk-live-123456"})
    with pytest.raises(ConfigError) as info:
        load_settings(config, "test")
    assert info.value.problems[0].startswith("mcpauth:targetSecrets: holds credentials, so set each one with --secret")
    assert "sk-live" not in str(info.value)


def test_an_offline_plan_that_cannot_read_the_names_does_not_refuse_them() -> None:
    # `make plan` reads a whole-object `secure:` value as [secret]: the names are unknown there.
    config = make_config([{"name": "tools", "targets": [KEYED]}], targetSecrets="[secret]")
    settings = load_settings(config, "test", frozenset({"mcpauth:targetSecrets"}))
    assert settings.target_secret_names is None


def test_a_grant_whose_policy_aws_would_refuse_as_too_long_is_refused_before_anything_exists() -> None:
    """CreatePolicy's statement is at most 10,000 characters (model: Statement): 400 tools in one
    grant make a longer policy, found at config time with the longest ARN a gateway can have."""
    many = {"name": "big", "mcpServer": "https://big.example.com/mcp", "tools": [f"tool_{i:04d}" for i in range(400)]}
    found = problems({"name": "tools", "targets": [many], "toolAccess": {"grants": {"read:tools": ["big___*"]}}})
    assert len(found) == 1, found
    assert found[0].startswith("mcpauth:gateways[0].toolAccess.grants.read:tools: AWS would refuse its policy:")
    assert "above max 10000 (Statement)" in found[0] and "split the grant's tools" in found[0]
    few = {"name": "tools", "targets": [many], "toolAccess": {"grants": {"read:tools": ["big___tool_0001"]}}}
    load_settings(make_config([few]), "test")
