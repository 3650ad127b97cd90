"""The stack config: read once, validated as a whole, before any resource is declared.

Everything here is plain Python (no Pulumi engine), so the program, the offline plan and the
tests share one definition of what a valid stack is; only `connection.options` is checked against
the pulumi_auth0 SDK's own option names, imported when that key is set. Errors name the key path the user typed
(`mcpauth:gateways[1].requiredPermissions[0]`), the bad value and what is accepted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator
from pydantic.alias_generators import to_camel

from components.awsconfig import client_settings
from components.claims import CLAIM_VALUE_RE, SCOPE_VALUE_RE, VALUE_MAX
from components.naming import discovery_url, slug

NAMESPACE = "mcpauth"

DEFAULT_SCOPES: dict[str, str] = {
    "read:tools": "List and describe tools",
    "execute:tools": "Execute MCP tools",
    "read:resources": "Read resources",
    "write:resources": "Modify resources",
    "admin": "Administrative access",
}

DEFAULT_ROLES: dict[str, list[str]] = {
    "MCP User": ["read:tools", "execute:tools", "read:resources"],
    "MCP Admin": ["read:tools", "execute:tools", "read:resources", "write:resources", "admin"],
}

# Auth0 refuses custom claims under its own domains (and silently drops them on some flows).
RESERVED_CLAIM_DOMAINS = ("auth0.com", "webtask.io", "webtask.run")

# AWS: gateway names are ([0-9a-zA-Z][-]?){1,100}; we also use the name in Auth0 and Pulumi names.
_NAME_RE = re.compile(r"^[a-z0-9](?:-?[a-z0-9])*$")
_SCOPE_RE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces: one OAuth scope token
_GATEWAY_ID_RE = re.compile(r"([0-9a-z][-]?){1,100}-[0-9a-z]{10}")
_DOMAIN_RE = re.compile(
    r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?))+"
)


class ConfigError(Exception):
    """One or more stack config problems; each line names the key path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack config:\n" + "\n".join(f"  - {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


class ConnectionConfig(_Model):
    name: str = Field("mcp-users", min_length=1, max_length=128)
    disable_signup: bool = True
    # Sign-up on a domain-level connection while DCR/CIMD is on lets anyone register through any
    # client that registers itself: only with this explicit yes.
    public_signup: bool = False
    # Options of an existing (imported) connection to keep: the provider's PATCH "replaces options
    # wholesale" (terraform-provider-auth0 internal/auth0/connection/expand.go), so options not
    # declared here are reset. Keys are pulumi_auth0.ConnectionOptionsArgs' (snake_case).
    options: dict[str, Any] = {}

    @field_validator("name")
    @classmethod
    def _connection_name(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?", v):
            raise ValueError("must be letters, digits and inner hyphens (Auth0 connection name rules)")
        return v


ClaimName = Literal["department", "org_id", "org_name", "roles"]
CLAIM_NAMES: tuple[ClaimName, ...] = ("department", "org_id", "org_name", "roles")


class ClaimsConfig(_Model):
    """What the post-login Action adds to access tokens, under `tenant.claimsNamespace`."""

    include: list[ClaimName] = Field(default_factory=lambda: list(CLAIM_NAMES))
    # Opt-in: users with a *verified* email on exactly this domain get `elevated_permissions`.
    admin_email_domain: str | None = None
    elevated_permissions: list[str] = Field(default_factory=lambda: ["admin"])
    id_token: bool = False
    # APIs of other stacks sharing this tenant whose tokens should get the claims too.
    extra_audiences: list[str] = []

    @field_validator("admin_email_domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(
            r"(?i)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+", v
        ):
            raise ValueError("must be a bare email domain such as admin.example.com (no @, scheme or path)")
        return v.lower() if v else v

    @field_validator("extra_audiences")
    @classmethod
    def _audiences(cls, v: list[str]) -> list[str]:
        for a in v:
            if not a.startswith("https://") or a.endswith("/"):
                raise ValueError(f"{a!r} must be an API identifier: https://<gateway-host>/mcp, no trailing slash")
        return v


class TenantConfig(_Model):
    manage: bool = True
    dynamic_client_registration: bool = True
    client_id_metadata_documents: bool = True
    resource_parameter_profile: Literal["compatibility", "audience"] = "compatibility"
    default_audience: str | None = None
    connection: ConnectionConfig = Field(default_factory=ConnectionConfig)
    claims_namespace: str = "https://mcpauth.example.com/"
    claims: ClaimsConfig = Field(default_factory=ClaimsConfig)
    # A role (its key under mcpauth:roles, or its id) the post-login Action gives a user who
    # holds none, through the Management API with a client that may only assign role members.
    default_role: str | None = None

    @property
    def third_party_clients(self) -> bool:
        """Whether MCP clients can register themselves: by DCR or by CIMD, both of which make
        third-party clients (Auth0). The one place this rule is written."""
        return self.dynamic_client_registration or self.client_id_metadata_documents

    @field_validator("claims_namespace")
    @classmethod
    def _namespace(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("must be an https URL, e.g. https://mcp.example.com/")
        host = parts.hostname.lower().rstrip(".")  # `auth0.com.` is the same name, fully qualified
        for reserved in RESERVED_CLAIM_DOMAINS:
            if host == reserved or host.endswith("." + reserved):
                raise ValueError(f"is on {reserved}, which Auth0 reserves; use a domain you own")
        return v


class GatewayConfig(_Model):
    name: str = Field(min_length=1, max_length=40)
    # AWS: GatewayDescription is 1-200 characters (model); empty means "derived".
    description: str = Field("", max_length=200)
    existing_gateway_id: str | None = Field(None, min_length=1)
    # A public domain in front of the gateway (CloudFront or a proxy): the resource URL becomes
    # https://<domain>/mcp, set as the gateway's domainOverride.defaultDomain.
    domain: str | None = None
    required_permissions: list[str] = []
    # None: every defined scope except `admin` (a DCR client should never get admin by default).
    third_party_scopes: list[str] | None = None
    token_lifetime_seconds: int = Field(3600, ge=60, le=2592000)
    # The API's "Allow Offline Access": "allow applications to ask for refresh tokens for the API"
    # (auth0.com/docs/get-started/apis/api-settings). Without it an MCP client signs in again
    # each time its access token expires.
    offline_access: bool = True

    @field_validator("name")
    @classmethod
    def _gateway_name(cls, v: str) -> str:
        if not _NAME_RE.fullmatch(v):
            raise ValueError("must be lower-case letters, digits and single inner hyphens, e.g. tools-prod")
        return v

    @field_validator("existing_gateway_id")
    @classmethod
    def _gateway_id(cls, v: str | None) -> str | None:
        # AWS: GatewayIdentifier is ([0-9a-z][-]?){1,100}-[0-9a-z]{10} (model), the id, not the ARN.
        if v is not None and not _GATEWAY_ID_RE.fullmatch(v):
            hint = " (that is an ARN: give the part after gateway/)" if v.strip().startswith("arn:") else ""
            raise ValueError(
                "must be a gateway id such as tools-prod-abcde12345: lower-case letters, digits and hyphens, "
                f"then a hyphen and 10 characters, no spaces{hint}"
            )
        return v

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        # AWS: PublicDomainName, 1-253 characters of dot-separated DNS labels (model: DomainOverride).
        if v is not None and (len(v) > 253 or not _DOMAIN_RE.fullmatch(v)):
            raise ValueError("must be a bare DNS name such as mcp.example.com (no scheme, port or path)")
        return v.lower() if v else v


class MachineClientConfig(_Model):
    name: str = Field(min_length=1, max_length=40)
    gateway: str
    scopes: list[str] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _client_name(cls, v: str) -> str:
        if not _NAME_RE.fullmatch(v):
            raise ValueError("must be lower-case letters, digits and single inner hyphens")
        return v


# Auth0 documents no limit on a role's name (Management API POST /roles: `name` is a string);
# these are ours, kept well inside what the Dashboard shows, and said in the README.
ROLE_NAME_MAX = 100
_ROLE_ID_RE = re.compile(r"^[a-z0-9](?:-?[a-z0-9])*$")


class RoleConfig(_Model):
    """A role in the object form: its stable `id` (default: the key, slugged) keys its Pulumi
    resources, so `name` can change without deleting the role and every user's assignment."""

    id: str | None = Field(None, min_length=1, max_length=40)
    name: str | None = None
    permissions: list[str] = []
    # Ids this role had before: its resources are aliased from them, not deleted and recreated.
    previous_ids: list[str] = []

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is not None and not _ROLE_ID_RE.fullmatch(v):
            raise ValueError("must be lower-case letters, digits and single inner hyphens, e.g. mcp-user")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None:
            _check_role_name(v)
        return v


def _check_role_name(v: str) -> None:
    if not v or len(v) > ROLE_NAME_MAX:
        raise ValueError(f"must be 1 to {ROLE_NAME_MAX} characters (got {len(v)})")
    if v != v.strip() or any(not c.isprintable() for c in v):
        raise ValueError("must not start or end with a space, or hold a newline, tab or other control character")


@dataclass(frozen=True)
class RoleSpec:
    key: str  # what the user typed under mcpauth:roles
    id: str
    name: str
    permissions: tuple[str, ...]
    previous_ids: tuple[str, ...]


# A role is `name: [permissions]` or an object; the discriminator keeps each error on the form
# the user wrote (a plain union reports both forms' errors).
_ROLE_FORMS = ("(short form)", "(object form)")
RoleValue = Annotated[
    Annotated[list[str], Tag("(short form)")] | Annotated[RoleConfig, Tag("(object form)")],
    Discriminator(lambda v: "(short form)" if isinstance(v, list) else "(object form)"),
]


def _default_roles() -> dict[str, RoleValue]:
    return {k: list(v) for k, v in DEFAULT_ROLES.items()}


class ProjectConfig(_Model):
    """Every `mcpauth:` key. Field aliases are the keys users type."""

    issuer: str | None = None
    tenant: TenantConfig = Field(default_factory=TenantConfig)
    scopes: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_SCOPES))
    # name -> permissions (the short form: id = the name, slugged), or id -> RoleConfig.
    roles: dict[str, RoleValue] = Field(default_factory=lambda: _default_roles())
    gateways: list[GatewayConfig]
    machine_clients: list[MachineClientConfig] = []
    protect: bool = False

    @property
    def default_role_spec(self) -> RoleSpec | None:
        wanted = self.tenant.default_role
        return next((r for r in self.role_specs if wanted in (r.key, r.id)), None) if wanted else None

    @property
    def role_specs(self) -> list[RoleSpec]:
        out = []
        for key, role in self.roles.items():
            if isinstance(role, list):
                out.append(RoleSpec(key, slug(key), key, tuple(role), ()))
            else:
                rid = role.id or slug(key)
                out.append(RoleSpec(key, rid, role.name or key, tuple(role.permissions), tuple(role.previous_ids)))
        return out


PROJECT_KEYS = tuple((f.alias or n) for n, f in ProjectConfig.model_fields.items())


@dataclass(frozen=True)
class Settings:
    """The validated stack: project config plus the provider keys the program depends on."""

    project: ProjectConfig
    stack: str
    auth0_domain: str
    issuer: str
    aws_region: str
    aws_profile: str | None
    # The `aws` property of each gateway resource (components/awsconfig.py) and aws:defaultTags.
    aws_client: dict[str, Any] = field(default_factory=dict)
    aws_default_tags: dict[str, str] = field(default_factory=dict)
    # Keys set with `--secret`: what the program derives from them it declares as secrets.
    secret_keys: frozenset[str] = frozenset()

    @property
    def domain_is_secret(self) -> bool:
        return "auth0:domain" in self.secret_keys

    @property
    def issuer_is_secret(self) -> bool:
        """The issuer is set as a secret, or derived from a secret auth0:domain."""
        explicit = bool(self.project.issuer)
        return f"{NAMESPACE}:issuer" in self.secret_keys or (self.domain_is_secret and not explicit)

    @property
    def discovery_url(self) -> str:
        return discovery_url(self.issuer)  # components/naming.py: the one derivation

    @property
    def token_endpoint(self) -> str:
        # On the issuer's host, not auth0:domain: Auth0 "issues tokens with the `iss` claim for
        # the domain you used with the token request" (auth0.com/docs/customize/custom-domains),
        # and "all requests (obtaining the token, and calling the API) must use the same domain"
        # (…/custom-domains/configure-features-to-use-custom-domains). auth0:domain stays the
        # Management API host only.
        return f"{self.issuer}oauth/token"

    def third_party_scopes(self, gateway: GatewayConfig) -> list[str]:
        if gateway.third_party_scopes is not None:
            return list(gateway.third_party_scopes)
        return [s for s in self.project.scopes if s != "admin"]


def _parse_value(key: str, value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text; scalars as plain strings."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError([f"{key}: is not valid JSON ({e.msg} at {e.pos})"]) from None
    if text in ("true", "false"):
        return text == "true"
    return value


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    path = f"{NAMESPACE}:"
    first = True
    for part in loc:
        if part in _ROLE_FORMS:
            continue  # the discriminator's tag, not a key the user typed
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("" if first else ".") + str(part)
        first = False
    return path


def _pydantic_problems(err: ValidationError) -> list[str]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        path = _loc_to_path(loc)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            parent = loc[:-1]
            allowed = _allowed_keys(parent)
            msg = f"unknown key; accepted keys here: {', '.join(allowed)}"
        elif e["type"] == "missing":
            msg = "is required"
        elif e["type"] == "literal_error":
            msg = f"got {e.get('input')!r}; {msg.lower()}"
        elif loc[-1:] == (_ROLE_FORMS[1],) and e["type"] == "model_type":
            msg = f"got {e.get('input')!r}: a role is a list of permissions, or {{id, name, permissions, previousIds}}"
        else:
            value = e.get("input")
            if not isinstance(value, (dict, list)):
                msg = f"got {value!r}: {msg}"
        problems.append(f"{path}: {msg}")
    return problems


def _allowed_keys(parent: tuple[Any, ...]) -> list[str]:
    if parent[-1:] == (_ROLE_FORMS[1],):
        return [(f.alias or n) for n, f in RoleConfig.model_fields.items()]
    model: type[BaseModel] = ProjectConfig
    for part in parent:
        if isinstance(part, int):
            continue
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return []
        ann = field.annotation
        inner = getattr(ann, "__args__", None)
        candidates = [ann, *(inner or [])]
        model = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)),
            model,
        )
    return [(f.alias or n) for n, f in model.model_fields.items()]


