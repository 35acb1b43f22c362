#!/usr/bin/env bash
# The reliability stage: cordgate under load while PostgreSQL is stopped,
# crashed and frozen, while a worker is killed, and while slow and idle
# clients hold connections. It starts a stack of its own (it stops and
# freezes its PostgreSQL), on loopback only, and is bounded in time (under
# 2 minutes on a small machine; tests/run.sh caps it at 5).
#
#   tests/reliability/run.sh [--only LIST] [--summary FILE] [--keep-work]
#
# Scenarios (all by default, in this order): fast immediate frozen kill slow
# json
#
#   fast, immediate, frozen
#       A 20 s load at 64 connections through nginx (load.mjs: PUT
#       /v1/users/<new id>, GET /v1/users/<id>, POST /v1/authorize, GET
#       /healthz, all of which need the database). After 5 s PostgreSQL is
#       stopped (pg_ctl stop -m fast, -m immediate) and started again 10 s
#       later, or frozen (SIGSTOP to the postmaster and its children) and
#       resumed (SIGCONT) 10 s later. Asserts: no request hangs (each is
#       answered within CORDGATE_REQUEST_TIMEOUT + 1 s; no client timeout,
#       no 502/504, no connection error); every failed request is a 503
#       whose body is a JSON Cord error {"error","message"}; none failed
#       before the outage; the service recovers within 2 s of the database
#       being back (accepting connections, or resumed) and stays 2xx; no
#       worker was restarted (the same worker PIDs; the restart counters of
#       /metrics unchanged); every acknowledged write is in the database
#       with the email it was given, row by row.
#   kill
#       A 12 s load; after 4 s one worker is SIGKILLed. Asserts: the master
#       has 4 workers again within 3 s, the killed one replaced; at most one
#       request failed; none hung or took longer than the timeout + 1 s.
#   slow
#       16 slow clients (POST /v1/users announcing a 100-byte body, sent a
#       byte a second) and 64 idle connections that send nothing, through
#       (a) nginx as tests/lib/nginx.sh configures it (nginx buffers the
#       body), (b) nginx passing the body on as it comes
#       (fastcgi_request_buffering off), (c) Apache with mod_proxy_fcgi and
#       deploy/apache/cordgate.conf as shipped, and (d) straight to a
#       cordgate on its TCP listener (32 connections sending nothing, 32
#       sending half a FastCGI record header, 16 FastCGI requests whose body
#       comes a byte a second). Asserts: 20 probes of /healthz through the
#       same front end (for (d): through nginx in front of that cordgate)
#       each answer 200 within 100 ms; in (b), (c) and (d) every slow client
#       gets a 4xx answer or a closed connection within
#       CORDGATE_READ_TIMEOUT + 2 s (+ 6 s through Apache, which takes an
#       answer's records one per client read); in (d) cordgate closes every idle
#       connection within that time. (In (a) nginx holds the slow bodies
#       itself; what becomes of them is reported, not asserted.)
#   json
#       tests/reliability/json_rss.sh (the worst JSON body of each route and
#       the peak worker RSS it costs), when it exists and is executable;
#       skipped with a note otherwise.
#
# The servers: a throwaway PostgreSQL of its own, cordgate
# (CORDGATE_WORKERS=4, CORDGATE_REQUEST_TIMEOUT=2s, CORDGATE_READ_TIMEOUT=2s)
# on a unix socket, nginx, and for `slow` Apache and a second cordgate on
# 127.0.0.1:PORT; free ports on 127.0.0.1 only.
#
#   --only LIST     a comma-separated subset of the scenarios, for
#                   development: --only frozen, --only kill,slow
#   --summary FILE  also write the summary table to FILE
#   --keep-work     keep the work directory (logs, every request of every
#                   load in events.ndjson) at the end
#
# Environment (set by tests/run.sh; optional by hand):
#   CORDGATE_TEST_BIN      the cordgate binary [build-test/cordgate]
#   CORDGATE_TEST_WORKDIR  a 0755 temp dir: the stage works in its
#                          reliability/ subdirectory and writes the summary
#                          to reliability-summary.txt in it [a new /tmp dir]
#
# Prints a summary table (requests, 503s, hangs, recovery time, lost writes,
# maximum latency, peak worker RSS, /healthz under slow clients) and exits
# non-zero when an assertion failed, naming each. Needs root or the packages
# installed; stops everything it started, by PID.
# shellcheck source-path=SCRIPTDIR
# Functions run from traps and by name (sc_*): not unreachable.
# shellcheck disable=SC2317
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$HERE/../.." && pwd -P)
# shellcheck source=../lib/all.sh
source "$ROOT/tests/lib/all.sh"

