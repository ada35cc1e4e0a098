"""The insights part of REST API v1 (STYLE rule 7)."""

from __future__ import annotations

from ninja import Router

router = Router()
