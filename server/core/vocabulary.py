"""The one source of the Chinese labels of every status, action, role, event, demand, appeal reason and
state, index component and grade. The web pages embed it, both mini-apps carry a generated copy
(`smart315 vocabulary --js`, checked by tests/core/test_vocabulary.py) and refresh it from
`GET /api/v1/vocabulary`, and notification texts read it. A label is changed here and nowhere else."""
from __future__ import annotations

import json
from typing import Any

STATUSES = {
    "submitted": "待受理", "accepted": "已受理", "forwarded": "待商家处理", "responded": "商家已答复",
    "mediating": "调解中", "resolved": "已解决", "unresolved": "未解决", "rejected": "不予受理",
    "withdrawn": "已撤回", "closed": "已结案",
}

# Every action a timeline event can carry: the user actions of the transition table, the system
# steps, filing, the appeal steps and the moderation decision.
ACTIONS = {
    "submit": "提交投诉", "accept": "受理", "reject": "不予受理", "respond": "答复并提出方案",
    "propose": "提出调解方案", "confirm": "确认解决", "dispute": "不满意，申请调解",
    "mediate_success": "调解成功", "mediate_fail": "调解失败", "withdraw": "撤回投诉", "rate": "评价",
    "forward": "转交商家", "to_mediation": "转入调解", "auto_accept": "自动受理",
    "response_timeout": "商家超期未答复，转入调解", "confirm_timeout": "消费者未回复，视为解决",
    "mediation_timeout": "调解期满", "close": "结案", "deadline_reminder": "期限提醒",
    "appeal": "商家提出申诉", "appeal_decision": "申诉处理结果", "publication_decision": "公开审核",
    "moderation": "内容审核", "public_reply": "商家公开回复",
    "transfer": "转办至其他地区", "reopen": "重新打开投诉", "pause": "暂停计时", "resume": "恢复计时",
    "request_materials": "要求补正材料", "supplement": "补正材料", "materials_timeout": "逾期未补正材料，不予受理",
    "fulfilment_check": "询问和解承诺是否履行", "fulfilled": "商家已履行承诺", "not_fulfilled": "商家未履行承诺",
    "link_business": "关联平台商家", "contact_reveal": "查看消费者电话",
    "join": "有消费者加入集体投诉",
}

# How the business may reach the consumer, chosen at filing (server/core/complaints/business_details.py).
CONTACT_PREFERENCES = {"message": "仅通过留言联系", "phone": "可以电话联系"}

# Why a mediator stops the clock (pause).
PAUSE_REASONS = {"testing": "检测鉴定", "materials": "补正材料", "agreed_extension": "双方同意延期"}

ROLES = {
    "consumer": "消费者", "business_staff": "商家", "business": "商家", "mediator": "调解员",
    "admin": "管理员", "system": "系统",
}

EVENTS = {
    "complaint.forwarded": "投诉转交商家", "complaint.responded": "商家已答复",
    "complaint.mediating": "投诉转入调解", "complaint.resolved": "投诉已解决",
    "complaint.unresolved": "调解未成功", "complaint.deadline_soon": "处理期限临近",
    "message.created": "新留言", "appeal.filed": "商家提出申诉", "appeal.decided": "申诉处理结果",
    "business.invited": "商家邀请您加入", "business.rejected": "商家入驻申请未通过",
    "complaint.rejected": "投诉不予受理", "complaint.transferred": "投诉转办", "complaint.reopened": "投诉重新打开",
    "complaint.paused": "暂停计时", "complaint.resumed": "恢复计时", "complaint.materials_requested": "要求补正材料",
    "complaint.supplemented": "消费者补正材料", "complaint.fulfilment_check": "询问和解承诺是否履行",
    "complaint.fulfilled": "消费者确认商家已履行承诺", "complaint.not_fulfilled": "消费者反映商家未履行承诺",
    "report.filed": "新的举报",
    "complaint.joined": "有消费者加入集体投诉",
}

# A business's registration, its staff roles and the states of an invitation to join its staff.
BUSINESS_STATUSES = {"pending": "入驻审核中", "verified": "已认证", "rejected": "入驻申请未通过"}
STAFF_ROLES = {"owner": "管理员", "agent": "客服"}
INVITATION_STATES = {"pending": "待接受", "accepted": "已接受", "declined": "已拒绝", "expired": "已过期"}

DEMANDS = {
    "refund": "退款", "return": "退货", "exchange": "换货", "repair": "维修", "compensation": "赔偿",
    "apology": "赔礼道歉", "other": "其他",
}

APPEAL_REASONS = {
    "not_consumer": "投诉人并非本商家的消费者", "duplicate": "重复投诉", "malicious": "恶意投诉",
    "wrong_business": "投诉对象错误", "other": "其他",
}

