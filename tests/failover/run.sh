#!/usr/bin/env bash
# The failover stage: cordgate under load while its PostgreSQL primary dies
# and a synchronous standby is promoted in its place, with no restart of
# cordgate. On loopback only, bounded in time (about a minute; tests/run.sh
# caps it at 2).
#
#   tests/failover/run.sh [--keep-work]
#
# The stack: a primary and a streaming standby (pg_basebackup -R), the
# standby synchronous (synchronous_standby_names, synchronous_commit on);
# cordgate (CORDGATE_WORKERS=4, CORDGATE_REQUEST_TIMEOUT=2s) whose
# CORDGATE_DATABASE_URL names both, primary first:
#
#   host=127.0.0.1,127.0.0.1 port=P1,P2 ... target_session_attrs=read-write
#
# behind nginx. The run:
#   - a 20 s load at 64 connections (tests/reliability/load.mjs: new users
#     written, users read, authorize, /healthz);
#   - at 5 s the primary is stopped with `pg_ctl stop -m immediate` (its
#     processes die on the spot, as in a crash);
#   - 3 s later the standby is promoted (`pg_ctl promote`).
# Asserts: no request hangs (each answered within the request timeout +
# 1 s, no 502/504, no connection error); every failed request is a 503 whose
# body is a JSON Cord error; none failed before the primary went; requests
# succeed again, for good, within 5 s of the promotion; every write the load
# saw acknowledged is on the new primary with the email it was given, row by
# row; no worker was restarted. Then, on the new primary, a fenced node: with
# default_transaction_read_only on, writes are 503 (not 500) and succeed
# again once it is off, with no restart either.
#
# Prints the figures (requests, failed requests before and after the
# promotion, time to the first success and to steady success after it, the
# promotion's own time, lost writes) and exits non-zero when an assertion
# failed, naming each.
#
#   --keep-work   keep the work directory (logs, every request in
#                 events.ndjson)
#
# Environment (set by tests/run.sh; optional by hand):
#   CORDGATE_TEST_BIN      the cordgate binary [build-test/cordgate]
#   CORDGATE_TEST_WORKDIR  a 0755 temp dir: the stage works in its failover/
#                          subdirectory [a new /tmp dir]
# Needs root or the packages installed, and node (>= 18). Stops everything it
# started, by PID.
# shellcheck source-path=SCRIPTDIR
# Functions run from traps: not unreachable.
# shellcheck disable=SC2317
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$HERE/../.." && pwd -P)
# shellcheck source=../lib/common.sh
source "$ROOT/tests/lib/common.sh"
# shellcheck source=../lib/pg.sh
source "$ROOT/tests/lib/pg.sh"
# shellcheck source=../lib/nginx.sh
source "$ROOT/tests/lib/nginx.sh"

usage() { header_usage "${BASH_SOURCE[0]}"; }

KEEP_WORK=0
for arg in "$@"; do
    case $arg in
    --keep-work) KEEP_WORK=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
done

WORKERS=4
REQUEST_TIMEOUT_S=2
DEADLINE_MS=$(((REQUEST_TIMEOUT_S + 1) * 1000)) # every answer within this
RECOVERY_MS=5000  # from the promotion to steady 2xx
CONNECTIONS=64
LOAD_SECONDS=20
DOWN_AT=5         # seconds into the load
PROMOTE_AFTER=3   # seconds after the primary went
STANDBY_NAME=standby1

PACKAGES=(postgresql nginx jq curl)

T_START=$SECONDS
OWN_WORK=0
W=
PRIMARY=
STANDBY=
RUN_TAG=$(date +%s)

# fail TEXT: an assertion failed.
fail() {
    printf '%s\n' "$*" >>"$W/failures.txt"
    err "FAILED: $*"
}

now_ms() { date +%s%3N; }

mark() {
    printf '%s %s\n' "$1" "$(now_ms)" >>"$W/marks"
}

sleep_until() {
    local left=$(($1 - $(now_ms)))
    if ((left > 0)); then
        sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", ms / 1000 }')"
    fi
}

# psql_at PORT ARGS...: psql on a node, as the test's superuser.
psql_at() {
    local port=$1
    shift
    "$PG_BIN/psql" -XqAt -v ON_ERROR_STOP=1 \
        -d "host=127.0.0.1 port=$port dbname=cordgate user=postgres" "$@"
}

