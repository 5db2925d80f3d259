"""The console's words: Chinese first (zh-CN), English on request. Codes stay English; labels are looked
up here and fall back to the code itself."""

from __future__ import annotations

from typing import Any, Literal

from starter.audit import ROLE_LABELS

Lang = Literal["zh", "en"]

UI: dict[str, dict[str, str]] = {
    "zh": {
        "app": "隐患整改闭环",
        "signin": "登录",
        "signout": "退出",
        "demo_signin": "演示登录",
        "demo_only": "仅在使用自动生成的开发密钥时提供演示账号。",
        "demo_off": "演示登录已关闭(已配置正式密钥)。",
        "oidc_signin": "通过统一身份认证登录",
        "work": "我的待办",
        "lists": "台账",
        "reports": "统计报表",
        "new_hazard": "上报隐患",
        "tip": "匿名举报",
        "tip_status": "举报查询",
        "case": "案件",
        "status": "状态",
        "level": "等级",
        "region": "辖区",
        "enterprise": "企业",
        "title": "标题",
        "deadline": "期限",
        "due": "到期",
        "countdown": "倒计时",
        "overdue": "已逾期",
        "clocks": "时限",
        "original": "原定期限",
        "actions": "可执行操作",
        "no_actions": "当前没有您可执行的操作。",
        "submit": "提交",
        "timeline": "时间线",
        "who": "操作人",
        "when": "时间",
        "rule": "规则",
        "policy": "政策包",
        "notifications": "已发送通知",
        "related": "关联案件",
        "parent": "来源案件",
        "children": "派生案件",
        "chain": "哈希链核验",
        "chain_ok": "事件哈希链完整",
        "chain_bad": "哈希链异常",
        "forecast": "推演:如果无人处理",
        "forecast_rests": "此后不再有时限:案件停在此状态。",
        "forecast_bound": "推演达到上限,之后仍将继续:",
        "forecast_none": "当前没有待到期的时限。",
        "escalated_to": "上报至",
        "penalty_day": "按日连续处罚第 {day} 日,罚款 {amount} 元",
        "refused": "操作被拒绝",
        "empty": "暂无",
        "filter": "筛选",
        "export_csv": "导出 CSV",
        "export_xlsx": "导出 XLSX",
        "all": "全部",
        "yes": "是",
        "no": "否",
        "from": "起",
        "to": "止",
        "daily": "日报",
        "quarterly": "季报",
        "annual": "年报",
        "by_region": "按辖区",
        "by_level": "按等级",
        "by_status": "按状态",
        "rectified_rate": "整改率",
        "overdue_rate": "逾期率",
        "total": "合计",
        "claim_token": "查询码",
        "claim_note": "请妥善保存查询码:这是匿名查询举报进展的唯一凭证。",
        "tip_filed": "举报已受理",
        "tip_id": "举报编号",
        "feedback": "反馈",
        "reward": "奖励",
        "search": "查找案件",
        "case_id": "案件编号",
        "lang_other": "English",
        "days": "天",
        "hours": "小时",
        "minutes": "分",
        "ago": "前",
        "left": "剩余",
        "signed_in_as": "当前用户",
        "lines_hint": "每行一项",
        "evidence_hint": "每行一项:sha256 与地址,以空格分隔",
        "not_found": "未找到",
        "upload_failed": "「{name}」上传失败(HTTP {status})",
        "photo": "拍照或选择文件",
        "evidence": "证据(整改前/整改后)",
    },
    "en": {
        "app": "Hazard rectification loop",
        "signin": "Sign in",
        "signout": "Sign out",
        "demo_signin": "Demo sign-in",
        "demo_only": "Demo users are offered only while the generated development secret is in use.",
        "demo_off": "Demo sign-in is off (a real secret is configured).",
        "oidc_signin": "Sign in with your identity provider",
        "work": "My work",
        "lists": "Ledger",
        "reports": "Reports",
        "new_hazard": "Report a hazard",
        "tip": "Anonymous tip",
        "tip_status": "Follow a tip",
        "case": "Case",
        "status": "Status",
        "level": "Level",
        "region": "Region",
        "enterprise": "Enterprise",
        "title": "Title",
        "deadline": "Deadline",
        "due": "Due",
        "countdown": "Countdown",
        "overdue": "Overdue",
        "clocks": "Clocks",
        "original": "Original deadline",
        "actions": "Actions allowed now",
        "no_actions": "Nothing you can do on this case now.",
        "submit": "Submit",
        "timeline": "Timeline",
        "who": "Who",
        "when": "When",
        "rule": "Rule",
        "policy": "Policy pack",
        "notifications": "Notifications sent",
        "related": "Related cases",
        "parent": "From",
        "children": "Child cases",
        "chain": "Hash chain",
        "chain_ok": "event hash chain intact",
        "chain_bad": "hash chain broken",
        "forecast": "Forecast: if nobody acts",
        "forecast_rests": "No deadline after this: the case rests here.",
        "forecast_bound": "The forecast stops at its bound; it would go on:",
        "forecast_none": "No deadline is pending.",
        "escalated_to": "escalated to",
        "penalty_day": "daily penalty day {day}: {amount} yuan",
        "refused": "Refused",
        "empty": "none",
        "filter": "Filter",
        "export_csv": "Export CSV",
        "export_xlsx": "Export XLSX",
        "all": "all",
        "yes": "yes",
        "no": "no",
        "from": "from",
        "to": "to",
        "daily": "Daily",
        "quarterly": "Quarterly",
        "annual": "Annual",
        "by_region": "By region",
        "by_level": "By level",
        "by_status": "By status",
        "rectified_rate": "Rectified",
        "overdue_rate": "Overdue",
        "total": "Total",
        "claim_token": "Claim token",
        "claim_note": "Keep this token: it is the only way to follow your tip anonymously.",
        "tip_filed": "Tip received",
        "tip_id": "Tip id",
        "feedback": "Feedback",
        "reward": "Reward",
        "search": "Find a case",
        "case_id": "Case id",
        "lang_other": "中文",
        "days": "d",
        "hours": "h",
        "minutes": "min",
        "ago": "ago",
        "left": "left",
        "signed_in_as": "Signed in as",
        "lines_hint": "one per line",
        "evidence_hint": "one per line: sha256 and address, space-separated",
        "not_found": "not found",
        "upload_failed": "uploading {name} failed (HTTP {status})",
        "photo": "Take a photo or choose files",
        "evidence": "Evidence (before / after)",
    },
}

