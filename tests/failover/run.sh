#!/usr/bin/env bash
# The failover stage: cordgate under load while its PostgreSQL primary is
# lost and a synchronous standby is promoted in its place, with no restart
# of cordgate. On loopback only, bounded in time (about a minute; tests/run.sh
# caps it at 2).
#
#   tests/failover/run.sh [--keep-work]
#
# The stack: two nodes on 127.0.0.1, a primary A and a streaming standby B
# (pg_basebackup -R), synchronous (synchronous_standby_names on the
# primary, synchronous_commit on); cordgate (CORDGATE_WORKERS=4,
# CORDGATE_REQUEST_TIMEOUT=2s) whose CORDGATE_DATABASE_URL names both, A
# first:
#
#   host=127.0.0.1,127.0.0.1 port=PA,PB ... target_session_attrs=read-write
#
# behind nginx. Two failovers, each under a 16 s load at 64 connections
# (tests/reliability/load.mjs: new users written, users read, authorize,
# /healthz), the primary lost at 4 s and the standby promoted (`pg_ctl
# promote`) 3 s later:
#   frozen     A is frozen (SIGSTOP to its processes: a hung host, a
#              partition; it accepts TCP connections and answers nothing),
#              B promoted. A comes first in the URL, so cordgate must stop
#              waiting for it. A is then stopped for good, and a new standby
#              C takes its port, a base backup of B.
#   immediate  B is stopped with `pg_ctl stop -m immediate` (its processes
#              die on the spot, as in a crash), C promoted.
# Asserts, for each: no request hangs (each answered within the request
# timeout + 1.5 s, see DEADLINE_MS; no 502/504, no connection error); every
# failed request is a 503 whose body is a JSON Cord error; none failed before
# the primary was lost; requests succeed again, for good, within 5 s of the
# promotion; every write the load saw acknowledged is on the new primary
# with the email it was given, row by row; no worker was restarted. Then,
# on C: a fenced primary (default_transaction_read_only on, as some tools
# fence a node) answers writes 503, not 500, and takes them again once it
# is off.
#
# Prints the figures (requests, failed requests before and after the
# promotion, time to the first success after it and to steady success, the
# promotion's own time, lost writes) and exits non-zero when an assertion
# failed, naming each.
#
#   --keep-work   keep the work directory (logs, every request in
#                 SCENARIO/events.ndjson)
#
# Environment (set by tests/run.sh; optional by hand):
#   CORDGATE_TEST_BIN      the cordgate binary [build-test/cordgate]
#   CORDGATE_TEST_WORKDIR  a 0755 temp dir: the stage works in its failover/
#                          subdirectory and leaves failover-summary.txt there
#                          [a new /tmp dir]
# Needs root or the packages installed, and node (>= 18). Stops everything it
# started, by PID.
# shellcheck source-path=SCRIPTDIR
# Functions run from traps: not unreachable.
# shellcheck disable=SC2317
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$HERE/../.." && pwd -P)
# shellcheck source=../lib/all.sh
source "$ROOT/tests/lib/all.sh"

KEEP_WORK=0
for arg in "$@"; do
    case $arg in
    --keep-work) KEEP_WORK=1 ;;
    *) help_or_exit "${BASH_SOURCE[0]}" "$arg" ;;
    esac
done

WORKERS=4
REQUEST_TIMEOUT_S=2
# Every answer within this: the request timeout, and 1.5 s for the worst
# wait a frozen primary causes: a request queued behind a worker whose
# statement waits out its deadline and whose check for a new connection
# then takes 500 ms, and which then probes the database itself for 500 ms.
DEADLINE_MS=$((REQUEST_TIMEOUT_S * 1000 + 1500))
RECOVERY_MS=5000 # from the promotion to steady 2xx
CONNECTIONS=64
LOAD_SECONDS=16
LOST_AT=4       # seconds into the load
PROMOTE_AFTER=3 # seconds after the primary was lost
STANDBY_NAME=standby1

PACKAGES=(postgresql nginx jq curl)

T_START=$SECONDS
OWN_WORK=0
W=
SC=     # the failover under way, in failures and figures
NODES=() # every cluster directory, for the cleanup
RUN_TAG=$(date +%s)

# psql_at PORT ARGS...: psql on a node, as the test's superuser.
psql_at() {
    local port=$1
    shift
    pg_psql "$(pg_conninfo "$port")" "$@"
}

