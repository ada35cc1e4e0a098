"""Fixtures of the channels tests."""

from .fakeplatform import fake_platform  # noqa: F401  (a pytest fixture, shared by the adapter tests)
