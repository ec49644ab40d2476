# Huifang: `make run` starts everything, `make test` proves it. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# The project runs from its folder: no install step, so an edit is live at once.
export PYTHONPATH := $(CURDIR)
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup system-deps run run-scheduler run-complaints run-reporting test test-sqlite test-postgres \
        token user import-users translations bench soak soak-memory rebuild-reporting replan-provisional lock clean org demo docs tour-screenshots

setup: $(STAMP) system-deps

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || { echo "huifang: creating virtualenv in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "huifang: installing pinned dependencies (requirements.lock)"
	@$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock 2> $(VENV)/pip.log \
	  || { grep -v '^WARNING: Location' $(VENV)/pip.log; exit 1; }
	@rm -f $(VENV)/.installed-*; touch $@

system-deps: $(STAMP)
	@$(PY) -m shared.devtools system-deps

run: setup
	@$(PY) -m shared.devtools run

run-scheduler: setup
	@$(PY) -m shared.devtools run scheduler

run-complaints: setup
	@$(PY) -m shared.devtools run complaints

run-reporting: setup
	@$(PY) -m shared.devtools run reporting

# The suite on SQLite, then once more on PostgreSQL (a throwaway server unless
# HUIFANG_TEST_POSTGRES_URL answers).
test: setup test-sqlite test-postgres

test-sqlite: setup
	@echo "huifang: test suite on SQLite"
	@HUIFANG_TEST_DB=sqlite $(PY) -m pytest -q tests; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

test-postgres: setup
	@echo "huifang: test suite on PostgreSQL"
	@HUIFANG_TEST_DB=postgres $(PY) -m shared.devtools with-postgres -- $(PY) -m pytest -q tests; \
	  rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

# A user's bearer token; ROLE=integration prints the installation's integration token.
token: $(STAMP)
	@$(PY) -m shared.devtools token --login "$(LOGIN)" --role "$(ROLE)" --org "$(ORG)"

# A first organisation: its data folder (var/data/<ORG>/...) with commented copies of the default
# rules, and its first admin (asked for; or ADMIN=, EMAIL=, PASSWORD=). Prints what to fill in next.
org: $(STAMP)
	@$(PY) -m shared.devtools org --org "$(ORG)" --name "$(NAME)" $(if $(ADMIN),--admin "$(ADMIN)") \
	  $(if $(ADMIN_NAME),--admin-name "$(ADMIN_NAME)") $(if $(EMAIL),--email "$(EMAIL)")

# The demo organisation `demo`: one person of each role (passwords printed) and sample data.
demo: $(STAMP)
	@$(PY) -m shared.devtools demo

# docs/EVENTS.md from the event schemas (tests/unit/test_docs.py fails while it is out of date).
docs: $(STAMP)
	@$(PY) -m shared.devtools event-catalogue

# The README's tour pictures (docs/tour/*.png), taken by the browser tests of tests/pages/test_tour.py.
tour-screenshots: setup
	@HUIFANG_TOUR_SCREENSHOTS=1 $(PY) -m pytest -q tests/pages/test_tour.py

# A person who signs in to the pages; asks for the password (or takes PASSWORD=, which make puts in
# the environment, so it never shows in a command line). SERVICE= picks the database that takes it.
user: $(STAMP)
	@$(PY) -m shared.devtools user --login "$(LOGIN)" --role "$(ROLE)" --org "$(ORG)" \
	  --name "$(NAME)" --email "$(EMAIL)" --phone "$(PHONE)" $(if $(LINES),--lines "$(LINES)") \
	  $(if $(SERVICE),--service "$(SERVICE)")

# The people of the old data files (complaints users.yaml, scheduler agents.yaml, reporting
# recipients.yaml, and each organisation's copies) into the user directory, without passwords.
import-users: $(STAMP)
	@$(PY) -m shared.devtools import-users $(if $(SERVICE),--service "$(SERVICE)")

# Extract the pages' strings, update each catalog (shared/translations, services/<name>/translations), compile.
translations: $(STAMP)
	@$(PY) -m shared.devtools translations

bench: setup
	@$(PY) bench/mesh.py

# The long proofs of issue 16 (README "Guarantees"): 1,000 malformed messages dead-lettered, then
# good events handled. The short versions run in `make test`.
# SOAK_EVENTS=10000 events of the real mix on PostgreSQL, once per fault (bench/soak.py).
SOAK_EVENTS ?= 10000
SOAK_FAULTS ?= none sigkill redis-wipe twice reporting-late
soak: setup
	@$(PY) bench/malformed.py --events 1000 --good 1000
	@$(PY) -m shared.devtools with-postgres -- sh -c 'for f in $(SOAK_FAULTS); do \
	  $(PY) bench/soak.py --events $(SOAK_EVENTS) --fault $$f || exit 1; done'
	@HUIFANG_SOAK=1 $(PY) -m pytest -q -s tests/integration/test_mesh_rabbitmq.py

# 100,000 events on SQLite: each worker's RSS after the first 10,000 and its peak (within 20%).
soak-memory: setup
	@HUIFANG_TEST_POSTGRES_URL= $(PY) bench/soak.py --events 100000 --rss-after 10000

rebuild-reporting: setup
	@$(PY) -m services.reporting.rebuild

# Re-plan open callbacks and complaint deadlines planned on provisional days of a year the official
# calendar has published since (the daily jobs do the same); EVERY_YEAR=1: every provisional callback.
replan-provisional: setup
	@$(PY) -m services.scheduler.replan_provisional $(if $(EVERY_YEAR),--every-year)
	@$(PY) -m services.complaints.replan_provisional

lock:
	@$(BIN)/pip freeze --exclude-editable | grep -v '^huifang' > requirements.lock

# Deletes the databases, Redis data, outbox mail and caches under var/; keeps the secret key, the
# integration token and the organisations' rule files unless ALL=1. Says what it deletes.
clean: $(STAMP)
	@$(PY) -m shared.devtools clean $(if $(filter 1 yes true,$(ALL)),--all)
