"""The strings Auth0 and the gateway compare byte for byte, tested directly."""

import json

import pytest

from components.naming import (
    discovery_url,
    gateway_physical_name,
    gateway_trust_policy,
    permission_claim_rules,
    resource_url,
    role_grants,
)

HOST = "https://tools-dev-abc123.gateway.bedrock-agentcore.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    "given",
    [
        HOST,  # moto and some SDKs: no path
        HOST + "/",
        HOST + "/mcp",  # the real service
        HOST + "/mcp/",
        HOST + "/mcp//",
        HOST + "/mcp/mcp",
        HOST.replace("tools-dev", "TOOLS-dev") + "/mcp",  # hosts are case-insensitive
    ],
)
def test_resource_url_ends_in_exactly_one_mcp_and_no_slash(given: str) -> None:
    assert resource_url(given) == HOST + "/mcp"


@pytest.mark.parametrize("bad", ["http://x.example.com/mcp", "not a url", HOST + "/mcp?x=1", HOST + "/mcp#f"])
def test_resource_url_rejects_what_no_gateway_returns(bad: str) -> None:
    with pytest.raises(ValueError, match="gateway URL"):
        resource_url(bad)


def test_discovery_url_follows_the_issuer_with_or_without_slash() -> None:
    want = "https://login.example.com/.well-known/openid-configuration"
    assert discovery_url("https://login.example.com/") == want
    assert discovery_url("https://login.example.com") == want


def test_gateway_names_fit_aws_rules_and_keep_stacks_apart() -> None:
    assert gateway_physical_name("dev", "tools") == "tools-dev"
    assert gateway_physical_name("org/prod_eu.1", "tools") == "tools-org-prod-eu-1"
    assert gateway_physical_name("dev", "tools") != gateway_physical_name("prod", "tools")
    long = gateway_physical_name("s" * 90, "g" * 40)
    assert len(long) <= 100 and not long.endswith("-")


def test_trust_policy_admits_only_agentcore_in_this_account_and_region() -> None:
    doc = json.loads(gateway_trust_policy("123456789012", "eu-west-1"))
    (stmt,) = doc["Statement"]
    assert stmt["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert stmt["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    assert stmt["Condition"]["ArnLike"]["aws:SourceArn"].startswith("arn:aws:bedrock-agentcore:eu-west-1:123456789012:")


def test_claim_rules_require_each_permission_in_the_permissions_array() -> None:
    rules = permission_claim_rules(["read:tools", "execute:tools"])
    assert [r["authorizingClaimMatchValue"]["claimMatchValue"]["matchValueString"] for r in rules] == [
        "read:tools",
        "execute:tools",
    ]
    assert {r["inboundTokenClaimName"] for r in rules} == {"permissions"}
    assert {r["authorizingClaimMatchValue"]["claimMatchOperator"] for r in rules} == {"CONTAINS"}
    assert permission_claim_rules([]) == []


def test_role_grants_are_one_per_role_and_scope_without_duplicates() -> None:
    assert role_grants({"A": ["x", "y", "x"], "B": ["y"]}) == [("A", "x"), ("A", "y"), ("B", "y")]
