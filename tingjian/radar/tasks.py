"""Radar tasks: they take ids (or nothing), re-read everything and are safe to run twice."""

from __future__ import annotations

from django.tasks import task

from tingjian.cases.models import Case

from . import services


@task(priority=60)
def recompute_viral_risk(case_id: int) -> str:
    """Score one case now (e.g. after an import of public posts)."""
    case = Case.objects.select_related("assignee").filter(pk=case_id).first()
    if case is None:
        return f"no case {case_id}"
    row = services.recompute(case)
    return f"case {case_id}: {'no public message' if row is None else row.score}"


@task(priority=60)
def scan_spikes() -> str:
    """Judge the last hour now (a live crisis is updated, never doubled)."""
    return str(services.scan_now())
