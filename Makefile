# Quick start: `make run` (install, migrate, start the bot) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck check messages bench bench-broadcast bench-export bench-roster bench-burst bench-scale clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/chibo run

# Tests run in TEST_WORKERS processes (pytest-xdist): most of a test's time is waiting on the
# fake Telegram server and the database, so three share two cores well. TEST_WORKERS=0: one
# process. Tests marked `processes` run one at a time (tests/conftest.py).
TEST_WORKERS ?= 3
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy bot handlers storage

check: lint typecheck test

# Re-extract msgids from the code and merge them into both catalogs.
messages: install
	$(BIN)/pybabel extract --no-location --omit-header --width 100 -k _ -k N_ -k plural:1,2 -o locales/messages.pot bot handlers storage
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --width 100 -i locales/messages.pot -d locales -D messages

bench: install
	$(BIN)/python -m bench.updates

bench-broadcast: install
	$(BIN)/python -m bench.broadcast

bench-export: install
	$(BIN)/python -m bench.export

bench-roster: install
	$(BIN)/python -m bench.roster_read

# BENCH_ARGS e.g. "--members 300" or "--database-url postgresql+asyncpg://... --instances 2"
bench-burst: install
	$(BIN)/python -m bench.burst $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# SIZES=3000,30000 DATABASE_URL=postgresql+asyncpg://... (its public schema is recreated)
bench-scale: install
	$(BIN)/python -m bench.scale $(if $(SIZES),--sizes $(SIZES)) $(if $(DATABASE_URL),--database-url $(DATABASE_URL)) $(ARGS)