# pg_ctl_at DIR ARGS...: pg_ctl on the cluster in DIR, as its owner.
pg_ctl_at() {
    local dir=$1
    shift
    pg_as "$(pg_os_user "$dir")" "$PG_BIN/pg_ctl" -D "$dir/data" "$@"
}

# node_conf DIR TEXT: the failover settings of one node, in a file of its
# own that postgresql.conf includes (cordgate.conf is tests/lib/pg.sh's).
node_conf() {
    local dir=$1 text=$2
    pg__write "$(pg_os_user "$dir")" "$dir/data/failover.conf" <<<"$text"
}

worker_pids() {
    ps -o pid= --ppid "$1" | awk '{ print $1 }' | sort -n
}

# ------------------------------------------------------------ cleanup

cleanup() {
    local rc=$? f
    trap - EXIT INT TERM
    set +e
    if [[ -n "$W" && -d "$W" ]]; then
        nginx_stop
        stop_all_started
        for f in "$PRIMARY" "$STANDBY"; do
            [[ -n "$f" ]] && pg_stop "$f"
        done
        if ((rc != 0)); then
            for f in "$W/cordgate.log" "$W/cordgate.out" "$W/nginx/error.log" \
                "$PRIMARY/postgresql.log" "$STANDBY/postgresql.log"; do
                show_tail "$f" 15
            done
        fi
        if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
            for f in "$W"/sanitizer-*; do
                [[ -e "$f" ]] && cp -- "$f" "$CORDGATE_TEST_WORKDIR/"
            done
        fi
        if ((OWN_WORK && !KEEP_WORK)); then
            rm -rf -- "$W"
        else
            log "work directory kept: $W"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------ set-up

ensure_packages "${PACKAGES[@]}"
command -v node >/dev/null || die "node (>= 18) is needed for tests/reliability/load.mjs"

BIN=${CORDGATE_TEST_BIN:-$ROOT/build-test/cordgate}
[[ -x "$BIN" ]] || die "no cordgate binary at $BIN (build it, or set CORDGATE_TEST_BIN)"

if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
    W=$CORDGATE_TEST_WORKDIR/failover
    rm -rf -- "$W"
    install -d -m 0755 "$W"
else
    W=$(mktemp -d /tmp/cordgate-failover.XXXXXX)
    OWN_WORK=1
fi
# PostgreSQL runs as postgres and must reach its directories.
chmod 0755 "$W"
: >"$W/failures.txt"
: >"$W/marks"
log "work dir: $W"

# A developer's own CORDGATE_* settings must not reach the servers.
while IFS= read -r var; do
    case $var in
    CORDGATE_TEST_*) ;;
    *) unset "$var" ;;
    esac
done < <(compgen -e | grep '^CORDGATE_' || true)

section "failover: a primary and a synchronous standby"
PRIMARY=$W/primary
STANDBY=$W/standby
PG_FSYNC=off pg_setup "$PRIMARY"
printf "include_if_exists = 'failover.conf'\n" >>"$PRIMARY/data/postgresql.conf"
node_conf "$PRIMARY" "cluster_name = 'primary'
wal_level = replica
max_wal_senders = 4
synchronous_commit = on"
PG_FSYNC=off pg_start "$PRIMARY"
P1=$PG_PORT
pg_ensure_db cordgate
CORDGATE_DATABASE_URL=$PG_CONNINFO "$BIN" migrate >"$W/migrate.log" 2>&1 || {
    cat "$W/migrate.log" >&2
    die "cordgate migrate failed"
}
APP_OUT=$(CORDGATE_DATABASE_URL=$PG_CONNINFO "$BIN" app create --name failover)
APP_ID=$(sed -n 's/^CORDGATE_APP_ID=//p' <<<"$APP_OUT")
APP_SECRET=$(sed -n 's/^CORDGATE_APP_SECRET=//p' <<<"$APP_OUT")
[[ -n "$APP_ID" && -n "$APP_SECRET" ]] || die "cordgate app create printed no app"