ZH: dict[str, str] = {
    **ROLE_LABELS["zh"],
    # kinds
    "hazard": "隐患",
    "incident": "事故",
    "tip": "举报",
    # statuses
    "none": "未创建",
    "reported": "已上报",
    "rectifying": "整改中",
    "verifying": "待复查",
    "reported_major": "重大隐患待挂牌",
    "listed": "挂牌督办",
    "plan_submitted": "治理方案待审批",
    "treating": "治理中",
    "assessing": "待评估",
    "awaiting_review": "待销号审核",
    "closed": "已销号/办结",
    "cancelled": "已撤销",
    "investigating": "调查中",
    "appraisal_pause": "鉴定中止",
    "awaiting_approval": "待批复",
    "implementing": "整改落实中",
    "evaluating": "评估中",
    "accountability": "追责中",
    "received": "已受理",
    "routed": "已转办",
    "not_substantiated": "不属实",
    "substantiated": "属实",
    "reward_assessing": "奖励评定中",
    "reward_approved": "奖励已批准",
    # levels
    "general": "一般隐患",
    "major": "重大隐患",
    # hazard commands
    "report": "上报",
    "grade": "定级",
    "regrade": "重新定级",
    "list_for_supervision": "挂牌督办",
    "submit_plan": "提交治理方案",
    "decide_plan": "审批治理方案",
    "report_progress": "报告进度",
    "request_extension": "申请延期",
    "decide_extension": "审批延期",
    "submit_explanation": "提交逾期说明",
    "submit_rectification": "提交整改",
    "submit_assessment": "提交评估",
    "review": "复查",
    "impose_penalty": "行政处罚",
    "reinspect": "复查整改(处罚后)",
    "order_stop_work": "责令停产停业",
    "lift_stop_work": "解除停产停业",
    "cancel": "撤销",
    # tip commands
    "receive": "受理",
    "triage": "分拣",
    "extend_verification": "延长核查",
    "record_verification": "记录核查结果",
    "send_feedback": "反馈举报人",
    "assess_reward": "评定奖励",
    "approve_reward": "批准奖励",
    "record_payment": "记录奖励发放",
    "waive_reward": "放弃奖励",
    # clocks
    "grading": "定级时限",
    "listing": "挂牌/报告时限",
    "rectification": "整改期限",
    "rectifications": "整改后",
    "before": "整改前",
    "enterprise_responsible": "企业主要负责人",
    "treatment": "治理期限",
    "reminder": "到期提醒",
    "explanation": "逾期说明时限",
    "plan": "治理方案时限",
    "progress": "进度报告",
    "listing_max": "挂牌最长期限",
    "extension_decision": "延期审批时限",
    "penalty_accrual": "按日连续处罚",
    # events
    "hazard_reported": "隐患上报",
    "graded": "定级",
    "plan_decided": "方案审批",
    "progress_reported": "进度报告",
    "extension_requested": "申请延期",
    "extension_decided": "延期审批",
    "explanation_submitted": "逾期说明",
    "rectification_submitted": "整改提交",
    "assessment_submitted": "评估提交",
    "reviewed": "复查",
    "penalty_imposed": "处罚决定",
    "closure_proposed": "提请销号",
    "reinspected": "复查",
    "penalty_accrued": "按日处罚",
    "stop_work_ordered": "责令停产停业",
    "stop_work_lifted": "解除停产停业",
    "reminder_sent": "到期提醒",
    "went_overdue": "逾期",
    "deadline_missed": "时限已过,逐级上报",
    # notice kinds
    "action_required": "待办通知",
    "overdue": "逾期通知",
    "escalation": "上报通知",
    "pending": "待投递",
    "delivered": "已投递",
    "failed": "投递失败",
    # command fields
    "title": "标题",
    "description": "描述",
    "enterprise_id": "企业编号",
    "region": "辖区代码",
    "industry": "行业",
    "location": "位置",
    "source": "来源",
    "category": "类别",
    "discovered_at": "发现时间",
    "evidence": "证据",
    "risk_color": "风险等级颜色",
    "level": "等级",
    "deadline": "整改期限",
    "basis": "判定依据",
    "basis.standard": "判定标准",
    "basis.clause": "条款",
    "on_the_spot": "立查立改",
    "reason": "理由",
    "authority": "督办机关",
    "requirements": "督办要求",
    "stop_work": "停产停业",
    "plan_due": "方案提交期限",
    "progress_interval": "进度报告间隔",
    "responsible": "责任人",
    "responsible.name": "责任人姓名",
    "responsible.phone": "责任人电话",
    "measures": "治理措施",
    "funds": "资金",
    "funds.amount": "资金金额(元)",
    "funds.source": "资金来源",
    "contingency_plan": "应急预案",
    "approved": "批准",
    "comment": "意见",
    "percent": "完成百分比",
    "note": "说明",
    "new_deadline": "新期限",
    "text": "说明",
    "summary": "整改情况",
    "assessor": "评估人",
    "organization": "评估机构",
    "passed": "通过",
    "report_uri": "评估报告地址",
    "amount": "金额(元)",
    "decision_no": "决定书编号",
    "legal_basis": "法律依据",
    "compliant": "已整改到位",
    "scope": "范围",
    "channel": "渠道",
    "content": "举报内容",
    # values of enums
    "self_inspection": "企业自查",
    "inspection": "执法检查",
    "covert_visit": "暗查暗访",
    "expert_service": "专家服务",
    "unsafe_condition": "物的不安全状态",
    "unsafe_act": "人的不安全行为",
    "management_defect": "管理缺陷",
    "red": "红",
    "orange": "橙",
    "yellow": "黄",
    "blue": "蓝",
    "partial": "部分停产",
    "full": "全部停产",
    "hotline_12350": "12350 热线",
    "letter": "信件",
    "email": "电子邮件",
    "web": "网站",
    "visit": "来访",
}


