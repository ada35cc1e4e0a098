"""Shared fixtures: a small company, one user per role, and a helper to open cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.customers import services as customer_services
from tingjian.org.tests.factories import (
    BranchFactory,
    CategoryFactory,
    DepartmentFactory,
    ProductFactory,
    RootCauseFactory,
    make_user,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 is the production hasher; tests create many users and need not pay for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _files_in_a_temporary_folder(settings: Any, tmp_path: Any) -> None:
    # Uploads and attachments go to a folder of the test's own, never into var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english_by_default(settings: Any) -> Any:
    # The product defaults to 繁體中文; tests read English messages unless a test chooses a
    # language itself (as the language-switch and translation tests do).
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_textintel_caches() -> Any:
    # The domain words and trained models are cached per process for up to 30 seconds; a
    # test's database rolls back, so what one test loaded must not be what the next sees.
    from tingjian.textintel import dictionary, learning

    dictionary.unload()
    learning.forget_models()
    yield
    dictionary.unload()
    learning.forget_models()


@pytest.fixture
def company(db: Any) -> dict[str, Any]:
    service = DepartmentFactory(code="cs", name_zh_hant="客服", name_zh_hans="客服", name_en="Customer service")
    logistics = DepartmentFactory(code="logistics", name_zh_hant="物流", name_zh_hans="物流", name_en="Logistics")
    return {
        "cs": service,
        "logistics": logistics,
        "branch": BranchFactory(code="tpe-xinyi"),
        "product": ProductFactory(code="beef-noodles"),
        "category": CategoryFactory(code="cold-food"),
        "root_cause": RootCauseFactory(code="procedure"),
    }


@pytest.fixture
def users(company: dict[str, Any]) -> dict[str, Any]:
    cs, logistics = company["cs"], company["logistics"]
    return {
        "agent": make_user("agent", "agent", departments=(cs,)),
        "agent2": make_user("agent2", "agent", departments=(logistics,)),
        "staff": make_user("staff", "staff", departments=(cs,)),
        "qa": make_user("qa", "qa"),
        "qa2": make_user("qa2", "qa"),
        "manager": make_user("manager", "manager", departments=(cs,)),
        "executive": make_user("executive", "executive"),
        "admin": make_user("admin", "admin"),
    }


@pytest.fixture
def customer(db: Any) -> Any:
    return customer_services.create_customer(
        display_name="王小明", by=None, identities=[("phone", "0912-345-678")]
    )


@pytest.fixture
def open_case(company: dict[str, Any], users: dict[str, Any], customer: Any) -> Callable[..., Case]:
    def make(by: Any = None, **fields: Any) -> Case:
        return case_services.open_case(
            customer=fields.pop("customer", customer),
            subject=fields.pop("subject", "湯麵送到時已經冷掉"),
            channel=fields.pop("channel", "phone"),
            body=fields.pop("body", "外送的牛肉麵送到時湯是冷的，麵也糊了。"),
            by=by or users["agent"],
            fields=fields,
        )

    return make


@pytest.fixture
def ready_for_investigation(open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]) -> Case:
    """A case at intake whose exit criteria are all met."""
    case = open_case(category=company["category"], severity=3, department=company["cs"])
    case_services.record_reply(case, body="您好，我們已收到您的意見，會儘快處理。", by=users["agent"])
    return case
