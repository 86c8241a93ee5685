# sixcore — the two commands that matter are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export SIXCORE_HOME ?= $(CURDIR)/var
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
ECHARTS := sixcore/static/vendor/echarts/echarts.min.js
MO      := sixcore/locale/zh_Hant/LC_MESSAGES/django.mo

.PHONY: run test test-sqlite test-postgres install assets messages makemessages lint bench clean

## Install, migrate, load the program and serve it on http://127.0.0.1:8000 (with the background task
## worker that makes PDF reports; both stop together)
run: install assets messages
	$(BIN)/sixcore migrate --noinput
	$(BIN)/sixcore plan load
	$(BIN)/sixcore collectstatic --noinput -v0
	$(BIN)/sixcore db_worker -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/sixcore runserver 127.0.0.1:8000

## Install and pass every check and the whole suite (SQLite, then PostgreSQL when reachable or required)
test: install assets messages lint test-sqlite test-postgres

install: $(BIN)/.installed
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

# ECharts comes from the npm registry (package-lock.json) and is served as a static file: no CDN.
assets: $(ECHARTS)
$(ECHARTS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(dir $@)
	cp node_modules/echarts/dist/echarts.min.js $@

messages: $(MO)
$(MO): sixcore/locale/zh_Hant/LC_MESSAGES/django.po
	cd sixcore && ../$(BIN)/sixcore compilemessages -l zh_Hant -v0

## Refresh django.po from the code; then translate every new or fuzzy entry (tests/test_ui_terms.py fails on fuzzy)
makemessages: install
	cd sixcore && ../$(BIN)/sixcore makemessages -l zh_Hant --no-obsolete --add-location file --ignore '*/tests/*'

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sixcore check --fail-level WARNING
	$(BIN)/sixcore makemigrations --check --dry-run -v0

test-sqlite: install
	DATABASE_URL= $(BIN)/pytest

# PostgreSQL runs whenever it answers; with SIXCORE_REQUIRE_POSTGRES=1 (CI) a missing server is a failure.
test-postgres: install
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest; \
	elif [ -n "$$SIXCORE_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required but not reachable on 127.0.0.1:5432" >&2; exit 1; \
	else \
		echo "PostgreSQL not reachable on 127.0.0.1:5432: suite ran on SQLite only"; \
	fi

## Benchmarks (not part of `make test`): bench/run_all.py runs every bench/ script with --json, measures
## each one's peak RSS and rewrites the generated table of docs/PERFORMANCE.md (the rest is kept).
## `make bench BENCH_ARGS="--quick"` for a smoke test, BENCH_ARGS="--only web" for one benchmark.
## PostgreSQL ones use throw-away databases named bench_*; the web ones need wrk (Debian package).
BENCH_PG ?= postgres://postgres@127.0.0.1:5432/bench_sixcore
BENCH_ARGS ?=
bench: install assets messages
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -q wrk || \
		echo "wrk is not installed (apt-get install wrk): the web benchmarks will fail and say so" >&2
	$(BIN)/python bench/run_all.py --database-url $(BENCH_PG) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules sixcore/static/vendor $(MO)