def t(lang: str, key: str, **kw: Any) -> str:
    """A console label."""
    text = UI.get(lang, UI["zh"]).get(key) or UI["zh"].get(key, key)
    return text.format(**kw) if kw else text


def label(lang: str, code: str | None) -> str:
    """A code (status, command, field, clock, role…) as people read it: Chinese unless English asked."""
    if code is None:
        return ""
    if lang == "en":
        return code.replace("_", " ")
    return ZH.get(code, code)


# ---- refusals in Chinese -------------------------------------------------------------------------------

PYDANTIC_ZH: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "过长:最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符:{pattern}",
    "literal_error": "须为以下之一:{expected}",
    "enum": "须为以下之一:{expected}",
    "bool_parsing": "须选择是或否",
    "bool_type": "须选择是或否",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "decimal_parsing": "须为数字",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须不小于 {ge}",
    "less_than_equal": "须不大于 {le}",
    "datetime_parsing": "须为日期时间",
    "datetime_from_date_parsing": "须为日期时间",
    "timezone_aware": "须带时区",
    "extra_forbidden": "不接受此字段",
    "value_error": "取值无效",
}

RULE_ZH: dict[str, str] = {
    "future_deadline": "期限须晚于当前时间",
    "not_future": "不能晚于当前时间",
    "role": "您的角色无权执行此操作",
    "jurisdiction": "不在您的辖区内",
    "enterprise_scope": "只能处理本企业的案件",
    "source": "此角色不能使用该来源",
    "separation_of_duties": "提交整改的人不能复查自己的整改",
    "major_deadline_in_listing": "重大隐患的期限在挂牌督办时确定,定级时不填",
    "grade_at_report": "上报时定级须同时填写等级和期限",
    "schema": "填写有误",
    "auditor_read_only": "审计人员只读,不能修改案件",
    "separation": "提交整改的人不能复查自己的整改",
}


