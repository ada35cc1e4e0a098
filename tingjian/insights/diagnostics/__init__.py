"""Diagnostics: one view per question a manager asks, each number leading to its cases.

* ``hidden_causes`` — is a hidden cause behind it? (root causes together; category × cause)
* ``recurrence`` — why does it recur? (customers who come back; corrective actions that did not hold)
* ``topics`` — what are complaints starting to say? (emerging terms against their baseline)
* ``early_warning`` — do surveys show early signs? (CSAT / NPS dips beside complaint volume)
* ``evidence`` — the cases behind a number no simple drill-down filter describes

Every function reads a bounded period (an ``insights.selectors.Slice``) through indexed
queries, counts only the cases the user may see, and returns plain data with a ``table()``
for CSV / XLSX export. Must never: write, or read cases outside the period it was given
(plus the look-back its docstring states).
"""

from .early_warning import Warning, survey_warning
from .evidence import evidence_cases
from .hidden_causes import CoOccurrence, Matrix, category_root_causes, cooccurrence
from .recurrence import FailedActions, Repeats, corrective_actions_not_held, repeat_customers
from .topics import Topics, emerging_topics

__all__ = [
    "CoOccurrence", "FailedActions", "Matrix", "Repeats", "Topics", "Warning",
    "category_root_causes", "cooccurrence", "corrective_actions_not_held", "emerging_topics",
    "evidence_cases", "repeat_customers", "survey_warning",
]
