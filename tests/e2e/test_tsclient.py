"""The MCP TypeScript SDK's OAuth client against `make sandbox`, next to the Python SDK's
(tests/sandbox/test_interactive.py): a second client nobody here wrote, with its own reading of the
discovery document (it validates it as OIDC Discovery 1.0 metadata), of the gateway's 401, of DCR,
PKCE and `resource`. tests/tsclient/login.mjs drives it; a person's part (the login form and the
consent page) is the only thing it does itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.conftest import ROOT
from tests.helpers.sandbox import make_sandbox

TSCLIENT = ROOT / "tests" / "tsclient"
SDK = TSCLIENT / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"

# OpenID Connect Discovery 1.0 §3 (Provider Metadata): the members an OpenID Provider's metadata
# REQUIRES (token_endpoint too, "unless only the Implicit Flow is used").
OIDC_REQUIRED = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
)


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    """`make sandbox` for the dev stack (what the target runs, in a subprocess); its JSON line."""
    with make_sandbox("--stack", "dev") as sandbox:
        yield sandbox.announced


def test_the_discovery_document_has_every_member_oidc_discovery_requires(served: dict[str, Any]) -> None:
    doc = httpx2.get(served["issuer"] + ".well-known/openid-configuration").json()
    assert [m for m in OIDC_REQUIRED if m not in doc] == []
    # As Auth0 serves them: pairwise subjects are not offered, and ID tokens are signed.
    assert doc["subject_types_supported"] == ["public"]
    assert "RS256" in doc["id_token_signing_alg_values_supported"]


def _tsclient(url: str, user: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(TSCLIENT / "login.mjs"), url],
        env={**os.environ, "MCPAUTH_TEST_USERNAME": user["username"], "MCPAUTH_TEST_PASSWORD": user["password"]},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_typescript_sdk_registers_logs_in_and_lists_tools(served: dict[str, Any]) -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not on PATH: the MCP TypeScript SDK's client needs it")
    assert SDK.exists(), "the MCP TypeScript SDK is not installed: run `make pytest` (npm ci in tests/tsclient)"
    user = next(u for u in served["users"] if u["username"] == "user@mcp.test")
    url = served["gateways"]["tools"]
    done = _tsclient(url, user)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    # dev's tools gateway fronts its targets: what an MCP User may call (sandbox/targets.py).
    assert result["tools"] == ["ops___list_items", "search___find", "search___get"]
    # The SDK's own choices on the way: DCR gave it a client id, it asked with PKCE S256 for the
    # gateway's resource and the scope its 401 advertised, and the token is for that resource.
    sent = result["authorize"]
    assert result["client_id"] and sent["client_id"] == result["client_id"]
    assert sent["code_challenge_method"] == "S256"
    resource = httpx2.get(url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")).json()["resource"]
    assert sent["resource"] == resource
    assert "read:tools" in sent["scope"].split()
    aud = result["claims"]["aud"]
    assert resource in (aud if isinstance(aud, list) else [aud])
    assert "read:tools" in result["claims"]["scope"].split()


def test_the_typescript_sdk_is_refused_for_a_user_without_a_role(served: dict[str, Any]) -> None:
    if shutil.which("node") is None:
        pytest.skip("Node.js is not on PATH: the MCP TypeScript SDK's client needs it")
    assert SDK.exists(), "the MCP TypeScript SDK is not installed: run `make pytest` (npm ci in tests/tsclient)"
    user = next(u for u in served["users"] if u["username"] == "norole@mcp.test")
    done = _tsclient(served["gateways"]["tools"], user)
    assert done.returncode == 1
    assert "tools" not in done.stdout