def _https_host_only(key: str, value: str, problems: list[str], *, allow_slash: bool) -> None:
    parts = urlsplit(value)
    if parts.scheme != "https":
        problems.append(f"{key}: got {value!r}: must start with https://")
        return
    path_ok = parts.path in ("", "/") if allow_slash else parts.path == ""
    if not parts.hostname or not path_ok or parts.query or parts.fragment or parts.username:
        problems.append(f"{key}: got {value!r}: must be https://<host>/ with no path, query or fragment")


def _check_references(cfg: ProjectConfig, problems: list[str]) -> None:
    p = NAMESPACE + ":"
    scopes = set(cfg.scopes)
    defined = ", ".join(sorted(scopes)) or "none"

    for scope in cfg.scopes:
        if not _SCOPE_RE.fullmatch(scope):
            problems.append(f"{p}scopes: key {scope!r} is not one OAuth scope token (no spaces)")

    # Scope slugs and role ids become parts of Pulumi resource names: two scopes that differ
    # only in punctuation or case (read:tools, read_tools) would collide there.
    by_slug: dict[str, str] = {}
    for n in cfg.scopes:
        other = by_slug.setdefault(slug(n), n)
        if other != n:
            problems.append(f"{p}scopes: {n!r} and {other!r} differ only in case or punctuation; rename one")

    def check_scope(path: str, scope: str) -> None:
        if scope not in scopes:
            problems.append(f"{path}: got {scope!r}: not a scope defined in {p}scopes ({defined})")

    _check_roles(cfg, problems)
    for role in cfg.role_specs:
        short = isinstance(cfg.roles[role.key], list)
        for i, s in enumerate(role.permissions):
            check_scope(f"{p}roles.{role.key}{'' if short else '.permissions'}[{i}]", s)

    if not cfg.gateways:
        problems.append(f"{p}gateways: must list at least one gateway")
    seen: dict[str, int] = {}
    seen_existing: dict[str, int] = {}
    for gi, gw in enumerate(cfg.gateways):
        if gw.name in seen:
            problems.append(f"{p}gateways[{gi}].name: got {gw.name!r}: already used by {p}gateways[{seen[gw.name]}]")
        seen.setdefault(gw.name, gi)
        if gw.existing_gateway_id:
            first = seen_existing.setdefault(gw.existing_gateway_id, gi)
            if first != gi:
                problems.append(
                    f"{p}gateways[{gi}].existingGatewayId: got {gw.existing_gateway_id!r}: "
                    f"already adopted by {p}gateways[{first}]"
                )
        for i, s in enumerate(gw.required_permissions):
            check_scope(f"{p}gateways[{gi}].requiredPermissions[{i}]", s)
        _check_required_permissions(f"{p}gateways[{gi}].requiredPermissions", gw.required_permissions, problems)
        for i, s in enumerate(gw.third_party_scopes or []):
            check_scope(f"{p}gateways[{gi}].thirdPartyScopes[{i}]", s)

    gateways = ", ".join(seen) or "none"
    seen_clients: dict[str, int] = {}
    for ci, mc in enumerate(cfg.machine_clients):
        if mc.name in seen_clients:
            problems.append(
                f"{p}machineClients[{ci}].name: got {mc.name!r}: already used by "
                f"{p}machineClients[{seen_clients[mc.name]}]"
            )
        seen_clients.setdefault(mc.name, ci)
        if mc.gateway not in seen:
            problems.append(
                f"{p}machineClients[{ci}].gateway: got {mc.gateway!r}: not a gateway in {p}gateways ({gateways})"
            )
        for i, s in enumerate(mc.scopes):
            check_scope(f"{p}machineClients[{ci}].scopes[{i}]", s)

    t = cfg.tenant
    _check_connection(t, problems)
    if t.default_role is not None:
        if not t.manage:
            problems.append(
                f"{p}tenant.defaultRole: is set while {p}tenant.manage is false; the stack that owns the tenant "
                "(and its Action) assigns it"
            )
        elif cfg.default_role_spec is None:
            known = ", ".join(r.key for r in cfg.role_specs) or "none"
            problems.append(f"{p}tenant.defaultRole: got {t.default_role!r}: not a role in {p}roles ({known})")
    for i, s in enumerate(t.claims.elevated_permissions if t.claims.admin_email_domain else []):
        check_scope(f"{p}tenant.claims.elevatedPermissions[{i}]", s)
    if t.default_audience is not None:
        if not t.manage:
            problems.append(
                f"{p}tenant.defaultAudience: is set while {p}tenant.manage is false; "
                "only the stack that manages the tenant may set its default audience"
            )
        elif t.default_audience not in seen:
            problems.append(
                f"{p}tenant.defaultAudience: got {t.default_audience!r}: not a gateway in {p}gateways ({gateways})"
            )
        elif len(cfg.gateways) > 1:
            # Auth0 applies a default audience to every authorization request (tenant settings
            # docs), so with several gateways some clients' tokens would name the wrong one.
            problems.append(
                f"{p}tenant.defaultAudience: got {t.default_audience!r} while {len(cfg.gateways)} gateways share "
                "the tenant: Auth0 applies a default audience to requests that send only `resource` (as MCP "
                "clients do), so the other gateways' clients may get tokens for it. Unset it (with "
                "resourceParameterProfile: compatibility none is needed), or keep one gateway on this tenant"
            )


