"""The type tokens of the resources the rules, the plan and the pack read: written once.

Auth0's are pulumi-auth0's (`auth0:index/<resource>:<Resource>`, its schema); AWS's are
pulumi-aws's; ours are the dynamic resources' (`pulumi-python:dynamic/<module>:<type>`, as the
Python SDK's dynamic provider names them).
"""

from __future__ import annotations

# Auth0 (pulumi-auth0)
ACTION = "auth0:index/action:Action"
API = "auth0:index/resourceServer:ResourceServer"
API_SCOPE = "auth0:index/resourceServerScope:ResourceServerScope"
API_SCOPES = "auth0:index/resourceServerScopes:ResourceServerScopes"
CLIENT = "auth0:index/client:Client"
CLIENT_CIMD = "auth0:index/clientCimd:ClientCimd"
CLIENT_CREDENTIALS = "auth0:index/clientCredentials:ClientCredentials"
CLIENT_GRANT = "auth0:index/clientGrant:ClientGrant"
CONNECTION = "auth0:index/connection:Connection"
ROLE = "auth0:index/role:Role"
ROLE_PERMISSION = "auth0:index/rolePermission:RolePermission"
ROLE_PERMISSIONS = "auth0:index/rolePermissions:RolePermissions"
TENANT = "auth0:index/tenant:Tenant"
TRIGGER_ACTION = "auth0:index/triggerAction:TriggerAction"
TRIGGER_ACTIONS = "auth0:index/triggerActions:TriggerActions"
GET_ROLE = "auth0:index/getRole:getRole"  # a data source (invoke), not a resource

# AWS (pulumi-aws)
IAM_ROLE = "aws:iam/role:Role"
AWS_GATEWAY = "aws:bedrock/agentcoreGateway:AgentcoreGateway"  # pulumi-aws's, in other programs' stacks
GET_CALLER_IDENTITY = "aws:index/getCallerIdentity:getCallerIdentity"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
GATEWAY_TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget"
OAUTH2_PROVIDER = "aws:bedrock/agentcoreOauth2CredentialProvider:AgentcoreOauth2CredentialProvider"
API_KEY_PROVIDER = "aws:bedrock/agentcoreApiKeyCredentialProvider:AgentcoreApiKeyCredentialProvider"
POLICY_ENGINE = "aws:bedrock/agentcorePolicyEngine:AgentcorePolicyEngine"
POLICY = "aws:bedrock/agentcorePolicy:AgentcorePolicy"

# Ours (components/gateway_resource.py, components/authorizer.py)
MCP_GATEWAY = "pulumi-python:dynamic/mcpauth:AgentCoreGateway"  # the gateway and its authorizer
AUTHORIZER = "pulumi-python:dynamic/mcpauth:GatewayAuthorizer"  # the first release's, until migrated

# Our components whose children the rules tell apart by their place in the URN
GATEWAY_TARGETS = "mcpauth:index:GatewayTargets"  # a gateway's targets: upstream APIs, not gateways'


def under_targets(urn: str) -> bool:
    """A resource declared for a gateway's targets (an upstream's Auth0 API, the gateway's own
    machine client for it): a URN holds each ancestor's type, `$`-joined (Pulumi docs, "URNs")."""
    return f"{GATEWAY_TARGETS}$" in urn


# Pulumi's own
ROOT_STACK = "pulumi:pulumi:Stack"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
