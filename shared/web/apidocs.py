"""The API reference of every service: typed events in the OpenAPI document, and a browsable page.

- `/api/v1/openapi.json` (flask-smorest, generated from the blueprints and their schemas) and
  `/api/v1/docs`, Swagger UI reading it: both open without a token (shared/web/app.py
  PUBLIC_PATHS). Swagger UI is vendored under shared/web/static/vendor/swagger-ui/ (swagger-ui-dist
  from npm, with its LICENSE): nothing is fetched from another site, not even the spec
  validator badge.
- `register_event_schemas(api)`: one component per event type's data (the marshmallow schemas
  of shared/core/event_types.py), one envelope per type, and `EventEnvelope`, their union discriminated
  by `type`: the body of `POST /api/v1/events`, with one example per type
  (shared/core/catalogue.py, the examples of docs/EVENTS.md).
- `path_parameter(...)`: the documentation, with an example, of a route's path parameter
  (`@blp.route("/<complaint_id>", parameters=[COMPLAINT_ID])`). Request bodies get theirs
  next to the route: `@blp.arguments(Schema, example={...})`.
"""
from __future__ import annotations

import re

import marshmallow
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter
from apispec.ext.marshmallow.common import resolve_schema_instance
from marshmallow import fields

from shared.core.catalogue import example_envelope, postable_types
from shared.core.event_types import REGISTRY
from shared.core.events import EnvelopeSchema

#: The browsable reference, next to the OpenAPI document.
DOCS_PATH = "/api/v1/docs"
#: Where the app's /static/ route serves the vendored Swagger UI from.
SWAGGER_UI_STATIC = "vendor/swagger-ui/"
#: The union of the envelopes `POST /api/v1/events` accepts.
EVENT_UNION = "EventEnvelope"


class _Converter(OpenAPIConverter):
    """apispec's converter, saying of every object what its marshmallow schema does with unknown
    properties: `additionalProperties: false` where it refuses them (`unknown=RAISE`, marshmallow's
    default), `true` where it keeps them (INCLUDE). apispec leaves it out of any schema whose Meta
    has a description, so schema-valid bodies with extra properties were refused with 422 while the
    document allowed them."""

    def schema2jsonschema(self, schema):
        jsonschema = super().schema2jsonschema(schema)
        instance = resolve_schema_instance(schema)
        if instance.unknown != marshmallow.EXCLUDE:
            jsonschema["additionalProperties"] = instance.unknown == marshmallow.INCLUDE
        # What a schema's own @validates_schema requires of the whole object (one of two fields,
        # at least one property), said in JSON Schema where the schema declares it: Meta.openapi.
        jsonschema.update(getattr(instance.Meta, "openapi", {}))
        return jsonschema


class _Plugin(MarshmallowPlugin):
    Converter = _Converter


def api_options() -> dict:
    """Gives the keyword arguments of every service's flask-smorest `Api` (shared/web/app.py)."""
    return {"spec_kwargs": {"marshmallow_plugin": _Plugin()}}


def app_config(service_name: str) -> dict:
    """Gives the flask-smorest settings of a service's OpenAPI document and its Swagger UI page."""
    return {
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        # Relative to /api/v1/docs, so the page works under a proxy's path prefix too (/scheduler/...).
        "OPENAPI_SWAGGER_UI_URL": "../../static/" + SWAGGER_UI_STATIC,
        # validatorUrl None: Swagger UI would otherwise send the document to validator.swagger.io.
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None, "deepLinking": True, "docExpansion": "list",
                                      "defaultModelsExpandDepth": 0, "displayRequestDuration": True},
        "API_SPEC_OPTIONS": {
            "info": {"description": _description(service_name)},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    }


def _description(service_name: str) -> str:
    return (
        f"The HTTP API of Huifang's {service_name} service.\n\n"
        "Every route under `/api/` needs `Authorization: Bearer <token>` (press *Authorize*): a user's "
        "token from `make token LOGIN=li ROLE=advisor ORG=acme-electric`, or the installation's "
        "integration token (`HUIFANG_API_TOKEN`; `make run` keeps a generated one in `var/api_token`), "
        "which names the organisation it acts for with `?organization=<slug>`.\n\n"
        "Errors are `application/problem+json` with `title`, `status`, `detail` and, for bad input, "
        "`errors` naming each field. No text may hold the NUL character (`\\u0000`): `422` naming the field "
        "or query parameter. Every timestamp the API gives is ISO 8601 with the offset of the "
        "installation's time zone (`HUIFANG_TIMEZONE`, `+08:00` for Asia/Shanghai); dates are `YYYY-MM-DD`.\n\n"
        "The event types and their fields: docs/EVENTS.md in the repository."
    )


def path_parameter(name: str, example, description: str, *, pattern: str | None = None) -> dict:
    """Gives the documentation of the path parameter `name` of a route, with an example (and the
    pattern its value must match, where the route refuses others)."""
    parameter = {"in": "path", "name": name, "required": True, "description": description, "example": example}
    if pattern is not None:
        parameter["schema"] = {"type": "string", "pattern": pattern}
    return parameter


