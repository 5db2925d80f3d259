"""Problem details for people in Chinese (the default) or English: titles by HTTP status, and a Chinese
sentence for every refusal keyed by its stable `code` and `rule`, with the refusal's parameters (field,
allowed values, the case's status). Codes and rules stay English; the English `detail` each refusal
carries keeps its specifics (values, limits) and follows the Chinese sentence in parentheses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

Lang = Literal["zh", "en"]

TITLES: Mapping[int, tuple[str, str]] = {
    400: ("请求有误", "Bad request"),
    401: ("未认证", "Unauthorized"),
    403: ("无权操作", "Forbidden"),
    404: ("未找到", "Not found"),
    405: ("不支持该方法", "Method not allowed"),
    409: ("冲突", "Conflict"),
    413: ("内容过大", "Content too large"),
    415: ("不支持的内容类型", "Unsupported media type"),
    422: ("请求无效", "Invalid request"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("内部错误", "Internal error"),
    503: ("服务暂不可用", "Service unavailable"),
}

# by rule (a refusal's `rule`), else by code
RULES_ZH: Mapping[str, str] = {
    "role": "您的角色无权执行此操作",
    "jurisdiction": "该案件不在您的辖区内",
    "enterprise_scope": "只能处理本企业的案件",
    "separation_of_duties": "按职责分离规则，同一人不能既办理又审核此事项",
    "auditor_read_only": "审计人员只能查阅，不能办理",
    "system_command": "该操作只能由系统执行",
    "origin_system_only": "该来源的案件只能由系统创建",
    "reason_required": "必须填写理由",
    "future_deadline": "期限必须晚于当前时间",
    "not_future": "时间不能晚于当前时间",
    "no_deadline": "当前没有可延长的期限",
    "duplicate": "该事项已经提交过",
    "duplicate_of_itself": "不能标记为与自身重复",
    "duplicate_needs_in_scope": "重复的案件必须在您的辖区内",
    "schema": "请求内容不符合要求",
    "required": "缺少必填内容",
    "storable_text": "文本含有无法保存的字符（如 NUL 或不成对的代理字符）",
    "listing_max_duration": "挂牌督办期限超过上限",
    "iso_duration": "时长格式不正确（应为 ISO 8601，如 P30D）",
    "idempotency": "幂等键（Idempotency-Key）已用于另一个请求",
    "extension_max": "延期次数或时长超过上限",
    "extension_lead": "延期申请提交得太晚",
    "extension_later": "延期后的期限必须晚于原期限",
    "extension_late": "期限已过，不能再申请延期",
    "supplement_window": "补报时限已过",
    "sanction_index": "处罚序号不存在",
    "route_to": "转办对象不正确",
    "route_only_out_of_scope": "只能转办不属于本辖区的事项",
    "reward_min": "奖励金额低于下限",
    "reward_max": "奖励金额超过上限",
    "reporting_route": "报告路径不符合规定",
    "regrade_changes_level": "重新定级必须改变等级",
    "region_unknown": "行政区划代码未知",
    "not_registered": "该企业尚未登记所在地区（请先登记责任人）",
    "reference_required": "必须注明依据或文号",
    "public_webhook_target": "Webhook 地址必须是公网地址",
    "public_intake_only": "只能通过公众举报入口提交",
    "plan_due": "治理方案提交时限不正确",
    "plan_deadline": "治理方案的完成期限不正确",
    "origin_source": "来源与案件出处不符",
    "on_the_spot_general": "只有一般隐患可以现场立即整改",
    "major_gates": "重大隐患须经过规定的环节",
    "major_deadline_in_listing": "重大隐患的整改期限须在挂牌督办期内",
    "major_basis": "重大隐患须注明判定依据",
    "investigating_authority": "调查组级别与事故等级不符",
    "intake_route": "受理渠道不正确",
    "incident_grade": "事故等级与伤亡、损失不符",
    "groupable": "无法按该字段分组统计",
    "grade_at_report": "事故等级与报告内容不符",
    "five_implementations": "治理方案须落实目标、措施、资金、时限、责任人（五落实）",
    "findings_required": "必须填写核查结果",
    "feedback_text_required": "必须填写反馈内容",
    "export_max_rows": "导出行数超过上限，请缩小筛选范围",
    "creation": "案件尚未创建，只能先上报",
    "count": "数量不正确",
    "contradicts_record": "与已有记录矛盾",
    "content_required": "必须填写举报内容",
    "comment_required_for_deviation": "与建议不一致时必须说明理由",
    "codec_protocol": "不是可解码的 codec 请求",
    "amount": "金额不正确",
    "action_needs_substantiated": "只有查实的举报才能采取处置措施",
    "source": "来源不正确",
    "blob_type": "文件类型不被允许",
    "blob_size": "文件超过大小上限",
    "campaign_scope": "不属于该专项行动的范围（行政区划、行业、期间或到期未完成整改的隐患）",
    "deadline_after_start": "专项行动的截止日期不能早于开始日期",
}
CODES_ZH: Mapping[str, str] = {
    "invalid_command": "请求不符合规则",
    "forbidden": "无权执行此操作",
    "not_allowed_in_state": "案件当前状态下不能执行此操作",
    "conflict": "与已发生的事项冲突",
    "idempotency_key_reused": "幂等键（Idempotency-Key）已用于另一个请求",
    "unauthorized": "需要有效的身份令牌（Authorization: Bearer <JWT>）",
    "not_found": "未找到",
    "invalid_cursor": "分页游标无效",
    "invalid_request": "请求内容不符合要求",
    "internal_error": "服务器内部错误，已记录",
    "unavailable": "依赖的服务暂不可用，请稍后重试",
    "not_ready": "依赖的服务暂不可用",
    "rate_limited": "请求过于频繁，请稍后再试",
    "method_not_allowed": "不支持该请求方法",
    "http_error": "请求有误",
    "domain_error": "操作被规则拒绝",
}

# pydantic error types, for the field-level problems of a refused body or query
FIELD_ZH: Mapping[str, str] = {
    "missing": "必填",
    "string_too_long": "过长（最多 {max_length} 个字符）",
    "string_too_short": "过短（至少 {min_length} 个字符）",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "datetime_parsing": "应为 ISO 8601 时间",
    "datetime_from_date_parsing": "应为 ISO 8601 时间",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "literal_error": "只允许 {expected}",
    "enum": "只允许 {expected}",
    "extra_forbidden": "不允许此字段",
    "too_long": "项数过多",
    "too_short": "项数过少",
    "union_tag_invalid": "类型不正确，只允许 {expected_tags}",
}


def title(status: int, lang: Lang) -> str:
    zh, en = TITLES.get(status, ("错误", "Error"))
    return zh if lang == "zh" else en


def field_problem_zh(error_type: str, ctx: Mapping[str, Any] | None, fallback: str) -> str:
    template = FIELD_ZH.get(error_type)
    if template is None:
        return fallback
    try:
        return template.format(**(ctx or {}))
    except (KeyError, IndexError):
        return template.split("（")[0].split(" {")[0]


def detail_zh(code: str, detail: str, extra: Mapping[str, Any]) -> str:
    """The Chinese sentence for a refusal: its rule's (or code's), the field and what is allowed, then the
    English detail's specifics in parentheses."""
    rule = extra.get("rule")
    sentence = RULES_ZH.get(str(rule)) if rule else None
    sentence = sentence or CODES_ZH.get(code, "请求被拒绝")
    parts = [sentence]
    if code == "not_allowed_in_state" and extra.get("case_status"):
        parts.append(f"当前状态：{extra['case_status']}")
    field = extra.get("field")
    if field:
        parts.append(f"字段：{field}")
    allowed = extra.get("allowed")
    if isinstance(allowed, Sequence) and not isinstance(allowed, str) and allowed:
        parts.append("允许：" + "、".join(str(a) for a in allowed))
    text = "；".join(parts)
    return f"{text}（{detail}）" if detail else text


def pick_language(accept_language: str | None) -> Lang:
    """Chinese unless the Accept-Language header prefers English (q-values honoured; ties go to Chinese)."""
    best: dict[Lang, float] = {"zh": 0.0, "en": 0.0}
    for item in (accept_language or "").split(","):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in best:
            lang: Lang = "zh" if primary == "zh" else "en"
            best[lang] = max(best[lang], q)
    return "en" if best["en"] > best["zh"] else "zh"
