"""Fixtures of the channels tests."""

from tingjian.api.tests.conftest import api_as  # noqa: F401  (API clients per user)

from .fakeplatform import fake_platform  # noqa: F401  (a pytest fixture, shared by the adapter tests)