# The standby: a base backup of the primary, streaming from it (-R writes
# standby.signal and primary_conninfo). Its own failover.conf names it, and
# leaves out synchronous_standby_names: once promoted it has no standby of
# its own, and a primary that waits for one would hold every commit.
PG_USER=$(pg_os_user "$PRIMARY")
if ((EUID == 0)); then
    install -d -o "$PG_USER" -g "$(id -gn "$PG_USER")" -m 0700 -- "$STANDBY"
else
    install -d -m 0700 -- "$STANDBY"
fi
log "pg_basebackup of 127.0.0.1:$P1 into $STANDBY/data"
pg_as "$PG_USER" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$P1" -U postgres \
    -D "$STANDBY/data" -R -X stream -c fast --no-sync \
    >"$STANDBY/basebackup.log" 2>&1 || {
    cat "$STANDBY/basebackup.log" >&2
    die "pg_basebackup failed"
}
node_conf "$STANDBY" "cluster_name = '$STANDBY_NAME'
hot_standby = on
synchronous_commit = on"
PG_FSYNC=off pg_start "$STANDBY"
P2=$PG_PORT

# Synchronous from now on: a commit returns once the standby has it on disk.
psql_at "$P1" -c "ALTER SYSTEM SET synchronous_standby_names = '$STANDBY_NAME'" \
    -c "SELECT pg_reload_conf()" >/dev/null
