#!/usr/bin/env bash
# Interoperability tests: real, independent clients (jsonwebtoken 9.0.2 and
# the official @cord-sdk/server 1.44.0, both pinned in package-lock.json)
# against a running cordgate.
#
#   tests/interop/run.sh [extra node --test arguments]
#
# Needs Node >= 18 (global fetch, node:test; Debian 12's nodejs is 18.20),
# npm and psql, and a running cordgate behind nginx. tests/run.sh calls this
# with the servers up and these variables exported:
#
#   CORDGATE_TEST_URL           base URL of nginx in front of cordgate
#   CORDGATE_TEST_APP_ID        an app id ...
#   CORDGATE_TEST_APP_SECRET    ... and its secret
#   CORDGATE_TEST_DATABASE_URL  libpq conninfo of the test PostgreSQL
#   CORDGATE_TEST_BIN           the cordgate binary
#
# Installs the pinned packages with `npm ci` when node_modules is missing or
# older than package.json / package-lock.json, then runs every
# tests/interop/*.test.mjs with Node's built-in test runner. Exits non-zero
# when a variable is missing or any test fails.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)

die() {
    printf 'interop: %s\n' "$*" >&2
    exit 1
}

missing=()
for var in CORDGATE_TEST_URL CORDGATE_TEST_APP_ID CORDGATE_TEST_APP_SECRET \
    CORDGATE_TEST_DATABASE_URL CORDGATE_TEST_BIN; do
    if [[ -z "${!var:-}" ]]; then
        missing+=("$var")
    fi
done
if ((${#missing[@]})); then
    die "not set: ${missing[*]} (these tests need a running cordgate;" \
        "tests/run.sh sets them up and exports them)"
fi
[[ -x "$CORDGATE_TEST_BIN" ]] ||
    die "CORDGATE_TEST_BIN=$CORDGATE_TEST_BIN is not an executable file"

for tool in node npm psql; do
    command -v "$tool" >/dev/null || die "$tool not found in PATH"
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) ||
    die "Node >= 18 is needed (global fetch, node:test); found $(node --version)"

# node_modules is stale when the stamp written after the last successful
# `npm ci` does not match the current package.json + package-lock.json.
stamp_file=$HERE/node_modules/.cordgate-interop-stamp
want_stamp=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum)
have_stamp=$(cat "$stamp_file" 2>/dev/null || true)
if [[ ! -d "$HERE/node_modules" || "$have_stamp" != "$want_stamp" ]]; then
    printf 'interop: installing the pinned packages (npm ci)\n'
    (cd "$HERE" && npm ci --no-audit --no-fund) ||
        die "npm ci failed in $HERE"
    printf '%s\n' "$want_stamp" >"$stamp_file"
fi

shopt -s nullglob
tests=("$HERE"/*.test.mjs)
shopt -u nullglob
((${#tests[@]})) || die "no *.test.mjs files in $HERE"

printf 'interop: %d test file(s) against %s\n' "${#tests[@]}" "$CORDGATE_TEST_URL"
cd "$HERE"
exec node --test --test-reporter=spec "$@" "${tests[@]}"
