"""The checks of `make verify`: what an engineer does by hand after `pulumi up`, with a diagnosis.

1. the gateway's protected resource metadata (RFC 9728, root and /mcp path forms);
2. the issuer's OIDC discovery, its JWKS and RS256;
3. a client-credentials token per machine client, asked with `audience` and with `resource`;
4. the token itself (signature, iss, aud, exp, azp, gty, required permissions);
5. MCP through the gateway with the MCP SDK (initialize, tools/list), a raw JSON-RPC call, and
   the same without a token, which must get 401 with a WWW-Authenticate naming the metadata.

Secrets and tokens never reach a result: a Check holds only what is safe to print.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from rules.outputs import DeployedClient, DeployedGateway
from rules.urls import discovery_url
from rules.wiring import api_identifier_problems, audience_problems, identifier_problems
from verify.tokens import Rules, TokenError, header_of, validate

if TYPE_CHECKING:
    from mcp.client.session import ClientSession

TIMEOUT = httpx2.Timeout(5.0, connect=3.0)
RETRIES = 2  # connection failures retried by the transport (httpx2.HTTPTransport(retries=…)); bounded


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    cause: str = ""
    fix: str = ""

    def line(self) -> str:
        if self.ok:
            return f"✓ {self.name}: {self.detail}"
        return f"✗ {self.name}: {self.detail}\n    cause: {self.cause}\n    fix:   {self.fix}"


@dataclass
class Target:
    """What to verify: the stack outputs (or the same given by flags)."""

    issuer: str
    token_endpoint: str
    gateways: dict[str, DeployedGateway]
    clients: dict[str, DeployedClient]
    secrets: dict[str, str] = field(repr=False, default_factory=dict)
    # The stack's DCR setting (output `clientRegistration`); None when verify is given flags.
    dynamic_registration: bool | None = None
    # A sandbox's outputs only: per gateway, per target, where its upstream tells the tokens it saw.
    upstream_tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_outputs(cls, out: dict[str, Any]) -> Target:
        missing = [k for k in ("issuer", "tokenEndpoint", "gateways") if k not in out]
        if missing:
            raise ValueError(f"stack outputs lack {', '.join(missing)}: is this an mcpauth stack after `pulumi up`?")
        problems = []
        for kind, key, needs in (
            ("gateways", "gateways", ("resourceUrl", "apiIdentifier")),
            ("machineClients", "machineClients", ("gateway", "clientId")),
        ):
            value = out.get(key)
            if value is None:
                value = {}
            if not isinstance(value, dict):
                problems.append(f"{kind} is {type(value).__name__}, not a map of name to settings")
                continue
            for name, item in value.items():
                lack = [n for n in needs if not isinstance(item, dict) or not item.get(n)]
                if lack:
                    problems.append(f"{kind}.{name} lacks {', '.join(lack)}")
        if problems:
            raise ValueError(
                "stack outputs are not an mcpauth stack's: " + "; ".join(problems) + " (run `pulumi up` with this "
                "version, or pass --issuer/--gateway-url/--api-identifier/--client-id)"
            )
        return cls(
            issuer=out["issuer"],
            token_endpoint=out["tokenEndpoint"],
            gateways=dict(out["gateways"]),
            clients=dict(out.get("machineClients") or {}),
            secrets=dict(out.get("machineClientSecrets") or {}),
            dynamic_registration=(out.get("clientRegistration") or {}).get("dynamic"),
            upstream_tokens=dict((out.get("sandbox") or {}).get("upstreamTokens") or {}),
        )


def _secure(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost"))


def _titled(subject: str, what: str) -> str:
    """A check's name: what it checks, after whom it checks it for (`smoke-tools → tools: …`)."""
    return f"{subject}: {what}" if subject else what


def _unreachable(name: str, url: str, e: Exception) -> Check:
    return Check(
        name,
        False,
        f"{url} unreachable ({type(e).__name__})",
        "the host does not answer (DNS, network, or the resource does not exist yet)",
        "check the URL in the stack outputs and your network; retry after `pulumi up` finishes",
    )


