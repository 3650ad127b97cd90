"""One mock engine for the tests and for `make plan`: the real program under Pulumi's mocks.

The mocks return values of the shape the real services return (gateway ids and URLs as AWS
forms them, Auth0 client ids, ARNs), derived from a hash of the stack, type and name, so two
evaluations of the same config are identical. The monitor records what the engine would see:
each resource's type, parent, inputs, dependencies and options, and the stack outputs.
"""

from __future__ import annotations

import asyncio
import hashlib
import runpy
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.output import Unknown
from pulumi.runtime import mocks as pmocks
from pulumi.runtime.config import set_all_config

from offline.pulumi_internals import (
    cancel_pending,
    fresh_root,
    offline_sdk,
    root_resource,
    run_pulumi_func,
    sync_await,
)
from rules.types import (
    ACTION,
    API,
    API_KEY_PROVIDER,
    CLIENT,
    CLIENT_CIMD,
    CLIENT_CREDENTIALS,
    CLIENT_GRANT,
    CONNECTION,
    GATEWAY_TARGET,
    GET_CALLER_IDENTITY,
    GET_ROLE,
    IAM_ROLE,
    OAUTH2_PROVIDER,
    POLICY,
    POLICY_ENGINE,
    ROLE,
    ROOT_STACK,
    STACK_REFERENCE,
    TENANT,
)
from rules.types import MCP_GATEWAY as GATEWAY_TYPE

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "111122223333"
SECRET = "[secret]"
_SECRET_SIG = "4dabf18193072939515e22adb298388d"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_ALNUM = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase + string.digits

# A hook that may change a resource's mocked outputs: (type, name, inputs, outputs) -> outputs.
OutputHook = Callable[[str, str, dict[str, Any], dict[str, Any]], dict[str, Any]]


def _token(seed: str, n: int, alphabet: str = _ALNUM) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    out: list[str] = []
    while len(out) < n:
        for b in digest:
            out.append(alphabet[b % len(alphabet)])
        digest = hashlib.sha256(digest).digest()
    return "".join(out[:n])


def gateway_url_for(gateway_id: str, region: str) -> str:
    """The URL AWS gives a gateway: its id, the AgentCore gateway domain, and `/mcp`."""
    return f"https://{gateway_id}.gateway.bedrock-agentcore.{region}.amazonaws.com/mcp"


