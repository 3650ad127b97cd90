"""What a stack config may hold: the pydantic models of the `mcpauth:` keys, their defaults, and
what each field alone accepts. Plain Python; `stackconfig.settings` reads the keys into them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator
from pydantic.alias_generators import to_camel

from rules.naming import slug

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
SCOPE_RE = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no spaces: one OAuth scope token
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


# Pulumi's fully qualified stack name (docs, "Stack references": `<organization>/<project>/<stack>`;
# with a self-managed backend the organization is `organization`). Each part: no `/` or spaces.
_STACK_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def _stack_name(v: str) -> None:
    if not _STACK_NAME_RE.fullmatch(v):
        raise ValueError(
            f"{v!r} is not a fully qualified stack name: use <organization>/<project>/<stack>, "
            "e.g. acme/mcpauth/platform (`pulumi stack ls --all` shows them)"
        )


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
    # Stacks sharing the tenant, by Pulumi's fully qualified name `<organization>/<project>/<stack>`
    # (the form a StackReference takes). A team stack (manage: false) names its owner and reads
    # the role ids and tenant flags it exports; the owner names its teams and reads their API
    # identifiers for the Action's audiences.
    owner: str | None = None
    team_stacks: list[str] = []

    @field_validator("owner")
    @classmethod
    def _owner(cls, v: str | None) -> str | None:
        if v is not None:
            _stack_name(v)
        return v

    @field_validator("team_stacks")
    @classmethod
    def _teams(cls, v: list[str]) -> list[str]:
        for name in v:
            _stack_name(name)
        if len(set(v)) != len(v):
            raise ValueError("lists a stack twice")
        return v

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
ROLE_ID_RE = re.compile(r"^[a-z0-9](?:-?[a-z0-9])*$")


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
        if v is not None and not ROLE_ID_RE.fullmatch(v):
            raise ValueError("must be lower-case letters, digits and single inner hyphens, e.g. mcp-user")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None:
            check_role_name(v)
        return v


def check_role_name(v: str) -> None:
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
ROLE_FORMS = ("(short form)", "(object form)")
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
