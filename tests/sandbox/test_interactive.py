"""The interactive path, end to end against the sandbox: the MCP Python SDK's OAuth client registers
itself (DCR), a person logs in on the login form and accepts the consent page, the SDK exchanges
the code (PKCE) and lists tools through the gateway. The post-login Action runs under Node."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import jwt as pyjwt
import pytest

from sandbox.sandbox import Sandbox, SandboxSpec
from tests.helpers.sandbox import FIXTURES, make_sandbox, register_client, user_token, user_tokens
from tests.helpers.sandbox import sandbox_spec as _spec
from verify.interactive import REDIRECT_URI, MemoryStorage, Person, list_tools, provider_for

# End to end: each login runs the post-login Action under Node.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def claims() -> Iterator[Sandbox]:
    with Sandbox(_spec("claims", FIXTURES)) as sandbox:
        yield sandbox


def _claims_of(storage: MemoryStorage) -> dict[str, Any]:
    assert storage.tokens is not None
    return dict(pyjwt.decode(storage.tokens.access_token, options={"verify_signature": False}))


def _login(sandbox: Sandbox, gateway: str, username: str, **person: Any) -> tuple[list[str], MemoryStorage, Person]:
    user = sandbox.issuer.users[username]
    who = Person(user.username, user.password, **person)
    storage = MemoryStorage()
    url = sandbox.spec.outputs["gateways"][gateway]["gatewayUrl"]
    tools = asyncio.run(list_tools(url, provider_for(url, who, storage)))
    return tools, storage, who


def test_an_mcp_user_registers_logs_in_and_lists_tools(claims: Sandbox) -> None:
    tools, storage, who = _login(claims, "tools", "user@mcp.test")
    assert tools == ["echo", "add", "utc_now"]
    token = _claims_of(storage)
    gateway = claims.spec.outputs["gateways"]["tools"]
    # The SDK asks for Auth0's OIDC scopes (openid among them): Auth0 adds its /userinfo audience.
    assert token["iss"] == claims.spec.issuer
    assert token["aud"] == [gateway["apiIdentifier"], claims.spec.issuer + "userinfo"]
    assert token["sub"] == "auth0|user" and token["azp"] == storage.client.client_id  # type: ignore[union-attr]
    # RBAC: the role's permissions, limited to the third-party grant (admin is not in it).
    assert token["permissions"] == ["tools.call", "tools.read"]
    # The real Action ran under Node and added its namespaced roles claim.
    assert token["https://mcpauth.example.com/roles"] == ["MCP User"]
    assert any("/authorize/consent" in page for page in who.pages), "a third-party client is shown consent"


def test_a_refresh_narrows_scope_on_request_and_an_unknown_refresh_token_is_refused(claims: Sandbox) -> None:
    tokens = user_tokens(claims, "user@mcp.test", scope="openid offline_access tools.read tools.call")
    client = _claims(tokens["access_token"])["azp"]
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": client}
    same = httpx2.post(claims.spec.issuer + "oauth/token", data=form).json()
    assert same["scope"] == "openid offline_access tools.read tools.call"
    assert "refresh_token" not in same, "no rotation: the client keeps its refresh token"
    narrow = httpx2.post(claims.spec.issuer + "oauth/token", data={**form, "scope": "openid tools.read"}).json()
    api = claims.spec.outputs["gateways"]["tools"]["apiIdentifier"]
    assert narrow["scope"] == "openid tools.read" and _claims(narrow["access_token"])["aud"][0] == api
    bogus = httpx2.post(claims.spec.issuer + "oauth/token", data={**form, "refresh_token": "not-issued"})
    assert bogus.status_code == 400 and bogus.json()["error"] == "invalid_grant"


def test_a_refreshed_token_still_works_and_keeps_the_actions_claims(claims: Sandbox) -> None:
    _, storage, _ = _login(claims, "tools", "user@mcp.test")
    assert storage.tokens is not None and storage.tokens.refresh_token, "offline_access: a refresh token"
    issuer = claims.spec.issuer
    answer = httpx2.post(
        issuer + "oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": storage.tokens.refresh_token,
            "client_id": storage.client.client_id,  # type: ignore[union-attr]
        },
    )
    assert answer.status_code == 200, answer.text
    fresh = answer.json()["access_token"]
    refreshed = pyjwt.decode(fresh, options={"verify_signature": False})
    assert refreshed["https://mcpauth.example.com/roles"] == ["MCP User"]
    assert refreshed["permissions"] == ["tools.call", "tools.read"]
    url = claims.spec.outputs["gateways"]["tools"]["gatewayUrl"]
    assert asyncio.run(list_tools(url, _Bearer(fresh))) == ["echo", "add", "utc_now"]


def test_a_user_without_a_role_gets_a_token_the_gateway_refuses(claims: Sandbox) -> None:
    with pytest.raises(BaseException) as err:
        _login(claims, "tools", "norole@mcp.test")
    assert "Invalid Bearer token" in repr(err.value) or "401" in repr(err.value)
    # The diagnosis from the token itself: no permissions, so the claim rule cannot match.
    from sandbox.gatekeeper import Refused
    from verify.tokens import TokenError, validate

    gateway = next(g for g in claims._gateways if g.spec.name == "tools")
    token = user_token(claims, "norole@mcp.test")
    assert pyjwt.decode(token, options={"verify_signature": False})["permissions"] == []
    with pytest.raises(Refused) as refused:
        gateway.check("Bearer " + token)
    assert refused.value.reason == "missing-permission"
    # verify's own validator (another JOSE library) reaches the same verdict from the stack's rules.
    from verify.checks import gateway_rules

    jwks = httpx2.get(claims.spec.issuer + ".well-known/jwks.json").json()
    with pytest.raises(TokenError) as diagnosed:
        validate(token, jwks, gateway_rules(claims.spec.issuer, claims.spec.outputs["gateways"]["tools"]))
    assert diagnosed.value.code == "missing-permission"


def test_a_third_party_client_cannot_get_admin(claims: Sandbox) -> None:
    _, storage, _ = _login(claims, "tools", "admin@mcp.test")
    token = _claims_of(storage)
    assert "admin" not in token["permissions"] and "admin" not in token["scope"].split()
    assert token["https://mcpauth.example.com/roles"] == ["MCP Admin"]


def test_registration_is_refused_when_the_tenant_flag_is_off() -> None:
    spec = _spec("claims", FIXTURES)
    spec.dynamic_registration = False
    with Sandbox(spec) as sandbox:
        answer = httpx2.post(
            sandbox.spec.issuer + "oidc/register",
            json={"redirect_uris": ["http://127.0.0.1:9/cb"], "token_endpoint_auth_method": "none"},
        )
        assert answer.status_code == 403
        assert (
            "registration_endpoint" not in httpx2.get(sandbox.spec.issuer + ".well-known/openid-configuration").json()
        )


def test_authorize_requires_pkce_and_a_known_api(claims: Sandbox) -> None:
    client = register_client(claims)
    issuer = claims.spec.issuer
    base = {"response_type": "code", "client_id": client, "redirect_uri": "http://127.0.0.1:9/callback", "state": "s"}
    no_pkce = httpx2.get(issuer + "authorize", params=base, follow_redirects=False)
    assert no_pkce.status_code == 302
    back = urlsplit(no_pkce.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://127.0.0.1:9/callback"
    assert parse_qs(back.query) == {
        "error": ["invalid_request"],
        "error_description": ["code_challenge is required (PKCE, S256)"],
        "state": ["s"],
    }
    wrong = _authorize(claims, client, resource="https://elsewhere.example/mcp")
    assert wrong.status_code == 302 and "Service+not+found" in wrong.headers["location"]
    right = _authorize(claims, client, resource=claims.spec.outputs["gateways"]["tools"]["apiIdentifier"])
    assert right.status_code == 200 and "name=username" in right.text and "name=password" in right.text


def test_a_scope_rule_works_because_the_gateway_advertises_its_scope() -> None:
    """dev requires `read:tools`, which AgentCore can only check as an allowed scope, and advertises
    (in its 401 and its protected resource metadata): the SDK asks Auth0 for it, RBAC grants it to
    an MCP User, and the gateway admits the token. Without the advertisement the client would ask
    for no API scope and be refused for `scope`, which verify diagnoses."""
    from sandbox.gatekeeper import Refused

    with Sandbox(_spec("dev")) as sandbox:
        tools, storage, _ = _login(sandbox, "tools", "user@mcp.test")
        # dev's tools gateway fronts its targets: what an MCP User may call (sandbox/targets.py).
        assert tools == ["ops___list_items", "search___find", "search___get"]
        assert "read:tools" in _claims_of(storage)["scope"].split()
        challenge = httpx2.post(sandbox.spec.outputs["gateways"]["tools"]["gatewayUrl"], json={}).headers
        assert 'scope="read:tools"' in challenge["www-authenticate"]
        assert "error=" not in challenge["www-authenticate"], "no error code without credentials (RFC 6750)"
        # A client that asks for no API scope gets a token the scope rule refuses.
        token = user_token(sandbox, "user@mcp.test", gateway="tools")
        decoded = pyjwt.decode(token, options={"verify_signature": False})
        assert "read:tools" in decoded["permissions"] and "read:tools" not in decoded["scope"].split()
        gateway = next(g for g in sandbox._gateways if g.spec.name == "tools")
        with pytest.raises(Refused) as refused:
            gateway.check("Bearer " + token)
        assert refused.value.reason == "scope-not-allowed"


def _claims(token: str) -> dict[str, Any]:
    return dict(pyjwt.decode(token, options={"verify_signature": False}))


def test_scope_holds_only_what_the_user_may_have(claims: Sandbox) -> None:
    """RBAC: requested API scopes the user's roles do not hold are dropped; a third-party client
    never gets `admin`, even for an MCP Admin who asks for it."""
    asked = "openid tools.read tools.call admin"
    assert _claims(user_token(claims, "user@mcp.test", scope=asked))["scope"].split() == [
        "openid",
        "tools.read",
        "tools.call",
    ]
    assert _claims(user_token(claims, "norole@mcp.test", scope=asked))["scope"].split() == ["openid"]
    admin = _claims(user_token(claims, "admin@mcp.test", scope=asked))
    assert "admin" not in admin["scope"].split() and "admin" not in admin["permissions"]


def test_a_refresh_token_only_with_offline_access_on_an_api_that_allows_it() -> None:
    spec = _spec("claims", FIXTURES)
    with Sandbox(spec) as sandbox:
        assert "refresh_token" in user_tokens(sandbox, "user@mcp.test", scope="openid offline_access")
        assert "refresh_token" not in user_tokens(sandbox, "user@mcp.test", scope="openid")
    spec = _spec("claims", FIXTURES)
    spec.offline_access = dict.fromkeys(spec.offline_access, False)
    with Sandbox(spec) as sandbox:
        assert "refresh_token" not in user_tokens(sandbox, "user@mcp.test", scope="openid offline_access")


def test_without_audience_or_resource_the_tenant_default_audience_is_used() -> None:
    spec = _spec("claims", FIXTURES)
    api = spec.outputs["gateways"]["tools"]["apiIdentifier"]
    spec.default_audience = api
    with Sandbox(spec) as sandbox:
        token = _claims(user_token(sandbox, "user@mcp.test", scope="tools.read", resource=False))
        assert token["aud"] == api and token["scope"] == "tools.read"


def test_resource_is_ignored_under_the_audience_profile() -> None:
    """Profile `audience`: Auth0 ignores `resource`, so a client that sends only `resource` gets an
    opaque token, which no gateway accepts; under `compatibility` the same request gets the API's."""
    spec = _spec("claims", FIXTURES)
    api = spec.outputs["gateways"]["tools"]["apiIdentifier"]
    with Sandbox(spec) as sandbox:
        assert _claims(user_token(sandbox, "user@mcp.test"))["aud"][0] == api
    spec = _spec("claims", FIXTURES)
    spec.resource_parameter_profile = "audience"
    with Sandbox(spec) as sandbox:
        opaque = user_token(sandbox, "user@mcp.test")
        assert opaque.count(".") != 2, "not a JWT"
        url = sandbox.spec.outputs["gateways"]["tools"]["gatewayUrl"]
        refused = httpx2.post(url, json={}, headers={"Authorization": f"Bearer {opaque}"})
        assert refused.status_code == 401


