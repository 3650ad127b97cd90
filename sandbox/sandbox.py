"""A local stand-in for what `pulumi up` creates: an Auth0-like issuer and AgentCore-like gateways.

Built from the offline plan of a stack, read through its typed view (offline/view.py: the same
APIs, scopes, machine clients and their grants, each gateway's authorizer settings that `pulumi up`
would create), with every real URL rebased onto 127.0.0.1, so the wiring between them is exactly
the plan's:

- the issuer serves OIDC discovery, a JWKS (RS256 keys with `kid`) and `/oauth/token` for client
  credentials with `audience` or (profile `compatibility`) `resource`, issuing tokens shaped like
  Auth0's (`iss` with its trailing slash, `aud`, `azp`, `gty`, `scope`, `permissions`);
- each gateway enforces its CUSTOM_JWT settings as AgentCore does (discovery URL, allowed
  audiences, allowed clients, allowed scopes, custom claim rules), serves its RFC 9728 protected
  resource metadata, answers 401 with a `WWW-Authenticate` naming it, and hands good requests to a
  real MCP server (the MCP Python SDK's MCPServer, streamable HTTP) with a few tools.

Each is a Starlette app (routes, requests, responses, form parsing) served by uvicorn on its own
port. Tests change the spec before `start()` to produce each failure of the troubleshooting table.
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from offline.model import Plan
from offline.plan import make_plan
from offline.view import PlanView, plan_view
from sandbox.authserver import AuthServer, Tenant, User, load_users
from sandbox.gatekeeper import Refused, admit
from sandbox.targets import SEEN_PATH, TargetError, Targets, TargetSpec, Upstream

PRM_PATH = "/.well-known/oauth-protected-resource"
# The routes that answer whatever the method (discovery, the JWKS, registration, the gateway's
# metadata: as they always have); the others name theirs.
ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Served by the interactive half (sandbox/authserver.py); client credentials stay in Issuer.token.
INTERACTIVE_GRANTS = ("authorization_code", "refresh_token")
# `scopes_supported` in an Auth0 tenant's /.well-known/openid-configuration: OIDC scopes, never an
# API's (the exact list is not confirmed from Auth0's docs:
# docs/assumptions.md#scopes_supported-in-the-discovery-document).
AUTH0_SCOPES_SUPPORTED = (
    "openid",
    "profile",
    "offline_access",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "email",
    "email_verified",
    "picture",
    "created_at",
    "identities",
    "phone",
    "address",
)


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port free now, and never handed out before in this process: the OS may give the
    same ephemeral port to two binds in a row, and a spec takes its ports before any is bound."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


@dataclass
class ClientSpec:
    name: str
    client_id: str
    secret: str
    grant_types: list[str]
    grants: dict[str, list[str]]  # audience -> scopes


@dataclass
class GatewaySpec:
    name: str
    port: int
    resource_url: str
    discovery_url: str
    allowed_audiences: list[str]
    allowed_clients: list[str] = field(default_factory=list)
    allowed_scopes: list[str] = field(default_factory=list)
    custom_claims: list[dict[str, Any]] = field(default_factory=list)
    # Its targets and its policy engine (sandbox/targets.py): none, and the gateway serves the
    # sandbox's own few tools instead.
    arn: str = ""
    targets: list[TargetSpec] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    policy_mode: str = ""

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class SandboxSpec:
    issuer_port: int
    apis: dict[str, list[str]]  # identifier -> scopes
    clients: dict[str, ClientSpec]  # client id -> client
    gateways: dict[str, GatewaySpec]
    outputs: dict[str, Any]  # the stack outputs, rebased
    resource_parameter_profile: str = "compatibility"
    default_audience: str = ""
    dynamic_registration: bool = False
    token_lifetime: int = 3600
    # The interactive path (sandbox/authserver.py): roles' permissions per API, what third-party
    # clients may get per API, each API's offline access, the domain-level connection, the
    # Action's MCPAUTH_CONFIG (rebased).
    role_permissions: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    third_party_grants: dict[str, list[str]] = field(default_factory=dict)
    offline_access: dict[str, bool] = field(default_factory=dict)
    domain_connection: bool = False
    action_config: str | None = None
    # CIMD as the tenant has it: advertised, the registered documents (manual), any (dynamic).
    metadata_documents: bool = False
    metadata_document_clients: list[str] = field(default_factory=list)
    dynamic_metadata_documents: bool = False
    # A CA bundle for fetching client metadata documents; None: SSL_CERT_FILE / SSL_CERT_DIR if
    # set, else the system's (httpcore2's default_ssl_context, which httpx2 uses).
    metadata_document_trust: str | None = None
    # Break knobs (the troubleshooting table): what the discovery document claims as issuer,
    # and a signing key the JWKS does not publish.
    discovery_issuer: str | None = None
    sign_with_unpublished_key: bool = False

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.issuer_port}/"


def _rebaser(mapping: dict[str, str]) -> Callable[[Any], Any]:
    def rebase(value: Any) -> Any:
        if isinstance(value, str):
            for old, new in mapping.items():
                if value.startswith(old):
                    return new + value[len(old) :]
            return value
        if isinstance(value, list):
            return [rebase(v) for v in value]
        if isinstance(value, dict):
            return {k: rebase(v) for k, v in value.items()}
        return value

    return rebase


class SandboxError(Exception):
    """The plan's outputs point somewhere the sandbox does not stand in for."""


