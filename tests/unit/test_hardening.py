"""Hostile input and hostile tenants. Each test is named after what it proves.

The apps are the three services' own, on SQLite files and the stub broker (the `apps` fixture).
"""
from __future__ import annotations

import importlib

import pytest

from shared.core.settings import SERVICES
from testkit.apps import assert_problem, client
from testkit.tokens import INTEGRATION, ORG, user

# -- the integration token names its organisation ---------------------------------------------------------

LIST_ROUTES = [("scheduler", "/api/v1/callbacks"), ("scheduler", "/api/v1/ledger"),
               ("complaints", "/api/v1/complaints"), ("scheduler", "/api/v1/webhooks"),
               ("reporting", "/api/v1/reports/2026-10")]


@pytest.mark.parametrize("service, path", LIST_ROUTES)
def test_integration_reading_without_organization_is_422_naming_it(apps, service, path):
    response = client(apps, service).get(path, headers=INTEGRATION)
    assert_problem(response, 422, "organization")
    named = client(apps, service).get(path, query_string={"organization": ORG}, headers=INTEGRATION)
    assert named.status_code == 200, named.get_json()
    # a user's token still reads its own organisation without naming it
    assert client(apps, service).get(path, headers=user("admin")).status_code == 200


def test_the_organization_parameter_is_documented_in_every_openapi_document(specs):
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


# -- no 500 on schemathesis' inputs ------------------------------------------------------------------------

def test_a_huge_offset_is_422_not_500(apps):
    for path in ("/api/v1/callbacks", "/api/v1/ledger"):
        response = client(apps, "scheduler").get(path, query_string={"offset": str(10 ** 30)}, headers=user("admin"))
        assert_problem(response, 422, "offset")
    response = client(apps, "complaints").get("/api/v1/complaints", query_string={"offset": str(2 ** 63)},
                                              headers=user("admin"))
    assert_problem(response, 422, "offset")


@pytest.mark.parametrize("path", ["/api/v1/reports/0000-01", "/api/v1/reports/0000-01.pdf",
                                  "/api/v1/reports/0001-01"])
def test_month_0000_01_is_422_naming_month_not_500(apps, path):
    assert_problem(client(apps, "reporting").get(path, headers=user("manager")), 422, "month")


def test_making_the_report_of_month_0000_01_is_refused_too(apps):
    response = client(apps, "reporting").post("/api/v1/reports", json={"month": "0000-01"}, headers=user("manager"))
    assert_problem(response, 422, "month")


# -- the OpenAPI documents are valid -------------------------------------------------------------------------

def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def test_minimum_and_maximum_are_numbers_in_every_openapi_document(specs):
    bad = []
    for name, spec in specs.items():
        for where, node in _walk(spec):
            for key in ("minimum", "maximum", "x-minimum", "x-maximum", "minLength", "maxLength", "minItems",
                        "maxItems"):
                if key in node and (not isinstance(node[key], (int, float)) or isinstance(node[key], bool)):
                    bad.append(f"{name}{where}/{key} = {node[key]!r}")
    assert not bad, bad


def test_contract_amount_says_it_is_not_negative_in_a_way_a_string_can(specs):
    import re

    preview = specs["scheduler"]["paths"]["/api/v1/policies/preview"]["get"]["parameters"]
    (amount,) = [p for p in preview if p.get("name") == "contract_amount"]
    shipped = specs["scheduler"]["components"]["schemas"]["DeliveryShippedData"]["properties"]["contract_amount"]
    for schema in (amount["schema"], shipped):
        assert schema["type"] == "string" and schema["format"] == "decimal"
        pattern = re.compile(schema["pattern"])
        assert pattern.search("3200000.00") and pattern.search("0")
        assert not pattern.search("-1") and not pattern.search("abc")


# -- ids are of a safe character set wherever they are accepted --------------------------------

from shared.core import catalogue  # noqa: E402
from shared.core.errors import InvalidEvent  # noqa: E402
from shared.core.event_types import REGISTRY  # noqa: E402
from shared.core.events import validate_envelope  # noqa: E402

BAD_IDS = ["K-1\r\nBcc: thief@evil.example", "K-1\n", "K/1", "../etc", "a b", "K-1\x00", "", "x" * 129]


def _example(event_type: str, **data) -> dict:
    envelope = catalogue.example_envelope(event_type)
    envelope["data"] = {**envelope["data"], **data}
    return envelope