def _fmt_ctx(msg: str, ctx: dict[str, Any] | None) -> str:
    try:
        return msg.format(**(ctx or {}))
    except (KeyError, IndexError, ValueError):
        return msg.split(":")[0]


def validation_message(err: dict[str, Any], lang: str) -> str:
    """One pydantic error (from `ValidationError.errors()`) for people."""
    if lang == "en":
        return str(err.get("msg", "invalid"))
    msg = PYDANTIC_ZH.get(str(err.get("type")))
    if msg is None:
        return f"填写有误({err.get('msg', '')})"
    return _fmt_ctx(msg, err.get("ctx"))


def refusal_message(code: str, detail: str, extra: dict[str, Any], lang: str) -> str:
    """A domain refusal for people: in Chinese, which rule refused and what is allowed instead; the
    rule's own English text follows in brackets for the record."""
    if lang == "en":
        return detail
    rule = extra.get("rule")
    if code == "not_allowed_in_state":
        allowed = "、".join(label("zh", a) for a in extra.get("allowed") or []) or "无"
        status = label("zh", extra.get("case_status"))
        return f"当前状态「{status}」不接受此操作;可执行:{allowed}。"
    if code == "forbidden":
        why = RULE_ZH.get(str(rule), "无权执行此操作")
        return f"无权执行:{why}。({detail})"
    if code in ("conflict", "idempotency_key_reused"):
        return f"操作冲突:{detail}"
    field = extra.get("field")
    where = f"「{label('zh', str(field))}」" if field else ""
    if str(rule) in RULE_ZH:
        return f"{where}{RULE_ZH[str(rule)]}。"
    return f"{where}不符合规则({rule or code}):{detail}"
