"""What a newcomer reads stays true: the event catalogue (docs/EVENTS.md), the OpenAPI documents
(events typed per type, a request example on every route), the API reference at /api/v1/docs,
and the one rule of the API's timestamps.

The apps are the three services' own, on SQLite files and the stub broker (the `apps` fixture).
"""
from __future__ import annotations

import importlib
import inspect
import re
from datetime import datetime, timezone
from urllib.parse import urljoin

from marshmallow import Schema, fields

from shared.core import catalogue, catalogue_doc
from shared.web.apidocs import DOCS_PATH, EVENT_UNION, event_component
from shared.core.event_types import REGISTRY
from shared.core.events import INTERNAL_TYPES, validate_envelope
from shared.core.schemas import Timestamp
from shared.core.settings import ROOT, SERVICES
from testkit.tokens import API_TOKEN


def _resolve(spec: dict, ref: str) -> dict:
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]


# -- the event catalogue ---------------------------------------------------------------------------

def test_the_event_catalogue_in_docs_is_the_one_the_schemas_give():
    written = catalogue_doc.CATALOGUE_PATH.read_text(encoding="utf-8") if catalogue_doc.CATALOGUE_PATH.exists() else ""
    assert written == catalogue_doc.render(), (
        "docs/EVENTS.md and the event schemas (shared/core/event_types.py, the manifests) disagree: run `make docs`")


def test_every_event_type_has_a_sentence_and_an_example_the_schemas_accept():
    assert set(catalogue.TYPES) == set(REGISTRY), (
        "each event type needs a summary and an example in shared/core/catalogue.py TYPES (then `make docs`)")
    for event_type in REGISTRY:
        envelope = validate_envelope(catalogue.example_envelope(event_type))
        assert envelope["type"] == event_type


def test_the_catalogue_lists_each_type_with_its_fields_required_or_not():
    text = catalogue_doc.render()
    for event_type, schema in REGISTRY.items():
        section = text.split(f"### `{event_type}`", 1)[1].split("\n### ", 1)[0]
        for name, field in schema().fields.items():
            row = next(line for line in section.splitlines() if line.startswith(f"| `{name}` |"))
            assert ("| required |" in row) == field.required, row


def test_the_contract_and_the_catalogue_are_in_the_repository_and_the_readme_points_there():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "docs" / "CONTRACT.md").exists()
    assert "docs/EVENTS.md" in readme
    assert "../shared/CONTRACT.md" not in readme


#: The pages a reader follows from the README: the README itself, the project's own Markdown and docs/.
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]


def _anchors(page) -> set[str]:
    """Gives the anchors of `page`'s headings as GitHub makes them (code blocks left out)."""
    anchors, fenced = set(), False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_the_readme_points_to_every_page_under_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    unlinked = [p.name for p in (ROOT / "docs").glob("*.md") if f"](docs/{p.name}" not in readme]
    assert not unlinked, f"the README's \"Where to read on\" should link {unlinked}"


def test_every_link_between_the_pages_reaches_a_file_and_a_heading_that_exist():
    broken = []
    for page in PAGES:
        text = re.sub(r"(?ms)^```.*?^```", "", page.read_text(encoding="utf-8"))
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, broken


# -- the OpenAPI documents ---------------------------------------------------------------------------

def test_post_events_takes_one_schema_per_event_type_chosen_by_type(specs):
    postable = [t for t in REGISTRY if t not in INTERNAL_TYPES]
    for name, spec in specs.items():
        body = spec["paths"]["/api/v1/events"]["post"]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": f"#/components/schemas/{EVENT_UNION}"}, name
        union = spec["components"]["schemas"][EVENT_UNION]
        assert union["discriminator"]["propertyName"] == "type"
        assert sorted(union["discriminator"]["mapping"]) == sorted(postable)
        assert [alt["$ref"] for alt in union["oneOf"]] == list(union["discriminator"]["mapping"].values())
        assert "user.updated" not in union["discriminator"]["mapping"]  # internal: never posted
        for event_type in postable:
            envelope = spec["components"]["schemas"][event_component(event_type)]
            assert envelope["properties"]["type"]["enum"] == [event_type]
            data = _resolve(spec, envelope["properties"]["data"]["$ref"])
            schema = REGISTRY[event_type]()
            assert set(data["properties"]) == set(schema.fields), event_type
            assert sorted(data.get("required", [])) == sorted(n for n, f in schema.fields.items() if f.required)
        assert sorted(body["examples"]) == sorted(postable)