def metadata_urls(resource_url: str) -> list[tuple[str, str]]:
    parts = urlsplit(resource_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return [
        ("root", f"{origin}/.well-known/oauth-protected-resource"),
        ("path", f"{origin}/.well-known/oauth-protected-resource{parts.path}"),
    ]


def check_wiring(gateway: str, gw: DeployedGateway) -> Check:
    """The stack's own view of the wiring rule (rules.wiring, as the pack and the plan apply it):
    resource URL = API identifier = the only allowed audience. From the outputs alone, before any
    request; a stack deployed with this program meets it by construction."""
    name = f"{gateway}: wiring"
    ident = gw["apiIdentifier"]
    problems = [*api_identifier_problems(ident, gw["resourceUrl"]), *identifier_problems(ident)]
    if "allowedAudiences" in gw:
        problems += audience_problems(list(gw["allowedAudiences"] or []), [ident])
    if problems:
        return Check(
            name,
            False,
            "; ".join(problems),
            "MCP clients ask Auth0 for the gateway's resource URL, and the gateway admits only its allowed audience",
            "`make up` sets all three from the gateway's URL; with flags, pass the identifier of this gateway's API",
        )
    return Check(name, True, f"resource URL = API identifier = allowed audience ({ident})")


def check_metadata(http: httpx2.Client, gateway: str, gw: DeployedGateway, issuer: str) -> list[Check]:
    out = []
    ident = gw["apiIdentifier"]
    for form, url in metadata_urls(gw["resourceUrl"]):
        name = f"{gateway}: protected resource metadata ({form})"
        try:
            resp = http.get(url)
            doc = resp.json()
        except httpx2.HTTPError as e:
            out.append(_unreachable(name, url, e))
            continue
        except ValueError:
            out.append(
                Check(
                    name,
                    False,
                    f"{url} answered {resp.status_code}, not JSON",
                    "the URL is not an AgentCore gateway",
                    "use the gatewayUrl from the stack outputs",
                )
            )
            continue
        resource = doc.get("resource")
        servers = [str(s).rstrip("/") for s in doc.get("authorization_servers") or []]
        if not isinstance(resource, str) or api_identifier_problems(ident, resource):
            near = isinstance(resource, str) and resource.rstrip("/") == ident.rstrip("/")
            out.append(
                Check(
                    name,
                    False,
                    f"resource {resource!r} != API identifier {ident!r}",
                    "MCP clients ask Auth0 for the advertised resource; "
                    + ("it differs only by a trailing slash" if near else "it is not the API's identifier"),
                    "set the Auth0 API identifier to exactly the gateway's resource URL (`pulumi up` does)",
                )
            )
        elif issuer.rstrip("/") not in servers:
            out.append(
                Check(
                    name,
                    False,
                    f"authorization_servers {servers!r} lack the issuer {issuer!r}",
                    "the gateway's discovery URL points at another issuer",
                    "set the authorizer's discovery URL to <issuer>.well-known/openid-configuration",
                )
            )
        else:
            out.append(Check(name, True, f"resource = API identifier; issuer listed ({url})"))
    return out


def check_client_metadata(doc: dict[str, Any], dynamic_registration: bool | None) -> Check:
    """What an MCP client reads from the authorization server's metadata before it can start:
    PKCE with S256 (the MCP authorization spec: clients "MUST refuse to proceed" without
    `code_challenge_methods_supported`), and a registration endpoint when DCR is on (Auth0 serves
    OIDC registration at /oidc/register: auth0.com/docs/get-started/applications/dynamic-client-registration)."""
    name = "issuer: metadata for MCP clients"
    methods = doc.get("code_challenge_methods_supported") or []
    if "S256" not in methods:
        return Check(
            name,
            False,
            f"code_challenge_methods_supported {methods!r}",
            "no PKCE S256 advertised: MCP clients refuse to start the login",
            "use the tenant's own domain (or a custom domain Auth0 serves); a proxy must pass the metadata through",
        )
    reg = doc.get("registration_endpoint")
    if dynamic_registration and not reg:
        return Check(
            name,
            False,
            "no registration_endpoint",
            "dynamic client registration is on in the stack, but the issuer does not advertise it",
            "check the tenant's DCR flag (Dashboard → Settings → Advanced) and that `pulumi up` ran",
        )
    return Check(name, True, "PKCE S256" + (f"; registration at {reg}" if reg else ""))


def check_discovery(
    http: httpx2.Client, issuer: str, dynamic_registration: bool | None = None
) -> tuple[list[Check], dict[str, Any] | None]:
    url = discovery_url(issuer)
    name = "issuer: OIDC discovery"
    try:
        doc = http.get(url).json()
    except httpx2.HTTPError as e:
        return [_unreachable(name, url, e)], None
    except ValueError:
        return [Check(name, False, f"{url} is not JSON", "not an OIDC issuer", "check mcpauth:issuer")], None
    checks = []
    if doc.get("issuer") != issuer:
        near = str(doc.get("issuer", "")).rstrip("/") == issuer.rstrip("/")
        checks.append(
            Check(
                name,
                False,
                f"issuer {doc.get('issuer')!r} != configured {issuer!r}",
                "a trailing-slash difference" if near else "tokens are issued by another host (custom domain?)",
                "set mcpauth:issuer to exactly the discovery document's issuer; the gateway compares iss exactly",
            )
        )
    else:
        checks.append(Check(name, True, f"issuer matches exactly ({url})"))
    checks.append(check_client_metadata(doc, dynamic_registration))
    algs = doc.get("id_token_signing_alg_values_supported") or []
    if "RS256" not in algs:
        checks.append(
            Check(
                "issuer: RS256 offered",
                False,
                f"algorithms {algs!r}",
                "RS256 not offered",
                "use an issuer that signs with RS256",
            )
        )
    jwks_url = doc.get("jwks_uri", "")
    try:
        jwks = http.get(jwks_url).json()
        kids = [k.get("kid") for k in jwks.get("keys", [])]
        checks.append(
            Check(
                "issuer: JWKS",
                bool(kids),
                f"{len(kids)} key(s) at {jwks_url}",
                "no keys published",
                "check the tenant's signing keys",
            )
        )
    except (httpx2.HTTPError, ValueError) as e:
        checks.append(_unreachable("issuer: JWKS", jwks_url, e))
        jwks = None
    return checks, jwks


_TOKEN_CAUSES: list[tuple[str, str, str, str]] = [
    # (error, text in description, cause, fix)
    (
        "access_denied",
        "Service not found",
        "no Auth0 API has this identifier (a typo or a trailing slash)",
        "request exactly the API identifier from the stack outputs",
    ),
    (
        "access_denied",
        "not authorized to access",
        "the client is not authorized for the API: no client grant",
        "add the client to mcpauth:machineClients for this gateway (a ClientGrant), then `pulumi up`",
    ),
    (
        "access_denied",
        "No audience",
        "Auth0 ignored `resource`: the tenant's resource parameter profile is not compatibility",
        "set mcpauth:tenant.resourceParameterProfile: compatibility (or a default audience)",
    ),
    (
        "access_denied",
        "Unauthorized",
        "wrong client id or secret",
        "use the clientId and the secret from the stack outputs (pulumi stack output --show-secrets)",
    ),
    (
        "unauthorized_client",
        "",
        "the client_credentials grant type is not enabled on the application",
        "enable Client Credentials on the application (mcpauth machine clients have it)",
    ),
    ("invalid_client", "", "wrong client credentials", "check the client id and secret"),
]


def diagnose_token_error(status: int, body: dict[str, Any]) -> tuple[str, str]:
    err, desc = str(body.get("error", "")), str(body.get("error_description", ""))
    for code, text, cause, fix in _TOKEN_CAUSES:
        if err == code and text in desc:
            return cause, fix
    return f"HTTP {status} {err}: {desc}", "see the Auth0 logs for this client"


def request_token(
    http: httpx2.Client, endpoint: str, client_id: str, secret: str, *, subject: str = "", **param: str
) -> tuple[str | None, Check]:
    ((kind, value),) = param.items()
    name = _titled(subject, f"token with {kind}")
    body = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, kind: value}
    try:
        resp = http.post(endpoint, data=body)
        doc = resp.json()
    except httpx2.HTTPError as e:
        return None, _unreachable(name, endpoint, e)
    except ValueError:
        return None, Check(
            name, False, f"HTTP {resp.status_code}, not JSON", "not an OAuth token endpoint", "check tokenEndpoint"
        )
    if resp.status_code == 200 and isinstance(doc.get("access_token"), str):
        return doc["access_token"], Check(name, True, f"issued ({kind}={value})")
    cause, fix = diagnose_token_error(resp.status_code, doc)
    return None, Check(name, False, f"HTTP {resp.status_code} {doc.get('error')}", cause, fix)


