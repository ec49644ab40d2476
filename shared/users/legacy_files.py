"""The people of the old data files (complaints users.yaml, scheduler agents.yaml, reporting
recipients.yaml, and each organisation's copies) into the user directory (`make import-users`)."""
from __future__ import annotations

from pathlib import Path

from shared.core.event_fields import LOGIN_PATTERN, ORG_PATTERN, USER_ROLES
from shared.core.orgdata import packaged_path, read_data_file
from shared.users.store import Directory, save_person

#: The files that listed people before the directory, by service (CONTRACT "Pages").
LEGACY_FILES = {"complaints": "users.yaml", "scheduler": "agents.yaml", "reporting": "recipients.yaml"}


def _login_from_email(email: str, taken: set[str]) -> str:
    local = email.split("@", 1)[0]
    base = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "-" for ch in local).strip("-._")
    base = (base or "user")[:60]
    login, n = base, 2
    while login in taken:
        login, n = f"{base}-{n}", n + 1
    return login


def people_from_data_files(settings) -> tuple[dict[str, dict[str, dict]], list[str]]:
    """Gives the people the old data files list, by organisation and login, and notes on
    what could not be merged.

    complaints/users.yaml gives login, role and email; scheduler/agents.yaml gives agents and
    their business lines; reporting/recipients.yaml gives the managers' addresses (a manager
    not listed elsewhere gets a login made from the address). Each organisation's own copies
    (`<HUIFANG_DATA_DIR>/<org>/<service>/...`) are read; the packaged defaults count for the
    organisation `default`.
    """
    organizations: dict[str, dict[str, Path]] = {}
    for service, relative in LEGACY_FILES.items():
        packaged = packaged_path(service, relative)
        if packaged.exists():
            organizations.setdefault("default", {})[service] = packaged
    data_dir = Path(settings.data_dir)
    if data_dir.is_dir():
        for folder in sorted(data_dir.iterdir()):
            if not folder.is_dir() or not ORG_PATTERN.match(folder.name):
                continue
            for service, relative in LEGACY_FILES.items():
                own = folder / service / relative
                if own.exists():
                    organizations.setdefault(folder.name, {})[service] = own
    people: dict[str, dict[str, dict]] = {}
    notes: list[str] = []
    for organization, files in sorted(organizations.items()):
        found: dict[str, dict] = {}

        def read(service):
            path = files.get(service)
            return (read_data_file(path) or {}) if path is not None else {}

        for entry in read("complaints").get("users") or []:
            login, role = str(entry.get("login") or ""), str(entry.get("role") or "")
            if not LOGIN_PATTERN.match(login) or role not in USER_ROLES:
                notes.append(f"{organization}: complaints/users.yaml entry {entry!r} skipped (bad login or role)")
                continue
            found[login] = {"login": login, "role": role, "email": entry.get("email"), "business_lines": []}
        for entry in read("scheduler").get("agents") or []:
            login = str(entry.get("login") or "")
            lines = [str(line) for line in entry.get("business_lines") or []]
            if not LOGIN_PATTERN.match(login):
                notes.append(f"{organization}: scheduler/agents.yaml entry {entry!r} skipped (bad login)")
                continue
            person = found.setdefault(login, {"login": login, "role": "agent", "email": None, "business_lines": []})
            if person["role"] != "agent":
                notes.append(f"{organization}: {login} is {person['role']} in complaints/users.yaml and an agent "
                              f"in scheduler/agents.yaml; kept {person['role']} (change it with make user)")
            person["business_lines"] = lines
        for email in read("reporting").get("managers") or []:
            email = str(email).strip()
            if not email:
                continue
            same = [p for p in found.values() if (p.get("email") or "").lower() == email.lower()]
            if same:
                if same[0]["role"] != "manager":
                    notes.append(f"{organization}: {email} receives the report but is {same[0]['role']} "
                                 f"({same[0]['login']}); kept {same[0]['role']}")
                continue
            login = _login_from_email(email, set(found))
            found[login] = {"login": login, "role": "manager", "email": email, "business_lines": []}
        if found:
            people[organization] = found
    return people, notes


def import_people(*, uow, organization: str, people: dict[str, dict]) -> list[str]:
    """Gives the logins created or completed in the directory from the old data files.

    A person already in the directory keeps their role, name and password; only an empty
    e-mail or empty business lines are filled in. New people get no password: they cannot sign
    in until `make user` sets one. Emits `user.updated` for each change.
    """
    changed = []
    directory: Directory = uow.service.users
    for login, person in sorted(people.items()):
        existing = directory.get(organization, login)
        if existing is None:
            save_person(uow=uow, organization=organization, login=login, role=person["role"],
                        email=person.get("email"), business_lines=person.get("business_lines") or [])
            changed.append(login)
            continue
        email = person.get("email") if not existing.email and person.get("email") else None
        lines = person.get("business_lines") if not existing.business_lines and person.get("business_lines") else None
        if email is not None or lines is not None:
            save_person(uow=uow, organization=organization, login=login, email=email, business_lines=lines)
            changed.append(login)
    return changed
