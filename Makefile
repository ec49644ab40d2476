# Huifang: `make run` starts everything, `make test` proves it. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# The project runs from its folder: no install step, so an edit is live at once.
export PYTHONPATH := $(CURDIR)
DEPLOYABLE := scheduler complaints reporting
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup system-deps run run-scheduler run-complaints run-reporting test test-sqlite test-postgres \
        test-unit test-integration test-pages \
        token integration-token integration-tokens revoke-integration-token revoke-tokens erase-customer user import-users translations bench rebuild-reporting replan-provisional lock clean org demo docs tour-screenshots \
        $(addprefix deploy-,$(DEPLOYABLE)) $(addprefix undeploy-,$(DEPLOYABLE)) proxy-config backup restore \
        status dead-letters replay logs scale-test soak soak-memory fuzz

setup: $(STAMP) system-deps

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || { echo "huifang: creating virtualenv in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "huifang: installing pinned dependencies (requirements.lock)"
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock 2> $(VENV)/pip.log \
	  || { grep -v '^WARNING: Location' $(VENV)/pip.log; exit 1; }
	@rm -f $(VENV)/.installed-*; touch $@

system-deps: $(STAMP)
	@$(PY) -m ops system-deps

run: setup
	@$(PY) -m ops run

run-scheduler: setup
	@$(PY) -m ops run scheduler

run-complaints: setup
	@$(PY) -m ops run complaints

run-reporting: setup
	@$(PY) -m ops run reporting

# The suite on SQLite, then once more on PostgreSQL (a throwaway server unless
# HUIFANG_TEST_POSTGRES_URL answers).
test: setup test-sqlite test-postgres

test-sqlite: setup
	@echo "huifang: test suite on SQLite"
	@HUIFANG_TEST_DB=sqlite $(PY) -m pytest -q tests; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

test-postgres: setup
	@echo "huifang: test suite on PostgreSQL"
	@HUIFANG_TEST_DB=postgres $(PY) -m ops with-postgres -- $(PY) -m pytest -q tests; \
	  rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

# One layer of the suite on SQLite: the domain and the HTTP surface in-process (unit), the
# services with Redis, databases and worker processes (integration), a real browser (pages).
test-unit: setup
	@echo "huifang: unit tests on SQLite"
	@HUIFANG_TEST_DB=sqlite $(PY) -m pytest -q tests/unit; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

test-integration: setup
	@echo "huifang: integration tests on SQLite"
	@HUIFANG_TEST_DB=sqlite $(PY) -m pytest -q tests/integration; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

test-pages: setup
	@echo "huifang: page tests on SQLite"
	@HUIFANG_TEST_DB=sqlite $(PY) -m pytest -q tests/pages; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

# A user's bearer token; ROLE=integration prints the installation's integration token.
token: $(STAMP)
	@$(PY) -m ops token --login "$(LOGIN)" --role "$(ROLE)" --org "$(ORG)"

# A first organisation: its data folder (var/data/<ORG>/...) with commented copies of the default
# rules, and its first admin (asked for; or ADMIN=, EMAIL=, PASSWORD=). Prints what to fill in next.
org: $(STAMP)
	@$(PY) -m ops org --org "$(ORG)" --name "$(NAME)" $(if $(ADMIN),--admin "$(ADMIN)") \
	  $(if $(ADMIN_NAME),--admin-name "$(ADMIN_NAME)") $(if $(EMAIL),--email "$(EMAIL)")

# The demo organisation `demo`: one person of each role (passwords printed) and sample data.
demo: $(STAMP)
	@$(PY) -m ops demo

# docs/EVENTS.md from the event schemas (tests/unit/test_docs.py fails while it is out of date).
docs: $(STAMP)
	@$(PY) -m ops event-catalogue

# The README's tour pictures (docs/tour/*.png), taken by the browser tests of tests/pages/test_tour.py.
tour-screenshots: setup
	@HUIFANG_TOUR_SCREENSHOTS=1 $(PY) -m pytest -q tests/pages/test_tour.py

# A person who signs in to the pages; asks for the password (or takes PASSWORD=, which make puts in
# the environment, so it never shows in a command line). SERVICE= picks the database that takes it.
# Blank one customer's personal data in every service, figures kept (PIPL): ORG=, CUSTOMER=.
erase-customer: $(STAMP)
	@$(PY) -m ops erase-customer --org "$(ORG)" --customer "$(CUSTOMER)"

# An organisation's integration token (ORG=, LABEL=: what it is for), printed once; revocable by its id.
integration-token: $(STAMP)
	@$(PY) -m ops integration-token --org "$(ORG)" --label "$(LABEL)"

# An organisation's integration tokens: id, state, when issued and last used (ORG=).
integration-tokens: $(STAMP)
	@$(PY) -m ops integration-tokens --org "$(ORG)"

# Refuse one integration token on every service (ORG=, ID= as make integration-tokens lists it).
revoke-integration-token: $(STAMP)
	@$(PY) -m ops revoke-integration-token --org "$(ORG)" --id "$(ID)"

# Refuse a person's tokens and page sessions issued until now, on every service (LOGIN=, ORG=).
revoke-tokens: $(STAMP)
	@$(PY) -m ops revoke-tokens --login "$(LOGIN)" --org "$(ORG)"

user: $(STAMP)
	@$(PY) -m ops user --login "$(LOGIN)" --role "$(ROLE)" --org "$(ORG)" \
	  --name "$(NAME)" --email "$(EMAIL)" --phone "$(PHONE)" $(if $(LINES),--lines "$(LINES)") \
	  $(if $(BRANCH),--branch "$(BRANCH)") $(if $(DEPARTMENT),--department "$(DEPARTMENT)") \
	  $(if $(SERVICE),--service "$(SERVICE)")

# The people of the old data files (complaints users.yaml, scheduler agents.yaml, reporting
# recipients.yaml, and each organisation's copies) into the user directory, without passwords.
import-users: $(STAMP)
	@$(PY) -m ops import-users $(if $(SERVICE),--service "$(SERVICE)")

# Extract the pages' strings, update each catalog (shared/web/translations, services/<name>/translations), compile.
translations: $(STAMP)
	@$(PY) -m ops translations

bench: setup
	@$(PY) bench/mesh.py

# The long proofs of the guarantees (docs/GUARANTEES.md): 1,000 malformed messages dead-lettered, then
# good events handled. The short versions run in `make test`.
# SOAK_EVENTS=10000 events of the real mix on PostgreSQL, once per fault (bench/soak.py).
SOAK_EVENTS ?= 10000
SOAK_FAULTS ?= none sigkill redis-wipe twice reporting-late web-kill
soak: setup
	@$(PY) bench/malformed.py --events 1000 --good 1000
	@$(PY) -m ops with-postgres -- sh -c 'for f in $(SOAK_FAULTS); do \
	  $(PY) bench/soak.py --events $(SOAK_EVENTS) --fault $$f || exit 1; done'
	@# postgres-restart restarts the server it runs on: always a throwaway one of its own
	@HUIFANG_TEST_POSTGRES_URL= $(PY) -m ops with-postgres -- \
	  $(PY) bench/soak.py --events $(SOAK_EVENTS) --fault postgres-restart
	@HUIFANG_SOAK=1 $(PY) -m pytest -q -s tests/integration/test_mesh_rabbitmq.py tests/integration/test_soak.py

# schemathesis over the three OpenAPI documents with 100 examples per operation, on SQLite and on
# PostgreSQL (make test runs 10: tests/integration/test_api_fuzz.py).
fuzz: setup
	@HUIFANG_TEST_DB=sqlite HUIFANG_FUZZ_EXAMPLES=100 $(PY) -m pytest -q tests/integration/test_api_fuzz.py
	@HUIFANG_TEST_DB=postgres HUIFANG_FUZZ_EXAMPLES=100 $(PY) -m ops with-postgres -- \
	  $(PY) -m pytest -q tests/integration/test_api_fuzz.py

# 100,000 events on SQLite: each worker's RSS after the first 10,000 and its peak (within 20%).
soak-memory: setup
	@HUIFANG_TEST_POSTGRES_URL= $(PY) bench/soak.py --events 100000 --rss-after 10000 --rss-every 10000

rebuild-reporting: setup
	@$(PY) -m services.reporting.cli rebuild

# Re-plan open callbacks and complaint deadlines planned on provisional days of a year the official
# calendar has published since (the daily jobs do the same); EVERY_YEAR=1: every provisional callback.
replan-provisional: setup
	@$(PY) -m services.scheduler.cli replan-provisional $(if $(EVERY_YEAR),--every-year)
	@$(PY) -m services.complaints.cli replan-provisional

# What runs (docs/PRODUCTION.md "Monitoring"): each service's health, queue depths, dead letters, outbox backlog.
status: $(STAMP)
	@$(PY) -m ops status $(if $(SERVICE),--service "$(SERVICE)")

# The dead messages of SERVICE's queues with why they died.
dead-letters: $(STAMP)
	@$(PY) -m ops dead-letters --service "$(SERVICE)"

# Sends dead messages of SERVICE back after a fix: ID=<id> or ALL=1; each once, recorded with
# who did it (REPLAYED_BY, else $$USER) in the service's dead_letter_log.
replay: $(STAMP)
	@$(PY) -m ops replay --service "$(SERVICE)" $(if $(ID),--id "$(ID)") \
	  $(if $(filter 1 yes true,$(ALL)),--all)

# Follows a deployed service's JSON logs (journalctl); says what it would run where there are none.
logs: $(STAMP)
	@$(PY) -m ops logs --service "$(SERVICE)"

# The scale tests at full size: 10,000 events through two workers of one service, on Redis and on
# RabbitMQ (the default suite runs them with 1,000). DB=postgres (default) or sqlite.
scale-test: setup
	@HUIFANG_SCALE_EVENTS=$(or $(EVENTS),10000) HUIFANG_TEST_DB=$(or $(DB),postgres) $(PY) -m ops \
	  with-postgres -- $(PY) -m pytest -q -s tests/integration/test_scale.py

lock:
	@$(BIN)/pip freeze --exclude-editable | grep -v '^huifang' > requirements.lock

# Deletes the databases, Redis data, outbox mail and caches under var/; keeps the secret key, the
# integration token and the organisations' rule files unless ALL=1. Says what it deletes.
clean: $(STAMP)
	@$(PY) -m ops clean $(if $(filter 1 yes true,$(ALL)),--all)

# -- Production (docs/PRODUCTION.md) ------------------------------------------------------------
# One service on this Debian host: code and virtualenv under PREFIX (default /opt/huifang),
# /etc/huifang/<service>.env (every setting, 0600), the system user huifang-<service>, and the
# units huifang-<service>-web.service and huifang-<service>-worker.service, migrated, enabled and
# (re)started. DESTDIR=<folder>: only write the files there. Runs with the system's python3.
$(addprefix deploy-,$(DEPLOYABLE)): deploy-%:
	@$(PYTHON) -m ops deploy $* $(if $(PREFIX),--prefix "$(PREFIX)") $(if $(DESTDIR),--destdir "$(DESTDIR)") \
	  $(if $(PUBLIC_URL),--public-url "$(PUBLIC_URL)")

# Stops and removes one service; its data folder, environment file and user stay unless PURGE=1.
$(addprefix undeploy-,$(DEPLOYABLE)): undeploy-%:
	@$(PYTHON) -m ops undeploy $* $(if $(PREFIX),--prefix "$(PREFIX)") $(if $(DESTDIR),--destdir "$(DESTDIR)") \
	  $(if $(filter 1 yes true,$(PURGE)),--purge)

# The nginx site serving the three services under one host with TLS (deploy/nginx.conf.in):
# HOST=huifang.example [CERT=... KEY=...] [SCHEDULER=127.0.0.1:8101 ...] [HTTPS_LISTEN=443 HTTP_LISTEN=80]
# [OUT=file, default stdout].
proxy-config:
	@$(PYTHON) -m ops proxy-config --host "$(HOST)" $(if $(CERT),--cert "$(CERT)") $(if $(KEY),--key "$(KEY)") \
	  $(if $(SCHEDULER),--upstream scheduler="$(SCHEDULER)") $(if $(COMPLAINTS),--upstream complaints="$(COMPLAINTS)") \
	  $(if $(REPORTING),--upstream reporting="$(REPORTING)") $(if $(HTTP_LISTEN),--http-listen "$(HTTP_LISTEN)") \
	  $(if $(HTTPS_LISTEN),--https-listen "$(HTTPS_LISTEN)") $(if $(OUT),--out "$(OUT)")

# A consistent copy of one service's database (SQLite's online backup, or pg_dump) and its
# organisations' rule files, in a timestamped folder under DEST (default <HUIFANG_VAR_DIR>/backups;
# a deployed service's: /var/backups/huifang/<service>, root's, outside the service's writable folder).
# ENV_FILE=/etc/huifang/<service>.env reads a deployed service's settings.
backup: $(STAMP)
	@$(PY) -m ops backup "$(SERVICE)" $(if $(DEST),--dest "$(DEST)") $(if $(ENV_FILE),--env-file "$(ENV_FILE)")

# Brings a backup folder back (FROM=<folder>); refuses to overwrite a database that holds data unless FORCE=1.
# Only the service's own rule files; ORG_FILES=1 also organization.yaml and webhooks.yaml (shared by the services).
restore: $(STAMP)
	@$(PY) -m ops restore "$(SERVICE)" --from "$(FROM)" $(if $(filter 1 yes true,$(FORCE)),--force) \
	  $(if $(filter 1 yes true,$(ORG_FILES)),--organization-files) $(if $(ENV_FILE),--env-file "$(ENV_FILE)")
