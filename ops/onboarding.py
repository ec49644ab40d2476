"""A first organisation in one command, and a demo organisation to look around in.

    make org ORG=acme-electric NAME="Acme Electric"    # ops.devenv org
    make demo                                         # ops.devenv demo

`create_organization` writes the organisation's data folder
(`<HUIFANG_DATA_DIR>/<org>/<service>/...`): a commented copy of each packaged rule file an
organisation decides (policies, chains, calendars, the report's targets, schedule and
recipients), which Huifang then reads instead of the default (shared/core/orgdata.py), and
`organization.yaml` with its name. People are not files any more: they are the user directory
(`make user`, shared/users/store.py).

`sample_events` gives the envelopes of a small, plausible organisation (deliveries, service
orders, complaints) dated around today, so every page shows something on a first visit; the
demo posts them like any other system would, through a service's outbox.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import yaml

from shared.core.event_fields import ORG_PATTERN
from shared.core.manifest import load_manifests
from shared.core.orgdata import ORGANIZATION_FILE
from shared.core.settings import ROOT, Settings

#: Data files that are not rules an organisation decides: the old people lists (the user
#: directory replaced them) and the questionnaires (copied by hand when an organisation
#: words its own questions).
NOT_COPIED = ("data/agents.yaml", "data/users.yaml", "data/questionnaires/")


@dataclass(frozen=True)
class CopiedFile:
    """One rule file of an organisation: where it is, what it holds, and whether it was written now."""

    path: Path
    service: str
    relative: str
    summary: str
    created: bool


def org_files(service: str) -> list[str]:
    """Gives the data files (relative to services/<service>/data/) an organisation gets a copy of."""
    manifest = load_manifests()[service]
    return [entry.removeprefix("data/") for entry in manifest["data"]
            if not any(entry == skip or (skip.endswith("/") and entry.startswith(skip)) for skip in NOT_COPIED)]


def _summary(text: str) -> str:
    """Gives the first sentence of a data file's opening comment: what it holds."""
    words = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        words.append(line.lstrip("#").strip())
    comment = " ".join(w for w in words if w)
    end = comment.find(". ")
    return comment if end < 0 else comment[:end + 1]


def _header(*, organization: str, name: str, service: str, relative: str, today: date) -> str:
    return (f"# {name} ({organization}): this organisation's own copy of services/{service}/data/{relative},\n"
            f"# made by `make org` on {today.isoformat()} from the packaged default. Huifang reads this file\n"
            f"# instead of the default for {organization}: edit it to change the rules, delete it to\n"
            f"# follow the default again. The comments below are the default's.\n#\n")


def check_organization(organization: str) -> None:
    """Raises ValueError with a sentence naming ORG when the slug is malformed."""
    if not ORG_PATTERN.match(organization or ""):
        raise ValueError(f"ORG must be a lower-case slug like acme-electric (letters, digits, '-', '_', '.'), "
                         f"got {organization!r}")


def create_organization(settings: Settings, organization: str, name: str, *, today: date | None = None
                        ) -> list[CopiedFile]:
    """Gives the organisation's rule files after writing the ones it does not have yet.

    An existing file is never overwritten: running it again only adds what is missing.

    Raises:
      ValueError: `organization` is not a slug.
    """
    check_organization(organization)
    name = name.strip() or organization
    today = today or datetime.now(settings.tz).date()
    folder = Path(settings.data_dir) / organization
    folder.mkdir(parents=True, exist_ok=True)
    named = folder / ORGANIZATION_FILE
    if not named.exists():
        named.write_text("# The organisation's name, as people read it (make org NAME=...).\n"
                         + yaml.safe_dump({"name": name}, allow_unicode=True), encoding="utf-8")
    copied = []
    for service in load_manifests():
        for relative in org_files(service):
            default = ROOT / "services" / service / "data" / relative
            target = folder / service / relative
            text = default.read_text(encoding="utf-8")
            created = not target.exists()
            if created:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(_header(organization=organization, name=name, service=service, relative=relative,
                                          today=today) + text, encoding="utf-8")
            copied.append(CopiedFile(path=target, service=service, relative=relative, summary=_summary(text),
                                     created=created))
    return copied


