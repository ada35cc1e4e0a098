"""What customers complain about, per category, in the three languages of the synthetic data.

Data only (``generator_text`` composes it). Each category has a few subjects and several
problem sentences per language: 繁體 as written in Taiwan (便當, 捷運, 悠遊卡, 發票、載具、統編,
外送), 简体 as written in Shanghai (外卖, 发票抬头、税号, 微信支付, 大众点评) and English. The
words a search benchmark looks for are here on purpose and at realistic rates: 2-character
words (發票, 退款, 異物, 態度), 4-character phrases (食物中毒, 重複扣款, 態度惡劣) and English
words (refund, invoice, delivery).

Slots, filled per case by ``generator_text``: {dish} {drink} {branch} {when} {hour} {minutes}
{amount} {order} {platform} {payment} {place} {staff} {points} {invoice} {tax_id} {count} {days}.
A category code the table does not know (another company's taxonomy) uses ``GENERIC``.
"""

from __future__ import annotations

# language key → (subjects, problems)
CategoryText = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]

CATEGORY_TEXT: dict[str, CategoryText] = {
    "foreign-object": {
        "hant": (("餐點裡有異物", "便當吃到頭髮", "{dish}裡有不明異物", "飯裡有塑膠片", "餐點有頭髮異物"),
                 ("{dish}吃到一半發現裡面有一根頭髮，非常噁心。", "白飯裡夾著一小片透明塑膠，差點就吞下去。",
                  "湯裡面浮著一隻小蟲，整碗都不敢再吃了。", "咬到一顆硬硬的東西，吐出來是一小段鐵絲。",
                  "{dish}的配菜裡有一張像是標籤紙的東西。", "青菜裡還有沒洗乾淨的沙子，吃起來一直咬到。")),
        "hans": (("餐里有异物", "便当吃到头发", "{dish}里有不明异物"),
                 ("{dish}吃到一半发现里面有一根头发，非常恶心。", "米饭里夹着一小片透明塑料，差点就咽下去了。",
                  "汤里面漂着一只小虫子，整碗都不敢再吃了。", "咬到一个硬东西，吐出来是一小段铁丝。")),
        "en": (("Hair in my food", "Foreign object in {dish}", "Plastic in my rice"),
               ("Halfway through the {dish} I found a long hair in it.", "There was a piece of clear plastic in the rice; I nearly swallowed it.",
                "A small insect was floating in the soup.", "I bit on something hard and it turned out to be a piece of wire.")),
    },
    "temperature": {
        "hant": (("餐點送到已經冷掉", "湯麵是冷的", "{dish}溫度不對"),
                 ("{dish}送到時湯是冷的，麵也糊了，完全不能吃。", "內用的{dish}端上來是溫的，請店員加熱還被白眼。",
                  "炸物整個軟掉又冷掉，像是放了很久才出餐。", "熱飲拿到手上是溫的，冰的那杯卻是常溫。")),
        "hans": (("外卖送到已经凉了", "汤面是冷的", "{dish}温度不对"),
                 ("{dish}送到时汤是冷的，面也坨了，完全没法吃。", "堂食的{dish}端上来是温的，请服务员加热还被翻白眼。",
                  "炸物又软又凉，像是放了很久才出餐。")),
        "en": (("Food arrived cold", "Cold soup", "{dish} served lukewarm"),
               ("The {dish} was cold when it arrived and the noodles were soggy.", "My dine-in {dish} came out lukewarm and the server rolled her eyes when I asked to reheat it.",
                "The fried chicken was cold and limp, as if it had been sitting for ages.")),
    },
    "portion": {
        "hant": (("份量變少了", "排骨比以前小很多", "{dish}份量不足"),
                 ("同樣價錢，{dish}的排骨比上個月小了快一半，是不是偷工減料？", "便當的飯只有半盒，菜也少得可憐。",
                  "牛肉麵裡的牛肉只有三塊，而且都是筋。", "珍奶的珍珠少到數得出來，杯子也沒裝滿。")),
        "hans": (("分量变少了", "{dish}分量不足"),
                 ("同样价钱，{dish}的排骨比上个月小了快一半，是不是偷工减料？", "便当的饭只有半盒，菜也少得可怜。",
                  "牛肉面里的牛肉只有三块，而且都是筋。")),
        "en": (("Portion much smaller", "Tiny portion of {dish}"),
               ("Same price, but the pork chop in the {dish} is half the size it was last month.", "The rice box was only half full.",
                "There were three pieces of beef in the noodle soup, all gristle.")),
    },
    "wrong-order": {
        "hant": (("送錯餐點", "拿到別人的餐", "飲料做錯"),
                 ("我點的是{dish}，收到的卻是雞腿飯，而且還是別人的訂單。", "點了微糖去冰的{drink}，拿到的是全糖正常冰，已經第二次了。",
                  "明明備註不要香菜，結果整碗都是香菜。", "外帶回家才發現少了一個{dish}，多了一個沒點的。")),
        "hans": (("送错餐点", "拿到别人的餐", "饮料做错"),
                 ("我点的是{dish}，收到的却是鸡腿饭，而且还是别人的订单。", "点了少糖去冰的{drink}，拿到的是全糖正常冰。",
                  "明明备注不要香菜，结果整碗都是香菜。")),
        "en": (("Wrong order", "Received someone else's order", "Drink made wrong"),
               ("I ordered {dish} but got a chicken rice box instead, for somebody else's order.", "I asked for no sugar, no ice; the {drink} came full sugar with ice.",
                "I wrote 'no coriander' in the notes and the bowl was covered in it.")),
    },
    "rude-staff": {
        "hant": (("店員態度很差", "服務態度惡劣", "被店員當眾斥責", "{staff}態度不佳"),
                 ("結帳時{staff}一直滑手機，問問題還很不耐煩地說「自己看菜單」。", "只是問餐點還要等多久，{staff}就當著其他客人的面大聲罵我。",
                  "請{staff}幫忙換餐具，他翻白眼說很忙。", "{staff}講話很衝，還說「不然你要怎樣」，態度惡劣。",
                  "找零的時候直接把錢丟在桌上，連一句謝謝都沒有。", "我推嬰兒車進門，{staff}竟然說「這樣很擋路，外帶就好」。")),
        "hans": (("店员态度很差", "服务态度恶劣", "被服务员当众训斥"),
                 ("结账时{staff}一直玩手机，问问题还很不耐烦地说「自己看菜单」。", "只是问餐点还要等多久，{staff}就当着其他客人的面大声骂我。",
                  "请{staff}帮忙换餐具，他翻白眼说很忙。", "{staff}说话很冲，还说「那你想怎么样」，态度恶劣。")),
        "en": (("Rude staff", "Very rude cashier", "Shouted at by a server"),
               ("The cashier was on her phone and snapped 'read the menu yourself' when I asked a question.", "I only asked how long the food would take and the {staff} shouted at me in front of everyone.",
                "The server rolled his eyes and said he was too busy to bring a clean spoon.", "Staff threw my change on the counter without a word.")),
    },
    "long-wait": {
        "hant": (("等候過久", "內用等了四十分鐘", "自取還要再等 {minutes} 分鐘"),
                 ("週末中午內用，{dish}等了四十分鐘才上，後來的客人都先拿到了。", "App 預約 {h12} 點自取，到了店裡還要再等 {minutes} 分鐘，預約有什麼用？",
                  "排隊點餐就排了二十分鐘，櫃檯只開一個。", "催了三次，店員每次都說「快好了」。")),
        "hans": (("等候过久", "堂食等了四十分钟"),
                 ("周末中午堂食，{dish}等了四十分钟才上，后来的客人都先拿到了。", "小程序预约 {h12} 点自取，到了店里还要再等 {minutes} 分钟。",
                  "排队点餐就排了二十分钟，收银台只开一个。")),
        "en": (("Waited far too long", "40 minutes for {dish}"),
               ("Dine-in on a weekend: the {dish} took 40 minutes while later guests were served first.", "I booked a {hour}:00 pickup in the app and still waited {minutes} minutes at the counter.")),
    },
    "hygiene": {
        "hant": (("環境衛生很差", "廁所很髒", "桌上有蟑螂"),
                 ("廁所地上都是水和垃圾，洗手乳也是空的。", "用餐時看到蟑螂從桌邊爬過去，跟店員說只回一句「會處理」。",
                  "店員沒戴手套直接用手抓配菜，收完錢也沒洗手。", "桌子黏黏的，餐具上還有上一位客人的口紅印。")),
        "hans": (("环境卫生很差", "厕所很脏", "桌上有蟑螂"),
                 ("厕所地上都是水和垃圾，洗手液也是空的。", "吃饭时看到蟑螂从桌边爬过去，跟服务员说只回了一句「会处理」。",
                  "店员没戴手套直接用手抓配菜，收完钱也没洗手。")),
        "en": (("Dirty restaurant", "Cockroach on the table"),
               ("The restroom was wet and littered and the soap dispenser was empty.", "A cockroach ran across our table; staff just said they would deal with it.",
                "Staff handled food with bare hands right after taking cash.")),
    },
    "late-delivery": {
        "hant": (("外送延遲超過一小時", "外送等了 {minutes} 分鐘", "外送嚴重延遲", "送餐延遲"),
                 ("{h12} 點訂的{dish}，超過一個小時才送到，打電話問門市也沒人接。", "{platform}上顯示 30 分鐘送達，結果等了 {minutes} 分鐘，東西都涼了。",
                  "看地圖外送員一直在附近繞，{minutes} 分鐘後才送到。", "預計送達時間一直往後延，最後系統直接顯示「配送異常」。",
                  "下大雨我能理解會慢，但晚了一個半小時也太誇張。", "這個月已經是第二次送餐延遲了。")),
        "hans": (("外卖延迟超过一小时", "外卖等了 {minutes} 分钟", "外卖严重超时"),
                 ("{h12} 点订的{dish}，超过一个小时才送到，打电话问门店也没人接。", "{platform}上显示 30 分钟送达，结果等了 {minutes} 分钟，东西都凉了。",
                  "看地图骑手一直在附近绕，{minutes} 分钟后才送到。", "预计送达时间一直往后推，最后显示「配送异常」。")),
        "en": (("Late delivery", "Delivery over an hour late", "Waited {minutes} minutes for delivery"),
               ("I ordered {dish} at {hour}:00 and it took more than an hour to arrive.", "{platform} promised 30 minutes; the delivery took {minutes}.",
                "The map showed the rider circling the block for ages.")),
    },
    "missing-item": {
        "hant": (("外送少了品項", "漏送一杯飲料", "少了一個便當"),
                 ("訂單有兩杯{drink}，只送來一杯，外送員說不關他的事。", "訂了三個{dish}只收到兩個，打去門市說要我自己找{platform}。",
                  "加點的小菜跟湯都沒有，袋子上的明細卻有印。", "餐具跟醬料包全部沒給。")),
        "hans": (("外卖少了东西", "漏送一杯饮料"),
                 ("订单有两杯{drink}，只送来一杯，骑手说不关他的事。", "订了三个{dish}只收到两个，打去门店说让我自己找{platform}。",
                  "加点的小菜和汤都没有，小票上却有。")),
        "en": (("Missing item", "Drink missing from my order"),
               ("I ordered two {drink} and only one came.", "Three {dish} ordered, two delivered; the store told me to take it up with {platform}.")),
    },
    "spilled": {
        "hant": (("湯灑了整個袋子", "飲料灑出來", "外送包裝破損"),
                 ("外送的{dish}湯全部灑出來，袋子裡都是湯。", "{drink}送來杯蓋破掉，灑了一半，紙袋也濕透了。",
                  "便當盒沒蓋緊，菜汁流得整個袋子都是。")),
        "hans": (("汤洒了一袋子", "饮料洒出来"),
                 ("外卖的{dish}汤全部洒出来，袋子里都是汤。", "{drink}送来杯盖破了，洒了一半。")),
        "en": (("Soup spilled in the bag", "Drink leaked"),
               ("The {dish} soup had spilled all over the bag.", "The lid of the {drink} was broken and half of it leaked out.")),
    },
    "double-charge": {
        "hant": (("信用卡被重複扣款", "同一筆訂單扣了兩次錢", "重複扣款"),
                 ("用 App 付款一次，信用卡卻被扣了兩次 {amount} 元。", "訂單 {order} 只付了一次，銀行通知卻有兩筆 {amount} 元。",
                  "{payment}顯示付款失敗，我又付了一次，結果兩筆都扣了。", "對帳單上同一天有兩筆一樣金額的消費，重複扣款。")),
        "hans": (("重复扣款", "同一笔订单扣了两次钱"),
                 ("用小程序付款一次，却被扣了两次 {amount} 元。", "订单 {order} 只付了一次，{payment}却有两笔 {amount} 元。")),
        "en": (("Charged twice", "Double charge on my card"),
               ("I paid once in the app but my card was charged {amount} twice.", "Order {order} shows two identical charges of {amount} on my statement.")),
    },
    "invoice-error": {
        "hant": (("發票錯誤", "電子發票統編打錯", "發票沒有存進載具", "發票金額不對"),
                 ("發票上的統一編號不是我輸入的 {tax_id}，公司沒辦法報帳。", "最近三次消費的電子發票都沒有歸戶到手機載具。",
                  "發票號碼 {invoice} 的金額比我實際付的多了 {amount} 元。", "結帳時說要打統編，店員說系統不能打，發票錯誤要我自己處理。",
                  "發票明細的品項跟我點的不一樣。", "要求開紙本發票，店員說只能給電子發票。")),
        "hans": (("发票错误", "发票抬头错误", "开不了发票"),
                 ("发票上的税号不是我填的 {tax_id}，公司没办法报销。", "发票抬头写错了，要求重开，店员说要等一个月。",
                  "发票金额比我实际付的多了 {amount} 元。", "要开增值税专用发票，门店说开不了。")),
        "en": (("Wrong invoice", "Invoice error", "Wrong tax ID on my e-invoice"),
               ("The company tax ID on my e-invoice is wrong, so I cannot claim it.", "Invoice {invoice} shows {amount} more than I actually paid.",
                "I asked for an invoice with our company number and got the wrong invoice twice.")),
    },
    "refund": {
        "hant": (("退款還沒收到", "取消訂單不給退款", "退費進度"),
                 ("訂單 {order} 取消後說會退款 {amount} 元，已經兩個禮拜了還沒入帳。", "下單五分鐘就取消，門市說已經做了不能退，但明明還沒出餐。",
                  "申請退款到現在 {days} 天，客服每次都說在處理。", "退款退到悠遊卡？我明明是刷卡的。")),
        "hans": (("退款还没到账", "取消订单不给退款"),
                 ("订单 {order} 取消后说会退款 {amount} 元，已经两个礼拜了还没到账。", "下单五分钟就取消，门店说已经做了不能退。",
                  "申请退款到现在 {days} 天，客服每次都说在处理。")),
        "en": (("Refund not received", "No refund for cancelled order"),
               ("Order {order} was cancelled and a refund of {amount} promised two weeks ago. Nothing yet.", "I cancelled within five minutes and the store refused a refund.",
                "It has been {days} days since I asked for a refund.")),
    },
    "app-error": {
        "hant": (("App 一直閃退", "App 無法下單", "優惠券無法使用"),
                 ("更新 App 之後一打開購物車就閃退，{h12} 點想訂餐訂不了。", "App 裡的滿 {amount} 折 100 優惠券，結帳時一直顯示「不適用」。",
                  "登入一直跳驗證碼錯誤，換了手機也一樣。", "App 顯示門市營業中，到了現場才發現沒開。")),
        "hans": (("小程序一直闪退", "App 无法下单", "优惠券用不了"),
                 ("更新之后一打开购物车就闪退，{h12} 点想订餐订不了。", "满 {amount} 减 20 的优惠券，结账时一直显示「不可用」。",
                  "登录一直提示验证码错误。")),
        "en": (("App keeps crashing", "Cannot order in the app", "Voucher not accepted"),
               ("Since the update the app crashes when I open the cart.", "The voucher in the app keeps saying 'not applicable' at checkout.",
                "The login code never arrives, so I cannot order at all.")),
    },
    "payment-failed": {
        "hant": (("付款失敗但有扣款", "LINE Pay 付款失敗", "無法付款"),
                 ("App 顯示付款失敗，但{payment}已經扣了 {amount} 元，訂單也沒有成立。", "用{payment}付款一直轉圈圈，最後顯示交易逾時。",
                  "在門市用悠遊卡感應三次都失敗，後面排隊的人一直看我。")),
        "hans": (("支付失败但已扣款", "微信支付失败"),
                 ("显示支付失败，但{payment}已经扣了 {amount} 元，订单也没有生成。", "用{payment}付款一直转圈，最后显示交易超时。")),
        "en": (("Payment failed but money taken", "Cannot pay"),
               ("The app said the payment failed, but {amount} was taken from my card and there is no order.", "Payment with {payment} timed out three times.")),
    },
    "points-missing": {
        "hant": (("會員點數沒有入帳", "點數被莫名扣掉", "點數兌換失敗"),
                 ("上週消費 {amount} 元，會員點數到現在都沒有入帳，App 查不到紀錄。", "我的會員點數少了 {points} 點，沒有兌換過任何東西。",
                  "生日禮的點數說會自動發放，到現在還沒看到。", "用點數兌換{drink}，點數扣了但兌換券沒出現。")),
        "hans": (("会员积分没有到账", "积分被莫名扣掉"),
                 ("上周消费 {amount} 元，会员积分到现在都没有到账。", "我的会员积分少了 {points} 分，没有兑换过任何东西。")),
        "en": (("Loyalty points not credited", "Points disappeared"),
               ("I spent {amount} last week and the loyalty points never showed up.", "{points} points vanished from my membership account.")),
    },
    "food-poisoning": {
        "hant": (("吃完全家拉肚子", "疑似食物中毒", "食物中毒送急診"),
                 ("昨天晚餐在門市買了四個{dish}，全家吃完半夜都上吐下瀉，懷疑食物中毒。", "中午吃了{dish}，下午開始發燒腹瀉，醫生說是細菌性腸胃炎。",
                  "同事們一起訂的便當，吃完有五個人身體不舒服，有人送急診。")),
        "hans": (("吃完全家拉肚子", "疑似食物中毒"),
                 ("昨天晚饭买了四个{dish}，全家吃完半夜都上吐下泻，怀疑食物中毒。", "中午吃了{dish}，下午开始发烧腹泻，医生说是细菌性肠胃炎。")),
        "en": (("Food poisoning", "Whole family sick after eating"),
               ("We had four {dish} for dinner and the whole family was vomiting at night. Food poisoning?", "I ate the {dish} at lunch and was in the ER with a fever by evening.")),
    },
    "allergy": {
        "hant": (("已告知過敏仍加了花生", "過敏送醫"),
                 ("點餐時明確說對花生過敏，{drink}還是加了花生粉，孩子喝了起疹子送急診。", "菜單沒有標示含蝦，吃完全身起疹子，呼吸困難。")),
        "hans": (("已告知过敏仍加了花生", "过敏送医"),
                 ("点餐时明确说对花生过敏，{drink}还是加了花生粉，孩子喝了起疹子送急诊。",)),
        "en": (("Allergic reaction despite warning", "Peanuts despite allergy"),
               ("I said my child is allergic to peanuts and the {drink} still had peanut powder in it. ER visit.",)),
    },
    "burn": {
        "hant": (("店員打翻熱湯燙傷", "小孩被熱湯燙傷"),
                 ("店員端{dish}時打翻，熱湯潑到我手臂，燙傷起水泡。", "服務生上{dish}沒有提醒，湯碗太燙，小孩手背燙紅起水泡。")),
        "hans": (("店员打翻热汤烫伤",),
                 ("服务员端{dish}时打翻，热汤泼到我手臂，烫伤起水泡。",)),
        "en": (("Burned by spilled soup",),
               ("A server spilled hot {dish} on my arm; I have blisters.",)),
    },
}

