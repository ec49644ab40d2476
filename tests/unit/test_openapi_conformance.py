"""The OpenAPI documents say what the routes do. Each test is one thing
schemathesis found (tests/integration/test_api_fuzz.py runs it over the three documents), fixed.

The apps are the three services' own, on SQLite files and the stub broker (the `apps` fixture).
"""
from __future__ import annotations

import re
import uuid

import pytest
from marshmallow import Schema, ValidationError

from shared.web.apidocs import api_options
from shared.core.schemas import StrictBoolean
from testkit.apps import assert_problem, client
from testkit.tokens import ORG, user


def _component(spec: dict, operation: dict) -> dict:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]


def _complaint(apps) -> str:
    made = client(apps, "complaints").post("/api/v1/complaints", headers=user("manager"), json={
        "customer": {"id": f"C-{uuid.uuid4().hex[:6]}", "name": "王先生"}, "description": "空调不制冷"})
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def test_a_405_names_the_methods_the_resource_has(apps):
    # given a route that has GET and POST only; when it is sent TRACE (schemathesis' unsupported_method)
    answer = client(apps, "complaints").open("/api/v1/complaints", method="TRACE", headers=user("manager"))
    # then the 405 problem+json says which methods there are (RFC 9110 requires `Allow`)
    assert_problem(answer, 405)
    assert {"GET", "POST"} <= {m.strip() for m in answer.headers["Allow"].split(",")}


@pytest.mark.parametrize("value", ["", "Acme Electric", "-x"])
def test_a_malformed_organization_is_refused_whoever_asks(apps, value):
    # a person's token ignored a malformed ?organization= the document refuses (pattern): 200 before
    for service, path in (("scheduler", "/api/v1/callbacks"), ("complaints", "/api/v1/complaints"),
                          ("reporting", "/api/v1/reports/2026-10")):
        answer = client(apps, service).get(path, query_string={"organization": value}, headers=user("manager"))
        assert_problem(answer, 422, "organization")
    # and the person's own organisation, named or not, still reads
    assert client(apps, "complaints").get("/api/v1/complaints", query_string={"organization": ORG},
                                          headers=user("manager")).status_code == 200


def test_a_boolean_of_a_body_is_true_or_false_as_documented(apps, specs):
    complaint = _complaint(apps)
    complaints = client(apps, "complaints")
    reply = _component(specs["complaints"], specs["complaints"]["paths"]
                       ["/api/v1/complaints/{complaint_id}/reply"]["post"])
    assert reply["properties"]["answer"]["type"] == "boolean"
    # `"answer": 0` (and 1, "yes") was taken as a boolean: a schema-violating body accepted
    for wrong in (0, 1, "yes", "true"):
        assert_problem(complaints.post(f"/api/v1/complaints/{complaint}/reply", headers=user("manager"),
                                       json={"message": "已致电客户。", "answer": wrong}), 422, "answer")
    assert complaints.post(f"/api/v1/complaints/{complaint}/reply", headers=user("manager"),
                           json={"message": "已致电客户。", "answer": False}).status_code == 200

    class Body(Schema):
        flag = StrictBoolean(allow_none=True)

    assert Body().load({"flag": True}) == {"flag": True} and Body().load({"flag": None}) == {"flag": None}
    with pytest.raises(ValidationError):
        Body().load({"flag": 1})


def test_a_person_choosing_the_id_or_the_date_of_a_complaint_is_forbidden_not_malformed(apps):
    # both are schema-valid and allowed to the integration token: it is the role that may not (like `source`)
    complaints = client(apps, "complaints")
    body = {"customer": {"id": "C-1", "name": "王先生"}, "description": "空调不制冷"}
    assert_problem(complaints.post("/api/v1/complaints", headers=user("manager"),
                                   json={**body, "complaint_id": "ERP-9"}), 403, "complaint_id")
    assert_problem(complaints.post("/api/v1/complaints", headers=user("manager"),
                                   json={**body, "raised_at": "2020-01-01T09:00:00+08:00"}), 403, "raised_at")