def check_token(
    token: str,
    jwks: dict[str, Any],
    issuer: str,
    audience: str,
    client_id: str,
    required: list[str],
    *,
    subject: str = "",
    kind: str = "",
) -> Check:
    name = _titled(subject, "token claims" + (f" ({kind})" if kind else ""))
    # As the gateway reads them (rules.claims.permission_rules builds its authorizer from the same
    # list): a permission with `:` is an allowed scope, matched against the token's `scope` claim
    # (AWS, "Configure inbound JWT authorizer": at least one scope value in the incoming token must
    # match one of the allowed scopes); any other is a claim rule on `permissions`.
    from rules.claims import permission_rules

    scopes, rules = permission_rules(required)
    try:
        claims = validate(
            token, jwks, Rules(issuer=issuer, audiences=[audience], allowed_scopes=scopes, custom_claims=rules)
        )
    except TokenError as e:
        return Check(name, False, e.code, e.cause, e.fix)
    if claims.get("azp") != client_id:
        return Check(
            name,
            False,
            f"azp {claims.get('azp')!r}",
            "token issued to another client",
            "use this client's own credentials",
        )
    if claims.get("gty") != "client-credentials":
        return Check(
            name,
            False,
            f"gty {claims.get('gty')!r}",
            "not a client-credentials token",
            "request with grant_type=client_credentials",
        )
    perms = claims.get("permissions", [])
    return Check(
        name,
        True,
        f"RS256 signature, iss, aud, exp, azp, gty ok; scope {claims.get('scope', '')!r}; permissions {perms}",
    )