GENERIC: CategoryText = {
    "hant": (("想反映用餐經驗", "對門市服務不滿", "客訴"),
             ("這次的用餐經驗非常不好。", "{when}在門市遇到的狀況讓人很不舒服。", "處理的方式完全不符合期待。")),
    "hans": (("反映用餐体验", "对门店服务不满", "投诉"),
             ("这次的用餐体验非常不好。", "在门店遇到的情况让人很不舒服。")),
    "en": (("Complaint", "Unhappy with my visit"),
           ("My experience this time was really poor.", "The way this was handled fell well short of what I expect.")),
}

# Names, per language: (surnames, given names, nicknames used as chat display names).
NAMES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "hant": ("陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周葉蘇莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙顏柯翁魏孫戴",
             ("怡君", "志明", "淑芬", "家豪", "雅婷", "俊傑", "美玲", "建宏", "佳穎", "宗翰", "欣怡", "冠宇", "詩涵", "承恩",
              "品妤", "柏翰", "宜蓁", "子軒", "秀英", "文雄", "雅雯", "鈺婷", "哲瑋", "郁婷", "育成", "心怡", "惠如", "俊宏",
              "思妤", "國華", "麗華", "信宏", "佩珊", "家瑜", "冠廷", "宛蓉"),
             ("小胖", "阿明", "Amy", "Vivian 🌸", "Kevin", "小米", "Jerry", "阿德", "Sandy", "咪咪", "Ivy", "阿偉", "Winnie", "Jason")),
    "hans": ("陈林黄张李王吴刘赵杨周徐孙朱马胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾",
             ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰", "婷", "浩然", "思雨", "建国", "子涵", "雨轩",
              "欣怡", "梓萱", "宇航", "佳怡", "晓明", "丽丽"),
             ("小鱼儿", "阿杰", "晴天", "Lucky", "吃货小王", "momo", "大白", "Coco")),
    "en": ("", ("Emily Chen", "David Lin", "Sarah Wang", "Michael Huang", "Jessica Lee", "Kevin Wu", "Anna Schmidt",
                "James Walker", "Yuki Tanaka", "Maria Santos", "Tom Becker", "Priya Nair", "Lucas Martin", "Hannah Kim",
                "Daniel Cohen", "Olivia Brown", "Nguyen Van An", "Sophie Dubois", "Chris Taylor", "Mei Ling Tan"),
           ("foodie_tpe", "Jess L.", "mike.h", "A.S.")),
}

# Dishes and drinks a customer names when the case's product does not say (per language).
DISHES = {
    "hant": ("排骨便當", "雞腿便當", "滷肉飯", "紅燒牛肉麵", "鮮肉水餃", "小籠包", "鹹酥雞", "炒飯", "三杯雞套餐", "咖哩飯"),
    "hans": ("排骨便当", "鸡腿饭", "卤肉饭", "红烧牛肉面", "鲜肉水饺", "小笼包", "炒饭", "咖喱饭"),
    "en": ("pork chop bento", "chicken leg bento", "braised pork rice", "beef noodle soup", "dumplings", "fried rice", "curry rice"),
}
DRINKS = {
    "hant": ("珍珠奶茶", "珍奶", "鮮奶茶", "冬瓜檸檬", "紅茶拿鐵", "多多綠"),
    "hans": ("珍珠奶茶", "鲜奶茶", "柠檬茶", "杨枝甘露"),
    "en": ("bubble tea", "milk tea", "lemon tea", "iced black tea"),
}
