# Mimamori Trainer: `make run` for a working app on this machine, `make test` for the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Links and QR codes printed by the demo point at the port the app really listens on.
export TRAINER_BASE_URL ?= http://127.0.0.1:$(PORT)
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test lint docs format install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# axe-core for the browser tests' accessibility checks (tests/e2e/axe.py), from the npm registry.
AXE := tests/e2e/node_modules/.installed
$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error && touch $(AXE); \
	else echo "npm がありません: ブラウザテストのアクセシビリティ検査 (axe-core) は飛ばされます"; fi

install: $(STAMP) $(AXE)

## Create/upgrade the SQLite database under instance/, load courses and the demo network (kept), serve
## with the production gunicorn settings (deploy/gunicorn.conf.py): the same log, with the tokens of
## personal, reset, invitation and projector links shown as ***; one worker, 8 threads. Beside it,
## the background worker (`trainer worker`: mail and the periodic jobs), stopped when gunicorn stops.
run: $(STAMP)
	$(BIN)/trainer init-db
	$(BIN)/trainer content load
	$(BIN)/trainer demo load
	@echo "見守りトレーナー: http://127.0.0.1:$(PORT)/  (Ctrl+C で終了)"
	$(BIN)/trainer worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers 1 --threads 8 \
		'trainer:create_app()'

## Lint, then the whole test suite on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set
## (the browser journeys once: they always run on their own SQLite file, see tests/e2e/conftest.py).
test: lint docs $(AXE)
	env -u TEST_DATABASE_URL $(BIN)/pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL ($$TEST_DATABASE_URL), without the browser journeys"; \
		$(BIN)/pytest -q --ignore=tests/e2e; \
	fi

## Style, layers (import-linter contracts in pyproject.toml), types, and unit sizes.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python scripts/check_sizes.py

## The documentation site (mkdocs.yml, docs/); --strict fails on a broken link.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir build/site

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
