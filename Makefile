# The two commands a newcomer needs: `make demo` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# loadgroup: the Spark tests share one xdist worker, so one Java process at a time.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml requirements.lock scripts/bootstrap.sh
	./scripts/bootstrap.sh
	touch $@

demo: $(STAMP)
	$(BIN)/tactful demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	. scripts/test-postgres.sh && $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/decision_latency.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