def _loopback_only(outputs: dict[str, Any], path: str = "") -> None:
    """Every URL the checks will call must be the sandbox's: an output left on a real host (a
    token endpoint on another domain than the issuer) would send a client secret there."""
    for key, value in outputs.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            _loopback_only(value, where)
        elif (
            isinstance(value, str)
            and value.startswith(("http://", "https://"))
            and urlsplit(value).hostname != "127.0.0.1"
        ):
            raise SandboxError(
                f"output {where} is {value}, which the sandbox does not stand in for (only the issuer "
                "and the gateways are); nothing was sent. Every client-facing URL must derive from "
                "the issuer or a gateway"
            )


def spec_from_plan(plan: Plan, owner: Plan | None = None) -> SandboxSpec:
    """The sandbox for an offline plan (offline.plan.make_plan), read through its typed view; for a
    stack on a tenant another stack owns, `owner` is that stack's plan (owner_plan)."""
    return spec_from_view(plan_view(plan), None if owner is None else plan_view(owner))


def owner_plan(plan: Plan, stack_dir: Path) -> Plan | None:
    """The plan of the stack in `stack_dir` that owns `plan`'s tenant (mcpauth:tenant.manage), when
    `plan`'s stack does not; None otherwise. A team stack declares no connection, no roles and no
    Action (examples/shared-tenant): the sandbox's issuer stands in for the whole tenant, so it needs
    its owner's."""
    owners = plan.tenant.owners if plan.tenant is not None else []
    if not owners or plan.stack in owners:
        return None
    return make_plan(owners[0], stack_dir=stack_dir, policies=lambda *_: [])


