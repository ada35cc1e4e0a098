"""Writes the words of synthetic cases: complaints, our replies, follow-ups and notes.

A complaint is put together from an optional greeting, where and what was ordered, one to
three problem sentences of its category (``generator_vocab``), a geometric number of details,
maybe an emotion, a demand and a closing, and now and then a long story, so lengths run from
about 50 to 400 characters with a long tail, and no two read alike. A few Chinese texts slip
into English (App 顯示 error) and a few English ones name the dish in Chinese, as customers
do. Every draw comes from the one seeded ``Dice`` passed in: same seed, same words.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any, TypeVar

from .generator_vocab import CATEGORY_TEXT, DISHES, DRINKS, GENERIC, NAMES

T = TypeVar("T")
_NORMAL = [NormalDist().inv_cdf((i + 0.5) / 4096) for i in range(4096)]


class Dice(random.Random):
    """``random.Random`` with cheaper draws for the hot loop (a case takes ~100 of them).

    ``choice`` and ``randrange`` go through rejection sampling on random bits; scaling one
    float is about three times faster and as well determined by the seed.
    """

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def between(self, low: int, high: int) -> int:
        """An int in [low, high)."""
        return low + int(self.random() * (high - low))

    def normal(self) -> float:
        """A standard normal draw, from a table of 4096 quantiles (``gauss`` is pure Python)."""
        return _NORMAL[int(self.random() * 4096)]

    def index(self, cum_weights: Sequence[float]) -> int:
        """An index drawn with these cumulative weights (as ``choices(cum_weights=…)``)."""
        return bisect_right(cum_weights, self.random() * cum_weights[-1], 0, len(cum_weights) - 1)

    def distinct(self, seq: Sequence[T], k: int) -> list[T]:
        """k different items (all of them if there are fewer), in random order."""
        if k >= len(seq):
            out = list(seq)
            self.shuffle(out)
            return out
        chosen: list[int] = []
        while len(chosen) < k:
            i = int(self.random() * len(seq))
            if i not in chosen:
                chosen.append(i)
        return [seq[i] for i in chosen]


_OPENINGS = {
    "hant": ("你好，", "您好，", "客服您好：", "我要客訴！", "不好意思，想反映一件事。", "請問負責人在嗎？",
             "真的忍不住要來反映一下。", "哈囉，", "你們好，我是常去{branch}的客人。"),
    "hans": ("你好，", "您好，", "客服你好：", "我要投诉！", "麻烦转告负责人：", "实在忍不住要反映一下。"),
    "en": ("Hello,", "Hi there,", "To whom it may concern:", "Hi,", "I want to make a complaint."),
}
_CONTEXTS = {
    "hant": {
        "dine": ("{when}在{branch}內用，點了{dish}。", "{when}跟家人去{branch}吃飯。", "{when}下班後去{branch}吃晚餐。"),
        "takeout": ("{when}在{branch}外帶了{dish}和{drink}。", "{when}在{place}附近的{branch}買了{dish}。",
                    "{when}搭捷運回家前先去{branch}買了{dish}。"),
        "delivery": ("{when}用{platform}訂了{dish}和{drink}（訂單 {order}）。", "{when}在公司跟同事一起訂了 {count} 個{dish}。",
                     "{when} {h12} 點左右用{platform}訂餐。"),
        "pay": ("{when}在{branch}消費 {amount} 元，用{payment}付款。", "{when}用 App 點了{dish}，付款方式是{payment}。"),
        "app": ("{when}想用好食光 App 點餐。", "{when} {h12} 點多打開 App 準備訂{dish}。"),
    },
    "hans": {
        "dine": ("{when}在{branch}堂食，点了{dish}。", "{when}和家人去{branch}吃饭。"),
        "takeout": ("{when}在{branch}打包了{dish}和{drink}。", "{when}坐地铁回家前去{branch}买了{dish}。"),
        "delivery": ("{when}在{platform}上订了{dish}和{drink}（订单 {order}）。", "{when}在公司和同事一起点了 {count} 份{dish}。"),
        "pay": ("{when}在{branch}消费 {amount} 元，用{payment}付款。",),
        "app": ("{when}想用小程序点餐。", "{when} {h12} 点多打开小程序准备订{dish}。"),
    },
    "en": {
        "dine": ("{when} I had dinner at {branch} and ordered {dish}.", "{when} we ate at {branch}."),
        "takeout": ("{when} I picked up {dish} and a {drink} from {branch}.", "{when} I grabbed {dish} near the MRT station on my way home."),
        "delivery": ("{when} I ordered {dish} through {platform} (order {order}).", "{when} our office ordered {count} {dish} for lunch."),
        "pay": ("{when} I spent {amount} at {branch} and paid with {payment}.",),
        "app": ("{when} I tried to order {dish} in your app.",),
    },
}
_DETAILS = {
    "hant": ("我有拍照存證。", "照片和收據都還留著。", "這已經是這個月第二次了。", "打去門市電話一直沒人接。",
             "當時店裡人不多，不是忙不過來的問題。", "小朋友也在旁邊，看了很不舒服。",
             "跟現場店員反映，只說會跟主管說，然後就沒下文。", "我在捷運上越想越氣。", "我是用悠遊卡付的，明細都查得到。",
             "發票我還留著，上面有時間可以查。", "同事說之前也遇過一樣的狀況。", "打客服專線等了二十分鐘都沒人接。",
             "店長當時不在，沒有人可以處理。", "訂單編號是 {order}。", "發票號碼 {invoice}。", "以前都很喜歡你們家，所以才更失望。",
             "當天大概是 {h12} 點多。", "我已經在 Google 評論留言了。"),
    "hans": ("我有拍照留证。", "照片和小票都还留着。", "这已经是这个月第二次了。", "打门店电话一直没人接。",
             "当时店里人不多，不是忙不过来的问题。", "跟现场店员反映，只说会跟领导说，然后就没下文了。",
             "订单号是 {order}。", "客服热线等了二十分钟都没人接。", "以前很喜欢你们家，所以才更失望。", "当天大概是 {h12} 点多。"),
    "en": ("I have photos.", "I kept the receipt.", "This is the second time this month.", "Nobody answered the store's phone.",
           "The store was not busy at the time.", "The staff said they would tell the manager and nothing happened.",
           "My order number is {order}.", "I waited twenty minutes on your hotline.", "It was around {hour}:00.",
           "I used to love this place, which makes it worse."),
}
_EMOTIONS = {
    "hant": ("真的很扯。", "傻眼。", "非常失望。", "覺得很不被尊重。", "太誇張了吧！", "這樣的品質怎麼敢賣？", "心情整個被破壞。"),
    "hans": ("真的很离谱。", "无语了。", "非常失望。", "感觉很不被尊重。", "太过分了！"),
    "en": ("Unbelievable.", "Really disappointing.", "I felt completely disrespected.", "This is not acceptable."),
}
_DEMANDS = {
    "hant": ("希望可以退費。", "請給我一個合理的交代。", "麻煩主管回電給我。", "希望退還 {amount} 元。", "請儘快處理並回覆處理結果。",
             "我要求重新補送一份。", "希望你們加強員工訓練。", "請告訴我要怎麼申請退款。"),
    "hans": ("希望可以退款。", "请给我一个合理的说法。", "麻烦负责人回电。", "希望退还 {amount} 元。", "请尽快处理并回复。"),
    "en": ("I would like a refund.", "Please have a manager call me.", "I expect a refund of {amount}.", "Please look into this and reply."),
}
_CLOSINGS = {
    "hant": ("謝謝。", "麻煩了，謝謝。", "再這樣我會在 Google 評論上公開。", "等你們回覆。", "不然我會找消保官。",
             "我是你們的老顧客，真的很失望。"),
    "hans": ("谢谢。", "麻烦了。", "不然我会在大众点评上曝光。", "等你们回复。", "不然我会打 12315 投诉。"),
    "en": ("Thanks.", "Regards.", "Looking forward to your reply.", "Otherwise I will post a review."),
}
_STORY = {
    "hant": ("其實一開始我沒打算客訴，", "但回家之後越想越不對勁。", "上個月在同一家店也遇過類似的事情，當時店員有道歉，我想說算了。",
             "這次真的忍不住，", "而且我打電話過去，接電話的人講話很衝。", "我覺得這不只是單一員工的問題，而是管理的問題。",
             "我朋友也在 PTT 看過類似的抱怨。", "希望你們能正視這個問題，不要每次都只是制式回覆。",
             "那天是帶爸媽去慶生，結果整個氣氛都被破壞了。", "我平常一週會去兩三次，從來沒有遇過這種狀況。"),
    "hans": ("其实一开始没打算投诉，", "但回家之后越想越不对劲。", "上个月在同一家店也遇到过类似的事。",
             "我觉得这不只是一个员工的问题，而是管理的问题。", "希望你们能正视，不要每次都是模板回复。"),
    "en": ("To be honest I was not going to complain at first.", "But the more I thought about it, the worse it seemed.",
           "Something similar happened at the same store last month and I let it go.",
           "It feels like a management problem, not one bad employee.", "Please do not just send me a template reply."),
}
_MIXED = {
    "hant": ("App 一直顯示 error。", "訂單一直卡在 pending。", "店員說 system 有問題。", "真的很 disappointing。", "order number 是 {order}。"),
    "hans": ("App 一直显示 error。", "订单一直卡在 pending。", "真的很 disappointing。"),
    "en": ("The staff only said 不好意思.", "The {dish} (排骨便當) was the problem.", "They kept saying 沒辦法."),
}
# When it happened: a day (the first is "today") and the part of the day of its hour.
_DAYS = {
    "hant": ("今天", "昨天", "昨天", "前天", "上週五", "週日", "週六"),
    "hans": ("今天", "昨天", "昨天", "前天", "上周五", "周日", "周六"),
    "en": ("This", "Yesterday", "Yesterday", "Last Friday", "On Sunday", "On Saturday"),
}
_PERIODS = {  # from hour: 0–5, 6–10, 11–13, 14–16, 17–23
    "hant": ("半夜", "早上", "中午", "下午", "晚上"),
    "hans": ("半夜", "早上", "中午", "下午", "晚上"),
    "en": (" night", " morning", " lunchtime", " afternoon", " evening"),
}
_MEAL_HOURS = (11, 12, 12, 12, 13, 13, 17, 18, 18, 19, 19, 19, 20, 20, 21, 22)
_PLATFORM = {"hant": ("Uber Eats", "foodpanda", "好食光 App", "官方 LINE 點餐"), "hans": ("美团", "饿了么", "小程序"),
             "en": ("Uber Eats", "foodpanda", "your app")}
_PAYMENT = {"hant": ("LINE Pay", "街口支付", "信用卡", "Apple Pay", "悠遊卡", "全支付"), "hans": ("微信支付", "支付宝", "银行卡"),
            "en": ("Apple Pay", "my credit card", "LINE Pay", "my EasyCard")}
_PLACE = {"hant": ("捷運站", "公司", "家裡", "學校", "夜市"), "hans": ("地铁站", "公司", "家里"), "en": ("the MRT station", "work", "home")}
_STAFF = {"hant": ("店員", "男店員", "戴眼鏡的女店員", "店長", "外場服務生", "櫃檯人員", "工讀生"),
          "hans": ("服务员", "店员", "店长", "收银员"), "en": ("server", "cashier", "manager", "staff member")}

_AUTO_ACK = {
    "hant": "【客服中心】已收到您的訊息，案件編號 {number}，專人將於服務時間內回覆您。",
    "hans": "【客服中心】已收到您的消息，案件编号 {number}，专人将在服务时间内回复您。",
    "en": "[Customer care] We received your message. Case {number}; a person will reply during opening hours.",
}
_ACKS = {
    "hant": ("{name}您好，我們已收到您的反映（案件編號 {number}），會儘速調查並回覆您。造成您的不便，深感抱歉。",
             "{name}您好，謝謝您告訴我們這件事，案件編號 {number}，門市主管已在了解中。"),
    "hans": ("{name}您好，我们已收到您的反映（案件编号 {number}），会尽快调查并回复您。给您带来不便，深表歉意。",),
    "en": ("Dear {name}, we have received your complaint ({number}) and are looking into it. We are sorry for the trouble.",),
}
_ASKS = {
    "hant": ("{name}您好，為了加速處理，麻煩提供訂單編號及發票照片，謝謝。", "{name}您好，請問方便提供用餐時間與餐點照片嗎？"),
    "hans": ("{name}您好，为了尽快处理，麻烦提供订单号和小票照片，谢谢。",),
    "en": ("Dear {name}, could you send us the order number and a photo of the receipt?",),
}
_ANSWERS = {
    "hant": ("訂單編號 {order}，照片如附件。", "大概是 {h12} 點多，照片等一下傳。", "發票號碼是 {invoice}。"),
    "hans": ("订单号 {order}，照片见附件。", "大概是 {h12} 点多。"),
    "en": ("Order {order}, photo attached.", "It was around {hour}:00."),
}
_FOLLOW_UPS = {
    "hant": ("請問處理進度如何？", "已經三天了還沒有下文嗎？", "補充照片如附件，請儘快處理。", "我剛剛又打了一次電話，還是沒人接。"),
    "hans": ("请问处理进度怎么样了？", "已经三天了还没有消息吗？", "补充照片见附件。"),
    "en": ("Any update on this?", "It has been three days. Any news?", "Photos attached."),
}
_THANKS = {
    "hant": ("收到，謝謝你們的處理。", "好的，希望以後不要再發生。", "退款已經收到了，謝謝。", "還是覺得很不滿意，但就這樣吧。"),
    "hans": ("收到，谢谢。", "好的，希望以后不要再发生。", "退款已经到账了，谢谢。"),
    "en": ("Thank you for sorting this out.", "OK, I hope it does not happen again.", "Refund received, thanks."),
}
_RESOLUTIONS = {
    "hant": "{name}您好，經調查：{findings}。我們深感抱歉，已{remedy}，並已要求門市改善。",
    "hans": "{name}您好，经调查：{findings}。我们深感抱歉，已{remedy}，并已要求门店改进。",
    "en": "Dear {name}, our investigation found: {findings}. We are sorry; we have {remedy} and asked the store to improve.",
}
_REMEDIES = {
    "hant": {"explained": "向您說明原因", "apology": "向相關同仁宣導", "refund": "辦理退款 {amount} 元",
             "replacement": "安排補送餐點", "compensation": "提供 {amount} 元慰問金", "corrective_action": "完成矯正措施",
             "referred": "轉請合作夥伴處理"},
    "hans": {"explained": "向您说明原因", "apology": "向相关同事宣导", "refund": "办理退款 {amount} 元",
             "replacement": "安排补送餐点", "compensation": "提供 {amount} 元慰问金", "corrective_action": "完成整改",
             "referred": "转请合作伙伴处理"},
    "en": {"explained": "explained the cause", "apology": "briefed the team", "refund": "refunded {amount}",
           "replacement": "sent a replacement", "compensation": "offered {amount} in compensation",
           "corrective_action": "taken corrective action", "referred": "referred it to our partner"},
}
_FINDINGS = {
    "hant": {"courier": "外送夥伴當日調度不足，訂單延遲出車", "procedure": "門市未依標準作業程序操作", "training": "新進員工未完成服務訓練",
             "supplier": "供應商當批原料檢驗有缺失", "equipment": "廚房設備濾網破損未及時更換", "staffing": "尖峰時段排班人力不足",
             "packaging": "外送包材封口不良", "system": "支付與點數系統逾時重送造成資料不一致", "misunderstanding": "顧客對品項內容有誤解"},
    "hans": {"courier": "骑手当日调度不足，订单延迟出餐", "procedure": "门店未按标准作业流程操作", "training": "新员工未完成服务培训",
             "supplier": "供应商该批原料检验有缺失", "equipment": "厨房设备滤网破损未及时更换", "staffing": "高峰时段排班人手不足",
             "packaging": "外卖包装封口不良", "system": "支付与积分系统超时重发导致数据不一致", "misunderstanding": "顾客对品项内容有误解"},
    "en": {"courier": "the courier partner was short of riders that day", "procedure": "the store did not follow the standard procedure",
           "training": "a new employee had not finished service training", "supplier": "a supplier batch failed inspection",
           "equipment": "a kitchen filter was broken", "staffing": "the peak shift was understaffed",
           "packaging": "the delivery packaging was not sealed", "system": "a payment system timeout caused inconsistent data",
           "misunderstanding": "the item description was misunderstood"},
}
_NOTES = {
    "hant": ("已調閱{branch}當日監視器，確認出餐時間。", "已聯繫門市店長了解狀況。", "顧客為常客，本月第二次反映。", "已請外送平台提供配送紀錄。",
             "電話聯繫顧客未接，已留言。", "財務確認退款已於今日退回原付款方式。", "已請門市保留同批食材樣品送驗。", "顧客情緒激動，建議由主管回電。"),
    "hans": ("已调取{branch}当日监控，确认出餐时间。", "已联系门店店长了解情况。", "电话联系顾客未接，已留言。", "财务确认退款已原路退回。"),
    "en": ("Checked the store's CCTV for the order time.", "Called the store manager.", "Customer did not answer; left a voicemail."),
}
_SPAM = (
    ("限時優惠！加 LINE 領取免費點數", "點擊連結 http://bit.ly/xxxx 立即領取 1000 點，名額有限！"),
    ("合作邀約：網紅業配", "您好，我們是行銷公司，想和貴店談網紅業配合作，報價如下……"),
    ("SEO services for your restaurant", "We can put your restaurant on the first page of Google. Reply for a free audit."),
    ("恭喜中奖", "您的账号已被抽中为幸运用户，请点击链接领取奖品。"),
)


class Slots(dict[str, Any]):
    """The details of one case (dish, amount, order number…), each drawn the first time a
    text asks for it: a case's texts use a few of the seventeen, and at a million cases
    drawing them all is a noticeable part of the run."""

    def __init__(self, rng: Dice, key: str, *, branch: str, dish: str | None, hour: int) -> None:
        super().__init__(branch=branch)
        self.rng, self.key, self.opened_hour, self.dish = rng, key, hour, dish

    def __missing__(self, name: str) -> Any:
        rng, key = self.rng, self.key
        if name in ("when", "hour", "h12"):
            self._when()
            return self[name]
        if name == "dish":
            value: Any = self.dish or rng.pick(DISHES[key])
        elif name == "amount":
            value = rng.between(25, 420) if key == "hans" else 5 * rng.between(17, 320)
        elif name == "order":
            value = f"{'SH' if key == 'hans' else 'TW'}{rng.between(10**7, 10**8)}"
        elif name == "invoice":
            value = f"{chr(65 + rng.below(26))}{chr(65 + rng.below(26))}-{rng.between(10**7, 10**8)}"
        elif name in _SLOT_POOLS:
            value = rng.pick(_SLOT_POOLS[name][key])
        else:
            low, high, step = _SLOT_RANGES[name]
            value = low + step * rng.below((high - low) // step)
        self[name] = value
        return value

    def _when(self) -> None:
        rng, key = self.rng, self.key
        day = rng.below(len(_DAYS[key]))
        # Today's trouble happened shortly before the customer wrote; older trouble at a meal.
        hour = max(0, self.opened_hour - rng.below(3)) if day == 0 else rng.pick(_MEAL_HOURS)
        period = _PERIODS[key][0 if hour < 6 else 1 if hour < 11 else 2 if hour < 14 else 3 if hour < 17 else 4]
        when = _DAYS[key][day] + period
        self.update(when="Today at lunchtime" if when == "This lunchtime" else when, hour=hour, h12=hour % 12 or 12)


_SLOT_POOLS = {"drink": DRINKS, "platform": _PLATFORM, "payment": _PAYMENT, "place": _PLACE, "staff": _STAFF}
_SLOT_RANGES = {"minutes": (50, 125, 5), "points": (100, 2000, 50), "count": (2, 7, 1), "days": (5, 30, 1),
                "tax_id": (10**7, 10**8, 1)}


class TextComposer:
    """Every text a synthetic case needs, in the case's language (key ``hant``/``hans``/``en``)."""

    def __init__(self, rng: Dice) -> None:
        self.rng = rng

    def slots(self, key: str, *, branch: str, dish: str | None, hour: int) -> Slots:
        """The details one case's texts share, so its messages agree with each other."""
        return Slots(self.rng, key, branch=branch, dish=dish, hour=hour)

    def complaint(self, key: str, category: str, mode: str, slots: Slots) -> tuple[str, str]:
        """(subject, body) of the customer's first message."""
        rng = self.rng
        subjects, problems = CATEGORY_TEXT.get(category, GENERIC).get(key) or GENERIC[key]
        parts: list[str] = []
        if rng.random() < 0.55:
            parts.append(rng.pick(_OPENINGS[key]))
        if rng.random() < 0.75:
            parts.append(rng.pick(_CONTEXTS[key][mode]))
        parts.extend(rng.distinct(problems, 1 + (rng.random() < 0.45) + (rng.random() < 0.15)))
        if rng.random() < 0.06:
            parts.append(rng.pick(_MIXED[key]))
        details = 0
        while details < 4 and rng.random() < 0.5:
            details += 1
        parts.extend(rng.distinct(_DETAILS[key], details))
        if rng.random() < 0.35:
            parts.append(rng.pick(_EMOTIONS[key]))
        if rng.random() < 0.07:  # the long tail: a story of what happened before and after
            parts.extend(rng.distinct(_STORY[key], rng.between(3, 8)))
        if rng.random() < 0.55:
            parts.append(rng.pick(_DEMANDS[key]))
        if rng.random() < 0.5:
            parts.append(rng.pick(_CLOSINGS[key]))
        sep = " " if key == "en" else ""
        body = sep.join(parts).format_map(slots)
        while len(body) < 50:
            body += sep + rng.pick(_DETAILS[key]).format_map(slots)
        if rng.random() < 0.2:  # a web form or an email without a subject line: its first words
            subject = body[: rng.between(18, 40)].rstrip(" ,，。") + "…"
        else:
            subject = rng.pick(subjects).format_map(slots)
        return subject[:200], body

    def customer_name(self, key: str, *, chat: bool) -> str:
        rng = self.rng
        surnames, given, nicknames = NAMES[key]
        if chat and rng.random() < 0.35:
            return rng.pick(nicknames)
        if key == "en":
            return rng.pick(given)
        name = rng.pick(surnames)
        roll = rng.random()
        if roll < 0.15:
            return name + rng.pick(("先生", "小姐") if key == "hant" else ("先生", "女士"))
        return name + rng.pick(given)

    def auto_ack(self, key: str, number: str) -> str:
        return _AUTO_ACK[key].format(number=number)

    def ack(self, key: str, name: str, number: str) -> str:
        return self.rng.pick(_ACKS[key]).format(name=name, number=number)

    def ask(self, key: str, name: str) -> str:
        return self.rng.pick(_ASKS[key]).format(name=name)

    def answer(self, key: str, slots: Slots) -> str:
        return self.rng.pick(_ANSWERS[key]).format_map(slots)

    def follow_up(self, key: str) -> str:
        return self.rng.pick(_FOLLOW_UPS[key])

    def thanks(self, key: str) -> str:
        return self.rng.pick(_THANKS[key])

    def findings(self, key: str, root_cause: str, label: str) -> str:
        return _FINDINGS[key].get(root_cause, label)

    def resolution(self, key: str, name: str, findings: str, code: str, amount: Any) -> str:
        remedy = _REMEDIES[key].get(code, _REMEDIES[key]["explained"]).format(amount=amount)
        return _RESOLUTIONS[key].format(name=name, findings=findings, remedy=remedy)

    def note(self, key: str, slots: Slots) -> str:
        # Staff write notes in their own language: the Shanghai team 简体, everyone else 繁體.
        return self.rng.pick(_NOTES["hans" if key == "hans" else "hant"]).format_map(slots)

    def spam(self) -> tuple[str, str]:
        return self.rng.pick(_SPAM)
