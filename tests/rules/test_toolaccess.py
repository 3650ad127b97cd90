"""Per-tool authorization (rules/toolaccess.py): the generated Cedar policies evaluated by Cedar
itself (cedarpy, the Cedar project's Python bindings) and validated against a schema built from
the tools the way AgentCore builds one (cedar-policy-mcp-schema-generator), never re-implemented."""

from __future__ import annotations

import json
from typing import Any

import cedarpy
import pytest
from cedar_mcp_schema_generator import generate_schema_or_raise

from rules import toolaccess as ta

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/tools-a1b2c3d4e5"
TOOLS = {"search": ["find", "get"], "admin": ["delete_item", "list_items"]}
GRANTS = {"read:tools": ["search___*", "admin___list_items"], "admin:tools": ["admin___delete_item"]}
ROLES = {"MCP User": ["read:tools"], "MCP Admin": ["read:tools", "admin:tools"]}
# The schema stub: AgentCore's principal and resource types (policy schema constraints); the
# generator adds one action per tool, numbers as decimals as AgentCore does.
STUB = """namespace AgentCore {
  @mcp_principal("OAuthUser")
  entity OAuthUser tags String;
  @mcp_resource("Gateway")
  entity Gateway;
}"""


def policies(grants: dict[str, list[str]] = GRANTS, tools: dict[str, list[str]] = TOOLS) -> str:
    expanded = ta.expand_grants(grants, tools)
    return "\n".join(ta.permit_policy(ARN, actions, permission) for permission, actions in expanded.items())


def decide(policy_text: str, tool: str, claims: dict[str, Any], tags: dict[str, str] | None = None) -> str:
    principal: dict[str, Any] = {"uid": {"type": "AgentCore::OAuthUser", "id": str(claims.get("sub", "x"))}}
    principal |= {"attrs": {}, "parents": [], "tags": ta.claim_tags(claims) if tags is None else tags}
    entities = [principal, {"uid": {"type": "AgentCore::Gateway", "id": ARN}, "attrs": {}, "parents": []}]
    request = {
        "principal": f'AgentCore::OAuthUser::"{principal["uid"]["id"]}"',
        "action": f'AgentCore::Action::"{tool}"',
        "resource": f'AgentCore::Gateway::"{ARN}"',
        "context": {},
    }
    result = cedarpy.is_authorized(request, policy_text, entities)
    assert not result.diagnostics.errors, result.diagnostics.errors
    return "allow" if result.decision == cedarpy.Decision.Allow else "deny"


def user_token(*permissions: str) -> dict[str, Any]:
    return {"sub": "auth0|alice", "permissions": list(permissions), "scope": "openid"}


def machine_token(*permissions: str) -> dict[str, Any]:
    # A client-credentials token: `gty` marks it, and Auth0 fills `permissions` from the grant's
    # scopes when the API adds permissions to the access token.
    return {
        "sub": "abc@clients",
        "gty": "client-credentials",
        "permissions": list(permissions),
        "scope": " ".join(permissions),
    }


@pytest.mark.parametrize("token", [user_token, machine_token], ids=["user", "machine"])
def test_a_role_calls_what_its_permissions_grant_and_nothing_else(token: Any) -> None:
    text = policies()
    mcp_user = token(*ROLES["MCP User"])
    mcp_admin = token(*ROLES["MCP Admin"])
    assert decide(text, "search___find", mcp_user) == "allow"
    assert decide(text, "admin___list_items", mcp_user) == "allow"
    assert decide(text, "admin___delete_item", mcp_user) == "deny"
    assert decide(text, "admin___delete_item", mcp_admin) == "allow"


def test_a_permission_matches_only_as_a_whole_element() -> None:
    text = policies()
    assert decide(text, "search___find", user_token("read:tools-admin", "xread:tools")) == "deny"
    assert decide(text, "search___find", user_token("read:tools")) == "allow"


def test_the_json_text_may_carry_spaces() -> None:
    spaced = {"permissions": json.dumps(["openid", "read:tools"])}  # '["openid", "read:tools"]'
    assert ", " in spaced["permissions"]
    assert decide(policies(), "search___get", {}, tags=spaced) == "allow"


def test_a_token_without_the_claim_is_denied_not_an_error() -> None:
    # decide() fails on any evaluation error: the hasTag guard is what keeps this a plain deny.
    assert decide(policies(), "search___find", {"sub": "auth0|bob"}) == "deny"