def _check_roles(cfg: ProjectConfig, problems: list[str]) -> None:
    """Ids unique (they key the resources), names unique (non-owner stacks find roles by name),
    names Auth0 can hold, previous ids that are not current ones."""
    p = f"{NAMESPACE}:roles"
    specs = cfg.role_specs
    by_id: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for r in specs:
        if isinstance(cfg.roles[r.key], list):
            try:
                _check_role_name(r.key)
            except ValueError as e:
                problems.append(f"{p}: key {r.key[:60]!r}: a role name {e}")
        first = by_id.setdefault(r.id, r.key)
        if first != r.key:
            problems.append(
                f"{p}.{r.key}: has id {r.id!r}, as {first!r} does (ids key the Pulumi resources); "
                "give one an `id` of its own"
            )
        first = by_name.setdefault(r.name, r.key)
        if first != r.key:
            problems.append(f"{p}.{r.key}: has name {r.name!r}, as {first!r} does; role names must be unique")
    current = set(by_id)
    for r in specs:
        for i, pid in enumerate(r.previous_ids):
            if not _ROLE_ID_RE.fullmatch(pid):
                problems.append(f"{p}.{r.key}.previousIds[{i}]: got {pid!r}: not a role id (e.g. mcp-user)")
            elif pid in current:
                problems.append(f"{p}.{r.key}.previousIds[{i}]: got {pid!r}: a current role's id")


