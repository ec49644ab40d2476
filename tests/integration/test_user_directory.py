"""One directory of people, seen by every service without a shared database.

A person entered on one service (make user: shared.users.store.save_person) reaches the others
through `user.updated` relayed by real workers; so does the conversion of the old data files.
"""
from __future__ import annotations

import yaml

from shared.users.legacy_files import import_people, people_from_data_files
from shared.users.store import save_person
from testkit.polling import eventually

ORG = "acme-electric"


def _person(service, login):
    with service.connection():
        return service.users.get(ORG, login)


def test_a_person_entered_on_one_service_is_seen_by_all_three(mesh):
    complaints = mesh.services["complaints"]
    complaints.run(save_person, organization=ORG, login="zhang", role="manager", name="张伟",
                   email="zhang@acme.example", password="pw-zhang")

    for name in ("scheduler", "reporting"):
        person = eventually(lambda: _person(mesh.services[name], "zhang"), message=f"zhang on {name}")
        assert (person.display_name, person.role, person.email, person.has_password) == \
            ("张伟", "manager", "zhang@acme.example", True)
    with mesh.services["reporting"].connection():
        assert mesh.services["reporting"].users.emails_of_role(ORG, "manager") == ["zhang@acme.example"]

    # A later change made elsewhere wins everywhere.
    mesh.services["scheduler"].run(save_person, organization=ORG, login="zhang", role="manager",
                                   email="gm@acme.example")
    eventually(lambda: _person(complaints, "zhang").email == "gm@acme.example", message="the new address")


def test_import_users_converts_the_old_files_and_reaches_every_service(mesh):
    scheduler = mesh.services["scheduler"]
    roster = mesh.settings.data_dir / ORG / "scheduler" / "agents.yaml"
    roster.parent.mkdir(parents=True, exist_ok=True)
    roster.write_text(yaml.safe_dump({"agents": [{"login": "li", "business_lines": ["vehicle"]},
                                                 {"login": "wang", "business_lines": ["equipment"]}]}))
    people, _ = people_from_data_files(mesh.settings)

    scheduler.run(import_people, organization=ORG, people=people[ORG])

    complaints = mesh.services["complaints"]
    eventually(lambda: _person(complaints, "wang") and _person(complaints, "li"),
               message="the imported agents on complaints")
    with complaints.connection():
        assert [p.login for p in complaints.users.agents_for(ORG, "vehicle")] == ["li"]
        assert [p.login for p in complaints.users.of_role(ORG, "agent")] == ["li", "wang"]


def test_a_manager_entered_once_gets_complaint_mail_and_the_report(mesh):
    """The complaint mail list and the report recipients come from the directory."""
    from services.complaints.rules import recipients_for
    from services.reporting.rules import recipients_of

    complaints, reporting = mesh.services["complaints"], mesh.services["reporting"]
    complaints.run(save_person, organization=ORG, login="gm", role="manager", name="王经理",
                   email="gm@acme.example")
    eventually(lambda: _person(reporting, "gm"), message="gm on reporting")

    with complaints.connection():
        assert "gm@acme.example" in recipients_for(complaints.settings, organization=ORG, role="manager",
                                                   users=complaints.users)
    with reporting.connection():
        assert "gm@acme.example" in recipients_of(reporting.settings, ORG, users=reporting.users).managers
