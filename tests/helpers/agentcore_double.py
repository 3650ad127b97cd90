"""moto's bedrock-agentcore-control gateways, corrected where they accept what AWS refuses or
keep what AWS resets. A double encodes the service's documented facts; each fix names its source
("the model": botocore's data/bedrock-agentcore-control/2023-06-05/service-2.json).

- Every request is checked against the model (`agentcore.awsmodel.enforce_on`): moto checks no
  pattern, length or enum.
- Gateway ids are `<name>-<10 chars>` (model: GatewayId `([0-9a-z][-]?){1,100}-[0-9a-z]{10}`;
  moto makes 10 hex characters) and URLs end in `/mcp`, as the real service's do.
- UpdateGateway replaces the whole definition: an optional field it is not sent is reset (model:
  UpdateGateway documentation). moto keeps every field it is not sent.
- Fields moto does not store (domainOverride, wafConfiguration, customTransformConfiguration, and
  any later one) are stored and returned.
- Names are unique in an account (model: CreateGateway `name`): a second CreateGateway with a taken
  name is a ConflictException.
- Gateways are busy for a while, as AWS's are: CREATING (after CreateGateway) and UPDATING (after
  UpdateGateway) for one read before READY, DELETING for one read before they are gone (moto
  leaves UPDATING forever and deletes at once). A write to a busy gateway is a ConflictException,
  the error both UpdateGateway and DeleteGateway model (AWS does not document which states it
  covers; the stricter reading is taken).
- `clientToken` is an idempotency token (model: CreateGatewayRequest.clientToken, "If this token
  matches a previous request, the service ignores the request, but doesn't return an error"): a
  repeated token with the same request returns the first call's answer and creates nothing, even
  when that gateway has since been deleted. With other parameters it is an
  IdempotentParameterMismatch, the error of the idempotency page the model links (EC2 API
  reference, "Ensuring idempotency"); the model itself declares no such error for AgentCore, so
  the code is that page's, unconfirmed for this service. moto ignores the token.

Patches the classes in this process; the threaded moto server serves from it.
"""

from __future__ import annotations

import copy
import random
import string
from typing import Any

from agentcore import awsmodel

_PATCHED = "_mcpauth_double"


