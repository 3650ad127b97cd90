"""The strings the gateway, Auth0 and MCP clients compare byte for byte, derived in one place."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MCP_PATH = "/mcp"
# OpenID Connect Discovery 1.0 §4: the configuration is at the issuer + this path.
WELL_KNOWN = "/.well-known/openid-configuration"


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


def aws_gateway_url(gateway_id: str, region: str) -> str:
    """The URL AWS gives a gateway: its id (model GatewayId `([0-9a-z][-]?){1,100}-[0-9a-z]{10}`:
    the lower-cased name, a hyphen, 10 characters), the AgentCore gateway domain, and `/mcp`."""
    return f"https://{gateway_id}.gateway.bedrock-agentcore.{region}.amazonaws.com{MCP_PATH}"


def domain_resource_url(domain: str) -> str:
    """A gateway's resource URL behind a custom domain: known before the gateway exists. Lower case,
    as `resource_url` writes a gateway's host and the gateway's domainOverride keeps it."""
    return f"https://{domain.lower()}{MCP_PATH}"


def discovery_url(issuer: str) -> str:
    """The CUSTOM_JWT authorizer's discovery URL for an issuer (Auth0's issuers end in `/`)."""
    return f"{issuer.rstrip('/')}{WELL_KNOWN}"


def issuer_of(discovery: str) -> str:
    """The issuer a discovery URL names, in Auth0's form (with the trailing slash)."""
    return discovery[: -len(WELL_KNOWN)] + "/" if discovery.endswith(WELL_KNOWN) else discovery
