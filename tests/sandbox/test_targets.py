"""Gateway targets and per-tool access, end to end in the sandbox (issue 26): the dev stack's `tools`
gateway fronts `search` (a real MCP server that checks its own token) and `ops` (a Lambda, from its
declared schema); AgentCore Policy's decisions come from the plan's Cedar policies, evaluated by
Cedar (cedarpy). Callers are the stack's machine client and the test users of
sandbox/sandbox_users.json, logged in through DCR, the login form and consent as an MCP client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import jwt as pyjwt
import pytest

from offline.plan import make_plan
from sandbox.sandbox import Sandbox, SandboxError, spec_from_plan
from sandbox.targets import DENIED
from tests.helpers.sandbox import stack_copy, user_token
from tests.helpers.stack import sandbox_token

pytestmark = pytest.mark.slow  # MCP upstreams and the sandbox served on 127.0.0.1

SEARCH_URL = "https://search.dev.example.com/mcp"
# What an MCP client asks for on `tools`: the gateway requires read:tools; execute:tools and
# write:resources are what the grants name.
SCOPE = "openid read:tools execute:tools write:resources"


def _sandbox(directory: Path, *edits: Any) -> Sandbox:
    def edit(config: dict[str, Any]) -> None:
        for change in edits:
            change(config)

    stack_copy(directory, "dev", edit)
    return Sandbox(spec_from_plan(make_plan("dev", stack_dir=directory, policies=lambda *_: [])))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    # dev as shipped: its `tools` gateway lets DCR clients ask for write:resources (thirdPartyScopes),
    # so an MCP Admin's client may call the Admin-only tool.
    with _sandbox(tmp_path_factory.mktemp("dev")) as running:
        yield running


async def _session(url: str, token: str, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.exceptions import MCPError

    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = sorted(t.name for t in (await session.list_tools()).tools)
        results: list[Any] = []
        for name, arguments in calls:
            try:
                results.append((await session.call_tool(name, arguments)).content[0].text)  # type: ignore[union-attr]
            except MCPError as e:
                results.append(e)
        return tools, results


def mcp(sandbox: Sandbox, token: str, *calls: tuple[str, dict[str, Any]]) -> tuple[list[str], list[Any]]:
    """tools/list, then each tools/call, through the `tools` gateway: (the names listed, each call's
    text or its MCPError)."""
    return asyncio.run(_session(sandbox.spec.outputs["gateways"]["tools"]["gatewayUrl"], token, list(calls)))


def _claims(token: str) -> dict[str, Any]:
    return dict(pyjwt.decode(token, options={"verify_signature": False}))


EVERY_TOOL = ["ops___delete_item", "ops___list_items", "search___find", "search___get"]
DELETE = ("ops___delete_item", {"id": "42"})


def test_an_mcp_user_may_not_delete_and_does_not_see_delete_but_an_admin_may(sandbox: Sandbox) -> None:
    user = user_token(sandbox, "user@mcp.test", "tools", SCOPE)
    admin = user_token(sandbox, "admin@mcp.test", "tools", SCOPE)
    user_tools, (user_delete, user_find) = mcp(sandbox, user, DELETE, ("search___find", {"q": "cedar"}))
    admin_tools, (admin_delete,) = mcp(sandbox, admin, DELETE)

    assert user_tools == ["ops___list_items", "search___find", "search___get"]
    assert admin_tools == EVERY_TOOL
    assert getattr(user_delete, "message", None) == DENIED
    assert '"tool": "find"' in user_find and '"q": "cedar"' in user_find  # answered by the upstream
    assert '"tool": "delete_item"' in admin_delete and '"id": "42"' in admin_delete


def test_a_machine_client_is_decided_by_its_grant_scopes_too(sandbox: Sandbox) -> None:
    token = sandbox_token(sandbox.spec.outputs, "smoke-tools")  # read:tools, execute:tools
    tools, (found, deleted) = mcp(sandbox, token, ("search___get", {"id": "a"}), DELETE)
    assert tools == ["ops___list_items", "search___find", "search___get"]
    assert '"tool": "get"' in found
    assert getattr(deleted, "message", None) == DENIED


def test_a_lambda_tool_is_answered_by_its_declared_schema(sandbox: Sandbox) -> None:
    admin = user_token(sandbox, "admin@mcp.test", "tools", SCOPE)
    _, (missing,) = mcp(sandbox, admin, ("ops___delete_item", {}))
    assert "missing required arguments: id" in str(getattr(missing, "message", missing))


def test_the_upstream_sees_only_the_gateways_token_for_its_own_url(sandbox: Sandbox) -> None:
    token = sandbox_token(sandbox.spec.outputs, "smoke-tools")
    mcp(sandbox, token, ("search___find", {"q": "x"}))
    seen = sandbox.upstreams[("tools", "search")].seen
    search = next(t for t in sandbox.spec.gateways["tools"].targets if t.name == "search")
    assert seen
    assert {c["aud"] for c in seen} == {SEARCH_URL}
    assert {c["azp"] for c in seen} == {search.client_id}
    assert _claims(token)["azp"] not in {c["azp"] for c in seen}


def test_the_upstream_refuses_a_token_for_the_gateway(sandbox: Sandbox) -> None:
    """A caller's token (aud: the gateway) sent straight to the upstream is refused: `aud` must be the
    upstream's configured URL, never the gateway's."""
    search = next(t for t in sandbox.spec.gateways["tools"].targets if t.name == "search")
    token = sandbox_token(sandbox.spec.outputs, "smoke-tools")
    answer = httpx2.post(
        search.local_url,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
    )
    assert answer.status_code == 401


def test_a_role_change_turns_an_allowed_tool_into_a_refused_one(
    sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def user_without_execute(config: dict[str, Any]) -> None:
        config["mcpauth:roles"] = {
            "MCP User": ["read:tools", "read:resources"],
            "MCP Admin": ["read:tools", "execute:tools", "read:resources", "write:resources", "admin"],
        }

    before = user_token(sandbox, "user@mcp.test", "tools", SCOPE)
    assert mcp(sandbox, before)[0] == ["ops___list_items", "search___find", "search___get"]
    with _sandbox(tmp_path_factory.mktemp("changed"), user_without_execute) as changed:
        after = user_token(changed, "user@mcp.test", "tools", SCOPE)
        tools, (find,) = mcp(changed, after, ("search___find", {"q": "x"}))
    assert tools == []
    assert getattr(find, "message", None) == DENIED


def test_a_policy_for_a_tool_the_upstream_does_not_list_fails_at_start(tmp_path: Path) -> None:
    """CreatePolicy validates against the gateway's tools (FAIL_ON_ANY_FINDINGS): here too."""
    running = _sandbox(tmp_path)
    search = next(t for t in running.spec.gateways["tools"].targets if t.name == "search")
    search.tools = [t for t in search.tools if t["name"] != "get"]  # the upstream no longer has `get`
    with pytest.raises(SandboxError, match="search___get"):
        running.start()


@pytest.mark.parametrize(
    ("knob", "problem"),
    [
        (("outbound_secret_wrong", True), "outbound credential refused: the issuer answered 401"),
        (("serve", False), f"upstream unreachable: {SEARCH_URL}"),
        (("synced", False), "target not synced"),
    ],
    ids=["credential refused", "upstream down", "not synced"],
)
def test_a_target_that_cannot_be_listed_says_why_and_its_tools_are_absent(
    tmp_path: Path, knob: tuple[str, bool], problem: str
) -> None:
    running = _sandbox(tmp_path)
    search = next(t for t in running.spec.gateways["tools"].targets if t.name == "search")
    setattr(search, *knob)
    with running:
        targets = running.targets["tools"]
        assert targets.problems["search"].startswith(problem)
        assert sorted(targets.tools) == ["ops___delete_item", "ops___list_items"]
