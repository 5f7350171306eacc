# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DATA_DIR := /usr/share/datasets/fashion-mnist

.PHONY: run test test-fast bench data install clean

run: $(STAMP) data
	$(BIN)/fmnist-tui

# Two test processes: most tests wait on worker processes, so the two cores stay busy.
test: $(STAMP) data
	$(BIN)/python -m pytest -q -n 2

# Everything but the slow real-data tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not realdata"

bench: $(STAMP) data
	$(BIN)/python bench/run.py

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# The real Fashion-MNIST from Debian/Ubuntu's dataset-fashion-mnist package, where apt is
# available; elsewhere the app finds Keras's cache or downloads through Keras.
data:
	@if [ -f $(DATA_DIR)/train-images-idx3-ubyte.gz ]; then \
		: ; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
		echo "Installing the Fashion-MNIST data set (apt package dataset-fashion-mnist)…"; \
		($$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q dataset-fashion-mnist >/dev/null) \
		|| echo "Could not install dataset-fashion-mnist; fmnist-tui will use Keras's cache or download the data."; \
	else \
		echo "No apt-get here; fmnist-tui will use Keras's cache (~/.keras/datasets/fashion-mnist) or download the data."; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