def test_a_third_party_client_logs_in_only_through_a_domain_level_connection() -> None:
    spec = _spec("claims", FIXTURES)
    spec.domain_connection = False
    with Sandbox(spec) as sandbox:
        client = register_client(sandbox)
        page = _authorize(sandbox, client)
        assert page.status_code == 400 and "no connections enabled for the client" in page.text


# --- helpers ---------------------------------------------------------------------------------------


class _Bearer(httpx2.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx2.Request) -> Iterator[httpx2.Request]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


# A valid S256 challenge (RFC 7636 appendix B's); these requests never reach the token endpoint.
PKCE = {"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"}


def _authorize(sandbox: Sandbox, client_id: str, **extra: str) -> httpx2.Response:
    """GET /authorize as an MCP client, with PKCE; the redirect (if any) is returned, not followed."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI, **PKCE, **extra}
    return httpx2.get(sandbox.spec.issuer + "authorize", params=params, follow_redirects=False)


def test_a_wrong_password_shows_the_form_again_and_declining_consent_returns_access_denied(claims: Sandbox) -> None:
    from verify.interactive import LoginError

    user = claims.issuer.users["user@mcp.test"]
    url = claims.spec.outputs["gateways"]["tools"]["gatewayUrl"]
    wrong = Person(user.username, "not-the-password")
    with pytest.raises(BaseException) as err:
        asyncio.run(list_tools(url, provider_for(url, wrong, MemoryStorage())))
    assert "Wrong email or password." in wrong.pages[-1]
    assert "login answered 200" in repr(err.value)
    declines = Person(user.username, user.password, accept=False)
    with pytest.raises(BaseException) as err:
        asyncio.run(list_tools(url, provider_for(url, declines, MemoryStorage())))
    assert isinstance(err.value, LoginError) or "access_denied" in repr(err.value)


def test_make_sandbox_prints_one_json_line_and_serves_until_stopped() -> None:
    with make_sandbox("--stack", "claims", "--stack-dir", str(FIXTURES)) as served:
        line = served.announced
        assert sorted(u["username"] for u in line["users"]) == ["admin@mcp.test", "norole@mcp.test", "user@mcp.test"]
        assert all(u["password"] for u in line["users"])
        discovery = httpx2.get(line["issuer"] + ".well-known/openid-configuration").json()
        assert discovery["registration_endpoint"] == line["issuer"] + "oidc/register"
        user = next(u for u in line["users"] if u["username"] == "user@mcp.test")
        url = line["gateways"]["tools"]
        tools = asyncio.run(
            list_tools(url, provider_for(url, Person(user["username"], user["password"]), MemoryStorage()))
        )
        assert tools == ["echo", "add", "utc_now"]
        assert served.stop() == 0


@pytest.fixture(scope="module")
def metadata_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """An https server on 127.0.0.1 serving client metadata documents (CIMD), with a self-signed
    certificate the sandbox issuer is told to trust. Yields (origin, CA path, documents by path)."""
    import datetime
    import ipaddress
    import threading
    import time

    import uvicorn
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from sandbox.sandbox import free_port

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("cimd")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    documents: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        doc = documents.get(scope["path"])
        body = json.dumps(doc).encode() if doc is not None else b"{}"
        status = 200 if doc is not None else 404
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
        )
        await send({"type": "http.response.body", "body": body})

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="error", ssl_certfile=str(cert_path), ssl_keyfile=str(key_path)
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"https://127.0.0.1:{port}", str(cert_path), documents
    server.should_exit = True
    thread.join(timeout=5)


def _cimd_spec(trust: str, clients: tuple[str, ...] = (), dynamic: bool = False) -> SandboxSpec:
    """The fixture stack's sandbox with CIMD as an owner would configure it: clients registered
    (manual), dynamic, or neither. Set here rather than in the stack file because Auth0, and so
    config, refuses metadata documents on 127.0.0.1, where the test's document host is."""
    spec = _spec("claims", FIXTURES)
    assert not spec.metadata_documents, "CIMD is off unless clients or dynamic CIMD are configured"
    spec.metadata_documents = bool(clients) or dynamic
    spec.metadata_document_clients = list(clients)
    spec.dynamic_metadata_documents = dynamic
    spec.metadata_document_trust = trust
    return spec


