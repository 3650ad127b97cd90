"""The exact CreateGatewayTarget request each kind of target and credential becomes, the outbound
keys refused where they do not apply (each by name), and mcpauth:targetSecrets values refused
with the command that fixes them: the cases the mutation run found unasserted."""

from __future__ import annotations

from typing import Any

import pytest

from agentcore import awsmodel
from stackconfig.model import ConfigError
from stackconfig.settings import load_settings
from stackconfig.targets import TargetConfig, target_request
from tests.conftest import make_config

SEARCH = {"name": "search", "mcpServer": "https://search.example.com/mcp", "tools": ["find", "get"]}
LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:ops-tools"
OPENAPI = {"name": "pets", "openApiSchema": '{"openapi": "3.0.0"}', "tools": ["list"]}
ARN = "arn:aws:bedrock-agentcore:eu-west-1:123456789012:token-vault/default/apikeycredentialprovider/k"


def request(target: dict[str, Any], provider: str | None = None) -> dict[str, Any]:
    built = target_request(TargetConfig.model_validate(target), "tools-abcde12345", provider)
    assert awsmodel.validate("CreateGatewayTarget", built) == []
    return built


def refusal(target: dict[str, Any]) -> str:
    with pytest.raises(ValueError) as info:
        TargetConfig.model_validate(target)
    errors = info.value.errors()  # type: ignore[attr-defined]
    assert len(errors) == 1, errors
    return str(errors[0]["msg"]).removeprefix("Value error, ")


def test_a_description_reaches_the_request() -> None:
    assert request(SEARCH | {"description": "Search the docs"})["description"] == "Search the docs"
    assert "description" not in request(SEARCH)


def test_a_lambda_tool_schema_inline_or_in_s3() -> None:
    tools = [{"name": "delete_item", "description": "Delete one item"}]
    inline = request({"name": "ops", "lambdaArn": LAMBDA, "toolSchema": tools})
    assert inline["targetConfiguration"] == {
        "mcp": {
            "lambda": {
                "lambdaArn": LAMBDA,
                "toolSchema": {
                    "inlinePayload": [
                        {"name": "delete_item", "description": "Delete one item", "inputSchema": {"type": "object"}}
                    ]
                },
            }
        }
    }
    in_s3 = request({"name": "ops", "lambdaArn": LAMBDA, "toolSchema": "s3://bucket/tools.json", "tools": ["x"]})
    assert in_s3["targetConfiguration"]["mcp"]["lambda"]["toolSchema"] == {"s3": {"uri": "s3://bucket/tools.json"}}


@pytest.mark.parametrize("kind", ["openApiSchema", "smithyModel"])
def test_a_schema_target_sends_its_schema_inline_or_from_s3(kind: str) -> None:
    base = {"name": "pets", "tools": ["list"], "outbound": {"kind": "gatewayIamRole", "service": "execute-api"}}
    inline = request(base | {kind: '{"openapi": "3.0.0"}'})
    assert inline["targetConfiguration"] == {"mcp": {kind: {"inlinePayload": '{"openapi": "3.0.0"}'}}}
    in_s3 = request(base | {kind: "s3://bucket/api.json"})
    assert in_s3["targetConfiguration"] == {"mcp": {kind: {"s3": {"uri": "s3://bucket/api.json"}}}}


def test_an_api_key_with_a_prefix_and_a_query_parameter() -> None:
    outbound = {
        "kind": "apiKey",
        "apiKeySecret": "k",
        "location": "QUERY_PARAMETER",
        "parameterName": "key",
        "prefix": "Token",
    }
    config = request(SEARCH | {"outbound": outbound}, ARN)["credentialProviderConfigurations"]
    assert config == [
        {
            "credentialProviderType": "API_KEY",
            "credentialProvider": {
                "apiKeyCredentialProvider": {
                    "providerArn": ARN,
                    "credentialLocation": "QUERY_PARAMETER",
                    "credentialParameterName": "key",
                    "credentialPrefix": "Token",
                }
            },
        }
    ]


