"""Knowledge test helpers: articles and templates written through the services, so the audit
trail and the search index are as in real use."""

from __future__ import annotations

from typing import Any

from tingjian.knowledge import services
from tingjian.knowledge.models import Article, ReplyTemplate


def make_article(by: Any, *, publish: bool = True, **fields: Any) -> Article:
    values = {
        "title_zh": "發票開立錯誤的更正流程", "body_zh": "請先確認統一編號，再作廢原發票並重新開立。",
        "title_en": "Correcting a wrong invoice", "body_en": "Check the tax ID, void the invoice and issue a new one.",
        "category_code": "invoice-error", **fields,
    }
    return services.create_article(by=by, publish=publish, **values)


def make_template(by: Any, **fields: Any) -> ReplyTemplate:
    values = {
        "name": "道歉與跟進",
        "body_zh": "{customer_name} 您好，關於案件 {case_number}，{branch}已經在處理，造成不便深感抱歉。",
        "body_en": "Dear {customer_name}, about case {case_number}: {branch} is on it. We are sorry.",
        "category_code": "", **fields,
    }
    return services.create_template(by=by, **values)
