"""Read-only admin views: schedules change through ``services`` (validated and audited);
reports and deliveries are made by the tasks and kept as they were sent."""

from __future__ import annotations

from django.contrib import admin

from tingjian.readonly_admin import ReadOnlyAdmin

from .models import Delivery, Report, Schedule


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ["id", "cadence", "scope", "branch", "department", "recipient_user", "language", "active"]
    list_filter = ["cadence", "scope", "active"]
    list_select_related = ["branch", "department", "recipient_user"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["id", "cadence", "period_start", "period_end", "scope_key", "language", "status", "generated_at"]
    list_filter = ["cadence", "status", "language"]
    exclude = ["html", "pdf", "data"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "report", "schedule", "status", "attempts", "sent_at", "error"]
    list_filter = ["status"]
    list_select_related = ["report", "schedule"]