ALL_SCENARIOS=(fast immediate frozen kill slow json)
SCENARIOS=("${ALL_SCENARIOS[@]}")
SUMMARY_COPY=
KEEP_WORK=0
while (($# > 0)); do
    case $1 in
    --only)
        IFS=, read -r -a SCENARIOS <<<"${2:?--only needs a list}"
        shift
        ;;
    --only=*) IFS=, read -r -a SCENARIOS <<<"${1#--only=}" ;;
    --summary)
        SUMMARY_COPY=${2:?--summary needs a file}
        shift
        ;;
    --keep-work) KEEP_WORK=1 ;;
    *) help_or_exit "${BASH_SOURCE[0]}" "$1" ;;
    esac
    shift
done
for sc in "${SCENARIOS[@]}"; do
    if [[ " ${ALL_SCENARIOS[*]} " != *" $sc "* ]]; then
        err "unknown scenario '$sc' (known: ${ALL_SCENARIOS[*]})"
        exit 2
    fi
done

# The settings under test, and the bounds the issue sets on them.
WORKERS=4
REQUEST_TIMEOUT_S=2
READ_TIMEOUT_S=2
DEADLINE_MS=$(((REQUEST_TIMEOUT_S + 1) * 1000)) # an answer within this
RECOVERY_MS=2000   # from the database back to steady 2xx
CONNECTIONS=64
LOAD_SECONDS=20
OUTAGE_AT=5        # seconds into the load
OUTAGE_SECONDS=10
KILL_LOAD_SECONDS=12
KILL_AT=4
REPLACE_SECONDS=3  # a killed worker replaced within this
SLOW_CLIENTS=16
IDLE_CLIENTS=64
PROBE_MAX_MS=100
READ_GRACE_MS=2000 # slow clients: 4xx or closed within the read timeout + this

PACKAGES=(postgresql nginx apache2 jq curl)

T_START=$SECONDS
OWN_WORK=0
PG_UP=0
W=
PGDIR=
MAIN_PID=
RUN_TAG=$(date +%s)

# ------------------------------------------------------------ bookkeeping

# Every process started here, also from a scenario's subshell, as lines
# "PID WORD" in W/started.pids: the EXIT trap stops what is left of them.
start_own() {
    local name=$1
    start_bg "$@"
    printf '%s %s\n' "$LAST_PID" "$name" >>"$W/started.pids"
}

# ------------------------------------------------------------ cordgate

# start_cordgate NAME ENV...: `cordgate serve` with the settings under test;
# sanitizer reports go to W/sanitizer-reliability-NAME.*.
start_cordgate() {
    local name=$1
    shift
    start_own "cordgate-$name" "$W/$name.out" env \
        ASAN_OPTIONS="log_path=$W/sanitizer-reliability-$name:detect_leaks=1" \
        UBSAN_OPTIONS="log_path=$W/sanitizer-reliability-$name:print_stacktrace=1" \
        CORDGATE_DATABASE_URL="$PG_CONNINFO" \
        CORDGATE_WORKERS="$WORKERS" \
        CORDGATE_REQUEST_TIMEOUT="${REQUEST_TIMEOUT_S}s" \
        CORDGATE_READ_TIMEOUT="${READ_TIMEOUT_S}s" \
        CORDGATE_LOG_FILE="$W/$name.log" \
        "$@" "$BIN" serve
}

