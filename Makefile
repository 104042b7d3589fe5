# Two commands: `make run` (the demo on 127.0.0.1) and `make test` (ruff + the suite on SQLite, then PostgreSQL).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_DATABASE_URL ?= postgresql://127.0.0.1:5432/postgres
PYTEST_ARGS ?= -n 2

.PHONY: run totp test accessibility-results lint translations extract-messages clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d translations

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --width 120

run: $(STAMP) translations
	HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) bash scripts/run-demo.sh

# A demo account's current second-factor code: `make totp EMAIL=jimukyoku@example.jp`.
totp:
	@test -n "$(EMAIL)" || { echo "Usage: make totp EMAIL=jimukyoku@example.jp" >&2; exit 2; }
	@BIN=$(abspath $(BIN)) scripts/flask users totp-code "$(EMAIL)"

# Run every browser test and, when all pass, rewrite comments/accessibility_results.json, which the
# accessibility policy's results page (/accessibility/results) shows; commit the file with the change.
accessibility-results: $(STAMP) translations
	ACCESSIBILITY_RESULTS_WRITE=1 REQUIRE_BROWSER=1 $(BIN)/pytest -q -n 0 tests/browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) translations lint
	@echo "== pytest on SQLite =="
	$(BIN)/pytest $(PYTEST_ARGS)
	@echo "== pytest on PostgreSQL ($(TEST_DATABASE_URL)) =="
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_DATABASE=postgresql $(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