# Connection options this program sets itself; `connection.options` may not override them.
_OWNED_OPTIONS = {
    "disable_signup": "set it with mcpauth:tenant.connection.disableSignup",
    "brute_force_protection": "always on: a public login page without it invites credential stuffing",
}


def _connection_option_names() -> set[str]:
    import inspect

    from pulumi_auth0 import ConnectionOptionsArgs

    return {p for p in inspect.signature(ConnectionOptionsArgs.__init__).parameters if p not in ("self", "__self__")}


def _check_connection(t: TenantConfig, problems: list[str]) -> None:
    key = f"{NAMESPACE}:tenant.connection"
    c = t.connection
    if t.manage and t.third_party_clients and not c.disable_signup and not c.public_signup:
        problems.append(
            f"{key}.disableSignup: is false on a domain-level connection while dynamic client registration or "
            "CIMD is on: anyone could create an account through any client that registers itself. Set "
            f"disableSignup: true and create users yourself, or say {key}.publicSignup: true if that is the intent"
        )
    if not c.options:
        return
    accepted = _connection_option_names()
    for name in c.options:
        if name in _OWNED_OPTIONS:
            problems.append(f"{key}.options.{name}: not here: {_OWNED_OPTIONS[name]}")
        elif name not in accepted:
            problems.append(
                f"{key}.options.{name}: not an option of the auth0 connection; accepted (pulumi_auth0 "
                f"ConnectionOptionsArgs): {', '.join(sorted(accepted - set(_OWNED_OPTIONS)))}"
            )