def known_organizations(settings: Settings) -> list[str]:
    """Gives the organisations that have a data folder."""
    folder = Path(settings.data_dir)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and ORG_PATTERN.match(p.name))


def next_steps(settings: Settings, organization: str, *, admin: str | None) -> list[str]:
    """Gives the lines telling what to fill in after `make org`."""
    scheduler, complaints, reporting = (settings.public_url(s) for s in ("scheduler", "complaints", "reporting"))
    return [
        "People (the user directory; each signs in to the pages with a password):",
        f"  make user LOGIN=li ROLE=agent ORG={organization} NAME=李娜 LINES=vehicle,retail",
        "      agents make the callbacks (LINES: the business lines they cover; none: every line);",
        "      the workbench shows each agent their tasks and the unassigned ones.",
        f"  make user LOGIN=zhang ROLE=manager ORG={organization} NAME=张伟 EMAIL=zhang@example.com",
        "      the monthly report is mailed to the managers' addresses; without one it cannot be sent.",
        "  advisors and supervisors: the levels complaints escalate through (complaints/chains/default.yaml).",
        "Mail: HUIFANG_SMTP_URL=smtp://host:25 (unset: every mail is written to var/outbox/*.eml).",
        f"Rules: read the files above, in {Path(settings.data_dir) / organization}; the calendars' "
        "`holidays` are your own days off.",
        f"Events from your ERP: docs/EVENTS.md; the API reference: {scheduler}/api/v1/docs (one per service).",
        f"  a token: make token LOGIN=erp ROLE=admin ORG={organization}   (or the integration token, var/api_token)",
        f"Start: make run, then sign in{' as ' + admin if admin else ''} at {scheduler}/login "
        f"(complaints: {complaints}/, reports: {reporting}/).",
    ]


# -- the demo organisation ---------------------------------------------------------------------

#: The demo organisation's slug and name.
DEMO_ORG = "demo"
DEMO_NAME = "演示公司 (Demo Electric & Motors)"
#: login: (role, display name, e-mail): one person of each role.
DEMO_PEOPLE = {
    "li": ("agent", "李娜", "li@demo.example"),
    "zhao": ("advisor", "赵敏", "zhao@demo.example"),
    "chen": ("supervisor", "陈静", "chen@demo.example"),
    "zhang": ("manager", "张伟", "zhang@demo.example"),
    "admin": ("admin", "系统管理员", "admin@demo.example"),
}


