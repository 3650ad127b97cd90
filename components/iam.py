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
    if not statements:
        # IAM refuses a policy without statements (MalformedPolicyDocument;
        # otterize/intents-operator#481): the caller declares none instead.
        raise ValueError(f"gateway {gateway_name}: no credential, function or policy engine to grant its role")
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


# A gateway's targets, credential providers and policy engine (issue 26), declared with pulumi-aws's
# resources: each one's Create/Get/Update/Delete operation (service model, bedrock-agentcore-control
# 2023-06-05: CreateGatewayTarget … DeletePolicy); the IAM action of each has the operation's name
# (Service Authorization Reference, "Actions defined by Amazon Bedrock AgentCore").
_PREVIEW_TARGETS = (
    "bedrock-agentcore:GetGatewayTarget",
    "bedrock-agentcore:ListGatewayTargets",
    "bedrock-agentcore:GetOauth2CredentialProvider",
    "bedrock-agentcore:GetApiKeyCredentialProvider",
    "bedrock-agentcore:GetPolicyEngine",
    "bedrock-agentcore:GetPolicy",
)
_UP_TARGETS = (
    "bedrock-agentcore:CreateGatewayTarget",
    "bedrock-agentcore:UpdateGatewayTarget",
    "bedrock-agentcore:DeleteGatewayTarget",
    # Optional for `up`: what `aws bedrock-agentcore-control synchronize-gateway-targets` calls when
    # an upstream's tools change (docs/targets.md).
    "bedrock-agentcore:SynchronizeGatewayTargets",
    "bedrock-agentcore:CreateOauth2CredentialProvider",
    "bedrock-agentcore:UpdateOauth2CredentialProvider",
    "bedrock-agentcore:DeleteOauth2CredentialProvider",
    "bedrock-agentcore:CreateApiKeyCredentialProvider",
    "bedrock-agentcore:UpdateApiKeyCredentialProvider",
    "bedrock-agentcore:DeleteApiKeyCredentialProvider",
    # The first credential provider of an account creates its default token vault. Not in AWS's
    # docs as a caller requirement; public deploy examples grant it (CreateTokenVault, GetTokenVault)
    # beside the provider's own actions (docs/deploying.md#aws-permissions says so).
    "bedrock-agentcore:CreateTokenVault",
    "bedrock-agentcore:GetTokenVault",
    "bedrock-agentcore:CreatePolicyEngine",
    "bedrock-agentcore:UpdatePolicyEngine",
    "bedrock-agentcore:DeletePolicyEngine",
    "bedrock-agentcore:CreatePolicy",
    "bedrock-agentcore:UpdatePolicy",
    "bedrock-agentcore:DeletePolicy",
)
# AgentCore Identity keeps a provider's client secret or API key in a Secrets Manager secret it
# creates in the caller's account ("a token vault that automatically create[s] and manage[s] a secret
# in AWS Secrets Manager in your account for each Outbound credential provider": AWS ML blog,
# "Reference your own AWS Secrets Manager secrets in Amazon Bedrock AgentCore Identity"). Which
# secretsmanager actions the caller needs is not in AWS's docs; these are the ones public deploy
# examples grant, on any secret of the account (the secret's name prefix is not confirmed).
_UP_SECRETS = ("secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret")
_PREVIEW_SECRETS = ("secretsmanager:DescribeSecret",)
# The gateway role's inline policy (pulumi-aws iam.RolePolicy: PutRolePolicy, GetRolePolicy,
# DeleteRolePolicy in the IAM API).
_PREVIEW_ROLE_POLICY = ("iam:GetRolePolicy",)
_UP_ROLE_POLICY = ("iam:PutRolePolicy", "iam:DeleteRolePolicy")


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
        # Targets, credential providers, policy engines and policies: `*` as for the gateway.
        {
            "Effect": "Allow",
            "Action": list(_PREVIEW_TARGETS if preview else _PREVIEW_TARGETS + _UP_TARGETS),
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": list(_PREVIEW_SECRETS if preview else _PREVIEW_SECRETS + _UP_SECRETS),
            "Resource": f"arn:{partition}:secretsmanager:*:{account_id}:secret:*",
        },
        {
            "Effect": "Allow",
            "Action": list(
                _PREVIEW_ROLE + _PREVIEW_ROLE_POLICY
                if preview
                else _PREVIEW_ROLE + _PREVIEW_ROLE_POLICY + _UP_ROLE + _UP_ROLE_POLICY
            ),
            "Resource": roles,
        },
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