def spec_from_view(view: PlanView, owner: PlanView | None = None) -> SandboxSpec:
    """The sandbox for a plan's view: same APIs, clients, grants and authorizers, URLs moved to
    loopback. With `owner` (the view of the stack that owns the tenant), the tenant-wide settings are
    the owner's, and the roles the stack refers to by id are named as the owner names them."""
    issuer_port = free_port()
    mapping = {view.issuer.rstrip("/"): f"http://127.0.0.1:{issuer_port}"}
    gw_ports: dict[str, int] = {}
    for gw in view.gateways:
        gw_ports[gw.name] = free_port()
        mapping["https://" + urlsplit(gw.resource_url).netloc] = f"http://127.0.0.1:{gw_ports[gw.name]}"
    rebase = _rebaser(mapping)

    # A target's upstream keeps its configured URL (its token's `aud` must be that URL, never a
    # loopback one); only the connection goes to a loopback port.
    targets = {
        gw.name: [
            TargetSpec(
                name=t.name,
                kind=t.kind,
                url=t.endpoint,
                port=free_port() if t.kind == "mcpServer" else 0,
                tools=[dict(tool) for tool in t.tools],
                credential=t.credential,
                client_id=t.client_id,
                audience=t.audience,
                scopes=list(t.scopes),
            )
            for t in gw.targets
        ]
        for gw in view.gateways
    }
    target_clients = {t.client_id for ts in targets.values() for t in ts if t.client_id}
    clients = {
        c.client_id: ClientSpec(
            c.name,
            c.client_id,
            secrets.token_urlsafe(32),
            list(c.grant_types),
            {rebase(audience): list(scopes) for audience, scopes in c.grants.items()},
        )
        for c in view.clients
    }
    gateways = {
        gw.name: GatewaySpec(
            name=gw.name,
            port=gw_ports[gw.name],
            resource_url=rebase(gw.resource_url),
            discovery_url=rebase(gw.discovery_url),
            allowed_audiences=rebase(list(gw.allowed_audiences)),
            allowed_clients=list(gw.allowed_clients),
            allowed_scopes=list(gw.allowed_scopes),
            custom_claims=[dict(rule) for rule in gw.custom_claims],
            arn=gw.gateway_arn,
            targets=targets[gw.name],
            policies=list(gw.policies),
            policy_mode=gw.policy_mode,
        )
        for gw in view.gateways
    }
    outputs = rebase({k: v for k, v in view.outputs.items() if k != "machineClientSecrets"})
    _loopback_only(outputs)
    # Only in a sandbox's outputs: where each upstream says which tokens it was shown, so that
    # `make verify --outputs` can check the callers' tokens never reached it.
    seen = {
        gw: {t.name: f"http://127.0.0.1:{t.port}{SEEN_PATH}" for t in ts if t.kind == "mcpServer"}
        for gw, ts in targets.items()
        if any(t.kind == "mcpServer" for t in ts)
    }
    if seen:
        outputs["sandbox"] = {"upstreamTokens": seen}
    # The gateways' own clients for their upstreams are no stack output: their secrets stay in
    # AgentCore Identity's credential providers (the sandbox's gateways read them from the spec).
    outputs["machineClientSecrets"] = {c.name: c.secret for c in clients.values() if c.client_id not in target_clients}
    # The tenant as the stack that owns it sets it up: profile, DCR and CIMD, the domain-level
    # connection, the Action (whose config names every team's API: the team's rebased here too).
    tenant = view.tenant if owner is None else owner.tenant
    role_names = {} if owner is None else {r.role_id: r.name for r in owner.roles if r.role_id}
    return SandboxSpec(
        issuer_port=issuer_port,
        apis={rebase(api.identifier): list(api.scopes) for api in view.apis}
        # The upstreams' APIs, unrebased: the audience of the gateway's outbound token.
        | {t.audience: list(t.scopes) for ts in targets.values() for t in ts if t.audience},
        clients=clients,
        gateways=gateways,
        outputs=outputs,
        resource_parameter_profile=tenant.resource_parameter_profile or "compatibility",
        default_audience=rebase(tenant.default_audience or ""),
        dynamic_registration=tenant.dynamic_registration,
        metadata_documents=tenant.metadata_documents,
        metadata_document_clients=list(tenant.metadata_document_clients),
        dynamic_metadata_documents=tenant.dynamic_metadata_documents,
        role_permissions={
            role_names.get(role.role_id, role.name): {
                rebase(api): list(perms) for api, perms in role.permissions.items()
            }
            for role in view.roles
        },
        third_party_grants={
            rebase(api.identifier): list(api.third_party_scopes)
            for api in view.apis
            if api.third_party_scopes is not None
        },
        offline_access={rebase(api.identifier): api.allow_offline_access for api in view.apis},
        domain_connection=tenant.domain_connection,
        action_config=json.dumps(rebase(json.loads(tenant.action_config))) if tenant.action_config else None,
    )


class _JSON(JSONResponse):
    """A JSON answer written as json.dumps writes it (`", "` and `": "`, ASCII): the sandbox's
    bodies, byte for byte, as they were before its routes were Starlette's (whose own rendering is
    compact)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content).encode()


NOT_FOUND = {"error": "not_found"}


def _params(items: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """A query or form as one value per name: the first non-blank one, as urllib's parse_qs read
    them before Starlette did (OAuth parameters "MUST NOT be included more than once", RFC 6749
    §3.1 and §3.2; which one Auth0 takes when they are is not documented)."""
    params: dict[str, str] = {}
    for name, value in items:
        if isinstance(value, str) and value:
            params.setdefault(name, value)
    return params


def _page(status: int, page: str, headers: list[tuple[str, str]]) -> Response:
    """One of the interactive half's answers (sandbox/authserver.py: status, HTML or "", headers)."""
    return Response(page, status, headers=dict(headers))


