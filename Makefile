# Smart315 — the commands the README gives. Everything installs into .venv from pyproject.toml.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# make test-fast: pytest-xdist workers (the machines have 2 cores; each worker has its own SQLite files,
# Redis dbs and ports). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
# make run and the demo are development: default secrets are accepted only there (SMART315_ENV).
export SMART315_ENV ?= development

.PHONY: install run run-sim test test-fast test-python test-js test-e2e-js lint bench eval browser charts clean demo check-miniapp-release sync-miniapps

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## make run: migrate, load demo data once, serve at http://$(HOST):$(PORT) on the embedded default (SQLite)
run: install
	$(BIN)/smart315 db upgrade
	$(BIN)/smart315 demo-data --if-empty
	@echo "Smart315 on http://$(HOST):$(PORT)  (demo accounts: admin / admin-pass-315, mediator / mediator-pass-315)"
	$(BIN)/smart315 serve --bind $(HOST):$(PORT)

## make run-sim: make run with WeChat and Alipay pointed at the local simulators (`smart315 simulators`,
## started here and stopped with the server). SMS stays with the console provider (codes in the server log);
## SIM_FLAGS="--sms --llm" sends SMS and the assistant to their simulators too. Development mode only.
SIM_ENV := instance/simulators.env
SIM_FLAGS ?=
run-sim: install
	$(BIN)/smart315 db upgrade
	$(BIN)/smart315 demo-data --if-empty
	@rm -f $(SIM_ENV)
	@$(BIN)/smart315 simulators --env-file $(SIM_ENV) $(SIM_FLAGS) & sims=$$!; \
	  trap 'kill $$sims 2>/dev/null' EXIT INT TERM; \
	  for i in $$(seq 100); do [ -s $(SIM_ENV) ] && break; kill -0 $$sims 2>/dev/null || exit 1; sleep 0.1; done; \
	  set -a; . ./$(SIM_ENV); set +a; \
	  echo "Smart315 on http://$(HOST):$(PORT) with the simulators (WeChat/Alipay sign-in: any code starting ok-)"; \
	  $(BIN)/smart315 serve --bind $(HOST):$(PORT)

## make test: the whole suite (Python on SQLite by default; set TEST_DATABASE_URL / TEST_REDIS_URL for PostgreSQL / Redis)
test: install browser test-js test-python

## make test-fast: the Python suite without the browser and the slow fault/load/fuzz tests (SQLite by default),
## in $(TEST_WORKERS) parallel workers; make test runs everything (docs/benchmarks.md "Test lanes")
test-fast: install
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal -m "not browser and not slow" $(PYTEST_ARGS)

test-python: install
	$(BIN)/pytest $(PYTEST_ARGS)

## make test-js: the shared mini-program code is in sync with miniapp-shared/, then both apps' unit tests
## (the WeChat app's include screenshots of every page: test-artifacts/miniapp-screenshots/, needs chromium)
test-js: browser
	node scripts/sync-miniapps.js --check
	@for d in miniprogram alipay_miniapp; do \
	  if [ -f $$d/package.json ]; then \
	    (cd $$d && npm ci --no-audit --no-fund --loglevel=error && npm test --silent) || exit 1; \
	  fi; \
	done

## make sync-miniapps: regenerate both mini-programs' shared code, templates and styles from miniapp-shared/
sync-miniapps:
	node scripts/sync-miniapps.js

## make check-miniapp-release: refuse to package a mini-program release pointing at http, loopback or touristappid
check-miniapp-release:
	node scripts/check-miniapp-release.js

## Debian's chromium for the browser tests and the mini-program screenshots (the Playwright download does not
## work offline), a Chinese font so the screenshots show characters rather than boxes, and Lighthouse (npm,
## tests/web/lighthouse) for its audit of the home page
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium (sudo apt-get install chromium) for the browser tests"; exit 1; fi; }
	@fc-list :lang=zh 2>/dev/null | grep -q . || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }; \
	  else echo "Install a Chinese font (sudo apt-get install fonts-wqy-microhei) for the mini-program screenshots"; fi; }
	cd tests/web/lighthouse && npm ci --no-audit --no-fund --loglevel=error

## make charts: rebuild the custom ECharts bundle (web/charts/entry.js: only the series and components the
## pages draw) into server/web/static/vendor/echarts.custom.min.js; the built file is committed
charts:
	cd web/charts && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent

lint: install
	$(BIN)/ruff check server tests bench eval

bench: install
	bash bench/run_all.sh

eval: install
	$(BIN)/python eval/run.py

clean:
	rm -rf $(VENV) instance .pytest_cache