def _document(documents: dict[str, Any], origin: str, path: str) -> str:
    url = origin + path
    documents[path] = {
        "client_id": url,
        "client_name": "CIMD client",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    return url


def test_a_registered_metadata_document_client_logs_in_and_lists_tools(
    metadata_host: tuple[str, str, dict[str, Any]],
) -> None:
    """Manual CIMD: the SDK uses an https URL as its client id (no registration); the issuer
    fetches the document there, and the person logs in and consents as with DCR."""
    origin, trust, documents = metadata_host
    url = _document(documents, origin, "/clients/sandbox.json")
    with Sandbox(_cimd_spec(trust, clients=(url,))) as sandbox:
        user = sandbox.issuer.users["user@mcp.test"]
        gateway = sandbox.spec.outputs["gateways"]["tools"]["gatewayUrl"]
        storage = MemoryStorage()
        who = Person(user.username, user.password)
        tools = asyncio.run(list_tools(gateway, provider_for(gateway, who, storage, client_metadata_url=url)))
        assert tools == ["echo", "add", "utc_now"]
        assert _claims_of(storage)["azp"] == url
        assert url in sandbox.issuer.auth.clients, "the issuer knows the client from its document"
        assert not [c for c in sandbox.issuer.auth.clients if not c.startswith("https://")], "no DCR happened"


def test_with_manual_cimd_an_unregistered_document_is_refused(
    metadata_host: tuple[str, str, dict[str, Any]],
) -> None:
    """Auth0 registers manual CIMD clients one by one: a document nobody registered is not a client."""
    origin, trust, documents = metadata_host
    known = _document(documents, origin, "/clients/known.json")
    stranger = _document(documents, origin, "/clients/stranger.json")
    with Sandbox(_cimd_spec(trust, clients=(known,))) as sandbox:
        discovery = httpx2.get(sandbox.spec.issuer + ".well-known/openid-configuration").json()
        assert discovery["client_id_metadata_document_supported"] is True
        page = _authorize(sandbox, stranger)
        assert page.status_code == 400 and "invalid_client" in page.text
        assert _authorize(sandbox, known).status_code != 400


def test_with_dynamic_cimd_any_document_is_accepted(metadata_host: tuple[str, str, dict[str, Any]]) -> None:
    origin, trust, documents = metadata_host
    url = _document(documents, origin, "/clients/anyone.json")
    with Sandbox(_cimd_spec(trust, dynamic=True)) as sandbox:
        page = _authorize(sandbox, url)
        assert page.status_code != 400, page.text
        assert url in sandbox.issuer.auth.clients


def test_without_cimd_it_is_not_advertised_and_a_document_is_refused(
    metadata_host: tuple[str, str, dict[str, Any]],
) -> None:
    origin, trust, documents = metadata_host
    url = _document(documents, origin, "/clients/off.json")
    with Sandbox(_cimd_spec(trust)) as sandbox:
        discovery = httpx2.get(sandbox.spec.issuer + ".well-known/openid-configuration").json()
        assert "client_id_metadata_document_supported" not in discovery
        page = _authorize(sandbox, url)
        assert page.status_code == 400 and "invalid_client" in page.text


def test_make_sandbox_trusts_a_local_document_host_through_ssl_cert_file(
    metadata_host: tuple[str, str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make sandbox` sets no CA bundle: the fetch trusts SSL_CERT_FILE when it is set (httpcore2's
    default_ssl_context), else the system's store, which knows no self-signed certificate."""
    origin, trust, documents = metadata_host
    url = _document(documents, origin, "/clients/local.json")
    spec = _cimd_spec(trust, dynamic=True)
    spec.metadata_document_trust = None
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with Sandbox(spec) as sandbox:
        assert _authorize(sandbox, url).status_code == 400, "an untrusted certificate: no document"
        monkeypatch.setenv("SSL_CERT_FILE", trust)
        assert _authorize(sandbox, url).status_code != 400


def test_a_metadata_document_that_names_another_client_is_refused(
    metadata_host: tuple[str, str, dict[str, Any]],
) -> None:
    origin, trust, documents = metadata_host
    url = origin + "/clients/liar.json"
    documents["/clients/liar.json"] = {
        "client_id": origin + "/clients/other.json",
        "redirect_uris": ["http://127.0.0.1:9/callback"],
    }
    with Sandbox(_cimd_spec(trust, dynamic=True)) as sandbox:
        page = _authorize(sandbox, url)
        assert page.status_code == 400 and "invalid_client" in page.text


def test_verify_says_a_refused_user_lacks_a_role_from_the_token_alone() -> None:
    from verify.checks import diagnose_refusal, gateway_rules

    with Sandbox(_spec("dev")) as sandbox, httpx2.Client() as http:
        gw = sandbox.spec.outputs["gateways"]["tools"]
        jwks = http.get(sandbox.spec.issuer + ".well-known/jwks.json").json()
        rules = gateway_rules(sandbox.spec.issuer, gw)
        token = user_token(sandbox, "norole@mcp.test", scope="openid read:tools")
        cause, fix = diagnose_refusal(http, gw["resourceUrl"], token, rules, jwks)
        assert "lack ['read:tools'] (none of their roles holds it)" in cause and "defaultRole" in fix
        # The MCP User who did not ask for the scope: a different cause, and a different fix.
        token = user_token(sandbox, "user@mcp.test", scope="openid")
        cause, fix = diagnose_refusal(http, gw["resourceUrl"], token, rules, jwks)
        assert "scope-not-allowed" in cause and "ask for the scope the gateway advertises" in fix


def test_make_sandbox_prints_its_json_line_first_even_when_it_installs_node_packages(tmp_path: Path) -> None:
    """`make sandbox` may run `npm ci` first (the Action's packages): whatever npm (and make) print
    goes to stderr, so stdout's first line is still the JSON line a script reads."""
    import os
    import signal
    import subprocess

    from tests.conftest import ROOT

    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\necho 'added 98 packages in 4s'\necho 'npm warn deprecated x@1' >&2\n")
    npm.chmod(0o755)
    proc = subprocess.Popen(
        # STAMP= : the venv is there already (as `make mutate` runs make); NODE_STAMP in tmp_path so
        # that the npm step runs, with NPM a stand-in that prints as npm does.
        [
            "make",
            "--no-print-directory",
            "sandbox",
            "STACK=dev",
            "STAMP=",
            f"NODE_STAMP={tmp_path}/installed",
            f"NPM={npm}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert json.loads(first)["gateways"], first
    finally:
        # What is checked is the first line; how fast make and the sandbox stop on a loaded
        # machine is not, so a slow stop is ended, not failed (the test above checks the stop).
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
    assert proc.stderr is not None and "added 98 packages" in proc.stderr.read()
