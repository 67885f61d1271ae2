# The two set-up commands (see README.md): each installs what it needs first.

.PHONY: demo test sam-build check bench fuzz release-e2e

EVENT ?= events/enable-by-cli-iamuser.json

demo: ## run the function through cargo lambda against the emulator's demo organization
	.ci/demo $(EVENT)

test: ## the whole test suite (CI runs it, then sam-build)
	.ci/test

sam-build: ## the arm64 deploy build, as `sam build` makes it, checked (CI runs it after make test)
	.ci/sam-build

check: ## the fast loop: fmt, clippy and the unit tests
	.ci/check

bench: ## reconciliation speed and memory against the emulator
	.ci/bench

fuzz: ## intake over a million generated payloads, panics counted
	.ci/fuzz

release-e2e: ## the end-to-end tests through the release binaries, as they ship
	.ci/release-e2e