def event_component(event_type: str) -> str:
    """Gives the OpenAPI component name of the envelope of `event_type` (`delivery.shipped` ->
    `DeliveryShippedEvent`)."""
    return "".join(part.capitalize() for part in re.split(r"[._]", event_type)) + "Event"


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def register_event_schemas(api) -> None:
    """Registers the event components of the OpenAPI document of `api` (a flask-smorest Api)."""
    # Decimal fields carry strings (contract_amount "3200000.00"), not floats.
    api.register_field(fields.Decimal, "string", "decimal")
    api.ma_plugin.converter.add_attribute_function(_decimal_as_string)
    spec = api.spec
    envelope = api.ma_plugin.converter.schema2jsonschema(EnvelopeSchema)
    data_components: dict[type, str] = {}
    mapping = {}
    for event_type in postable_types():
        data_schema = REGISTRY[event_type]
        if data_schema not in data_components:
            data_components[data_schema] = f"{data_schema.__name__}Data"
            spec.components.schema(data_components[data_schema], schema=data_schema)
        properties = dict(envelope["properties"])
        properties["type"] = {"type": "string", "enum": [event_type]}
        properties["data"] = {"$ref": _ref(data_components[data_schema])}
        name = event_component(event_type)
        spec.components.schema(name, component={
            "type": "object", "required": list(envelope.get("required", [])), "properties": properties,
            "example": example_envelope(event_type)})
        mapping[event_type] = _ref(name)
    spec.components.schema(EVENT_UNION, component={
        "description": "A CloudEvents 1.0 envelope of one of the event types (docs/EVENTS.md), selected by `type`.",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "type", "mapping": mapping}})


def _decimal_as_string(self, field, ret, **kwargs) -> dict:
    """A decimal travels as a string: its range becomes a pattern, not `x-minimum: "0"` (a
    string where the document wants a number is not valid OpenAPI)."""
    if not isinstance(field, fields.Decimal) or ret.get("type") != "string":
        return {}
    low = ret.pop("x-minimum", None)
    ret.pop("x-maximum", None)
    if "pattern" in ret:
        return {}
    negative_allowed = low is None or float(low) < 0
    return {"pattern": r"^-?\d+(\.\d+)?$" if negative_allowed else r"^\d+(\.\d+)?$"}


def event_request_body() -> dict:
    """Gives the OpenAPI requestBody of `POST /api/v1/events`: the union, one example per type."""
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": _ref(EVENT_UNION)},
        "examples": {event_type: {"summary": event_type, "value": example_envelope(event_type)}
                     for event_type in postable_types()}}}}


#: The query parameter by which the integration token names the organisation it acts for.
ORGANIZATION_PARAMETER = {
    "in": "query", "name": "organization", "required": False, "example": "acme-electric",
    "schema": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_.-]{0,63}$"},
    "description": "The organisation the integration token (`HUIFANG_API_TOKEN`) acts for: required with that "
                   "token (without it: `422` naming `organization`); a user's token acts for its own "
                   "organisation and may leave it out.",
}


def document_organization_parameter(api) -> None:
    """Adds `?organization=` to every operation of `api`'s document (but `POST /api/v1/events`,
    whose envelope names the organisation): the integration token must name it (docs/API.md "Tokens")."""
    spec = api.spec
    for path, item in spec._paths.items():
        if not path.startswith("/api/") or path == "/api/v1/events":
            continue
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(isinstance(p, dict) and p.get("name") == "organization" for p in parameters):
                parameters.append(dict(ORGANIZATION_PARAMETER))


#: The body of every error answer (RFC 9457 problem details; shared/web/app.py `problem`).
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["title", "status"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string", "example": "Unprocessable Entity"},
        "status": {"type": "integer", "example": 422},
        "detail": {"type": "string", "example": "Fix the fields named in errors and send again."},
        "errors": {"type": "object", "additionalProperties": True,
                   "description": "each bad field (dotted: data.customer.id) with its messages"},
    },
}
#: The error answers documented on every operation, by status.
PROBLEM_STATUSES = {"400": "Bad Request: the body is not JSON, or a form field is malformed",
                    "401": "Unauthorized: no token, or a bad, expired or revoked one",
                    "403": "Forbidden: the role, or the organisation, may not do this",
                    "422": "Unprocessable Entity: `errors` names each bad field",
                    "429": "Too Many Requests: try again later",
                    "503": "Service Unavailable: a dependency (database, broker, mail) is down"}
#: Documented where they can happen: a path naming a record (404), a change (409), an upload (413).
PROBLEM_404 = "Not Found: no such record in your organisation"
PROBLEM_409 = "Conflict: the record is not in a state that allows this"
PROBLEM_413 = "Payload Too Large: the body or the file is too large"


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def document_problem_responses(api) -> None:
    """Documents the problem+json answers of every /api/ operation of `api`'s document: 400, 401,
    403, 422, 429, 503 everywhere, 404 on a record's path, 409 on a change, 413 on a POST, and
    `default`; the generated `application/json` error answers are replaced (every error Huifang
    gives is `application/problem+json`, shared/web/app.py)."""
    spec = api.spec
    if "Problem" not in spec.components.schemas:
        spec.components.schema("Problem", PROBLEM_SCHEMA)
    for path, item in spec._paths.items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            wanted = dict(PROBLEM_STATUSES)
            if "{" in path:
                wanted["404"] = PROBLEM_404
            if method != "get":
                wanted["409"] = PROBLEM_409
            if method in ("post", "put", "patch"):
                wanted["413"] = PROBLEM_413
            for status, description in wanted.items():
                existing = responses.get(status)
                if isinstance(existing, dict) and "$ref" not in existing and existing.get("description"):
                    description = existing["description"]  # what the route says of it, e.g. which field
                responses[status] = _problem(description)
            for status, existing in list(responses.items()):
                if status.startswith(("4", "5")) and status not in wanted:
                    described = existing.get("description") if isinstance(existing, dict) else None
                    responses[status] = _problem(described or status)
            responses["default"] = _problem("Any other error, as problem+json")
