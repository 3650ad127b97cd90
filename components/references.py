"""What stacks sharing one tenant hand each other through StackReferences: the owner exports its
roles' ids and the tenant's flags; a team reads them; the owner reads the teams' API identifiers.

The functions that read a referenced stack's output run inside an `apply`, so what they raise
stops the preview (and the offline plan) with its message, before anything is created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pulumi

from rules.naming import slug
from stackconfig.model import NAMESPACE, TenantConfig

# The stack output team stacks read, and the StackReferences' logical names.
TENANT_OUTPUT: Final = "tenant"
OWNER_REFERENCE = "tenant-owner"


def team_reference(stack_name: str) -> str:
    return f"team-{slug(stack_name)}"


def tenant_output(role_ids: Mapping[str, pulumi.Input[str]], tenant: TenantConfig) -> dict[str, Any]:
    """The owner's `tenant` output: its roles' Auth0 ids by role id (mcpauth:roles), and whether MCP
    clients may register themselves (a team declares its API's default third-party grant by it)."""
    return {
        "roles": dict(role_ids),
        "dynamicClientRegistration": tenant.dynamic_client_registration,
        "clientIdMetadataDocuments": tenant.cimd_advertised,
    }


class ReferenceError(pulumi.RunError):
    """A referenced stack's outputs do not hold what this stack needs."""


def owner_role_id(exported: Any, role: str, owner: str, third_party: bool) -> str:
    """The Auth0 id of `role` from the owner's `tenant` output, after checking the owner's flags
    agree with this stack's: a team whose config says MCP clients cannot register would leave its
    API without the default grant they need (and one that says they can, a grant nobody uses)."""
    # None when the owner has no such output (StackReference.get_output, pulumi/stack_reference.py).
    if not isinstance(exported, Mapping) or not isinstance(exported.get("roles"), Mapping):
        raise ReferenceError(
            f"{NAMESPACE}:tenant.owner: stack {owner} has no `{TENANT_OUTPUT}` output: run `make up` there first "
            "(with this version of mcpauth), or check the name (`pulumi stack ls --all`)"
        )
    owner_third_party = bool(exported.get("dynamicClientRegistration")) or bool(
        exported.get("clientIdMetadataDocuments")
    )
    if owner_third_party != third_party:
        raise ReferenceError(
            f"{NAMESPACE}:tenant: the owner {owner} has dynamicClientRegistration "
            f"{bool(exported.get('dynamicClientRegistration'))} and clientIdMetadataDocuments "
            f"{bool(exported.get('clientIdMetadataDocuments'))}, but this stack's flags say MCP clients "
            f"{'can' if third_party else 'cannot'} register: set them as the owner has them"
        )
    roles = exported["roles"]
    if role not in roles or not isinstance(roles[role], str):
        known = ", ".join(sorted(str(r) for r in roles)) or "(none)"
        raise ReferenceError(
            f"{NAMESPACE}:roles: role {role!r} is not among the roles the owner {owner} exports ({known}): "
            "add it to the owner's mcpauth:roles (same id), or use one of those"
        )
    return str(roles[role])


def team_api_identifiers(gateways: Any, team: str) -> list[str]:
    """A team stack's API identifiers from its `gateways` output. A team that has not run `up`
    yet has none (`StackReference.get_output` answers None for an output the stack lacks:
    pulumi/stack_reference.py): the owner's next `up` after the team's adds them."""
    if gateways is None:
        pulumi.log.warn(
            f"{NAMESPACE}:tenant.teamStacks: {team} has no `gateways` output yet; its APIs get the claims "
            "after its first `up`, on this stack's next `up`"
        )
        return []
    if not isinstance(gateways, Mapping):
        raise ReferenceError(f"{NAMESPACE}:tenant.teamStacks: {team}'s `gateways` output is not an mcpauth stack's")
    return sorted(str(gw["apiIdentifier"]) for gw in gateways.values() if isinstance(gw, Mapping))