def describe_token(token: str) -> dict[str, Any]:
    """Header and claims for --show-claims: never the signature."""
    header = header_of(token)
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return {"header": header, "claims": claims}


@asynccontextmanager
async def mcp_session(url: str, token: str) -> AsyncIterator[ClientSession]:
    """An initialized MCP session with the gateway at `url`, every request carrying `token` as its
    Bearer credential (the MCP SDK's streamable HTTP client, as an MCP client would connect)."""
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT) as hc,
        streamable_http_client(url, http_client=hc) as (read, write),
        ClientSession(read, write) as session,
    ):
        await asyncio.wait_for(session.initialize(), 10)
        yield session


async def _mcp_tools(url: str, token: str) -> list[str]:
    async with mcp_session(url, token) as session:
        tools = await asyncio.wait_for(session.list_tools(), 10)
        return [t.name for t in tools.tools]


def diagnose_refusal(
    http: httpx2.Client,
    url: str,
    token: str,
    expect: Rules | None = None,
    jwks: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Why a gateway answered 401 to a token, from real evidence only: what the token says, what
    the gateway advertises, and what the stack says it demands (a real AgentCore gateway only says
    "Invalid Bearer token", and its error codes are nothing to key on)."""
    try:
        claims = describe_token(token)["claims"]
    except (TokenError, ValueError):
        claims = {}
    try:
        resource = http.get(dict(metadata_urls(url))["path"]).json().get("resource")
    except (httpx2.HTTPError, ValueError):
        resource = None
    aud = claims.get("aud")
    if resource and resource not in (aud if isinstance(aud, list) else [aud]):
        return (
            f"audience mismatch: token aud {aud!r}, gateway resource {resource!r}",
            "make the API identifier, the requested audience and the allowed audience the same bytes",
        )
    if expect is not None:
        # The issuer's own metadata, as the gateway reads it through its discovery URL.
        try:
            published = http.get(discovery_url(expect.issuer)).json().get("issuer")
        except (httpx2.HTTPError, ValueError, AttributeError):
            published = None
        if published and published != claims.get("iss"):
            return (
                f"the gateway refused the token: issuer-mismatch: the discovery document says issuer "
                f"{published!r}, the token's iss is {claims.get('iss')!r}",
                "point the authorizer's discovery URL at the issuer that signs the tokens (mcpauth:issuer)",
            )
    if expect is not None and jwks is not None:
        # verify's own reading of the token against what the stack says this gateway demands
        # (its outputs: issuer, allowed audiences, required permissions) and the issuer's JWKS.
        try:
            validate(token, jwks, expect)
        except TokenError as e:
            fix = e.fix
            held = claims.get("permissions")
            wanted = list(expect.allowed_scopes) + [
                v
                for rule in expect.custom_claims
                for v in ((rule.get("authorizingClaimMatchValue") or {}).get("claimMatchValue") or {}).get(
                    "matchValueStringList", []
                )
            ]
            lacking = [p for p in wanted if isinstance(held, list) and p not in held]
            if e.code in ("scope-not-allowed", "missing-permission") and lacking and "gty" not in claims:
                # A person's token (no `gty`): their roles do not hold the permission at all.
                return (
                    f"the gateway refused the token: {e.code}: the user's permissions {held!r} lack {lacking!r} "
                    "(none of their roles holds it)",
                    f"give the user a role that holds {', '.join(lacking)} (mcpauth:roles); "
                    "mcpauth:tenant.defaultRole gives every new user one",
                )
            if e.code == "scope-not-allowed":
                fix += (
                    ". An interactive MCP client must ask for the scope the gateway advertises (its 401's "
                    "scope, its metadata's scopes_supported); Auth0 grants it only to users whose roles hold "
                    "the permission. A claim rule (a permission name without ':') reads `permissions`, "
                    "which does not depend on what the client asked for"
                )
            return f"the gateway refused the token: {e.code}: {e.cause}", fix
        # Everything the stack says this gateway demands holds, so the live authorizer differs
        # from the stack (drift). Which setting cannot be read from here: the outputs hold the
        # stack's view, and only GetGateway holds the live one.
        no_client_id = "client_id" not in claims
        return (
            "the token meets the issuer, audience and permissions the stack gives this gateway, so the live "
            "authorizer differs from the stack: its allowed audiences, its claim rules, or an allowedClients "
            "list"
            + (
                " (which refuses every Auth0 token: they carry azp, not the client_id AgentCore compares)"
                if no_client_id
                else ""
            ),
            "`make preview STACK=…` refreshes and shows the drift; `make up` puts the authorizer back as the stack "
            "declares (remove allowedClients if someone added it)",
        )
    return (
        "the gateway refused the token (its allowed audience, issuer, clients or claim rules)",
        "run with --show-claims and compare aud, iss and permissions with the gateway's authorizer",
    )


def gateway_rules(issuer: str, gateway: DeployedGateway) -> Rules:
    """What a gateway demands, from the stack outputs alone (the rules AgentCore gets from the same
    config: rules.claims.permission_rules)."""
    from rules.claims import permission_rules

    scopes, claims = permission_rules(list(gateway.get("requiredPermissions") or []))
    audiences = list(gateway.get("allowedAudiences") or [gateway["apiIdentifier"]])
    return Rules(issuer=issuer, audiences=audiences, allowed_scopes=scopes, custom_claims=claims)


def check_mcp(
    http: httpx2.Client,
    url: str,
    token: str,
    expect: Rules | None = None,
    jwks: dict[str, Any] | None = None,
    *,
    subject: str = "",
) -> Check:
    name = _titled(subject, "MCP initialize + tools/list")
    try:
        tools = asyncio.run(_mcp_tools(url, token))
    except Exception as e:  # noqa: BLE001 - any failure of the MCP client is this check failing
        # The SDK wraps HTTP failures in exception groups; ask the gateway plainly what it says.
        try:
            probe = http.post(url, json=JSONRPC_TOOLS_LIST, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})
        except httpx2.HTTPError as unreachable:
            return _unreachable(name, url, unreachable)
        if probe.status_code == 401:
            cause, fix = diagnose_refusal(http, url, token, expect, jwks)
            return Check(name, False, "HTTP 401", cause, fix)
        leaf: BaseException = e
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        return Check(
            name, False, "failed", f"{type(leaf).__name__}: {str(leaf)[:200]}", "check the gateway's targets and logs"
        )
    return Check(name, True, f"{len(tools)} tool(s): {', '.join(tools)}")


JSONRPC_TOOLS_LIST = {"jsonrpc": "2.0", "id": "1", "method": "tools/list", "params": {}}
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-06-18",
}


def check_jsonrpc(
    http: httpx2.Client,
    url: str,
    token: str,
    body: Any = None,
    expect: Rules | None = None,
    jwks: dict[str, Any] | None = None,
    *,
    subject: str = "",
) -> Check:
    """A raw JSON-RPC POST, as the reference's curl sends it; diagnoses -32600 and friends."""
    name = _titled(subject, "JSON-RPC tools/list")
    payload = JSONRPC_TOOLS_LIST if body is None else body
    content = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    try:
        resp = http.post(url, content=content, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})
    except httpx2.HTTPError as e:
        return _unreachable(name, url, e)
    try:
        doc = resp.json()
    except ValueError:
        doc = {}
    err = doc.get("error") if isinstance(doc, dict) else None
    if resp.status_code == 200 and isinstance(doc, dict) and "result" in doc:
        return Check(name, True, f"{len(doc['result'].get('tools', []))} tool(s)")
    code = err.get("code") if isinstance(err, dict) else None
    if code in (-32600, -32700):
        # -32600 is "Invalid Request" for whatever reason the server has (JSON-RPC 2.0 §5.1), not
        # only a malformed body: its own message says which, so it is the cause, word for word.
        said = str(err.get("message", "")) if isinstance(err, dict) else ""
        return Check(
            name,
            False,
            f"JSON-RPC error {code}",
            f"the gateway refused the request: {said[:300]!r}" if said else "the gateway refused the request body",
            ("send valid JSON; " if code == -32700 else "")
            + "POST a JSON-RPC 2.0 object with jsonrpc, id, method and params, and see the gateway's message",
        )
    if resp.status_code == 401:
        cause, fix = diagnose_refusal(http, url, token, expect, jwks)
        return Check(name, False, "HTTP 401", cause, fix)
    return Check(
        name,
        False,
        f"HTTP {resp.status_code}",
        f"unexpected answer {str(doc)[:120]}",
        "check the gateway's targets and logs",
    )


