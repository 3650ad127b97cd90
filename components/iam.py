"""The gateway's IAM role: who may assume it. Pure; tested on its own."""

from __future__ import annotations

import json
import re

# The gateway's role is declared as `<component>-role` (components/gateway.py; the component is
# `gw-<gateway>`, components/naming.py) and pulumi-aws auto-names it: the logical name, `-`, and
# 7 random hex characters (Pulumi docs, FAQ "Why do resource names have random hex character
# suffixes?"; Resource names, autonaming). The first release named it the same way.
ROLE_NAME_PREFIX, ROLE_NAME_SUFFIX = "gw-", "-role"
_AUTONAME_SUFFIX = r"-[0-9a-f]{7}"


def is_gateway_role(role_arn: str, gateway: str) -> bool:
    """Whether `role_arn` is the role mcpauth auto-names for `gateway` (a default autonaming)."""
    name = role_arn.rsplit("/", 1)[-1]
    return bool(re.fullmatch(re.escape(f"{ROLE_NAME_PREFIX}{gateway}{ROLE_NAME_SUFFIX}") + _AUTONAME_SUFFIX, name))


def gateway_role_arn_pattern(account_id: str, partition: str = "aws") -> str:
    """An IAM resource pattern that matches every gateway role mcpauth auto-names in the account."""
    return f"arn:{partition}:iam::{account_id}:role/{ROLE_NAME_PREFIX}*{ROLE_NAME_SUFFIX}-*"


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
