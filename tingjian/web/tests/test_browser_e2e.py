"""End to end in headless Chromium: an agent takes a phone complaint to QA; self-QA is
refused by the hard rule; an independent reviewer signs the checklist and closes it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tingjian.org.services import sync_roles
from tingjian.org.tests.factories import (
    BranchFactory,
    CategoryFactory,
    DepartmentFactory,
    RootCauseFactory,
    make_user,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture
def browser() -> Iterator[Any]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def world(transactional_db: Any) -> dict[str, Any]:
    sync_roles()
    cs = DepartmentFactory(code="cs", name_zh_hant="客服", name_zh_hans="客服", name_en="Customer service")
    return {
        "cs": cs,
        "branch": BranchFactory(code="tpe-xinyi", name_en="Taipei Xinyi"),
        "category": CategoryFactory(code="cold-food", name_en="Food temperature"),
        "root_cause": RootCauseFactory(code="procedure", name_en="Procedure not followed"),
        "agent": make_user("agent", "agent", departments=(cs,)),
        # Reviews QA and also works cases: as this case's assignee it may not approve it.
        "qa_agent": make_user("qa_agent", "qa", "agent", departments=(cs,)),
        "qa2": make_user("qa2", "qa"),
    }


def _login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests-1")
    page.click("form button.primary")
    page.wait_for_url(f"{base}/cases/**")
    # The UI language follows the switcher, whatever the browser asked for.
    page.click("form.langs button[value=en]")
    page.wait_for_selector("html[lang=en]")
    return page


def _step(page: Any, transition: str) -> None:
    page.click(f"#step-{transition} form.stepform button[type=submit]")
    page.wait_for_load_state()


def test_case_from_phone_call_to_independent_qa_close(live_server: Any, browser: Any, world: dict[str, Any]) -> None:
    base = live_server.url
    page = _login(browser, base, "agent")

    # Intake: a new customer on the phone.
    page.goto(f"{base}/cases/new/")
    page.fill("input[name=new_customer_name]", "王小明")
    page.fill("input[name=new_customer_phone]", "0912-345-678")
    page.fill("input[name=subject]", "湯麵送到時已經冷掉")
    page.fill("textarea[name=body]", "外送的牛肉麵送到時湯是冷的，麵也糊了。")
    page.select_option("select[name=category]", str(world["category"].pk))
    page.select_option("select[name=department]", str(world["cs"].pk))
    page.click("form button.primary")
    page.wait_for_selector(".stagebar [data-stage=intake][aria-current=step]")
    case_url = page.url
    assert "/cases/C-" in case_url
    assert page.locator("#step-start_investigation .missing").count() >= 1

    # Set the remaining triage fields and acknowledge the customer.
    page.select_option("form.edit select[name=severity]", "3")
    page.select_option("form.edit select[name=assignee]", str(world["qa_agent"].pk))
    page.click("form.edit button.primary")
    page.fill("textarea[name=body] >> nth=0", "您好，我們已收到您的意見，會儘快處理。")
    page.click("text=Send reply")
    assert page.locator("#step-start_investigation .missing").count() == 0
    _step(page, "start_investigation")
    page.wait_for_selector(".stagebar [data-stage=investigation][aria-current=step]")

    # Investigation → response.
    page.fill("form.edit textarea[name=findings]", "外送保溫袋破損。")
    page.select_option("form.edit select[name=root_cause]", str(world["root_cause"].pk))
    page.click("form.edit button.primary")
    _step(page, "prepare_response")
    page.wait_for_selector(".stagebar [data-stage=response][aria-current=step]")

    # Response → QA: the resolution reply and code.
    page.select_option("form.edit select[name=resolution_code]", "apology")
    page.click("form.edit button.primary")
    page.fill("textarea[name=body] >> nth=0", "已致歉並補送一份餐點。")
    page.check("input[name=carries_resolution]")
    page.click("text=Send reply")
    _step(page, "submit_for_qa")
    page.wait_for_selector(".stagebar [data-stage=qa][aria-current=step]")

    # The assignee, though a QA reviewer, may not approve: a hard rule.
    own = _login(browser, base, "qa_agent")
    own.goto(case_url)
    for box in own.locator("#step-qa_approve input[type=checkbox]").all():
        box.check()
    _step(own, "qa_approve")
    refusal = own.locator(".refusal")
    assert refusal.is_visible()
    assert "nobody may override" in refusal.inner_text()
    assert own.locator(".stagebar [data-stage=qa][aria-current=step]").count() == 1

    # An independent reviewer signs the checklist and closes.
    qa = _login(browser, base, "qa2")
    qa.goto(case_url)
    for box in qa.locator("#step-qa_approve input[type=checkbox]").all():
        box.check()
    _step(qa, "qa_approve")
    qa.wait_for_selector(".stagebar [data-stage=closed][aria-current=step]")
    assert qa.locator(".stagebar li.done").count() == 4
