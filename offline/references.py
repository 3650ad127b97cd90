"""The outputs a stack's StackReferences read, for the offline plan: from the other stack files in
the same folder, each planned as its last `up` would have left it.

A real `pulumi up` reads a referenced stack's outputs from its state. Offline there is no state, so
each referenced stack is evaluated from its stack file: a team's reference to its owner always
(an owner's `tenant` output needs nothing from its teams), an owner's references to its teams only
for the stack being planned (inside those, the owner's teams are answered as before their first
`up`: no outputs). The organization part of a name is not checked offline: only the project and
the stack, against this folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offline.engine import ROOT, run_program
from offline.stackfile import StackFileError, load_stack
from stackconfig.model import NAMESPACE
from stackconfig.settings import Settings, load_settings


@dataclass
class References:
    outputs: dict[str, Any] = field(default_factory=dict)  # fully qualified stack name -> its outputs
    notes: list[str] = field(default_factory=list)


def referenced_outputs(settings: Settings, project: str, stack_dir: Path, *, top: bool = True) -> References:
    """The outputs every stack this one references exports (mcpauth:tenant.owner,
    mcpauth:tenant.teamStacks). The owner's stack file must be here (a team needs its role ids);
    a team's may not be (it may live elsewhere): its APIs are then left out, with a note."""
    tenant = settings.project.tenant
    refs = References()
    if tenant.owner is not None:
        refs.outputs[tenant.owner] = _outputs_of(tenant.owner, "tenant.owner", project, stack_dir)
    for name in tenant.team_stacks:
        # A team as before its first `up` (no gateways): inside a referenced stack's evaluation,
        # and where its stack file is not in this folder.
        refs.outputs[name] = {"gateways": {}}
        if not top:
            continue
        if not (stack_dir / f"Pulumi.{name.rsplit('/', 1)[-1]}.yaml").exists():
            refs.notes.append(
                f"{NAMESPACE}:tenant.teamStacks: {name} has no stack file in {stack_dir}: this plan's Action "
                "claims leave out its APIs (`make preview` reads them from its state)"
            )
            continue
        refs.outputs[name] = _outputs_of(name, "tenant.teamStacks", project, stack_dir)
    return refs


def _outputs_of(name: str, key: str, project: str, stack_dir: Path) -> dict[str, Any]:
    _org, ref_project, stack = name.split("/")
    where = f"{NAMESPACE}:{key}: {name}"
    if ref_project != project:
        raise StackFileError(
            f"{where}: the offline plan reads stacks of this project ({project}) only; plan it with `make preview`, "
            "which reads the referenced stack's state"
        )
    try:
        sc = load_stack(ROOT, stack, stack_dir)
        settings = load_settings(sc.values, stack, sc.secret_keys)
    except StackFileError as e:
        raise StackFileError(
            f"{where}: {e} (the offline plan reads a referenced stack's file from {stack_dir})"
        ) from None
    references = referenced_outputs(settings, project, stack_dir, top=False)
    ev = run_program(sc.values, stack, project=sc.project, references=references.outputs)
    return dict(ev.outputs)