# restart_count: cordgate_worker_restarts_total summed over its reasons,
# read through nginx; "-" when /metrics does not answer.
restart_count() {
    local out
    out=$(curl -fsS --max-time 5 "$URL/metrics" 2>/dev/null) || {
        printf -- '-\n'
        return 0
    }
    awk '$1 ~ /^cordgate_worker_restarts_total/ { s += $NF; n++ }
        END { if (n) print s; else print "-" }' <<<"$out"
}

# peak_rss_kib PID...: the largest peak resident set (VmHWM) among them.
peak_rss_kib() {
    local p v max=0
    for p in "$@"; do
        v=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
        [[ -n "$v" ]] && ((v > max)) && max=$v
    done
    printf '%s\n' "$max"
}

kib_to_mib() {
    awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

# ------------------------------------------------------------ checks

# load_figures DIR: the load's figures for the summary.
load_figures() {
    local dir=$1
    [[ -s "$dir/summary.json" ]] || return 0
    figure requests "$(jq -r .requests "$dir/summary.json")"
    figure rps "$(jq -r .rps "$dir/summary.json")"
    figure s503 "$(jq -r '"\(.s503) (\(.s503_cord) JSON)"' "$dir/summary.json")"
    figure hangs "$(jq -r .hangs "$dir/summary.json")"
    figure max_ms "$(jq -r '.latency_ms.max | round' "$dir/summary.json")"
    figure recovery_ms "$(jq -r '.verdict.recovery_ms // "-"' "$dir/summary.json")"
    figure first_ok_ms "$(jq -r '.verdict.first_2xx_after_up_ms // "-"' "$dir/summary.json")"
}

# ------------------------------------------------------------ scenarios
# Each sc_NAME runs in a subshell under `set -e`, with SC its name and D its
# own directory; what it starts it stops itself (scenario_cleanup).

# outage HOW: the database stopped (fast, immediate) or frozen under load.
outage() {
    local how=$1 prefix="rel-$SC-$RUN_TAG-" t0 down r0 r1 load_rc=0
    local -a before after
    : >"$D/marks"
    mapfile -t before < <(worker_pids "$MAIN_PID")
    r0=$(restart_count)
    log "load: $CONNECTIONS connections for ${LOAD_SECONDS}s; the database goes at ${OUTAGE_AT}s for ${OUTAGE_SECONDS}s ($how)"
    t0=$(now_ms)
    run_load "$D" "$LOAD_SECONDS" outage "$prefix" &
    local load=$!
    sleep_until $((t0 + OUTAGE_AT * 1000))
    mark "$D/marks" down
    down=$(now_ms)
    case $how in
    fast | immediate)
        log "pg_ctl stop -m $how"
        pg_ctl_at "$PGDIR" -m "$how" -w -t 30 stop >/dev/null
        ;;
    frozen)
        pg_freeze "$PGDIR" "$W/frozen.pids"
        log "froze PostgreSQL: $(wc -l <"$W/frozen.pids") processes"
        ;;
    esac
    sleep_until $((down + OUTAGE_SECONDS * 1000))
    case $how in
    fast | immediate)
        pg_start "$PGDIR" "$PG_PORT"
        ;;
    frozen)
        pg_thaw "$W/frozen.pids"
        log "resumed PostgreSQL"
        ;;
    esac
    mark "$D/marks" up
    wait "$load" || load_rc=$?
    cat -- "$D/load.out"
    ((load_rc == 0)) || fail "load.mjs exited $load_rc"
    load_verdict "$D"
    load_figures "$D"
    jq -c '.verdict | del(.failures)' "$D/summary.json" 2>/dev/null || true

    mapfile -t after < <(worker_pids "$MAIN_PID")
    r1=$(restart_count)
    figure restarts "$r0 -> $r1"
    figure rss_kib "$(peak_rss_kib "${after[@]}")"
    if [[ "${before[*]}" != "${after[*]}" ]]; then
        fail "workers were restarted: PIDs ${before[*]} before, ${after[*]} after"
    fi
    if [[ "$r0" != "$r1" ]]; then
        fail "cordgate_worker_restarts_total went from $r0 to $r1"
    fi
    check_writes "$D" "$prefix" "$PG_CONNINFO"
}

sc_fast() { outage fast; }
sc_immediate() { outage immediate; }
sc_frozen() { outage frozen; }