class RealisticMocks(pmocks.Mocks):
    def __init__(
        self,
        stack: str,
        region: str,
        hook: OutputHook | None = None,
        preview: bool = False,
        references: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.stack = stack
        self.region = region
        self.hook = hook
        self.preview = preview
        # Fully qualified stack name -> its outputs, for the program's StackReferences.
        self.references = dict(references or {})
        # Each data source the program called (its invoke token) and the arguments it passed.
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _seed(self, typ: str, name: str) -> str:
        return f"{self.stack}/{typ}/{name}"

    def _gateway(self, inputs: dict[str, Any], seed: str) -> dict[str, Any]:
        """What AgentCoreGateway's create returns: the id AWS derives from the name (name, a hyphen,
        10 characters: model GatewayId), its URL, and the resource URL the provider sets as the
        only allowed audience."""
        from rules.urls import domain_resource_url, resource_url

        gid = inputs.get("existingGatewayId") or f"{str(inputs.get('name', '')).lower()}-{_token(seed, 10, _LOWER)}"
        url = gateway_url_for(gid, str(inputs.get("region") or self.region))
        domain = inputs.get("domain")
        resource = domain_resource_url(domain) if domain else resource_url(url)
        return {
            "gatewayId": gid,
            "gatewayUrl": url,
            "gatewayArn": f"arn:aws:bedrock-agentcore:{self.region}:{ACCOUNT_ID}:gateway/{gid}",
            "resourceUrl": resource,
            "allowedAudiences": [resource],
            "status": "READY",
        }

    def _agentcore(self, typ: str, name: str, inputs: dict[str, Any], seed: str, out: dict[str, Any]) -> str | None:
        """What AgentCore's target, credential-provider and policy creates return, shaped by the
        model's patterns (TargetId [0-9a-zA-Z]{10}; ResourceId `<name>-<10>`; the providers' ARNs
        in the token vault and their secrets in Secrets Manager)."""
        base = f"arn:aws:bedrock-agentcore:{self.region}:{ACCOUNT_ID}"
        secrets = f"arn:aws:secretsmanager:{self.region}:{ACCOUNT_ID}:secret:bedrock-agentcore-identity!default"
        if typ == GATEWAY_TARGET:
            out["targetId"] = _token(seed, 10, string.ascii_uppercase + string.digits)
            return str(out["targetId"])
        if typ in (OAUTH2_PROVIDER, API_KEY_PROVIDER):
            kind = "oauth2credentialprovider" if typ == OAUTH2_PROVIDER else "apikeycredentialprovider"
            arn = f"{base}:token-vault/default/{kind}/{inputs.get('name', name)}"
            secret = [{"secretArn": f"{secrets}/{kind}/{inputs.get('name', name)}-{_token(seed, 6)}"}]
            out["credentialProviderArn"] = arn
            out["clientSecretArns" if typ == OAUTH2_PROVIDER else "apiKeySecretArns"] = secret
            return arn
        if typ == POLICY_ENGINE:
            pid = f"{inputs.get('name', name)}-{_token(seed, 10, _LOWER)}"
            out.update(policyEngineId=pid, policyEngineArn=f"{base}:policy-engine/{pid}")
            return pid
        if typ == POLICY:
            pid = f"{inputs.get('name', name)}-{_token(seed, 10, _LOWER)}"
            out.update(policyId=pid, policyArn=f"{base}:policy-engine/{inputs.get('policyEngineId')}/policy/{pid}")
            return pid
        return None

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append((args.token, dict(args.args)))
        if args.token == GET_CALLER_IDENTITY:
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/deployer",
                "userId": "AROAEXAMPLEDEPLOYER:ci",
                "id": ACCOUNT_ID,
            }, []
        if args.token == GET_ROLE:
            name = args.args.get("name", "")
            return {"id": "rol_" + _token("role/" + name, 16), "name": name}, []
        return {}, []

    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        typ, name, inputs = args.typ, args.name, dict(args.inputs)
        seed = self._seed(typ, name)
        out = dict(inputs)
        rid = f"{name}_id"
        if typ == STACK_REFERENCE:
            # The SDK reads a StackReference's `outputs` (pulumi/stack_reference.py). A stack that
            # is not given has none, as one that never ran `up`.
            name_ = str(inputs.get("name"))
            return name_, {"name": name_, "outputs": dict(self.references.get(name_, {})), "secretOutputNames": []}
        if typ == GATEWAY_TYPE:
            out.pop("__provider", None)
            out.update(self._gateway(inputs, seed))
            rid = out["gatewayId"]
        elif typ == IAM_ROLE:
            role_name = f"{name[:38]}-{_token(seed, 7, _LOWER)}"
            rid = role_name
            out.update(name=role_name, arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}")
        elif typ == API:
            rid = _token(seed, 24, "0123456789abcdef")
        elif typ == CLIENT:
            rid = _token(seed, 32)
            out["clientId"] = rid
        elif typ == CLIENT_CIMD:
            # "Generally CIMD clients have a "tpc_" prefix in their client ID" (pulumi_auth0 client_cimd.py).
            rid = "tpc_" + _token(seed, 22)
            out["clientId"] = rid
        elif typ == CLIENT_CREDENTIALS:
            out["clientSecret"] = _token(seed + "/secret", 64)
            rid = inputs.get("clientId", rid)
        elif typ == ROLE:
            # Auth0 gives a role its id when it is created; a new name is an update that keeps it.
            rid = "rol_" + _token(seed, 16)
        elif typ == CONNECTION:
            rid = "con_" + _token(seed, 16)
        elif typ == ACTION:
            rid = _token(seed, 8, "0123456789abcdef") + "-" + _token(seed + "/a", 4, "0123456789abcdef")
            out["versionId"] = _token(seed + "/v", 24, "0123456789abcdef")
        elif typ == CLIENT_GRANT:
            rid = "cgr_" + _token(seed, 16)
        elif typ == TENANT:
            rid = _token(seed, 8, "0123456789abcdef")
        else:
            rid = self._agentcore(typ, name, inputs, seed, out) or rid
        if self.hook is not None:
            out = self.hook(typ, name, inputs, out)
        if self.preview and not args.resource_id:
            # A preview of a new stack: nothing exists yet, so every computed output (ids, ARNs, the
            # gateway's URL, a client's id) is unknown; the SDK marks what the answer leaves out.
            return None, {k: v for k, v in inputs.items() if k != "__provider"}
        return rid, out


