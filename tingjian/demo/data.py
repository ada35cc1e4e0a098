"""The demo company 「好食光餐飲」: its structure, people and the complaints it receives.

Labels are (code, 繁體, 简体, English). Scenario texts come in the three languages; the
Shanghai branch writes 简体, a few customers write English, the rest 繁體.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY = "好食光餐飲"

BRANCHES = [
    ("tpe-xinyi", "台北信義店", "台北信义店", "Taipei Xinyi", "北部", "Asia/Taipei"),
    ("tpe-zhongshan", "台北中山店", "台北中山店", "Taipei Zhongshan", "北部", "Asia/Taipei"),
    ("txg-qixian", "台中勤美店", "台中勤美店", "Taichung Calligraphy Greenway", "中部", "Asia/Taipei"),
    ("khh-zuoying", "高雄左營店", "高雄左营店", "Kaohsiung Zuoying", "南部", "Asia/Taipei"),
    ("sha-jingan", "上海靜安店", "上海静安店", "Shanghai Jing'an", "華東", "Asia/Shanghai"),
]

DEPARTMENTS = [
    ("cs", "客服", "客服", "Customer service"),
    ("store-ops", "門市營運", "门市营运", "Store operations"),
    ("qa-food-safety", "品保/食安", "品保/食安", "QA & food safety"),
    ("logistics", "物流", "物流", "Logistics"),
    ("legal", "法務", "法务", "Legal"),
    ("pr", "公關", "公关", "Public relations"),
]

TEAMS = [
    ("cs-frontline", "cs", "第一線客服組", "第一线客服组", "Front-line team"),
    ("store-ops-north", "store-ops", "北區營運組", "北区营运组", "North operations"),
    ("qa-lab", "qa-food-safety", "食安稽核組", "食安稽核组", "Food safety audit"),
    ("logistics-delivery", "logistics", "外送調度組", "外送调度组", "Delivery dispatch"),
    ("legal-claims", "legal", "理賠法務組", "理赔法务组", "Claims"),
    ("pr-social", "pr", "社群公關組", "社群公关组", "Social media"),
]

PRODUCTS = [
    ("beef-noodles", "紅燒牛肉麵", "红烧牛肉面", "Braised beef noodles"),
    ("bento", "排骨便當", "排骨便当", "Pork chop bento"),
    ("bubble-tea", "珍珠奶茶", "珍珠奶茶", "Bubble milk tea"),
    ("dumplings", "鮮肉水餃", "鲜肉水饺", "Pork dumplings"),
    ("delivery", "外送服務", "外送服务", "Delivery service"),
    ("membership", "會員點數", "会员积分", "Membership points"),
]

CATEGORY_GROUPS = [
    ("food-quality", "餐點品質", "餐点品质", "Food quality", [
        ("foreign-object", "異物", "异物", "Foreign object"),
        ("temperature", "溫度不對", "温度不对", "Wrong temperature"),
        ("portion", "份量不足", "分量不足", "Small portion"),
    ]),
    ("service", "服務態度", "服务态度", "Service", [
        ("rude-staff", "態度不佳", "态度不佳", "Rude staff"),
        ("long-wait", "等候過久", "等候过久", "Long wait"),
        ("hygiene", "環境衛生", "环境卫生", "Hygiene"),
    ]),
    ("delivery", "外送", "外送", "Delivery", [
        ("late-delivery", "延遲送達", "延迟送达", "Late delivery"),
        ("missing-item", "漏送品項", "漏送品项", "Missing item"),
        ("spilled", "灑漏", "洒漏", "Spilled"),
    ]),
    ("billing", "帳務", "账务", "Billing", [
        ("double-charge", "重複扣款", "重复扣款", "Charged twice"),
        ("invoice-error", "發票錯誤", "发票错误", "Invoice error"),
        ("refund", "退款", "退款", "Refund"),
    ]),
    ("food-safety", "食安", "食安", "Food safety", [
        ("food-poisoning", "食物中毒", "食物中毒", "Food poisoning"),
        ("allergy", "過敏", "过敏", "Allergic reaction"),
        ("burn", "燙傷", "烫伤", "Burn"),
    ]),
]

ROOT_CAUSES = [
    ("procedure", "未依標準作業程序", "未依标准作业程序", "Procedure not followed"),
    ("training", "員工訓練不足", "员工培训不足", "Insufficient training"),
    ("supplier", "供應商原料問題", "供应商原料问题", "Supplier ingredient"),
    ("equipment", "設備故障", "设备故障", "Equipment failure"),
    ("staffing", "人力不足", "人力不足", "Understaffed"),
    ("courier", "外送夥伴延誤", "外送伙伴延误", "Courier partner delay"),
    ("system", "系統錯誤", "系统错误", "System error"),
    ("misunderstanding", "顧客誤解", "顾客误解", "Customer misunderstanding"),
]

# username, role, departments (first is primary), head of department?
USERS = [
    ("agent", "agent", ["cs"], False, "陳怡君"),
    ("agent2", "agent", ["logistics"], False, "林志明"),
    ("staff", "staff", ["store-ops", "qa-food-safety"], False, "張美玲"),
    ("qa", "qa", ["qa-food-safety"], False, "黃品瑜"),
    ("manager", "manager", ["cs", "store-ops"], True, "王建宏"),
    ("executive", "executive", [], False, "李董事"),
    ("admin", "admin", [], False, "系統管理員"),
]


def demo_password(username: str) -> str:
    return f"demo-{username}-2026"


@dataclass(frozen=True)
class Scenario:
    category: str
    department: str
    product: str
    severity: int
    root_cause: str
    resolution: str
    hant: tuple[str, str]
    hans: tuple[str, str]
    en: tuple[str, str]
    safety: bool = False
    compensation: int | None = None


SCENARIOS = [
    Scenario("late-delivery", "logistics", "delivery", 3, "courier", "apology",
             ("外送延遲超過一小時", "我 {hour} 點訂的{dish}，超過一個小時才送到，打電話問門市也沒人接。"),
             ("外卖延迟超过一小时", "我 {hour} 点订的{dish}，超过一个小时才送到，打电话问门店也没人接。"),
             ("Delivery over an hour late", "I ordered {dish_en} at {hour}:00 and it took more than an hour. Nobody answered the phone.")),
    Scenario("temperature", "store-ops", "beef-noodles", 4, "procedure", "replacement",
             ("湯麵送到時已經冷掉", "外送的{dish}送到時湯是冷的，麵也糊了，完全不能吃。"),
             ("汤面送到时已经凉了", "外卖的{dish}送到时汤是冷的，面也坨了，完全没法吃。"),
             ("Soup arrived cold", "The {dish_en} was cold when it arrived and the noodles were soggy.")),
    Scenario("rude-staff", "store-ops", "bento", 3, "training", "apology",
             ("店員態度很差", "結帳時店員一直滑手機，問問題還很不耐煩地回答「自己看菜單」。"),
             ("店员态度很差", "结账时店员一直玩手机，问问题还很不耐烦地说「自己看菜单」。"),
             ("Rude cashier", "The cashier was on her phone and snapped 'read the menu yourself' when I asked a question.")),
    Scenario("foreign-object", "qa-food-safety", "bento", 2, "supplier", "refund",
             ("便當裡吃到頭髮", "今天中午買的{dish}，吃到一半發現裡面有一根頭髮，非常噁心。"),
             ("便当里吃到头发", "今天中午买的{dish}，吃到一半发现里面有一根头发，非常恶心。"),
             ("Hair in my bento", "Halfway through my {dish_en} I found a hair in it. Disgusting.")),
    Scenario("foreign-object", "qa-food-safety", "dumplings", 1, "equipment", "compensation",
             ("水餃裡有玻璃碎片", "咬到{dish}裡面的玻璃碎片，嘴巴割傷流血，已經去診所處理。", ),
             ("水饺里有玻璃碎片", "咬到{dish}里面的玻璃碎片，嘴巴割伤流血，已经去诊所处理。"),
             ("Glass in dumplings", "I bit on a piece of glass in the {dish_en}; my mouth is cut and bleeding, I went to a clinic."),
             safety=True, compensation=3000),
    Scenario("food-poisoning", "qa-food-safety", "bento", 1, "supplier", "compensation",
             ("吃完便當全家拉肚子", "昨天晚餐買了四個{dish}，全家吃完半夜都上吐下瀉，懷疑食物中毒。"),
             ("吃完便当全家拉肚子", "昨天晚饭买了四个{dish}，全家吃完半夜都上吐下泻，怀疑食物中毒。"),
             ("Whole family sick after bento", "We had four {dish_en} for dinner; the whole family was vomiting at night. Food poisoning?"),
             safety=True, compensation=5000),
    Scenario("allergy", "qa-food-safety", "bubble-tea", 1, "procedure", "compensation",
             ("已告知過敏仍加了花生", "點餐時明確說對花生過敏，{dish}還是加了花生粉，孩子吃了起疹子送急診。"),
             ("已告知过敏仍加了花生", "点餐时明确说对花生过敏，{dish}还是加了花生粉，孩子吃了起疹子送急诊。"),
             ("Peanuts despite allergy warning", "I said my child is allergic to peanuts; the {dish_en} still had peanut powder. ER visit."),
             safety=True, compensation=2000),
    Scenario("burn", "store-ops", "beef-noodles", 1, "procedure", "compensation",
             ("店員打翻熱湯燙傷", "店員端{dish}時打翻，熱湯潑到我手臂，燙傷起水泡。"),
             ("店员打翻热汤烫伤", "店员端{dish}时打翻，热汤泼到我手臂，烫伤起水泡。"),
             ("Burned by spilled soup", "A server spilled hot {dish_en} on my arm; I have blisters."),
             safety=True, compensation=1500),
    Scenario("double-charge", "cs", "membership", 3, "system", "refund",
             ("信用卡被重複扣款", "用 App 付款一次，信用卡卻被扣了兩次 {amount} 元，請盡快退款。"),
             ("信用卡被重复扣款", "用 App 付款一次，信用卡却被扣了两次 {amount} 元，请尽快退款。"),
             ("Charged twice", "I paid once in the app but my card was charged {amount} twice. Please refund.")),
    Scenario("invoice-error", "cs", "membership", 4, "system", "explained",
             ("電子發票統編打錯", "發票上的統一編號跟我輸入的不一樣，公司沒辦法報帳。"),
             ("电子发票税号打错", "发票上的税号跟我输入的不一样，公司没办法报销。"),
             ("Wrong tax ID on invoice", "The company tax ID on my e-invoice is wrong, so I cannot claim it.")),
    Scenario("long-wait", "store-ops", "beef-noodles", 4, "staffing", "apology",
             ("內用等了四十分鐘", "週末中午內用，{dish}等了四十分鐘才上，後來的客人都先拿到了。"),
             ("堂食等了四十分钟", "周末中午堂食，{dish}等了四十分钟才上，后来的客人都先拿到了。"),
             ("Waited 40 minutes", "Dine-in on a weekend: the {dish_en} took 40 minutes while later guests were served first.")),
    Scenario("missing-item", "logistics", "delivery", 4, "courier", "refund",
             ("外送少了一杯飲料", "訂單有兩杯{dish}，只送來一杯，外送員說不關他的事。"),
             ("外卖少了一杯饮料", "订单有两杯{dish}，只送来一杯，外卖员说不关他的事。"),
             ("Drink missing from delivery", "I ordered two {dish_en}, only one came; the courier said it was not his problem.")),
    Scenario("hygiene", "store-ops", "dumplings", 3, "procedure", "corrective_action",
             ("廁所很髒沒人清", "店裡廁所地上都是水和垃圾，洗手乳也是空的，衛生很差。"),
             ("厕所很脏没人清", "店里厕所地上都是水和垃圾，洗手液也是空的，卫生很差。"),
             ("Dirty restroom", "The restroom floor was wet and littered and the soap was empty.")),
    Scenario("portion", "store-ops", "bento", 4, "training", "explained",
             ("排骨比以前小很多", "同樣價錢，{dish}的排骨比上個月小一半，是不是偷工減料？"),
             ("排骨比以前小很多", "同样价钱，{dish}的排骨比上个月小一半，是不是偷工减料？"),
             ("Smaller pork chop", "Same price, but the pork chop in the {dish_en} is half the size it was last month.")),
]

DISHES = {
    "beef-noodles": ("紅燒牛肉麵", "红烧牛肉面", "braised beef noodles"),
    "bento": ("排骨便當", "排骨便当", "pork chop bento"),
    "bubble-tea": ("珍珠奶茶", "珍珠奶茶", "bubble tea"),
    "dumplings": ("鮮肉水餃", "鲜肉水饺", "dumplings"),
    "delivery": ("珍珠奶茶", "珍珠奶茶", "bubble tea"),
    "membership": ("套餐", "套餐", "set meal"),
}

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = ["怡君", "志明", "淑芬", "家豪", "雅婷", "俊傑", "美玲", "建宏", "佳穎", "宗翰", "欣怡", "冠宇"]
SH_SURNAMES = "陈林黄张李王吴刘赵杨"
SH_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰"]
EN_NAMES = ["Emily Chen", "David Lin", "Sarah Wang", "Michael Huang", "Jessica Lee", "Kevin Wu"]

ACKS = {
    "hant": "{name}您好，我們已收到您的反映（案件編號 {number}），會儘速調查並回覆您。",
    "hans": "{name}您好，我们已收到您的反映（案件编号 {number}），会尽快调查并回复您。",
    "en": "Dear {name}, we have received your complaint ({number}) and are looking into it.",
}
RESOLUTIONS = {
    "hant": "{name}您好，經調查：{findings}。我們深感抱歉，已依公司規定處理（{resolution}），並完成內部改善。",
    "hans": "{name}您好，经调查：{findings}。我们深感抱歉，已按公司规定处理（{resolution}），并完成内部改善。",
    "en": "Dear {name}, our investigation found: {findings}. We are sorry; we have resolved it ({resolution}) and improved our process.",
}
FINDINGS = {
    "courier": "外送夥伴當日調度不足，訂單延遲出車",
    "procedure": "門市未依標準作業程序操作",
    "training": "新進員工未完成服務訓練",
    "supplier": "供應商當批原料檢驗有缺失",
    "equipment": "廚房設備濾網破損未及時更換",
    "staffing": "尖峰時段排班人力不足",
    "system": "支付系統逾時重送造成重複請款",
    "misunderstanding": "顧客對品項內容有誤解",
}