# node_conf DIR TEXT: the failover settings of one node, in a file of its
# own that postgresql.conf includes (cordgate.conf is tests/lib/pg.sh's).
node_conf() {
    pg__write "$(pg_os_user "$1")" "$1/data/failover.conf" <<<"$2"
}

# ------------------------------------------------------------ cleanup

cleanup() {
    local rc=$? f
    trap - EXIT INT TERM
    set +e
    if [[ -n "$W" && -d "$W" ]]; then
        pg_thaw "$W/frozen.pids"
        nginx_stop
        stop_all_started
        for f in "${NODES[@]}"; do
            pg_stop "$f"
        done
        if ((rc != 0)); then
            for f in "$W/cordgate.log" "$W/cordgate.out" "$W/nginx/error.log"; do
                show_tail "$f" 15
            done
            for f in "${NODES[@]}"; do
                show_tail "$f/postgresql.log" 10
            done
        fi
        stage_work_done
    fi
    exit "$rc"
}
set_traps cleanup

# ------------------------------------------------------------ the nodes

# make_standby FROM_PORT DIR [PORT]: a standby in DIR, a base backup of the
# primary on FROM_PORT that streams from it (-R writes standby.signal and
# primary_conninfo), started on PORT (a free one by default); then the
# primary waits for it at every commit. synchronous_standby_names is set on
# the primary after the backup, so that the standby does not inherit it:
# once promoted it has no standby of its own, and a primary that waits for
# one would hold every commit. Sets PG_PORT.
make_standby() {
    local from=$1 dir=$2 port=${3:-} user deadline
    user=$(pg_os_user "$W")
    if ((EUID == 0)); then
        install -d -o "$user" -g "$(id -gn "$user")" -m 0700 -- "$dir"
    else
        install -d -m 0700 -- "$dir"
    fi
    NODES+=("$dir")
    log "pg_basebackup of 127.0.0.1:$from into $dir/data"
    pg_as "$user" "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$from" -U postgres \
        -D "$dir/data" -R -X stream -c fast --no-sync \
        >"$dir/basebackup.log" 2>&1 || {
        cat "$dir/basebackup.log" >&2
        die "pg_basebackup failed"
    }
    node_conf "$dir" "cluster_name = '$STANDBY_NAME'
hot_standby = on
synchronous_commit = on"
    PG_FSYNC=off pg_start "$dir" "$port"
    psql_at "$from" -c "ALTER SYSTEM SET synchronous_standby_names = '$STANDBY_NAME'" \
        -c "SELECT pg_reload_conf()" >/dev/null
    deadline=$((SECONDS + 30))
    until [[ "$(psql_at "$from" -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$STANDBY_NAME'")" == sync ]]; do
        ((SECONDS < deadline)) || die "the standby did not become synchronous within 30 s"
        sleep 0.2
    done
    log "standby 127.0.0.1:$PG_PORT streams synchronously from 127.0.0.1:$from"
}

# ------------------------------------------------------------ a failover

# failover NAME HOW OLD_DIR NEW_DIR NEW_PORT: the load; at LOST_AT the
# primary in OLD_DIR is lost (HOW: frozen or immediate), PROMOTE_AFTER
# seconds later NEW_DIR is promoted; then every assertion on it.
failover() {
    local SC=$1 how=$2 old=$3 new=$4 port=$5 d=$W/$1 prefix="fo-$1-$RUN_TAG-"
    local t0 t_lost t_promote load load_rc=0 s
    local -a before after
    section "failover: $SC: the primary $how, the standby promoted"
    install -d -m 0755 "$d"
    : >"$d/marks"
    mapfile -t before < <(worker_pids "$MAIN_PID")
    log "load: $CONNECTIONS connections for ${LOAD_SECONDS}s; the primary goes at ${LOST_AT}s, the standby is promoted ${PROMOTE_AFTER}s later"
    t0=$(now_ms)
    run_load "$d" "$LOAD_SECONDS" outage "$prefix" &
    load=$!
    sleep_until $((t0 + LOST_AT * 1000))
    mark "$d/marks" down
    case $how in
    frozen)
        pg_freeze "$old" "$W/frozen.pids"
        log "froze the primary: $(wc -l <"$W/frozen.pids") processes"
        ;;
    immediate)
        log "pg_ctl stop -m immediate (the primary)"
        pg_ctl_at "$old" -m immediate -w -t 30 stop >/dev/null
        ;;
    esac
    t_lost=$(now_ms)
    sleep_until $((t_lost + PROMOTE_AFTER * 1000))
    # load.mjs measures recovery from `up`: the moment pg_ctl promote runs.
    t_promote=$(now_ms)
    printf 'up %s\n' "$t_promote" >>"$d/marks"
    pg_ctl_at "$new" -w -t 30 promote >/dev/null
    figure promote_ms $(($(now_ms) - t_promote))
    log "pg_ctl promote returned after $(get_figure "$SC" promote_ms) ms"
    wait "$load" || load_rc=$?
    cat -- "$d/load.out"
    ((load_rc == 0)) || fail "load.mjs exited $load_rc"
    s=$d/summary.json
    load_verdict "$d"
    [[ -s "$s" ]] || return 0
    [[ "$(psql_at "$port" -c 'SELECT pg_is_in_recovery()')" == f ]] ||
        fail "the standby is still in recovery after pg_ctl promote"

    figure requests "$(jq -r '"\(.requests) (\(.rps)/s)"' "$s")"
    figure failed "$(jq -r '.requests - .ok' "$s")"
    figure not_json_503 "$(jq -r '.requests - .ok - .s503_cord' "$s")"
    figure gateway "$(jq -r '"\(.gateway) / \(.conn_errors) / \(.hangs)"' "$s")"
    figure recovery_ms "$(jq -r '.verdict.recovery_ms // "-"' "$s")"
    figure max_ms "$(jq -r '.latency_ms.max | round' "$s")"
    # Failed requests before and after the promotion, from every request's
    # record: "after" when it started after pg_ctl promote.
    jq -rs --argjson p "$t_promote" '
        map(select(.status < 200 or .status > 299)) as $f
        | [($f | map(select(.t < $p)) | length),
           ($f | map(select(.t >= $p)) | length),
           (map(select(.t >= $p and .status >= 200 and .status <= 299))
            | if length > 0 then (map(.t + .ms) | min) - $p | round else "-" end)]
        | @tsv' "$d/events.ndjson" >"$d/split.tsv"
    local n_before n_after first_ok
    read -r n_before n_after first_ok <"$d/split.tsv"
    figure failed_before "$n_before"
    figure failed_after "$n_after"
    figure first_ok_ms "$first_ok"

    # Every acknowledged write, row by row, on the new primary.
    check_writes "$d" "$prefix" "$(pg_conninfo "$port")" "on the new primary" \
        "stored there"

    mapfile -t after < <(worker_pids "$MAIN_PID")
    if [[ "${before[*]}" == "${after[*]}" ]]; then
        figure restarts none
    else
        figure restarts yes
        fail "workers were restarted: PIDs ${before[*]} before, ${after[*]} after"
    fi
}

