"""Names: the gateway's physical name and tags, the components' and resources' logical names.

No Pulumi here. The URLs Auth0 and the gateway compare are `rules.urls`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

# The gateway's create-time audience. AWS generates the gateway URL, so the real audience can
# only be set after CreateGateway (by the same resource's create, agentcore/client.py). No
# Auth0 API ever has this identifier, so no token can match it in between.
PLACEHOLDER_AUDIENCE_PREFIX = "urn:mcpauth:pending-authorizer:"


def placeholder_audience(gateway_name: str) -> str:
    return PLACEHOLDER_AUDIENCE_PREFIX + gateway_name


# AWS: GatewayName is ([0-9a-zA-Z][-]?){1,48} and unique in the account (model: CreateGateway
# `name`). The Terraform provider that pulumi-aws bridges still allows 100, so only the service
# refuses longer names.
GATEWAY_NAME_MAX = 48
_GATEWAY_NAME_RE = re.compile(r"([0-9a-zA-Z][-]?){1,48}")
_HASH_LEN = 8


# The organization Pulumi reports on a self-managed (DIY) backend, for every stack
# (pulumi/pulumi#11390, #13980); it tells no two stacks apart.
DIY_ORGANIZATION = "organization"


def gateway_physical_name(project: str, stack: str, gateway: str, organization: str | None = None) -> str:
    """A gateway name that fits AWS's pattern and is unique per organization, project, stack and
    gateway: `<gateway>-<stack>`, shortened to fit, then 8 characters of a hash of them. The hash
    tells apart pairs the readable part cannot (stack `eu-prod` + gateway `tools` and stack `prod`
    + gateway `tools-eu` both read `tools-eu-prod`), and two organizations' same-named stacks. The
    organization enters the hash only when it is one (not the DIY backend's constant), so names
    derived before it did are unchanged for those stacks; deployed gateways keep their name from
    the state anyway (`gateway_resource._Provider.check`)."""
    parts = [project, stack, gateway]
    if organization and organization != DIY_ORGANIZATION:
        parts.insert(0, organization)
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    suffix = base64.b32encode(digest).decode().lower()[:_HASH_LEN]
    readable = re.sub(r"-{2,}", "-", re.sub(r"[^0-9a-zA-Z]+", "-", f"{gateway}-{stack}")).strip("-")
    readable = readable[: GATEWAY_NAME_MAX - _HASH_LEN - 1].rstrip("-")
    name = f"{readable}-{suffix}" if readable else suffix
    if not _GATEWAY_NAME_RE.fullmatch(name):  # pragma: no cover - by construction
        raise ValueError(f"derived gateway name {name!r} does not fit AWS's GatewayName pattern")
    return name


def qualified_stack(organization: str | None, project: str, stack: str) -> str:
    """Pulumi's fully qualified stack name, `<organization>/<project>/<stack>` (Pulumi docs, "Stack
    references"). `pulumi.get_organization()` is None under mocks unless one is given
    (pulumi.runtime.mocks.set_mocks): the DIY backend's name stands in."""
    return f"{organization or DIY_ORGANIZATION}/{project}/{stack}"


# Tags that mark a gateway as created by this program for one project, stack and gateway, so a
# create interrupted after CreateGateway is resumed, not duplicated (model: TagKey and TagValue
# pattern [a-zA-Z0-9\s._:/=+@-]*, at most 50 tags). The qualified stack names the organization
# too: without it two organizations' `mcpauth/dev` stacks in one account resumed each other's
# gateway. Resuming requires every one of them.
TAG_PROJECT, TAG_STACK, TAG_GATEWAY = "mcpauth:project", "mcpauth:stack", "mcpauth:gateway"
TAG_QUALIFIED_STACK = "mcpauth:qualified-stack"


def legacy_gateway_name(stack: str, gateway: str) -> str:
    """The name the first release gave a gateway (`<gateway>-<stack>`, up to 100): looked for
    before creating, so an un-migrated stack is stopped instead of getting a second gateway."""
    slug_ = re.sub(r"[^0-9a-zA-Z]+", "-", f"{gateway}-{stack}").strip("-")
    return re.sub(r"-{2,}", "-", slug_)[:100].rstrip("-")


def role_grants(roles: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(role id, scope) pairs, each one RolePermission: a stack adds its API's permissions to a
    shared role without owning (and so without removing) what another stack added."""
    return [(role, scope) for role, scopes in roles.items() for scope in dict.fromkeys(scopes)]


def role_permission_name(api: str, role_id: str, scope: str) -> str:
    """Unique by construction: role ids and scope slugs never hold a `.` (role `mcp-user-read` +
    `tools` and `mcp-user` + `read:tools` joined with `-` were one name)."""
    return f"{api}-role-{role_id}.{slug(scope)}"


def role_permission_old_names(api: str, role_ids: Iterable[str], scope: str) -> list[str]:
    """The names a RolePermission had: the `-`-joined ones of the first releases, and those under
    a role's previous ids; aliased so that nothing is deleted and re-added."""
    out = []
    for i, rid in enumerate(role_ids):
        if i:
            out.append(role_permission_name(api, rid, scope))
        out.append(f"{api}-role-{rid}-{slug(scope)}")
    return out


# The components' logical names, per gateway: part of every URN under them, so a change here
# renames (replaces) every resource of every deployed stack. Written here once; the program
# names its components with these and the plan reads them back with `gateway_of`.
GATEWAY_COMPONENT, API_COMPONENT, CLIENT_COMPONENT = "gw-", "api-", "client-"


def gateway_component(gateway: str) -> str:
    return GATEWAY_COMPONENT + gateway


def api_component(gateway: str) -> str:
    return API_COMPONENT + gateway


def client_component(client: str) -> str:
    return CLIENT_COMPONENT + client


def gateway_of(component: str) -> str | None:
    """The gateway a McpGateway or McpApi component belongs to, from its logical name."""
    for prefix in (GATEWAY_COMPONENT, API_COMPONENT):
        if component.startswith(prefix):
            return component[len(prefix) :]
    return None


def cimd_slug(url: str) -> str:
    """A CIMD client's part of its resource name: the metadata document URL without its scheme,
    slugged (`https://app.example.com/oauth/client.json` -> `app-example-com-oauth-client-json`)."""
    return slug(url.split("://", 1)[-1])


def slug(text: str) -> str:
    """A Pulumi-name-safe slug for role and scope names (`MCP Admin` -> `mcp-admin`)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# The gateway's role is declared as `<component>-role` (components/gateway.py; the component is
# `gw-<gateway>`, `gateway_component` above) and pulumi-aws auto-names it: the logical name, `-`, and
# 7 random hex characters (Pulumi docs, FAQ "Why do resource names have random hex character
# suffixes?"; Resource names, autonaming). The first release named it the same way.
ROLE_NAME_PREFIX, ROLE_NAME_SUFFIX = "gw-", "-role"
_AUTONAME_SUFFIX = r"-[0-9a-f]{7}"


def is_gateway_role(role_arn: str, gateway: str) -> bool:
    """Whether `role_arn` is the role mcpauth auto-names for `gateway` (a default autonaming)."""
    name = role_arn.rsplit("/", 1)[-1]
    return bool(re.fullmatch(re.escape(f"{ROLE_NAME_PREFIX}{gateway}{ROLE_NAME_SUFFIX}") + _AUTONAME_SUFFIX, name))


def gateway_role_arn_pattern(account_id: str, partition: str = "aws") -> str:
    """An IAM resource pattern that matches every gateway role mcpauth auto-names in the account."""
    return f"arn:{partition}:iam::{account_id}:role/{ROLE_NAME_PREFIX}*{ROLE_NAME_SUFFIX}-*"
