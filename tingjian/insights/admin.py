"""The admin shows the rollup and people's insights input but changes none of it.

Targets change through ``insights.services`` (permission, validation, audit), the per-10,000
figures through ``insights.rates``; the rollup is derived data that ``tingjian insights
rebuild`` recomputes. So every model is read-only here.
"""


from django.contrib import admin

from tingjian.readonly_admin import ReadOnlyAdmin

from .models import DayFacts, Denominator, DirtyDay, Dispute, KpiTarget, Publication, RollupMark


@admin.register(DayFacts)
class DayFactsAdmin(ReadOnlyAdmin):
    list_display = ["day", "branch", "department", "channel", "computed_at"]
    list_filter = ["channel"]
    date_hierarchy = "day"


@admin.register(DirtyDay)
class DirtyDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "queued_at", "claimed_until"]


@admin.register(RollupMark)
class RollupMarkAdmin(ReadOnlyAdmin):
    list_display = ["name", "mark", "updated_at"]


@admin.register(KpiTarget)
class KpiTargetAdmin(ReadOnlyAdmin):
    list_display = ["kpi", "branch", "department", "direction", "value", "updated_by", "updated_at"]
    list_filter = ["kpi"]


@admin.register(Denominator)
class DenominatorAdmin(ReadOnlyAdmin):
    list_display = ["branch", "month", "basis", "value", "source", "updated_at"]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["month", "version", "published_at", "published_by"]


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["publication", "branch", "status", "filed_by", "filed_at"]
