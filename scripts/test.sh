#!/usr/bin/env bash
# The project's test command (README, CI): installs what the tests need (scripts/setup-test-deps.sh), then every
# unit and end-to-end test, then each libFuzzer target for ZOO_FUZZ_SECONDS (default 60) seconds after replaying
# its kept crash inputs (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test-deps.sh
swift test
bash scripts/fuzz.sh all "${ZOO_FUZZ_SECONDS:-60}"