# ------------------------------------------------------------ set-up

ensure_packages "${PACKAGES[@]}"
command -v node >/dev/null || die "node (>= 18) is needed for tests/reliability/load.mjs"

cordgate_test_bin "$ROOT/build-test/cordgate"
stage_workdir failover
clear_cordgate_env 'CORDGATE_TEST_*'

section "failover: a primary and a synchronous standby"
A=$W/a
NODES+=("$A")
PG_FSYNC=off pg_setup "$A"
printf "include_if_exists = 'failover.conf'\n" >>"$A/data/postgresql.conf"
node_conf "$A" "cluster_name = 'primary'
wal_level = replica
max_wal_senders = 4
synchronous_commit = on"
PG_FSYNC=off pg_start "$A"
PA=$PG_PORT
pg_ensure_db cordgate
cordgate_migrate "$PG_CONNINFO" "$W/migrate.log"
cordgate_app_create "$PG_CONNINFO" failover
B=$W/b
make_standby "$PA" "$B"
PB=$PG_PORT

section "failover: cordgate behind nginx"
DB_URL="host=127.0.0.1,127.0.0.1 port=$PA,$PB dbname=cordgate user=postgres target_session_attrs=read-write"
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
stage_nginx_up
log "CORDGATE_DATABASE_URL=$DB_URL"
log "set-up took $((SECONDS - T_START)) s"

# ------------------------------------------------------------ the failovers

failover frozen frozen "$A" "$B" "$PB"

# A is lost for good: resumed only to be stopped at once (it still believes
# it is the primary, and must never take a write again), with no load
# running. A new standby C, a base backup of B, takes its port.
section "failover: A stopped, a new standby C on its port"
pg_thaw "$W/frozen.pids"
pg_ctl_at "$A" -m immediate -w -t 30 stop >/dev/null
C=$W/c
make_standby "$PB" "$C" "$PA"

failover immediate immediate "$B" "$C" "$PA"

# ------------------------------------------------------------ a fenced node

