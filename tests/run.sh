#!/usr/bin/env bash
# Runs every test of cordgate: the one command behind the README and .ci/run.
#
#   tests/run.sh [--quick] [--keep]
#
# Stages: Debian packages, clang-format check, sanitizer build (build-test/),
# unit tests, a throwaway PostgreSQL, migrations (twice), command-line checks,
# two cordgate instances behind a private nginx, integration tests, then the
# fuzz, interop, browser, readme, deployment, reliability, failover and bench
# stages when their scripts exist, and a graceful-shutdown check. Exits
# non-zero when any stage fails.
#
#   --quick   skip the fuzz stage
#   --keep    leave the servers running at the end and print how to reach and
#             stop them (for debugging the integration tests)
#
# Environment: CORDGATE_FUZZ_SECONDS (default 30; 0 skips the stage) is the
# time fuzz/run.sh gives each fuzz target.
# Run as root on a fresh Debian 12 machine (CI does); as another user it works
# when the packages are already installed.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=lib/common.sh
source "$ROOT/tests/lib/common.sh"
# shellcheck source=lib/pg.sh
source "$ROOT/tests/lib/pg.sh"
# shellcheck source=lib/nginx.sh
source "$ROOT/tests/lib/nginx.sh"
# shellcheck source=lib/cordgate.sh
source "$ROOT/tests/lib/cordgate.sh"

QUICK=0
KEEP=0
for arg in "$@"; do
    case $arg in
    --quick) QUICK=1 ;;
    --keep) KEEP=1 ;;
    *) help_or_exit "${BASH_SOURCE[0]}" "$arg" ;;
    esac
done

FUZZ_SECONDS=${CORDGATE_FUZZ_SECONDS:-30}
if ! [[ "$FUZZ_SECONDS" =~ ^[0-9]+$ ]]; then
    die "CORDGATE_FUZZ_SECONDS must be a whole number of seconds"
fi

# A developer's own CORDGATE_* settings must not leak into the servers and
# tests started here; keep only the knobs meant for this script.
clear_cordgate_env CORDGATE_FUZZ_SECONDS CORDGATE_LOG_LEVEL

# Everything the build, the tests and the servers need (DESIGN §3, §8).
PACKAGES=(build-essential cmake pkg-config libfcgi-dev libfcgi-bin
    libjson-c-dev libssl-dev libpq-dev libcriterion-dev libcurl4-openssl-dev
    postgresql nginx lighttpd spawn-fcgi curl clang libclang-rt-14-dev
    clang-format valgrind unicode-data groff-base
    apache2 libapache2-mod-fcgid multiwatch pgbouncer jq systemd socat wrk
    chromium)

# Node, for the interop, browser, reliability, failover and README stages:
# Debian's nodejs and npm (Node 18 in Debian 12) when there is no node at
# all. A node from elsewhere is left alone, as Debian's npm would conflict
# with it.
if ! command -v node >/dev/null; then
    PACKAGES+=(nodejs npm)
elif ! command -v npm >/dev/null; then
    PACKAGES+=(npm)
fi

BUILD=$ROOT/build-test
BIN=$BUILD/cordgate
NPROC=$(nproc)

# ------------------------------------------------------------ bookkeeping

RESULTS=()      # one "status  name  (time)" line per stage
FAILED_STAGES=()
CURRENT=        # the set-up step under way, named when it aborts the run
STEP_T0=0
WORK=           # the temp dir holding the database, sockets and logs
KEEP_READY=0    # set once the servers are up: --keep applies from then on
SERVERS=0       # set once servers start: from then on a failure shows logs
SHOW_LOGS=0
MAIN_PID=
DOWN_PID=

record() {
    local status=$1 name=$2 secs=$3
    RESULTS+=("$(printf '%-7s %-34s %4ss' "$status" "$name" "$secs")")
    if [[ "$status" == FAILED ]]; then
        FAILED_STAGES+=("$name")
    fi
}

