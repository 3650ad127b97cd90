"""The gateway's IAM role: who may assume it. Pure; tested on its own."""

from __future__ import annotations

import json


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
