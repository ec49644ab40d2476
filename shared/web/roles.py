"""Who may open a page and press what: `@page_roles(...)` on every page view (deny by default: the
app refuses to start otherwise), actions declared once with `define_action`, and `can(...)` /
`may(action)` for the templates."""
from __future__ import annotations

import functools

from flask import Flask, abort, g

from shared.core.event_fields import USER_ROLES
from shared.web import vocabulary
from shared.web.session import current_principal

#: Every role a person can hold: `@page_roles(*EVERY_ROLE)` for a page everyone may open.
EVERY_ROLE = USER_ROLES
#: Role names shown to people (the seeds' terms: 回访员, 服务顾问, 接待主管, 服务经理).
ROLE_NAMES = vocabulary.ROLES


def page_roles(*roles: str):
    """Marks a page view as open to `roles` only; anyone else gets the 403 page.

    Every view of a page blueprint needs it (deny by default: the app refuses to start
    otherwise). `@page_roles(*EVERY_ROLE)` for a page every signed-in person may open.
    """
    unknown = [r for r in roles if r not in ROLE_NAMES]
    if not roles or unknown:
        raise ValueError(f"page_roles needs roles from {list(ROLE_NAMES)}, got {roles!r}")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None or principal.role not in roles:
                g.needed_roles = roles
                abort(403)
            return view(*args, **kwargs)

        wrapper._huifang_page_roles = roles
        return wrapper

    return decorator


#: Actions a template may ask about with `may(name)`, by name: the roles that may do each.
ACTIONS: dict[str, tuple[str, ...]] = {}


def define_action(name: str, *roles: str):
    """Declares an action (e.g. "complaints.escalate") and gives the decorator of its route.

    The route and the template then share one list of roles:

        ESCALATE = define_action("complaints.escalate", "advisor", "supervisor", "manager", "admin")

        @blp.post("/complaints/<id>/escalate")
        @ESCALATE
        def escalate(id): ...

        {% if may("complaints.escalate") %}<button ...>{% endif %}
    """
    ACTIONS[name] = tuple(roles)
    return page_roles(*roles)


def can(*roles: str) -> bool:
    """Gives whether the signed-in person holds one of `roles` (for templates: `can("manager")`)."""
    principal = current_principal()
    return principal is not None and principal.role in roles


def may(action: str) -> bool:
    """Gives whether the signed-in person may do `action` (declared with `define_action`)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}; declare it with shared.web.pages.define_action")
    return can(*ACTIONS[action])


def role_label(role: str | None) -> str:
    return str(ROLE_NAMES.get(role or "", role or ""))


def check_every_page_has_roles(app: Flask, blueprint_names: list[str]) -> None:
    """Refuses to start when a page view forgot `@page_roles`: deny by default, loudly."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".", 1)[0] not in blueprint_names or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        methods = [m.lower() for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS")]
        targets = [getattr(view_class, m, None) for m in methods] if view_class else [view]
        for target in targets:
            if target is not None and not getattr(target, "_huifang_page_roles", None):
                raise RuntimeError(f"page {rule.rule} ({rule.endpoint}) has a view without @page_roles")
