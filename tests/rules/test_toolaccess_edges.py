"""Edges of rules/toolaccess.py the mutation run found unasserted: tool names with more
underscores, empty halves, messages when nothing exists, Cedar escaping, the exact AWS names of
policies and policy engines (a changed name replaces the resource), and roles that appear or
disappear between two plans."""

from __future__ import annotations

import cedarpy
import pytest

from rules import toolaccess as ta

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/tools-a1b2c3d4e5"


def test_the_first_separator_splits_target_from_tool() -> None:
    # Target names have no `_` (TargetName: ([0-9a-zA-Z][-]?){1,100}), so the first `___` ends the target;
    # a tool's own name may hold underscores.
    assert ta.split_action("ops___list___all") == ("ops", "list___all")
    assert ta.split_action("ops____x") == ("ops", "_x")


@pytest.mark.parametrize("name", ["___find", "search___", "___", "find"])
def test_a_tool_name_with_an_empty_half_is_refused(name: str) -> None:
    with pytest.raises(ta.GrantError, match="expected '<target>___<tool>'"):
        ta.split_action(name)


def test_an_unmatchable_permission_is_told_what_is_accepted() -> None:
    with pytest.raises(ta.GrantError) as caught:
        ta.expand_grants({"read tools": ["search___find"]}, {"search": ["find"]})
    assert str(caught.value) == (
        "grants: permission 'read tools' cannot be matched in a token's JSON claim: use printable "
        'ASCII without spaces, `"` or `\\`'
    )


def test_a_grant_when_nothing_exists_says_none() -> None:
    with pytest.raises(ta.GrantError) as caught:
        ta.expand_grants({"p": ["search___find"]}, {})
    assert str(caught.value).endswith("targets: none")
    with pytest.raises(ta.GrantError) as caught:
        ta.expand_grants({"p": ["search___find"]}, {"search": []})
    assert "its tools: none (or 'search___*' for all)" in str(caught.value)


def test_quotes_and_backslashes_in_names_stay_cedar_strings() -> None:
    # A name holding `"` or `\` is escaped, so the policy parses and names exactly that action,
    # gateway and tag.
    tool, arn, claim = 'odd"tool', 'arn\\x"y', 'per"ms\\'
    text = ta.permit_policy(arn, [tool], "run", claim=claim)
    entities = [
        {"uid": {"type": "AgentCore::OAuthUser", "id": "u"}, "attrs": {}, "parents": [], "tags": {claim: '["run"]'}},
        {"uid": {"type": "AgentCore::Gateway", "id": arn}, "attrs": {}, "parents": []},
    ]
    request = {
        "principal": 'AgentCore::OAuthUser::"u"',
        "action": 'AgentCore::Action::"odd\\"tool"',
        "resource": 'AgentCore::Gateway::"arn\\\\x\\"y"',
        "context": {},
    }
    result = cedarpy.is_authorized(request, text, entities)
    assert not result.diagnostics.errors, result.diagnostics.errors
    assert result.decision == cedarpy.Decision.Allow


def test_policy_names_are_pinned() -> None:
    # The name is the policy's AWS name: a change would replace every deployed policy.
    assert ta.policy_name("tools", "execute:tools") == "p_tools_execute_tools_65afc8e2"
    # Capitals kept, leading/trailing separators dropped, whatever the characters around them.
    assert ta.policy_name("Tools", "Run:X").startswith("p_Tools_Run_X_")
    assert ta.policy_name("tools", "read:").startswith("p_tools_read_")
    assert "__" not in ta.policy_name("tools", "read:")
    assert ta.policy_name("tools", " read ").startswith("p_tools_read_")


def test_policy_engine_names_are_pinned_and_fit_the_model() -> None:
    # PolicyEngineName: [A-Za-z][A-Za-z0-9_]*, 1-48; a change replaces the engine.
    assert ta.policy_engine_name("mcpauth-dev-tools") == "e_mcpauth_dev_tools"
    assert ta.policy_engine_name("-Dev--Tools-") == "e_Dev_Tools"
    # A gateway's name may start with a capital (GatewayName allows them; naming keeps the config's case).
    assert ta.policy_engine_name("X-tools-x1") == "e_X_tools_x1"
    fits = "a" * (ta.POLICY_NAME_MAX - 2)
    assert ta.policy_engine_name(fits) == "e_" + fits
    longer = "a" * (ta.POLICY_NAME_MAX - 1)
    cut = ta.policy_engine_name(longer)
    assert cut == "e_" + "a" * 37 + "_11eaed93"
    assert len(cut) == ta.POLICY_NAME_MAX
    # Two long names that share their first 37 characters stay apart.
    assert ta.policy_engine_name(longer + "-b") != ta.policy_engine_name(longer + "-c")
    for name in (cut, ta.policy_engine_name("x" * 200)):
        assert ta.POLICY_NAME_RE.fullmatch(name) and len(name) <= ta.POLICY_NAME_MAX


def test_a_permission_without_a_grant_gives_a_role_no_tool() -> None:
    expanded = {"read:tools": ["search___find"]}
    assert ta.role_tools(expanded, {"Viewer": ["read:config"], "User": ["read:config", "read:tools"]}) == {
        "Viewer": [],
        "User": ["search___find"],
    }


def test_a_role_that_appears_or_goes_shows_every_tool() -> None:
    before = {"Old": ["search___find"], "Kept": ["search___get"]}
    after = {"Kept": ["search___get"], "New": ["ops___list"]}
    assert ta.access_changes(before, after) == [
        ta.AccessChange("New", "ops___list", True),
        ta.AccessChange("Old", "search___find", False),
    ]
