"""The words of the report in each edition: titles, figure names, and the names of codes.

``LABELS`` holds the headings and sentences, ``FIGURE_LABELS`` the name of each figure;
``code_label`` names each code (answers, deadlines, callback kinds, segments, roles ...) with the
shared vocabulary (shared/web/vocabulary.py) and the catalogs, as the pages do.
"""

from __future__ import annotations

from pathlib import Path

from shared.web import vocabulary

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
        # how complaints ended, broken promises, corrective actions (seeds 000, 002)
        "findings": "回访与投诉分析",
        "dissatisfied": "不满意顾客及原因",
        "satisfaction_pair": "产品/服务满意度",
        "dissatisfied_reason": "不满意事项",
        "yes_no": "回访问题统计",
        "question": "问题",
        "answered_yes": "是",
        "answered_no": "否",
        "complaint_sources": "投诉来源",
        "source": "来源",
        "handover_on_time": "按时转交(按时/应转交)",
        "closures": "投诉结案与承诺",
        "closure_reason": "结案原因",
        "closed_with_reason": "按原因结案合计",
        "verification_unreachable": "回访无法联系的投诉",
        "unreachable_waiting": "其中尚未结案",
        "promises_broken": "承诺未兑现",
        "complaints_with_broken_promises": "承诺未兑现的投诉",
        "corrective_actions": "纠正预防措施",
        "action": "措施",
        "owner": "责任人",
        "action_due": "完成期限",
        "status": "状态",
        "overdue_mark": "逾期",
        "actions_total": "共 {total} 项,逾期 {overdue} 项",
        # the desk's people against their targets (seeds 003 §七, 004)
        "desk": "回访员及服务顾问指标",
        "agents": "回访员",
        "advisors": "服务顾问",
        "callbacks": "回访数",
        "declined_callbacks": "谢绝回访(单独统计,不计入回访完成率)",
        "leads_counts": "回访商机(本月产生/本月成交)",
        # the hotline desk's tickets, never complaints (seed 001)
        "tickets": "热线工单(不计入投诉)",
        "tickets_note": "咨询服务单与任务单单独统计,不计入任何投诉指标;转为投诉的工单以投诉计入投诉统计。",
        "tickets_consultations": "登记咨询服务单",
        "tickets_requests": "登记任务单",
        "tickets_handed_over": "按时转交热线工程师(按时/登记)",
        "tickets_dispatched": "任务单按时转交维修协调员(按时/已转交热线工程师)",
        "tickets_duplicates": "疑似重复单据",
        "tickets_converted": "转为投诉",
        "quality_counts": "回访质量合格率(合格/评审)",
        "below_target": "未达标",
        "nobody": "(未指定)",
        "notes": "说明",
        "note_populations": ("回访完成率、产品质量满意率、服务质量满意率及感动率只统计满意度调查回访（设备、首次和二次维修回访、"
                             "物业、零售、流失客户回访）；投诉处理结果回访、重复投诉特殊回访、承诺事项跟进及客户问题答复回访"
                             "属跟进回访，使用各自的回访模板，不计入上述比率。"),
        "note_verifications": ("投诉回访及时率 = 在最后期限内联系到客户的投诉处理结果回访 / 本月应做的投诉处理结果回访；"
                               "投诉处理满意率 = 对处理情况满意或非常满意 / 回答该问题的投诉处理结果回访。"),
        "note_touched": ("感动率按本月服务的客户统计：本月服务、其首次回访落在下月的客户，计入其接受服务的月份。"),
        "note_touched_can_rise": "本月感动率仍可能上升：仍有本月服务客户的回访尚未完成。",
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
        "findings": "Callback and complaint findings",
        "dissatisfied": "Dissatisfied customers and their reasons",
        "satisfaction_pair": "Product / service satisfaction",
        "dissatisfied_reason": "What they are dissatisfied with",
        "yes_no": "Yes/no questions of the callbacks",
        "question": "Question",
        "answered_yes": "Yes",
        "answered_no": "No",
        "complaint_sources": "Complaints by source",
        "source": "Source",
        "handover_on_time": "Handed over on time (on time/due)",
        "closures": "Complaint closures and promises",
        "closure_reason": "Closure reason",
        "closed_with_reason": "Closed with a reason, in all",
        "verification_unreachable": "Verification unreachable",
        "unreachable_waiting": "of which not closed yet",
        "promises_broken": "Promises broken",
        "complaints_with_broken_promises": "Complaints with a broken promise",
        "corrective_actions": "Corrective and preventive actions",
        "action": "Action",
        "owner": "Owner",
        "action_due": "Due",
        "status": "Status",
        "overdue_mark": "overdue",
        "actions_total": "{total} in all, {overdue} overdue",
        "desk": "Agents and service advisors against targets",
        "agents": "Agent",
        "advisors": "Service advisor",
        "callbacks": "Callbacks",
        "declined_callbacks": "Declined callbacks (counted apart, not in the completion rate)",
        "leads_counts": "Leads from callbacks (raised / won this month)",
        # the hotline desk's tickets, never complaints (seed 001)
        "tickets": "Hotline tickets (not complaints)",
        "tickets_note": ("Consultations and service requests count here, never in a complaint figure; a ticket "
                         "turned into a complaint counts among the complaints as that complaint."),
        "tickets_consultations": "Consultations recorded",
        "tickets_requests": "Service requests recorded",
        "tickets_handed_over": "Handed to the hotline engineer in time (in time / recorded)",
        "tickets_dispatched": ("Service requests passed on to the repair coordinator in time "
                               "(in time / handed over)"),
        "tickets_duplicates": "Possible duplicates",
        "tickets_converted": "Turned into complaints",
        "quality_counts": "Callback quality pass rate (passed/reviewed)",
        "below_target": "below target",
        "nobody": "(none named)",
        "notes": "Notes",
        "note_populations": ("The completion, product and service satisfaction rates and the touched rate count "
                             "the survey callbacks only (equipment, first and second service callbacks, property, "
                             "retail, lapsed customers). Complaint verifications, repeat-complaint special callbacks, "
                             "promise follow-ups and answers to a customer's question are follow-up calls with "
                             "questionnaires of their own, counted in none of these rates."),
        "note_verifications": ("Verifications reached on time = complaint verifications that reached the customer "
                               "by their last day on time / the month's complaint verifications; satisfied with "
                               "complaint handling = satisfied or very satisfied / verifications that answered it."),
        "note_touched": ("The touched rate counts the month's customers: a customer served in the last days of the "
                         "month whose first callback falls in the next month counts in the month they were served."),
        "note_touched_can_rise": ("This month's touched rate can still rise: some callbacks of customers served "
                                  "this month are not made yet."),
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
        "verification_on_time_rate": "投诉回访及时率",
        "verification_satisfied_rate": "投诉处理满意率",
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
        "verification_on_time_rate": "Verifications reached on time",
        "verification_satisfied_rate": "Satisfied with complaint handling",
    },
}

