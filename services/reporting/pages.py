"""Pages of the reporting service (shared/pages.py): the report room (报告室); a month's
figures and its PDF come next."""
from flask import render_template

from shared.pages import page_blueprint, page_roles

#: Who reads the reports: the roles of the reports API (README), people only.
READERS = ("supervisor", "manager", "admin")

blp = page_blueprint("reporting_pages", __name__)


@blp.get("/")
@page_roles(*READERS)
def report_room():
    """The report room (报告室): a placeholder in the shell until the page is built."""
    return render_template("placeholder.html")


PAGES = [blp]