def test_every_example_of_the_events_route_is_accepted_by_the_route(apps, specs):
    client = apps["scheduler"].test_client()
    examples = specs["scheduler"]["paths"]["/api/v1/events"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    for event_type, example in examples.items():
        answer = client.post("/api/v1/events", json=example["value"], headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert answer.status_code == 202, (event_type, answer.get_json())


def test_every_route_documents_a_request_example(specs):
    missing = []
    for name, spec in specs.items():
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if method == "parameters":
                    continue
                parameters = item.get("parameters", []) + operation.get("parameters", [])
                for p in parameters:
                    if p["in"] == "path" and "example" not in p and "examples" not in p:
                        missing.append(f"{name} {method.upper()} {path}: path parameter {p['name']}")
                for kind, content in operation.get("requestBody", {}).get("content", {}).items():
                    if kind == "application/json" and "example" not in content and "examples" not in content:
                        missing.append(f"{name} {method.upper()} {path}: body")
    assert not missing, ("give these an example (@blp.arguments(..., example=...), "
                         "@blp.route(..., parameters=[shared.web.apidocs.path_parameter(...)])): " + "; ".join(missing))


# -- the browsable reference ---------------------------------------------------------------------------

def test_the_api_reference_is_served_without_a_token_and_fetches_nothing_from_elsewhere(apps):
    for name, app in apps.items():
        client = app.test_client()
        page = client.get(DOCS_PATH)
        assert page.status_code == 200 and page.mimetype == "text/html", name
        html = page.get_data(as_text=True)
        assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), "the page names another site"
        assert '"validatorUrl": null' in html  # Swagger UI would send the document to validator.swagger.io
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert len(assets) >= 3
        for asset in assets:  # relative to the page, so they work under a proxy's path prefix too
            answer = client.get(urljoin(DOCS_PATH, asset))
            assert answer.status_code == 200, asset
            answer.close()
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert client.get("/api/v1/callbacks").status_code in (401, 404)  # the rest still needs a token
    vendored = ROOT / "shared" / "web" / "static" / "vendor" / "swagger-ui"
    assert (vendored / "LICENSE").exists() and (vendored / "VERSION").exists()
    css = (vendored / "swagger-ui.css").read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), "the stylesheet loads something from another site"


def test_an_api_route_without_a_token_is_still_refused(apps):
    answer = apps["complaints"].test_client().get("/api/v1/complaints")
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"


# -- timestamps ------------------------------------------------------------------------------------------

def test_a_timestamp_the_api_gives_carries_the_installations_offset(apps):
    class Moment(Schema):
        at = Timestamp()

    with apps["scheduler"].app_context():
        naive_utc = Moment().dump({"at": datetime(2026, 1, 31, 2, 0)})["at"]
        aware = Moment().dump({"at": datetime(2026, 1, 31, 2, 0, tzinfo=timezone.utc)})["at"]
    assert naive_utc == aware == "2026-01-31T10:00:00+08:00"


def test_every_timestamp_field_of_the_apis_follows_the_one_rule():
    """Output datetimes use shared.core.schemas.Timestamp; inputs take AwareDateTime (an offset required)."""
    plain = []
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.schemas")
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Schema) or cls.__module__ != module.__name__:
                continue
            for field_name, field in cls._declared_fields.items():
                if isinstance(field, fields.DateTime) and not isinstance(field, (Timestamp, fields.AwareDateTime)):
                    plain.append(f"{name}.{cls_name}.{field_name}")
    assert not plain, f"use shared.core.schemas.Timestamp for: {plain}"
