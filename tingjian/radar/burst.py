"""A burst of complaints for the demo: many customers write about the same thing at one branch.

Responsible for: filing ``count`` realistic complaints (異物, foreign objects, by default)
spread over the last ``minutes`` through the normal intake (``customers.resolve_contact`` and
``cases.intake.file_message``, exactly as a channel's messages are filed: new customers on
LINE, the phone line, the web form and public Facebook comments, some with a large
following), then running the radar at once so the crisis alert appears.
Must never: run on a production database (the command refuses with DEBUG off unless
``--force``) or write a case behind the intake's back.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count

from tingjian import clock
from tingjian.cases import intake
from tingjian.cases.models import Case
from tingjian.customers import services as customer_services
from tingjian.org.models import Branch, Category

from . import services
from .models import CrisisEvent, CrisisStatus, ViralRisk
from .services.risk import crisis_labels

MAX_COUNT = 200
MAX_MINUTES = 60
FOREIGN_OBJECT = "foreign-object"

Wording = tuple[str, str]  # subject, body with {dish} and {branch}
_PRIVATE: dict[str, tuple[Wording, ...]] = {
    "hant": (
        ("便當裡有頭髮", "今天中午在{branch}買的{dish}，吃到一半發現一根頭髮，真的很噁心。"),
        ("飯裡吃到塑膠片", "{dish}裡面有一小片透明塑膠，差點吞下去，已經拍照存證。"),
        ("餐點裡有鐵絲", "剛剛在{branch}吃{dish}，咬到一段細鐵絲，嚇死人了。"),
        ("湯裡有蟲", "{dish}的湯裡浮著一隻小蟲，整碗都不敢吃了，請退費。"),
        ("吃到玻璃碎片", "{dish}裡有玻璃碎片，嘴巴割傷流血，要求{branch}給個交代。"),
        ("又是異物", "不只我一個，朋友今天在{branch}的{dish}也吃到異物，你們廚房到底怎麼了？"),
    ),
    "hans": (
        ("便当里有头发", "今天中午在{branch}买的{dish}，吃到一半发现一根头发，太恶心了。"),
        ("饭里吃到塑料片", "{dish}里有一小片透明塑料，差点吞下去，已经拍照了。"),
        ("汤里有虫", "{dish}的汤里有一只小虫，整碗都不敢吃，要求退款。"),
    ),
    "en": (
        ("Hair in my food", "I found a hair in the {dish} I bought at {branch} today. Disgusting."),
        ("Plastic in my rice", "There was a piece of plastic in my {dish}. I nearly swallowed it; I have photos."),
    ),
}
_PUBLIC: dict[str, tuple[str, ...]] = {
    "hant": (
        "大家小心！{branch}的{dish}裡有玻璃碎片，我嘴巴割傷流血，已經爆料給記者了，等著上新聞吧",
        "今天在{branch}吃到異物的不只我一個，網友都在分享，你們還不回應？",
        "{dish}裡有金屬片！！我要找消基會，也會發到Dcard",
        "{branch}的{dish}吃到頭髮，拍照了，這間店到底有沒有在管衛生",
    ),
    "hans": ("大家注意！{branch}的{dish}吃出头发和塑料，已经发微博了，等着上新闻吧",),
    "en": ("Beware! Found plastic AND hair in my {dish} at {branch}. Already talked to a reporter, this will be news.",),
}
_GENERIC: dict[str, Wording] = {
    "hant": ("{category}的問題", "今天在{branch}遇到{category}的問題，{dish}真的讓人很失望，請盡快處理。"),
    "hans": ("{category}的问题", "今天在{branch}遇到{category}的问题，{dish}真的让人很失望，请尽快处理。"),
    "en": ("{category} problem", "Another {category} problem at {branch} today with the {dish}. Please deal with it."),
}
_SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
_GIVEN = ("怡君", "志明", "淑芬", "家豪", "雅婷", "俊傑", "美玲", "建宏", "佳穎", "宗翰", "欣怡", "冠宇")
_EN_NAMES = ("Emily Chen", "Jason Wu", "Grace Lin", "Kevin Huang", "Sarah Lee")
# Followers of public commenters; the first public comment comes from a large account.
_REACH = (180, 420, 850, 2400, 6300, 15000)
INFLUENCER_REACH = 48_000


class BurstRefused(ValueError):
    """Bad options: nothing was created."""


@dataclass
class BurstResult:
    category: Category
    branch: Branch
    cases: list[Case] = field(default_factory=list)
    public: int = 0
    scan: services.ScanResult | None = None
    crises: list[CrisisEvent] = field(default_factory=list)
    risks: list[ViralRisk] = field(default_factory=list)


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code, is_active=True).select_related("parent").first()
    if category is None:
        raise BurstRefused(f"No active category with the code {code!r}.")
    if category.parent_id is None:
        codes = ", ".join(category.children.filter(is_active=True).values_list("code", flat=True)) or "none"
        raise BurstRefused(f"{code!r} is a category group; choose one of its categories ({codes}).")
    return category


def _branch(code: str) -> Branch:
    if code:
        branch = Branch.objects.filter(code=code, is_active=True).first()
        if branch is None:
            known = ", ".join(Branch.objects.filter(is_active=True).values_list("code", flat=True)) or "none"
            raise BurstRefused(f"No active branch with the code {code!r} (known: {known}).")
        return branch
    # The busiest branch: where a burst is most believable.
    busiest = (
        Case.objects.filter(branch__is_active=True).values("branch").annotate(n=Count("id"))
        .order_by("-n", "branch").values_list("branch", flat=True).first()
    )
    branch = Branch.objects.filter(pk=busiest).first() if busiest else Branch.objects.filter(is_active=True).order_by("code").first()
    if branch is None:
        raise BurstRefused("There is no active branch; load the demo first (tingjian demo).")
    return branch


def _dishes(category: Category) -> list[Any]:
    """The products this category's complaints are usually about."""
    from tingjian.org.models import Product

    ids = list(
        Case.objects.filter(category=category, product__isnull=False).values("product").annotate(n=Count("id"))
        .order_by("-n", "product").values_list("product", flat=True)[:2]
    )
    return list(Product.objects.filter(pk__in=ids)) or list(Product.objects.filter(is_active=True).order_by("code")[:1])