# step NAME: a set-up step. Its commands run in this shell under `set -e`,
# so a failure ends the run (the EXIT trap cleans up and shows the logs).
step() {
    CURRENT=$1
    STEP_T0=$SECONDS
    section "$1"
}

# check NAME COMMAND...: a test stage. It runs in a subshell under `set -e`
# (inside a function called from `if`, bash would ignore `set -e`); its
# failure is recorded and the run goes on to the next stage.
check() {
    local name=$1 t0=$SECONDS rc
    shift
    section "$name"
    set +e
    (
        set -e
        "$@"
    )
    rc=$?
    set -e
    if ((rc == 0)); then
        record ok "$name" $((SECONDS - t0))
    else
        err "stage '$name' failed (exit $rc)"
        record FAILED "$name" $((SECONDS - t0))
        SHOW_LOGS=$SERVERS
    fi
}

# script_stage NAME CAP SCRIPT: a test stage that is a script of its own,
# run with bash under a hard cap of CAP seconds; none when SCRIPT (a path
# below ROOT) does not exist.
script_stage() {
    local name=$1 cap=$2 script=$ROOT/$3
    if [[ -f "$script" ]]; then
        check "$name" timeout --kill-after=10 "$cap" bash "$script"
    fi
}

skip() {
    record skipped "$1" 0
    log "skipped: $1 ($2)"
}

summary() {
    local line
    section "summary"
    for line in "${RESULTS[@]}"; do
        printf '  %s\n' "$line" >&2
    done
    # Why, where a stage wrote it down (tests/deploy/run.sh does).
    for line in "${REASONS[@]}"; do
        printf '  why: %s\n' "$line" >&2
    done
}
REASONS=()