def test_the_gateway_role_signs_for_its_service_or_plainly() -> None:
    signed = request(SEARCH | {"outbound": {"kind": "gatewayIamRole", "service": "bedrock-agentcore"}})
    assert signed["credentialProviderConfigurations"] == [
        {
            "credentialProviderType": "GATEWAY_IAM_ROLE",
            "credentialProvider": {"iamCredentialProvider": {"service": "bedrock-agentcore"}},
        }
    ]
    plain = request({"name": "ops", "lambdaArn": LAMBDA, "toolSchema": "s3://b/t.json", "tools": ["x"]})
    assert plain["credentialProviderConfigurations"] == [{"credentialProviderType": "GATEWAY_IAM_ROLE"}]


def test_an_oauth_target_with_its_own_audience_loads() -> None:
    target = TargetConfig.model_validate(OPENAPI | {"outbound": {"audience": "https://pets.example.com/"}})
    assert (target.credential, target.audience) == ("oauth", "https://pets.example.com/")


@pytest.mark.parametrize(
    ("target", "says"),
    [
        (OPENAPI, "outbound.audience: the upstream's Auth0 API identifier (an MCP server defaults to its URL)"),
        (
            SEARCH | {"outbound": {"kind": "apiKey"}},
            "outbound.apiKeySecret: name the config secret that holds the API key",
        ),
        (
            SEARCH | {"outbound": {"kind": "apiKey", "apiKeySecret": "k", "audience": "https://a/"}},
            "outbound.audience does not apply to apiKey credentials",
        ),
        (
            SEARCH | {"outbound": {"kind": "apiKey", "apiKeySecret": "k", "scopes": ["read"]}},
            "outbound.scopes does not apply to apiKey credentials",
        ),
        (SEARCH | {"outbound": {"apiKeySecret": "k"}}, "outbound.apiKeySecret does not apply to oauth credentials"),
        (SEARCH | {"outbound": {"service": "lambda"}}, "outbound.service does not apply to oauth credentials"),
    ],
)
def test_an_outbound_key_that_is_missing_or_does_not_apply_is_named(target: dict[str, Any], says: str) -> None:
    assert refusal(target) == says


def test_the_gateway_role_takes_a_service_and_nothing_of_the_others() -> None:
    target = TargetConfig.model_validate(SEARCH | {"outbound": {"kind": "gatewayIamRole", "service": "execute-api"}})
    assert target.credential == "gatewayIamRole"
    assert target.audience is None


def test_a_grant_of_no_tools_is_refused() -> None:
    gw = {"name": "tools", "targets": [SEARCH], "toolAccess": {"grants": {"read:tools": []}}}
    with pytest.raises(ConfigError) as info:
        load_settings(make_config([gw]), "test")
    assert info.value.problems == ["mcpauth:gateways[0].toolAccess.grants.read:tools: grants no tool"]


KEYED = SEARCH | {"outbound": {"kind": "apiKey", "apiKeySecret": "searchKey"}}
SECRET = frozenset({"mcpauth:targetSecrets"})


def test_target_secrets_in_plain_text_are_told_the_command() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(make_config([{"name": "tools", "targets": [KEYED]}], targetSecrets={"searchKey": "sk-1"}), "t")
    assert info.value.problems[0] == (
        "mcpauth:targetSecrets: holds credentials, so set each one with --secret: "
        "`pulumi config set --secret --path 'mcpauth:targetSecrets.<name>' <value>`"
    )


@pytest.mark.parametrize("value", ["sk-live-1", '["sk-live-1"]', {"searchKey": ""}, {"searchKey": 5}])
def test_target_secrets_that_are_not_names_to_keys_are_refused(value: Any) -> None:
    config = make_config([{"name": "tools", "targets": [KEYED]}], targetSecrets=value)
    with pytest.raises(ConfigError) as info:
        load_settings(config, "test", SECRET)
    assert info.value.problems[0] == (
        "mcpauth:targetSecrets: must be an object of names to non-empty strings, each set with "
        "`pulumi config set --secret --path 'mcpauth:targetSecrets.<name>' <value>`"
    )
    assert "sk-live" not in str(info.value)


@pytest.mark.parametrize(("names", "listed"), [({}, "none set"), ({"b": "x", "a": "y"}, "a, b")])
def test_a_missing_api_key_lists_the_names_that_are_set(names: dict[str, str], listed: str) -> None:
    config = make_config([{"name": "tools", "targets": [KEYED]}], targetSecrets=names)
    with pytest.raises(ConfigError) as info:
        load_settings(config, "test", SECRET)
    assert f"not a name under mcpauth:targetSecrets ({listed}); set it with" in info.value.problems[0]
