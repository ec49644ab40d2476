"""Pages of the complaints service (shared/pages.py): the complaint board (投诉看板); a
complaint's page and the new-complaint form come next."""
from flask import render_template

from shared.pages import EVERY_ROLE, page_blueprint, page_roles

blp = page_blueprint("complaints_pages", __name__)


@blp.get("/")
@page_roles(*EVERY_ROLE)
def board():
    """The complaint board (投诉看板): a placeholder in the shell until the page is built."""
    return render_template("placeholder.html")


PAGES = [blp]
