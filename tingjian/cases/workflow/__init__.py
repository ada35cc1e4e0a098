"""The workflow engine: the only code that moves a case between stages.

Every write path (UI, API, import, task, command, admin) calls ``transition``; the engine
checks the transition exists in the case's policy version, the user's role, the guards
(exit criteria) and the hard rules, then moves the case, audits it and notifies.
"""

from .engine import (
    TransitionOption,
    TransitionRefused,
    available_transitions,
    evaluate,
    transition,
)
from .guards import GuardResult
from .policy import PolicyDocument, PolicyError, active_policy, load_policy_file, policy_document

__all__ = [
    "GuardResult", "PolicyDocument", "PolicyError", "TransitionOption", "TransitionRefused",
    "active_policy", "available_transitions", "evaluate", "load_policy_file", "policy_document",
    "transition",
]
