"""The rules that make a gateway and its Auth0 API agree, as pure functions: no Pulumi, no HTTP.

Each rule is written once here and called by everything that applies it: the program (which builds
the strings), the policy pack (over a preview), the offline plan (its wiring table) and
`make verify` (over the stack outputs and what the live services answer). Nothing here imports
from the rest of the project, so any of those can import it.
"""
