"""The variables a reply template may hold, how they are checked, and how they are filled.

A template says ``{customer_name}``, ``{case_number}``, ``{branch}`` or ``{agent_name}``;
nothing else in braces. Checking happens when a template is saved, so an agent never
inserts a reply with a typo such as ``{custmer_name}`` into a message to a customer.

Filling is one pass over the text: a value that itself contains braces (a customer called
"{x}") is inserted as it is and never read as a variable. A variable without a value is
left visible as 【its name】 in the reader's language, so the agent sees the gap before
sending instead of a reply with a hole in it ("Dear , …").
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VARIABLES: dict[str, Promise] = {
    "customer_name": _("customer name"),
    "case_number": _("case number"),
    "branch": _("branch"),
    "agent_name": _("agent name"),
}

# A variable, or a brace that belongs to none.
_TOKEN = re.compile(r"\{([^{}\n]*)\}|[{}]")

MISSING_OPEN, MISSING_CLOSE = "【", "】"


def listed() -> str:
    """The allowed variables as typed in a template: "{customer_name}, {case_number}, …"."""
    return ", ".join("{" + name + "}" for name in VARIABLES)


def problems(text: str) -> list[str]:
    """What is wrong with the variables of ``text``, one sentence each; empty when nothing."""
    found: list[str] = []
    for match in _TOKEN.finditer(text or ""):
        name = match.group(1)
        if name is None:
            found.append(
                str(_("A brace “%(brace)s” has no partner. Variables are written {customer_name}; a template cannot contain other braces."))
                % {"brace": match.group(0)}
            )
        elif name not in VARIABLES:
            found.append(
                str(_("Unknown variable {%(name)s}. Use one of: %(allowed)s."))
                % {"name": name, "allowed": listed()}
            )
    # One sentence per distinct problem: "{x}" written three times is one mistake.
    return list(dict.fromkeys(found))


def used(text: str) -> list[str]:
    """The known variables ``text`` uses, in order of first appearance."""
    names = (m.group(1) for m in _TOKEN.finditer(text or "") if m.group(1) in VARIABLES)
    return list(dict.fromkeys(names))


def missing_marker(name: str) -> str:
    """What stands in for a variable without a value (in the active language)."""
    label = VARIABLES.get(name, name)
    return f"{MISSING_OPEN}{label}{MISSING_CLOSE}"


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known variable replaced by its value (stripped), or by the missing
    marker when there is none. Unknown variables and stray braces, which a saved template
    cannot hold, are left as they are."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None or name not in VARIABLES:
            return match.group(0)
        value = (values.get(name) or "").strip()
        return value or missing_marker(name)

    return _TOKEN.sub(replace, text or "")
