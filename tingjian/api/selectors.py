"""Reading API tokens."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import ApiToken


def tokens(user: Any | None = None) -> QuerySet[ApiToken]:
    qs = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
    return qs if user is None else qs.filter(user=user)


def token_by_prefix(prefix: str) -> ApiToken:
    prefix = prefix.strip()
    if not prefix.startswith("tj_"):
        prefix = "tj_" + prefix
    return ApiToken.objects.select_related("user").get(prefix=prefix)