show_logs() {
    [[ -n "$WORK" && -d "$WORK" ]] || return 0
    local f
    for f in main.log main.out down.log down.out nginx/error.log \
        nginx/nginx.out; do
        show_tail "$WORK/$f" 40
    done
    show_tail "$WORK/pg/postgresql.log" 20
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "$CURRENT" ]]; then
        err "set-up step '$CURRENT' failed; the run stops here"
        record FAILED "$CURRENT" $((SECONDS - STEP_T0))
        SHOW_LOGS=1
    fi
    if ((rc == 0)) && ((${#FAILED_STAGES[@]} > 0)); then
        rc=1
    fi
    # The server logs, when a failure may be explained by them.
    if ((rc != 0 && SHOW_LOGS)); then
        show_logs
    fi
    if ((KEEP && KEEP_READY)); then
        keep_servers
    else
        nginx_stop
        stop_all_started
        if [[ -n "$WORK" && -d "$WORK/pg" ]]; then
            pg_stop "$WORK/pg"
        fi
        if [[ -n "$WORK" ]]; then
            if [[ -s "$WORK/reasons" ]]; then
                mapfile -t REASONS <"$WORK/reasons"
            fi
            rm -rf -- "$WORK"
        fi
    fi
    summary
    if ((rc == 0)); then
        log "all stages passed"
    else
        err "failed: ${FAILED_STAGES[*]:-interrupted}"
    fi
    exit "$rc"
}
set_traps cleanup

# keep_servers: for --keep, leave everything running and write WORK/env.sh
# (the test environment) and WORK/stop.sh (stops it all by PID).
keep_servers() {
    {
        printf '# source this file to run the integration tests by hand\n'
        local v
        for v in CORDGATE_TEST_BIN CORDGATE_TEST_URL CORDGATE_TEST_DOWN_URL \
            CORDGATE_TEST_SPARE_URL CORDGATE_TEST_SPARE_SOCKET \
            CORDGATE_TEST_DATABASE_URL CORDGATE_TEST_PID \
            CORDGATE_TEST_WORKDIR CORDGATE_TEST_APP_ID \
            CORDGATE_TEST_APP_SECRET; do
            printf 'export %s=%q\n' "$v" "${!v:-}"
        done
    } >"$WORK/env.sh"
    {
        printf '#!/usr/bin/env bash\n# Stops what tests/run.sh --keep left running.\n'
        printf 'set -euo pipefail\n'
        printf 'source %q\nsource %q\n' "$ROOT/tests/lib/common.sh" \
            "$ROOT/tests/lib/pg.sh"
        printf 'stop_pid %q 15 QUIT\n' "$NGINX_PID"
        local entry
        for entry in "${COMMON_STARTED[@]}"; do
            [[ "${entry%%:*}" == nginx ]] && continue
            printf 'stop_pid %q 20\n' "${entry#*:}"
        done
        printf 'pg_stop %q\nrm -rf -- %q\n' "$WORK/pg" "$WORK"
    } >"$WORK/stop.sh"
    chmod +x "$WORK/stop.sh"
    section "servers kept running (--keep)"
    cat >&2 <<EOF
  main   $CORDGATE_TEST_URL   (socket $WORK/main.sock, master pid $MAIN_PID)
  down   $CORDGATE_TEST_DOWN_URL   (PostgreSQL unreachable, pid $DOWN_PID)
  spare  $CORDGATE_TEST_SPARE_URL   (nothing on $WORK/spare.sock)
  PostgreSQL: $CORDGATE_TEST_DATABASE_URL
  logs:  $WORK/*.log, $WORK/nginx/error.log
  env:   source $WORK/env.sh && ctest --test-dir $BUILD -L integration
  stop:  $WORK/stop.sh
EOF
}

# ------------------------------------------------------------ stages

# The clang-format check covers every C file git knows of, including new
# files not yet added (but not ignored ones, such as the build trees).
format_check() {
    local -a files=()
    local f
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        while IFS= read -r -d '' f; do
            [[ -f "$ROOT/$f" ]] && files+=("$ROOT/$f")
        done < <(git -C "$ROOT" ls-files -z --cached --others \
            --exclude-standard -- '*.c' '*.h' | sort -zu)
    else
        while IFS= read -r -d '' f; do
            files+=("$f")
        done < <(find "$ROOT/src" "$ROOT/include" "$ROOT/tests" "$ROOT/fuzz" \
            "$ROOT/bench" -name '*.[ch]' -print0 2>/dev/null | sort -z)
    fi
    if ((${#files[@]} == 0)); then
        log "no C files to check"
        return 0
    fi
    log "clang-format: ${#files[@]} files"
    local -a bad=()
    for f in "${files[@]}"; do
        clang-format --dry-run -Werror -- "$f" >/dev/null 2>&1 || bad+=("$f")
    done
    if ((${#bad[@]} > 0)); then
        clang-format --dry-run -Werror -- "${bad[@]}" 2>&1 | head -n 60 >&2 || true
        err "${#bad[@]} files differ from .clang-format; to fix them:"
        err "  clang-format -i ${bad[*]#"$ROOT/"}"
        return 1
    fi
}

unit_tests() {
    ctest --test-dir "$BUILD" -L unit --output-on-failure -j "$NPROC" \
        --timeout 300
}

# cordgate ARGS...: the built binary, with the test database.
cordgate() {
    CORDGATE_DATABASE_URL=$PG_CONNINFO "$BIN" "$@"
}

# pg_dump_all: schema and data of the test database. Recent pg_dump
# releases add \restrict lines with a random key; they are left out so that
# two dumps of the same data compare equal.
pg_dump_all() {
    "$PG_BIN/pg_dump" -h 127.0.0.1 -p "$PG_PORT" -U postgres --no-owner \
        cordgate | grep -Ev '^\\(un)?restrict '
}

# A second `cordgate migrate` must succeed and change nothing at all.
migrate_again() {
    cordgate migrate
    pg_dump_all >"$WORK/dump-2.sql"
    diff -u "$WORK/dump-1.sql" "$WORK/dump-2.sql"
}

app_list_check() {
    local out
    out=$(cordgate app list)
    printf '%s\n' "$out"
    if [[ "$out" != *"$APP_ID"* ]]; then
        err "'cordgate app list' does not show the app $APP_ID"
        return 1
    fi
}

# Contract: --help and --version exit 0; bad configuration exits 2 with one
# line on stderr, before anything starts (DESIGN §6).
cli_checks() {
    local out rc=0
    "$BIN" --help >"$WORK/help.out" 2>&1 || rc=$?
    if ((rc != 0)); then
        cat "$WORK/help.out" >&2
        err "cordgate --help exited $rc"
        return 1
    fi
    [[ -s "$WORK/help.out" ]] || {
        err "cordgate --help printed nothing"
        return 1
    }
    "$BIN" --version || {
        err "cordgate --version failed"
        return 1
    }

    # Every way of giving a bad worker count, in the environment, a --config
    # file or --workers (before or after the command, "--opt VALUE" or
    # "--opt=VALUE"), must reach the configuration: exit 2 with one line that
    # names CORDGATE_WORKERS, not "unknown option".
    printf 'CORDGATE_WORKERS=not-a-number\n' >"$WORK/bad.conf"
    local -a how=("environment" "--config FILE serve" "serve --config FILE"
        "serve --config=FILE" "migrate --config FILE" "migrate --config=FILE"
        "serve --workers N" "serve --workers=N")
    local -a env args
    local i
    for i in "${!how[@]}"; do
        env=(CORDGATE_LISTEN="$WORK/bad.sock")
        case ${how[i]} in
        "environment")
            env+=(CORDGATE_WORKERS=not-a-number)
            args=(serve)
            ;;
        "--config FILE serve") args=(--config "$WORK/bad.conf" serve) ;;
        "serve --config FILE") args=(serve --config "$WORK/bad.conf") ;;
        "serve --config=FILE") args=(serve "--config=$WORK/bad.conf") ;;
        "migrate --config FILE") args=(migrate --config "$WORK/bad.conf") ;;
        "migrate --config=FILE") args=(migrate "--config=$WORK/bad.conf") ;;
        "serve --workers N") args=(serve --workers not-a-number) ;;
        "serve --workers=N") args=(serve --workers=not-a-number) ;;
        esac
        set +e
        env "${env[@]}" timeout 10 "$BIN" "${args[@]}" \
            >/dev/null 2>"$WORK/bad.err"
        rc=$?
        set -e
        out=$(cat "$WORK/bad.err")
        if ((rc != 2)); then
            err "bad CORDGATE_WORKERS via ${how[i]}: exit $rc, expected 2"
            printf '%s\n' "$out" >&2
            return 1
        fi
        if [[ $(wc -l <"$WORK/bad.err") -ne 1 || $out != *CORDGATE_WORKERS* ]]; then
            err "bad CORDGATE_WORKERS via ${how[i]}: expected one line naming it, got:"
            printf '%s\n' "$out" >&2
            return 1
        fi
        log "bad config via ${how[i]}: exit 2: $out"
    done
}

# start_cordgate NAME ENV...: `cordgate serve` as a background child with the
# given extra environment; its stdout/stderr go to WORK/NAME.out, and
# sanitizer reports to WORK/sanitizer.* files (the app may close stderr).
start_cordgate() {
    local name=$1
    shift
    start_bg "cordgate-$name" "$WORK/$name.out" env \
        ASAN_OPTIONS="log_path=$WORK/sanitizer-$name:detect_leaks=1" \
        UBSAN_OPTIONS="log_path=$WORK/sanitizer-$name:print_stacktrace=1" \
        CORDGATE_LISTEN="$WORK/$name.sock" \
        CORDGATE_PID_FILE="$WORK/$name.pid" \
        CORDGATE_LOG_FILE="$WORK/$name.log" \
        "$@" "$BIN" serve
}

integration_tests() {
    ctest --test-dir "$BUILD" -L integration --output-on-failure --timeout 300
}

# A hook for fuzz/run.sh (libFuzzer targets, written separately). It takes
# the seconds per target as its argument (also in CORDGATE_FUZZ_SECONDS),
# under a hard cap that leaves room for building the targets, so that a
# runaway fuzzer cannot hold CI: the whole run must stay well under 20
# minutes.
fuzz_stage() {
    local -a targets
    mapfile -t targets < <(compgen -G "$ROOT/fuzz/fuzz_*.c" || true)
    local cap=$((${#targets[@]} * FUZZ_SECONDS + 300))
    local -a cmd=(bash "$ROOT/fuzz/run.sh")
    if [[ -x "$ROOT/fuzz/run.sh" ]]; then
        cmd=("$ROOT/fuzz/run.sh") # its own #! line decides
    fi
    log "fuzz: ${#targets[@]} targets, ${FUZZ_SECONDS}s each, cap ${cap}s"
    CORDGATE_FUZZ_SECONDS=$FUZZ_SECONDS timeout --kill-after=10 "$cap" \
        "${cmd[@]}" "$FUZZ_SECONDS"
}

# A hook for tests/interop/run.sh (Node-based SDK interop tests, written
# separately). It sees the same CORDGATE_TEST_* environment as the
# integration tests, with the servers still up.
interop_stage() {
    local -a cmd=(bash "$ROOT/tests/interop/run.sh")
    if [[ -x "$ROOT/tests/interop/run.sh" ]]; then
        cmd=("$ROOT/tests/interop/run.sh")
    fi
    timeout --kill-after=10 480 "${cmd[@]}"
}

# A hook for tests/browser/run.sh: the quickstart's page in Debian's
# Chromium, with a cordgate (this build, this database) and an nginx of its
# own, on the guide's ports 5173 and 3337 when they are free. Its
# screenshots stay in WORK/browser/screenshots with --keep.
browser_stage() {
    timeout --kill-after=10 180 bash "$ROOT/tests/browser/run.sh"
}

# Contract: `cmake --install` puts the binary, the migrations, the man page
# and the deployment examples in the usual places under the prefix.
install_check() {
    local dest=$WORK/install prefix=/usr/local f
    rm -rf -- "$dest"
    DESTDIR=$dest cmake --install "$BUILD" >"$WORK/install.log"
    for f in sbin/cordgate share/cordgate/sql/001_init.sql \
        share/man/man8/cordgate.8 share/doc/cordgate/README.md \
        share/doc/cordgate/deploy/README.md; do
        if [[ ! -s "$dest$prefix/$f" ]]; then
            err "cmake --install did not install $prefix/$f"
            return 1
        fi
    done
    if compgen -G "$dest$prefix/share/doc/cordgate/deploy/quickstart*" >/dev/null; then
        err "the quickstart (a source-tree tool) was installed"
        return 1
    fi
    "$dest$prefix/sbin/cordgate" --version
    # The man page renders without a warning.
    if command -v groff >/dev/null; then
        groff -man -Tutf8 -ww -z "$dest$prefix/share/man/man8/cordgate.8"
    fi
    log "installed: $(cd "$dest$prefix" && find . -type f | wc -l) files"
}

# Contract: CORDGATE_LOG_FILE=syslog sends one line per request to syslog,
# with no token in it. There is no syslog daemon here: in a private mount
# namespace, /dev is a fresh tmpfs (with null, zero, random and urandom from
# the real one) whose /dev/log is a socat listener; the real /dev is left
# alone. Needs root (CI is).
syslog_check() {
    local out=$WORK/syslog.txt sock=$WORK/syslog.sock
    # The script in single quotes expands its variables itself.
    # shellcheck disable=SC2016
    CORDGATE_DATABASE_URL=$PG_CONNINFO BIN=$BIN WORK=$WORK OUT=$out \
        SOCK=$sock unshare --mount --propagation private bash -euo pipefail -c '
        mkdir -p "$WORK/realdev"
        mount --bind /dev "$WORK/realdev"
        mount -t tmpfs tmpfs /dev
        for n in null zero random urandom; do
            touch "/dev/$n"
            mount --bind "$WORK/realdev/$n" "/dev/$n"
        done
        socat -u UNIX-RECV:/dev/log "OPEN:$OUT,creat,append" &
        socat_pid=$!
        for _ in $(seq 50); do [[ -S /dev/log ]] && break; sleep 0.1; done
        CORDGATE_LOG_FILE=syslog CORDGATE_WORKERS=1 CORDGATE_LISTEN=$SOCK \
            ASAN_OPTIONS="log_path=$WORK/sanitizer-syslog" \
            UBSAN_OPTIONS="log_path=$WORK/sanitizer-syslog" \
            "$BIN" serve &
        pid=$!
        for _ in $(seq 100); do [[ -S $SOCK ]] && break; sleep 0.1; done
        ask() {
            env -i REQUEST_METHOD=GET REQUEST_URI="$1" \
                HTTP_AUTHORIZATION="${2:-}" cgi-fcgi -bind -connect "$SOCK" \
                </dev/null | head -n 1
        }
        ask /healthz
        ask /v1/users/x "Bearer not.a-secret-token.syslogprobe"
        kill -TERM "$pid"
        wait "$pid"
        sleep 0.2
        kill "$socat_pid"
        # socat holds /dev/null until it has exited: unmount after that.
        wait "$socat_pid" 2>/dev/null || true
        umount /dev/null /dev/zero /dev/random /dev/urandom /dev
        umount "$WORK/realdev"
    '
    tr '<' '\n' <"$out" >&2
    grep -Eq 'cordgate\[[0-9]+\]: .*req=[0-9a-f]+ GET /healthz 200 ' "$out" || {
        err "no request line for GET /healthz in syslog"
        return 1
    }
    grep -Eq 'req=[0-9a-f]+ GET /v1/users/:id 401 ' "$out" || {
        err "no request line for the 401 in syslog"
        return 1
    }
    if grep -q syslogprobe "$out"; then
        err "a bearer token reached syslog"
        return 1
    fi
}

# Contract: SIGTERM makes the master stop accepting, finish in-flight
# requests and exit 0, taking its workers with it (DESIGN §2).
shutdown_check() {
    local name pid ok=1 workers w
    for name in main down; do
        if [[ $name == main ]]; then pid=$MAIN_PID; else pid=$DOWN_PID; fi
        workers=$(child_pids "$pid" | tr '\n' ' ')
        log "SIGTERM to $name master $pid (workers: ${workers:-none})"
        stop_started "cordgate-$name" 20
        if ((STOP_KILLED)); then
            err "$name: still running 20s after SIGTERM"
            ok=0
        elif ((STOP_STATUS != 0)); then
            err "$name: exit status $STOP_STATUS after SIGTERM, expected 0"
            ok=0
        fi
        sleep 0.5
        for w in $workers; do
            if pid_alive "$w"; then
                err "$name: worker $w outlived its master"
                ok=0
            fi
        done
    done
    ((ok))
}

sanitizer_check() {
    local -a reports
    mapfile -t reports < <(compgen -G "$WORK/sanitizer-*" || true)
    local f found=0
    for f in "${reports[@]}"; do
        err "sanitizer report: $f"
        cat -- "$f" >&2
        found=1
    done
    for f in "$WORK/main.out" "$WORK/down.out"; do
        if grep -Eq 'Sanitizer|runtime error:' "$f" 2>/dev/null; then
            err "sanitizer output in $f"
            grep -E -A20 'Sanitizer|runtime error:' "$f" >&2
            found=1
        fi
    done
    ((!found))
}

# ------------------------------------------------------------ the run

step "packages"
ensure_packages "${PACKAGES[@]}"
CURRENT=

check "format" format_check

step "build (sanitizers, build-test/)"
cmake -S "$ROOT" -B "$BUILD" -DCORDGATE_SANITIZE=ON -DCORDGATE_TESTS=ON
cmake --build "$BUILD" -j "$NPROC"
[[ -x "$BIN" ]] || die "the build produced no $BIN"
CURRENT=

check "unit tests" unit_tests

step "throwaway PostgreSQL"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cordgate-test.XXXXXX")
# Unix socket paths are limited to 107 bytes.
if ((${#WORK} > 60)); then
    rm -rf -- "$WORK"
    WORK=$(mktemp -d /tmp/cordgate-test.XXXXXX)
fi
# mktemp makes it 0700; PostgreSQL runs as `postgres` and must reach WORK/pg.
chmod 0755 "$WORK"
log "work dir: $WORK"
pg_start_throwaway "$WORK/pg" >/dev/null
log "database: $PG_CONNINFO"
CURRENT=

check "command line" cli_checks
check "cmake --install" install_check

step "migrations"
cordgate migrate
pg_dump_all >"$WORK/dump-1.sql"
CURRENT=
check "migrate is idempotent" migrate_again

step "test app"
APP_OUT=$(cordgate app create --name cordgate-tests)
H='[0-9a-fA-F]'
UUID_RE="$H{8}-$H{4}-$H{4}-$H{4}-$H{12}"
APP_RE="^CORDGATE_APP_ID=($UUID_RE)"$'\n'"CORDGATE_APP_SECRET=($H{64})\$"
if ! [[ "$APP_OUT" =~ $APP_RE ]]; then
    err "'cordgate app create' must print exactly two lines,"
    err "CORDGATE_APP_ID=<uuid> and CORDGATE_APP_SECRET=<64 hex digits>;"
    die "it printed $(wc -l <<<"$APP_OUT") lines"
fi
APP_ID=${BASH_REMATCH[1]}
APP_SECRET=${BASH_REMATCH[2]}
log "app $APP_ID"
CURRENT=
check "app list" app_list_check

step "servers"
SERVERS=1
start_cordgate main CORDGATE_DATABASE_URL="$PG_CONNINFO" CORDGATE_WORKERS=4 \
    CORDGATE_TEST_TOKENS=1 CORDGATE_TEST_APP_ID="$APP_ID"
MAIN_PID=$LAST_PID
# A closed port: the app must answer 503 quickly, never hang (DESIGN §2).
free_port DOWN_DB_PORT
DOWN_DB="host=127.0.0.1 port=$DOWN_DB_PORT dbname=x connect_timeout=2"
start_cordgate down CORDGATE_DATABASE_URL="$DOWN_DB" \
    CORDGATE_WORKERS=2 CORDGATE_REQUEST_TIMEOUT=2
DOWN_PID=$LAST_PID
wait_for_socket "$WORK/main.sock" 30 "$MAIN_PID"
wait_for_socket "$WORK/down.sock" 30 "$DOWN_PID"

free_port MAIN_PORT
free_port DOWN_PORT
free_port SPARE_PORT
nginx_conf_begin "$WORK/nginx"
nginx_conf_server "$MAIN_PORT" "unix:$WORK/main.sock"
nginx_conf_server "$DOWN_PORT" "unix:$WORK/down.sock"
nginx_conf_server "$SPARE_PORT" "unix:$WORK/spare.sock" stream
nginx_conf_end
nginx_start "$WORK/nginx"

MAIN_URL=http://127.0.0.1:$MAIN_PORT
DOWN_URL=http://127.0.0.1:$DOWN_PORT
SPARE_URL=http://127.0.0.1:$SPARE_PORT
wait_http_200 "$MAIN_URL/healthz" 60 "$MAIN_PID" "$NGINX_PID"
wait_http "$DOWN_URL/healthz" 503 30 "$DOWN_PID" "$NGINX_PID"
wait_http "$SPARE_URL/healthz" any 10 "$NGINX_PID"

# The master writes its own pid; it should be the process we started.
read -r PID_FROM_FILE <"$WORK/main.pid" || true
if [[ "${PID_FROM_FILE:-}" != "$MAIN_PID" ]]; then
    warn "main.pid says '${PID_FROM_FILE:-}', but the master we started is $MAIN_PID"
fi
CURRENT=

export CORDGATE_TEST_BIN=$BIN
export CORDGATE_TEST_URL=$MAIN_URL
export CORDGATE_TEST_DOWN_URL=$DOWN_URL
export CORDGATE_TEST_SPARE_URL=$SPARE_URL
export CORDGATE_TEST_SPARE_SOCKET=$WORK/spare.sock
export CORDGATE_TEST_DATABASE_URL=$PG_CONNINFO
export CORDGATE_TEST_PID=$MAIN_PID
export CORDGATE_TEST_WORKDIR=$WORK
export CORDGATE_TEST_APP_ID=$APP_ID
export CORDGATE_TEST_APP_SECRET=$APP_SECRET
KEEP_READY=1

check "integration tests" integration_tests

# ---- more stages: each runs when its script exists -------------------------

# Fuzzing (fuzz/run.sh): skipped by --quick.
if [[ -f "$ROOT/fuzz/run.sh" ]]; then
    if ((QUICK)); then
        skip "fuzz" "--quick"
    elif ((FUZZ_SECONDS == 0)); then
        skip "fuzz" "CORDGATE_FUZZ_SECONDS=0"
    else
        check "fuzz" fuzz_stage
    fi
fi

# Interop with the official Node SDK (tests/interop/run.sh).
if [[ -f "$ROOT/tests/interop/run.sh" ]]; then
    check "interop" interop_stage
fi

# The quickstart's page in a browser (tests/browser/run.sh).
if [[ -f "$ROOT/tests/browser/run.sh" ]]; then
    check "browser" browser_stage
fi

# The newcomer's path (tests/readme/run.sh): every sh block of README.md as
# pasted, in order, against the quickstart in a private copy of the checkout
# in a 0700 directory; then the quickstart stopped and started again from the
# shell that sourced var/dev.env.
script_stage "readme" 900 tests/readme/run.sh

# Every front end of deploy/ for real (tests/deploy/run.sh): nginx, lighttpd,
# Apache with mod_proxy_fcgi and mod_fcgid, spawn-fcgi, systemd socket
# activation, PgBouncer, each through the same smoke suite.
script_stage "deployments" 240 tests/deploy/run.sh

# Several cordgate hosts against one PostgreSQL (tests/multihost/run.sh):
# three instances behind one nginx upstream, straight and through PgBouncer;
# what one host writes the others serve, and the 10 s cache bound, measured.
script_stage "several hosts" 180 tests/multihost/run.sh

# Hostile conditions (tests/reliability/run.sh), on a stack of its own: its
# PostgreSQL stopped and frozen under load, a worker killed, slow and idle
# clients through nginx, Apache and cordgate's own TCP listener.
script_stage "reliability" 300 tests/reliability/run.sh

# The master and a worker under valgrind memcheck (tests/valgrind/run.sh),
# through every way a request arrives and leaves, a frozen database included.
script_stage "valgrind" 300 tests/valgrind/run.sh

# PostgreSQL failover (tests/failover/run.sh), on a stack of its own: a
# primary and a synchronous standby, the primary stopped under load and the
# standby promoted; cordgate's multi-host CORDGATE_DATABASE_URL follows it.
script_stage "failover" 120 tests/failover/run.sh

# A short load through nginx (bench/run.sh --quick, the sanitizer build):
# every endpoint answers 2xx under wrk, with no socket error. It judges no
# speed; bench/run.sh without --quick measures.
if [[ -f "$ROOT/bench/run.sh" ]]; then
    check "bench smoke" env \
        ASAN_OPTIONS="log_path=$WORK/sanitizer-bench:detect_leaks=1" \
        UBSAN_OPTIONS="log_path=$WORK/sanitizer-bench:print_stacktrace=1" \
        timeout --kill-after=10 240 bash "$ROOT/bench/run.sh" --quick \
        --bin "$BIN" --database-url "$PG_CONNINFO" --app-id "$APP_ID" \
        --app-secret "$APP_SECRET"
fi

# ---- end of the extra stages ------------------------------------------------

if ((KEEP)); then
    skip "graceful shutdown" "--keep"
else
    check "graceful shutdown" shutdown_check
fi
if ((EUID == 0)) && unshare --mount --propagation private true 2>/dev/null; then
    check "syslog" syslog_check
else
    skip "syslog" "needs root and mount namespaces for a private /dev/log"
fi
check "sanitizer reports" sanitizer_check
# The EXIT trap stops the rest, cleans up and prints the summary.
