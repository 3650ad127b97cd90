"""Loaded by the provider-host process the tests start (PYTHONPATH=tests/hostpath): every
bedrock-agentcore-control client it makes refuses what the AWS service model refuses, as the
tests' in-process clients do (agentcore.awsmodel.enforce_on), and moto's gaps are closed the
same way only in the moto server process (tests/helpers/agentcore_double.py), not here."""

from __future__ import annotations

from typing import Any

import boto3.session

_client = boto3.session.Session.client


def _enforced(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
    client = _client(self, service_name, *args, **kwargs)
    if service_name == "bedrock-agentcore-control":
        from agentcore.awsmodel import enforce_on

        enforce_on(client)
    return client


boto3.session.Session.client = _enforced  # type: ignore[method-assign]