async def _not_found(request: Request, exc: Exception) -> Response:
    return _JSON(NOT_FOUND, 404)


class Issuer:
    """Auth0's token endpoint, discovery and JWKS, for client credentials only."""

    def __init__(self, spec: SandboxSpec, users: dict[str, User] | None = None) -> None:
        self.spec = spec
        self.key = RSAKey.generate_key(2048, parameters={"kid": "sandbox-" + secrets.token_hex(4)})
        self.users = users if users is not None else load_users()
        # The tenant's side of the spec, field for field (Tenant's fields are named as the spec's).
        tenant = Tenant(**{f.name: getattr(spec, f.name) for f in fields(Tenant)})
        self.auth = AuthServer(
            tenant,
            self.sign,
            self.users,
        )
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery, methods=ANY_METHOD),
                Route("/.well-known/jwks.json", self._jwks, methods=ANY_METHOD),
                Route("/oauth/token", self._token, methods=["POST"]),
                # The interactive half (sandbox/authserver.py), in worker threads: Authlib is
                # synchronous, and registration and the pages call it.
                Route("/oidc/register", self._register, methods=ANY_METHOD),
                Route("/authorize", self._authorize, methods=["GET"]),
                Route("/authorize/login", self._login, methods=["POST"]),
                Route("/authorize/consent", self._consent, methods=["POST"]),
            ],
            exception_handlers={404: _not_found, 405: self._wrong_method},
        )
        self.app.router.redirect_slashes = False  # `/oauth/token/` is not found, not redirected

    @functools.cached_property
    def unpublished(self) -> RSAKey:
        """A key the JWKS does not hold, as after a rotation; made only for a spec that signs with
        it (a 2048-bit key costs ~60 ms of CPU, and most sandboxes never use it)."""
        return RSAKey.generate_key(2048, parameters={"kid": "rotated-" + secrets.token_hex(4)})

    def sign(self, claims: dict[str, Any]) -> str:
        key = self.unpublished if self.spec.sign_with_unpublished_key else self.key
        return str(jwt.encode({"alg": "RS256", "typ": "JWT", "kid": key.kid}, claims, key))

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet([self.key]).as_dict(private=False))

    def discovery(self) -> dict[str, Any]:
        base = self.spec.issuer
        return {
            "issuer": self.spec.discovery_issuer or base,
            "jwks_uri": base + ".well-known/jwks.json",
            "token_endpoint": base + "oauth/token",
            "authorization_endpoint": base + "authorize",
            "response_types_supported": ["code"],
            # The OIDC scopes Auth0's discovery document lists: never an API's. A client that picks
            # its scopes from here (MCP's last resort) asks for no API scope at all.
            "scopes_supported": list(AUTH0_SCOPES_SUPPORTED),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
            # OIDC Discovery 1.0 §3 REQUIRES subject_types_supported (with issuer, the endpoints,
            # jwks_uri, response_types_supported, id_token_signing_alg_values_supported): the MCP
            # TypeScript SDK parses the document with that schema and stops at discovery without
            # it. Auth0 serves ["public"] (auth0.com/docs, "Configure Applications with OIDC
            # Discovery", sample response). Of Auth0's response modes (query, fragment, form_post)
            # the sandbox serves `query` only; Auth0's userinfo, revocation, device, MFA and logout
            # endpoints are left out, since the sandbox serves none of them (each is optional).
            "subject_types_supported": ["public"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            # What Auth0's discovery document advertises for PKCE (the sandbox requires S256's
            # or plain's challenge on every /authorize); the registration endpoint only where the
            # stack turns DCR on.
            "code_challenge_methods_supported": ["S256", "plain"],
            **({"registration_endpoint": base + "oidc/register"} if self.spec.dynamic_registration else {}),
            # Where the stack turns CIMD on: the metadata name the MCP SDK and the draft read.
            **({"client_id_metadata_document_supported": True} if self.spec.metadata_documents else {}),
        }

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Auth0's answers, including its error codes and descriptions."""
        client = self.spec.clients.get(form.get("client_id", ""))
        if form.get("grant_type") != "client_credentials":
            return 403, {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}
        if client is None or not secrets.compare_digest(client.secret, form.get("client_secret", "")):
            return 401, {"error": "access_denied", "error_description": "Unauthorized"}
        if "client_credentials" not in client.grant_types:
            return 403, {
                "error": "unauthorized_client",
                "error_description": "Grant type 'client_credentials' not allowed for the client.",
            }
        audience = self.auth.audience_of(form)
        if not audience:
            return 403, {"error": "access_denied", "error_description": "No audience parameter was provided"}
        if audience not in self.spec.apis:
            return 403, {"error": "access_denied", "error_description": f"Service not found: {audience}"}
        if audience not in client.grants:
            return 403, {
                "error": "access_denied",
                "error_description": f'Client "{client.client_id}" is not authorized to access "{audience}". '
                'You need to create a "client-grant" associated to this API.',
            }
        scopes = client.grants[audience]
        now = int(time.time())
        claims = {
            "iss": self.spec.issuer,
            "sub": f"{client.client_id}@clients",
            "aud": audience,
            "iat": now,
            "exp": now + self.spec.token_lifetime,
            "scope": " ".join(scopes),
            "gty": "client-credentials",
            "azp": client.client_id,
            "permissions": list(scopes),
        }
        return 200, {"access_token": self.sign(claims), "token_type": "Bearer", "expires_in": self.spec.token_lifetime}

    # --- the routes ------------------------------------------------------------------------------
    def _url(self, request: Request) -> str:
        """The request's URL as the issuer names itself (what Authlib is handed), without the query."""
        return self.spec.issuer.rstrip("/") + request.url.path

    async def _wrong_method(self, request: Request, exc: Exception) -> Response:
        if request.url.path == "/oauth/token":
            return _JSON(NOT_FOUND, 404)  # only POST /oauth/token exists
        return _JSON({"error": "method_not_allowed"}, 405)

    async def _discovery(self, request: Request) -> Response:
        return _JSON(self.discovery())

    async def _jwks(self, request: Request) -> Response:
        return _JSON(self.jwks())

    async def _token(self, request: Request) -> Response:
        """Client credentials here; the code and refresh grants go to the interactive half. The body
        is a form, or JSON (Auth0 takes both)."""
        try:
            if "json" in request.headers.get("content-type", ""):
                doc = await request.json() if await request.body() else {}
                form = {k: str(v) for k, v in doc.items()}
            else:
                form = _params((await request.form()).multi_items())
        except (ValueError, AttributeError):
            return _JSON({"error": "invalid_request", "error_description": "bad body"}, 400)
        if form.get("grant_type") in INTERACTIVE_GRANTS:
            status, body, extra = self.auth.token(self._url(request), dict(request.headers), form)
            return _JSON(body, status, dict(extra))
        status, answer = self.token(form)
        return _JSON(answer, status)

    async def _register(self, request: Request) -> Response:
        try:
            body = await request.json() if await request.body() else {}
        except ValueError:
            body = None
        if not isinstance(body, dict) or request.method != "POST":
            return _JSON({"error": "invalid_client_metadata", "error_description": "a JSON object"}, 400)
        status, answer, extra = await asyncio.to_thread(
            self.auth.register, self._url(request), dict(request.headers), body
        )
        return _JSON(answer, status, dict(extra))

    async def _authorize(self, request: Request) -> Response:
        args = _params(request.query_params.multi_items())
        return _page(*await asyncio.to_thread(self.auth.authorize, self._url(request), args))

    async def _login(self, request: Request) -> Response:
        form = _params((await request.form()).multi_items())
        return _page(*await asyncio.to_thread(self.auth.login, self._url(request), form))

    async def _consent(self, request: Request) -> Response:
        form = _params((await request.form()).multi_items())
        return _page(*await asyncio.to_thread(self.auth.consent, self._url(request), form))


def mcp_app() -> Any:
    """A real MCP server (MCP Python SDK) with a few tools, over streamable HTTP."""
    from mcp.server.mcpserver import MCPServer

    server: Any = MCPServer("mcpauth-sandbox-tools", log_level="ERROR")

    @server.tool()  # type: ignore[untyped-decorator]
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    @server.tool()  # type: ignore[untyped-decorator]
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()  # type: ignore[untyped-decorator]
    def utc_now() -> str:
        """The current UTC time, ISO 8601."""
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    return server.streamable_http_app(stateless_http=True, json_response=True)


class Gateway:
    """An AgentCore gateway's inbound auth (CUSTOM_JWT) in front of a real MCP server."""

    def __init__(self, spec: GatewaySpec, inner: Any) -> None:
        self.spec = spec
        self.inner = inner
        self.http = httpx2.Client(timeout=5.0)
        self.app = Starlette(
            routes=[
                # RFC 9728's metadata, at the root and under the resource's path.
                Route(PRM_PATH + "{rest:path}", self._metadata, methods=ANY_METHOD),
                # Everything else: the MCP server, behind the authorizer.
                Mount("", app=inner, middleware=[Middleware(_Inbound, gateway=self)]),
            ],
            # The MCP server's session manager runs for as long as the gateway serves.
            lifespan=lambda _: inner.router.lifespan_context(inner),
        )

    def advertised_scopes(self) -> list[str]:
        """The allowed scopes as AgentCore shows them to clients, in its protected resource metadata
        and WWW-Authenticate (service model, CustomJWTAuthorizerConfiguration.advertisedScopeMapping:
        "Scopes without a mapping entry appear unchanged to clients"); mcpauth sets no mapping."""
        return list(self.spec.allowed_scopes)

    def metadata_url(self) -> str:
        return self.spec.origin + PRM_PATH + urlsplit(self.spec.resource_url).path

    def _issuer_material(self) -> tuple[str, dict[str, Any]]:
        disc = self.http.get(self.spec.discovery_url).json()
        return str(disc["issuer"]), self.http.get(disc["jwks_uri"]).json()

    def check(self, authorization: str) -> dict[str, Any]:
        """Admit a token as a CUSTOM_JWT authorizer does, on PyJWT: a JOSE implementation other than
        verify's (joserfc), so that the stand-in and `make verify` do not vouch for each other.
        Raises Refused with the reason (kept inside: the 401 does not say it)."""
        # The auth-scheme is case-insensitive (RFC 9110 §11.1; RFC 6750 §2.1 "Bearer").
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Refused("no-token")
        issuer, jwks = self._issuer_material()
        return admit(credentials.strip(), jwks, issuer, self.spec)

    async def _metadata(self, request: Request) -> Response:
        # The issuer as the discovery URL names it (`https://<tenant>/`, Auth0's trailing slash
        # kept): RFC 8414 §3.3 makes clients compare it with the metadata's `issuer` exactly,
        # and the MCP Python SDK does. What AgentCore itself publishes here is not documented
        # (docs/assumptions.md#authorization_servers-in-the-protected-resource-metadata).
        issuer = self.spec.discovery_url.removesuffix(".well-known/openid-configuration")
        return _JSON(
            {
                "resource": self.spec.resource_url,
                "authorization_servers": [issuer],
                "bearer_methods_supported": ["header"],
                **({"scopes_supported": self.advertised_scopes()} if self.advertised_scopes() else {}),
            }
        )

    async def refusal(self, request: Request) -> Response | None:
        """The gateway's answer to a request it does not admit; None when it admits it."""
        if len(request.headers.getlist("authorization")) > 1:
            # One credential per request: a second Authorization header is a malformed request
            # (RFC 6750 §3.1 invalid_request), never "use whichever came first".
            return _JSON(
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}},
                400,
                {"www-authenticate": 'Bearer error="invalid_request"'},
            )
        try:
            # The admitted claims, for the policy engine's decisions (sandbox/targets.py).
            request.state.claims = await asyncio.to_thread(self.check, request.headers.get("authorization", ""))
        except Refused as e:
            # RFC 6750's attributes only: what the stand-in found stays here, so that `make verify`
            # diagnoses from the token and the stack, as it must with AgentCore. No error code when
            # no credentials came (RFC 6750 §3.1); the allowed scopes as advertised (model,
            # advertisedScopeMapping: "appears in ... WWW-Authenticate response headers").
            challenge = f'Bearer resource_metadata="{self.metadata_url()}"'
            if self.advertised_scopes():
                challenge += f', scope="{" ".join(self.advertised_scopes())}"'
            if e.reason != "no-token":
                challenge += ', error="invalid_token"'
            return _JSON(
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": "Invalid Bearer token"}},
                401,
                {"www-authenticate": challenge},
            )
        except httpx2.HTTPError:
            return _JSON({"error": "discovery URL unreachable"}, 502)
        return None


