"""The demo company 「好食光餐飲」: its structure, people and the complaints it receives.

Labels are (code, 繁體, 简体, English). Each complaint scenario has a few wordings in each of
the three languages; the builder adds an opening, details (dish, time, amount, order number,
branch) and a closing, so no two complaints read alike. The Shanghai branch writes 简体, a
few customers write English, the rest 繁體.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY = "好食光餐飲"

# code, 繁體, 简体, English, region, time zone
BRANCHES = [
    ("tpe-xinyi", "台北信義店", "台北信义店", "Taipei Xinyi", "北區", "Asia/Taipei"),
    ("tpe-zhongshan", "台北中山店", "台北中山店", "Taipei Zhongshan", "北區", "Asia/Taipei"),
    ("txg-qinmei", "台中勤美店", "台中勤美店", "Taichung Qinmei", "中區", "Asia/Taipei"),
    ("khh-zuoying", "高雄左營店", "高雄左营店", "Kaohsiung Zuoying", "南區", "Asia/Taipei"),
    ("sha-jingan", "上海靜安店", "上海静安店", "Shanghai Jing'an", "華東區", "Asia/Shanghai"),
]
SHANGHAI = "sha-jingan"
# Personal-safety cases alert this department's head (and the executives) at once.
SAFETY_DEPARTMENT = "qa-food-safety"

DEPARTMENTS = [
    ("cs", "客服", "客服", "Customer service"),
    ("store-ops", "門市營運", "门店营运", "Store operations"),
    ("qa-food-safety", "品保/食安", "品保/食安", "QA & food safety"),
    ("logistics", "物流", "物流", "Logistics"),
    ("legal", "法務", "法务", "Legal"),
    ("pr", "公關", "公关", "Public relations"),
]

# code, department, 繁體, 简体, English
TEAMS = [
    ("cs-frontline", "cs", "第一線客服組", "第一线客服组", "Front-line team"),
    ("cs-online", "cs", "線上客服組", "线上客服组", "Online channels team"),
    ("store-ops-north", "store-ops", "北區營運組", "北区营运组", "North operations"),
    ("store-ops-south", "store-ops", "中南區營運組", "中南区营运组", "Central & south operations"),
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
    ("delivery", "外送服務", "外卖服务", "Delivery service"),
    ("membership", "會員點數", "会员积分", "Membership points"),
    ("app", "好食光 App", "好食光 App", "Haoshiguang app"),
]

# group code, 繁體, 简体, English, [leaf categories]
CATEGORY_GROUPS = [
    ("food-quality", "餐點品質", "餐点品质", "Food quality", [
        ("foreign-object", "異物", "异物", "Foreign object"),
        ("temperature", "溫度不對", "温度不对", "Wrong temperature"),
        ("portion", "份量不足", "分量不足", "Small portion"),
        ("wrong-order", "送錯餐點", "送错餐点", "Wrong order"),
    ]),
    ("service", "服務態度", "服务态度", "Service", [
        ("rude-staff", "態度不佳", "态度不佳", "Rude staff"),
        ("long-wait", "等候過久", "等候过久", "Long wait"),
        ("hygiene", "環境衛生", "环境卫生", "Hygiene"),
    ]),
    ("delivery", "外送", "外卖", "Delivery", [
        ("late-delivery", "延遲送達", "延迟送达", "Late delivery"),
        ("missing-item", "漏送品項", "漏送品项", "Missing item"),
        ("spilled", "灑漏", "洒漏", "Spilled"),
    ]),
    ("billing", "帳務", "账务", "Billing", [
        ("double-charge", "重複扣款", "重复扣款", "Charged twice"),
        ("invoice-error", "發票錯誤", "发票错误", "Invoice error"),
        ("refund", "退款", "退款", "Refund"),
    ]),
    ("app-payment", "App 與支付", "App 与支付", "App & payment", [
        ("app-error", "App 無法下單", "App 无法下单", "Cannot order in the app"),
        ("payment-failed", "付款失敗", "付款失败", "Payment failed"),
        ("points-missing", "點數未入帳", "积分未到账", "Points not credited"),
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
    ("packaging", "包裝不良", "包装不良", "Poor packaging"),
    ("system", "系統錯誤", "系统错误", "System error"),
    ("misunderstanding", "顧客誤解", "顾客误解", "Customer misunderstanding"),
]

# username, roles, departments (first is primary), heads these departments, display name.
# `qa` also works food-safety cases as 品保 staff, as in a small chain: the hard rule that a
# reviewer never approves a case they own or answered is what keeps the two apart.
# Rungs of the SLA ladder below the department heads (USERS): (team, its lead). The
# customer-service teams have no lead, so their breaches go from the handler straight to
# the head of customer service — the ladder skips an empty rung.
TEAM_LEADS = [("store-ops-north", "staff"), ("qa-lab", "qa"), ("logistics-delivery", "manager")]

USERS = [
    ("agent", ["agent"], ["cs"], [], "陳怡君"),
    ("agent2", ["agent"], ["logistics"], [], "林志明"),
    ("staff", ["staff"], ["store-ops", "qa-food-safety"], [], "張美玲"),
    ("qa", ["qa", "staff"], ["qa-food-safety"], ["qa-food-safety"], "黃品瑜"),
    ("manager", ["manager"], ["cs", "store-ops", "logistics"], ["cs", "store-ops", "logistics"], "王建宏"),
    ("executive", ["executive"], [], [], "李振華"),
    ("pr", ["pr"], ["pr"], ["pr"], "吳佩珊"),
    ("admin", ["admin"], [], [], "系統管理員"),
]


def demo_password(username: str) -> str:
    """A fixed, printed password: the demo is for trying the product, never for real use."""
    return f"demo-{username}-2026"


Wording = tuple[str, str]  # subject, body (body may use {dish} {dish_en} {hour} {amount} {order} {branch} {minutes})


@dataclass(frozen=True)
class Scenario:
    category: str
    department: str
    product: str
    severity: int
    root_cause: str
    resolution: str
    hant: tuple[Wording, ...]
    hans: tuple[Wording, ...]
    en: tuple[Wording, ...]
    safety: bool = False
    compensation: int | None = None
    weight: float = 1.0


SCENARIOS = [
    Scenario("late-delivery", "logistics", "delivery", 3, "courier", "apology",
             (("外送延遲超過一小時", "我 {hour} 點訂的{dish}，超過一個小時才送到，打電話問{branch}也沒人接。"),
              ("外送等了 {minutes} 分鐘", "App 上顯示 30 分鐘送達，結果等了 {minutes} 分鐘，東西都涼了（訂單 {order}）。"),
              ("外送員一直繞路", "看地圖外送員一直在附近繞，{minutes} 分鐘後才送到，打給他也不接。")),
             (("外卖延迟超过一小时", "我 {hour} 点订的{dish}，超过一个小时才送到，打电话问{branch}也没人接。"),
              ("外卖等了 {minutes} 分钟", "App 上显示 30 分钟送达，结果等了 {minutes} 分钟，东西都凉了（订单 {order}）。")),
             (("Delivery over an hour late", "I ordered {dish_en} at {hour}:00 and it took more than an hour. Nobody at {branch} answered the phone."),
              ("Waited {minutes} minutes for delivery", "The app promised 30 minutes; it took {minutes}. Order {order}.")),
             weight=2.0),
    Scenario("temperature", "store-ops", "beef-noodles", 4, "procedure", "replacement",
             (("湯麵送到時已經冷掉", "外送的{dish}送到時湯是冷的，麵也糊了，完全不能吃。"),
              ("內用的湯是溫的", "在{branch}內用，{dish}端上來湯是溫的，請店員加熱還被白眼。")),
             (("汤面送到时已经凉了", "外卖的{dish}送到时汤是冷的，面也坨了，完全没法吃。"),),
             (("Soup arrived cold", "The {dish_en} was cold when it arrived and the noodles were soggy."),)),
    Scenario("rude-staff", "store-ops", "bento", 3, "training", "apology",
             (("店員態度很差", "結帳時店員一直滑手機，問問題還很不耐煩地回答「自己看菜單」。"),
              ("被店員當眾大聲斥責", "{hour} 點左右在{branch}，只是問餐點還要等多久，店員就當著其他客人的面大聲罵我。"),
              ("外場服務生翻白眼", "請服務生幫忙換餐具，他翻白眼說很忙，整頓飯吃得很不舒服。")),
             (("店员态度很差", "结账时店员一直玩手机，问问题还很不耐烦地说「自己看菜单」。"),
              ("服务员当众大声训斥", "{hour} 点左右在{branch}，只是问餐点还要等多久，服务员就当着其他客人的面大声骂我。")),
             (("Rude cashier", "The cashier at {branch} was on her phone and snapped 'read the menu yourself' when I asked a question."),),
             weight=1.5),
    Scenario("foreign-object", "qa-food-safety", "bento", 2, "supplier", "refund",
             (("便當裡吃到頭髮", "今天中午買的{dish}，吃到一半發現裡面有一根頭髮，非常噁心。"),
              ("飯裡有塑膠片", "{dish}的白飯裡有一小片透明塑膠，幸好沒吞下去，照片已拍下。")),
             (("便当里吃到头发", "今天中午买的{dish}，吃到一半发现里面有一根头发，非常恶心。"),),
             (("Hair in my bento", "Halfway through my {dish_en} I found a hair in it. Disgusting."),)),
    Scenario("foreign-object", "qa-food-safety", "dumplings", 1, "equipment", "compensation",
             (("水餃裡有玻璃碎片", "咬到{dish}裡面的玻璃碎片，嘴巴割傷流血，已經去診所處理。"),
              ("水餃吃到金屬片割傷", "{dish}裡面有一片金屬，嘴巴內側割傷縫了兩針，要求公司負責。")),
             (("水饺里有玻璃碎片", "咬到{dish}里面的玻璃碎片，嘴巴割伤流血，已经去诊所处理。"),),
             (("Glass in dumplings", "I bit on a piece of glass in the {dish_en}; my mouth is cut and bleeding, I went to a clinic."),),
             safety=True, compensation=3000),
    Scenario("food-poisoning", "qa-food-safety", "bento", 1, "supplier", "compensation",
             (("吃完便當全家拉肚子", "昨天晚餐在{branch}買了四個{dish}，全家吃完半夜都上吐下瀉，懷疑食物中毒。"),
              ("食物中毒送急診", "中午吃了{dish}，下午開始發燒腹瀉，醫生說是細菌性腸胃炎，診斷書可以提供。")),
             (("吃完便当全家拉肚子", "昨天晚饭在{branch}买了四个{dish}，全家吃完半夜都上吐下泻，怀疑食物中毒。"),),
             (("Whole family sick after bento", "We had four {dish_en} for dinner; the whole family was vomiting at night. Food poisoning?"),),
             safety=True, compensation=5000),
    Scenario("allergy", "qa-food-safety", "bubble-tea", 1, "procedure", "compensation",
             (("已告知過敏仍加了花生", "點餐時明確說對花生過敏，{dish}還是加了花生粉，孩子喝了起疹子送急診。"),),
             (("已告知过敏仍加了花生", "点餐时明确说对花生过敏，{dish}还是加了花生粉，孩子喝了起疹子送急诊。"),),
             (("Peanuts despite allergy warning", "I said my child is allergic to peanuts; the {dish_en} still had peanut powder. ER visit."),),
             safety=True, compensation=2000),
    Scenario("burn", "store-ops", "beef-noodles", 1, "procedure", "compensation",
             (("店員打翻熱湯燙傷", "店員端{dish}時打翻，熱湯潑到我手臂，燙傷起水泡。"),
              ("小孩被熱湯燙傷", "{branch}的服務生上{dish}沒有提醒，湯碗太燙，小孩手背燙紅起水泡。")),
             (("店员打翻热汤烫伤", "店员端{dish}时打翻，热汤泼到我手臂，烫伤起水泡。"),),
             (("Burned by spilled soup", "A server spilled hot {dish_en} on my arm; I have blisters."),),
             safety=True, compensation=1500),
    Scenario("double-charge", "cs", "membership", 3, "system", "refund",
             (("信用卡被重複扣款", "用 App 付款一次，信用卡卻被扣了兩次 {amount} 元，請盡快退款。"),
              ("同一筆訂單扣了兩次錢", "訂單 {order} 只付了一次，銀行通知卻有兩筆 {amount} 元，客服電話一直打不通。")),
             (("信用卡被重复扣款", "用 App 付款一次，信用卡却被扣了两次 {amount} 元，请尽快退款。"),),
             (("Charged twice", "I paid once in the app but my card was charged {amount} twice. Please refund."),)),
    Scenario("invoice-error", "cs", "membership", 4, "system", "explained",
             (("電子發票統編打錯", "發票上的統一編號跟我輸入的不一樣，公司沒辦法報帳。"),
              ("發票沒有存進載具", "最近三次消費的電子發票都沒有歸戶到手機載具，請協助補登。")),
             (("发票抬头错误", "发票上的税号跟我输入的不一样，公司没办法报销。"),),
             (("Wrong tax ID on invoice", "The company tax ID on my e-invoice is wrong, so I cannot claim it."),)),
    Scenario("refund", "cs", "delivery", 3, "procedure", "refund",
             (("退款兩週還沒收到", "訂單 {order} 取消後說會退款 {amount} 元，已經兩個禮拜了還沒入帳。"),
              ("取消訂單不給退款", "下單五分鐘就取消，門市說已經做了不能退，但明明還沒出餐。")),
             (("退款两周还没到账", "订单 {order} 取消后说会退款 {amount} 元，已经两个礼拜了还没到账。"),),
             (("Refund not received", "Order {order} was cancelled and a refund of {amount} promised two weeks ago. Nothing yet."),)),
    Scenario("long-wait", "store-ops", "beef-noodles", 4, "staffing", "apology",
             (("內用等了四十分鐘", "週末中午內用，{dish}等了四十分鐘才上，後來的客人都先拿到了。"),
              ("自取還要等 {minutes} 分鐘", "App 預約 {hour} 點自取，到{branch}還要再等 {minutes} 分鐘，預約有什麼用？")),
             (("堂食等了四十分钟", "周末中午堂食，{dish}等了四十分钟才上，后来的客人都先拿到了。"),),
             (("Waited 40 minutes", "Dine-in on a weekend: the {dish_en} took 40 minutes while later guests were served first."),)),
    Scenario("missing-item", "logistics", "delivery", 4, "courier", "refund",
             (("外送少了一杯飲料", "訂單有兩杯珍珠奶茶，只送來一杯，外送員說不關他的事。"),
              ("外送漏了一個便當", "訂了三個排骨便當只收到兩個，訂單 {order}，打去{branch}說要我自己找外送平台。")),
             (("外卖少了一杯饮料", "订单有两杯珍珠奶茶，只送来一杯，外卖员说不关他的事。"),),
             (("Drink missing from delivery", "I ordered two bubble teas, only one came; the courier said it was not his problem."),)),
    Scenario("spilled", "logistics", "delivery", 4, "packaging", "replacement",
             (("湯灑了整個袋子", "外送的{dish}湯全部灑出來，袋子裡都是湯，根本沒辦法吃。"),
              ("奶茶杯蓋破掉", "珍珠奶茶送來杯蓋破掉，灑了一半，紙袋也濕透了。")),
             (("汤洒了整个袋子", "外卖的{dish}汤全部洒出来，袋子里都是汤，根本没法吃。"),),
             (("Soup spilled in the bag", "The {dish_en} soup had spilled all over the bag; inedible."),)),
    Scenario("hygiene", "store-ops", "dumplings", 3, "procedure", "corrective_action",
             (("廁所很髒沒人清", "{branch}的廁所地上都是水和垃圾，洗手乳也是空的，衛生很差。"),
              ("桌上有蟑螂", "在{branch}用餐時看到蟑螂從桌邊爬過去，跟店員說只回一句「會處理」。")),
             (("厕所很脏没人打扫", "{branch}的厕所地上都是水和垃圾，洗手液也是空的，卫生很差。"),),
             (("Dirty restroom", "The restroom at {branch} was wet and littered and the soap was empty."),)),
    Scenario("portion", "store-ops", "bento", 4, "training", "explained",
             (("排骨比以前小很多", "同樣價錢，{dish}的排骨比上個月小一半，是不是偷工減料？"),),
             (("排骨比以前小很多", "同样价钱，{dish}的排骨比上个月小一半，是不是偷工减料？"),),
             (("Smaller pork chop", "Same price, but the pork chop in the {dish_en} is half the size it was last month."),)),
    Scenario("wrong-order", "store-ops", "bento", 4, "procedure", "replacement",
             (("送錯餐點", "我點的是{dish}，收到的卻是雞腿飯，而且還是別人的訂單（{order}）。"),
              ("飲料甜度冰塊都做錯", "點了微糖去冰的珍珠奶茶，拿到的是全糖正常冰，第二次發生了。")),
             (("送错餐点", "我点的是{dish}，收到的却是鸡腿饭，而且还是别人的订单（{order}）。"),),
             (("Wrong order delivered", "I ordered {dish_en} but received a chicken rice box, for someone else's order ({order})."),)),
    Scenario("app-error", "cs", "app", 3, "system", "explained",
             (("App 一直閃退無法下單", "更新 App 之後一打開購物車就閃退，{hour} 點想訂餐訂不了。"),
              ("優惠券無法使用", "App 裡的滿 {amount} 折 100 優惠券，結帳時一直顯示「不適用」。")),
             (("App 一直闪退无法下单", "更新 App 之后一打开购物车就闪退，{hour} 点想订餐订不了。"),),
             (("App crashes at checkout", "Since the update the app crashes when I open the cart; I could not order at {hour}:00."),)),
    Scenario("payment-failed", "cs", "app", 3, "system", "refund",
             (("付款失敗但有扣款", "App 顯示付款失敗，但 LINE Pay 已經扣了 {amount} 元，訂單也沒有成立。"),),
             (("支付失败但已扣款", "App 显示支付失败，但微信支付已经扣了 {amount} 元，订单也没有生成。"),),
             (("Payment failed but money taken", "The app said the payment failed, but {amount} was taken from my card and there is no order."),)),
    Scenario("points-missing", "cs", "membership", 4, "system", "apology",
             (("會員點數沒有入帳", "上週消費 {amount} 元，會員點數到現在都沒有入帳，App 查不到紀錄。"),
              ("點數被莫名扣掉", "我的會員點數少了 500 點，沒有兌換過任何東西。")),
             (("会员积分没有到账", "上周消费 {amount} 元，会员积分到现在都没有到账，App 查不到记录。"),),
             (("Points not credited", "I spent {amount} last week and the membership points never showed up."),)),
]

DISHES = {
    "beef-noodles": ("紅燒牛肉麵", "红烧牛肉面", "braised beef noodles"),
    "bento": ("排骨便當", "排骨便当", "pork chop bento"),
    "bubble-tea": ("珍珠奶茶", "珍珠奶茶", "bubble tea"),
    "dumplings": ("鮮肉水餃", "鲜肉水饺", "dumplings"),
    "delivery": ("牛肉麵套餐", "牛肉面套餐", "beef noodle set"),
    "membership": ("套餐", "套餐", "set meal"),
    "app": ("便當", "便当", "bento"),
}

OPENINGS = {
    "hant": ["", "", "你好，", "客服您好：", "我要客訴！", "請問負責人在嗎？", "不好意思，想反映一件事。"],
    "hans": ["", "", "你好，", "客服你好：", "我要投诉！", "麻烦转告负责人："],
    "en": ["", "Hello. ", "Hi there. ", "To whom it may concern: "],
}
CLOSINGS = {
    "hant": ["", "請盡快給我一個交代。", "希望你們改進。", "麻煩回電，謝謝。", "再這樣我會在 Google 評論上公開。",
             "我是你們的老顧客，真的很失望。", "請給我一個合理的說法。"],
    "hans": ["", "请尽快给我一个说法。", "希望你们改进。", "麻烦回电，谢谢。", "再这样我会在大众点评上曝光。"],
    "en": ["", " Please get back to me soon.", " Very disappointed.", " I expect a refund."],
}

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周葉蘇莊呂江何蕭羅高潘"
GIVEN = ["怡君", "志明", "淑芬", "家豪", "雅婷", "俊傑", "美玲", "建宏", "佳穎", "宗翰", "欣怡", "冠宇",
         "詩涵", "承恩", "品妤", "柏翰", "宜蓁", "子軒", "秀英", "文雄"]
SH_SURNAMES = "陈林黄张李王吴刘赵杨周徐孙朱"
SH_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰", "婷", "浩然", "思雨", "建国"]
EN_NAMES = ["Emily Chen", "David Lin", "Sarah Wang", "Michael Huang", "Jessica Lee", "Kevin Wu",
            "Anna Schmidt", "James Walker", "Yuki Tanaka", "Maria Santos"]

ACKS = {
    "hant": "{name}您好，我們已收到您的反映（案件編號 {number}），會儘速調查並回覆您。造成您的不便，深感抱歉。",
    "hans": "{name}您好，我们已收到您的反映（案件编号 {number}），会尽快调查并回复您。给您带来不便，深表歉意。",
    "en": "Dear {name}, we have received your complaint ({number}) and are looking into it. We are sorry for the trouble.",
}
SAFETY_ACKS = {
    "hant": "{name}您好，非常抱歉發生這樣的事。請問您現在身體狀況如何？我們已列為最優先處理（案件編號 {number}），主管會在今天內與您聯繫，醫療相關費用請保留收據。",
    "hans": "{name}您好，非常抱歉发生这样的事。请问您现在身体情况如何？我们已列为最优先处理（案件编号 {number}），主管会在今天内与您联系，医疗相关费用请保留收据。",
    "en": "Dear {name}, we are very sorry. How are you feeling now? Your case ({number}) has top priority and a manager will call you today; please keep any medical receipts.",
}
RESOLUTIONS = {
    "hant": "{name}您好，經調查：{findings}。我們深感抱歉，已依公司規定處理（{resolution}），並完成內部改善。",
    "hans": "{name}您好，经调查：{findings}。我们深感抱歉，已按公司规定处理（{resolution}），并完成内部改善。",
    "en": "Dear {name}, our investigation found: {findings}. We are sorry; we have resolved it ({resolution}) and improved our process.",
}
FOLLOW_UPS = {
    "hant": ["請問處理進度如何？", "已經三天了還沒有下文嗎？", "補充照片如附件，請儘快處理。"],
    "hans": ["请问处理进度如何？", "已经三天了还没有消息吗？", "补充照片如附件，请尽快处理。"],
    "en": ["Any update on this?", "It has been three days. Any news?"],
}
FINDINGS = {
    "courier": "外送夥伴當日調度不足，訂單延遲出車",
    "procedure": "門市未依標準作業程序操作",
    "training": "新進員工未完成服務訓練",
    "supplier": "供應商當批原料檢驗有缺失",
    "equipment": "廚房設備濾網破損未及時更換",
    "staffing": "尖峰時段排班人力不足",
    "packaging": "外送包材封口不良，未使用防漏封膜",
    "system": "支付與點數系統逾時重送造成資料不一致",
    "misunderstanding": "顧客對品項內容有誤解",
}
SAFETY_NOTES = [
    "@manager 人身安全案件，已請品保調閱當日出餐紀錄並保留樣品，請協助通知法務與公關。",
    "@manager 顧客已就醫，醫療收據會寄來，理賠金額待核准。",
]
QA_REJECT_REASONS = [
    "回覆未說明後續改善措施，請補充矯正行動。",
    "調查結果缺少門市監視器紀錄佐證，請補上。",
]
REOPEN_REASONS = [
    "顧客再次來電，表示同樣問題又發生了。",
    "顧客表示退款仍未入帳，重新追蹤。",
]
SPAM_REASONS = [
    "廣告推銷訊息，與服務無關，依規定結案。",
    "重複發送的詐騙連結訊息，非顧客反映。",
]
SPAM_TEXTS = [
    ("限時優惠！加 LINE 領取免費點數", "點擊連結 http://bit.ly/xxxx 立即領取 1000 點，名額有限！"),
    ("合作邀約：網紅業配", "您好，我們是行銷公司，想和貴店談網紅業配合作，報價如下……"),
]
