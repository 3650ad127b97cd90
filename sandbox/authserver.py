"""The interactive half of the sandbox issuer: what an MCP client does with Auth0.

The OAuth protocol comes from Authlib's server core, not from this file: the authorization code
grant (RFC 6749 §4.1) with PKCE required (RFC 7636, `CodeChallenge(required=True)`), the refresh
token grant (§6) and dynamic client registration (RFC 7591). Layered on top, each as Auth0 does it:

- registration only when the tenant's DCR flag is on (the plan's `clientRegistration.dynamic`);
  clients registered that way are third-party (Auth0, "Dynamic Application Registration": "all
  applications created through DCR are third-party"), so they log in only through domain-level
  connections and are shown a consent page;
- the API a token is for: `audience`, else the tenant default audience, else (resource parameter
  profile `compatibility`) the RFC 8707 `resource` (the same resolution as client credentials);
- RBAC with "Add Permissions in the Access Token": `permissions` lists the user's permissions on
  that API (from their roles); `scope` keeps the requested OIDC scopes and the requested API scopes
  the user holds. For third-party clients both are also limited to the API's default third-party
  grant (`defaultFor: third_party_clients`) - the sandbox's reading, since Auth0 documents the grant
  as what third-party clients may get without saying how it meets RBAC
  (docs/assumptions.md#rbac-and-the-default-third-party-grant);
- a refresh token only when `offline_access` was asked for and the API allows offline access;
- the post-login Action (actions/post-login.js) run under Node on every login and every refresh
  (Auth0 runs post-login Actions on refresh token exchanges too), its claims added to the token.

The login page is a plain HTML form with `username` and `password` fields; the users come from
`sandbox/sandbox_users.json` (one MCP User, one MCP Admin, one with no role), with passwords made
up at start.
"""

from __future__ import annotations

import html
import json
import os
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx2
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    JsonPayload,
    JsonRequest,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge

# Loopback http only: Authlib refuses non-https URIs unless told otherwise (read at each request).
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

ROOT = Path(__file__).resolve().parent.parent
USERS_FILE = Path(__file__).with_name("sandbox_users.json")
ACTION_RUNNER = ROOT / "actions" / "run-post-login.js"
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")


@dataclass
class User:
    username: str
    password: str
    roles: list[str]

    @property
    def user_id(self) -> str:
        return "auth0|" + self.username.split("@")[0]

    def get_user_id(self) -> str:
        return self.user_id


def load_users(path: Path = USERS_FILE) -> dict[str, User]:
    """The sandbox's test users, each with a password made up now."""
    return {
        u["username"]: User(u["username"], secrets.token_urlsafe(12), list(u.get("roles", [])))
        for u in json.loads(path.read_text())
    }


@dataclass
class Client(ClientMixin):  # type: ignore[misc]
    client_id: str
    client_secret: str | None
    redirect_uris: list[str]
    grant_types: list[str]
    response_types: list[str]
    token_endpoint_auth_method: str
    scope: str = ""
    third_party: bool = True

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return scope or ""  # Auth0 narrows by API and grant when it issues the token, not here

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client_secret is not None and secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: User
    audience: str
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass
class Refresh:
    token: str
    client_id: str
    scope: str
    user: User
    audience: str
    revoked: bool = False
    issued_at: float = field(default_factory=time.time)

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return 30 * 86400

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.revoked


