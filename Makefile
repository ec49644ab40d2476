# Huifang: `make run` starts everything, `make test` proves it. Both set themselves up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# The project runs from its folder: no install step, so an edit is live at once.
export PYTHONPATH := $(CURDIR)
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: setup system-deps run run-scheduler run-complaints run-reporting test test-sqlite test-postgres \
        token user import-users translations bench rebuild-reporting lock clean

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

token: $(STAMP)
	@$(PY) -m shared.devtools token --login "$(LOGIN)" --role "$(ROLE)" --org "$(ORG)"

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

# Extract the pages' strings, update shared/translations/*/messages.po, compile the .mo files.
translations: $(STAMP)
	@$(PY) -m shared.devtools translations

bench: setup
	@$(PY) bench/mesh.py

rebuild-reporting: setup
	@$(PY) -m services.reporting.rebuild

lock:
	@$(BIN)/pip freeze --exclude-editable | grep -v '^huifang' > requirements.lock

clean:
	rm -rf var .pytest_cache