@dataclass
class Registered:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    read: bool
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    depends_on: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    ignore_changes: list[str]
    delete_before_replace: bool = False
    # The URNs this resource was known by before (its `aliases` option), as the engine resolves them.
    aliases: list[str] = field(default_factory=list)


def _unmask(value: Any) -> Any:
    """Struct as JSON, with secrets replaced by `[secret]` (never their value) and unknowns
    by `[unknown]`."""
    if isinstance(value, dict):
        if _SECRET_SIG in value:
            return SECRET
        return {k: _unmask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unmask(v) for v in value]
    if isinstance(value, Unknown) or (isinstance(value, str) and value == _UNKNOWN):
        return "[unknown]"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf Struct holds every number as a double
    return value


class EngineRefusal(Exception):
    """What the real Pulumi engine would refuse to register."""


class RecordingMonitor(pmocks.MockMonitor):
    def __init__(self, mocks: pmocks.Mocks, stack: str, project: str) -> None:
        super().__init__(mocks)
        self.stack, self.project = stack, project
        self.records: list[Registered] = []
        self.urns: set[str] = set()
        self.aliases_of: dict[str, list[str]] = {}  # URN -> the alias URNs resolved for it

    def _record(self, request: Any, urn: str, rid: str, read: bool) -> None:
        props = request.properties if read else request.object
        inputs = _unmask(json_format.MessageToDict(props))
        inputs.pop("__provider", None)
        state = self.resources[urn].state if urn in self.resources else {}
        # Outputs the provider marks secret (a client secret) are masked here already.
        secret_outputs = set(getattr(request, "additionalSecretOutputs", []))
        self.records.append(
            Registered(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(getattr(request, "custom", True)),
                read=read,
                id=rid,
                inputs=inputs,
                outputs={
                    k: (SECRET if k in secret_outputs else _unmask(v)) for k, v in state.items() if k != "__provider"
                },
                depends_on=list(getattr(request, "dependencies", [])),
                property_dependencies={
                    k: list(v.urns) for k, v in getattr(request, "propertyDependencies", {}).items()
                },
                protect=bool(getattr(request, "protect", False)),
                ignore_changes=list(getattr(request, "ignoreChanges", [])),
                delete_before_replace=bool(getattr(request, "deleteBeforeReplace", False)),
                aliases=self._alias_urns(request, urn),
            )
        )

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine forms them (pulumi sdk/go/common/resource/urn.go `NewURN`, given the
        parent URN's QualifiedType): the parent's whole type chain, and none for the root stack.
        Pulumi's MockMonitor keeps only the parent's last type and adds `pulumi:pulumi:Stack$`,
        so a state or import file keyed by its URNs would not match a real stack's."""
        if parent:
            qualified = parent.split("::")[2]
            if qualified != ROOT_STACK:
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{self.stack}::{self.project}::{type_}::{name}"

    def _alias_urns(self, request: Any, urn: str) -> list[str]:
        """Alias specs resolved as the engine resolves them (an unset field is the resource's own:
        its name, its type, its parent unless `noParent`), then multiplied by the parent's aliases
        as the engine does for a child (pkg/resource/deploy/step_generator.go, generateAliases and
        inheritedChildAlias): the child under each of its parent's old URNs, its own name and its
        aliases' names, a name that starts with the parent's name taking the old parent's name.
        The engine multiplies by the one alias of the parent that matched its old state; with no
        state here, by every alias the parent has."""
        own = [str(u) for u in getattr(request, "aliasURNs", [])]
        for alias in getattr(request, "aliases", []):
            if alias.WhichOneof("alias") == "urn":
                own.append(alias.urn)
                continue
            spec = alias.spec
            # The SDK sends noParent=False for "the current parent" (pulumi/runtime/resource.py
            # create_alias_spec), so the oneof alone does not say "no parent".
            parent = spec.parentUrn if spec.parentUrn else "" if spec.noParent else request.parent
            own.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        out = list(own)
        parent_name = request.parent.rsplit("::", 1)[-1]
        for parent_alias in self.aliases_of.get(request.parent, []):
            old_parent_name = parent_alias.rsplit("::", 1)[-1]
            for child in (urn, *own):
                qualified, name = child.split("::")[2:4]
                if name.startswith(parent_name):
                    name = old_parent_name + name[len(parent_name) :]
                out.append(self.make_urn(parent_alias, qualified.rsplit("$", 1)[-1], name))
        out = list(dict.fromkeys(out))
        self.aliases_of[urn] = out
        return out

    def _admit(self, request: Any) -> None:
        """Refuse what the real engine refuses: a URN registered twice, and a parent that was
        never registered (Pulumi's step generator: "Duplicate resource URN"; unknown parent)."""
        urn = self.make_urn(request.parent, request.type, request.name)
        if urn in self.urns:
            raise EngineRefusal(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        if request.parent and request.parent not in self.urns:
            raise EngineRefusal(f"resource '{urn}' names a parent that was never registered: '{request.parent}'")
        self.urns.add(urn)

    def RegisterResource(self, request: Any) -> Any:
        self._admit(request)
        resp = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self._record(request, resp.urn, resp.id, read=False)
        return resp

    def ReadResource(self, request: Any) -> Any:
        self._admit(request)
        resp = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._record(request, resp.urn, request.id, read=True)
        return resp


@dataclass
class Evaluation:
    stack: str
    resources: list[Registered]
    outputs: dict[str, Any]
    secret_outputs: set[str] = field(default_factory=set)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def invokes(self) -> set[str]:
        """The data sources (invoke tokens) the program called."""
        return {token for token, _ in self.calls}

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def by_urn(self) -> dict[str, Registered]:
        return {r.urn: r for r in self.resources}


def _resolve(value: Any) -> tuple[Any, bool]:
    """Resolve an exported value; returns (plain value, is_secret)."""
    out = pulumi.Output.from_input(value)

    async def go() -> tuple[Any, bool]:
        return await out.future(), bool(await out.is_secret())

    return sync_await(go())


def run_program(
    config: Mapping[str, Any],
    stack: str,
    *,
    program: Callable[[], None] | None = None,
    hook: OutputHook | None = None,
    project: str = "mcpauth",
    organization: str | None = None,
    preview: bool = False,
    secret_keys: frozenset[str] = frozenset(),
    references: Mapping[str, Mapping[str, Any]] | None = None,
) -> Evaluation:
    """Evaluate the program (by default `__main__.py`, exactly as `pulumi up` runs it) for
    one stack's config under the mocks; return what it declared. `secret_keys` are the keys set
    with `--secret`, as the CLI hands them to a program (decrypted, and listed as secret)."""
    region = str(config.get("aws:region") or "us-east-1")
    try:
        asyncio.get_event_loop()
    except RuntimeError:  # an asyncio.run() earlier in this thread left it without one
        asyncio.set_event_loop(asyncio.new_event_loop())
    mocks = RealisticMocks(stack, region, hook, preview, references)
    monitor = RecordingMonitor(mocks, stack, project)
    # A fresh root stack per evaluation, so several plans can run in one process.
    fresh_root()
    set_all_config({k: v for k, v in config.items()}, sorted(secret_keys))
    pmocks.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor, organization=organization)
    root = root_resource()

    def default_program() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__pulumi_main__")

    outputs: dict[str, Any] = {}
    secret: set[str] = set()
    with offline_sdk():
        try:
            sync_await(run_pulumi_func(program or default_program))
        except BaseException:
            # A program that fails half-way (a config error, an `apply` that raises) leaves other
            # applies and registrations pending on the event loop; run on, they would fail the next
            # evaluation in this process. End them here, as the end of a real program's process does.
            cancel_pending()
            raise
        for name, value in (getattr(root, "outputs", None) or {}).items():
            plain, is_secret = _resolve(value)
            # A secret output is never held in plain text past this point.
            outputs[name] = SECRET if is_secret else plain
            if is_secret:
                secret.add(name)
    return Evaluation(stack, list(monitor.records), outputs, secret, list(mocks.calls))
