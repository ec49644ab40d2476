"""The event catalogue, docs/EVENTS.md: written from the marshmallow schemas (shared/core/event_types.py,
the envelope of shared/core/events.py) and the sentence and example of each type (shared/core/catalogue.py).

    python -m ops event-catalogue            # (make docs) writes docs/EVENTS.md
    python -m ops event-catalogue --check    # exit 1 when the file is out of date

tests/unit/test_docs.py fails when the file and the schemas disagree, when a type has no example,
or when an example is not valid.
"""
from __future__ import annotations

import json
from decimal import Decimal

from marshmallow import Schema, fields, missing, validate

from shared.core.catalogue import TYPES, example_envelope, publishers, subscribers
from shared.core.event_types import REGISTRY
from shared.core.events import CONSUMED_TYPES, INTERNAL_TYPES, EnvelopeSchema
from shared.core.settings import ROOT

#: Where the catalogue is written (relative to the project folder).
CATALOGUE_PATH = ROOT / "docs" / "EVENTS.md"


# -- describing a schema ---------------------------------------------------------------------------

def _type_of(field: fields.Field) -> str:
    if isinstance(field, fields.Nested):
        return "object"
    if isinstance(field, fields.List):
        return f"list of {_type_of(field.inner)}s"
    if isinstance(field, fields.AwareDateTime):
        return "datetime with offset"
    if isinstance(field, fields.DateTime):
        return "datetime"
    if isinstance(field, fields.Date):
        return "date"
    if isinstance(field, fields.Decimal):
        return "decimal string"
    if isinstance(field, fields.Integer):
        return "integer"
    if isinstance(field, fields.Boolean):
        return "boolean"
    if isinstance(field, fields.Dict):
        return "object"
    return "string"


def _limits(field: fields.Field) -> list[str]:
    out = []
    for v in field.validators:
        if isinstance(v, validate.OneOf):
            out.append("one of " + ", ".join(f"`{c}`" for c in v.choices))
        elif isinstance(v, validate.Length):
            if v.equal is not None:
                out.append(f"exactly {v.equal} characters")
            elif v.min and v.max:
                out.append(f"{v.min}–{v.max} characters")
            elif v.max:
                out.append(f"at most {v.max} characters")
            elif v.min:
                out.append(f"at least {v.min} characters")
        elif isinstance(v, validate.Range):
            if v.min is not None:
                out.append(f"≥ {v.min}" if v.min_inclusive else f"> {v.min}")
            if v.max is not None:
                out.append(f"≤ {v.max}" if v.max_inclusive else f"< {v.max}")
        elif isinstance(v, validate.Regexp):
            out.append(f"matches `{v.regex.pattern}`")
        elif isinstance(v, validate.Equal):
            out.append(f"`{v.comparable}`")
        else:  # a validator the catalogue cannot describe yet: say so rather than drop it
            out.append(type(v).__name__)
    if isinstance(field, fields.Decimal) and field.places is not None:
        out.append(f"{-Decimal(field.places).as_tuple().exponent} decimal places")
    if isinstance(field, fields.List):
        inner = _limits(field.inner)
        if inner:
            out.append("each " + ", ".join(inner))
    if field.allow_none:
        out.append("may be null")
    return out


def _default(field: fields.Field) -> str:
    value = field.load_default
    if value is missing or value is None:
        return ""
    if callable(value):
        value = value()
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def field_rows(schema: Schema, prefix: str = "") -> list[tuple[str, str, str, str, str]]:
    """Gives (field, type, required, default, limits) of each field of `schema`, nested ones dotted."""
    rows = []
    for name, field in schema.fields.items():
        dotted = f"{prefix}{field.data_key or name}"
        rows.append((f"`{dotted}`", _type_of(field), "required" if field.required else "optional",
                     _default(field), "; ".join(_limits(field))))
        if isinstance(field, fields.Nested):
            rows.extend(field_rows(field.schema, prefix=f"{dotted}."))
    return rows


