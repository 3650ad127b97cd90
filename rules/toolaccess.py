"""Per-tool authorization on an AgentCore gateway: which Auth0 permission lets a caller list and
call which tool, written as the Cedar policies AgentCore Policy evaluates. Pure: no Pulumi, no
HTTP; the program, the plan, the sandbox and verify all build on it.

The facts it relies on (AWS, AgentCore developer guide, "Policy" chapter):
- each tool is the action `AgentCore::Action::"<target>___<tool>"` (three underscores; policy
  scope, "Action names by target type");
- a policy that names actions names the gateway by ARN, `resource == AgentCore::Gateway::"<arn>"`
  (schema constraints, "Resource Type": "must use specific ARNs to refer to specific actions");
- the principal of a JWT-authorized gateway is `AgentCore::OAuthUser`, and each claim of the token
  is a *string* tag of it: an array claim such as Auth0's `permissions` is its JSON text, so an
  element is matched with `like` on the quoted element, and a read of a missing tag is an error
  that denies, so every read is guarded by `hasTag` (policy conditions, "OAuth claims as tags");
- default deny, and `forbid` wins over `permit` (understanding Cedar policies, "Default deny").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# `<target>___<tool>`: how the gateway names a target's tool to clients and to Cedar.
TOOL_SEPARATOR = "___"
WILDCARD = "*"
# The token claim Auth0 fills with the caller's permissions when the API has RBAC on and
# "Add Permissions in the Access Token" (token_dialect access_token_authz), for users and for
# machine clients alike.
PERMISSIONS_CLAIM = "permissions"
# CreatePolicy / CreatePolicyEngine `name` (service model, PolicyName / PolicyEngineName):
# [A-Za-z][A-Za-z0-9_]*, 1-48 characters.
POLICY_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
POLICY_NAME_MAX = 48
# What a permission may hold here: printable ASCII without `"` or `\` (AllowedScopeType in the
# model, the alphabet an Auth0 scope shares with an allowed scope). `"` and `\` would be escaped in
# the claim's JSON text, and the quoted-element match below would then miss the permission.
PERMISSION_RE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")


class GrantError(ValueError):
    """A grant names a tool, target or permission that cannot be authorized as written."""


def action_name(target: str, tool: str) -> str:
    """The gateway's name for `tool` of `target`, as clients list it and as Cedar names it."""
    return f"{target}{TOOL_SEPARATOR}{tool}"


def split_action(action: str) -> tuple[str, str]:
    """(`target`, `tool`) of a `<target>___<tool>` name; a GrantError when it has no separator."""
    target, sep, tool = action.partition(TOOL_SEPARATOR)
    if not sep or not target or not tool:
        raise GrantError(f"{action!r} is not a gateway tool name: expected '<target>{TOOL_SEPARATOR}<tool>'")
    return target, tool


def expand_grants(
    grants: Mapping[str, Sequence[str]], tools: Mapping[str, Sequence[str]], *, key: str = "grants"
) -> dict[str, list[str]]:
    """Each permission's tools as gateway action names, with `<target>___*` expanded to every tool
    `tools` lists for that target. `tools` maps each target to its tools' names (from the target's
    declared schema, or the upstream's `tools/list`). Errors name `key`, the grant and what exists."""
    expanded: dict[str, list[str]] = {}
    for permission, names in grants.items():
        if not PERMISSION_RE.fullmatch(permission):
            raise GrantError(
                f"{key}: permission {permission!r} cannot be matched in a token's JSON claim: use printable "
                'ASCII without spaces, `"` or `\\`'
            )
        chosen: list[str] = []
        for name in names:
            target, tool = split_action(name)
            if target not in tools:
                known = ", ".join(sorted(tools)) or "none"
                raise GrantError(f"{key}.{permission}: {name!r} names target {target!r}; targets: {known}")
            listed = list(tools[target])
            if tool == WILDCARD:
                picked = listed
            elif tool in listed:
                picked = [tool]
            else:
                known = ", ".join(sorted(listed)) or "none"
                raise GrantError(
                    f"{key}.{permission}: {name!r}: target {target!r} has no tool {tool!r}; its tools: {known} "
                    f"(or '{target}{TOOL_SEPARATOR}{WILDCARD}' for all)"
                )
            chosen.extend(action_name(target, t) for t in picked if action_name(target, t) not in chosen)
        expanded[permission] = sorted(chosen)
    return expanded


