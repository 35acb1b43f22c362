#!/usr/bin/env bash
# The quickstart's demo page in a real browser: Debian's Chromium, driven by
# playwright-core (pinned in package-lock.json; it downloads no browser),
# against a cordgate of its own behind an nginx rendered from the
# quickstart's templates (deploy/quickstart/nginx.sh), as the quickstart
# serves them: the page on http://localhost:5173, the API on
# http://localhost:3337. When either port is taken, both are free ones, and
# the page learns the API's origin from its config.js as with the
# quickstart's --port and --page-port.
#
#   tests/browser/run.sh [extra node --test arguments]
#
# Needs, as tests/run.sh exports them:
#   CORDGATE_TEST_BIN           the cordgate binary
#   CORDGATE_TEST_DATABASE_URL  libpq conninfo of a migrated database
#   CORDGATE_TEST_WORKDIR       (optional) where its files go, in browser/;
#                               without it, a new temp dir that is kept
# It creates an app of its own, so that the group's members are exactly the
# users the test loaded. Installs Debian's chromium, and nodejs and npm when
# there is no node, then the pinned packages with `npm ci`, and runs
# tests/browser/*.test.mjs with Node's test runner. The screenshots, one per
# test user, are the stage's artifact; it prints where they are. It stops
# everything it started (by PID) when it ends.
# shellcheck source-path=SCRIPTDIR/../..
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$HERE/../.." && pwd -P)
# shellcheck source=tests/lib/all.sh
source "$ROOT/tests/lib/all.sh"
# shellcheck source=deploy/quickstart/nginx.sh
source "$ROOT/deploy/quickstart/nginx.sh"

CHROMIUM=/usr/bin/chromium
GUIDE_PAGE_PORT=5173
GUIDE_API_PORT=3337

missing=()
for var in CORDGATE_TEST_BIN CORDGATE_TEST_DATABASE_URL; do
    if [[ -z "${!var:-}" ]]; then
        missing+=("$var")
    fi
done
if ((${#missing[@]})); then
    die "browser: not set: ${missing[*]} (tests/run.sh sets them up and" \
        "exports them)"
fi
BIN=$CORDGATE_TEST_BIN
[[ -x "$BIN" ]] || die "browser: CORDGATE_TEST_BIN=$BIN is not executable"

if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
    DIR=$CORDGATE_TEST_WORKDIR/browser
    rm -rf -- "$DIR"
    mkdir -p -- "$DIR"
else
    DIR=$(mktemp -d /tmp/cordgate-browser.XXXXXX)
fi
SHOTS=$DIR/screenshots
mkdir -p -- "$SHOTS"

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "${NODE_PID:-}" ]]; then
        stop_pid "$NODE_PID" 10
    fi
    nginx_stop
    stop_all_started
    if ((rc != 0)); then
        show_tail "$DIR/cordgate.out" 30
        show_tail "$DIR/cordgate.log" 30
        show_tail "$DIR/nginx/error.log" 20
    fi
    if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
        log "browser: screenshots in $SHOTS (tests/run.sh keeps them" \
            "with --keep)"
    else
        log "browser: screenshots in $SHOTS"
    fi
    exit "$rc"
}
set_traps cleanup

# ------------------------------------------------------------ what it needs

ensure_packages chromium
[[ -x "$CHROMIUM" ]] || die "browser: no $CHROMIUM after installing chromium"
if ! command -v node >/dev/null; then
    ensure_packages nodejs npm
fi
command -v npm >/dev/null || die "browser: node is there but npm is not"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) ||
    die "browser: Node >= 18 is needed (playwright-core); found $(node --version)"

# playwright-core downloads nothing when installed, and the variable says so
# to anything that might; node_modules is redone when the stamp of the last
# `npm ci` does not match package.json and package-lock.json.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
stamp_file=$HERE/node_modules/.cordgate-browser-stamp
want_stamp=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum)
have_stamp=$(cat "$stamp_file" 2>/dev/null || true)
if [[ ! -d "$HERE/node_modules" || "$have_stamp" != "$want_stamp" ]]; then
    log "browser: installing the pinned packages (npm ci)"
    (cd "$HERE" && npm ci --no-audit --no-fund) ||
        die "browser: npm ci failed in $HERE"
    printf '%s\n' "$want_stamp" >"$stamp_file"