def check_unauthenticated(http: httpx2.Client, url: str, *, subject: str = "") -> Check:
    name = _titled(subject, "MCP without a token")
    try:
        resp = http.post(url, json=JSONRPC_TOOLS_LIST, headers=MCP_HEADERS)
    except httpx2.HTTPError as e:
        return _unreachable(name, url, e)
    want = dict(metadata_urls(url))["path"]
    # Read as MCP clients read it: the MCP Python SDK's own RFC 9728 parser.
    from mcp.client.auth.utils import extract_resource_metadata_from_www_auth

    meta = extract_resource_metadata_from_www_auth(resp) or ""
    if resp.status_code != 401:
        return Check(
            name,
            False,
            f"HTTP {resp.status_code}",
            "the gateway answered without authentication",
            "set the gateway's authorizer to CUSTOM_JWT",
        )
    if not meta:
        return Check(
            name,
            False,
            "401 without resource_metadata",
            "MCP clients cannot discover the authorization server",
            "use an AgentCore gateway (it advertises its metadata)",
        )
    if meta.rstrip("/") not in (want, dict(metadata_urls(url))["root"]):
        return Check(
            name,
            False,
            f"WWW-Authenticate points at {meta}",
            "metadata URL is not the gateway's own",
            "check the gateway URL",
        )
    return Check(name, True, f"401, WWW-Authenticate resource_metadata={meta}")