def test_a_star_in_a_permission_is_literal() -> None:
    text = policies({"tools:*": ["search___find"]})
    assert decide(text, "search___find", user_token("tools:read")) == "deny"
    assert decide(text, "search___find", user_token("tools:*")) == "allow"


def test_a_tool_no_permission_grants_is_callable_by_nobody_and_named() -> None:
    grants = {"read:tools": ["search___find"]}
    assert ta.ungranted(ta.expand_grants(grants, TOOLS), TOOLS) == [
        "admin___delete_item",
        "admin___list_items",
        "search___get",
    ]
    assert decide(policies(grants), "search___get", user_token("read:tools", "admin:tools")) == "deny"


def test_the_policies_validate_against_the_schema_built_from_the_tools() -> None:
    listed = [{"name": ta.action_name(t, n), "inputSchema": {"type": "object"}} for t, ns in TOOLS.items() for n in ns]
    schema = generate_schema_or_raise(STUB, listed, config={"numbersAsDecimal": True})["schema"]
    assert cedarpy.validate_policies(policies(), schema).validation_passed
    # The same check refuses a policy for a tool the gateway does not have, as AWS's would.
    stale = ta.permit_policy(ARN, ["search___gone"], "read:tools")
    result = cedarpy.validate_policies(stale, schema)
    assert not result.validation_passed
    assert "search___gone" in str(result.errors)


def test_wildcards_expand_per_target_and_duplicates_collapse() -> None:
    expanded = ta.expand_grants({"read:tools": ["search___*", "search___find"]}, TOOLS)
    assert expanded == {"read:tools": ["search___find", "search___get"]}


@pytest.mark.parametrize(
    ("grants", "message"),
    [
        (
            {"read:tools": ["nope___find"]},
            "grants.read:tools: 'nope___find' names target 'nope'; targets: admin, search",
        ),
        (
            {"read:tools": ["search___nope"]},
            "grants.read:tools: 'search___nope': target 'search' has no tool 'nope'; its tools: find, get "
            "(or 'search___*' for all)",
        ),
        ({"read:tools": ["search__find"]}, "'search__find' is not a gateway tool name: expected '<target>___<tool>'"),
        ({'read "tools"': ["search___find"]}, "permission 'read \"tools\"' cannot be matched"),
    ],
)
def test_a_grant_that_cannot_be_authorized_is_refused_by_name(grants: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ta.GrantError) as caught:
        ta.expand_grants(grants, TOOLS)
    assert message in str(caught.value)


def test_a_policy_needs_a_tool() -> None:
    with pytest.raises(ta.GrantError, match="grants no tool"):
        ta.permit_policy(ARN, [], "read:tools")


def test_policy_names_fit_the_model_and_stay_apart() -> None:
    names = {ta.policy_name("tools", p) for p in ("read:tools", "read-tools", "read_tools")}
    assert len(names) == 3
    long = ta.policy_name("g" * 60, "x:" * 40)
    assert len(long) == ta.POLICY_NAME_MAX
    for name in [*names, long, ta.policy_name("9lives", ":")]:
        assert ta.POLICY_NAME_RE.fullmatch(name), name
        assert len(name) <= ta.POLICY_NAME_MAX
    assert ta.policy_name("tools", "read:tools") == ta.policy_name("tools", "read:tools")


def test_a_role_change_shows_as_a_tool_gained_or_lost() -> None:
    expanded = ta.expand_grants(GRANTS, TOOLS)
    before = ta.role_tools(expanded, ROLES)
    assert before["MCP User"] == ["admin___list_items", "search___find", "search___get"]
    after = ta.role_tools(expanded, {"MCP User": ["read:tools", "admin:tools"], "MCP Admin": ["admin:tools"]})
    assert [str(c) for c in ta.access_changes(before, after)] == [
        "MCP Admin loses `admin___list_items`",
        "MCP Admin loses `search___find`",
        "MCP Admin loses `search___get`",
        "MCP User gains `admin___delete_item`",
    ]
    # And Cedar agrees: the same policies, the new role's permissions, the new decision.
    assert decide(policies(), "admin___delete_item", user_token("read:tools", "admin:tools")) == "allow"


def test_claim_tags_are_strings_as_agentcore_maps_them() -> None:
    tags = ta.claim_tags({"sub": "auth0|a", "permissions": ["a:b", "c"], "exp": 5, "nested": {"k": [1]}})
    assert tags == {"sub": "auth0|a", "permissions": '["a:b","c"]', "exp": "5", "nested": '{"k":[1]}'}