APPEAL_STATES = {"pending": "待处理", "upheld": "申诉成立（不计入指数）", "rejected": "申诉不成立"}
# Publication needs a person (server/core/publication.py).
PUBLICATION_STATES = {"pending": "待审核公开", "approved": "已同意公开", "refused": "不予公开"}

# The index components as the published index method names them (server/core/scoring/formula.py).
COMPONENTS = {
    "response": "按时响应率", "speed": "响应速度", "settlement": "和解成功率",
    "cooperation": "调解配合度", "mediation": "调解成功率", "satisfaction": "消费者满意度",
}

# The events a business can subscribe a webhook to (server/core/notifications/outbox.py EVENT_TYPES).
WEBHOOK_EVENTS = ("complaint.forwarded", "complaint.responded", "complaint.mediating", "complaint.resolved",
                  "complaint.unresolved", "complaint.deadline_soon", "message.created", "appeal.decided",
                  # The complete case (issue 17): each reaches the business once the complaint did.
                  "complaint.rejected", "complaint.transferred", "complaint.reopened", "complaint.paused",
                  "complaint.resumed", "complaint.materials_requested", "complaint.supplemented",
                  "complaint.fulfilled", "complaint.not_fulfilled")

# Field names as a person reads them, for validation messages (the API's `errors[].field` stays the code).
FIELDS = {
    "business_id": "被投诉商家", "business_name": "被投诉商家", "industry_code": "行业", "region_code": "地区",
    "category": "问题类型", "title": "投诉标题", "description": "问题描述", "purchase_date": "购买日期",
    "order_no": "订单号", "amount_claimed": "涉及金额", "amount_recovered": "挽回金额", "demands": "诉求",
    "public_consent": "公开同意", "attachment_ids": "证据材料", "note": "说明", "rating": "评分", "body": "留言内容",
    "file": "文件", "phone_code": "手机号授权", "code": "验证码", "auth_code": "授权码", "phone": "手机号",
    "password": "密码", "username": "用户名", "action": "操作", "reason": "理由", "events": "通知事件",
    "url": "地址", "status": "状态", "question": "问题", "name": "名称", "role": "角色", "period": "期间",
    "upheld": "处理结果", "text": "内容", "nickname": "昵称", "credit_code": "统一社会信用代码",
    "business_address": "商家地址", "business_phone": "商家电话", "business_credit_code": "商家统一社会信用代码",
    "contact_preference": "联系方式",
}

GRADES = {"A": "优秀", "B": "良好", "C": "中等", "D": "较差", "E": "差"}


def vocabulary() -> dict[str, dict[str, str]]:
    return {
        "statuses": dict(STATUSES), "actions": dict(ACTIONS), "roles": dict(ROLES), "events": dict(EVENTS),
        "demands": dict(DEMANDS), "appeal_reasons": dict(APPEAL_REASONS), "appeal_states": dict(APPEAL_STATES),
        "publication_states": dict(PUBLICATION_STATES), "components": dict(COMPONENTS), "grades": dict(GRADES),
        "webhook_events": {e: EVENTS[e] for e in WEBHOOK_EVENTS}, "fields": dict(FIELDS),
        "business_statuses": dict(BUSINESS_STATUSES), "staff_roles": dict(STAFF_ROLES),
        "invitation_states": dict(INVITATION_STATES), "pause_reasons": dict(PAUSE_REASONS),
        "contact_preferences": dict(CONTACT_PREFERENCES),
    }


def label(kind: str, key: Any, default: str | None = None) -> str:
    """The label of `key` in the table `kind` (e.g. "statuses"); the key itself when unknown."""
    table = vocabulary()[kind]
    return table.get(key, default if default is not None else str(key or ""))


_VALUE_TABLES = ("statuses", "actions", "events", "demands", "appeal_reasons", "appeal_states", "roles",
                 "components", "grades")


def value_label(value: Any) -> str:
    """A code as a person reads it: its label in whichever table names it, else the code itself."""
    v = vocabulary()
    for kind in _VALUE_TABLES:
        if value in v[kind]:
            return v[kind][value]
    return str(value)


def field_label(field: str) -> str:
    """`demands.0` → 诉求; `title` → 投诉标题; unknown fields keep their name."""
    head = str(field).split(".", 1)[0]
    return FIELDS.get(head, str(field))


def as_javascript() -> str:
    """The CommonJS module both mini-apps ship as utils/vocabulary.js (they cannot import Python)."""
    body = json.dumps(vocabulary(), ensure_ascii=False, indent=2, sort_keys=True)
    return ("// Generated by `smart315 vocabulary --js` from server/core/vocabulary.py: do not edit.\n"
            "// tests/core/test_vocabulary.py fails when this copy and the server's differ.\n"
            f"module.exports = {body}\n")