def install() -> None:
    from moto.bedrockagentcorecontrol import models, responses
    from moto.bedrockagentcorecontrol.exceptions import (
        BedrockAgentCoreControlClientError,
        ConflictException,
        ResourceNotFoundException,
    )
    from moto.core.responses import ActionResult
    from moto.moto_api import state_manager

    # Each read advances a busy gateway once (moto's "manual" progression): one busy read, then READY.
    state_manager.set_transition("bedrock-agentcore-control::gateway", {"progression": "manual", "times": 2})

    if getattr(models.Gateway, _PATCHED, False):
        return
    gateway_cls = models.Gateway
    backend_cls = models.BedrockAgentCoreControlBackend
    response_cls = responses.BedrockAgentCoreControlResponse
    handled = {
        "name",
        "roleArn",
        "protocolType",
        "authorizerType",
        "description",
        "protocolConfiguration",
        "authorizerConfiguration",
        "kmsKeyArn",
        "interceptorConfigurations",
        "policyEngineConfiguration",
        "exceptionLevel",
        "tags",
        "clientToken",
        "gatewayIdentifier",
    }
    original_init = gateway_cls.__init__
    original_to_dict = gateway_cls.to_dict

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=10))
        self.gateway_id = f"{self.name.lower()}-{suffix}"
        partition = awsmodel.partition_for(self.region_name)
        self.gateway_arn = (
            f"arn:{partition}:bedrock-agentcore:{self.region_name}:{self.account_id}:gateway/{self.gateway_id}"
        )
        self.gateway_url = f"https://{self.gateway_id}.gateway.bedrock-agentcore.{self.region_name}.amazonaws.com/mcp"
        self.extra = {}
        self._transitions = [("CREATING", "READY"), ("UPDATING", "READY")]

    def update(self: Any, **kw: Any) -> None:
        self.name = kw["name"]
        self.role_arn = kw["role_arn"]
        self.protocol_type = kw["protocol_type"]
        self.authorizer_type = kw["authorizer_type"]
        # Reset what was not sent.
        self.description = kw.get("description") or ""
        self.protocol_configuration = kw.get("protocol_configuration")
        self.authorizer_configuration = kw.get("authorizer_configuration")
        self.kms_key_arn = kw.get("kms_key_arn")
        self.interceptor_configurations = kw.get("interceptor_configurations")
        self.policy_engine_configuration = kw.get("policy_engine_configuration")
        self.exception_level = kw.get("exception_level")
        self.extra = {}
        self.updated_at = models.utcnow()
        self.status = "UPDATING"
        self._tick = 0

    def to_dict(self: Any) -> dict[str, Any]:
        out = original_to_dict(self)
        if not out.get("description"):
            out.pop("description", None)  # model: GatewayDescription is 1-200 characters
        out.update(getattr(self, "extra", {}))
        if getattr(self, "status_reasons", None):
            out["statusReasons"] = list(self.status_reasons)
        return out

    original_get = backend_cls.get_gateway
    original_update = backend_cls.update_gateway
    original_delete = backend_cls.delete_gateway

    def get_gateway(self: Any, gateway_identifier: str) -> Any:
        gw = self._get_gateway(gateway_identifier)
        if getattr(gw, "deleting_reads", None) is not None:
            if gw.deleting_reads == 0:
                self.gateways.pop(gw.gateway_id)
                raise ResourceNotFoundException(f"Could not find Gateway with ID {gateway_identifier}")
            gw.deleting_reads -= 1
            return gw
        return original_get(self, gateway_identifier)

    def _settled(gw: Any) -> None:
        if gw._status in ("CREATING", "UPDATING", "DELETING"):
            raise ConflictException(f"Gateway {gw.gateway_id} is {gw._status}")

    def update_gateway(self: Any, **kw: Any) -> Any:
        _settled(self._get_gateway(kw["gateway_identifier"]))
        return original_update(self, **kw)

    def delete_gateway(self: Any, gateway_identifier: str) -> Any:
        gw = self._get_gateway(gateway_identifier)
        _settled(gw)
        gw._status = "DELETING"
        gw._tick = 0
        gw.deleting_reads = 1
        return gw

    original_create = backend_cls.create_gateway

    def create_gateway(self: Any, **kw: Any) -> Any:
        if any(g.name == kw["name"] for g in self.gateways.values()):
            raise ConflictException(f"A gateway named {kw['name']} already exists")
        return original_create(self, **kw)

    class IdempotentParameterMismatch(BedrockAgentCoreControlClientError):
        code = "IdempotentParameterMismatch"

    def _idempotent(method: Any) -> Any:
        def wrapped(self: Any) -> Any:
            params = self._get_params()
            token = params.get("clientToken")
            if not token:
                return method(self)
            seen = self.backend.__dict__.setdefault("_mcpauth_tokens", {})
            request = {k: v for k, v in params.items() if k != "clientToken"}
            if token in seen:
                first_request, first_answer = seen[token]
                if first_request != request:
                    raise IdempotentParameterMismatch(
                        f"The client token {token} was already used with different parameters"
                    )
                return ActionResult(copy.deepcopy(first_answer))
            result = method(self)
            seen[token] = (request, copy.deepcopy(result.result))
            return result

        return wrapped

    def _keep_extra(method: Any) -> Any:
        def wrapped(self: Any) -> Any:
            params = self._get_params()
            result = method(self)
            data = result.result
            gid = data.get("gatewayId") if isinstance(data, dict) else None
            if gid:
                gw = self.backend.gateways[gid]
                gw.extra = {k: v for k, v in params.items() if k not in handled}
                data.update(gw.extra)
            return result

        return wrapped

    gateway_cls.__init__ = init  # type: ignore[method-assign]
    gateway_cls.update = update  # type: ignore[method-assign]
    gateway_cls.to_dict = to_dict  # type: ignore[method-assign]
    backend_cls.create_gateway = create_gateway  # type: ignore[method-assign]
    backend_cls.get_gateway = get_gateway  # type: ignore[method-assign]
    backend_cls.update_gateway = update_gateway  # type: ignore[method-assign]
    backend_cls.delete_gateway = delete_gateway  # type: ignore[method-assign]
    del original_delete
    response_cls.create_gateway = _idempotent(_keep_extra(response_cls.create_gateway))  # type: ignore[method-assign]
    response_cls.update_gateway = _keep_extra(response_cls.update_gateway)  # type: ignore[method-assign]
    setattr(gateway_cls, _PATCHED, True)


def set_status(gateway_id: str, status: str, reasons: list[str] | None = None) -> None:
    """Put a gateway into a status as AWS would after an event the double cannot produce
    (an update AWS could not apply: UPDATE_UNSUCCESSFUL; a create that failed: FAILED)."""
    from moto.bedrockagentcorecontrol.models import bedrockagentcorecontrol_backends

    for account in bedrockagentcorecontrol_backends.values():
        for backend in account.values():
            gw = backend.gateways.get(gateway_id)
            if gw is not None:
                gw._status = status
                gw._transitions = [("CREATING", "READY"), ("UPDATING", "READY")]
                gw.status_reasons = reasons or []
                return
    raise KeyError(gateway_id)