def _check_required_permissions(key: str, perms: list[str], problems: list[str]) -> None:
    """What AgentCore accepts for `permission_rules` (components/claims.py): a claim-rule value
    ([A-Za-z0-9_.-]+), or one allowed scope ([\\x21\\x23-\\x5B\\x5D-\\x7E]+), 1-255 characters."""
    scoped: list[str] = []
    for i, perm in enumerate(perms):
        if len(perm) > VALUE_MAX:
            problems.append(f"{key}[{i}]: {len(perm)} characters; AgentCore takes at most {VALUE_MAX}")
        elif CLAIM_VALUE_RE.fullmatch(perm):
            continue
        elif not SCOPE_VALUE_RE.fullmatch(perm):
            problems.append(
                f"{key}[{i}]: got {perm!r}: AgentCore can require it neither as a claim value ([A-Za-z0-9_.-]+) "
                'nor as an allowed scope (printable ASCII without space, " or \\)'
            )
        else:
            scoped.append(perm)
    if len(scoped) > 1:
        problems.append(
            f"{key}: {', '.join(repr(x) for x in scoped)} contain characters AgentCore refuses in claim rules "
            "(':' among them), so each would be an allowed scope, and AWS does not document whether several "
            "allowed scopes mean all or any of them. Require at most one such permission per gateway, or name "
            "the others with letters, digits, '_', '.' and '-' only (e.g. tools.execute)"
        )


