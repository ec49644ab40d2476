"""The desk's statistics of a week or a month as a file (维修用户回访记录统计表, seed 004: 维修回访数据
每周、每月进行统计分析; of a month: the desk's monthly statistics, seed 000 part 1): `GET
/api/v1/desk/figures.xlsx?period=` (`.csv` alike) and the desk page's download button
(pages/desk.py), through the one export mechanism (shared/web/export.py)."""
from __future__ import annotations

from pathlib import Path

from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint
from marshmallow import fields, validate

from shared.web import export, vocabulary
from shared.web.api import organization_of_request, principal, roles_required

from ..domain.desk import parse_period
from ..figures import desk
from ..rules import desk_policy
from ..schemas import PeriodQuery
from .common import LEADS, scoped_branch, service

#: The reporting service's catalog (its labels outside a page's request).
CATALOG = str(Path(__file__).resolve().parents[1] / "translations")
#: The title of the table (seed 004 《维修用户回访记录统计表》).
TITLE = _l("Repair callback statistics")
#: The columns: who a row counts (the organisation, a branch, an agent, an advisor), then the counts
#: and rates of their callbacks (survey callbacks due in the period, RULES 3).
STATISTICS_COLUMNS = (_l("Counted for"), _l("Name"), _l("Callbacks"), _l("Customer reached"), _l("Declined"),
                      _l("Callback completion rate"), _l("Product satisfaction rate"),
                      _l("Service satisfaction rate"))
#: Each part of the figures and how its rows are named: (part, label, the row's name).
_PARTS = (("branches", _l("Branch"), "branch"), ("agents", _l("Agent"), "login"),
          ("advisors", _l("Service advisor"), "advisor_id"))

exports_blp = Blueprint("desk_exports", __name__, url_prefix="/api/v1/desk",
                        description="The desk's statistics (维修用户回访记录统计表) as .xlsx or .csv.")


class StatisticsExportArgs(PeriodQuery):
    language = fields.String(load_default="zh-CN", validate=validate.OneOf(["zh-CN", "en"]))


def _percent(rate: dict):
    return None if rate["value"] is None else f"{rate['value']:.1%}"


def statistics_sheet(figures: dict, *, language: str) -> export.Sheet:
    """Gives a period's desk figures (figures.desk.period_figures) as the table 维修用户回访记录统计表."""
    label = export.words_in(language, [TITLE, _l("Organisation"), *(p[1] for p in _PARTS)], CATALOG)
    title, whole, part_labels = label[0], label[1], label[2:]

    def cells(counted: str, name: str, row: dict) -> list:
        rates = row["figures"]
        return [counted, name, row["callbacks"], row["reached"], row["declined"],
                _percent(rates["callback_completion_rate"]), _percent(rates["product_satisfaction_rate"]),
                _percent(rates["service_satisfaction_rate"])]

    rows = [cells(whole, figures["branch"] or "", figures["organization"])]
    for (part, _label, key), counted in zip(_PARTS, part_labels):
        rows.extend(cells(counted, row[key] or "—", row) for row in figures[part])
    notes = export.notes_in(language, figures["first_day"], figures["last_day"], figures["branch"])
    return export.Sheet(name=title, title=title, notes=notes,
                        header=export.words_in(language, STATISTICS_COLUMNS, CATALOG), rows=rows)


def _download(query: dict, fmt: str):
    organization, me = organization_of_request(), principal()
    period = parse_period(query["period"])
    policy = desk_policy(service().settings, organization)
    branch = scoped_branch(policy, me.login, query.get("branch"), organization=organization, role=me.role)
    with service().connection():
        figures = desk.period_figures(organization, period, policy, branch=branch)
    return export.download(statistics_sheet(figures, language=query["language"]), fmt,
                           f"callback-statistics-{period.name}")


@exports_blp.route("/figures.xlsx")
class StatisticsXlsx(MethodView):
    @exports_blp.arguments(StatisticsExportArgs, location="query")
    @exports_blp.doc(responses={"200": {"description": "The desk's statistics (维修用户回访记录统计表) as .xlsx",
                                        "content": {export.XLSX: {}}}})
    @roles_required(*LEADS)
    def get(self, query):
        """The period's callback statistics (a week or a month) for the organisation, per branch, per
        agent and per advisor, as .xlsx: the title 维修用户回访记录统计表, the period, the header, the rows."""
        return _download(query, "xlsx")


@exports_blp.route("/figures.csv")
class StatisticsCsv(MethodView):
    @exports_blp.arguments(StatisticsExportArgs, location="query")
    @exports_blp.doc(responses={"200": {"description": "The desk's statistics as CSV (UTF-8 with BOM)",
                                        "content": {export.CSV: {}}}})
    @roles_required(*LEADS)
    def get(self, query):
        """The period's callback statistics as CSV, laid out as the .xlsx."""
        return _download(query, "csv")