sc_kill() {
    local prefix="rel-$SC-$RUN_TAG-" t0 victim r0 r1 load_rc=0 deadline replaced=0
    local -a before now
    : >"$D/marks"
    r0=$(restart_count)
    log "load: $CONNECTIONS connections for ${KILL_LOAD_SECONDS}s; a worker is killed at ${KILL_AT}s"
    t0=$(now_ms)
    run_load "$D" "$KILL_LOAD_SECONDS" kill "$prefix" &
    local load=$!
    sleep_until $((t0 + KILL_AT * 1000))
    mapfile -t before < <(worker_pids "$MAIN_PID")
    ((${#before[@]} == WORKERS)) || fail "the master had ${#before[@]} workers before the kill, not $WORKERS"
    victim=${before[0]}
    mark "$D/marks" kill
    kill -KILL "$victim"
    log "SIGKILL to worker $victim (workers: ${before[*]})"
    deadline=$(($(now_ms) + REPLACE_SECONDS * 1000))
    while (($(now_ms) < deadline)); do
        mapfile -t now < <(worker_pids "$MAIN_PID")
        if ((${#now[@]} == WORKERS)) && [[ " ${now[*]} " != *" $victim "* ]]; then
            replaced=1
            break
        fi
        sleep 0.05
    done
    if ((replaced)); then
        figure replaced_ms $(($(now_ms) - deadline + REPLACE_SECONDS * 1000))
        log "replaced: workers ${now[*]}"
    else
        fail "the killed worker $victim was not replaced within ${REPLACE_SECONDS}s (workers: ${now[*]})"
    fi
    wait "$load" || load_rc=$?
    cat -- "$D/load.out"
    ((load_rc == 0)) || fail "load.mjs exited $load_rc"
    load_verdict "$D"
    load_figures "$D"
    jq -c '.verdict | del(.failures)' "$D/summary.json" 2>/dev/null || true
    r1=$(restart_count)
    figure restarts "$r0 -> $r1"
    mapfile -t now < <(worker_pids "$MAIN_PID")
    figure rss_kib "$(peak_rss_kib "${now[@]}")"
    check_writes "$D" "$prefix" "$PG_CONNINFO"
}

# apache_start PORT SITE: a private Apache (event MPM, threads enough for
# every client of the test) that includes the rendered SITE.
apache_start() {
    local port=$1 site=$2 a=$D/apache
    apache_conf_begin "$a" "$port" tests/reliability/run.sh proxy proxy_fcgi
    cat >>"$a/httpd.conf" <<EOF
# Room for every hostile client and the probes at once: Apache's own
# threads are not what is under test.
ServerLimit 4
StartServers 2
ThreadLimit 64
ThreadsPerChild 64
MinSpareThreads 64
MaxSpareThreads 256
MaxRequestWorkers 256
Include "$site"
EOF
    apache_run "$a" start_own
    wait_http_200 "http://127.0.0.1:$port/healthz" 30 "$APACHE_PID" "$MAIN_PID"
}

# slow_case NAME PROTO TARGET PROBE_URL ASSERT_SLOW ASSERT_IDLE [HALF [GRACE_MS]]
slow_case() {
    local name=$1 proto=$2 target=$3 probe=$4 assert_slow=$5 assert_idle=$6
    local half=${7:-0} grace=${8:-$READ_GRACE_MS} out=$D/$1.json f
    log "$name: $SLOW_CLIENTS slow and $IDLE_CLIENTS idle clients to $target; /healthz probed at $probe"
    node "$HERE/slow.mjs" --proto "$proto" --target "$target" --probe "$probe" \
        --out "$out" --slow "$SLOW_CLIENTS" --idle "$IDLE_CLIENTS" \
        --half "$half" --body-bytes 100 --read-timeout-ms $((READ_TIMEOUT_S * 1000)) \
        --grace-ms "$grace" --probes 20 --probe-every-ms 150 \
        --probe-timeout-ms 1000 --probe-max-ms "$PROBE_MAX_MS" \
        --assert-slow "$assert_slow" --assert-idle "$assert_idle"
    while IFS= read -r f; do
        fail "$name: $f"
    done < <(jq -r '.failures[]' "$out")
    figure "$name.probe_max_ms" "$(jq -r '.probes.max_ms // ">1000"' "$out")"
    figure "$name.probes_ok" "$(jq -r '"\(.probes.ok)/\(.probes.n)"' "$out")"
    figure "$name.slow" "$(jq -r '.slow.outcomes | to_entries | map("\(.value) \(.key)") | join(", ")' "$out")"
    figure "$name.idle" "$(jq -r '.idle.outcomes | to_entries | map("\(.value) \(.key)") | join(", ")' "$out")"
    # The clients are gone: the pool must be whole again for the next case.
    if ! wait_http_200 "$URL/healthz" 15 "$MAIN_PID"; then
        fail "$name: /healthz still failing 15 s after the clients left"
    fi
}

sc_slow() {
    local aport site
    slow_case nginx-buffered http "127.0.0.1:$NGX_PORT" "$URL/healthz" 0 0
    slow_case nginx-stream http "127.0.0.1:$NGX_STREAM_PORT" \
        "http://127.0.0.1:$NGX_STREAM_PORT/healthz" 1 0

    free_port aport
    site=$D/apache-site.conf
    # deploy/apache/cordgate.conf as shipped, its placeholders replaced.
    sed -e "s|/run/cordgate/cordgate.sock|$W/main.sock|g" -e "s|\*:80|*:$aport|g" \
        "$ROOT/deploy/apache/cordgate.conf" >"$site"
    if ! grep -q "$W/main.sock" "$site" || ! grep -q "\*:$aport" "$site"; then
        die "deploy/apache/cordgate.conf: placeholders not found"
    fi
    apache_start "$aport" "$site"
    # mod_proxy_fcgi reads the client's next body byte (blocking, a second
    # here) before each FastCGI record of the answer it takes: cordgate's
    # 408 (three records) reaches the client some 3 s after it was sent.
    slow_case apache http "127.0.0.1:$aport" "http://127.0.0.1:$aport/healthz" \
        1 0 0 $((READ_GRACE_MS + 4000))
    stop_started apache 15
    APACHE_PID=

    start_cordgate tcp CORDGATE_LISTEN="127.0.0.1:$TCP_PORT" \
        CORDGATE_PID_FILE="$W/tcp.pid"
    local tcp=$LAST_PID
    wait_http_200 "http://127.0.0.1:$NGX_TCP_PORT/healthz" 30 "$tcp"
    slow_case cordgate-tcp fcgi "127.0.0.1:$TCP_PORT" \
        "http://127.0.0.1:$NGX_TCP_PORT/healthz" 1 1 $((IDLE_CLIENTS / 2))
    local -a all
    mapfile -t all < <(worker_pids "$tcp"; worker_pids "$MAIN_PID")
    figure rss_kib "$(peak_rss_kib "${all[@]}")"
    stop_started cordgate-tcp 20
}

sc_json() {
    local script=$HERE/json_rss.sh rc=0 plain=$ROOT/build-plain
    # Peak memory says nothing under AddressSanitizer: json_rss.sh takes a
    # build without it (the valgrind stage uses the same one).
    cmake -S "$ROOT" -B "$plain" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$plain" -j "$(nproc)" --target cordgate >/dev/null
    mkdir -p "$D/json"
    timeout --kill-after=10 240 "$script" --quick "$plain/cordgate" \
        "$PG_CONNINFO" "$D/json" >"$D/json.out" 2>&1 || rc=$?
    cat -- "$D/json.out"
    ((rc == 0)) || fail "tests/reliability/json_rss.sh exited $rc: $(tail -n 1 "$D/json.out")"
    figure note "$(grep 'bodies, base' "$D/json.out" | tail -n 1 | cut -c5-130)"
}

scenario_cleanup() {
    local i entry
    set +e
    pg_thaw "$W/frozen.pids"
    for ((i = ${#COMMON_STARTED[@]} - 1; i >= SC_BASE; i--)); do
        entry=${COMMON_STARTED[i]:-}
        [[ -n "$entry" ]] && stop_pid "${entry#*:}" 20
    done
}

run_scenario() {
    SC=$1
    D=$W/$SC
    local t0=$SECONDS rc=0 before
    section "reliability: $SC"
    install -d -m 0755 "$D"
    before=$(grep -c "^$SC: " "$W/failures.txt" || true)
    set +e
    (
        set -e
        SC_BASE=${#COMMON_STARTED[@]}
        trap scenario_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        "sc_$SC"
    )
    rc=$?
    set -e
    if ((rc != 0)); then
        fail "the scenario stopped early (exit $rc); see the lines above"
    fi
    figure seconds $((SECONDS - t0))
    if [[ $(grep -c "^$SC: " "$W/failures.txt" || true) != "$before" ]]; then
        figure result FAILED
    elif [[ $(get_figure "$SC" skipped) == 1 ]]; then
        figure result skipped
    else
        figure result ok
    fi
    # The next scenario starts from a healthy stack.
    if [[ "$SC" != json ]] && ! wait_http_200 "$URL/healthz" 30 "$MAIN_PID"; then
        die "the stack did not come back after $SC"
    fi
}

# ------------------------------------------------------------ summary

summary_table() {
    local sc
    printf 'cordgate reliability: %s workers, CORDGATE_REQUEST_TIMEOUT=%ss, CORDGATE_READ_TIMEOUT=%ss, %s connections\n\n' \
        "$WORKERS" "$REQUEST_TIMEOUT_S" "$READ_TIMEOUT_S" "$CONNECTIONS"
    printf '%-10s %-7s %9s %7s %-16s %6s %9s %9s %8s %6s %-10s %8s\n' scenario result \
        requests req/s "503s" hangs "max ms" "recov ms" "1st 2xx" lost restarts "RSS MiB"
    for sc in fast immediate frozen kill; do
        [[ " ${SCENARIOS[*]} " == *" $sc "* ]] || continue
        local rss
        rss=$(get_figure "$sc" rss_kib)
        [[ "$rss" == - ]] || rss=$(kib_to_mib "$rss")
        printf '%-10s %-7s %9s %7s %-16s %6s %9s %9s %8s %6s %-10s %8s\n' "$sc" \
            "$(get_figure "$sc" result)" "$(get_figure "$sc" requests)" \
            "$(get_figure "$sc" rps)" "$(get_figure "$sc" s503)" \
            "$(get_figure "$sc" hangs)" "$(get_figure "$sc" max_ms)" \
            "$(get_figure "$sc" recovery_ms)" "$(get_figure "$sc" first_ok_ms)" \
            "$(get_figure "$sc" lost)" \
            "$(get_figure "$sc" restarts)" "$rss"
    done
    printf '(recov ms: from the database back, accepting or resumed, to the start of\n'
    printf 'the first request after which every request succeeded, 0 when none started\n'
    printf 'after it failed; 1st 2xx: from the database back to the end of the first\n'
    printf '2xx; lost: acknowledged writes missing from the database; RSS: the\n'
    printf 'largest peak RSS of a worker, VmHWM, of the binary under test)\n'
    if [[ " ${SCENARIOS[*]} " == *" kill "* ]]; then
        printf '\nkill: worker replaced in %s ms\n' "$(get_figure kill replaced_ms)"
    fi
    if [[ " ${SCENARIOS[*]} " == *" slow "* ]]; then
        local rss
        rss=$(get_figure slow rss_kib)
        [[ "$rss" == - ]] || rss=$(kib_to_mib "$rss")
        printf '\nslow (%s): %s slow + %s idle clients per front end; /healthz must answer within %s ms; peak worker RSS %s MiB\n' \
            "$(get_figure slow result)" "$SLOW_CLIENTS" "$IDLE_CLIENTS" "$PROBE_MAX_MS" "$rss"
        printf '%-15s %10s %9s  %-34s %s\n' "front end" "probe max" "probes" "slow clients" "idle connections"
        for sc in nginx-buffered nginx-stream apache cordgate-tcp; do
            printf '%-15s %10s %9s  %-34s %s\n' "$sc" \
                "$(get_figure slow "$sc.probe_max_ms")" "$(get_figure slow "$sc.probes_ok")" \
                "$(get_figure slow "$sc.slow")" "$(get_figure slow "$sc.idle")"
        done
    fi
    if [[ " ${SCENARIOS[*]} " == *" json "* ]]; then
        printf '\njson (%s): %s\n' "$(get_figure json result)" "$(get_figure json note)"
    fi
    if [[ -s "$W/failures.txt" ]]; then
        printf '\nfailed assertions:\n'
        sed 's/^/  /' "$W/failures.txt"
    fi
}

# ------------------------------------------------------------ cleanup

cleanup() {
    local rc=$? pid word
    trap - EXIT INT TERM
    set +e
    if [[ -n "$W" && -d "$W" ]]; then
        pg_thaw "$W/frozen.pids"
        stop_all_started
        if [[ -s "$W/started.pids" ]]; then
            while read -r pid word; do
                case $word in
                cordgate-*) word=cordgate ;;
                apache) word=apache2 ;;
                esac
                pid_cmd_matches "$pid" "$word" && stop_pid "$pid" 10
            done <"$W/started.pids"
        fi
        if ((PG_UP)); then
            pg_stop "$PGDIR"
        fi
        if ((rc != 0)); then
            local f
            for f in "$W/main.log" "$W/main.out" "$W/nginx/error.log" \
                "$PGDIR/postgresql.log"; do
                show_tail "$f" 15
            done
        fi
        stage_work_done
    fi
    exit "$rc"
}
set_traps cleanup

# ------------------------------------------------------------ set-up

ensure_packages "${PACKAGES[@]}"
command -v node >/dev/null || die "node (>= 18) is needed for load.mjs and slow.mjs"

cordgate_test_bin "$ROOT/build-test/cordgate"
# Apache's children (nobody) must reach the work dir too: cordgate's socket
# is in it.
stage_workdir reliability
: >"$W/started.pids"
clear_cordgate_env 'CORDGATE_TEST_*'

section "reliability: set-up"
PGDIR=$W/pg
pg_start_throwaway "$PGDIR" >/dev/null
PG_UP=1
cordgate_migrate "$PG_CONNINFO" "$W/migrate.log"
cordgate_app_create "$PG_CONNINFO" reliability
log "app $APP_ID"

# Apache's children (nobody) connect to the socket: mode 0666.
start_cordgate main CORDGATE_LISTEN="$W/main.sock" CORDGATE_LISTEN_MODE=0666 \
    CORDGATE_PID_FILE="$W/main.pid"
MAIN_PID=$LAST_PID
wait_for_socket "$W/main.sock" 30 "$MAIN_PID"

free_port NGX_PORT
free_port NGX_STREAM_PORT
free_port NGX_TCP_PORT
free_port TCP_PORT
nginx_conf_begin "$W/nginx"
nginx_conf_server "$NGX_PORT" "unix:$W/main.sock"
nginx_conf_server "$NGX_STREAM_PORT" "unix:$W/main.sock" stream
nginx_conf_server "$NGX_TCP_PORT" "127.0.0.1:$TCP_PORT"
nginx_conf_end
stage_nginx_up
log "cordgate $MAIN_PID (workers ${W0[*]}) behind nginx at $URL; set-up took $((SECONDS - T_START))s"

for sc in "${SCENARIOS[@]}"; do
    run_scenario "$sc"
done

section "reliability: summary ($((SECONDS - T_START))s)"
# Stopped first, so that what the sanitizers report at exit (leaks) is seen.
nginx_stop
stop_started cordgate-main 20
for f in "$W"/sanitizer-*; do
    [[ -e "$f" ]] || continue
    SC=sanitizer fail "report $f: $(head -n 3 "$f" | tr '\n' ' ' | cut -c1-200)"
done
summary_table | tee "$SUMMARY"
if [[ -n "$SUMMARY_COPY" ]]; then
    cp -- "$SUMMARY" "$SUMMARY_COPY"
fi
if ((!OWN_WORK || KEEP_WORK)); then
    log "summary written to $SUMMARY"
fi
stage_verdict reliability