def _leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [value, *(_leaves(parsed) if not isinstance(parsed, str) else [])]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return []


def _redact(problems: list[str], raw: Mapping[str, Any], secret_keys: frozenset[str]) -> list[str]:
    """A value set with `--secret` never reaches an error message in plain text."""
    secrets = sorted(
        {x for k in secret_keys if k in raw for x in _leaves(raw[k]) if len(x) >= 4},
        key=len,
        reverse=True,
    )
    out = []
    for p in problems:
        for s in secrets:
            p = p.replace(repr(s), "[secret]").replace(s, "[secret]")
        out.append(p)
    return out


# Keys whose values the program turns into resource names (URNs), resource options and
# settings: Pulumi stores these in plain text, so a value set with `--secret` could not stay
# secret (Pulumi hands a program a secret key's whole value, so a secret part of one of them
# marks it all). The scalar keys (issuer, auth0:domain) may be secrets: what the program derives
# from them it declares secret.
PLAIN_ONLY = {
    "gateways": "gateway names become resource names and the AgentCore gateway's name",
    "machineClients": "client names become resource names",
    "roles": "role keys and names become resource names and Auth0 role names",
    "scopes": "scope names become resource names and the API's permissions",
    "tenant": "it sets the connection's name, the roles' and the tenant's settings",
    "protect": "it decides each resource's protect option",
}

# What `make plan` reads a `secure:` value as (offline/stackfile.py): it cannot decrypt it.
OFFLINE_SECRET = "[secret]"


def _offline_secret_note(key: str) -> str:
    return (
        f"{key} is set with `secure:`, which `make plan` cannot decrypt offline, so it read {OFFLINE_SECRET}. "
        f"Keep settings that are not credentials in plain text (`pulumi config set {key} …` without "
        "--secret), or check this stack with `make preview`, which decrypts it"
    )


