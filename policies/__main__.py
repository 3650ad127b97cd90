"""The pack the Pulumi CLI runs: `pulumi preview --policy-pack policies`."""

import sys
from pathlib import Path

# The CLI runs this file from policies/; the rules import as the `policies` package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policies import ALL_POLICIES

PolicyPack(name="mcpauth", policies=ALL_POLICIES)
