"""What a stack config may hold: the pydantic models of the `mcpauth:` keys, their defaults, and
what each field alone accepts. Plain Python; `stackconfig.settings` reads the keys into them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel

from agentcore import awsmodel
from rules.naming import slug
from stackconfig.targets import TargetConfig, ToolAccessConfig

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

    @field_validator("*", mode="before")
    @classmethod
    def _booleans_are_true_or_false(cls, v: Any, info: ValidationInfo) -> Any:
        # Pulumi's config reads a boolean only from true/True/false/False (pulumi SDK config.py
        # `_get_bool`, ConfigTypeError otherwise); pydantic alone would also take yes, on, 1, "off".
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and field.annotation is bool and not isinstance(v, bool):
            raise ValueError("a boolean takes only true or false (as Pulumi's config reads booleans)")
        return v


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


# Auth0's CIMD URL validation rules (auth0.com/docs/get-started/auth0-overview/create-applications/
# cimd-validation-rules): at most 120 bytes, and no localhost, 127.0.0.1 or ::1.
CIMD_URL_MAX = 120
_CIMD_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def check_cimd_url(url: str) -> str | None:
    """Why `url` cannot be a CIMD client's id, or None. The draft "OAuth Client ID Metadata
    Document" (draft-ietf-oauth-client-id-metadata-document, section 3): an https URL with a path,
    no userinfo, fragment or dot segments, compared as a plain string; Auth0's validation rules add
    a path beyond `/`, no query, no loopback host, no port 0, at most 120 bytes."""
    if url != url.strip() or any(c.isspace() for c in url):
        return "must hold no whitespace"
    if len(url.encode()) > CIMD_URL_MAX:
        return f"is {len(url.encode())} bytes; Auth0 takes at most {CIMD_URL_MAX}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL"
    if parts.scheme != "https":
        return "must start with https:// (the draft and Auth0 refuse any other scheme)"
    if not parts.hostname:
        return "has no host"
    if parts.hostname.lower() in _CIMD_LOOPBACK:
        return f"is on {parts.hostname}, which Auth0 refuses: use a name that resolves to the host"
    if port == 0:
        return "names port 0, which Auth0 refuses"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password"
    if parts.path in ("", "/"):
        return "must have a path beyond /, e.g. https://client.example.com/oauth/metadata.json"
    if any(seg.lower() in (".", "..", "%2e", "%2e%2e", ".%2e", "%2e.") for seg in parts.path.split("/")):
        return "must not hold . or .. path segments"
    if re.search(r"%(?![0-9A-Fa-f]{2})", url):
        return "has a % not followed by two hex digits"
    if parts.query or "?" in url:
        return "must not hold a query (Auth0 refuses one)"
    if parts.fragment or "#" in url:
        return "must not hold a fragment"
    return None


class MetadataDocumentsConfig(_Model):
    """CIMD on the tenant: which clients' metadata documents are registered, and whether any
    other client may register itself by its document (Auth0's dynamic CIMD, Early Access)."""

    # Manual CIMD registration (GA): one Auth0 client per metadata document URL, imported by the
    # stack (pulumi_auth0.ClientCimd; Management API POST /api/v2/clients/cimd/register).
    clients: list[str] = []
    # Dynamic CIMD registration: an Early Access feature Auth0 enables per tenant; say true only
    # once it is on for this tenant, or every CIMD client's login is refused.
    dynamic: bool = False

    @field_validator("clients")
    @classmethod
    def _clients(cls, v: list[str]) -> list[str]:
        problems = [f"[{i}] {url!r} {why}" for i, url in enumerate(v) if (why := check_cimd_url(url))]
        if problems:
            raise ValueError("; ".join(problems))
        if len(set(v)) != len(v):
            raise ValueError("lists a URL twice")
        return v


# `true`/`false` or the object: the discriminator keeps each error on the form the user wrote.
CIMD_FORMS = ("(cimd flag)", "(cimd object)")
MetadataDocumentsValue = Annotated[
    Annotated[bool, Tag("(cimd flag)")] | Annotated[MetadataDocumentsConfig, Tag("(cimd object)")],
    Discriminator(lambda v: "(cimd flag)" if isinstance(v, bool) else "(cimd object)"),
]


class TenantConfig(_Model):
    manage: bool = True
    dynamic_client_registration: bool = True
    # The owner's CIMD settings (MetadataDocumentsConfig); `false` for off. A stack that does not
    # own the tenant says `true` when its owner advertises CIMD, as it does for DCR.
    client_id_metadata_documents: MetadataDocumentsValue = False
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
    def cimd_clients(self) -> list[str]:
        """The metadata document URLs of the CIMD clients this stack registers."""
        cimd = self.client_id_metadata_documents
        return list(cimd.clients) if isinstance(cimd, MetadataDocumentsConfig) else []

    @property
    def cimd_dynamic(self) -> bool:
        cimd = self.client_id_metadata_documents
        return isinstance(cimd, MetadataDocumentsConfig) and cimd.dynamic

    @property
    def cimd_advertised(self) -> bool:
        """Whether the tenant says it supports CIMD (`client_id_metadata_document_supported`).
        MCP clients prefer CIMD where it is advertised, and the flag alone lets none in (Auth0:
        manual or dynamic registration does), so it is on only with a client declared or dynamic
        CIMD said to be on. A team stack's `true` repeats what its owner advertises."""
        cimd = self.client_id_metadata_documents
        if isinstance(cimd, MetadataDocumentsConfig):
            return bool(cimd.clients) or cimd.dynamic
        return cimd

    @property
    def third_party_clients(self) -> bool:
        """Whether MCP clients can register themselves: by DCR or by CIMD, both of which make
        third-party clients (Auth0). The one place this rule is written."""
        return self.dynamic_client_registration or self.cimd_advertised

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


# MCP versions an AgentCore gateway supports (AWS developer guide, "Use an AgentCore gateway"):
# the model's McpVersion is a bare string, so the guide's list is what is checked.
MCP_VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28")


def _mcp_version(v: str) -> str:
    if v not in MCP_VERSIONS:
        raise ValueError(f"not an MCP version AgentCore supports ({', '.join(MCP_VERSIONS)})")
    return v


def _mcp_member(member: str) -> dict[str, Any]:
    return awsmodel.member_shape("MCPGatewayConfiguration", member)


class McpConfig(_Model):
    """The gateway's protocolConfiguration.mcp (model: MCPGatewayConfiguration). A key left out
    is not managed: the live gateway's value is kept."""

    supported_versions: list[Annotated[str, AfterValidator(_mcp_version)]] | None = None
    search_type: str | None = None
    instructions: str | None = None

    @field_validator("supported_versions")
    @classmethod
    def _versions(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        if not v:
            raise ValueError(f"lists no version; leave the key out, or list some of {', '.join(MCP_VERSIONS)}")
        twice = sorted({x for x in v if v.count(x) > 1})
        if twice:
            raise ValueError("; ".join(f"lists {x!r} twice" for x in twice))
        return v

    @field_validator("search_type")
    @classmethod
    def _search_type(cls, v: str | None) -> str | None:
        accepted = list(_mcp_member("searchType").get("enum") or [])
        if v is not None and v not in accepted:
            raise ValueError(f"not a search type AgentCore knows; accepted (model, SearchType): {', '.join(accepted)}")
        return v

    @field_validator("instructions")
    @classmethod
    def _instructions(cls, v: str | None) -> str | None:
        shape = _mcp_member("instructions")
        low, high = int(shape.get("min", 0)), int(shape.get("max", 0))
        if v is not None and not low <= len(v) <= high:
            raise ValueError(f"{len(v)} characters; AgentCore takes {low} to {high} (model, McpInstructions)")
        return v

    def protocol_configuration(self) -> dict[str, Any]:
        """The keys set, as MCPGatewayConfiguration names them."""
        out = {
            "supportedVersions": self.supported_versions,
            "searchType": self.search_type,
            "instructions": self.instructions,
        }
        return {k: v for k, v in out.items() if v is not None}


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
    # The upstreams the gateway fronts, and which permission may call which of their tools.
    targets: list[TargetConfig] = []
    tool_access: ToolAccessConfig = ToolAccessConfig()
    mcp: McpConfig = Field(default_factory=McpConfig)

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
# these are ours, kept well inside what the Dashboard shows
# (docs/assumptions.md#a-roles-name-has-no-documented-limit).
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


# Credentials the gateway's targets use (API keys), by name: one object set leaf by leaf with
# `pulumi config set --secret --path 'mcpauth:targetSecrets.<name>' …`. Read by the program with
# require_secret_object, never into the models above, so its values stay Outputs marked secret.
TARGET_SECRETS = "targetSecrets"
PROJECT_KEYS = (*((f.alias or n) for n, f in ProjectConfig.model_fields.items()), TARGET_SECRETS)