def _explain_offline_secrets(problems: list[str], raw: Mapping[str, Any], secret_keys: frozenset[str]) -> list[str]:
    """A problem about a value that the offline plan could not decrypt says so, and what to do,
    instead of blaming a value the user never wrote."""
    unread = [k for k in secret_keys if OFFLINE_SECRET in _leaves(raw.get(k))]
    out = []
    for p in problems:
        key = next((k for k in unread if p.startswith(k) and p[len(k) : len(k) + 1] in (":", "[", ".")), None)
        out.append(f"{p} ({_offline_secret_note(key)})" if key and OFFLINE_SECRET in p and "`secure:`" not in p else p)
    return out


def load_settings(raw: Mapping[str, Any], stack: str, secret_keys: frozenset[str] = frozenset()) -> Settings:
    """Validate the whole stack config. `raw` maps full keys (`mcpauth:gateways`) to values,
    as Pulumi hands them to a program (structured values as JSON text). Values of
    `secret_keys` are never echoed in errors."""
    problems: list[str] = []
    project: dict[str, Any] = {}
    for key, value in raw.items():
        ns, _, name = key.partition(":")
        if ns != NAMESPACE:
            continue
        if name not in PROJECT_KEYS:
            problems.append(f"{key}: unknown key; accepted {NAMESPACE}: keys: {', '.join(PROJECT_KEYS)}")
            continue
        if key in secret_keys and name in PLAIN_ONLY:
            problems.append(
                f"{key}: set with --secret, but {PLAIN_ONLY[name]}, which Pulumi keeps in plain text "
                "(resource names are never encrypted), so the secret would not stay one. Set it in plain "
                f"text: `pulumi config set {key} '…'` without --secret (keep credentials out of it)"
            )
            continue
        if key in secret_keys and value == OFFLINE_SECRET:
            problems.append(f"{key}: its value decides what the program declares, and {_offline_secret_note(key)}")
            continue
        try:
            project[name] = _parse_value(key, value)
        except ConfigError as e:
            problems.extend(e.problems)

    domain = raw.get("auth0:domain")
    if not domain:
        problems.append(
            "auth0:domain: is required (the tenant's Management API host, e.g. "
            "my-tenant.us.auth0.com); set it with `pulumi config set auth0:domain <host>`"
        )
    elif not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", str(domain)) or "." not in str(domain):
        problems.append(
            f"auth0:domain: got {domain!r}: must be a host name only, e.g. my-tenant.us.auth0.com "
            "(no https://, path, query or port)"
        )
    region = raw.get("aws:region")
    if not region:
        problems.append(
            "aws:region: is required (the region of the AgentCore gateways), "
            "e.g. `pulumi config set aws:region us-east-1`"
        )
    elif not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", str(region)):
        problems.append(f"aws:region: got {region!r}: not an AWS region name such as us-east-1")

    aws_client, aws_tags, aws_problems = client_settings(raw)
    problems.extend(aws_problems)

    cfg: ProjectConfig | None = None
    if f"{NAMESPACE}:gateways" in raw and "gateways" not in project:
        pass  # unparsable: already reported
    elif "gateways" not in project:
        problems.append(f"{NAMESPACE}:gateways: is required: a list of gateways, e.g. [{{name: tools}}]")
    else:
        try:
            cfg = ProjectConfig.model_validate(project)
        except ValidationError as e:
            problems.extend(_pydantic_problems(e))
    if cfg is not None:
        _check_references(cfg, problems)
        if cfg.issuer:
            _https_host_only(f"{NAMESPACE}:issuer", cfg.issuer, problems, allow_slash=True)

    if problems:
        raise ConfigError(_explain_offline_secrets(_redact(problems, raw, secret_keys), raw, secret_keys))
    assert cfg is not None and domain and region
    issuer = cfg.issuer or f"https://{domain}/"
    if not issuer.endswith("/"):
        issuer += "/"  # Auth0's `iss` always ends in one slash; the gateway compares exactly.
    profile = raw.get("aws:profile") or None
    return Settings(
        project=cfg,
        stack=stack,
        auth0_domain=str(domain),
        issuer=issuer,
        aws_region=str(region),
        aws_profile=str(profile) if profile else None,
        aws_client=aws_client,
        aws_default_tags=aws_tags,
        secret_keys=frozenset(secret_keys),
    )