REGISTER_REDIRECT = "http://127.0.0.1:9/mcpauth-verify-callback"


def register_client(http: httpx2.Client, issuer: str) -> tuple[str | None, Check]:
    """DCR as an MCP client does it (only with `make verify --register`: it creates a client in the
    tenant). The client id, or None with the failed check."""
    name = "issuer: dynamic client registration (--register)"
    try:
        disc = http.get(discovery_url(issuer)).json()
    except (httpx2.HTTPError, ValueError) as e:
        return None, Check(name, False, "no discovery document", str(e)[:120], "check mcpauth:issuer")
    endpoint = disc.get("registration_endpoint") if isinstance(disc, dict) else None
    if not endpoint:
        return None, Check(
            name,
            False,
            "no registration_endpoint",
            "the tenant does not offer DCR",
            "turn it on (mcpauth:tenant.dynamicClientRegistration) and `make up`",
        )
    body = {
        "client_name": "mcpauth verify (safe to delete)",
        "redirect_uris": [REGISTER_REDIRECT],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    try:
        answer = http.post(endpoint, json=body)
        doc = answer.json()
    except (httpx2.HTTPError, ValueError) as e:
        return None, Check(name, False, "registration failed", str(e)[:120], "check the tenant's DCR setting")
    if answer.status_code != 201 or not isinstance(doc, dict) or not doc.get("client_id"):
        return None, Check(
            name,
            False,
            f"HTTP {answer.status_code}",
            f"registration refused: {str(doc)[:160]}",
            "turn DCR on for the tenant (mcpauth:tenant.dynamicClientRegistration) and `make up`",
        )
    cid = str(doc["client_id"])
    return cid, Check(
        name,
        True,
        f"registered client {cid} (remove it: Auth0 dashboard, Applications, or DELETE /api/v2/clients/{cid})",
    )


def check_authorize(http: httpx2.Client, issuer: str, client_id: str, gateway: str, resource: str) -> Check:
    """An /authorize request as a would-be MCP client (PKCE S256, `resource`): it must reach the
    login page (Auth0's Universal Login: a redirect on the issuer's host; the sandbox: its form),
    not an error (an `error=` redirect to the client, or an error page)."""
    name = f"{gateway}: /authorize as an MCP client (--register)"
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REGISTER_REDIRECT,
        "state": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": resource,
        "scope": "openid",
    }
    try:
        answer = http.get(issuer.rstrip("/") + "/authorize", params=params, follow_redirects=False)
    except httpx2.HTTPError as e:
        return _unreachable(name, issuer + "authorize", e)
    location = answer.headers.get("location", "")
    if answer.status_code in (301, 302, 303) and location.startswith(REGISTER_REDIRECT):
        query = parse_qs(urlsplit(location).query)
        error, desc = query.get("error", ["?"])[0], query.get("error_description", [""])[0]
        fix = "check that the API exists with this identifier and that resource is honoured (profile compatibility)"
        if "connection" in desc.lower():
            fix = "enable a domain-level connection for third-party clients (mcpauth:tenant.connection)"
        return Check(name, False, f"redirected back with error={error}", desc or error, fix)
    if answer.status_code in (301, 302, 303):
        target = urlsplit(location)
        if not target.netloc or target.netloc == urlsplit(issuer).netloc:
            return Check(name, True, f"login page reached ({target.path or location})")
        return Check(name, False, f"redirected to {location[:120]}", "not the issuer's login page", "check the issuer")
    if answer.status_code == 200 and "<form" in answer.text.lower():
        return Check(name, True, "login page reached (a form)")
    return Check(
        name,
        False,
        f"HTTP {answer.status_code}",
        f"no login page: {answer.text[:160]}",
        "check the client, the resource and the connection",
    )


