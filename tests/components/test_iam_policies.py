"""The deployer's IAM policy as IAM reads it: every statement an `Allow` (IAM's values are
case-sensitive: `Effect` must be exactly `Allow` or `Deny`, `Version` a known date; IAM JSON policy
reference, "Effect" and "Version"), the role actions only on mcpauth's role pattern in the stack's
partition, and the preview set free of every write."""

from __future__ import annotations

import re

from components.iam import deployer_policy

ACCOUNT = "111122223333"
ROLES = f"arn:aws-cn:iam::{ACCOUNT}:role/gw-*-role-*"


def test_every_statement_is_an_allow_in_a_2012_policy() -> None:
    chain = (f"arn:aws:iam::{ACCOUNT}:role/deploy",)
    for preview in (False, True):
        policy = deployer_policy(ACCOUNT, "aws-cn", assume_role_arns=chain, preview=preview)
        assert policy["Version"] == "2012-10-17"
        assert {s["Effect"] for s in policy["Statement"]} == {"Allow"}
        assert all(set(s) <= {"Effect", "Action", "Resource", "Condition"} for s in policy["Statement"])


def test_the_role_actions_are_on_the_partitions_role_pattern() -> None:
    policy = deployer_policy(ACCOUNT, "aws-cn")
    actions = [a for s in policy["Statement"] if s["Resource"] == ROLES for a in s["Action"]]
    assert {"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:PassRole"} <= set(actions)


def test_up_can_write_and_preview_cannot() -> None:
    def actions(preview: bool) -> set[str]:
        return {a for s in deployer_policy(ACCOUNT, preview=preview)["Statement"] for a in s["Action"]}

    up, preview = actions(False), actions(True)
    assert {"bedrock-agentcore:CreateGateway", "bedrock-agentcore:DeleteGateway", "iam:CreateRole"} <= up
    # The preview set reads only (Get/List/Describe), and holds what every preview reads.
    assert all(re.fullmatch(r"[a-z0-9-]+:(Get|List|Describe)[A-Za-z0-9]*", a) for a in preview), preview
    assert (
        {
            "bedrock-agentcore:GetGateway",
            "bedrock-agentcore:ListTagsForResource",
            "iam:GetRole",
            "iam:ListRolePolicies",
            "iam:ListAttachedRolePolicies",
            "sts:GetCallerIdentity",
        }
        <= preview
        <= up
    )