class _Inbound:
    """The gateway's inbound auth and JSON-RPC envelope check in front of the MCP server, as
    Starlette's pure ASGI middleware: an admitted request is handed on whole, its body replayed."""

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app, self.gateway = app, gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        refused = await self.gateway.refusal(request)
        if refused is not None:
            await refused(scope, receive, send)
            return
        if request.method != "POST":
            await self.app(scope, receive, send)
            return
        # AgentCore checks the JSON-RPC envelope itself before any target sees it.
        raw = await request.body()
        problem = _envelope_problem(raw)
        if problem is not None:
            code, message = problem
            answer = _JSON({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}, 400)
            await answer(scope, receive, send)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _envelope_problem(raw: bytes) -> tuple[int, str] | None:
    try:
        doc = json.loads(raw)
    except ValueError:
        return -32700, "Parse error"
    messages = doc if isinstance(doc, list) else [doc]
    for m in messages:
        request_or_reply = isinstance(m, dict) and (isinstance(m.get("method"), str) or "result" in m or "error" in m)
        if not (request_or_reply and m.get("jsonrpc") == "2.0"):
            return -32600, "Invalid Request: a JSON-RPC 2.0 object needs jsonrpc, id, method and params"
    return None


class Sandbox:
    """Runs the issuer and the gateways on loopback in background threads."""

    def __init__(self, spec: SandboxSpec) -> None:
        self.spec = spec
        self.issuer = Issuer(spec)
        self._servers: list[tuple[uvicorn.Server, threading.Thread]] = []
        self._gateways: list[Gateway] = []
        self.upstreams: dict[tuple[str, str], Upstream] = {}  # (gateway, target) -> its MCP server
        self.targets: dict[str, Targets] = {}  # gateway -> its targets, tools and decisions

    def _serve(self, app: Any, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="auto")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True, name=f"sandbox-{port}")
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"sandbox server on 127.0.0.1:{port} did not start")
            time.sleep(0.005)
        self._servers.append((server, thread))

    def start(self) -> Sandbox:
        self._serve(self.issuer.app, self.spec.issuer_port)
        token_endpoint = self.spec.issuer + "oauth/token"
        secrets_by_id = {c.client_id: c.secret for c in self.spec.clients.values()}
        for gw in self.spec.gateways.values():
            for target in gw.targets:
                if target.kind == "mcpServer" and target.serve:
                    upstream = Upstream(target, self.spec.issuer)
                    self.upstreams[(gw.name, target.name)] = upstream
                    self._serve(upstream.app, target.port)
            inner = mcp_app()
            if gw.targets:
                targets = Targets(gw.targets, gw.arn, gw.policies, gw.policy_mode, token_endpoint, secrets_by_id)
                targets.sync()
                # As a deploy does: the policies are created after the targets, and only when every
                # target listed its tools (a failed target stops `pulumi up` before them).
                if not targets.problems:
                    try:
                        targets.validate()
                    except TargetError as e:
                        self.stop()
                        raise SandboxError(f"gateway {gw.name}: {e}") from None
                self.targets[gw.name] = targets
                inner = targets.server().streamable_http_app(
                    streamable_http_path=urlsplit(gw.resource_url).path or "/", stateless_http=True, json_response=True
                )
            gateway = Gateway(gw, inner)
            self._gateways.append(gateway)
            self._serve(gateway.app, gw.port)
        return self

    def stop(self) -> None:
        for server, _ in self._servers:
            server.should_exit = True
        for _, thread in self._servers:
            thread.join(timeout=5)
        for gateway in self._gateways:
            gateway.http.close()
        for upstream in self.upstreams.values():
            upstream.http.close()
        self.upstreams.clear()
        self.targets.clear()
        self._servers.clear()
        self._gateways.clear()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