@dataclass
class Tenant:
    """What the interactive issuer needs from the plan (sandbox.sandbox.SandboxSpec holds it)."""

    issuer: str
    apis: dict[str, list[str]]  # identifier -> scopes
    role_permissions: dict[str, dict[str, list[str]]]  # role name -> identifier -> permissions
    third_party_grants: dict[str, list[str]]  # identifier -> scopes third-party clients may get
    offline_access: dict[str, bool]  # identifier -> "Allow Offline Access"
    resource_parameter_profile: str
    default_audience: str
    dynamic_registration: bool
    domain_connection: bool
    action_config: str | None  # MCPAUTH_CONFIG, rebased; None without the Action
    token_lifetime: int = 3600
    # Client ID Metadata Documents: the tenant flag; the documents registered as clients (manual
    # CIMD); whether any other document is accepted (dynamic CIMD, Early Access); and what the
    # issuer trusts when it fetches a document over https (a CA bundle path; None: SSL_CERT_FILE
    # or SSL_CERT_DIR when set, else the system's: httpcore2's default_ssl_context).
    metadata_documents: bool = False
    metadata_document_clients: list[str] = field(default_factory=list)
    dynamic_metadata_documents: bool = False
    metadata_document_trust: str | None = None


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, method: str, url: str, headers: dict[str, str], args: dict[str, str], form: dict[str, str]):
        super().__init__(method, url, headers=headers)
        self._args, self._form = args, form
        self.payload = BasicOAuth2Payload({**args, **form})

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Payload(JsonPayload):  # type: ignore[misc]
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class _JsonRequest(JsonRequest):  # type: ignore[misc]
    def __init__(self, url: str, headers: dict[str, str], body: dict[str, Any]):
        super().__init__("POST", url, headers)
        self.payload = _Payload(body)


Response = tuple[int, Any, list[tuple[str, str]]]


