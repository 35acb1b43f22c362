#!/usr/bin/env bash
# cordgate's master and a worker under valgrind memcheck, through every way a
# request arrives and leaves: a plain request, kept connections, slow, idle
# and half-record connections and their read deadline (408 or close), a 413
# whose body is cut off and one whose body is drained, a frozen PostgreSQL
# (the deadline, the circuit) and its return, then SIGTERM.
#
#   tests/valgrind/run.sh
#
# Builds build-plain/ (RelWithDebInfo, no sanitizer), starts its own
# throwaway PostgreSQL and cordgate (one worker) on a unix socket, runs
# tests/valgrind/client.mjs, and fails on any memcheck error or on memory
# definitely or indirectly lost, in either process, or on an unexpected
# answer. Stops only what it started.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../lib/common.sh
source "$ROOT/tests/lib/common.sh"
# shellcheck source=../lib/pg.sh
source "$ROOT/tests/lib/pg.sh"

if [[ "${1:-}" == -h || "${1:-}" == --help ]]; then
    header_usage "${BASH_SOURCE[0]}"
    exit 0
fi

BUILD=$ROOT/build-plain
W=$(mktemp -d /tmp/cordgate-valgrind.XXXXXX)
chmod 0755 "$W"
CG_PID=
FROZEN=

cleanup() {
    local rc=$?
    set +e
    if [[ -n "$FROZEN" ]]; then
        # shellcheck disable=SC2086
        kill -CONT $FROZEN 2>/dev/null
    fi
    if [[ -n "$CG_PID" ]] && pid_alive "$CG_PID"; then
        stop_pid "$CG_PID" 30
    fi
    pg_stop "$W/pg" >/dev/null 2>&1
    if ((rc != 0)); then
        show_tail "$W/cordgate.log" 30
        show_tail "$W/cordgate.out" 30
    fi
    rm -rf -- "$W"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

section "valgrind: build"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target cordgate >/dev/null

section "valgrind: cordgate under memcheck"
pg_start_throwaway "$W/pg" >/dev/null
CORDGATE_DATABASE_URL=$PG_CONNINFO "$BUILD/cordgate" migrate >/dev/null
# Every report goes to a log file per process; -q leaves them empty when
# there is nothing to report.
start_bg cordgate-valgrind "$W/cordgate.out" env \
    CORDGATE_DATABASE_URL="$PG_CONNINFO" CORDGATE_WORKERS=1 \
    CORDGATE_READ_TIMEOUT=1s CORDGATE_REQUEST_TIMEOUT=1s \
    CORDGATE_MAX_BODY=2048 CORDGATE_LISTEN="$W/cg.sock" \
    CORDGATE_LOG_FILE="$W/cordgate.log" \
    valgrind -q --trace-children=yes --leak-check=full \
    --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect \
    --log-file="$W/memcheck.%p.log" "$BUILD/cordgate" serve
CG_PID=$LAST_PID
wait_for_socket "$W/cg.sock" 120 "$CG_PID"
# The worker is up once it answers.
for _ in $(seq 100); do
    env -i REQUEST_METHOD=GET REQUEST_URI=/healthz \
        cgi-fcgi -bind -connect "$W/cg.sock" </dev/null 2>/dev/null |
        grep -q '"ok"' && break
    sleep 0.2
done

node "$ROOT/tests/valgrind/client.mjs" "$W/cg.sock" normal

# Frozen: the postmaster and its children stop; the first request waits out
# its deadline and opens the circuit, the next fail at once.
read -r pm <"$W/pg/data/postmaster.pid"
FROZEN="$pm $(child_pids "$pm" | tr '\n' ' ')"
# shellcheck disable=SC2086
kill -STOP $FROZEN
node "$ROOT/tests/valgrind/client.mjs" "$W/cg.sock" frozen
# shellcheck disable=SC2086
kill -CONT $FROZEN
FROZEN=
sleep 1
node "$ROOT/tests/valgrind/client.mjs" "$W/cg.sock" resumed

stop_started cordgate-valgrind 60
CG_PID=
if ((STOP_STATUS != 0)); then
    err "cordgate under valgrind exited $STOP_STATUS after SIGTERM"
    exit 1
fi
bad=0
for f in "$W"/memcheck.*.log; do
    if [[ -s "$f" ]]; then
        err "memcheck: $(basename "$f")"
        cat -- "$f" >&2
        bad=1
    fi
done
n=$(compgen -G "$W/memcheck.*.log" | wc -l)
if ((n < 2)); then
    err "memcheck wrote $n logs; expected the master's and a worker's"
    exit 1
fi
((bad == 0)) || exit 1
log "memcheck: $n processes, 0 errors, nothing definitely or indirectly lost"