#: The levels of a complaint chain by number, as ``by_level`` counts them ("0" = the agent's).
LEVEL_ROLES = ("agent", "advisor", "supervisor", "manager")
#: Where a code of the report finds its name, first table first (a segment's "group" is 集团用户,
#: "unreachable" is a closure reason): the shared vocabulary, so the PDF says what the pages say.
CODE_TABLES = (
    vocabulary.ANSWERS, vocabulary.DEADLINES, vocabulary.CALLBACK_KINDS, vocabulary.CATEGORIES,
    vocabulary.SEGMENTS, vocabulary.CUSTOMER_CLASSES, vocabulary.ROLES, vocabulary.CLOSURE_REASONS,
    {str(level): vocabulary.ROLES[role] for level, role in enumerate(LEVEL_ROLES)},
)
#: The reporting service's own catalog, read after the shared one (as on its pages).
CATALOG = Path(__file__).resolve().parent / "translations"


def percent(value: float | None) -> str:
    """Gives ``0.375`` as ``37.5%`` and None as an em dash."""
    if value is None:
        return "—"
    text = f"{value * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def code_label(language: str, code, table: dict | None = None) -> str:
    """Gives the name of a code in the edition's language, from `table` or else the first of
    CODE_TABLES that names it (the code itself when none does)."""
    code = str(code)
    if table is None:
        table = next((t for t in CODE_TABLES if code in t), {})
    return vocabulary.name_in(language, table, code, str(CATALOG))
