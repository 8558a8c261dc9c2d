# Two commands do all set-up: `make baseline` and `make test`. Each creates .venv on first use.
# `make baseline` resumes or extends results/baseline; asking for fewer runs than it holds (RUNS=5
# after 500), another SEED, or runs another version of the model made, is refused unless
# OVERWRITE=1 (which replaces only escsim's files).
RUNS ?= 500
SEED ?= 1
OVERWRITE ?=
OUT ?= results/baseline

.PHONY: baseline test lint bench app bench-app
baseline:  ## the calibrated Sept-2022 baseline ensemble, its summary and plots -> results/baseline
	@py="$$(scripts/venv.sh)" && "$$(dirname $$py)/escsim" run scenarios/sept2022.toml --runs $(RUNS) --seed $(SEED) --workers 2 --out $(OUT) $(if $(OVERWRITE),--overwrite)

test:  ## the test suite (installs Debian's chromium for the browser tests when root and missing)
	@scripts/browser.sh; py="$$(scripts/venv.sh)" && "$$py" -m pytest -q

lint:
	@py="$$(scripts/venv.sh)" && "$$(dirname $$py)/ruff" check . && "$$(dirname $$py)/ruff" format --check .

bench:  ## cost of one baseline run and of one agent-step
	@py="$$(scripts/venv.sh)" && "$$py" experiments/bench_run.py

app:  ## the classroom page on http://127.0.0.1:8765/
	@py="$$(scripts/venv.sh)" && "$$(dirname $$py)/escsim" app scenarios/sept2022.toml

bench-app:  ## the classroom page's load time and the time of one day of steps, in a headless browser
	@scripts/browser.sh; py="$$(scripts/venv.sh)" && "$$py" experiments/bench_app.py