deadline=$((SECONDS + 30))
until [[ "$(psql_at "$P1" -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME'")" == sync ]]; do
    ((SECONDS < deadline)) || die "the standby did not become synchronous within 30 s"
    sleep 0.2
done
log "standby 127.0.0.1:$P2 streams synchronously from the primary 127.0.0.1:$P1"

section "failover: cordgate behind nginx"
DB_URL="host=127.0.0.1,127.0.0.1 port=$P1,$P2 dbname=cordgate user=postgres target_session_attrs=read-write"
start_bg cordgate "$W/cordgate.out" env \
    ASAN_OPTIONS="log_path=$W/sanitizer-failover:detect_leaks=1" \
    UBSAN_OPTIONS="log_path=$W/sanitizer-failover:print_stacktrace=1" \
    CORDGATE_DATABASE_URL="$DB_URL" \
    CORDGATE_WORKERS="$WORKERS" \
    CORDGATE_REQUEST_TIMEOUT="${REQUEST_TIMEOUT_S}s" \
    CORDGATE_LISTEN="$W/cordgate.sock" \
    CORDGATE_LOG_FILE="$W/cordgate.log" \
    "$BIN" serve
MAIN_PID=$LAST_PID
wait_for_socket "$W/cordgate.sock" 30 "$MAIN_PID"
free_port NGX_PORT
nginx_conf_begin "$W/nginx"
nginx_conf_server "$NGX_PORT" "unix:$W/cordgate.sock"
nginx_conf_end
nginx_start "$W/nginx"
URL=http://127.0.0.1:$NGX_PORT
wait_http_200 "$URL/healthz" 60 "$MAIN_PID" "$NGINX_PID"
mapfile -t BEFORE < <(worker_pids "$MAIN_PID")
((${#BEFORE[@]} == WORKERS)) || die "cordgate runs ${#BEFORE[@]} workers, not $WORKERS"
log "CORDGATE_DATABASE_URL=$DB_URL"
log "set-up took $((SECONDS - T_START)) s"

# ------------------------------------------------------------ the failover

section "failover: load, the primary stopped, the standby promoted"
PREFIX="fo-$RUN_TAG-"
log "load: $CONNECTIONS connections for ${LOAD_SECONDS}s; the primary goes at ${DOWN_AT}s, the standby is promoted ${PROMOTE_AFTER}s later"
T0=$(now_ms)
node "$ROOT/tests/reliability/load.mjs" --url "$URL" --app-id "$APP_ID" \
    --app-secret "$APP_SECRET" --connections "$CONNECTIONS" \
    --seconds "$LOAD_SECONDS" --timeout 10 --prefix "$PREFIX" \
    --marks "$W/marks" --judge outage --deadline-ms "$DEADLINE_MS" \
    --recovery-ms "$RECOVERY_MS" --out "$W/load" >"$W/load.out" 2>&1 &
LOAD=$!
sleep_until $((T0 + DOWN_AT * 1000))
mark down
log "pg_ctl stop -m immediate (the primary)"
pg_ctl_at "$PRIMARY" -m immediate -w -t 30 stop >/dev/null
T_DOWN=$(now_ms)
sleep_until $((T_DOWN + PROMOTE_AFTER * 1000))
# load.mjs measures recovery from `up`: the moment pg_ctl promote is run.
mark up
T_PROMOTE=$(now_ms)
pg_ctl_at "$STANDBY" -w -t 30 promote >/dev/null
PROMOTE_MS=$(($(now_ms) - T_PROMOTE))
log "pg_ctl promote returned after $PROMOTE_MS ms"
LOAD_RC=0
wait "$LOAD" || LOAD_RC=$?
cat -- "$W/load.out"
((LOAD_RC == 0)) || fail "load.mjs exited $LOAD_RC"
S=$W/load/summary.json
if [[ ! -s "$S" ]]; then
    fail "the load wrote no summary (see $W/load.out)"
else
    while IFS= read -r f; do
        fail "$f"
    done < <(jq -r '.verdict.failures[]?' "$S")
fi

[[ "$(psql_at "$P2" -c 'SELECT pg_is_in_recovery()')" == f ]] ||
    fail "the standby is still in recovery after pg_ctl promote"

# Failed requests before and after the promotion, from every request's
# record: a request failed "after" when it started after pg_ctl promote.
read -r FAILED_BEFORE FAILED_AFTER FIRST_OK_MS < <(jq -rs --argjson p "$T_PROMOTE" '
    map(select(.status < 200 or .status > 299)) as $f
    | [($f | map(select(.t < $p)) | length),
       ($f | map(select(.t >= $p)) | length),
       (map(select(.t >= $p and .status >= 200 and .status <= 299))
        | if length > 0 then (map(.t + .ms) | min) - $p | round else "-" end)]
    | @tsv' "$W/load/events.ndjson")

# Every acknowledged write, row by row, on the new primary.
jq -r '[.id, .email] | @tsv' "$W/load/acked.ndjson" | LC_ALL=C sort -u >"$W/acked.tsv"
psql_at "$P2" -F $'\t' -v app="$APP_ID" -v prefix="$PREFIX" \
    <<<"SELECT id, email FROM users WHERE app_id = :'app' AND starts_with(id, :'prefix') AND status = 'active';" |
    LC_ALL=C sort -u >"$W/stored.tsv"
ACKED=$(wc -l <"$W/acked.tsv")
LOST=$(LC_ALL=C comm -23 "$W/acked.tsv" "$W/stored.tsv" | tee "$W/lost.tsv" | wc -l)
EXTRA=$(LC_ALL=C comm -13 "$W/acked.tsv" "$W/stored.tsv" | wc -l)
log "writes: $ACKED acknowledged, $LOST of them not on the new primary; $EXTRA stored there without an acknowledgement"
((ACKED >= 2)) || fail "only $ACKED writes were acknowledged: the load did not write"
((LOST == 0)) || fail "$LOST acknowledged writes are not on the new primary, e.g. $(head -n 3 "$W/lost.tsv" | cut -f1 | paste -sd' ')"

mapfile -t AFTER < <(worker_pids "$MAIN_PID")
[[ "${BEFORE[*]}" == "${AFTER[*]}" ]] ||
    fail "workers were restarted: PIDs ${BEFORE[*]} before, ${AFTER[*]} after"

# ------------------------------------------------------------ a fenced node

# A primary made read-only in place (ALTER SYSTEM SET
# default_transaction_read_only, as some tools fence a node) keeps its
# connections: a write there fails with SQLSTATE 25006. cordgate must answer
# 503, drop the connection and find a read-write host again, not answer 500
# for good.
section "failover: a fenced (read-only) primary"
TOKEN=$(CORDGATE_DATABASE_URL="host=127.0.0.1 port=$P2 dbname=cordgate user=postgres" \
    "$BIN" token server --app "$APP_ID")
# put_status ID: the status of PUT /v1/users/ID; the body goes to W/put.body.
put_status() {
    curl -s -o "$W/put.body" -w '%{http_code}' --max-time 5 -X PUT \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d "{\"email\": \"$1@failover.example\"}" "$URL/v1/users/$1" || true
}
fenced_codes() {
    local i code
    for i in $(seq "$1"); do
        code=$(put_status "fence-$RUN_TAG-$2-$i")
        if [[ "$code" == 503 ]] && ! jq -e '(.error | type) == "string" and (.message | type) == "string"' \
            "$W/put.body" >/dev/null 2>&1; then
            code=503-not-json
        fi
        printf '%s\n' "$code"
    done | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }'
}
# Every worker holds a connection to the new primary before it is fenced.
fenced_codes 16 warm >/dev/null
psql_at "$P2" -c "ALTER SYSTEM SET default_transaction_read_only = on" \
    -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
FENCED=$(fenced_codes 16 fenced)
log "writes while fenced: $FENCED"
[[ "$FENCED" == "503 x16" ]] || fail "writes to a read-only primary: $FENCED, expected 503 x16 (JSON)"
psql_at "$P2" -c "ALTER SYSTEM RESET default_transaction_read_only" \
    -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
UNFENCED=$(fenced_codes 16 unfenced)
log "writes once read-write again: $UNFENCED"
[[ "$UNFENCED" == "200 x16" ]] || fail "writes after the fence was lifted: $UNFENCED, expected 200 x16"
mapfile -t AFTER < <(worker_pids "$MAIN_PID")
[[ "${BEFORE[*]}" == "${AFTER[*]}" ]] ||
    fail "workers were restarted while fenced: PIDs ${BEFORE[*]} before, ${AFTER[*]} after"

# ------------------------------------------------------------ figures

section "failover: figures ($((SECONDS - T_START)) s)"
nginx_stop
stop_started cordgate 20
for f in "$W"/sanitizer-*; do
    [[ -e "$f" ]] || continue
    fail "sanitizer report $f: $(head -n 3 "$f" | tr '\n' ' ' | cut -c1-200)"
done
fig() { jq -r "$1" "$S" 2>/dev/null || printf -- '-\n'; }
{
    printf 'cordgate failover: %s workers, CORDGATE_REQUEST_TIMEOUT=%ss, %s connections, %s s of load\n' \
        "$WORKERS" "$REQUEST_TIMEOUT_S" "$CONNECTIONS" "$LOAD_SECONDS"
    printf '  primary stopped (-m immediate) at %s s, standby promoted %s s later\n' \
        "$DOWN_AT" "$PROMOTE_AFTER"
    printf '  requests                    %s (%s/s), %s failed\n' "$(fig .requests)" \
        "$(fig .rps)" "$(fig '.requests - .ok')"
    printf '  failed before the promotion %s\n' "$FAILED_BEFORE"
    printf '  failed after it             %s\n' "$FAILED_AFTER"
    printf '  failed: JSON 503 / other    %s / %s (502/504 %s, connection errors %s, hangs %s)\n' \
        "$(fig .s503_cord)" "$(fig '.requests - .ok - .s503_cord')" "$(fig .gateway)" \
        "$(fig .conn_errors)" "$(fig .hangs)"
    printf '  pg_ctl promote took         %s ms\n' "$PROMOTE_MS"
    printf '  first 2xx after promote     %s ms\n' "$FIRST_OK_MS"
    # load.mjs's recovery: from the promotion to the start of the first
    # request of the final run of successes; 0 when that run began before.
    printf '  steady 2xx from             %s ms after promote (goal: under %s; 0: none failed that started after it)\n' \
        "$(fig '.verdict.recovery_ms // "-"')" "$RECOVERY_MS"
    printf '  slowest answer              %s ms\n' "$(fig '.latency_ms.max | round')"
    printf '  acknowledged writes         %s, %s missing on the new primary\n' "$ACKED" "$LOST"
    printf '  fenced primary              writes %s; after: %s\n' "$FENCED" "$UNFENCED"
    printf '  workers restarted           %s\n' "$([[ "${BEFORE[*]}" == "${AFTER[*]}" ]] && echo none || echo yes)"
    if [[ -s "$W/failures.txt" ]]; then
        printf '\nfailed assertions:\n'
        sed 's/^/  /' "$W/failures.txt"
    fi
} | tee "$W/summary.txt"
if [[ -s "$W/failures.txt" ]]; then
    if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
        sed 's/^/failover: /' "$W/failures.txt" | cut -c1-240 >>"$CORDGATE_TEST_WORKDIR/reasons"
    fi
    err "$(wc -l <"$W/failures.txt") assertions failed"
    exit 1
fi
log "every assertion held"
