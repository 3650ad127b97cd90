"""Pure functions shared by the components, the authorizer provider, the plan and the policies.

No Pulumi here: these decide the bytes that Auth0 and the gateway compare, so they are tested
on their own, directly.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

MCP_PATH = "/mcp"

# The gateway's create-time audience. AWS generates the gateway URL, so the real audience can
# only be set after creation (by our GatewayAuthorizer). No Auth0 API ever has this identifier,
# so no token can match it in the seconds between the two steps.
PLACEHOLDER_AUDIENCE_PREFIX = "urn:mcpauth:pending-authorizer:"


def placeholder_audience(gateway_name: str) -> str:
    return PLACEHOLDER_AUDIENCE_PREFIX + gateway_name


def resource_url(gateway_url: str) -> str:
    """The MCP resource URL of a gateway: its URL ending in exactly one `/mcp`, no trailing slash.

    AWS returns the gateway URL with `/mcp` (the real service) or without it (moto, older SDKs);
    MCP clients send what the gateway advertises, so this is the one string Auth0's API
    identifier, the token's `aud` and the authorizer's allowed audience must all equal.
    """
    parts = urlsplit(gateway_url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"gateway URL {gateway_url!r} is not an https URL")
    if parts.query or parts.fragment:
        raise ValueError(f"gateway URL {gateway_url!r} has a query or fragment")
    path = re.sub(r"/+$", "", parts.path)
    while path.endswith(MCP_PATH):
        path = path[: -len(MCP_PATH)].rstrip("/")
    return urlunsplit(("https", parts.netloc.lower(), path + MCP_PATH, "", ""))


def discovery_url(issuer: str) -> str:
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def gateway_physical_name(stack: str, gateway: str) -> str:
    """AWS gateway names: ([0-9a-zA-Z][-]?){1,100}, unique per account and region; the stack
    name is part of it so two environments in one account never collide."""
    slug = re.sub(r"[^0-9a-zA-Z]+", "-", f"{gateway}-{stack}").strip("-")
    slug = re.sub(r"-{2,}", "-", slug)
    return slug[:100].rstrip("-")


def gateway_trust_policy(account_id: str, region: str) -> str:
    """Only AgentCore gateways in this account and region may assume the gateway role
    (the confused-deputy conditions AWS recommends for service roles)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock-agentcore:{region}:{account_id}:*"},
                    },
                }
            ],
        },
        sort_keys=True,
    )


def permission_claim_rules(required_permissions: list[str]) -> list[dict[str, Any]]:
    """The gateway-side claim rules for `requiredPermissions`, in the AgentCore API's shape:
    the token's `permissions` array must contain each one."""
    return [
        {
            "inboundTokenClaimName": "permissions",
            "inboundTokenClaimValueType": "STRING_ARRAY",
            "authorizingClaimMatchValue": {
                "claimMatchOperator": "CONTAINS",
                "claimMatchValue": {"matchValueString": perm},
            },
        }
        for perm in required_permissions
    ]


def role_grants(roles: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(role, scope) pairs, each one RolePermission: a stack adds its API's permissions to a
    shared role without owning (and so without removing) what another stack added."""
    return [(role, scope) for role, scopes in roles.items() for scope in dict.fromkeys(scopes)]


def slug(text: str) -> str:
    """A Pulumi-name-safe slug for role and scope names (`MCP Admin` -> `mcp-admin`)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
