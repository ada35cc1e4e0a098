"""Read-only admin views: crises are acknowledged and closed on the radar page (audited),
scores are recomputed by the sweep; nothing changes here."""

from __future__ import annotations

from django.contrib import admin

from tingjian.readonly_admin import ReadOnlyAdmin

from .models import CrisisEvent, RadarRun, ViralRisk


@admin.register(CrisisEvent)
class CrisisEventAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "dimension", "key", "peak_observed", "baseline", "p_value", "status", "safety", "last_seen_at"]
    list_filter = ["status", "dimension", "safety"]
    list_select_related = ["acknowledged_by", "closed_by"]


@admin.register(ViralRisk)
class ViralRiskAdmin(ReadOnlyAdmin):
    list_display = ["case", "score", "peak_score", "computed_at", "next_due_at", "alerted"]
    list_filter = ["alerted"]
    list_select_related = ["case"]


@admin.register(RadarRun)
class RadarRunAdmin(ReadOnlyAdmin):
    list_display = ["name", "due_at", "last_run_at", "last_result", "watermark"]
