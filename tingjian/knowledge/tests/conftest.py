"""Fixtures of the knowledge tests: the API clients (users per role come from the shared
conftest; managers and administrators hold the editors' permissions through their roles)."""

from __future__ import annotations

from tingjian.api.tests.conftest import anonymous, api_as  # noqa: F401  (API clients per user)
