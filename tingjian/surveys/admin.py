"""Read-only admin views: invitations, answers and follow-ups change through the services
(the token is never shown: only its hash is looked up, and it is sealed for the sender)."""

from __future__ import annotations

from django.contrib import admin

from tingjian.readonly_admin import ReadOnlyAdmin

from .models import Answer, FollowUp, Invitation


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "case", "status", "channel", "language", "sent_at", "expires_at", "attempts"]
    list_filter = ["status", "channel", "language"]
    list_select_related = ["case"]
    exclude = ["token_hash", "token_sealed"]
    raw_id_fields = ["case", "message"]


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = ["answered_at", "invitation", "csat", "nps", "sentiment", "safety", "completed_at"]
    list_filter = ["csat", "safety", "sentiment"]
    raw_id_fields = ["invitation"]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "case", "status", "taken_by", "done_by", "done_at"]
    list_filter = ["status"]
    list_select_related = ["case", "taken_by", "done_by"]
    raw_id_fields = ["case", "answer"]