def new_password() -> str:
    """Gives a password that is easy to type and hard to guess (`xxxx-xxxx-xxxx`)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


_CUSTOMERS = {
    "C-D01": {"name": "华东电力集团", "segment": "vip", "phone": "13800000101", "contact_person": "刘工",
              "site_contact": "周工", "site_phone": "13900000102"},
    "C-D02": {"name": "江南水务", "segment": "government", "phone": "13800000201", "contact_person": "孙主任"},
    "C-D03": {"name": "顺达物流车队", "segment": "fleet", "phone": "13800000301", "contact_person": "马队长"},
    "C-D04": {"name": "王建国", "segment": "ordinary", "phone": "13700000401"},
    "C-D05": {"name": "刘芳", "segment": "ordinary", "phone": "13700000501"},
    "C-D06": {"name": "陈志强", "segment": "ordinary", "phone": "13700000601"},
    "C-D07": {"name": "绿城物业", "segment": "group", "phone": "13800000701", "contact_person": "吴经理"},
    "C-D08": {"name": "张丽", "segment": "ordinary", "phone": "13700000801"},
}


def _customer(customer_id: str) -> dict:
    return {"id": customer_id, **_CUSTOMERS[customer_id]}


def sample_events(organization: str, *, now: datetime) -> list[dict]:
    """Gives the envelopes of the demo's sample data for `organization`, dated around `now`
    (aware, in the installation's time zone): deliveries, service orders and complaints whose
    callbacks and deadlines fall due about today. The same ids every time: posting them twice
    changes nothing."""
    today = now.date()
    tz = now.tzinfo

    def day(days_ago: int) -> str:
        return (today - timedelta(days=days_ago)).isoformat()

    def moment(days_ago: int, at: str) -> str:
        clock = time.fromisoformat(at)
        return datetime.combine(today - timedelta(days=days_ago), clock, tzinfo=tz).isoformat()

    events: list[tuple[str, str, dict]] = [
        ("D-D01-shipped", "delivery.shipped", {
            "delivery_id": "D-D01", "customer": _customer("C-D01"), "shipped_on": day(60),
            "project": "110kV 变电站改造", "product_model": "KYN28-12", "quantity": 4, "contract_amount": "3200000.00"}),
        ("D-D01-installed", "equipment.installed", {"delivery_id": "D-D01", "installed_on": day(50)}),
        ("D-D01-commissioned", "equipment.commissioned", {"delivery_id": "D-D01", "commissioned_on": day(40)}),
        ("D-D02-shipped", "delivery.shipped", {
            "delivery_id": "D-D02", "customer": _customer("C-D02"), "shipped_on": day(12),
            "project": "水厂配电升级", "product_model": "XGN15-12", "quantity": 2, "contract_amount": "860000.00"}),
        ("D-D03-shipped", "delivery.shipped", {
            "delivery_id": "D-D03", "customer": _customer("C-D01"), "shipped_on": day(2),
            "project": "开关站扩建", "product_model": "KYN28-12", "quantity": 1, "contract_amount": "450000.00"}),
    ]
    orders = [
        ("SO-D01", "C-D03", "vehicle", "maintenance", 3, "10:30"),
        ("SO-D02", "C-D04", "vehicle", "repair", 3, "15:00"),
        ("SO-D03", "C-D06", "vehicle", "accident", 4, "11:00"),
        ("SO-D04", "C-D05", "retail", "purchase", 5, "16:20"),
        ("SO-D05", "C-D08", "retail", "purchase", 2, "14:10"),
        ("SO-D06", "C-D07", "property", "emergency_repair", 1, "09:40"),
        ("SO-D07", "C-D03", "vehicle", "major_repair", 10, "17:00"),
        ("SO-D08", "C-D06", "vehicle", "maintenance", 9, "10:00"),
    ]
    for order_id, customer_id, line, kind, days_ago, at in orders:
        events.append((f"{order_id}-completed", "service_order.completed", {
            "order_id": order_id, "customer": _customer(customer_id), "completed_at": moment(days_ago, at),
            "business_line": line, "kind": kind, "advisor_id": "zhao"}))
    complaints = [
        ("ERP-D01", "C-D04", "hotline", "service_quality", "维修后空调仍不制冷，客户要求再次检查。", now - timedelta(hours=2),
         "SO-D02"),
        ("ERP-D02", "C-D07", "walk_in", "attitude", "物业维修人员上门时态度生硬，未说明收费标准。",
         now - timedelta(days=1, hours=3), "SO-D06"),
        ("ERP-D03", "C-D05", "web", "product_quality", "新买的洗衣机脱水时噪音很大。", now - timedelta(days=3), "SO-D04"),
    ]
    for complaint_id, customer_id, source, category, description, raised_at, order_id in complaints:
        events.append((f"{complaint_id}-raised", "complaint.raised", {
            "complaint_id": complaint_id, "customer": _customer(customer_id), "description": description,
            "category": category, "source": source, "raised_at": raised_at.isoformat(), "order_id": order_id}))
    return [{"specversion": "1.0", "id": f"{organization}-sample-{key}", "type": event_type,
             "source": f"erp://{organization}", "time": now.isoformat(), "organization": organization, "data": data}
            for key, event_type, data in events]
