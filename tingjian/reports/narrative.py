"""The few sentences at the top of a report, written from its numbers.

Responsible for: saying in plain words, in the active language, what the snapshot shows —
the volume and its change, what drove it, safety cases and how fast they were answered,
breaches, overrides, targets missed, crises. Must never: say more than the numbers show
(no cause that is not in the data, no change when there is nothing to compare with), or
read the database: it reads the snapshot ``compose`` made, so it is tested on plain dicts.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def percent_change(change: float) -> str:
    """+23 % / −12 % (a relative change, 0.23 → +23 %)."""
    pct = round(change * 100)
    if pct > 0:
        return f"+{pct} %"
    if pct < 0:
        return f"−{abs(pct)} %"
    return "±0 %"


def _kpi(data: dict[str, Any], code: str) -> dict[str, Any] | None:
    return next((row for row in data.get("kpis", []) if row.get("code") == code), None)


def _int(value: Any) -> int | None:
    return None if value is None else int(round(float(value)))


def _driver(data: dict[str, Any]) -> tuple[str, int] | None:
    """The category with the largest rise in cases against the previous period."""
    best: tuple[str, int] | None = None
    for row in data.get("categories", {}).get("rows", []):
        rise = int(row.get("count") or 0) - int(row.get("previous") or 0)
        if rise > 0 and (best is None or rise > best[1]):
            best = (str(row.get("label", "")), rise)
    return best


def volume(data: dict[str, Any]) -> str:
    scope = data.get("scope", {}).get("label", "")
    weekly = data.get("cadence") == "weekly"
    row = _kpi(data, "opened") or {}
    count, previous = _int(row.get("value")), _int(row.get("previous"))
    count = count or 0
    params = {"scope": scope, "count": count, "previous": previous}
    if count == 0 and not previous:
        return (_("%(scope)s: no cases were opened this week.") if weekly
                else _("%(scope)s: no cases were opened this month.")) % params
    if previous is None:
        return ngettext(
            "%(scope)s: %(count)s case opened; there is no previous period to compare with.",
            "%(scope)s: %(count)s cases opened; there is no previous period to compare with.", count,
        ) % params
    if previous == 0:
        return ngettext(
            "%(scope)s: %(count)s case opened, against none in the previous period.",
            "%(scope)s: %(count)s cases opened, against none in the previous period.", count,
        ) % params
    if count == previous:
        return ngettext(
            "%(scope)s: %(count)s case opened, the same as in the previous period.",
            "%(scope)s: %(count)s cases opened, the same as in the previous period.", count,
        ) % params
    params["change"] = percent_change((count - previous) / previous)
    if weekly:
        sentence = _("%(scope)s: complaints %(change)s week on week (%(count)s cases, %(previous)s the week before)")
    else:
        sentence = _("%(scope)s: complaints %(change)s month on month (%(count)s cases, %(previous)s the month before)")
    sentence %= params
    driver = _driver(data) if count > previous else None
    if driver:
        sentence += _(", driven by %(category)s (+%(rise)s)") % {"category": driver[0], "rise": driver[1]}
    return sentence + _(".")


def mover(data: dict[str, Any]) -> str:
    """The branch (or category, in a branch's report) that grew most, when something grew."""
    movers = data.get("movers", {})
    rows = movers.get("rows") or []
    if not rows or movers.get("by") != "branch":
        return ""
    top = rows[0]
    params = {
        "label": top.get("label", ""), "count": top.get("count", 0), "previous": top.get("previous", 0),
        "driver": top.get("driver_label", ""),
    }
    if top.get("change") is None:
        text = _("%(label)s grew most: %(count)s cases, against none before") % params
    else:
        params["change"] = percent_change(top["change"])
        text = _("%(label)s grew most: %(change)s (%(count)s cases, %(previous)s before)") % params
    if params["driver"]:
        text += _(", driven by %(driver)s") % params
    return text + _(".")


def safety(data: dict[str, Any]) -> str:
    info = data.get("notable", {}).get("safety") or {}
    count = int(info.get("count") or 0)
    if count == 0:
        return _("No personal-safety cases.")
    within, answered = int(info.get("within_target") or 0), int(info.get("answered") or 0)
    params = {"count": count, "minutes": info.get("target_minutes", 15), "within": within,
              "late": answered - within, "open": count - answered}
    if within == count:
        if count == 1:
            return _("1 personal-safety case, answered within %(minutes)s minutes.") % params
        if count == 2:
            return _("2 personal-safety cases, both answered within %(minutes)s minutes.") % params
        return _("%(count)s personal-safety cases, all answered within %(minutes)s minutes.") % params
    head = ngettext("%(count)s personal-safety case", "%(count)s personal-safety cases", count) % params
    parts = []
    if within:
        parts.append(ngettext(
            "%(within)s answered within %(minutes)s minutes", "%(within)s answered within %(minutes)s minutes", within,
        ) % params)
    if params["late"]:
        parts.append(ngettext(
            "%(late)s answered after more than %(minutes)s minutes",
            "%(late)s answered after more than %(minutes)s minutes", params["late"],
        ) % params)
    if params["open"]:
        parts.append(ngettext("%(open)s not answered yet", "%(open)s not answered yet", params["open"]) % params)
    return head + _(": ") + _(", ").join(parts) + _(".")


def breaches_and_overrides(data: dict[str, Any]) -> str:
    notable = data.get("notable", {})
    breaches = int((notable.get("breaches") or {}).get("count") or 0)
    breached_cases = int((notable.get("breaches") or {}).get("cases") or 0)
    overrides = int((notable.get("overrides") or {}).get("count") or 0)
    if not breaches and not overrides:
        return _("No SLA breaches and no overrides.")
    parts = []
    if breaches and breached_cases > 1:
        parts.append(ngettext(
            "%(n)s SLA breach in %(cases)s cases", "%(n)s SLA breaches in %(cases)s cases", breaches,
        ) % {"n": breaches, "cases": breached_cases})
    elif breaches:
        parts.append(ngettext("%(n)s SLA breach", "%(n)s SLA breaches", breaches) % {"n": breaches})
    else:
        parts.append(_("no SLA breaches"))
    parts.append(ngettext("%(n)s override", "%(n)s overrides", overrides) % {"n": overrides} if overrides
                 else _("no overrides"))
    text = _("%(first)s and %(second)s.") % {"first": parts[0], "second": parts[1]}
    return text[:1].upper() + text[1:]


def targets(data: dict[str, Any]) -> str:
    judged = [row for row in data.get("kpis", []) if row.get("met") is not None]
    if not judged:
        return ""
    missed = [str(row.get("label", "")) for row in judged if row.get("met") is False]
    params = {"met": len(judged) - len(missed), "total": len(judged), "missed": _(", ").join(missed)}
    if not missed:
        return ngettext("The KPI target was met.", "All %(total)s KPI targets were met.", len(judged)) % params
    return _("%(met)s of %(total)s KPI targets met; missed: %(missed)s.") % params


def top_category(data: dict[str, Any]) -> str:
    rows = data.get("categories", {}).get("rows") or []
    if not rows or not rows[0].get("share"):
        return ""
    return _("Most cases were about %(label)s (%(share)s %% of all).") % {
        "label": rows[0].get("label", ""), "share": round(float(rows[0]["share"]) * 100),
    }


def crises(data: dict[str, Any]) -> str:
    events = data.get("crises") or []
    if not events:
        return ""
    names = _(", ").join(str(e.get("title", "")) for e in events[:3])
    return ngettext("%(n)s crisis alert: %(names)s.", "%(n)s crisis alerts: %(names)s.", len(events)) % {
        "n": len(events), "names": names,
    }


def high_risk(data: dict[str, Any]) -> str:
    count = int((data.get("notable", {}).get("high_risk") or {}).get("count") or 0)
    if not count:
        return ""
    return ngettext(
        "%(n)s public complaint at high viral risk.", "%(n)s public complaints at high viral risk.", count,
    ) % {"n": count}


def sentences(data: dict[str, Any]) -> list[str]:
    """The narrative, one sentence per fact worth saying, in a fixed order."""
    made = [volume(data), top_category(data), mover(data), safety(data), breaches_and_overrides(data),
            targets(data), high_risk(data), crises(data)]
    return [sentence for sentence in made if sentence]