class AuthServer(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, tenant: Tenant, sign: Callable[[dict[str, Any]], str], users: dict[str, User]) -> None:
        super().__init__(scopes_supported=None)
        self.tenant, self.sign, self.users = tenant, sign, users
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.refresh_tokens: dict[str, Refresh] = {}
        self.transactions: dict[str, dict[str, str]] = {}  # login page -> the /authorize request
        self.register_grant(_CodeGrant, [CodeChallenge(required=True)])
        self.register_grant(_RefreshGrant)
        self.register_endpoint(_Registration(self))

    # --- Authlib's hooks -------------------------------------------------------------------------
    def query_client(self, client_id: str) -> Client | None:
        if client_id in self.clients:
            return self.clients[client_id]
        if client_id.startswith("https://") and self.accepts_metadata_document(client_id):
            return self.client_from_metadata_document(client_id)
        return None

    def accepts_metadata_document(self, url: str) -> bool:
        """As Auth0 has it (auth0.com/docs/get-started/auth0-overview/create-applications/
        cimd-overview): a document an admin registered (manual CIMD), or, with dynamic CIMD, any.
        The tenant flag alone lets no client in; without it CIMD is off."""
        t = self.tenant
        if not t.metadata_documents:
            return False
        return t.dynamic_metadata_documents or url in t.metadata_document_clients

    def client_from_metadata_document(self, url: str) -> Client | None:
        """A client whose id is an https URL: the issuer fetches the JSON document there (OAuth
        Client ID Metadata Document draft: its `client_id` must be that URL, and a public client
        names no secret). Such clients are third-party, as DCR's are. None when the document
        cannot be fetched or does not describe itself."""
        try:
            answer = httpx2.get(url, timeout=5, verify=self.tenant.metadata_document_trust or True)
            doc = answer.json() if answer.status_code == 200 else None
        except (httpx2.HTTPError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("client_id") != url or "client_secret" in doc:
            return None
        method = str(doc.get("token_endpoint_auth_method", "none"))
        if method != "none":
            return None  # no secret can be registered this way; private_key_jwt is not served here
        client = Client(
            client_id=url,
            client_secret=None,
            redirect_uris=[str(u) for u in doc.get("redirect_uris", [])],
            grant_types=list(doc.get("grant_types", ["authorization_code"])),
            response_types=list(doc.get("response_types", ["code"])),
            token_endpoint_auth_method=method,
            scope=str(doc.get("scope", "")),
            third_party=True,
        )
        self.clients[url] = client
        return client

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        pass  # access tokens are JWTs; refresh tokens are kept by issue()

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request

    def create_json_request(self, request: Any) -> JsonRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        return status, body, list(headers or [])

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass  # Authlib's framework integrations hook signals here; the sandbox listens to none

    # --- Auth0's layer ---------------------------------------------------------------------------
    def audience_of(self, params: dict[str, str]) -> str:
        """The API a token is for, for every grant (client credentials too), in Auth0's order:
        `audience`, the tenant default audience, then (profile `compatibility`) `resource`.

        The tenant default audience is "appended to every authorization request" (Auth0 tenant
        settings), and `audience` "is still checked first" under compatibility: so `resource` is
        used only when neither is there. Auth0 does not document this case; this is the reading
        that can give a wrong `aud`, which config and the pack refuse with several gateways."""
        audience = params.get("audience") or self.tenant.default_audience
        if not audience and self.tenant.resource_parameter_profile == "compatibility":
            audience = params.get("resource") or ""
        return audience

    def permissions(self, user: User, audience: str, client: Client) -> list[str]:
        held = {p for role in user.roles for p in self.tenant.role_permissions.get(role, {}).get(audience, [])}
        if client.third_party:
            held &= set(self.tenant.third_party_grants.get(audience, []))
        return sorted(held)

    def run_action(self, user: User, audience: str, client: Client, protocol: str) -> dict[str, Any]:
        """The real post-login Action under Node; {} when the stack deploys none."""
        if not self.tenant.action_config:
            return {}
        event = {
            "user": {"user_id": user.user_id, "email": user.username, "email_verified": True, "app_metadata": {}},
            "authorization": {"roles": list(user.roles)},
            "resource_server": {"identifier": audience},
            "client": {"client_id": client.client_id},
            "transaction": {"protocol": protocol},
            # No assigner credentials here: the default role is never assigned in the sandbox.
            "secrets": {"MCPAUTH_CONFIG": self.tenant.action_config},
        }
        done = subprocess.run(
            ["node", str(ACTION_RUNNER)], input=json.dumps(event), capture_output=True, text=True, timeout=20
        )
        if done.returncode != 0:
            raise RuntimeError(f"the post-login Action failed under Node: {done.stderr.strip()}")
        return dict(json.loads(done.stdout)["accessToken"])

    def issue(
        self, client: Client, user: User, scope: str, audience: str, protocol: str, refresh: bool
    ) -> dict[str, Any]:
        requested = scope.split()
        if not audience:
            # No API: Auth0 issues an opaque access token, good for /userinfo only ("if you do not
            # pass an audience … the access token will be opaque", Auth0 docs, Access Tokens).
            granted = [s for s in requested if s in OIDC_SCOPES]
            return {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": self.tenant.token_lifetime,
                "scope": " ".join(granted),
            }
        perms = self.permissions(user, audience, client)
        granted = [s for s in requested if s in OIDC_SCOPES or s in perms]
        now = int(time.time())
        claims = {
            "iss": self.tenant.issuer,
            "sub": user.user_id,
            # With `openid`, Auth0 adds its /userinfo audience to the API's: the token "is valid for
            # ... the API specified in the audience parameter and the /userinfo endpoint (provided
            # that the API uses RS256 and openid is used as a scope)" (Auth0 docs, OIDC-conformant
            # authentication, authorization code flow).
            "aud": [audience, self.tenant.issuer + "userinfo"] if "openid" in requested else audience,
            "iat": now,
            "exp": now + self.tenant.token_lifetime,
            "scope": " ".join(granted),
            "azp": client.client_id,
            "permissions": perms,
            **self.run_action(user, audience, client, protocol),
        }
        token: dict[str, Any] = {
            "access_token": self.sign(claims),
            "token_type": "Bearer",
            "expires_in": self.tenant.token_lifetime,
            "scope": " ".join(granted),
        }
        if refresh and "offline_access" in requested and self.tenant.offline_access.get(audience, False):
            rt = secrets.token_urlsafe(32)
            self.refresh_tokens[rt] = Refresh(rt, client.client_id, scope, user, audience)
            token["refresh_token"] = rt
        return token

    # --- the pages -------------------------------------------------------------------------------
    def authorize(self, url: str, args: dict[str, str]) -> tuple[int, str, list[tuple[str, str]]]:
        """GET /authorize: validated by Authlib (client, redirect URI, PKCE), then the login page."""
        request = _Request("GET", url, {}, args, {})
        try:
            self.get_consent_grant(request)
        except OAuth2Error as e:
            return _error_page(e.error, e.description or "")
        client = self.clients[args["client_id"]]
        if not args.get("code_challenge"):
            # PKCE on every /authorize: MCP's authorization spec and OAuth 2.1 require it of
            # clients; Authlib checks the verifier at the token endpoint, the sandbox refuses here
            # already (Auth0's own rule for a request without one is not documented:
            # docs/assumptions.md#an-authorize-request-without-pkce).
            return self._redirect_error(args, "invalid_request", "code_challenge is required (PKCE, S256)")
        audience = self.audience_of(args)
        if audience and audience not in self.tenant.apis:
            return self._redirect_error(args, "access_denied", f"Service not found: {audience}")
        if client.third_party and not self.tenant.domain_connection:
            # Third-party clients may use only domain-level connections (Auth0, "Enable
            # third-party applications"); without one there is nothing to log in with.
            return _error_page("invalid_request", "no connections enabled for the client")
        tx = secrets.token_urlsafe(16)
        self.transactions[tx] = dict(args)
        return 200, _login_page(tx, ""), [("content-type", "text/html; charset=utf-8")]

    def login(self, url: str, form: dict[str, str]) -> tuple[int, str, list[tuple[str, str]]]:
        tx = form.get("tx", "")
        args = self.transactions.get(tx)
        if args is None:
            return _error_page("invalid_request", "the login page expired; start again")
        user = self.users.get(form.get("username", ""))
        if user is None or not secrets.compare_digest(user.password, form.get("password", "")):
            return 200, _login_page(tx, "Wrong email or password."), [("content-type", "text/html; charset=utf-8")]
        args["_user"] = user.username
        if self.clients[args["client_id"]].third_party:
            return 200, _consent_page(tx, args), [("content-type", "text/html; charset=utf-8")]
        return self._finish(url, tx, user)

    def consent(self, url: str, form: dict[str, str]) -> tuple[int, str, list[tuple[str, str]]]:
        tx = form.get("tx", "")
        args = self.transactions.get(tx)
        if args is None or "_user" not in args:
            return _error_page("invalid_request", "the consent page expired; start again")
        if form.get("decision") != "accept":
            self.transactions.pop(tx, None)
            return self._redirect_error(args, "access_denied", "User did not authorize the request")
        return self._finish(url, tx, self.users[args["_user"]])

    def _finish(self, url: str, tx: str, user: User) -> tuple[int, str, list[tuple[str, str]]]:
        args = {k: v for k, v in self.transactions.pop(tx).items() if not k.startswith("_")}
        request = _Request("GET", url, {}, args, {})
        grant = self.get_consent_grant(request, end_user=user)
        status, body, headers = self.create_authorization_response(request, grant_user=user, grant=grant)
        return status, "" if body is None else json.dumps(body), headers

    def _redirect_error(
        self, args: dict[str, str], error: str, description: str
    ) -> tuple[int, str, list[tuple[str, str]]]:
        query = {"error": error, "error_description": description}
        if args.get("state"):
            query["state"] = args["state"]
        return 302, "", [("location", args.get("redirect_uri", "") + "?" + urlencode(query))]

    def token(self, url: str, headers: dict[str, str], form: dict[str, str]) -> Response:
        return self.create_token_response(_Request("POST", url, headers, {}, form))  # type: ignore[no-any-return]

    def register(self, url: str, headers: dict[str, str], body: dict[str, Any]) -> Response:
        return self.create_endpoint_response("client_registration", _JsonRequest(url, headers, body))  # type: ignore[no-any-return]


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    # DCR clients are public (token_endpoint_auth_method "none", PKCE) or hold a secret.
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none", "client_secret_post", "client_secret_basic"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        server: AuthServer = self.server
        args = request.payload.data
        server.codes[code] = Code(
            code=code,
            client_id=request.client.client_id,
            redirect_uri=args.get("redirect_uri", ""),
            scope=args.get("scope", ""),
            user=request.user,
            audience=server.audience_of(args),
            code_challenge=args.get("code_challenge"),
            code_challenge_method=args.get("code_challenge_method"),
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found: Code | None = self.server.codes.get(code)
        return found if found is not None and found.client_id == client.client_id else None

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.server.codes.pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code: Code) -> User:
        return authorization_code.user

    def generate_token(self, user: Any = None, scope: Any = None, include_refresh_token: bool = True, **_: Any) -> Any:
        code: Code = self.request.authorization_code
        server: AuthServer = self.server
        return server.issue(self.request.client, user, scope or "", code.audience, "oidc-basic-profile", True)


class _RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = ["none", "client_secret_post", "client_secret_basic"]
    INCLUDE_NEW_REFRESH_TOKEN = False  # Auth0 without rotation keeps the same refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> Refresh | None:
        found: Refresh | None = self.server.refresh_tokens.get(refresh_token)
        return found if found is not None and not found.revoked else None

    def authenticate_user(self, refresh_token: Refresh) -> User:
        return refresh_token.user

    def revoke_old_credential(self, refresh_token: Refresh) -> None:
        pass  # no rotation: the same refresh token keeps working

    def generate_token(self, user: Any = None, scope: Any = None, include_refresh_token: bool = True, **_: Any) -> Any:
        rt: Refresh = self.request.refresh_token
        server: AuthServer = self.server
        return server.issue(self.request.client, user, scope or rt.scope, rt.audience, "oauth2-refresh-token", False)


class _Registration(ClientRegistrationEndpoint):  # type: ignore[misc]
    def authenticate_token(self, request: Any) -> bool:
        # Open registration, as Auth0's DCR endpoint is once the tenant flag is on.
        return True

    def get_server_metadata(self) -> dict[str, Any]:
        return {
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        }

    def create_registration_response(self, request: Any) -> Response:
        server: AuthServer = self.server
        if not server.tenant.dynamic_registration:
            # Auth0 with the flag off: the endpoint exists and refuses (403).
            return 403, {"error": "access_denied", "error_description": "Dynamic client registration is disabled"}, []
        return super().create_registration_response(request)  # type: ignore[no-any-return]

    def save_client(self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any) -> Client:
        server: AuthServer = self.server
        method = client_metadata.get("token_endpoint_auth_method", "client_secret_basic")
        client = Client(
            client_id=client_info["client_id"],
            client_secret=None if method == "none" else client_info["client_secret"],
            redirect_uris=list(client_metadata.get("redirect_uris", [])),
            grant_types=list(client_metadata.get("grant_types", ["authorization_code"])),
            response_types=list(client_metadata.get("response_types", ["code"])),
            token_endpoint_auth_method=method,
            scope=str(client_metadata.get("scope", "")),
            third_party=True,
        )
        server.clients[client.client_id] = client
        if method == "none":
            client_info.pop("client_secret", None)
        return client


def _error_page(error: str, description: str) -> tuple[int, str, list[tuple[str, str]]]:
    body = f"<!doctype html><title>Error</title><h1>{html.escape(error)}</h1><p>{html.escape(description)}</p>"
    return 400, body, [("content-type", "text/html; charset=utf-8")]


def _login_page(tx: str, message: str) -> str:
    note = f"<p role=alert>{html.escape(message)}</p>" if message else ""
    return (
        "<!doctype html><title>Log in</title><h1>Log in</h1>"
        f"{note}<form method=post action=/authorize/login>"
        f"<input type=hidden name=tx value={html.escape(tx, quote=True)}>"
        "<label>Email <input name=username autocomplete=username></label>"
        "<label>Password <input name=password type=password autocomplete=current-password></label>"
        "<button type=submit>Continue</button></form>"
    )


def _consent_page(tx: str, args: dict[str, str]) -> str:
    scopes = "".join(f"<li>{html.escape(s)}</li>" for s in args.get("scope", "").split())
    return (
        "<!doctype html><title>Authorize</title><h1>Authorize application</h1>"
        f"<p>{html.escape(args.get('client_id', ''))} is requesting access:</p><ul>{scopes}</ul>"
        f"<form method=post action=/authorize/consent><input type=hidden name=tx value={html.escape(tx, quote=True)}>"
        "<button name=decision value=accept>Accept</button><button name=decision value=deny>Decline</button></form>"
    )
