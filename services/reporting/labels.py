"""The words of the report in each edition: titles, figure names, and the names of codes.

``LABELS`` holds the headings and sentences, ``FIGURE_LABELS`` the name of each figure and
``CODE_LABELS`` the name of each code (answers, deadlines, callback kinds, segments, roles).
"""

from __future__ import annotations

#: Editions the report is written in.
LANGUAGES = ("zh-CN", "en")

LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "顾客满意度测量报告",
        "month": "报告月份",
        "organization": "单位",
        "generated_at": "生成时间",
        "summary": "关键指标摘要",
        "figure": "指标",
        "this_month": "本月",
        "counts": "分子/分母",
        "target": "目标",
        "met": "达标",
        "yes": "是",
        "no": "否",
        "charts": "图表",
        "trend_chart": "近三个月趋势",
        "satisfaction_chart": "各维度满意情况",
        "complaints": "投诉分析",
        "complaints_by_category": "投诉按类别",
        "complaints_by_level": "投诉按处理层级",
        "complaints_by_class": "投诉按客户类别",
        "complaints_total": "投诉总数",
        "deadline": "时限",
        "deadline_share": "按时完成比例",
        "mean_hours": "平均解决时长(服务小时)",
        "reopened": "重新打开",
        "count": "数量",
        "category": "类别",
        "suggestions": "建议和需求",
        "churn_reasons": "流失原因",
        "overdue": "逾期未回访",
        "unreachable": "未能联系的客户",
        "customer": "客户",
        "phone": "电话",
        "kind": "回访类型",
        "due_on": "应回访日期",
        "recorded_on": "记录日期",
        "text": "内容",
        "none": "无",
        "page": "第 {} 页",
        "dimension": "维度",
        "product": "产品质量",
        "service": "服务质量",
        "hours": "小时",
        "no_data": "本月无数据",
        "more": "…… 另有 {} 条未列出(完整清单见 JSON 接口 / 回访台账)",
        "shown_of": "共 {total} 条,列出前 {shown} 条",
        "retail_kpis": "回访考核指标",
        "satisfaction_score": "客户满意度得分(满分5分)",
        "quality_pass_rate": "回访质量合格率",
        "not_reviewed": "未评审",
        "repeat_complaints": "重复投诉",
        "special_callbacks": "特殊回访(已联系/应回访)",
    },
    "en": {
        "title": "Customer Satisfaction Measurement Report",
        "month": "Month",
        "organization": "Organisation",
        "generated_at": "Generated",
        "summary": "Key figures",
        "figure": "Figure",
        "this_month": "This month",
        "counts": "Counts",
        "target": "Target",
        "met": "Met",
        "yes": "yes",
        "no": "no",
        "charts": "Charts",
        "trend_chart": "Three-month trend",
        "satisfaction_chart": "Satisfaction by dimension",
        "complaints": "Complaint analysis",
        "complaints_by_category": "Complaints by category",
        "complaints_by_level": "Complaints by resolving level",
        "complaints_by_class": "Complaints by customer class",
        "complaints_total": "Complaints",
        "deadline": "Deadline",
        "deadline_share": "Met on time",
        "mean_hours": "Mean time to resolve (service hours)",
        "reopened": "Reopened",
        "count": "Count",
        "category": "Category",
        "suggestions": "Suggestions and needs",
        "churn_reasons": "Churn reasons",
        "overdue": "Overdue callbacks",
        "unreachable": "Unreachable customers",
        "customer": "Customer",
        "phone": "Phone",
        "kind": "Callback kind",
        "due_on": "Due on",
        "recorded_on": "Recorded on",
        "text": "Text",
        "none": "None",
        "page": "Page {}",
        "dimension": "Dimension",
        "product": "Product quality",
        "service": "Service quality",
        "hours": "h",
        "no_data": "No data this month",
        "more": "… and {} more (full list in the JSON / ledger)",
        "shown_of": "{total} in all, the first {shown} shown",
        "retail_kpis": "Callback KPIs",
        "satisfaction_score": "Satisfaction score (out of 5)",
        "quality_pass_rate": "Callback quality pass rate",
        "not_reviewed": "not reviewed",
        "repeat_complaints": "Repeat complaints",
        "special_callbacks": "Special callbacks (reached/due)",
    },
}

