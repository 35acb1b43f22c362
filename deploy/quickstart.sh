#!/usr/bin/env bash
# cordgate in one command, for development on Debian 12.
#
#   deploy/quickstart.sh [--detach] [--port N] [--page-port N]
#                                     install, build, start, serve on :3337
#                                     and the demo page on :5173
#   deploy/quickstart.sh stop         stop everything it started
#   deploy/quickstart.sh status       show what runs
#
# Run it as root or with sudo (it installs missing Debian packages); as a
# normal user it works once the packages are there. It:
#   - installs the build dependencies, PostgreSQL and nginx when missing
#     (nginx rather than lighttpd: the usual choice, and the server the
#     tests run against);
#   - builds a Release binary into build/;
#   - starts a private PostgreSQL cluster in var/pg, unless
#     CORDGATE_DATABASE_URL names a database of the user's own (then it
#     uses that one; the URL that var/dev.env holds for the private cluster,
#     in the environment after `set -a; . var/dev.env; set +a`, is not). As
#     root, when the `postgres` user cannot reach var/ (a checkout in
#     /root), the cluster lives in /var/lib/cordgate-quickstart/, in a
#     directory named for the checkout, which var/pg.path records;
#   - runs `cordgate migrate`;
#   - creates a development app once and keeps it in var/dev.env
#     (CORDGATE_URL, CORDGATE_APP_ID, CORDGATE_APP_SECRET, and the current
#     CORDGATE_DATABASE_URL; mode 0600);
#   - starts cordgate on var/run/cordgate.sock with test tokens enabled, and
#     nginx on http://127.0.0.1:3337 in front of it;
#   - serves the demo page (deploy/quickstart/demo/) from the same nginx on
#     http://localhost:5173, the origin of the getting-started guide's page,
#     which the token endpoint lets in (CORDGATE_CORS_ORIGIN). When that port
#     is taken (by the guide's own Vite page, say), it warns and goes on
#     without the page.
# --port N serves the API on N instead of 3337, --page-port N the page on N
# instead of 5173 (and the token endpoint then lets in http://localhost:N,
# unless CORDGATE_CORS_ORIGIN says otherwise); --page-port 0 serves no page.
# It stays in the foreground until Ctrl-C, which stops what it started;
# --detach returns as soon as http://127.0.0.1:3337/healthz answers 200.
# Running it again is safe: the data and the app are kept, and when
# everything already runs it says so and exits 0. Other CORDGATE_* settings
# in the environment (CORDGATE_WORKERS, CORDGATE_LOG_LEVEL, ...) reach
# cordgate unchanged.
# shellcheck source-path=SCRIPTDIR/..
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# The process and PostgreSQL helpers are shared with the test runner.
# shellcheck source=tests/lib/common.sh
source "$ROOT/tests/lib/common.sh"
# shellcheck source=tests/lib/pg.sh
source "$ROOT/tests/lib/pg.sh"
# shellcheck source=tests/lib/nginx.sh
source "$ROOT/tests/lib/nginx.sh"
# shellcheck source=deploy/quickstart/nginx.sh
source "$ROOT/deploy/quickstart/nginx.sh"

VAR=$ROOT/var
# The private cluster: var/pg, or where var/pg.path says (see the database
# step).
PG_DIR=$VAR/pg
PG_PATH_FILE=$VAR/pg.path
if [[ -s "$PG_PATH_FILE" ]]; then
    read -r PG_DIR <"$PG_PATH_FILE"
fi
RUN_DIR=$VAR/run
LOG_DIR=$VAR/log
NGINX_DIR=$VAR/nginx
SOCKET=$RUN_DIR/cordgate.sock
CORDGATE_PID=$RUN_DIR/cordgate.pid
NGINX_PIDFILE=$NGINX_DIR/nginx.pid
DEV_ENV=$VAR/dev.env
# Where private clusters go when `postgres` cannot reach the checkout.
QUICKSTART_PG_HOME=/var/lib/cordgate-quickstart
URLS_FILE=$RUN_DIR/urls # what a running quickstart serves, and from where
DB_WHERE=
BUILD=$ROOT/build
BIN=$BUILD/cordgate

usage() { header_usage "${BASH_SOURCE[0]}"; }

