"""Schemathesis runs over the three services' OpenAPI documents and finds nothing.

Every check schemathesis has (`--checks all`: server errors, status codes, content types, headers and
response schemas as documented, schema-valid bodies accepted and invalid ones refused, missing
headers, unsupported methods, ignored auth ...) over every operation, in all its phases (examples,
coverage, fuzzing, stateful), positive and negative data: what `st run --checks all --mode all` does.
schemathesis' own engine (the runner of `st run`) drives it here, in the test's process. The apps
are the services' own, on the test database (SQLite or PostgreSQL), with the real Redis broker, each
served by werkzeug on a free port in a thread of the test: the engine speaks HTTP (its WSGI transport
refuses the engine's request options, and schemathesis' pytest plugin does not run on pytest 9.2).
The organisation holds the demo's sample data (ops.onboarding.sample_events, handled by each
service that subscribes to it) and its people; requests carry a manager's token.

Deterministic: a fixed seed, Hypothesis' derandomize, no example database, no schemathesis cache,
one worker, so a run is the same run every time. `HUIFANG_FUZZ_EXAMPLES` sets the examples per
operation of the fuzzing phase (default `FUZZ_EXAMPLES`; `make fuzz` runs 100 on both databases).
"""
from __future__ import annotations

import importlib
import os
import threading
from datetime import datetime

import pytest
import schemathesis
import schemathesis.engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events as engine_events
from werkzeug.serving import WSGIRequestHandler, make_server

from shared.web.auth import issue_token
from shared.core.manifest import subscribers
from ops.onboarding import sample_events
from shared.core.settings import load_settings
from shared.users.store import save_person
from testkit.databases import new_database_url
from testkit.mesh import service_env

ORG = "acme-electric"
SERVICES = ("scheduler", "complaints", "reporting")
#: Examples per operation in `make test`. The coverage phase (every boundary of every schema) is
#: the larger part of a run and does not depend on it.
FUZZ_EXAMPLES = int(os.environ.get("HUIFANG_FUZZ_EXAMPLES", "10"))
#: The seed of every run (Hypothesis derandomizes from it too).
FUZZ_SEED = 20


#: The checks that cannot apply to one operation, each with the reason: what the route refuses
#: depends on more than one field's JSON Schema can say (OpenAPI 3.0 has no if/then, no relation
#: between query parameters) or on the organisation's data. Everything else is checked everywhere.
NOT_APPLICABLE = [
    ("POST /api/v1/ledger/import", "positive_data_acceptance",
     "the file must be a readable ledger (.xlsx or CSV with its header row); a schema-valid binary is not"),
    ("GET /api/v1/policies/preview", "positive_data_acceptance",
     "either shipped_on (a delivery) or business_line with completed_on (an order): a relation between "
     "query parameters OpenAPI cannot state"),
    ("POST /api/v1/callbacks/{callback_id}/outcome", "positive_data_acceptance",
     "a dissatisfied answer needs its reason, a result records no answers, only a rescheduled call has call_at: "
     "conditions between fields (JSON Schema if/then, not in OpenAPI 3.0)"),
    ("GET /api/v1/reviews", "positive_data_acceptance",
     "whether the role reviews weeks or months is the organisation's review.yaml; the pattern takes both"),
    ("POST /api/v1/reports/{month}/send", "positive_data_acceptance",
     "`to` may name only the addresses the organisation's recipients.yaml allows"),
    ("POST /api/v1/complaints/{complaint_id}/promises", "positive_data_acceptance",
     "due_at must be later than now: a moment relative to the clock, which JSON Schema cannot say"),
    ("POST /api/v1/callbacks/{callback_id}/assign", "positive_data_acceptance",
     "the agent must be an active agent of the organisation's user directory: its data, not the schema"),
    ("POST /api/v1/agents/{login}/callbacks/reassign", "positive_data_acceptance",
     "the agent must be an active agent of the directory, another than the absent one, and the range must end "
     "after it starts: the organisation's data and a relation between fields"),
    ("POST /api/v1/callbacks/{callback_id}/questions", "positive_data_acceptance",
     "the owner must be a person of the directory, and answer_due_at later than now: the organisation's data "
     "and the clock"),
    ("POST /api/v1/corrective-actions", "positive_data_acceptance",
     "due_on must be a day from today on: relative to the clock, which JSON Schema cannot say"),
    ("POST /api/v1/corrective-actions/{action_id}/decisions", "positive_data_acceptance",
     "meeting_on must be a day already come (the meeting was held): relative to the clock, which JSON Schema "
     "cannot say"),
]


#: `POST /api/v1/events` is one route (shared/web/app.py) with one body, the union of every event type,
#: in the three documents; its coverage phase (the boundaries of ~30 event schemas) takes most of a
#: run, so it runs in this service's document only. Its fuzzing phase runs in all three.
EVENTS_COVERED_IN = "scheduler"