def _cedar_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def element_pattern(permission: str) -> str:
    """A Cedar `like` pattern, as a Cedar string literal, that matches the JSON text of an array
    claim holding `permission` as an element, and nothing that merely contains it: the quotes are
    part of the pattern, so `read:tools` never matches `read:tools-admin`. `*` is the wildcard of
    `like` and `\\*` a literal star (Cedar policy syntax, `like`). PERMISSION_RE keeps `"` and
    `\\` out of `permission`, so nothing else needs escaping."""
    return '"*\\"' + permission.replace("*", "\\*") + '\\"*"'


def permit_policy(gateway_arn: str, actions: Iterable[str], permission: str, claim: str = PERMISSIONS_CLAIM) -> str:
    """The Cedar `permit` that lets a token carrying `permission` in `claim` call `actions` on the
    gateway `gateway_arn` (and see them in `tools/list`, which AgentCore filters by the same
    decision)."""
    listed = sorted(set(actions))
    if not listed:
        raise GrantError(f"permission {permission!r} grants no tool: a policy needs at least one action")
    action_list = ", ".join(f"AgentCore::Action::{_cedar_string(a)}" for a in listed)
    tag = _cedar_string(claim)
    return (
        "permit(\n"
        "  principal is AgentCore::OAuthUser,\n"
        f"  action in [{action_list}],\n"
        f"  resource == AgentCore::Gateway::{_cedar_string(gateway_arn)}\n"
        ") when {\n"
        f"  principal.hasTag({tag}) && principal.getTag({tag}) like {element_pattern(permission)}\n"
        "};"
    )


def policy_name(gateway: str, permission: str) -> str:
    """A CreatePolicy name for `permission`'s grant on `gateway`: the model's alphabet (no `-`,
    no `:`), at most 48 characters, stable across runs; the hash keeps apart two grants whose
    names differ only in characters the alphabet refuses (`read:tools` and `read-tools`)."""
    digest = hashlib.sha256(f"{gateway}\0{permission}".encode()).hexdigest()[:8]
    stem = re.sub(r"[^A-Za-z0-9]+", "_", f"{gateway}_{permission}").strip("_")
    return f"p_{stem[: POLICY_NAME_MAX - len(digest) - 3]}_{digest}"


def claim_tags(claims: Mapping[str, object]) -> dict[str, str]:
    """The principal's tags AgentCore builds from a token's claims: every claim a string, a string
    claim as it is, anything else as its JSON text (an array such as `permissions` becomes
    `["read:tools","execute:tools"]`). AWS does not document the JSON text's spacing, so the
    patterns above match with or without spaces; the sandbox uses this mapping, tests try both."""
    return {
        name: value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        for name, value in claims.items()
    }


def policy_engine_name(gateway_physical_name: str) -> str:
    """A CreatePolicyEngine name for the gateway (PolicyEngineName: the alphabet of policy names,
    1-48): its AWS name with `-` as `_`, shortened with a hash when it must be."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", gateway_physical_name).strip("_")
    if len(stem) + 2 <= POLICY_NAME_MAX:
        return f"e_{stem}"
    digest = hashlib.sha256(gateway_physical_name.encode()).hexdigest()[:8]
    return f"e_{stem[: POLICY_NAME_MAX - len(digest) - 3]}_{digest}"


@dataclass(frozen=True)
class AccessChange:
    role: str
    tool: str
    gained: bool

    def __str__(self) -> str:
        return f"{self.role} {'gains' if self.gained else 'loses'} `{self.tool}`"


def role_tools(
    expanded: Mapping[str, Sequence[str]], role_permissions: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """The tools each role may call: the union of what its permissions grant."""
    return {
        role: sorted({tool for p in permissions for tool in expanded.get(p, ())})
        for role, permissions in role_permissions.items()
    }


def ungranted(expanded: Mapping[str, Sequence[str]], tools: Mapping[str, Sequence[str]]) -> list[str]:
    """Tools no permission grants: under default deny nobody can call them (the plan warns)."""
    granted = {tool for names in expanded.values() for tool in names}
    every = {action_name(target, tool) for target, names in tools.items() for tool in names}
    return sorted(every - granted)


def access_changes(before: Mapping[str, Sequence[str]], after: Mapping[str, Sequence[str]]) -> list[AccessChange]:
    """What each role gains and loses between two `role_tools` tables, role by role."""
    changes: list[AccessChange] = []
    for role in sorted(set(before) | set(after)):
        old, new = set(before.get(role, ())), set(after.get(role, ()))
        changes += [AccessChange(role, tool, False) for tool in sorted(old - new)]
        changes += [AccessChange(role, tool, True) for tool in sorted(new - old)]
    return changes