COMMAND=start
DETACH=0
PORT=3337
PAGE_PORT=5173
while (($# > 0)); do
    case $1 in
    start | stop | status) COMMAND=$1 ;;
    --detach | -d) DETACH=1 ;;
    --port | --page-port)
        (($# > 1)) || die "$1 needs a port number"
        set -- "$1=$2" "${@:3}"
        continue
        ;;
    --port=*) PORT=${1#*=} ;;
    --page-port=*) PAGE_PORT=${1#*=} ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
    shift
done
for port in "$PORT" "$PAGE_PORT"; do
    if ! [[ "$port" =~ ^[0-9]{1,5}$ ]] || ((10#$port > 65535)); then
        die "not a port number: $port"
    fi
done
PORT=$((10#$PORT))
PAGE_PORT=$((10#$PAGE_PORT))
((PORT != 0)) || die "--port 0: the API needs a port"
((PORT != PAGE_PORT)) || die "the API and the page cannot share port $PORT"

LISTEN=127.0.0.1:$PORT
URL=http://$LISTEN
# The page's origin is http://localhost:PAGE_PORT, as in the guide: the token
# endpoint lets in that origin only, and the page calls the API as
# http://localhost too.
PAGE_URL=
if ((PAGE_PORT)); then
    PAGE_URL=http://localhost:$PAGE_PORT
fi

# What a running quickstart serves, which `status` and a second start show
# whatever options they were given.
load_urls() {
    if [[ -f "$URLS_FILE" ]]; then
        URL=$(sed -n 's/^URL=//p' "$URLS_FILE")
        PAGE_URL=$(sed -n 's/^PAGE_URL=//p' "$URLS_FILE")
        DB_WHERE=$(sed -n 's/^DATABASE=//p' "$URLS_FILE")
    fi
}

# pg_where: the private cluster's directory as the messages name it.
pg_where() {
    if [[ "$PG_DIR" == "$VAR/pg" ]]; then
        printf 'var/pg'
    else
        printf '%s' "$PG_DIR"
    fi
}

# Who owns the checkout. Under sudo, build/ and var/dev.env go to that user,
# so that they can use them without sudo afterwards.
OWNER=$(stat -c %U -- "$ROOT")

# ------------------------------------------------------------ status / stop

cordgate_running() { pid_file_alive "$CORDGATE_PID" cordgate; }
nginx_running() { pid_file_alive "$NGINX_PIDFILE" nginx; }

print_info() {
    cat <<EOF

cordgate is running at $URL
  app credentials: $DEV_ENV
  database:        ${DB_WHERE:-see var/dev.env}
  logs:            $LOG_DIR/cordgate.log, $NGINX_DIR/error.log
  try:             curl $URL/healthz
EOF
    if [[ -n "$PAGE_URL" ]]; then
        echo "  in a browser:    $PAGE_URL (a random test user at each load)"
    fi
    echo "  stop:            deploy/quickstart.sh stop"
}

do_status() {
    local ok=0 pid port
    load_urls
    if [[ -f "$PG_DIR/data/PG_VERSION" ]]; then
        if pg_running "$PG_DIR"; then
            port=$(pg__configured_port "$PG_DIR")
            echo "PostgreSQL: running ($(pg_where), 127.0.0.1:$port)"
        else
            echo "PostgreSQL: stopped ($(pg_where))"
        fi
    elif [[ -d "$PG_DIR" && ! -r "$PG_DIR" ]]; then
        echo "PostgreSQL: $(pg_where) is not readable by $(id -un)"
    else
        echo "PostgreSQL: no private cluster ($(pg_where))"
    fi
    if cordgate_running; then
        read -r pid <"$CORDGATE_PID"
        echo "cordgate:   running (pid $pid, $SOCKET)"
    else
        echo "cordgate:   stopped"
        ok=3
    fi
    if nginx_running; then
        read -r pid <"$NGINX_PIDFILE"
        echo "nginx:      running (pid $pid, $URL${PAGE_URL:+, page $PAGE_URL})"
    else
        echo "nginx:      stopped"
        ok=3
    fi
    echo "health:     $URL/healthz -> $(http_status "$URL/healthz")"
    return "$ok"
}

do_stop() {
    local any=0
    if nginx_running; then
        any=1
    fi
    # nginx first (SIGQUIT: finish requests in flight), then cordgate
    # (SIGTERM: drain and exit), then PostgreSQL.
    stop_pid_file "$NGINX_PIDFILE" nginx 15 QUIT
    if cordgate_running; then
        any=1
    fi
    stop_pid_file "$CORDGATE_PID" cordgate 30 TERM
    rm -f -- "$URLS_FILE"
    if pg_running "$PG_DIR"; then
        any=1
        pg_stop "$PG_DIR"
    fi
    if ((any)); then
        log "stopped"
    else
        log "nothing was running"
    fi
}

# A CORDGATE_DATABASE_URL in the environment names the user's own database,
# unless it is the private cluster's URL at its last start, which
# var/dev.env holds: after `set -a; . var/dev.env; set +a` it is in the
# environment of every later run from that shell.
USER_DATABASE_URL=${CORDGATE_DATABASE_URL:-}
if [[ -n "$USER_DATABASE_URL" && -f "$PG_DIR/data/PG_VERSION" ]]; then
    OWN_PORT=$(pg__configured_port "$PG_DIR" 2>/dev/null || true)
    if [[ -n "$OWN_PORT" && "$USER_DATABASE_URL" == "$(pg_conninfo "$OWN_PORT")" ]]; then
        USER_DATABASE_URL=
    fi
fi

case $COMMAND in
status)
    do_status
    exit $?
    ;;
stop)
    do_stop
    exit 0
    ;;
esac

# ------------------------------------------------------------ start

if cordgate_running && nginx_running; then
    log "cordgate is already running"
    load_urls
    print_info
    exit 0
fi
# Half of it runs (one of the two died): stop the survivor and start afresh.
stop_pid_file "$NGINX_PIDFILE" nginx 15 QUIT
stop_pid_file "$CORDGATE_PID" cordgate 30 TERM

# What this run started, so that a failure, or Ctrl-C in the foreground,
# stops exactly that.
STARTED_PG=0
READY=0
STEP=

# step TITLE: a header, and the name of the step a failure happened in.
step() {
    STEP=$1
    section "$1"
}

# shellcheck disable=SC2317 # called by the EXIT trap
on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if ((READY && DETACH && rc == 0)); then
        return 0
    fi
    # Show the logs on failure, but not after Ctrl-C (130) or SIGTERM (143).
    if ((rc != 0 && rc != 130 && rc != 143)); then
        err "quickstart failed (step: ${STEP:-start})"
        # The logs say something only when this run started the servers.
        if ((${#COMMON_STARTED[@]} > 0)); then
            show_tail "$LOG_DIR/cordgate.log" 30
            show_tail "$LOG_DIR/cordgate.out" 30
            show_tail "$NGINX_DIR/error.log" 20
        fi
    fi
    if [[ -n "${TAIL_PID:-}" ]]; then
        kill "$TAIL_PID" 2>/dev/null
        wait "$TAIL_PID" 2>/dev/null
    fi
    if ((${#COMMON_STARTED[@]} > 0)); then
        log "stopping nginx and cordgate"
        nginx_stop
        stop_all_started
        rm -f -- "$CORDGATE_PID" "$NGINX_PIDFILE" "$URLS_FILE"
    fi
    if ((STARTED_PG)); then
        pg_stop "$PG_DIR"
    fi
    if ((READY)); then
        log "stopped"
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STEP="check $LISTEN"
if quickstart_port_taken "$PORT"; then
    die "port $PORT is already in use by another program (not started by this script)"
fi
if ((PAGE_PORT)) && quickstart_port_taken "$PAGE_PORT"; then
    warn "port $PAGE_PORT is in use (the guide's own page?): no demo page;" \
        "--page-port N serves it on another port"
    PAGE_URL=
fi

step "packages"
PACKAGES=(build-essential cmake pkg-config libfcgi-dev libjson-c-dev
    libssl-dev libpq-dev unicode-data nginx curl)
if [[ -z "$USER_DATABASE_URL" ]]; then
    PACKAGES+=(postgresql)
fi
# Installing Debian's nginx and postgresql packages also sets up their
# system-wide services (port 80, the main cluster on 5432); we use neither,
# and start private instances below.
ensure_packages "${PACKAGES[@]}"

step "build (Release, build/)"
# Keep an existing build/ usable by whoever owns it.
BUILD_AS=$OWNER
if [[ -d "$BUILD" ]]; then
    BUILD_AS=$(stat -c %U -- "$BUILD")
fi
CMAKE_ARGS=(-S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release)
# The Criterion tests need packages this script does not install; leave
# them out unless they can build (and then leave a developer's setting be).
if ! pkg-config --exists criterion libcurl 2>/dev/null; then
    CMAKE_ARGS+=(-DCORDGATE_TESTS=OFF)
fi
build() {
    if ((EUID == 0)) && [[ "$BUILD_AS" != root ]]; then
        runuser -u "$BUILD_AS" -- "$@"
    else
        "$@"
    fi
}
build cmake "${CMAKE_ARGS[@]}" >/dev/null
# Only what it serves: the Criterion tests, when they are on, are
# tests/run.sh's to build (into build-test/).
build cmake --build "$BUILD" -j "$(nproc)" --target cordgate
[[ -x "$BIN" ]] || die "the build produced no $BIN"

mkdir -p -- "$VAR" "$RUN_DIR" "$LOG_DIR" "$NGINX_DIR"

step "database"
if [[ -n "$USER_DATABASE_URL" ]]; then
    DATABASE_URL=$USER_DATABASE_URL
    DB_WHERE="CORDGATE_DATABASE_URL (your own)"
    log "using CORDGATE_DATABASE_URL"
else
    if [[ -n "${CORDGATE_DATABASE_URL:-}" ]]; then
        log "CORDGATE_DATABASE_URL is the private cluster's, from var/dev.env: starting that cluster"
    fi
    # PostgreSQL refuses to run as root: as root, the cluster belongs to the
    # `postgres` user, which must be able to reach var/. When the checkout
    # sits where it cannot (a home directory with mode 0700), the cluster
    # belongs to the checkout's owner instead; when that is root too (a
    # checkout in /root), it goes where postgres can reach it, a directory
    # of its own under QUICKSTART_PG_HOME named for the checkout, which
    # var/pg.path records. An existing cluster keeps its owner and place.
    PG_USER=$(pg_os_user "$PG_DIR")
    if ((EUID == 0)) && [[ ! -d "$PG_DIR" ]] &&
        ! pg_user_can_reach postgres "$PG_DIR"; then
        if [[ "$OWNER" != root ]] && pg_user_can_reach "$OWNER" "$PG_DIR"; then
            log "user postgres cannot reach $VAR; the cluster will run as $OWNER"
            PG_USER=$OWNER
        else
            BLOCKED=$(pg_blocking_dirs postgres "$PG_DIR" | paste -sd' ')
            PG_DIR=$QUICKSTART_PG_HOME/$(basename -- "$ROOT")-$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)
            log "user postgres cannot reach $VAR (no x permission on: $BLOCKED);"
            log "the private cluster goes to $PG_DIR instead (var/pg.path records it)"
            printf '%s\n' "$PG_DIR" >"$PG_PATH_FILE"
            PG_USER=postgres
        fi
    fi
    if ! pg_setup "$PG_DIR" "$PG_USER"; then
        err "cannot set up PostgreSQL in $PG_DIR"
        die "(or set CORDGATE_DATABASE_URL to use another database)"
    fi
    if ! pg_running "$PG_DIR"; then
        STARTED_PG=1
    fi
    pg_start "$PG_DIR"
    pg_ensure_db cordgate
    DATABASE_URL=$PG_CONNINFO
    DB_WHERE="PostgreSQL in $(pg_where)"
fi

step "migrate"
CORDGATE_DATABASE_URL=$DATABASE_URL "$BIN" migrate

step "development app"
APP_ID=
if [[ -f "$DEV_ENV" ]]; then
    APP_ID=$(sed -n 's/^CORDGATE_APP_ID=//p' "$DEV_ENV")
fi
if [[ -n "$APP_ID" ]]; then
    APPS=$(CORDGATE_DATABASE_URL=$DATABASE_URL "$BIN" app list)
    if [[ "$APPS" == *"$APP_ID"* ]]; then
        log "keeping the app in var/dev.env ($APP_ID)"
    else
        warn "var/dev.env names an app this database does not have; creating a new one"
        APP_ID=
    fi
fi
if [[ -z "$APP_ID" ]]; then
    OUT=$(CORDGATE_DATABASE_URL=$DATABASE_URL "$BIN" app create --name development)
    H='[0-9a-fA-F]'
    RE="^CORDGATE_APP_ID=($H{8}-$H{4}-$H{4}-$H{4}-$H{12})"$'\n'"CORDGATE_APP_SECRET=($H{64})\$"
    [[ "$OUT" =~ $RE ]] ||
        die "'cordgate app create' did not print the two lines" \
            "CORDGATE_APP_ID=<uuid> and CORDGATE_APP_SECRET=<64 hex digits>"
    APP_ID=${BASH_REMATCH[1]}
    # The secret is written once, to a file only its owner can read.
    (
        umask 077
        printf 'CORDGATE_URL=%s\nCORDGATE_APP_ID=%s\nCORDGATE_APP_SECRET=%s\n' \
            "$URL" "$APP_ID" "${BASH_REMATCH[2]}" >"$DEV_ENV.tmp"
    )
    if ((EUID == 0)) && [[ "$OWNER" != root ]]; then
        chown "$OWNER:" -- "$DEV_ENV.tmp"
    fi
    mv -f -- "$DEV_ENV.tmp" "$DEV_ENV"
    log "created app $APP_ID; credentials in $DEV_ENV"
fi
# The database URL can change between runs (the port is a free one), and
# the API's with --port, so both are rewritten every time; the `cordgate`
# commands read the database's after `. var/dev.env`.
(
    umask 077
    grep -Ev '^CORDGATE_(DATABASE_)?URL=' "$DEV_ENV" >"$DEV_ENV.tmp" || true
    printf "CORDGATE_URL=%s\nCORDGATE_DATABASE_URL='%s'\n" "$URL" \
        "$DATABASE_URL" >>"$DEV_ENV.tmp"
)
if ((EUID == 0)) && [[ "$OWNER" != root ]]; then
    chown "$OWNER:" -- "$DEV_ENV.tmp"
fi
mv -f -- "$DEV_ENV.tmp" "$DEV_ENV"

step "cordgate and nginx"
# A unix socket path is limited to 107 bytes; past that, TCP on loopback.
if ((${#SOCKET} > 100)); then
    CG_PORT=
    free_port CG_PORT
    CG_LISTEN=127.0.0.1:$CG_PORT
    UPSTREAM=$CG_LISTEN
    warn "$SOCKET is too long for a unix socket; cordgate listens on $CG_LISTEN"
else
    CG_LISTEN=$SOCKET
    UPSTREAM=unix:$SOCKET
    rm -f -- "$SOCKET" # left over from a crash; nothing of ours runs now
fi
# The token endpoint lets in the page's origin (cordgate's default is the
# guide's, http://localhost:5173).
CORS=()
if [[ -n "$PAGE_URL" ]]; then
    CORS=(CORDGATE_CORS_ORIGIN="${CORDGATE_CORS_ORIGIN:-$PAGE_URL}")
fi
start_bg cordgate "$LOG_DIR/cordgate.out" env "${CORS[@]}" \
    CORDGATE_DATABASE_URL="$DATABASE_URL" \
    CORDGATE_LISTEN="$CG_LISTEN" \
    CORDGATE_PID_FILE="$CORDGATE_PID" \
    CORDGATE_LOG_FILE="$LOG_DIR/cordgate.log" \
    CORDGATE_TEST_TOKENS=1 \
    CORDGATE_TEST_APP_ID="$APP_ID" \
    "$BIN" serve
CG_STARTED_PID=$LAST_PID
if [[ "$CG_LISTEN" == /* ]]; then
    wait_for_socket "$CG_LISTEN" 30 "$CG_STARTED_PID"
fi

nginx_prepare_prefix "$NGINX_DIR"
PAGE_LISTEN=
if [[ -n "$PAGE_URL" ]]; then
    PAGE_LISTEN=127.0.0.1:$PAGE_PORT
fi
quickstart_nginx_conf "$NGINX_DIR" "$LISTEN" "$UPSTREAM" "$PAGE_LISTEN" \
    "http://localhost:$PORT" >"$NGINX_DIR/nginx.conf"
nginx_start "$NGINX_DIR" "$NGINX_DIR/nginx.conf"

if ! wait_http_200 "$URL/healthz" 60 "$CG_STARTED_PID" "$NGINX_PID"; then
    die "cordgate did not become healthy at $URL/healthz"
fi
if [[ -n "$PAGE_URL" ]] &&
    ! wait_http_200 "http://$PAGE_LISTEN/" 10 "$NGINX_PID"; then
    die "nginx does not serve the demo page at http://$PAGE_LISTEN/"
fi
printf 'URL=%s\nPAGE_URL=%s\nDATABASE=%s\n' "$URL" "$PAGE_URL" "$DB_WHERE" >"$URLS_FILE"
READY=1
STEP=serving
print_info

if ((DETACH)); then
    exit 0
fi

echo "Running in the foreground; Ctrl-C stops it. (--detach to run in the background)"
echo
tail -n 0 -F -- "$LOG_DIR/cordgate.log" 2>/dev/null &
TAIL_PID=$!
while pid_alive "$CG_STARTED_PID" && pid_alive "$NGINX_PID"; do
    # `wait` on a short sleep, so that Ctrl-C is handled at once.
    sleep 1 &
    wait $! || true
done
die "cordgate or nginx exited unexpectedly; see $LOG_DIR/ and $NGINX_DIR/error.log"
