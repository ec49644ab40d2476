"""The services' real web apps in-process, on SQLite files and the stub broker: for tests of the
HTTP surface and the OpenAPI documents."""
from __future__ import annotations

import importlib
from pathlib import Path

from shared.core.settings import load_settings
from testkit.tokens import API_TOKEN, SECRET


def stub_apps(folder: Path, *, secret: str = SECRET, api_token: str = API_TOKEN,
              services=("scheduler", "complaints", "reporting"), extra_env: dict | None = None) -> dict:
    """Gives the three services' real web apps on SQLite under `folder`, with the stub broker
    (nothing is relayed): for tests of the HTTP surface and the OpenAPI documents."""
    settings = load_settings({"HUIFANG_SECRET_KEY": secret, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(folder), "HUIFANG_API_TOKEN": api_token, **(extra_env or {})})
    made = {}
    for name in services:
        service = importlib.import_module(f"services.{name}.service").SERVICE
        service.bind(settings, url=f"sqlite:///{folder / (name + '.db')}")
        # create_app checks that every /api/ route has its roles: making it is part of the test.
        # reporting makes figures for readers in the request, as a single-process install does
        made[name] = importlib.import_module(f"services.{name}.app").create_app(
            {"TESTING": True, "HUIFANG_SETTINGS": settings, "REPORTING_GENERATE_INLINE": True})
    return made


def openapi_documents(apps: dict) -> dict:
    """Gives each app's OpenAPI document (/api/v1/openapi.json), by service."""
    return {name: app.test_client().get("/api/v1/openapi.json").get_json() for name, app in apps.items()}


def client(apps: dict, name: str):
    """Gives a test client of the app of service `name`."""
    return apps[name].test_client()


def assert_problem(response, status: int, field: str | None = None):
    """Asserts a problem+json answer with `status` (naming `field` among its errors, if given)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json"
    if field is not None:
        assert field in (response.get_json().get("errors") or {}), response.get_json()