def _names(obj: Any, key: str) -> str:
    if obj is None:
        return {"hant": "餐點", "hans": "餐点", "en": "meal"}[key]
    return str({"hant": obj.name_zh_hant, "hans": obj.name_zh_hans, "en": obj.name_en}[key])


def inject(
    *,
    category: str = FOREIGN_OBJECT,
    branch: str = "",
    count: int = 25,
    minutes: int = 30,
    seed: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BurstResult:
    """File the burst and run the radar; raises BurstRefused (nothing created) on bad options."""
    if not 1 <= count <= MAX_COUNT:
        raise BurstRefused(f"--count must be between 1 and {MAX_COUNT} (got {count}).")
    if not 1 <= minutes <= MAX_MINUTES:
        raise BurstRefused(
            f"--minutes must be between 1 and {MAX_MINUTES} (got {minutes}): the radar judges the last hour."
        )
    result = BurstResult(category=_category(category), branch=_branch(branch))
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    key = "hans" if result.branch.time_zone == "Asia/Shanghai" else "hant"
    dishes = _dishes(result.category)
    now = clock.now()
    times = sorted(now - timedelta(seconds=rng.randrange(0, minutes * 60)) for _ in range(count))
    public_seen = 0
    for i, at in enumerate(times):
        lang = key if rng.random() > 0.1 else "en"
        public = rng.random() < 0.25 or (i == count // 3 and public_seen == 0)
        case = _file_one(result, rng, at=at, lang=lang, public=public, first_public=public and public_seen == 0, dishes=dishes)
        public_seen += public
        result.cases.append(case)
        if progress:
            progress(i + 1)
    result.public = public_seen
    result.scan = services.scan_now(now=clock.now())
    ids = [c.pk for c in result.cases]
    result.crises = [e for e in CrisisEvent.objects.exclude(status=CrisisStatus.CLOSED) if set(e.case_ids or []) & set(ids)]
    labels = crisis_labels(ids)
    for case in Case.objects.select_related("assignee").filter(pk__in=ids, messages__is_public=True).distinct():
        row = services.recompute(case, labels=labels)
        if row is not None:
            result.risks.append(row)
    result.risks.sort(key=lambda r: -r.score)
    return result


def _file_one(
    result: BurstResult, rng: random.Random, *, at: datetime, lang: str, public: bool, first_public: bool, dishes: list[Any],
) -> Case:
    product = rng.choice(dishes) if dishes else None
    values = {"dish": _names(product, lang), "branch": _names(result.branch, lang)}
    if result.category.code == FOREIGN_OBJECT:
        if public:
            texts = _PUBLIC[lang]
            body = (texts[0] if first_public else rng.choice(texts)).format(**values)
            subject = ""
        else:
            subject, body = rng.choice(_PRIVATE[lang])
            subject, body = subject.format(**values), body.format(**values)
    else:
        values["category"] = _names(result.category, lang)
        subject, body = (part.format(**values) for part in _GENERIC[lang])
    name = rng.choice(_EN_NAMES) if lang == "en" else rng.choice(_SURNAMES) + rng.choice(_GIVEN)
    language = {"hant": "zh-hant", "hans": "zh-hans", "en": "en"}[lang]
    if public:
        channel, kind, handle = "messenger", "messenger", str(rng.randrange(10**15, 10**16))
    else:
        channel = rng.choices(["line", "phone", "webform"], weights=[5, 3, 2])[0]
        if channel == "line":
            kind, handle = "line", f"U{rng.getrandbits(128):032x}"
        elif channel == "phone":
            kind, handle = "phone", f"09{rng.randrange(10, 99)}-{rng.randrange(100, 999)}-{rng.randrange(100, 999)}"
        else:
            kind, handle = "email", f"burst-{uuid.uuid4().hex[:12]}@example.com"
    who = customer_services.resolve_contact(kind=kind, handle=handle, display_name=name, language=language)
    fields: dict[str, Any] = {"category": result.category, "branch": result.branch}
    if product is not None:
        fields["product"] = product
    filed = intake.file_message(
        customer=who.customer, identity=who.identity, channel=channel, text=body,
        external_id=f"radar-burst:{uuid.uuid4().hex}", sent_at=at, subject=subject, is_public=public,
        author_reach=(INFLUENCER_REACH if first_public else rng.choice(_REACH)) if public else None,
        fields=fields,
    )
    return filed.case