def check_login(gateway: str, url: str, username: str, password: str, tokens: list[str] | None = None) -> Check:
    """The whole interactive path in a real headless Chromium (`make verify --login`): the MCP
    Python SDK's client registers itself by DCR, the browser logs in as `username` and accepts
    consent, and the client lists tools through the gateway. The user's access token is appended to
    `tokens` when given (for the targets' checks), never printed."""
    from verify.interactive import BrowserPerson, MemoryStorage, list_tools, provider_for

    name = f"{gateway}: interactive login in Chromium (--login)"
    storage = MemoryStorage()
    person = BrowserPerson(username, password)
    client = "mcpauth verify --login (safe to delete)"
    try:
        tools = asyncio.run(list_tools(url, provider_for(url, person, storage, name=client)))
    except BaseException as e:  # noqa: BLE001 - any failure of the flow is this check failing
        leaf: BaseException = e
        while isinstance(leaf, BaseExceptionGroup) and leaf.exceptions:
            leaf = leaf.exceptions[0]
        return Check(
            name,
            False,
            "failed",
            f"{type(leaf).__name__}: {str(leaf)[:240]}",
            "run `make verify ARGS=--register` for the /authorize diagnosis; check the test user's role",
        )
    cid = storage.client.client_id if storage.client else "?"
    if tokens is not None and storage.tokens is not None:
        tokens.append(storage.tokens.access_token)
    return Check(
        name,
        True,
        f"{len(tools)} tool(s) as {username}: {', '.join(tools)}; registered client {cid} "
        f"(remove it: Auth0 dashboard, Applications, or DELETE /api/v2/clients/{cid})",
    )


