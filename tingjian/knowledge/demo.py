"""The demo's knowledge base: a dozen articles a restaurant chain's front line really needs,
and ten reply templates using the variables, filed under the demo's category codes
(``demo.data.CATEGORY_GROUPS``).

Written through the services like anything else, so they are audited and indexed. Loading
twice adds nothing: an article or template whose English title or name is already there is
left alone, including any edits made to it since.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from . import services
from .models import Article, ReplyTemplate

# (category code, tags, title_zh, body_zh, title_en, body_en)
ARTICLES: list[tuple[str, str, str, str, str, str]] = [
    ("refund", "退款, 退費, refund",
     "退款政策與處理時限",
     "適用情況：餐點品質問題、漏送、重複扣款、訂單取消。\n\n"
     "1. 確認訂單編號、付款方式與金額。\n"
     "2. 信用卡退款於 7–14 個工作天內退回原卡；LINE Pay、街口等電子支付 3 個工作天內退回。\n"
     "3. 現金付款：請顧客持發票至原分店辦理，或改以禮券補償（須主管核准）。\n"
     "4. 超過新台幣 1,000 元的退款須經主管核准後才能承諾顧客。\n\n"
     "回覆時請告知預計入帳日期，並在案件中記錄退款方式與金額。",
     "Refund policy and timelines",
     "Applies to food-quality problems, missing items, double charges and cancelled orders.\n\n"
     "1. Confirm the order number, payment method and amount.\n"
     "2. Card refunds reach the original card in 7–14 working days; e-wallets (LINE Pay, JKOPAY) within 3 working days.\n"
     "3. Cash payments: the customer brings the receipt to the branch, or receives a voucher (manager approval).\n"
     "4. Refunds over NT$1,000 need a manager's approval before you promise them.\n\n"
     "Tell the customer when to expect the money, and record the method and amount on the case."),
    ("invoice-error", "發票, 統一編號, 載具, invoice, tax ID",
     "發票開立錯誤的更正流程",
     "常見錯誤：統一編號打錯、應開三聯式卻開成二聯式、載具未歸戶、金額錯誤。\n\n"
     "1. 請顧客提供發票號碼、正確的統一編號與公司抬頭（或正確的手機條碼載具）。\n"
     "2. 當期發票：由原分店作廢後重新開立，電子發票寄送至顧客信箱。\n"
     "3. 跨期發票：不能作廢，須開立折讓單，並請顧客簽回。\n"
     "4. 重新開立後，在案件中記錄新發票號碼。\n\n"
     "注意：不得在訊息中要求顧客提供完整身分證字號。",
     "Correcting a wrong invoice (發票)",
     "Typical mistakes: a wrong tax ID (統一編號), a two-part invoice where a company needed a three-part one, a missing mobile barcode carrier, a wrong amount.\n\n"
     "1. Ask for the invoice number and the correct tax ID and company name (or the correct mobile barcode).\n"
     "2. Invoice of the current period: the branch voids it and issues a new e-invoice to the customer's email.\n"
     "3. Invoice of an earlier period: it cannot be voided; issue an allowance (折讓單) for the customer to sign.\n"
     "4. Record the new invoice number on the case.\n\n"
     "Never ask the customer for a full national ID number in a message."),
    ("foreign-object", "異物, 頭髮, 塑膠, foreign object",
     "餐點異物客訴處理程序",
     "異物（頭髮、塑膠片、金屬、昆蟲）一律視為品質事件，嚴重度至少 S2；金屬或玻璃造成受傷時為 S1。\n\n"
     "1. 請顧客拍照並保留異物與剩餘餐點，不要丟棄。\n"
     "2. 當日通知分店店長與品保，安排取回異物化驗。\n"
     "3. 先致歉，不在調查完成前推測原因或承認責任範圍。\n"
     "4. 補償：全額退款或重新製作，另依主管核准提供禮券。\n"
     "5. 調查結果（根本原因、改善措施）須在結案回覆中說明。",
     "Handling a foreign-object (異物) complaint",
     "A foreign object (hair, plastic, metal, insect) is always a quality incident of at least S2; S1 when metal or glass hurt someone.\n\n"
     "1. Ask the customer to photograph and keep the object and the rest of the meal.\n"
     "2. Tell the branch manager and QA the same day and arrange to collect the object for testing.\n"
     "3. Apologise; do not guess the cause or admit the extent of liability before the investigation.\n"
     "4. Compensation: a full refund or a remade meal, plus a voucher if a manager approves.\n"
     "5. The closing reply explains the root cause and the corrective action."),
    ("food-poisoning", "食物中毒, 食安, 腹瀉, food safety",
     "食安事件（疑似食物中毒）通報流程",
     "顧客表示用餐後腹痛、腹瀉、嘔吐或就醫，即為食安事件，嚴重度 S1，立即進入人身安全流程。\n\n"
     "1. 先關心顧客身體狀況，建議就醫並保留就醫證明與收據。\n"
     "2. 記錄用餐日期、時間、分店、品項與同行人數、症狀開始時間。\n"
     "3. 30 分鐘內通知品保主管與分店店長；同一分店 24 小時內第二件時升級至營運長。\n"
     "4. 分店封存同批食材，不得自行銷毀。\n"
     "5. 對外回覆不做因果判斷；醫療費用補償須經主管核准。\n"
     "6. 若衛生局聯繫，轉由品保主管統一回應。",
     "Food-safety incident protocol (suspected food poisoning)",
     "A customer reporting stomach pain, diarrhoea, vomiting or a doctor's visit after a meal is a food-safety incident: severity S1, personal-safety lane.\n\n"
     "1. Ask how they are first; suggest seeing a doctor and keeping the medical certificate and receipts.\n"
     "2. Record the date and time of the meal, the branch, the items, how many ate, when symptoms began.\n"
     "3. Within 30 minutes tell the QA lead and the branch manager; a second case at the same branch within 24 hours goes to the COO.\n"
     "4. The branch keeps the batch of ingredients; nothing is thrown away.\n"
     "5. Replies make no statement about the cause; medical costs are refunded only with a manager's approval.\n"
     "6. If the health department calls, the QA lead answers."),
    ("late-delivery", "外送, 延遲, 遲到, delivery, late",
     "外送延遲的處理與補償",
     "外送超過預計時間 30 分鐘以上視為延遲。\n\n"
     "1. 查詢外送平台的配送紀錄（接單、取餐、送達時間），判斷延遲發生在分店備餐或外送夥伴。\n"
     "2. 湯品或熱食送達時已冷：提供重新製作或退款。\n"
     "3. 延遲 30–60 分鐘：致歉並提供 NT$100 折價券；超過 60 分鐘：退還外送費並提供折價券。\n"
     "4. 外送夥伴造成的延遲，同時向平台提出申訴，並在案件中記錄申訴編號。",
     "Late deliveries: what to do and what to offer",
     "A delivery more than 30 minutes past its estimated time is late.\n\n"
     "1. Read the platform's delivery log (accepted, picked up, delivered) to tell whether the branch or the courier was late.\n"
     "2. Soup or hot food that arrived cold: offer a remade meal or a refund.\n"
     "3. 30–60 minutes late: apologise and offer a NT$100 voucher; over 60 minutes: refund the delivery fee as well.\n"
     "4. When the courier was late, also file a complaint with the platform and record its reference on the case."),
    ("points-missing", "點數, 會員, 積分, loyalty, points",
     "會員點數未入帳",
     "點數於消費後 48 小時內入帳。\n\n"
     "1. 請顧客提供會員手機號碼與發票號碼（或訂單編號）。\n"
     "2. 超過 48 小時仍未入帳：在會員系統以「補登」功能補入，備註案件編號。\n"
     "3. 外送平台訂單不累積點數，請婉轉說明。\n"
     "4. 點數到期不可延長；例外須經行銷主管核准。",
     "Loyalty points not credited",
     "Points are credited within 48 hours of a purchase.\n\n"
     "1. Ask for the member's phone number and the invoice or order number.\n"
     "2. Past 48 hours: credit them with the membership system's manual credit, noting the case number.\n"
     "3. Orders through delivery platforms earn no points; explain this kindly.\n"
     "4. Expired points are not extended, except with the marketing manager's approval."),
    ("allergy", "過敏, 過敏原, 花生, 麩質, allergen",
     "過敏原資訊查詢與回覆",
     "所有湯頭含大豆與小麥；紅燒湯頭含花椒；沙茶醬含花生與蝦。最新過敏原表以官網公告為準。\n\n"
     "1. 顧客詢問時，依過敏原表回覆，不憑印象回答。\n"
     "2. 顧客表示食用後出現過敏反應：視為人身安全案件（S1），依食安事件流程處理。\n"
     "3. 廚房共用設備，無法保證完全無交叉接觸，請如實告知。",
     "Allergen information",
     "Every soup base contains soy and wheat; the braised base contains Sichuan pepper; the satay sauce contains peanuts and shrimp. The website's allergen table is the reference.\n\n"
     "1. Answer from the allergen table, never from memory.\n"
     "2. A customer reporting an allergic reaction after eating is a personal-safety case (S1): follow the food-safety protocol.\n"
     "3. Kitchens share equipment, so no dish is guaranteed free of cross-contact; say so honestly."),
    ("double-charge", "重複扣款, 刷兩次, charged twice",
     "重複扣款",
     "1. 請顧客提供扣款截圖（遮蔽卡號中間八碼）與交易時間。\n"
     "2. 向財務查詢收單紀錄：若只有一筆請款、另一筆為授權未請款，授權會在 7 天內自動取消，請向顧客說明。\n"
     "3. 確認重複請款：由財務辦理退款，依退款政策告知入帳時間。",
     "Charged twice",
     "1. Ask for a screenshot of the charges (card number masked) and the time of the transaction.\n"
     "2. Ask finance for the acquirer's record: when one charge was captured and the other only authorised, the authorisation lapses within 7 days; explain this.\n"
     "3. A real double capture: finance refunds it; give the timeline from the refund policy."),
    ("delivery", "灑漏, 漏送, 少送, spilled, missing",
     "外送灑漏與漏送品項",
     "1. 請顧客拍照（灑漏情況、外袋封條、收據）。\n"
     "2. 漏送：優先補送；無法補送時退還該品項金額。\n"
     "3. 灑漏：湯品灑漏超過一半視為無法食用，提供重新製作或退款。\n"
     "4. 封條完整仍漏送，屬分店備餐疏失，記錄根本原因為「未依標準作業程序」。",
     "Spilled or missing items",
     "1. Ask for photos (the spill, the bag's seal, the receipt).\n"
     "2. Missing item: send it if possible, otherwise refund that item.\n"
     "3. Spill: soup more than half spilled cannot be eaten; offer a remade meal or a refund.\n"
     "4. A missing item with the seal intact is a branch packing error: root cause \"procedure not followed\"."),
    ("rude-staff", "服務態度, 店員, 不禮貌, staff, rude",
     "服務態度客訴的回應原則",
     "1. 先感謝顧客告知，並為不愉快的經驗致歉，不為員工辯解。\n"
     "2. 請分店店長調閱監視器與排班紀錄，與當班人員面談。\n"
     "3. 回覆時說明已採取的措施（面談、再訓練），但不透露員工個資或懲處細節。\n"
     "4. 同一員工 30 天內第二件，通知區經理。",
     "Responding to complaints about staff",
     "1. Thank the customer for telling us and apologise for the experience; do not defend the employee.\n"
     "2. The branch manager reviews the CCTV and the rota and talks with the staff on duty.\n"
     "3. The reply says what was done (a talk, retraining) without personal details or disciplinary measures.\n"
     "4. A second complaint about the same person within 30 days goes to the area manager."),
    ("burn", "燙傷, 湯, 熱, burn",
     "燙傷事件處理",
     "顧客或員工被熱湯、熱盤燙傷為人身安全案件（S1）。\n\n"
     "1. 現場：立即以冷水沖洗至少 15 分鐘，視情況協助就醫。\n"
     "2. 記錄發生經過、受傷部位、在場人員，並保留監視器畫面。\n"
     "3. 30 分鐘內通知分店店長與品保主管。\n"
     "4. 醫療費用與後續補償由主管決定，客服不先行承諾金額。",
     "Burns",
     "A customer or employee burnt by hot soup or a hot plate is a personal-safety case (S1).\n\n"
     "1. On site: cool the burn under running water for at least 15 minutes; help them to a doctor if needed.\n"
     "2. Record what happened, where they were hurt and who was there; keep the CCTV footage.\n"
     "3. Within 30 minutes tell the branch manager and the QA lead.\n"
     "4. Medical costs and compensation are decided by a manager; do not promise an amount."),
    ("app-payment", "App, 付款失敗, 無法下單, payment",
     "付款失敗與 App 無法下單",
     "1. 請顧客提供手機型號、App 版本、錯誤訊息截圖與發生時間。\n"
     "2. 先請顧客更新 App、重新登入；信用卡付款失敗請確認是否開啟 3D 驗證。\n"
     "3. 付款失敗但已扣款：依重複扣款流程查詢。\n"
     "4. 多位顧客同時回報相同錯誤，立即通知 IT 值班人員，可能為系統事件。",
     "Payment failed or the app cannot place an order",
     "1. Ask for the phone model, app version, a screenshot of the error and the time.\n"
     "2. Ask them to update the app and sign in again; for a failed card payment, check 3-D Secure is enabled.\n"
     "3. Payment failed but money was taken: follow the double-charge procedure.\n"
     "4. Several customers reporting the same error at once may be an outage: tell the IT on-call now."),
]

# (category code, name, body_zh, body_en)
TEMPLATES: list[tuple[str, str, str, str]] = [
    ("", "Acknowledgement · 初次回覆",
     "{customer_name} 您好，我們已收到您的意見（案件編號 {case_number}），造成您的不便深感抱歉。我們會儘快了解情況並回覆您。\n客服 {agent_name}",
     "Dear {customer_name}, we have received your message (case {case_number}) and are sorry for the trouble. We are looking into it and will come back to you shortly.\n{agent_name}, customer service"),
    ("late-delivery", "Late delivery · 外送延遲致歉",
     "{customer_name} 您好，您在{branch}的外送訂單延遲送達，非常抱歉。我們已提供一張 NT$100 折價券至您的會員帳戶，並已向外送平台反映。（案件 {case_number}）",
     "Dear {customer_name}, we are sorry your delivery from {branch} arrived late. A NT$100 voucher is now in your member account, and we have raised it with the delivery platform. (Case {case_number})"),
    ("foreign-object", "Foreign object · 異物調查中",
     "{customer_name} 您好，對於餐點中出現異物，我們非常重視。{branch}店長與品保人員正在調查，請協助保留異物與餐點照片。調查結果會在案件 {case_number} 中回覆您。",
     "Dear {customer_name}, we take the foreign object in your meal very seriously. The {branch} manager and our QA team are investigating; please keep the object and the photos. We will report the findings on case {case_number}."),
    ("refund", "Refund processed · 退款已處理",
     "{customer_name} 您好，您的退款已處理完成（案件 {case_number}）。信用卡退款約 7–14 個工作天退回原卡，電子支付約 3 個工作天。",
     "Dear {customer_name}, your refund has been processed (case {case_number}). Card refunds take 7–14 working days to reach your card; e-wallets about 3 working days."),
    ("invoice-error", "Invoice reissued · 發票重新開立",
     "{customer_name} 您好，您的發票已由{branch}作廢並重新開立，新的電子發票已寄送至您的信箱。造成不便，敬請見諒。（案件 {case_number}）",
     "Dear {customer_name}, {branch} has voided your invoice and issued a new one; the e-invoice is in your mailbox. We apologise for the inconvenience. (Case {case_number})"),
    ("points-missing", "Points credited · 點數補登",
     "{customer_name} 您好，您的會員點數已補登完成，請於會員 App 查看。感謝您的耐心等候。（案件 {case_number}）",
     "Dear {customer_name}, the missing points are now credited; you can see them in the member app. Thank you for your patience. (Case {case_number})"),
    ("food-poisoning", "Health concern · 食安關懷",
     "{customer_name} 您好，得知您用餐後身體不適，我們非常關心。請您優先就醫並保留就醫證明。品保主管會親自與您聯繫，了解您在{branch}用餐的情況。（案件 {case_number}）",
     "Dear {customer_name}, we are very concerned to hear you felt unwell after your meal. Please see a doctor first and keep the medical certificate. Our QA lead will contact you personally about your visit to {branch}. (Case {case_number})"),
    ("allergy", "Allergen answer · 過敏原回覆",
     "{customer_name} 您好，我們所有湯頭均含大豆與小麥，沙茶醬含花生與蝦。因廚房共用設備，無法保證完全無交叉接觸，請您依自身狀況選擇。",
     "Dear {customer_name}, all our soup bases contain soy and wheat, and the satay sauce contains peanuts and shrimp. Kitchens share equipment, so we cannot guarantee any dish is free of cross-contact."),
    ("double-charge", "Double charge · 重複扣款",
     "{customer_name} 您好，經查詢，第二筆為銀行授權、並未實際請款，將於 7 天內自動取消。若屆時仍未取消，請回覆此訊息，我們會立即處理。（案件 {case_number}）",
     "Dear {customer_name}, the second charge is only an authorisation by your bank and was never captured; it will lapse within 7 days. If it has not by then, reply to this message and we will act at once. (Case {case_number})"),
    ("", "Closing thanks · 結案感謝",
     "{customer_name} 您好，感謝您的耐心與寶貴意見，案件 {case_number} 已處理完成。期待再次在{branch}為您服務。",
     "Dear {customer_name}, thank you for your patience and your feedback; case {case_number} is now resolved. We look forward to welcoming you at {branch} again."),
]


def load_demo_content(by_user: Any) -> tuple[int, int]:
    """Create the demo articles (published) and templates that are not there yet, as
    ``by_user`` (who needs the editors' permissions); returns how many of each were made."""
    articles = templates = 0
    with transaction.atomic():
        have_articles = set(Article.objects.values_list("title_en", flat=True))
        for code, tags, title_zh, body_zh, title_en, body_en in ARTICLES:
            if title_en in have_articles:
                continue
            services.create_article(
                by=by_user, publish=True, title_zh=title_zh, body_zh=body_zh, title_en=title_en,
                body_en=body_en, category_code=code, tags=tags,
            )
            articles += 1
        have_templates = set(ReplyTemplate.objects.values_list("name", flat=True))
        for code, name, body_zh, body_en in TEMPLATES:
            if name in have_templates:
                continue
            services.create_template(by=by_user, name=name, body_zh=body_zh, body_en=body_en, category_code=code)
            templates += 1
    return articles, templates