fi

# ------------------------------------------------------------ the servers

cordgate_app_create "$CORDGATE_TEST_DATABASE_URL" browser-tests

SOCKET=$DIR/cordgate.sock
((${#SOCKET} <= 100)) || die "browser: $SOCKET is too long for a unix socket"

# serve PAGE_PORT API_PORT: nginx with the quickstart's configuration on
# those ports. Fails when nginx cannot start (a port taken meanwhile).
serve() {
    nginx_prepare_prefix "$DIR/nginx"
    quickstart_nginx_conf "$DIR/nginx" "127.0.0.1:$2" "unix:$SOCKET" \
        "127.0.0.1:$1" "http://localhost:$2" >"$DIR/nginx/nginx.conf"
    nginx_start "$DIR/nginx" "$DIR/nginx/nginx.conf"
}

PAGE_PORT=$GUIDE_PAGE_PORT
API_PORT=$GUIDE_API_PORT
if quickstart_port_taken "$PAGE_PORT" || quickstart_port_taken "$API_PORT" ||
    ! serve "$PAGE_PORT" "$API_PORT"; then
    free_port PAGE_PORT
    free_port API_PORT
    log "browser: $GUIDE_PAGE_PORT or $GUIDE_API_PORT is taken; the page is" \
        "on $PAGE_PORT, the API on $API_PORT"
    nginx_stop
    serve "$PAGE_PORT" "$API_PORT"
fi
PAGE_URL=http://localhost:$PAGE_PORT
API_URL=http://localhost:$API_PORT

# The token endpoint lets in the page's origin, as the quickstart has it.
start_bg cordgate "$DIR/cordgate.out" env \
    ASAN_OPTIONS="log_path=$DIR/sanitizer:detect_leaks=1" \
    UBSAN_OPTIONS="log_path=$DIR/sanitizer:print_stacktrace=1" \
    CORDGATE_DATABASE_URL="$CORDGATE_TEST_DATABASE_URL" \
    CORDGATE_LISTEN="$SOCKET" \
    CORDGATE_LOG_FILE="$DIR/cordgate.log" \
    CORDGATE_WORKERS=2 \
    CORDGATE_TEST_TOKENS=1 \
    CORDGATE_TEST_APP_ID="$APP_ID" \
    CORDGATE_CORS_ORIGIN="$PAGE_URL" \
    "$BIN" serve
CG_PID=$LAST_PID
wait_for_socket "$SOCKET" 30 "$CG_PID"
wait_http_200 "http://127.0.0.1:$API_PORT/healthz" 30 "$CG_PID" "$NGINX_PID"
wait_http_200 "http://127.0.0.1:$PAGE_PORT/" 10 "$NGINX_PID"
log "browser: page $PAGE_URL, API $API_URL, app $APP_ID"

# ------------------------------------------------------------ the browser

shopt -s nullglob
tests=("$HERE"/*.test.mjs)
shopt -u nullglob
((${#tests[@]})) || die "browser: no *.test.mjs files in $HERE"

# In the background, so that a signal reaches the trap at once.
(
    cd "$HERE"
    exec env BROWSER_PAGE_URL="$PAGE_URL" BROWSER_API_URL="$API_URL" \
        BROWSER_APP_ID="$APP_ID" BROWSER_DEMO_DIR="$ROOT/deploy/quickstart/demo" \
        BROWSER_SCREENSHOTS="$SHOTS" BROWSER_CHROMIUM="$CHROMIUM" \
        node --test --test-reporter=spec "$@" "${tests[@]}"
) &
NODE_PID=$!
rc=0
wait "$NODE_PID" || rc=$?
NODE_PID=

# cordgate stops as the other stages' do (SIGTERM: drain, exit 0), and its
# sanitizers have said nothing.
stop_started cordgate 20
if ((STOP_STATUS != 0 || STOP_KILLED)); then
    err "browser: cordgate exited $STOP_STATUS after SIGTERM"
    rc=1
fi
for f in "$DIR"/sanitizer*; do
    [[ -e "$f" ]] || continue
    err "browser: sanitizer report $f"
    cat -- "$f" >&2
    rc=1
done
exit "$rc"
