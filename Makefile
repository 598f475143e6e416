PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's declared dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/newsdesk

test: $(STAMP)
	$(BIN)/python -m pytest -q

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP)
	$(BIN)/python benchmarks/refresh.py

clean:
	rm -rf $(VENV) build *.egg-info
