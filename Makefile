# Two commands do everything on a fresh machine:
#   make demo  -> environment + upscale (x4) and double the frame rate of a generated sample, x265-encoded
#   make test  -> environment + the test suite (CPU)
.PHONY: env demo test quicktest lint bench eval

env:
	bash scripts/setup_env.sh

demo: env
	bash scripts/demo.sh

test: env
	.venv/bin/python -m pytest -q plugin_tests

quicktest: env
	.venv/bin/python -m pytest -q -m "not slow and not wheel" plugin_tests

lint: env
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: env
	.venv/bin/python -m vsstvun.bench

eval: env
	bash scripts/eval.sh
