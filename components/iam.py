"""The gateway's IAM role: who may assume it. Pure; tested on its own."""

from __future__ import annotations

import json
from typing import Any

from rules.naming import gateway_role_arn_pattern


def gateway_trust_policy(account_id: str, region: str, partition: str = "aws") -> str:
    """Only AgentCore gateways in this account and region may assume the gateway role (the
    confused-deputy conditions of AWS's gateway prerequisites page: aws:SourceAccount and
    aws:SourceArn)."""
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
                        "ArnLike": {"aws:SourceArn": f"arn:{partition}:bedrock-agentcore:{region}:{account_id}:*"},
                    },
                }
            ],
        },
        sort_keys=True,
    )


def gateway_outbound_policy(
    *,
    partition: str,
    region: str,
    account_id: str,
    gateway_name: str,
    oauth_providers: list[str],
    api_key_providers: list[str],
    secret_arns: list[str],
    lambda_arns: list[str],
    policy_engine_arn: str | None,
) -> str:
    """What the gateway's role needs to call its targets and consult its policy engine, scoped to
    what this stack creates. The statements follow the console-generated policy that the AWS CDK
    mirrors (aws-cdk, aws-bedrock-agentcore-alpha lib/gateway/perms.ts and outbound-auth/*.ts):
    a workload access token from the default directory for an identity named after the gateway,
    the provider's token or key from the default token vault, and the provider's secret. The policy
    engine's three actions are the ones AWS says the role must hold before an engine is attached
    (developer guide, "AgentCore Gateway and Policy in AgentCore IAM Permissions")."""
    base = f"arn:{partition}:bedrock-agentcore:{region}:{account_id}"
    directory = f"{base}:workload-identity-directory/default"
    identities = f"{directory}/workload-identity/{gateway_name}-*"
    vault = f"{base}:token-vault/default"
    statements: list[dict[str, object]] = []
    if oauth_providers or api_key_providers:
        actions = ["bedrock-agentcore:GetWorkloadAccessToken"]
        if oauth_providers:
            actions += [
                "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
                "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
            ]
        statements.append({"Sid": "WorkloadIdentity", "Action": actions, "Resource": [directory, identities]})
    if oauth_providers:
        resources = [vault, *sorted(oauth_providers), directory, identities]
        statements.append(
            {"Sid": "OAuthToken", "Action": ["bedrock-agentcore:GetResourceOauth2Token"], "Resource": resources}
        )
    if api_key_providers:
        resources = [vault, *sorted(api_key_providers), directory, identities]
        statements.append({"Sid": "ApiKey", "Action": ["bedrock-agentcore:GetResourceApiKey"], "Resource": resources})
    if secret_arns:
        statements.append(
            {"Sid": "ProviderSecrets", "Action": ["secretsmanager:GetSecretValue"], "Resource": sorted(secret_arns)}
        )
    if lambda_arns:
        statements.append(
            {"Sid": "LambdaTargets", "Action": ["lambda:InvokeFunction"], "Resource": sorted(lambda_arns)}
        )
    if policy_engine_arn:
        statements.append(
            {
                "Sid": "PolicyEngine",
                "Action": [
                    "bedrock-agentcore:AuthorizeAction",
                    "bedrock-agentcore:PartiallyAuthorizeActions",
                    "bedrock-agentcore:GetPolicyEngine",
                ],
                "Resource": [policy_engine_arn, f"{base}:gateway/{gateway_name}-*"],
            }
        )
    for statement in statements:
        statement["Effect"] = "Allow"
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


# What the deployer calls, from the code that calls it: pulumi-aws for the role (create, read,
# update, delete), agentcore/client.py for the gateway, STS for the account id
# (aws.get_caller_identity, aws:allowedAccountIds) and for the aws:assumeRoles chain.
_PREVIEW_GATEWAY = ("bedrock-agentcore:GetGateway", "bedrock-agentcore:ListTagsForResource")
_UP_GATEWAY = (
    "bedrock-agentcore:CreateGateway",
    "bedrock-agentcore:UpdateGateway",
    "bedrock-agentcore:DeleteGateway",
    "bedrock-agentcore:ListGateways",
    "bedrock-agentcore:TagResource",
    "bedrock-agentcore:UntagResource",
)
_PREVIEW_ROLE = ("iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies")
_UP_ROLE = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:UpdateRoleDescription",
    "iam:UpdateAssumeRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListInstanceProfilesForRole",
)


def deployer_policy(
    account_id: str, partition: str = "aws", *, assume_role_arns: tuple[str, ...] = (), preview: bool = False
) -> dict[str, Any]:
    """The deployer's IAM policy for the gateways (`preview`: the read-only set a `pulumi preview`
    needs, which reads the live gateway and its tags in every diff). With aws:assumeRoles the
    credentials that start the chain need sts:AssumeRole on its first role, as pulumi-aws and
    agentcore/client.py both assume it, in previews too; each role then needs it on the next."""
    roles = gateway_role_arn_pattern(account_id, partition)
    statements: list[dict[str, Any]] = [
        # Which AgentCore actions take a gateway ARN as their resource is not confirmed here: `*`.
        {
            "Effect": "Allow",
            "Action": list(_PREVIEW_GATEWAY if preview else _PREVIEW_GATEWAY + _UP_GATEWAY),
            "Resource": "*",
        },
        {"Effect": "Allow", "Action": list(_PREVIEW_ROLE if preview else _PREVIEW_ROLE + _UP_ROLE), "Resource": roles},
        {"Effect": "Allow", "Action": ["sts:GetCallerIdentity"], "Resource": "*"},
    ]
    if not preview:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": roles,
                # The condition AWS's BedrockAgentCoreFullAccess managed policy uses.
                "Condition": {"StringEquals": {"iam:PassedToService": "bedrock-agentcore.amazonaws.com"}},
            }
        )
    if assume_role_arns:
        statements.append({"Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": assume_role_arns[0]})
    return {"Version": "2012-10-17", "Statement": statements}
