"""Issue 12: hostile input and hostile tenants. Each test is named after the finding it proves.

The apps are the three services' own, on SQLite files and the stub broker (like test_docs.py).
"""
from __future__ import annotations

import importlib

import pytest

from shared.auth import issue_token
from shared.settings import SERVICES, load_settings

SECRET = "h" * 32
API_TOKEN = "hf_unit_hardening_integration"
ORG = "acme-electric"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def user(role: str, login: str = "li", org: str = ORG) -> dict:
    return bearer(issue_token(SECRET, login=login, role=role, organization=org))


INTEGRATION = bearer(API_TOKEN)


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hardening")
    settings = load_settings({"HUIFANG_SECRET_KEY": SECRET, "HUIFANG_BROKER_URL": "stub://",
                              "HUIFANG_VAR_DIR": str(folder), "HUIFANG_API_TOKEN": API_TOKEN})
    made = {}
    for name in SERVICES:
        service = importlib.import_module(f"services.{name}.service").SERVICE
        service.bind(settings, url=f"sqlite:///{folder / (name + '.db')}")
        made[name] = importlib.import_module(f"services.{name}.app").create_app(
            {"TESTING": True, "HUIFANG_SETTINGS": settings})
    return made


@pytest.fixture(scope="module")
def specs(apps):
    return {name: app.test_client().get("/api/v1/openapi.json").get_json() for name, app in apps.items()}


def client(apps, name: str):
    return apps[name].test_client()


def assert_problem(response, status: int, field: str | None = None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json"
    if field is not None:
        assert field in (response.get_json().get("errors") or {}), response.get_json()


# -- finding 11: the integration token names its organisation ---------------------------------------------

LIST_ROUTES = [("scheduler", "/api/v1/callbacks"), ("scheduler", "/api/v1/ledger"),
               ("complaints", "/api/v1/complaints"), ("scheduler", "/api/v1/webhooks"),
               ("reporting", "/api/v1/reports/2026-10")]


@pytest.mark.parametrize("service, path", LIST_ROUTES)
def test_finding_11_integration_reading_without_organization_is_422_naming_it(apps, service, path):
    response = client(apps, service).get(path, headers=INTEGRATION)
    assert_problem(response, 422, "organization")
    named = client(apps, service).get(path, query_string={"organization": ORG}, headers=INTEGRATION)
    assert named.status_code == 200, named.get_json()
    # a user's token still reads its own organisation without naming it
    assert client(apps, service).get(path, headers=user("admin")).status_code == 200


def test_finding_11_the_organization_parameter_is_documented_in_every_openapi_document(specs):
    for name, spec in specs.items():
        for path, item in spec["paths"].items():
            if path == "/api/v1/events":
                continue
            for method, operation in item.items():
                if method == "parameters":
                    continue
                parameters = item.get("parameters", []) + operation.get("parameters", [])
                names = {p.get("name") or spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[-1]]["name"]
                         for p in parameters}
                assert "organization" in names, f"{name} {method.upper()} {path}"


# -- finding 18: no 500 on schemathesis' inputs ------------------------------------------------------------

def test_finding_18_a_huge_offset_is_422_not_500(apps):
    for path in ("/api/v1/callbacks", "/api/v1/ledger"):
        response = client(apps, "scheduler").get(path, query_string={"offset": str(10 ** 30)}, headers=user("admin"))
        assert_problem(response, 422, "offset")
    response = client(apps, "complaints").get("/api/v1/complaints", query_string={"offset": str(2 ** 63)},
                                              headers=user("admin"))
    assert_problem(response, 422, "offset")


@pytest.mark.parametrize("path", ["/api/v1/reports/0000-01", "/api/v1/reports/0000-01.pdf",
                                  "/api/v1/reports/0001-01"])
def test_finding_18_month_0000_01_is_422_naming_month_not_500(apps, path):
    assert_problem(client(apps, "reporting").get(path, headers=user("manager")), 422, "month")


def test_finding_18_making_the_report_of_month_0000_01_is_refused_too(apps):
    response = client(apps, "reporting").post("/api/v1/reports", json={"month": "0000-01"}, headers=user("manager"))
    assert_problem(response, 422, "month")


# -- finding 19: the OpenAPI documents are valid -------------------------------------------------------------

def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_finding_19_minimum_and_maximum_are_numbers_in_every_openapi_document(specs):
    bad = []
    for name, spec in specs.items():
        for where, node in _walk(spec):
            for key in ("minimum", "maximum", "x-minimum", "x-maximum", "minLength", "maxLength", "minItems",
                        "maxItems"):
                if key in node and (not isinstance(node[key], (int, float)) or isinstance(node[key], bool)):
                    bad.append(f"{name}{where}/{key} = {node[key]!r}")
    assert not bad, bad


def test_finding_19_contract_amount_says_it_is_not_negative_in_a_way_a_string_can(specs):
    import re

    preview = specs["scheduler"]["paths"]["/api/v1/policies/preview"]["get"]["parameters"]
    (amount,) = [p for p in preview if p.get("name") == "contract_amount"]
    shipped = specs["scheduler"]["components"]["schemas"]["DeliveryShippedData"]["properties"]["contract_amount"]
    for schema in (amount["schema"], shipped):
        assert schema["type"] == "string" and schema["format"] == "decimal"
        pattern = re.compile(schema["pattern"])
        assert pattern.search("3200000.00") and pattern.search("0")
        assert not pattern.search("-1") and not pattern.search("abc")
