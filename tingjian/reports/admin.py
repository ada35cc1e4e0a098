"""Read-only admin views: schedules change through ``services`` (validated and audited);
reports and deliveries are made by the tasks and kept as they were sent."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Delivery, Report, Schedule


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