FIGURE_LABELS = {
    "zh-CN": {
        "callback_completion_rate": "回访完成率",
        "key_callback_completion_rate": "重点客户回访完成率",
        "ordinary_callback_completion_rate": "一般客户回访完成率",
        "product_satisfaction_rate": "产品质量满意率",
        "service_satisfaction_rate": "服务质量满意率",
        "touched_rate": "感动率",
        "return_rate": "回头率",
        "ordinary_order_coverage_rate": "一般客户工单回访率",
        "over_time_limit_rate": "通话超时比例",
        "outside_call_window_rate": "非回访时段记录比例",
    },
    "en": {
        "callback_completion_rate": "Callback completion rate",
        "key_callback_completion_rate": "Completion, key customers",
        "ordinary_callback_completion_rate": "Completion, ordinary customers",
        "product_satisfaction_rate": "Product satisfaction rate",
        "service_satisfaction_rate": "Service satisfaction rate",
        "touched_rate": "Touched rate",
        "return_rate": "Return rate",
        "ordinary_order_coverage_rate": "Orders called back, ordinary",
        "over_time_limit_rate": "Calls over the time guide",
        "outside_call_window_rate": "Recorded outside call windows",
    },
}

#: Names of codes (answers, deadlines, callback kinds, segments, roles) per edition;
#: a code not listed is shown as it is.
CODE_LABELS = {
    "zh-CN": {
        "very_satisfied": "非常满意", "satisfied": "满意", "neutral": "一般",
        "dissatisfied": "不满意", "very_dissatisfied": "非常不满意",
        "first_reply": "首次答复", "answer": "答复处理", "verify": "回访验证", "rework": "返修",
        "repeat_special": "特殊回访", "periodic": "定期回访",
        "installation": "安装调试", "trial_run": "试运行期", "warranty_6m": "质保期半年",
        "warranty_end": "质保期满", "post_warranty_24m": "质保期外24个月",
        "post_warranty_36m": "质保期外36个月", "first": "首次回访", "second": "二次回访",
        "verification": "投诉验证回访",
        "product_quality": "产品质量", "service_quality": "服务质量", "attitude": "服务态度",
        "price": "价格", "waiting_time": "等待时间", "other": "其他",
        "vip": "VIP客户", "group": "集团用户", "government": "政府车队", "fleet": "单位车队",
        "police": "司法警务", "ordinary": "一般用户",
        "0": "回访员", "1": "服务顾问", "2": "接待主管", "3": "服务经理",
        "agent": "回访员", "advisor": "服务顾问", "supervisor": "接待主管",
        "manager": "服务经理", "admin": "管理员",
    },
    "en": {
        "very_satisfied": "Very satisfied", "satisfied": "Satisfied", "neutral": "Neutral",
        "dissatisfied": "Dissatisfied", "very_dissatisfied": "Very dissatisfied",
        "first_reply": "First reply", "answer": "Answer", "verify": "Verification", "rework": "Rework",
        "repeat_special": "Special callback", "periodic": "Periodic",
        "installation": "Installation", "trial_run": "Trial run", "warranty_6m": "Warranty 6 months",
        "warranty_end": "Warranty end", "post_warranty_24m": "Post-warranty 24 months",
        "post_warranty_36m": "Post-warranty 36 months", "first": "First", "second": "Second",
        "verification": "Complaint verification",
        "product_quality": "Product quality", "service_quality": "Service quality", "attitude": "Attitude",
        "price": "Price", "waiting_time": "Waiting time", "other": "Other",
        "vip": "VIP", "group": "Group", "government": "Government", "fleet": "Fleet",
        "police": "Police", "ordinary": "Ordinary",
        "0": "Agent", "1": "Advisor", "2": "Supervisor", "3": "Manager",
        "agent": "Agent", "advisor": "Advisor", "supervisor": "Supervisor",
        "manager": "Manager", "admin": "Admin",
    },
}


def percent(value: float | None) -> str:
    """Gives ``0.375`` as ``37.5%`` and None as an em dash."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def code_label(language: str, code) -> str:
    """Gives the name of a code in the edition's language (the code itself when it has none)."""
    return CODE_LABELS[language].get(str(code), str(code))
