"""The gateway role's own policies as IAM reads them: who may assume the role (only AgentCore, for
this account and region), and what the role may use to call its targets, scoped to exactly what the
stack creates (the statements of the console-generated policy the AWS CDK mirrors)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.iam import gateway_outbound_policy, gateway_trust_policy

ACCOUNT, REGION, GATEWAY = "111122223333", "eu-west-1", "mcpauth-dev-tools"
BASE = f"arn:aws-cn:bedrock-agentcore:{REGION}:{ACCOUNT}"
DIRECTORY = f"{BASE}:workload-identity-directory/default"
IDENTITIES = f"{DIRECTORY}/workload-identity/{GATEWAY}-*"
VAULT = f"{BASE}:token-vault/default"
OAUTH = [f"{VAULT}/oauth2credentialprovider/b", f"{VAULT}/oauth2credentialprovider/a"]
KEYS = [f"{VAULT}/apikeycredentialprovider/k"]
SECRETS = ["arn:aws-cn:secretsmanager:eu-west-1:111122223333:secret:z", "arn:aws-cn:secretsmanager:x:1:secret:a"]
LAMBDAS = ["arn:aws-cn:lambda:eu-west-1:111122223333:function:tools", "arn:aws-cn:lambda:x:1:function:a"]
ENGINE = f"{BASE}:policy-engine/tools-engine"


def outbound(**given: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "oauth_providers": [],
        "api_key_providers": [],
        "secret_arns": [],
        "lambda_arns": [],
        "policy_engine_arn": None,
        **given,
    }
    text = gateway_outbound_policy(partition="aws-cn", region=REGION, account_id=ACCOUNT, gateway_name=GATEWAY, **args)
    policy: dict[str, Any] = json.loads(text)
    assert policy["Version"] == "2012-10-17"
    assert {s["Effect"] for s in policy["Statement"]} == {"Allow"}
    return {s.pop("Sid"): {k: v for k, v in s.items() if k != "Effect"} for s in policy["Statement"]}


def test_the_role_can_be_assumed_only_by_agentcore_for_this_account_and_region() -> None:
    policy = json.loads(gateway_trust_policy(ACCOUNT, REGION, "aws-cn"))
    assert policy["Version"] == "2012-10-17"
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"{BASE}:*"},
    }


def test_an_oauth_target_gets_a_workload_token_and_the_providers_token_and_secret() -> None:
    statements = outbound(oauth_providers=OAUTH, secret_arns=SECRETS)
    assert statements == {
        "WorkloadIdentity": {
            "Action": [
                "bedrock-agentcore:GetWorkloadAccessToken",
                "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
                "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
            ],
            "Resource": [DIRECTORY, IDENTITIES],
        },
        "OAuthToken": {
            "Action": ["bedrock-agentcore:GetResourceOauth2Token"],
            "Resource": [VAULT, *sorted(OAUTH), DIRECTORY, IDENTITIES],
        },
        "ProviderSecrets": {"Action": ["secretsmanager:GetSecretValue"], "Resource": sorted(SECRETS)},
    }


def test_an_api_key_target_gets_a_workload_token_and_the_key() -> None:
    statements = outbound(api_key_providers=KEYS, secret_arns=SECRETS[:1])
    assert statements == {
        "WorkloadIdentity": {
            "Action": ["bedrock-agentcore:GetWorkloadAccessToken"],
            "Resource": [DIRECTORY, IDENTITIES],
        },
        "ApiKey": {
            "Action": ["bedrock-agentcore:GetResourceApiKey"],
            "Resource": [VAULT, *KEYS, DIRECTORY, IDENTITIES],
        },
        "ProviderSecrets": {"Action": ["secretsmanager:GetSecretValue"], "Resource": SECRETS[:1]},
    }


def test_both_kinds_share_one_workload_identity_statement_with_the_oauth_actions() -> None:
    statements = outbound(oauth_providers=OAUTH[:1], api_key_providers=KEYS)
    assert set(statements) == {"WorkloadIdentity", "OAuthToken", "ApiKey"}
    assert len(statements["WorkloadIdentity"]["Action"]) == 3


def test_lambda_targets_and_the_policy_engine_are_granted_alone() -> None:
    assert outbound(lambda_arns=LAMBDAS) == {
        "LambdaTargets": {"Action": ["lambda:InvokeFunction"], "Resource": sorted(LAMBDAS)}
    }
    assert outbound(policy_engine_arn=ENGINE) == {
        "PolicyEngine": {
            "Action": [
                "bedrock-agentcore:AuthorizeAction",
                "bedrock-agentcore:PartiallyAuthorizeActions",
                "bedrock-agentcore:GetPolicyEngine",
            ],
            "Resource": [ENGINE, f"{BASE}:gateway/{GATEWAY}-*"],
        }
    }


def test_nothing_to_grant_is_refused_rather_than_sent_to_iam() -> None:
    with pytest.raises(ValueError, match=f"gateway {GATEWAY}: no credential, function or policy engine"):
        outbound()
