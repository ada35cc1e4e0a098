"""The catalogue of notification kinds the product emits.

A kind is a plain string chosen by the app that calls ``notify``; this list gives each one a
label people read on the preferences page and whether it is emailed unless the person says
otherwise. A kind missing here is still delivered in the app, with email off by default:
adding an emitter never needs this file first, but it should be listed to be configurable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise
    email_by_default: bool


CATALOGUE: tuple[Kind, ...] = (
    Kind("case.assigned", _("A case was assigned to me"), True),
    Kind("case.mention", _("Someone mentioned me in a note"), True),
    Kind("case.customer_wrote", _("The customer wrote again on my case"), False),
    Kind("case.override", _("A case was forced past unmet criteria"), True),
    Kind("case.delivery_failed", _("My reply could not be delivered"), True),
    Kind("channel.dead_letter", _("A message could not be filed"), True),
    Kind("channel.calls_imported", _("My call import is done"), False),
    Kind("sla.reminder", _("A service-level deadline is near"), False),
    Kind("sla.breach", _("A service-level deadline was missed"), True),
    Kind("sla.escalation", _("A case was escalated to me"), True),
    Kind("sla.safety", _("Personal-safety case"), True),
    Kind("sla.safety_downgrade", _("A safety flag removal needs my approval"), True),
    Kind("sla.recomputed", _("Deadlines of a case were recomputed"), False),
    Kind("radar.spike", _("Complaints are rising faster than usual (crisis radar)"), True),
    Kind("radar.viral", _("A public complaint may spread (high viral risk)"), True),
    Kind("surveys.low_score", _("A customer gave a low survey score"), True),
    Kind("insights.published", _("Per-10,000 figures were published"), False),
    Kind("insights.dispute", _("A branch disputed its per-10,000 figure"), True),
)

BY_CODE: dict[str, Kind] = {kind.code: kind for kind in CATALOGUE}


def email_by_default(code: str) -> bool:
    kind = BY_CODE.get(code)
    return kind.email_by_default if kind is not None else False


def label(code: str) -> str:
    kind = BY_CODE.get(code)
    return str(kind.label) if kind is not None else code
