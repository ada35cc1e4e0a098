"""The admin shows cases and their records but changes none of them.

A case changes only through services and the workflow engine (ARCHITECTURE rule 2), which
check permissions and guards and write the audit trail; the admin does neither, so it is
read-only here for every case model.
"""

from typing import Any

from django.contrib import admin

from tingjian.readonly_admin import ReadOnlyAdmin

from .models import Case, CaseLink, Message, Note, Override, PolicyVersion, QAReview


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("sent_at", "direction", "channel", "author_user", "body", "carries_resolution")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["number", "subject", "stage", "severity", "safety", "department", "branch", "assignee", "opened_at"]
    list_filter = ["stage", "severity", "safety", "origin_channel", "department", "branch"]
    search_fields = ["number", "subject"]
    list_select_related = ["department", "branch", "assignee"]
    date_hierarchy = "opened_at"
    inlines = [MessageInline]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "source", "loaded_at", "loaded_by"]


@admin.register(Override)
class OverrideAdmin(ReadOnlyAdmin):
    list_display = ["at", "case", "user", "transition", "reason"]
    list_select_related = ["case", "user"]


@admin.register(QAReview)
class QAReviewAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "case", "reviewer", "passed"]
    list_select_related = ["case", "reviewer"]


admin.site.register(Note, ReadOnlyAdmin)
admin.site.register(CaseLink, ReadOnlyAdmin)
