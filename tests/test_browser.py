"""The interactive flow in a real headless Chromium (Debian's, driven by Playwright): the MCP
Python SDK's OAuth client registers itself, the browser renders the sandbox's login and consent
pages and submits them, and the client lists tools through the gateway. Skipped, saying why,
where `make browser` could not install Chromium."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from tests.test_interactive import FIXTURES, _spec
from verify.interactive import CHROMIUM, BrowserPerson, MemoryStorage, list_tools, provider_for
from verify.sandbox import Sandbox

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"no {CHROMIUM}: `make browser` installs Debian's chromium where it can (root with apt-get)",
)


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
