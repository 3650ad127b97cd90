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