def fuzz_config(token: str, service: str) -> SchemathesisConfig:
    """Gives the schemathesis settings of the run, those of `st run --checks all --mode all
    --max-examples N --seed S --generation-deterministic --generation-database none`."""
    return SchemathesisConfig.from_dict({
        "seed": FUZZ_SEED,
        "headers": {"Authorization": f"Bearer {token}"},
        # allow-x00 false: no text of Huifang may hold NUL (PostgreSQL refuses it), as the documents' description
        # says; every route answers it with 422 before reading the body (shared/web/app.py `_refuse_nul`, tested in
        # tests/unit/test_openapi_conformance.py), which schemathesis would report as a valid body refused.
        "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES, "deterministic": True, "database": "none",
                       "allow-x00": False},
        "checks": {"enabled": True},
        "workers": 1,
        # nothing kept between runs (.schemathesis/): each run is the same run
        "cache": {"enabled": False},
        "operations": [*({"include-name": name, "checks": {check: {"enabled": False}}}
                         for name, check, _why in NOT_APPLICABLE),
                       *([] if service == EVENTS_COVERED_IN else
                         [{"include-name": "POST /api/v1/events", "phases": {"coverage": {"enabled": False}}}])],
    })


def findings(schema) -> list[str]:
    """Gives every failed check and every error of one schemathesis run over `schema` (the engine
    the `st run` command drives, here in-process), each with a request that reproduces it."""
    found = []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, engine_events.ScenarioFinished):
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        found.append(f"{event.label}: {check.name}: {failure.title}\n{failure.message}\n"
                                     f"{check.failure_info.code_sample}")
        elif isinstance(event, engine_events.NonFatalError):
            found.append(f"{event.label}: error: {event.value!r}")
        elif isinstance(event, engine_events.FatalError):
            found.append(f"fatal: {event.exception!r}")
        elif isinstance(event, engine_events.EngineFinished):
            found.extend(f"{f.operation}: {f.title}\n{f.message}" for f in event.failures)
    return sorted(set(found))


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # thousands of requests: the app's own log is enough
        pass


@pytest.fixture(scope="module")
def fuzzed_apps(tmp_path_factory, redis_server):
    """The three services' web apps on fresh databases of the test kind, with the organisation's
    sample data handled by every service that subscribes to it."""
    folder = tmp_path_factory.mktemp("fuzz")
    db_urls = {name: new_database_url(name, folder) for name in SERVICES}
    env = service_env(broker_url=redis_server.url, db_urls=db_urls, var_dir=folder / "var",
                      extra={"HUIFANG_RATE_HEAVY_PER_MINUTE": "100000",
                             "HUIFANG_RATE_REPORT_SENDS_PER_HOUR": "100000"})
    settings = load_settings(env)
    apps, services = {}, {}
    for name in SERVICES:
        service = importlib.import_module(f"services.{name}.service").SERVICE
        service.bind(settings, url=db_urls[name])
        service.on_commit[:] = [h for h in service.on_commit if not getattr(h, "_web_relay", False)]
        services[name] = service
        # reporting makes a reader's figures in the request (as a single-process install), not waiting
        # HUIFANG_REPORT_WAIT_SECONDS for a worker that does not run here
        apps[name] = importlib.import_module(f"services.{name}.app").create_app(
            {"TESTING": True, "HUIFANG_SETTINGS": settings, "REPORTING_GENERATE_INLINE": True})
    for service in services.values():  # the organisation's people, the manager with the address reports go to
        for login, role in (("zhao", "manager"), ("li", "agent"), ("wang", "advisor")):
            service.run(save_person, organization=ORG, login=login, role=role, email=f"{login}@acme.example")
    now = datetime.now(settings.tz)
    for event in sample_events(ORG, now=now):
        for name in subscribers(event["type"]):
            with services[name].connection():
                services[name].handle(event)
    servers = {name: make_server("127.0.0.1", 0, app, threaded=False, request_handler=QuietHandler)
               for name, app in apps.items()}
    for server in servers.values():
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield {"settings": settings, "urls": {name: f"http://127.0.0.1:{server.server_port}"
                                          for name, server in servers.items()}}
    for server in servers.values():
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("service", SERVICES)
def test_schemathesis_finds_nothing_in_the_openapi_document(fuzzed_apps, service):
    # given a manager of the organisation, and the service's own OpenAPI document
    token = issue_token(fuzzed_apps["settings"].secret_key, login="zhao", role="manager", organization=ORG)
    schema = schemathesis.openapi.from_url(fuzzed_apps["urls"][service] + "/api/v1/openapi.json",
                                           config=fuzz_config(token, service))
    # when schemathesis runs every check over every operation
    found = findings(schema)
    # then nothing is found
    assert not found, f"{len(found)} findings:\n\n" + "\n\n".join(found)
