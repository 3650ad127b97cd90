# What mypy reads for `import pulumi_aws`: the subpackages and functions this project uses, each
# re-exported from the installed package itself, so their types are the SDK's own.
#
# Why: pulumi_aws/__init__.py imports all of its ~250 subpackages under TYPE_CHECKING, so mypy
# analysed ~3,100 modules of it (80% of a cold run: 58 s against 14 s with this file). A name used
# from `aws.` that is not listed here is a mypy error ("Module has no attribute"): add it here.
# Only mypy reads this directory (mypy_path in pyproject.toml); Python imports the real package.
from . import bedrock as bedrock
from . import iam as iam
from .get_caller_identity import get_caller_identity as get_caller_identity
from .get_caller_identity import get_caller_identity_output as get_caller_identity_output
