"""The AgentCore gateway through the AgentCore control API: create, converge, read, delete.

Plain boto3, no Pulumi: the dynamic resource in `gateway_resource.py` calls it, and the tests run
it against a real moto server whose every call is checked against AWS's service model
(`agentcore.awsmodel.enforce_on`). Every AWS behaviour relied on is cited where it is used; "the
model" is botocore's `data/bedrock-agentcore-control/2023-06-05/service-2.json` (pinned boto3).

One owner for the gateway's mutable settings: the gateway is read, the wanted settings are merged
into what AWS returned, and the whole definition is written back only when something we own
differs. So a field we do not own (a WAF failure mode, an interceptor, a private endpoint on the
JWT authorizer, one AWS adds next year) is carried over, never reset.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

from agentcore import awsmodel
from rules.naming import TAG_GATEWAY, TAG_PROJECT, TAG_QUALIFIED_STACK, TAG_STACK, is_gateway_role, placeholder_audience
from rules.urls import domain_resource_url, resource_url

# Statuses (model: GatewayStatus). Settled ones end a wait.
_BUSY = frozenset({"CREATING", "UPDATING", "DELETING"})
# UPDATE_UNSUCCESSFUL is one of the model's GatewayStatus values, documented nowhere beyond the
# enum ("The current status of the gateway": GetGatewayResponse.status). Its meaning here, "the last
# UpdateGateway did not apply", is read from the name; what the gateway then serves is not
# documented (docs/assumptions.md#what-an-update_unsuccessful-gateway-serves). Terraform waits for
# READY after UpdateGateway and fails on any other settled status, with the status reasons (terraform-provider-aws,
# internal/service/bedrockagentcore/gateway.go, waitGatewayUpdated): so do we. Found at the start of
# a converge, it is repaired by sending the whole wanted definition again. That is our inference:
# UpdateGateway models no state error other than ConflictException, so nothing says it is refused.
_RETRYABLE = "UPDATE_UNSUCCESSFUL"
_FAILED = "FAILED"

# The JWT authorizer settings this program owns; every other key of `customJWTAuthorizer`
# (privateEndpoint, privateEndpointOverrides, certificateConfigurations, allowedWorkloadConfiguration,
# and keys AWS adds later) is carried over from the live gateway.
OWNED_JWT_KEYS = ("discoveryUrl", "allowedAudience", "allowedClients", "allowedScopes", "customClaims")

# IAM is eventually consistent: a role created a moment ago may not be assumable by AgentCore yet.
# AWS's own gateway tutorial sleeps 10 s after CreateRole (awslabs/amazon-bedrock-agentcore-samples,
# 01-tutorials/02-AgentCore-gateway/utils.py). What CreateGateway answers then is not documented
# (unconfirmed for gateways); for its sibling resources AgentCore answers a ValidationException
# "... role validation failed" or "... valid trust policy", the two messages terraform-provider-aws
# retries on for IAM propagation (internal/service/bedrockagentcore/browser.go,
# code_interpreter.go, memory.go). Only those are retried, for up to this long: a refusal that
# merely names a role (the deployer lacking iam:PassRole, a malformed ARN) will not heal by waiting.
ROLE_NOT_READY = ("role validation failed", "valid trust policy")
ROLE_PROPAGATION_SECONDS = 60.0

# How often a busy gateway is polled, and a create the role refused is tried again;
# MCPAUTH_AGENTCORE_POLL_SECONDS overrides the polling (the tests poll fast).
POLL_SECONDS = 5.0
POLL_SECONDS_ENV = "MCPAUTH_AGENTCORE_POLL_SECONDS"


def poll_seconds(interval: float | None = None) -> float:
    return interval if interval is not None else float(os.environ.get(POLL_SECONDS_ENV) or POLL_SECONDS)


# How long a busy gateway is waited for, per create, update or delete: Terraform's 30 minutes
# (terraform-provider-aws, internal/service/bedrockagentcore/gateway.go, SetDefaultCreateTimeout /
# Update / Delete). Pulumi's `customTimeouts` cannot set it: the engine sends them in the
# Create/Update/Delete request's `timeout`, but the Python dynamic provider host
# (pulumi/dynamic/__main__.py) does not pass that on to the provider. This variable does.
TIMEOUT_SECONDS_ENV = "MCPAUTH_AGENTCORE_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 1800.0


def wait_timeout(timeout: float | None = None) -> float:
    if timeout is not None:
        return timeout
    raw = os.environ.get(TIMEOUT_SECONDS_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise AgentCoreError(f"{TIMEOUT_SECONDS_ENV}: got {raw!r}; a number of seconds above 0, e.g. 3600")
    return value


class Waits(TypedDict, total=False):
    """How every wait on a gateway here is paced, all by keyword and all optional."""

    timeout: float | None  # seconds per wait; None: wait_timeout()'s default
    interval: float | None  # seconds between polls; None: poll_seconds()'s default
    sleep: Callable[[float], None]  # time.sleep; the tests pass a recorder
    clock: Callable[[], float]  # time.monotonic; the tests pass a scripted clock


def _pace(waits: Waits) -> tuple[Callable[[float], None], Callable[[], float]]:
    return waits.get("sleep", time.sleep), waits.get("clock", time.monotonic)


class AgentCoreError(Exception):
    """An AgentCore API failure, named by its AWS error code and the gateway. `code` and
    `aws_message` are AWS's own (ClientError's Error.Code and Error.Message), empty for a failure
    raised here, so callers match on what AWS said rather than on the text we built around it."""

    def __init__(self, message: str, code: str = "", aws_message: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.aws_message = aws_message


class GatewayGone(AgentCoreError):
    """GetGateway answered ResourceNotFoundException."""


class GatewayFailed(AgentCoreError):
    """The gateway reached FAILED: it serves nothing and cannot be updated into shape."""


@dataclass(frozen=True)
class ClientSettings:
    """Where and as whom the AgentCore calls are made: the AWS provider's own config keys
    (`aws:region`, `aws:profile`, `aws:assumeRoles`, `aws:endpoints`, ...), so the gateway and the
    IAM role pulumi-aws creates land in the same account. See `stackconfig.aws`."""

    region: str
    profile: str | None = None
    assume_roles: tuple[Mapping[str, Any], ...] = ()
    endpoint: str | None = None
    sts_endpoint: str | None = None
    sts_region: str | None = None
    shared_config_file: str | None = None
    shared_credentials_file: str | None = None
    use_fips_endpoint: bool = False
    use_dualstack_endpoint: bool = False
    allowed_account_ids: tuple[str, ...] = ()
    forbidden_account_ids: tuple[str, ...] = ()

    @classmethod
    def from_props(cls, region: str, aws: Mapping[str, Any] | None) -> ClientSettings:
        a = dict(aws or {})
        return cls(
            region=region,
            profile=a.get("profile") or None,
            assume_roles=tuple(dict(r) for r in a.get("assumeRoles") or []),
            endpoint=a.get("endpoint") or None,
            sts_endpoint=a.get("stsEndpoint") or None,
            sts_region=a.get("stsRegion") or None,
            shared_config_file=a.get("sharedConfigFile") or None,
            shared_credentials_file=a.get("sharedCredentialsFile") or None,
            use_fips_endpoint=bool(a.get("useFipsEndpoint")),
            use_dualstack_endpoint=bool(a.get("useDualstackEndpoint")),
            allowed_account_ids=tuple(a.get("allowedAccountIds") or []),
            forbidden_account_ids=tuple(a.get("forbiddenAccountIds") or []),
        )


@dataclass(frozen=True)
class GatewaySpec:
    """What the program wants of one gateway."""

    name: str
    discovery_url: str
    existing_gateway_id: str | None = None  # adopted: only the authorizer (and domain) are ours
    role_arn: str | None = None
    description: str | None = None
    domain: str | None = None  # domainOverride.defaultDomain; the resource URL is then on it
    allowed_scopes: tuple[str, ...] = ()
    custom_claims: tuple[Mapping[str, Any], ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    legacy_name: str | None = None  # the name an earlier release gave this gateway
    # CreateGateway/UpdateGateway policyEngineConfiguration {arn, mode} (model:
    # GatewayPolicyEngineConfiguration, both required); empty: no engine of ours.
    policy_engine: Mapping[str, str] = field(default_factory=dict)
    # protocolConfiguration.mcp keys the stack sets; the others are the live gateway's.
    mcp: Mapping[str, Any] = field(default_factory=dict)

    def protocol_configuration(self, live: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The live protocolConfiguration with the MCP keys we set replaced (model: MCPGatewayConfiguration)."""
        current: dict[str, Any] = json.loads(json.dumps(dict(live or {}), default=str))
        if self.mcp:
            current["mcp"] = {**dict(current.get("mcp") or {}), **json.loads(json.dumps(dict(self.mcp)))}
        return current

    @property
    def adopted(self) -> bool:
        return bool(self.existing_gateway_id)

    def resource_url(self, gateway_url: str) -> str:
        """The MCP resource URL: on the custom domain when there is one, else the gateway's URL."""
        if self.domain:
            return domain_resource_url(self.domain)
        return resource_url(gateway_url)

    def authorizer(self, audience: str, live: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The customJWTAuthorizer: the live one with the keys we own replaced."""
        jwt = {k: v for k, v in dict(live or {}).items() if k not in OWNED_JWT_KEYS}
        jwt["discoveryUrl"] = self.discovery_url
        jwt["allowedAudience"] = [audience]
        # No allowedClients: CUSTOM_JWT checks every setting it has (AgentCore developer guide,
        # inbound JWT authorizer: "the authorizer will verify them all"), and DCR clients' ids are
        # not known in advance.
        if self.allowed_scopes:
            jwt["allowedScopes"] = list(self.allowed_scopes)
            mapping = jwt.get("advertisedScopeMapping")
            if isinstance(mapping, dict):
                # Keys must be allowedScopes (model: AdvertisedScopeMappingType doc).
                kept = {k: v for k, v in mapping.items() if k in self.allowed_scopes}
                if kept:
                    jwt["advertisedScopeMapping"] = kept
                else:
                    jwt.pop("advertisedScopeMapping")
        else:
            jwt.pop("advertisedScopeMapping", None)
        if self.custom_claims:
            jwt["customClaims"] = [json.loads(json.dumps(c)) for c in self.custom_claims]
        return jwt


# --- the client -------------------------------------------------------------------------------------


_LOADERS: dict[str | None, Any] = {}


def _share_loader(core: Any) -> None:
    """Give a new botocore session the process's one data loader for its AWS_DATA_PATH. Each
    session otherwise builds its own, which parses endpoints.json and the service model afresh
    (~0.3 s of JSON per client; botocore/session.py `_register_data_loader`); the loader only
    memoizes what it read from disk (botocore/loaders.py `instance_cache`), so sharing it is safe.
    Called after boto3's Session is made: boto3 appends its resource-model path to the loader it
    finds (boto3/session.py `_setup_loader`), which clients do not read and the shared one must
    not gather once per client."""
    from botocore.loaders import create_loader

    path = core.get_config_variable("data_path")
    if path not in _LOADERS:
        _LOADERS[path] = create_loader(path)
    core.register_component("data_loader", _LOADERS[path])


def make_client(settings: ClientSettings) -> Any:
    """A bedrock-agentcore-control client for `settings`. boto3 resolves the base credentials
    (environment, profile, SSO, instance role) and honours AWS_ENDPOINT_URL itself."""
    import boto3
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

    core = botocore.session.Session()
    if settings.shared_config_file:
        core.set_config_variable("config_file", settings.shared_config_file)
    if settings.shared_credentials_file:
        core.set_config_variable("credentials_file", settings.shared_credentials_file)
    try:
        session = boto3.session.Session(
            botocore_session=core, profile_name=settings.profile, region_name=settings.region
        )
    except ProfileNotFound:
        raise AgentCoreError(
            f"aws:profile {settings.profile!r} is not in the AWS config or credentials files; set aws:profile "
            "to one that is, or unset it to use the default credential chain"
        ) from None
    _share_loader(core)
    sts_kw: dict[str, Any] = {}
    if settings.sts_endpoint:
        sts_kw["endpoint_url"] = settings.sts_endpoint
    if settings.sts_region:
        sts_kw["region_name"] = settings.sts_region
    for i, role in enumerate(settings.assume_roles):
        # aws:assumeRoles is a chain, applied in order (pulumi-aws / terraform-provider-aws
        # `assume_role` blocks); each hop uses the credentials of the previous one.
        kw: dict[str, Any] = {
            "RoleArn": role["roleArn"],
            "RoleSessionName": role.get("sessionName") or "mcpauth",
        }
        if role.get("externalId"):
            kw["ExternalId"] = role["externalId"]
        if role.get("durationSeconds"):
            kw["DurationSeconds"] = int(role["durationSeconds"])
        if role.get("policy"):
            kw["Policy"] = role["policy"]
        if role.get("policyArns"):
            kw["PolicyArns"] = [{"arn": a} for a in role["policyArns"]]
        if role.get("sourceIdentity"):
            kw["SourceIdentity"] = role["sourceIdentity"]
        if role.get("tags"):
            kw["Tags"] = [{"Key": k, "Value": v} for k, v in dict(role["tags"]).items()]
        if role.get("transitiveTagKeys"):
            kw["TransitiveTagKeys"] = list(role["transitiveTagKeys"])
        try:
            creds = session.client("sts", **sts_kw).assume_role(**kw)["Credentials"]
        except (ClientError, BotoCoreError) as e:
            raise AgentCoreError(f"aws:assumeRoles[{i}]: assuming {role['roleArn']!r} failed: {e}") from None
        hop = botocore.session.Session()
        session = boto3.session.Session(
            botocore_session=hop,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=settings.region,
        )
        _share_loader(hop)
    if settings.allowed_account_ids or settings.forbidden_account_ids:
        account = session.client("sts", **sts_kw).get_caller_identity()["Account"]
        if settings.allowed_account_ids and account not in settings.allowed_account_ids:
            raise AgentCoreError(f"aws:allowedAccountIds: the credentials are for account {account}, not allowed")
        if account in settings.forbidden_account_ids:
            raise AgentCoreError(f"aws:forbiddenAccountIds: the credentials are for account {account}, forbidden")
    config = Config(
        retries={"max_attempts": 8, "mode": "standard"},
        connect_timeout=10,
        read_timeout=30,
        use_fips_endpoint=settings.use_fips_endpoint,
        use_dualstack_endpoint=settings.use_dualstack_endpoint,
    )
    kwargs: dict[str, Any] = {"config": config}
    if settings.endpoint:
        kwargs["endpoint_url"] = settings.endpoint
    return session.client("bedrock-agentcore-control", **kwargs)


# --- errors -----------------------------------------------------------------------------------------

_HINTS = {
    "ResourceNotFoundException": "the gateway does not exist in this account and region (aws:region)",
    "AccessDeniedException": "the deployer's AWS credentials lack a permission docs/deploying.md#aws-permissions lists",
    "ValidationException": "AWS refused a value; the message says which",
    "ThrottlingException": "AWS throttled the call; run the same command again",
    "ConflictException": "another operation is changing the gateway, or the name is taken; run the same "
    "command again once it settles",
    "ServiceQuotaExceededException": "the account's gateway quota is reached; delete unused gateways or "
    "ask AWS for a higher quota",
}


def _describe(err: Exception, gateway: str, action: str) -> AgentCoreError:
    from botocore.exceptions import ClientError

    if isinstance(err, ClientError):
        e = err.response.get("Error", {})
        code = str(e.get("Code", "Unknown"))
        hint = _HINTS.get(code, "")
        cls = GatewayGone if code == "ResourceNotFoundException" else AgentCoreError
        return cls(
            f"{action} gateway {gateway!r} failed: {code}: {e.get('Message', '')}" + (f" ({hint})" if hint else ""),
            code,
            str(e.get("Message", "")),
        )
    return AgentCoreError(f"{action} gateway {gateway!r} failed: {type(err).__name__}: {err}")


def _call(client: Any, operation: str, gateway: str, action: str, **params: Any) -> dict[str, Any]:
    """One AgentCore call, its request first checked against the service model, as the service
    checks it (botocore does not check `pattern`; the service does)."""
    problems = awsmodel.validate(operation, params)
    if problems:
        raise AgentCoreError(
            f"{action} gateway {gateway!r}: AWS would refuse the request ({operation}):\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    method = getattr(client, _snake(operation))
    try:
        return dict(method(**params))
    except Exception as e:  # noqa: BLE001 - re-raised with the code, the gateway and the fix
        raise _describe(e, gateway, action) from None


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


# --- reading and waiting ----------------------------------------------------------------------------


def get_gateway(client: Any, gateway_id: str) -> dict[str, Any]:
    return _call(client, "GetGateway", gateway_id, "reading", gatewayIdentifier=gateway_id)


def find_by_name(client: Any, name: str) -> dict[str, Any] | None:
    """The gateway with this name, if any (names are unique in an account: model, CreateGateway)."""
    token: str | None = None
    while True:
        params: dict[str, Any] = {"maxResults": 100}
        if token:
            params["nextToken"] = token
        page = _call(client, "ListGateways", name, "listing gateways to find", **params)
        for item in page.get("items") or []:
            if item.get("name") == name:
                return dict(item)
        token = page.get("nextToken")
        if not token:
            return None


def _reasons(gw: Mapping[str, Any]) -> str:
    return "; ".join(gw.get("statusReasons") or []) or "no reason given"


def wait_settled(client: Any, gateway_id: str, **waits: Unpack[Waits]) -> dict[str, Any]:
    """Poll until the gateway leaves CREATING/UPDATING/DELETING. FAILED is an error; READY and
    UPDATE_UNSUCCESSFUL are returned for the caller to act on."""
    timeout = wait_timeout(waits.get("timeout"))
    sleep, clock = _pace(waits)
    deadline = clock() + timeout
    while True:
        gw = get_gateway(client, gateway_id)
        status = str(gw.get("status", ""))
        if status == _FAILED:
            raise GatewayFailed(f"gateway {gateway_id!r} is FAILED: {_reasons(gw)}")
        if status not in _BUSY:
            return gw
        if clock() >= deadline:
            raise AgentCoreError(
                f"gateway {gateway_id!r} still {status} after {timeout:.0f}s; run the same command again to resume"
            )
        sleep(poll_seconds(waits.get("interval")))


# --- what to write ----------------------------------------------------------------------------------


def update_fields() -> frozenset[str]:
    """Every field UpdateGateway accepts that GetGateway returns: all of them are sent back, since
    UpdateGateway resets what it is not sent (model: UpdateGateway documentation). Derived from the
    model, so a field AWS adds is carried over without a code change."""
    return awsmodel.input_members("UpdateGateway") & awsmodel.output_members("GetGatewayResponse")


def desired_request(live: Mapping[str, Any], spec: GatewaySpec) -> dict[str, Any]:
    """The full UpdateGateway request that makes `live` what `spec` wants, keeping the rest."""
    req: dict[str, Any] = {
        k: json.loads(json.dumps(live[k], default=str))
        for k in sorted(update_fields())
        if live.get(k) not in (None, "", [], {})
    }
    req["gatewayIdentifier"] = live["gatewayId"]
    req["name"] = live["name"]  # immutable (model: UpdateGatewayRequest.name)
    if not spec.adopted:
        req["roleArn"] = spec.role_arn
        req["protocolType"] = "MCP"
        if spec.description:
            req["description"] = spec.description
        else:
            req.pop("description", None)
    req["authorizerType"] = "CUSTOM_JWT"
    audience = spec.resource_url(str(live.get("gatewayUrl") or ""))
    live_jwt = (live.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
    req["authorizerConfiguration"] = {"customJWTAuthorizer": spec.authorizer(audience, live_jwt)}
    if spec.mcp:
        # Sent on every update, as everything is: UpdateGateway resets an omitted protocolConfiguration.
        req["protocolConfiguration"] = spec.protocol_configuration(live.get("protocolConfiguration"))
    if spec.domain:
        override = dict(live.get("domainOverride") or {})
        override["defaultDomain"] = spec.domain.lower()
        alternates = [d for d in override.get("alternateDomains") or [] if d.lower() != spec.domain.lower()]
        if alternates:
            override["alternateDomains"] = alternates
        else:
            override.pop("alternateDomains", None)
        req["domainOverride"] = override
    else:
        # Without a configured domain the gateway must advertise its own host: a domain override
        # left from elsewhere would send clients to a resource URL no Auth0 API has.
        req.pop("domainOverride", None)
    if spec.policy_engine:
        # Sent on every update: UpdateGateway resets an omitted policyEngineConfiguration.
        req["policyEngineConfiguration"] = dict(spec.policy_engine)
    return req


def _canon(value: Any) -> Any:
    """Order-insensitive form: AWS may return lists in another order."""
    if isinstance(value, Mapping):
        return tuple(sorted((k, _canon(v)) for k, v in value.items() if v not in (None, [], {}, "")))
    if isinstance(value, (list, tuple)):
        return tuple(sorted((_canon(v) for v in value), key=repr))
    return value


def differences(live: Mapping[str, Any], request: Mapping[str, Any]) -> list[str]:
    """The fields (dotted, one level into the JWT authorizer) where `request` would change `live`."""
    out: list[str] = []
    keys = (set(request) | (set(live) & update_fields())) - {"gatewayIdentifier", "authorizerConfiguration"}
    for k in sorted(keys):
        if _canon(live.get(k)) != _canon(request.get(k)):
            out.append(k)
    live_jwt = (live.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
    want_jwt = (request.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
    if set(live.get("authorizerConfiguration") or {}) - {"customJWTAuthorizer"}:
        out.append("authorizerConfiguration")
    for k in sorted(set(live_jwt) | set(want_jwt)):
        if _canon(live_jwt.get(k)) != _canon(want_jwt.get(k)):
            out.append(f"authorizerConfiguration.customJWTAuthorizer.{k}")
    return out


# --- converge, create, delete -----------------------------------------------------------------------


@dataclass(frozen=True)
class Converged:
    gateway: dict[str, Any]  # GetGateway after the last write
    changed: list[str]  # what was written (empty: nothing differed)

    @property
    def resource_url(self) -> str:
        jwt = (self.gateway.get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
        return str((jwt.get("allowedAudience") or [""])[0])


def converge(client: Any, gateway_id: str, spec: GatewaySpec, **waits: Unpack[Waits]) -> Converged:
    """Make the live gateway what `spec` wants; no write when nothing we own differs and it is READY."""
    live = wait_settled(client, gateway_id, **waits)
    request = desired_request(live, spec)
    changed = differences(live, request)
    if not changed and live.get("status") == "READY":
        return Converged(live, [])
    _call(client, "UpdateGateway", gateway_id, "updating", **request)
    after = wait_settled(client, gateway_id, **waits)
    if after.get("status") == _RETRYABLE:
        raise AgentCoreError(
            f"gateway {gateway_id!r}: UpdateGateway did not apply (UPDATE_UNSUCCESSFUL: {_reasons(after)}); "
            "the next run sends the whole definition again"
        )
    return Converged(after, changed or ["status"])


def tag_changes(
    client: Any, gateway: Mapping[str, Any], spec: GatewaySpec, dropped: Iterable[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """(tags to set, tag keys to remove) to make the live tags what `spec` wants: the ones it sets,
    and none of `dropped` (keys an earlier run set that the config no longer has). Tags others
    added are left alone. An adopted gateway's tags are not ours."""
    dropped = list(dropped)
    if spec.adopted or not (spec.tags or dropped):
        return {}, []  # nothing of ours to compare: no read (a state from before tags had none)
    have = tags_of(client, str(gateway.get("gatewayArn", "")))
    missing = {k: v for k, v in spec.tags.items() if have.get(k) != v}
    stale = sorted(k for k in set(dropped) - set(spec.tags) if k in have)
    return missing, stale


def sync_tags(client: Any, gateway: Mapping[str, Any], spec: GatewaySpec, dropped: Iterable[str] = ()) -> list[str]:
    """Tags are not part of UpdateGateway (model: UpdateGatewayRequest has no `tags`): set the
    ones that differ with TagResource, remove dropped ones with UntagResource ("If existing tags on
    a resource are not specified in the request parameters, they are not changed": model,
    TagResource)."""
    missing, stale = tag_changes(client, gateway, spec, dropped)
    arn = str(gateway.get("gatewayArn", ""))
    if missing:
        _call(client, "TagResource", arn, "tagging", resourceArn=arn, tags=missing)
    if stale:
        _call(client, "UntagResource", arn, "untagging", resourceArn=arn, tagKeys=stale)
    return sorted(f"tags.{k}" for k in [*missing, *stale])


def client_token() -> str:
    """A fresh CreateGateway idempotency token (model: ClientToken, 33-256 chars,
    [a-zA-Z0-9](-*[a-zA-Z0-9])). Fresh per attempt, as botocore and Terraform make it: a token AWS
    has seen makes it ignore the request and answer with the first one's gateway, even one deleted
    since (model: CreateGatewayRequest.clientToken), so a fixed token broke every create after a
    destroy, a FAILED gateway's removal or an out-of-band delete. An interrupted create is resumed
    by name and tags instead (`create`); botocore's own retries of one call keep its token."""
    return uuid.uuid4().hex + uuid.uuid4().hex[:8]


def create_request(spec: GatewaySpec) -> dict[str, Any]:
    """The CreateGateway request for `spec`. Without a custom domain the gateway's URL (the only
    audience we allow) exists only once AWS has created it, so the gateway starts with a
    placeholder audience no Auth0 API has, and `create` sets the real one before it returns."""
    audience = spec.resource_url("") if spec.domain else placeholder_audience(spec.name)
    request: dict[str, Any] = {
        "name": spec.name,
        "roleArn": spec.role_arn,
        "protocolType": "MCP",
        "authorizerType": "CUSTOM_JWT",
        "authorizerConfiguration": {"customJWTAuthorizer": spec.authorizer(audience)},
    }
    if spec.description:
        request["description"] = spec.description
    if spec.tags:
        request["tags"] = dict(spec.tags)
    if spec.domain:
        request["domainOverride"] = {"defaultDomain": spec.domain.lower()}
    if spec.policy_engine:
        request["policyEngineConfiguration"] = dict(spec.policy_engine)
    if spec.mcp:
        request["protocolConfiguration"] = spec.protocol_configuration()
    return request


def tags_of(client: Any, arn: str) -> dict[str, str]:
    """The gateway's tags (ListTagsForResource)."""
    return dict(_call(client, "ListTagsForResource", arn, "reading the tags of", resourceArn=arn).get("tags") or {})


def _tags_of(client: Any, arn: str) -> dict[str, str] | None:
    """The gateway's tags, or None when they cannot be read (then it is not taken for ours)."""
    try:
        return tags_of(client, arn)
    except AgentCoreError:
        return None


def _is_ours(client: Any, arn: str, spec: GatewaySpec) -> bool:
    tags = _tags_of(client, arn)
    return tags is not None and bool(spec.tags) and all(tags.get(k) == v for k, v in spec.tags.items())


def whose(tags: Mapping[str, str] | None) -> str:
    """Who a gateway that is not ours belongs to, as far as its tags say."""
    if tags is None:
        return "its tags could not be read"
    if tags.get(TAG_QUALIFIED_STACK):
        return f"it belongs to the mcpauth stack {tags[TAG_QUALIFIED_STACK]}"
    if tags.get(TAG_STACK):
        return (
            f"it is tagged for the mcpauth stack {tags.get(TAG_PROJECT, '?')}/{tags[TAG_STACK]} without an "
            f"organization ({TAG_QUALIFIED_STACK}): another organization's or backend's stack of that name, "
            "or this stack's from an earlier release"
        )
    return "it has no mcpauth tags (made by hand or by another tool)"


def _first_release(client: Any, found: Mapping[str, Any], spec: GatewaySpec) -> bool:
    """Whether the gateway with the first release's name for this stack is that release's: it
    set no mcpauth tags (this release tags every gateway it creates), and its role is the one the
    program auto-names for this gateway. Anything else (made by hand, another stack's) is not
    ours to migrate, and does not collide with this release's name."""
    live = get_gateway(client, str(found["gatewayId"]))
    tags = _tags_of(client, str(live.get("gatewayArn", ""))) or {}
    if any(k.startswith("mcpauth:") for k in tags):
        return False
    return is_gateway_role(str(live.get("roleArn") or ""), spec.tags.get(TAG_GATEWAY, ""))


def create(
    client: Any, spec: GatewaySpec, *, role_wait: float = ROLE_PROPAGATION_SECONDS, **waits: Unpack[Waits]
) -> Converged:
    """CreateGateway, then (when the URL was not known in advance) UpdateGateway with the final
    audience. Re-running after any failure converges: a gateway this stack already created (its
    tags say so) is picked up rather than created twice."""
    if spec.legacy_name and spec.legacy_name != spec.name:
        old = find_by_name(client, spec.legacy_name)
        if old is not None and _first_release(client, old, spec):
            raise AgentCoreError(
                f"gateway {spec.legacy_name!r} ({old.get('gatewayId')}) was created by an earlier mcpauth release "
                "for this stack; its state must be moved to the new resource first, or this `up` would replace it "
                "(a new URL for every client). Run `make migrate-state STACK=<stack>` "
                "(docs/deploying.md#upgrading-a-stack-deployed-before-the-one-resource-gateway), "
                "then the same command again."
            )
    request = create_request(spec)
    sleep, clock = _pace(waits)
    deadline = clock() + role_wait
    while True:
        try:
            created = _call(client, "CreateGateway", spec.name, "creating", **request, clientToken=client_token())
            gateway_id = str(created["gatewayId"])
            break
        except AgentCoreError as e:
            if e.code == "ConflictException":
                existing = find_by_name(client, spec.name)
                if existing is None:
                    raise
                arn = str(get_gateway(client, existing["gatewayId"]).get("gatewayArn", ""))
                if not _is_ours(client, arn, spec):
                    raise AgentCoreError(
                        f"creating gateway {spec.name!r} failed: a gateway of that name exists in this account "
                        f"({existing['gatewayId']}) and was not created by this stack: {whose(_tags_of(client, arn))}. "
                        "Adopt it with mcpauth:gateways[].existingGatewayId, or delete it"
                    ) from None
                gateway_id = str(existing["gatewayId"])  # an earlier run created it: resume
                break
            role_not_ready = e.code == "ValidationException" and any(m in e.aws_message.lower() for m in ROLE_NOT_READY)
            if not role_not_ready or clock() >= deadline:
                raise
            sleep(min(POLL_SECONDS, max(0.0, deadline - clock())) or 1.0)
    try:
        wait_settled(client, gateway_id, **waits)
    except GatewayFailed as e:
        # A FAILED gateway serves nothing and cannot be updated into shape: remove it so the
        # next run creates it afresh.
        delete(client, gateway_id, **waits)
        raise AgentCoreError(f"{e}; it was deleted, run the same command again to create it anew") from None
    return converge(client, gateway_id, spec, **waits)


def delete(client: Any, gateway_id: str, **waits: Unpack[Waits]) -> None:
    """DeleteGateway and wait until it is gone. Already gone is success."""
    timeout = wait_timeout(waits.get("timeout"))
    sleep, clock = _pace(waits)
    try:
        wait_settled(client, gateway_id, **waits)
        _call(client, "DeleteGateway", gateway_id, "deleting", gatewayIdentifier=gateway_id)
    except GatewayGone:
        return
    except GatewayFailed:
        _call(client, "DeleteGateway", gateway_id, "deleting", gatewayIdentifier=gateway_id)
    except AgentCoreError as e:
        if "target" in e.aws_message.lower():
            raise AgentCoreError(f"{e} (delete the gateway's targets first)", e.code, e.aws_message) from None
        raise
    deadline = clock() + timeout
    while True:
        try:
            get_gateway(client, gateway_id)
        except GatewayGone:
            return
        if clock() >= deadline:
            raise AgentCoreError(
                f"gateway {gateway_id!r} still exists {timeout:.0f}s after DeleteGateway; run the same command again"
            )
        sleep(poll_seconds(waits.get("interval")))