def test_months_periods_and_amounts_are_documented_with_the_pattern_the_route_takes(apps, specs):
    reporting = specs["reporting"]
    month_parameters = [p for path in ("/api/v1/desk/summaries/{month}", "/api/v1/reports/{month}")
                        for p in reporting["paths"][path]["parameters"] if p.get("name") == "month"]
    assert len(month_parameters) == 2 and all("pattern" in p["schema"] for p in month_parameters)
    month = re.compile(_component(reporting, reporting["paths"]["/api/v1/reports"]["post"])
                       ["properties"]["month"]["pattern"])
    assert month.match("2026-10") and not month.match("0000-01") and not month.match("P5y")
    # and what matches is taken: a schema-valid month was refused before
    assert client(apps, "reporting").get("/api/v1/desk/summaries/1900-01", headers=user("manager")).status_code \
        != 422
    periods = {p["name"]: p for p in reporting["paths"]["/api/v1/desk/figures"]["get"]["parameters"]}
    assert re.match(periods["period"]["schema"]["pattern"], "2026-W45")
    assert not re.match(periods["period"]["schema"]["pattern"], "0000000")
    reviews = {p["name"]: p for p in specs["scheduler"]["paths"]["/api/v1/reviews"]["get"]["parameters"]}
    assert not re.match(reviews["period"]["schema"]["pattern"], "0000000")
    compensation = _component(specs["complaints"], specs["complaints"]["paths"]
                              ["/api/v1/complaints/{complaint_id}/compensation"]["post"])
    amount = compensation["properties"]["amount"]["pattern"]
    assert re.match(amount, "500.00") and not re.match(amount, "0000000000000000000")


def test_what_a_body_needs_as_a_whole_is_in_the_document(apps, specs):
    scheduler = specs["scheduler"]
    contact = _component(scheduler, scheduler["paths"]["/api/v1/callbacks/{callback_id}/contact"]["post"])
    assert {"required": ["phone"]} in contact["anyOf"]  # `{}` was schema-valid and refused
    outcome = _component(scheduler, scheduler["paths"]["/api/v1/callbacks/{callback_id}/outcome"]["post"])
    assert {"required": ["reached"]} in outcome["anyOf"]
    # the report's mail takes no body at all (the managers), and the document says so
    send = specs["reporting"]["paths"]["/api/v1/reports/{month}/send"]["post"]
    assert send["requestBody"].get("required", False) is False
    assert _component(specs["reporting"], send)["properties"]["to"]["minItems"] == 1


def test_every_object_says_whether_it_takes_unknown_properties():
    # apispec left additionalProperties out of any schema whose Meta had a description
    from flask import Flask
    from flask_smorest import Api
    from marshmallow import fields

    class Described(Schema):
        class Meta:
            description = "a body with a description"

        name = fields.String()

    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = Api(app, **api_options())
    api.spec.components.schema("Described", schema=Described)
    assert api.spec.to_dict()["components"]["schemas"]["Described"]["additionalProperties"] is False


def test_text_a_route_strips_is_documented_as_not_blank(apps, specs):
    # `"comment": "\v"` met minLength 1 and was refused as blank: the document says what is taken
    complaint = _complaint(apps)
    close = _component(specs["complaints"], specs["complaints"]["paths"]
                       ["/api/v1/complaints/{complaint_id}/close"]["post"])
    blank = re.compile(close["properties"]["comment"]["pattern"])
    for text in ("\v", "  ", "\u3000", "\x1c"):
        assert not blank.search(text) and not text.strip()
        assert_problem(client(apps, "complaints").post(f"/api/v1/complaints/{complaint}/close",
                                                       headers=user("manager"),
                                                       json={"reason": "anonymous", "comment": text}), 422, "comment")
    assert blank.search(" 匿名投诉，无法联系 ")


def test_nul_in_a_body_or_a_query_is_refused_naming_it_never_stored(apps, specs):
    # a reply holding NUL was a 500 on PostgreSQL ("A string literal cannot contain NUL"); stored on SQLite
    complaint = _complaint(apps)
    complaints = client(apps, "complaints")
    answer = complaints.post(f"/api/v1/complaints/{complaint}/reply", headers=user("manager"),
                             json={"message": "已致电\u0000客户。"})
    assert_problem(answer, 422, "message")
    history = complaints.get(f"/api/v1/complaints/{complaint}", headers=user("manager")).get_json()["history"]
    assert not any("\u0000" in str(entry) for entry in history)
    assert_problem(complaints.get("/api/v1/complaints", query_string={"customer_id": "C-\u00001"},
                                  headers=user("manager")), 422, "customer_id")
    # nested fields are named by their path, as event fields are
    assert_problem(complaints.post("/api/v1/complaints", headers=user("manager"), json={
        "customer": {"id": "C-1", "name": "王\u0000"}, "description": "x"}), 422, "customer.name")
    assert "NUL" in specs["complaints"]["info"]["description"]
