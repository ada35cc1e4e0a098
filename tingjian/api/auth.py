"""Bearer-token authentication for the API (no sessions, so no CSRF to check)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from .services import authenticate_token


class BearerToken(HttpBearer):
    """`Authorization: Bearer tj_…`; anything else (missing, malformed, revoked) is a 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = authenticate_token(token.strip())
        if user is not None:
            # Services and middleware-free code read the acting user from here too.
            request.user = user
        return user