def _refused(envelope: dict, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        validate_envelope(envelope)
    assert field in caught.value.errors, caught.value.errors


@pytest.mark.parametrize("bad", BAD_IDS)
def test_event_ids_with_cr_lf_slash_or_blanks_are_refused_naming_the_field(bad):
    _refused(_example("complaint.raised", complaint_id=bad), "data.complaint_id")
    _refused(_example("complaint.raised", order_id=bad), "data.order_id")
    _refused(_example("delivery.shipped", delivery_id=bad), "data.delivery_id")
    _refused(_example("service_order.completed", order_id=bad), "data.order_id")
    _refused(_example("service_order.completed", advisor_id=bad or "a\nb"), "data.advisor_id")
    customer = {**catalogue.example_envelope("customer.updated")["data"]["customer"], "id": bad}
    _refused(_example("customer.updated", customer=customer), "data.customer.id")
    _refused(_example("callback.completed", callback_id=bad), "data.callback_id")


def test_the_ids_people_use_stay_accepted():
    for good in ("CMP-2026-0007", "C-D06", "erp-000123", "callback-3f6c2a9e-8b1d-5c4e-9a7f-2d1e0b6c4a18",
                 "O_1.2", "SO:2026:17", "x" * 128):
        envelope = _example("complaint.raised", complaint_id=good, order_id=good)
        # CMP-... and callback-... are the ids Huifang makes itself: sent by its own services
        envelope["source"] = "huifang://scheduler"
        validate_envelope(envelope)


def test_the_apis_refuse_unsafe_ids_naming_the_field(apps):
    complaints = client(apps, "complaints")
    body = {"customer": {"id": "C-1", "name": "王先生"}, "description": "太慢", "source": "walk_in"}
    for field, value in (("complaint_id", "K-1\r\nX"), ("order_id", "O/1"), ("delivery_id", "D\n1")):
        response = complaints.post("/api/v1/complaints", json={**body, field: value}, headers=user("admin"))
        assert_problem(response, 422, field)
    response = complaints.post("/api/v1/complaints", json={**body, "customer": {"id": "C/1", "name": "王"}},
                               headers=user("admin"))
    assert_problem(response, 422)
    assert "customer" in str(response.get_json()["errors"])
    scheduler = client(apps, "scheduler")
    for path, field in (("/api/v1/callbacks", "customer_id"), ("/api/v1/callbacks", "complaint_id"),
                        ("/api/v1/ledger", "delivery_id")):
        response = scheduler.get(path, query_string={field: "a\r\nb"}, headers=user("admin"))
        assert_problem(response, 422, field)


def test_ledger_rows_with_unsafe_ids_are_refused_naming_row_and_column():
    from services.scheduler.errors import LedgerFileInvalid
    from services.scheduler.ledger_file import load_ledger_file

    csv_text = '发货单号,顾客编号,顾客名称,发货时间\nD/1,C-1,甲,2026-01-31\nD-2,"C\r\n1",乙,2026-01-31\n'
    with pytest.raises(LedgerFileInvalid) as caught:
        load_ledger_file("ledger.csv", csv_text.encode("utf-8"))
    errors = caught.value.errors
    assert "rows.2.delivery_id" in errors and "rows.3.customer_id" in errors, errors


# -- every string of every event type is bounded by its column, and NUL is refused --------------

def _string_fields(schema, prefix="data"):
    from marshmallow import fields as mf

    for name, field in schema.fields.items():
        where = f"{prefix}.{name}"
        if isinstance(field, mf.Nested):
            yield from _string_fields(field.schema, where)
        elif isinstance(field, mf.List) and isinstance(field.inner, mf.String):
            yield where, field.inner, True
        elif isinstance(field, mf.String):
            yield where, field, False


def _bound(field) -> int | None:
    from marshmallow import validate as mv

    bounds = []
    for v in field.validators:
        if isinstance(v, mv.Length) and v.max is not None:
            bounds.append(v.max)
        elif isinstance(v, mv.OneOf):
            bounds.append(max(len(str(c)) for c in v.choices))
        elif isinstance(v, mv.Equal):
            bounds.append(len(str(v.comparable)))
    return min(bounds) if bounds else None


def _columns():
    """Every CharField of every service by name: name -> [(model, max_length)]."""
    import peewee

    found: dict[str, list] = {}
    for name in SERVICES:
        service = importlib.import_module(f"services.{name}.service").SERVICE
        for model in service.all_models:
            for column in model._meta.sorted_fields:
                if isinstance(column, peewee.CharField):
                    found.setdefault(column.name, []).append((f"{name}.{model.__name__}", column.max_length))
    return found


#: Columns that share a name with an event field but hold something else (checked by hand).
UNRELATED = {"kind": {"complaints.Notification", "reporting.ReportJob", "complaints.ComplaintNotice",
                      "complaints.Ticket", "reporting.DeskTicket"},  # a ticket's kind, not a callback's
             "source": {"reporting.EventLog", "complaints.Complaint"},
             "name": {"scheduler.Policy"},
             "callback_id": {"scheduler.PhoneReveal"}}  # the scheduler's own task ids (uuid), never from events


def test_every_string_field_of_every_event_schema_has_a_length_that_fits_its_columns():
    columns = _columns()
    unbounded, too_long = [], []
    for event_type, schema_cls in REGISTRY.items():
        for where, field, _ in _string_fields(schema_cls()):
            bound = _bound(field)
            if bound is None:
                unbounded.append(f"{event_type} {where}")
                continue
            leaf = where.rsplit(".", 1)[-1]
            if where.endswith("customer.id"):
                leaf = "customer_id"
            for model, length in columns.get(leaf, []):
                unrelated = model in UNRELATED.get(leaf, ()) or ".Webhook" in model  # webhook delivery ids
                if not unrelated and length is not None and bound > length:
                    too_long.append(f"{event_type} {where} (max {bound}) > {model}.{leaf} ({length})")
    assert not unbounded, f"give these a validate.Length(max=...) matching their column: {unbounded}"
    assert not too_long, too_long


def test_project_product_model_and_business_line_over_their_columns_are_422():
    _refused(_example("delivery.shipped", project="项" * 301), "data.project")
    _refused(_example("delivery.shipped", product_model="M" * 201), "data.product_model")
    _refused(_example("delivery.shipped", business_line="b" * 33), "data.business_line")


def test_no_string_field_of_any_event_type_accepts_a_nul_character():
    accepted = []
    for event_type, schema_cls in REGISTRY.items():
        example = catalogue.example_envelope(event_type)
        for where, field, in_list in _string_fields(schema_cls()):
            envelope = {**example, "data": _set(example["data"], where.split(".")[1:], in_list)}
            try:
                validate_envelope(envelope)
            except InvalidEvent as exc:
                assert any(k.startswith(where) for k in exc.errors), (event_type, where, exc.errors)
            else:
                accepted.append(f"{event_type} {where}")
    assert not accepted, accepted
    for name in ("id", "source"):
        _refused({**catalogue.example_envelope("delivery.cancelled"), name: "erp\x00-1"}, name)


def _set(data: dict, path: list[str], in_list: bool) -> dict:
    data = dict(data)
    head, rest = path[0], path[1:]
    if rest:
        data[head] = _set(dict(data.get(head) or {}), rest, in_list)
    else:
        data[head] = ["ok\x00"] if in_list else "C-1\x00"
    return data


# -- huge CSV fields and deeply nested JSON are 400/422 problem+json, not 500 ------------------

def _upload(apps, content: bytes, name: str = "ledger.csv"):
    import io

    return client(apps, "scheduler").post("/api/v1/ledger/import", query_string={"dry_run": "1"},
                                          data={"file": (io.BytesIO(content), name)}, headers=user("agent"),
                                          content_type="multipart/form-data")


def test_a_csv_field_over_128_kib_is_422_naming_the_file(apps):
    content = ("发货单号,顾客编号,顾客名称,发货时间\nD-1,C-1," + "甲" * (130 * 1024) + ",2026-01-31\n").encode()
    assert_problem(_upload(apps, content), 422, "file")


def test_a_bare_carriage_return_in_a_csv_is_422_not_500(apps):
    assert_problem(_upload(apps, "发货单号,顾客编号,顾客名称,发货时间\nD-1,C\r1,甲,2026-01-31\n".encode()), 422, "file")


@pytest.mark.parametrize("service, path", [("scheduler", "/api/v1/events"), ("complaints", "/api/v1/complaints"),
                                           ("reporting", "/api/v1/reports")])
def test_a_deeply_nested_json_body_is_400_problem_json(apps, service, path):
    body = "[" * 100_000 + "]" * 100_000
    response = client(apps, service).post(path, data=body, content_type="application/json",
                                          headers=user("admin") if path != "/api/v1/events" else INTEGRATION)
    assert response.status_code in (400, 422), response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"


# -- ledger CSVs as Excel in China saves them -------------------------------------------------------------------

CHINESE_CSV = "发货单号,顾客编号,顾客名称,工程名称,发货时间,送电时间\nD-1,C-1,华东电力,二期扩建,2026/1/31,2026/2/3\n"


@pytest.mark.parametrize("encoding, bom", [("gbk", b""), ("gb18030", b""), ("gb18030", "\ufeff".encode("gb18030")),
                                           ("utf-8", b"\xef\xbb\xbf"), ("utf-8", b"")])
def test_excel_csv_in_gbk_or_gb18030_with_slash_dates_is_read(encoding, bom):
    from datetime import date

    from services.scheduler.ledger_file import load_ledger_file

    (row,) = load_ledger_file("台帐.csv", bom + CHINESE_CSV.encode(encoding))
    assert (row["customer_name"], row["project"]) == ("华东电力", "二期扩建")
    assert (row["shipped_on"], row["commissioned_on"]) == (date(2026, 1, 31), date(2026, 2, 3))


def test_a_csv_in_an_unreadable_encoding_gets_one_clear_message(apps):
    content = "发货单号,顾客编号\n".encode("utf-16")
    response = _upload(apps, content)
    assert_problem(response, 422, "file")
    (message,) = response.get_json()["errors"]["file"]
    assert "UTF-8" in message and "GB18030" in message