# A primary made read-only in place (ALTER SYSTEM SET
# default_transaction_read_only) keeps its connections: a write there fails
# with SQLSTATE 25006. cordgate must answer 503 and drop the connection, so
# that a later one finds a read-write host, not answer 500 for good.
section "failover: a fenced (read-only) primary"
TOKEN=$(CORDGATE_DATABASE_URL=$(pg_conninfo "$PA") "$BIN" token server --app "$APP_ID")
# put_codes N TAG: the statuses of N new-user PUTs, counted ("503 x16");
# a 503 that is not a JSON Cord error counts as 503-not-json.
put_codes() {
    local i code
    for i in $(seq "$1"); do
        code=$(curl -s -o "$W/put.body" -w '%{http_code}' --max-time 5 -X PUT \
            -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
            -d "{\"email\": \"fence-$2-$i@failover.example\"}" \
            "$URL/v1/users/fence-$RUN_TAG-$2-$i" || true)
        if [[ "$code" == 503 ]] && ! jq -e '(.error | type) == "string" and (.message | type) == "string"' \
            "$W/put.body" >/dev/null 2>&1; then
            code=503-not-json
        fi
        printf '%s\n' "$code"
    done | sort | uniq -c | awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }'
}
# Every worker holds a connection to the primary before it is fenced.
put_codes 16 warm >/dev/null
psql_at "$PA" -c "ALTER SYSTEM SET default_transaction_read_only = on" \
    -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
FENCED=$(put_codes 16 fenced)
log "writes while fenced: $FENCED"
[[ "$FENCED" == "503 x16" ]] || fail "fenced: writes to a read-only primary: $FENCED, expected 503 x16 (JSON)"
psql_at "$PA" -c "ALTER SYSTEM RESET default_transaction_read_only" \
    -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
UNFENCED=$(put_codes 16 unfenced)
log "writes once read-write again: $UNFENCED"
[[ "$UNFENCED" == "200 x16" ]] || fail "fenced: writes after the fence was lifted: $UNFENCED, expected 200 x16"
mapfile -t W1 < <(worker_pids "$MAIN_PID")
[[ "${W0[*]}" == "${W1[*]}" ]] ||
    fail "workers were restarted: PIDs ${W0[*]} at the start, ${W1[*]} at the end"

# ------------------------------------------------------------ figures

section "failover: figures ($((SECONDS - T_START)) s)"
nginx_stop
stop_started cordgate 20
for f in "$W"/sanitizer-*; do
    [[ -e "$f" ]] || continue
    fail "sanitizer report $f: $(head -n 3 "$f" | tr '\n' ' ' | cut -c1-200)"
done
{
    printf 'cordgate failover: %s workers, CORDGATE_REQUEST_TIMEOUT=%ss, %s connections, %s s of load;\n' \
        "$WORKERS" "$REQUEST_TIMEOUT_S" "$CONNECTIONS" "$LOAD_SECONDS"
    printf 'the primary lost at %s s (frozen: SIGSTOP; immediate: pg_ctl stop -m immediate),\n' "$LOST_AT"
    printf 'the standby promoted (pg_ctl promote) %s s later\n\n' "$PROMOTE_AFTER"
    row() { printf '%-44s %-14s %s\n' "$@"; }
    row "" frozen immediate
    line() { row "$1" "$(get_figure frozen "$2")" "$(get_figure immediate "$2")"; }
    line "requests" requests
    line "failed (all of them JSON 503s)" failed
    line "  of which not a JSON 503" not_json_503
    line "  started before the promotion" failed_before
    line "  started after it" failed_after
    line "502/504 / connection errors / hangs" gateway
    line "slowest answer, ms" max_ms
    line "pg_ctl promote took, ms" promote_ms
    line "first 2xx after the promotion, ms" first_ok_ms
    line "steady 2xx after the promotion, ms (< $RECOVERY_MS)" recovery_ms
    line "acknowledged writes" acked
    line "  missing on the new primary" lost
    line "workers restarted" restarts
    printf '\n(steady 2xx: from the promotion to the start of the first request after\n'
    printf 'which every request succeeded; 0 when none that started after it failed)\n'
    printf 'fenced primary: writes %s; once read-write again %s\n' "$FENCED" "$UNFENCED"
    if [[ -s "$W/failures.txt" ]]; then
        printf '\nfailed assertions:\n'
        sed 's/^/  /' "$W/failures.txt"
    fi
} | tee "$SUMMARY"
stage_verdict failover