def run_all(
    target: Target,
    *,
    show_claims: Callable[[str, dict[str, Any]], None] | None = None,
    register: bool = False,
    login: tuple[str, str] | None = None,
    call_tools: bool = False,
) -> list[Check]:
    checks: list[Check] = []
    for url in [target.issuer, target.token_endpoint] + [g["resourceUrl"] for g in target.gateways.values()]:
        if not _secure(url):
            return [
                Check(
                    "inputs",
                    False,
                    f"{url} is not https",
                    "tokens and secrets would cross in clear text",
                    "use the https URLs from the stack outputs (http only on 127.0.0.1)",
                )
            ]
    # The transport retries a request that fails to connect (RETRIES times), not one that answered.
    with httpx2.Client(timeout=TIMEOUT, transport=httpx2.HTTPTransport(retries=RETRIES)) as http:
        for name, gw in target.gateways.items():
            checks.append(check_wiring(name, gw))
            checks += check_metadata(http, name, gw, target.issuer)
        disc, jwks = check_discovery(http, target.issuer, target.dynamic_registration)
        checks += disc
        for cname, client in target.clients.items():
            cgw = target.gateways.get(client["gateway"])
            secret = target.secrets.get(cname)
            if cgw is None or not secret:
                checks.append(
                    Check(
                        f"{cname}: inputs",
                        False,
                        "no gateway or no secret for this client",
                        "the outputs lack it",
                        "pass --stack, or MCPAUTH_CLIENT_SECRET",
                    )
                )
                continue
            prefix = f"{cname} → {client['gateway']}"
            token = None
            for kind in ("audience", "resource"):
                tok, c = request_token(
                    http,
                    target.token_endpoint,
                    client["clientId"],
                    secret,
                    subject=prefix,
                    **{kind: cgw["apiIdentifier"]},
                )
                checks.append(c)
                if tok is None or jwks is None:
                    continue
                # Each token is validated: one asked with `resource` may come back for another
                # API (a tenant default audience, a profile that ignores `resource`).
                c = check_token(
                    tok,
                    jwks,
                    target.issuer,
                    cgw["apiIdentifier"],
                    client["clientId"],
                    list(cgw.get("requiredPermissions") or []),
                    subject=prefix,
                    kind=kind,
                )
                checks.append(c)
                token = token or tok  # the MCP checks use the first; the gateway gives its own verdict
            if token is None:
                continue
            if show_claims:
                show_claims(cname, describe_token(token))
            expect = gateway_rules(target.issuer, cgw)
            listed = check_mcp(http, cgw["resourceUrl"], token, expect, jwks, subject=prefix)
            checks.append(listed)
            checks.append(check_jsonrpc(http, cgw["resourceUrl"], token, None, expect, jwks, subject=prefix))
            # The targets' checks need a gateway that answers tools/list (the check above diagnosed why not).
            if cgw.get("targetTools") and listed.ok:
                from verify.tools import tool_checks

                checks += tool_checks(
                    http,
                    cgw,
                    token,
                    client["clientId"],
                    subject=prefix,
                    call_tools=call_tools,
                    upstream_tokens=target.upstream_tokens.get(client["gateway"]),
                )
        for name, gw in target.gateways.items():
            checks.append(check_unauthenticated(http, gw["resourceUrl"], subject=name))
        if register:
            client_id, c = register_client(http, target.issuer)
            checks.append(c)
            if client_id is not None:
                for name, gw in target.gateways.items():
                    checks.append(check_authorize(http, target.issuer, client_id, name, gw["apiIdentifier"]))
    if login is not None:
        for name, gw in target.gateways.items():
            user_tokens: list[str] = []
            checks.append(check_login(name, gw.get("gatewayUrl") or gw["resourceUrl"], *login, tokens=user_tokens))
            if gw.get("targetTools") and user_tokens:
                from verify.tools import tool_checks

                azp = str(describe_token(user_tokens[0])["claims"].get("azp") or "")
                with httpx2.Client(timeout=TIMEOUT) as http:
                    checks += tool_checks(
                        http,
                        gw,
                        user_tokens[0],
                        azp,
                        subject=f"{login[0]} → {name}",
                        call_tools=call_tools,
                        upstream_tokens=target.upstream_tokens.get(name),
                    )
    return checks
