"""The interactive flow in a real headless Chromium (Debian's, driven by Playwright): the MCP
Python SDK's OAuth client registers itself, the browser renders the sandbox's login and consent
pages and submits them, and the client lists tools through the gateway. In process, and against
`make sandbox` running as its own process. Skipped, saying why, where `make browser` could not
install Chromium."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.sandbox import Sandbox
from tests.helpers.browser import WAIT_SECONDS, chromium_missing
from tests.helpers.sandbox import FIXTURES, make_sandbox
from tests.helpers.sandbox import sandbox_spec as _spec
from verify.interactive import BrowserPerson, MemoryStorage, list_tools, provider_for

pytestmark = [
    pytest.mark.slow,  # a browser, and the post-login Action under Node
    pytest.mark.browser,
    # The wait for an install in progress (tests/helpers/browser.py) is within this limit.
    pytest.mark.timeout(WAIT_SECONDS + 300),
]


@pytest.fixture(scope="module", autouse=True)
def chromium() -> None:
    """Skips, saying why, where chromium is not there (after any `make browser` in progress)."""
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(_spec("claims", FIXTURES)) as running:
        yield running


def test_a_person_in_chromium_logs_in_and_the_client_lists_tools(sandbox: Sandbox) -> None:
    user = sandbox.issuer.users["user@mcp.test"]
    url = sandbox.spec.outputs["gateways"]["tools"]["gatewayUrl"]
    person = BrowserPerson(user.username, user.password)
    storage = MemoryStorage()
    assert asyncio.run(list_tools(url, provider_for(url, person, storage))) == ["echo", "add", "utc_now"]
    assert any("/authorize" in p for p in person.pages), person.pages
    assert storage.tokens is not None and storage.tokens.refresh_token


def test_declining_consent_in_chromium_gets_no_token(sandbox: Sandbox) -> None:
    user = sandbox.issuer.users["user@mcp.test"]
    url = sandbox.spec.outputs["gateways"]["tools"]["gatewayUrl"]
    person = BrowserPerson(user.username, user.password, accept=False)
    storage = MemoryStorage()
    with pytest.raises(BaseException) as err:
        asyncio.run(list_tools(url, provider_for(url, person, storage)))
    assert "no code" in repr(err.value) and "access_denied" in repr(err.value)
    assert storage.tokens is None


def test_make_verify_login_runs_the_flow_in_chromium_per_gateway(sandbox: Sandbox) -> None:
    from verify.checks import Target, run_all

    user = sandbox.issuer.users["user@mcp.test"]
    checks = run_all(Target.from_outputs(sandbox.spec.outputs), login=(user.username, user.password))
    login = [c for c in checks if "(--login)" in c.name]
    assert [c.name for c in login] == ["tools: interactive login in Chromium (--login)"]
    assert (
        login[0].ok and "3 tool(s) as user@mcp.test" in login[0].detail and "DELETE /api/v2/clients/" in login[0].detail
    )
    wrong = run_all(Target.from_outputs(sandbox.spec.outputs), login=(user.username, "wrong"))
    failed = [c for c in wrong if "(--login)" in c.name]
    assert not failed[0].ok and "LoginError" in failed[0].cause


# --- against `make sandbox STACK=dev`, a process of its own -------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    """`make sandbox STACK=dev` as a separate process: its one JSON line (issuer, gateway URLs,
    users). One for the module, as a person keeps one running and logs in again and again; stopped
    whatever the tests do."""
    with make_sandbox("--stack", "dev") as sandbox:
        yield sandbox.announced
        assert sandbox.proc.poll() is None, "the sandbox serves until it is stopped"


def test_a_person_in_chromium_lists_tools_through_a_running_make_sandbox(served: dict[str, Any]) -> None:
    """The whole interactive MCP flow against `make sandbox STACK=dev` as a user runs it: only the
    printed line is known (no in-process handle). Per gateway, the SDK's client finds the issuer from
    the gateway's 401 and metadata, registers by DCR, Chromium renders and submits the login and
    consent pages, the code is exchanged with PKCE, and tools/list answers through the gateway."""
    import jwt as pyjwt

    issuer = served["issuer"]
    assert issuer.startswith("http://127.0.0.1:") and set(served["gateways"]) == {"tools", "docs"}
    user = next(u for u in served["users"] if u["username"] == "user@mcp.test")
    assert user["roles"] == ["MCP User"] and user["password"]
    for name, url in served["gateways"].items():
        person = BrowserPerson(user["username"], user["password"])
        storage = MemoryStorage()
        tools = asyncio.run(list_tools(url, provider_for(url, person, storage, name=f"browser test ({name})")))
        # dev's tools gateway fronts its targets (what an MCP User may call); docs, the sandbox's tools.
        expected = {"tools": ["ops___list_items", "search___find", "search___get"], "docs": ["echo", "add", "utc_now"]}
        assert tools == expected[name], name
        assert any(p.startswith(issuer + "authorize") for p in person.pages), (name, person.pages)
        assert storage.tokens is not None and storage.client is not None
        claims = pyjwt.decode(storage.tokens.access_token, options={"verify_signature": False})
        assert claims["iss"] == issuer and claims["azp"] == storage.client.client_id
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        assert url in audiences, "the gateway URL is the resource URL: the API identifier, byte for byte"


def test_verify_login_checks_a_test_users_tool_access_through_make_sandbox(served: dict[str, Any]) -> None:
    """`make verify --login --call-tools` against `make sandbox STACK=dev`: the MCP User logged in
    through Chromium lists what the role may call, a granted call answers, ops___delete_item (the MCP
    Admin's) is refused by policy, and the upstream never saw the user's token."""
    from verify.checks import Target, run_all

    user = next(u for u in served["users"] if u["username"] == "user@mcp.test")
    outputs = json.loads(Path(served["outputs"]).read_text())
    checks = run_all(Target.from_outputs(outputs), login=(user["username"], user["password"]), call_tools=True)
    mine = {c.name: c for c in checks if c.name.startswith("user@mcp.test → tools")}
    assert all(c.ok for c in mine.values()), [c.line() for c in mine.values() if not c.ok]
    assert mine["user@mcp.test → tools: targets' tools listed"].detail.startswith("3 tool(s)")
    assert "Tool Execution Denied" in mine["user@mcp.test → tools: tools/call ops___delete_item (not granted)"].detail
    assert "upstream search never sees the caller's token" in " ".join(mine)
