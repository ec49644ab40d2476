"""The README's quick tour, walked in a real browser on the demo's sample data: every stop opens,
and its picture is kept.

The pictures go to tests/artifacts/pages/tour-*.png on every run, and to docs/tour/*.png (the
README's, committed) when HUIFANG_TOUR_SCREENSHOTS=1 (`make tour-screenshots`), so the README
shows the pages as they are. English pages, 1280x720, the visible part only.
"""
from __future__ import annotations

import os
from datetime import datetime

import pytest

from services.complaints.models import Complaint
from services.scheduler.models import CallbackTask
from ops.onboarding import sample_events
from shared.core.settings import ROOT
from testkit.polling import eventually
from testkit.tokens import API_TOKEN, bearer
from testkit.pages import ORG, shoot, sign_in

TOUR = ROOT / "docs" / "tour"
#: Set by `make tour-screenshots`: the README's pictures are taken anew.
KEEP_FOR_README = os.environ.get("HUIFANG_TOUR_SCREENSHOTS") == "1"


def picture(page, name: str) -> None:
    """Keeps the visible part of `page` as tests/artifacts/pages/tour-<name>.png (and as
    docs/tour/<name>.png for `make tour-screenshots`)."""
    shoot(page, f"tour-{name}")
    if KEEP_FOR_README:
        TOUR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(TOUR / f"{name}.png"))


@pytest.fixture(scope="module")
def sample(site):
    """The demo's sample data for the site's organisation, posted as an ERP would: through
    POST /api/v1/events with the integration token; then the workers' work is waited for."""
    client = site.mesh.client("scheduler")
    for envelope in sample_events(ORG, now=datetime.now(site.mesh.settings.tz)):
        answer = client.post("/api/v1/events", json=envelope, headers=bearer(API_TOKEN))
        assert answer.status_code == 202, answer.get_json()

    def count(service, model):
        with service.connection():
            return model.select().where(model.organization == ORG).count()

    eventually(lambda: count(site.mesh.services["complaints"], Complaint) == 3, timeout=60,
               message="the sample complaints")
    eventually(lambda: count(site.mesh.services["scheduler"], CallbackTask) > 5, timeout=60,
               message="the sample callback tasks")
    return site


def _opened(page, url: str):
    answer = page.goto(url)
    assert answer is not None and answer.status < 400, f"{url}: {answer and answer.status}"
    page.wait_for_load_state("networkidle")
    return answer


def test_the_quick_tour(new_page, sample):
    site = sample
    page = new_page("en")

    _opened(page, site.url("scheduler", "/login"))
    picture(page, "1-sign-in")

    sign_in(page, site, "li")  # an agent
    # ?all=1: the tasks also outside the call windows, so the picture does not depend on the hour
    _opened(page, site.url("scheduler", "/?all=1"))
    picture(page, "2-workbench")
    callback = page.locator("a[href^='/callbacks/']").first
    callback.wait_for()
    _opened(page, site.url("scheduler", callback.get_attribute("href")))
    picture(page, "3-callback")

    advisor = new_page("en")
    sign_in(advisor, site, "zhao", service="complaints")  # an advisor
    _opened(advisor, site.url("complaints", "/"))
    picture(advisor, "4-complaint-board")
    complaint = advisor.locator("a[href^='/complaints/']:not([href='/complaints/new'])").first
    complaint.wait_for()
    _opened(advisor, site.url("complaints", complaint.get_attribute("href")))
    picture(advisor, "5-complaint")

    manager = new_page("en")
    sign_in(manager, site, "zhang", service="reporting")  # a manager
    _opened(manager, site.url("reporting", "/"))
    picture(manager, "6-report-room")

    reference = new_page("en")  # no sign-in: the API reference is public
    _opened(reference, site.url("scheduler", "/api/v1/docs"))
    reference.locator(".swagger-ui .opblock").first.wait_for()
    picture(reference, "7-api-reference")