def _table(rows) -> list[str]:
    lines = ["| field | type | required | default | limits |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def _services(names: list[str]) -> str:
    return ", ".join(names) if names else "—"


def _senders(event_type: str) -> list[str]:
    """Gives who sends `event_type`: other systems (consumed types), the publishing services,
    and for an internal type published by no manifest, every service (`user.updated`: make user)."""
    senders = (["other systems"] if event_type in CONSUMED_TYPES else []) + publishers(event_type)
    if not senders and event_type in INTERNAL_TYPES:
        senders = ["every service"]
    return senders


def _type_section(event_type: str) -> list[str]:
    schema = REGISTRY[event_type]()
    doc = TYPES[event_type]
    sent_by = _senders(event_type)
    lines = [f"### `{event_type}`", "", doc.summary, "",
             f"Sent by: {_services(sent_by)}. Received by: {_services(subscribers(event_type))}. "
             f"Data schema: `{type(schema).__name__}`.", ""]
    lines += _table(field_rows(schema))
    lines += ["", "```json", json.dumps(example_envelope(event_type), ensure_ascii=False, indent=2), "```", ""]
    return lines


def _envelope_rows() -> list[tuple[str, str, str, str, str]]:
    rows = field_rows(EnvelopeSchema())
    # The list of every type is the rest of this file; the row says so instead of repeating it.
    return [(name, kind, required, default, "one of the types below" if name == "`type`" else limits)
            for name, kind, required, default, limits in rows]


def render() -> str:
    """Gives the text of docs/EVENTS.md for the schemas as they are now.

    Raises:
      KeyError: a type of REGISTRY has no entry in `TYPES` (add its sentence and example).
    """
    missing_docs = [t for t in REGISTRY if t not in TYPES]
    if missing_docs:
        raise KeyError(f"event types without a summary and example in shared/core/catalogue.py TYPES: {missing_docs}")
    consumed = [t for t in REGISTRY if t in CONSUMED_TYPES]
    produced = [t for t in REGISTRY if t not in CONSUMED_TYPES and t not in INTERNAL_TYPES]
    internal = [t for t in REGISTRY if t in INTERNAL_TYPES]
    lines = [
        "# Event catalogue",
        "",
        "<!-- Written by `make docs` (python -m ops event-catalogue) from the marshmallow",
        "     schemas in shared/core/event_types.py: do not edit by hand. tests/unit/test_docs.py fails when this",
        "     file and the schemas disagree. -->",
        "",
        "Every event is a [CloudEvents 1.0](https://github.com/cloudevents/spec) JSON envelope. Send one",
        "with `POST /api/v1/events` on any service (`202` when accepted, `422` naming each bad field), or put",
        "it on the broker's `events` queue for the actor `publish` ([CONTRACT.md](CONTRACT.md) \"Events\").",
        "The same (`source`, `id`) delivered twice has the effect of one delivery. The OpenAPI document of",
        "each service (`/api/v1/openapi.json`, browsable at `/api/v1/docs`) types the body of",
        "`POST /api/v1/events` as one schema per type, selected by `type`.",
        "",
        "Dates are `YYYY-MM-DD`; datetimes are ISO 8601 with an offset (`2026-01-31T10:00:00+08:00`);",
        "decimals are strings (`\"3200000.00\"`; a JSON number is accepted too). Fields not listed are",
        "kept and ignored, so a sender may add its own; the events Huifang produces carry more fields",
        "than listed here, but only the listed ones are promised.",
        "",
        "## The envelope",
        "",
        *_table(_envelope_rows()),
        "",
        "## Types at a glance",
        "",
        "| type | sent by | received by |",
        "|---|---|---|",
    ]
    for event_type in (*consumed, *produced, *internal):
        sent_by = _senders(event_type)
        lines.append(f"| [`{event_type}`](#{event_type.replace('.', '')}) | {_services(sent_by)} "
                     f"| {_services(subscribers(event_type))} |")
    lines += ["", "## Types other systems send", "",
              "An ERP, a hotline system or a web form sends these; Huifang's own services may send some too.", ""]
    for event_type in consumed:
        lines += _type_section(event_type)
    lines += ["## Types Huifang produces", "",
              "Huifang's services send these (source `huifang://<service>`); an organisation's webhooks",
              "receive them. From outside, only the integration token may post them.", ""]
    for event_type in produced:
        lines += _type_section(event_type)
    lines += ["## Internal types", "",
              "These stay between Huifang's own services: `POST /api/v1/events` refuses them (even with the",
              "integration token) and webhooks never receive them (they carry password hashes).", ""]
    for event_type in internal:
        lines += _type_section(event_type)
    return "\n".join(lines).rstrip("\n") + "\n"


def write(path=CATALOGUE_PATH) -> bool:
    """Writes the catalogue; gives whether the file changed."""
    text = render()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
