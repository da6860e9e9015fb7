# stackwise: the two commands a new user runs are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck fuzz bench clean docs

$(BIN)/stackwise: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,mcp]'
	touch $(BIN)/stackwise

install: $(BIN)/stackwise

demo: install
	@echo "--- stackwise check examples/shop (a small FastAPI app with blocking mistakes) ---"
	-$(BIN)/stackwise check examples/shop --no-cache

test: install
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy --strict src/stackwise

fuzz: install
	STACKWISE_FUZZ_EXAMPLES=100000 $(BIN)/python -m pytest -q -p no:cacheprovider tests/reliability/test_fuzz.py

docs: install
	$(BIN)/python -m stackwise.rules.docs docs/rules

clean:
	rm -rf $(VENV) .stackwise_cache build dist src/*.egg-info
