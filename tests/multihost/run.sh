#!/usr/bin/env bash
# Several cordgate hosts, one database: three cordgate instances, each with
# its own master, workers, configuration file and socket, as three hosts
# would run them, behind one nginx upstream (and each behind a server block
# of its own, to reach one host alone), against one PostgreSQL: first
# straight to it, then through PgBouncer in transaction mode
# (deploy/pgbouncer/pgbouncer.ini as shipped, its paths and ports
# replaced).
#
#   tests/multihost/run.sh [--only direct|pgbouncer]
#
# Checks, each way:
#   - an app created with one host's configuration serves on every host;
#   - an access token from POST /v1/authorize on one host is accepted by
#     the others and through the upstream;
#   - a user written through one host is read, field for field, through
#     another, and a change made through that one through the first;
#   - the cache bound (10 s) holds on every host for a revoked session and
#     for an app secret rotated with --grace 0: with every worker's cache
#     warm, the revoked access token and a server token signed with the old
#     secret are polled on each host until they are refused for good; the
#     time each host took is printed and must be within 10 s plus a margin;
#   - a token signed with a secret rotated a moment ago works at once on
#     every host; no secret or token in any log; a clean SIGTERM stop; no
#     sanitizer report.
#
# Environment (set by tests/run.sh; all optional when run by hand):
#   CORDGATE_TEST_BIN           the cordgate binary [build/cordgate]
#   CORDGATE_TEST_DATABASE_URL  a migrated database [a throwaway PostgreSQL]
#   CORDGATE_TEST_WORKDIR       a 0755 temp dir; this script uses its
#                               multihost/ subdirectory [a new dir in /tmp]
#   CORDGATE_MULTIHOST_KEEP=1   keep the work dir (logs) at the end
#
# The figures go to stdout and to WORK/multihost/figures.txt. Stops
# everything it started, by PID.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../lib/all.sh
source "$ROOT/tests/lib/all.sh"

HOSTS=3
WORKERS=2      # per host
CACHE_MS=10000 # the cache bound (include/cordgate/cache.h)
MARGIN_MS=2000
HOLD_MS=1000   # a refusal counts once it held this long on a host
PARALLEL=4     # requests at once per host and poll: both workers see some

MODES=(direct pgbouncer)
while (($# > 0)); do
    case $1 in
    --only)
        [[ "${2:-}" == direct || "${2:-}" == pgbouncer ]] ||
            die "--only takes direct or pgbouncer"
        MODES=("$2")
        shift 2
        ;;
    *) help_or_exit "${BASH_SOURCE[0]}" "$1" ;;
    esac
done

# A developer's own CORDGATE_* settings must not reach the hosts.
clear_cordgate_env 'CORDGATE_TEST_*' CORDGATE_MULTIHOST_KEEP

OWN_WORK=0
OWN_PG=0
WORK=
D=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    nginx_stop
    stop_all_started
    stage_shared_done "${CORDGATE_MULTIHOST_KEEP:-0}"
    exit "$rc"
}
set_traps cleanup

cordgate_test_bin "$ROOT/build/cordgate"
command -v pgbouncer >/dev/null || die "pgbouncer is not installed"

stage_shared_workdir multihost
FIGURES=$D/figures.txt
: >"$FIGURES"

stage_shared_database quiet

# ------------------------------------------------------------ helpers

# cg HOST ARGS...: the cordgate command line with host HOST's
# configuration, as an operator would run it there.
cg() {
    local host=$1
    shift
    "$BIN" --config "$D/host-$host.conf" "$@"
}

# url HOST PATH: through host HOST alone (0: through the upstream).
url() {
    printf 'http://127.0.0.1:%s%s\n' "${PORTS[$1]}" "$2"
}

# codes HOST TOKEN N [PATH]: the statuses of N concurrent GETs of PATH
# (default /v1/verify) through host HOST with TOKEN, one per line.
codes() {
    local host=$1 token=$2 n=$3 path=${4:-/v1/verify} i
    local -a args=()
    for ((i = 0; i < n; i++)); do
        args+=(-o /dev/null "$(url "$host" "$path")")
    done
    # A request that gets no answer is a 000, which no check takes.
    curl -s --no-progress-meter --max-time 10 --parallel --parallel-immediate \
        -H "Authorization: Bearer $token" -w '%{http_code}\n' "${args[@]}" ||
        true
}

# all_codes WANT HOST TOKEN N: every one of N concurrent requests gets WANT.
all_codes() {
    local want=$1 got
    shift
    got=$(codes "$@" | sort -u | tr '\n' ' ')
    [[ "$got" == "$want " ]] ||
        die "host $2: expected $want from every request, got: $got"
}

# authorize HOST: an access token from POST /v1/authorize through HOST,
# for the app APP_ID (the app token comes from `cordgate token server`).
authorize() {
    local host=$1 tok out
    tok=$(cg 1 token server --app "$APP_ID")
    out=$(curl -fsS --max-time 10 -H 'Content-Type: application/json' \
        -d "{\"signed_app_token\":\"$tok\"}" "$(url "$host" /v1/authorize)") ||
        die "host $host: POST /v1/authorize failed"
    jq -er .access_token <<<"$out"
}

# session_id TOKEN: the session_id claim of an access token.
session_id() {
    local p=${1#*.}
    p=${p%%.*}
    p=$(tr '_-' '/+' <<<"$p")
    while ((${#p} % 4)); do p+='='; done
    base64 -d <<<"$p" | jq -er .session_id
}

# ------------------------------------------------------------ the stack

# start_pgbouncer DIR: PgBouncer as shipped in front of the test database,
# trusting one user with a password of its own; sets PGB_URL (what the
# hosts connect with) and PGB_PID.
start_pgbouncer() {
    local pgb=$1 db_port=5432 pw
    [[ "$DB_URL" =~ port=([0-9]+) ]] && db_port=${BASH_REMATCH[1]}
    pw="multihost-$(openssl rand -hex 8)"
    SECRETS+=("$pw")
    pgbouncer_start "$pgb" "$DB_URL" "$db_port" "$pw"
}

# start_stack MODE: the hosts (each from a configuration file of its own)
# and nginx; sets PORTS (0: the upstream, 1..HOSTS: one host each).
start_stack() {
    local mode=$1 dir=$D/$1 url=$DB_URL i
    install -d -m 0755 "$dir"
    if [[ $mode == pgbouncer ]]; then
        start_pgbouncer "$dir/pgbouncer"
        url=$PGB_URL
    fi
    for ((i = 1; i <= HOSTS; i++)); do
        # The configuration a host would have in /etc/cordgate/cordgate.conf.
        (
            umask 077
            printf '%s\n' "DATABASE_URL=$url" "LISTEN=$dir/host-$i.sock" \
                "WORKERS=$WORKERS" "LOG_FILE=$dir/host-$i.log" \
                "PID_FILE=$dir/host-$i.pid" >"$D/host-$i.conf"
        )
        start_bg "host-$i" "$dir/host-$i.out" env \
            ASAN_OPTIONS="log_path=$D/sanitizer-$mode-$i:detect_leaks=1" \
            UBSAN_OPTIONS="log_path=$D/sanitizer-$mode-$i:print_stacktrace=1" \
            "$BIN" --config "$D/host-$i.conf" serve
        HOST_PIDS[i]=$LAST_PID
    done
    for ((i = 1; i <= HOSTS; i++)); do
        wait_for_socket "$dir/host-$i.sock" 30 "${HOST_PIDS[i]}"
    done
    PORTS=()
    for ((i = 0; i <= HOSTS; i++)); do
        free_port "PORTS[$i]"
    done
    nginx_conf_begin "$dir/nginx"
    NGINX_CONF_TEXT+="
    upstream cordgate_hosts {"
    for ((i = 1; i <= HOSTS; i++)); do
        NGINX_CONF_TEXT+="
        server \"unix:$dir/host-$i.sock\";"
    done
    NGINX_CONF_TEXT+="
    }
"
    nginx_conf_server "${PORTS[0]}" cordgate_hosts
    for ((i = 1; i <= HOSTS; i++)); do
        nginx_conf_server "${PORTS[i]}" "unix:$dir/host-$i.sock"
    done
    nginx_conf_end
    nginx_start "$dir/nginx"
    for ((i = 0; i <= HOSTS; i++)); do
        wait_http_200 "$(url "$i" /healthz)" 30 "$NGINX_PID"
    done
    log "$mode: $HOSTS hosts of $WORKERS workers up behind one upstream"
}

stop_stack() {
    local mode=$1 i
    nginx_stop
    for ((i = 1; i <= HOSTS; i++)); do
        stop_started "host-$i" 20
        ((!STOP_KILLED)) || die "$mode: host $i needed SIGKILL after SIGTERM"
        ((STOP_STATUS == 0)) || die "$mode: host $i exited $STOP_STATUS after SIGTERM"
    done
    if [[ $mode == pgbouncer ]]; then
        stop_started pgbouncer 20
    fi
}

# ------------------------------------------------------------ the checks

check_shared() {
    local mode=$1 out i access server body want got
    # An app created with host 1's configuration serves on every host at
    # once: nothing caches an app it has not seen.
    out=$(cg 1 app create --name "multihost-$mode")
    APP_ID=$(sed -n 's/^CORDGATE_APP_ID=//p' <<<"$out")
    APP_SECRET=$(sed -n 's/^CORDGATE_APP_SECRET=//p' <<<"$out")
    [[ -n "$APP_ID" && -n "$APP_SECRET" ]] || die "app create printed no app"
    SECRETS+=("$APP_SECRET")
    for ((i = 0; i <= HOSTS; i++)); do
        access=$(authorize "$i")
        TOKENS+=("$access")
    done
    log "$mode: an app created through host 1's configuration authorizes on every host"

    # An access token from one host is accepted by the others.
    access=$(authorize 1)
    TOKENS+=("$access")
    for ((i = 0; i <= HOSTS; i++)); do
        body=$(curl -fsS --max-time 10 -H "Authorization: Bearer $access" \
            "$(url "$i" /v1/verify)") || die "host $i refused host 1's access token"
        [[ $(jq -r .application_id <<<"$body") == "$APP_ID" ]] ||
            die "host $i: /v1/verify answered $body"
    done
    log "$mode: an access token from host 1 is accepted by every host and the upstream"

    # A user written through one host is read through another.
    server=$(cg 2 token server --app "$APP_ID")
    curl -fsS --max-time 10 -X PUT -H "Authorization: Bearer $server" \
        -H 'Content-Type: application/json' \
        -d '{"email":"fry@planetexpress.nny","name":"Philip J Fry","metadata":{"plan":"pro","seats":3}}' \
        "$(url 1 /v1/users/fry)" >/dev/null || die "PUT through host 1 failed"
    want='{"email":"fry@planetexpress.nny","name":"Philip J Fry","metadata":{"plan":"pro","seats":3}}'
    for ((i = 2; i <= HOSTS; i++)); do
        got=$(curl -fsS --max-time 10 -H "Authorization: Bearer $server" \
            "$(url "$i" /v1/users/fry)" | jq -cS '{email, name, metadata}')
        [[ "$got" == "$(jq -cS . <<<"$want")" ]] ||
            die "host $i reads $got, host 1 wrote $want"
    done
    curl -fsS --max-time 10 -X PUT -H "Authorization: Bearer $server" \
        -H 'Content-Type: application/json' -d '{"metadata":{"plan":"team"}}' \
        "$(url "$HOSTS" /v1/users/fry)" >/dev/null || die "PUT through host $HOSTS failed"
    got=$(curl -fsS --max-time 10 -H "Authorization: Bearer $server" \
        "$(url 1 /v1/users/fry)" | jq -c .metadata)
    [[ "$got" == '{"plan":"team"}' ]] || die "host 1 reads $got after host $HOSTS's change"
    log "$mode: a user written through one host is read through the others"
}

# check_propagation MODE: revoke a session and rotate the app's secret with
# --grace 0 while every worker of every host has both cached; time, on each
# host, until the access token and a server token signed with the old
# secret are refused for good.
check_propagation() {
    local mode=$1 access old new sid out now i k c
    access=$(authorize 0)
    TOKENS+=("$access")
    sid=$(session_id "$access")
    old=$(cg 1 token server --app "$APP_ID")
    TOKENS+=("$old")
    # Every worker of every host caches the session and the app.
    for ((k = 0; k < 2; k++)); do
        for ((i = 1; i <= HOSTS; i++)); do
            all_codes 200 "$i" "$access" $((WORKERS * 3))
            all_codes 200 "$i" "$old" $((WORKERS * 3))
        done
    done
    local -A first=() took=() t0=() seen=() tok=()
    tok[session]=$access
    tok[secret]=$old
    # Times count from each command's return: its change is committed.
    cg 2 session revoke --session "$sid" >/dev/null
    t0[session]=$(now_ms)
    out=$(cg 3 app rotate-secret --app "$APP_ID" --grace 0 2>/dev/null)
    t0[secret]=$(now_ms)
    APP_SECRET=$(sed -n 's/^CORDGATE_APP_SECRET=//p' <<<"$out")
    SECRETS+=("$APP_SECRET")
    log "$mode: session revoked through host 2's configuration, secret rotated (--grace 0) through host 3's"
    local -a args
    local key code line
    while ((${#took[@]} < HOSTS * 2)); do
        # One round: PARALLEL requests per host and probe still waited
        # for, all at once, each answer labelled with its host and probe.
        args=()
        for ((i = 1; i <= HOSTS; i++)); do
            for k in session secret; do
                [[ -z "${took[$i:$k]:-}" ]] || continue
                args+=(--next -H "Authorization: Bearer ${tok[$k]}"
                    -w "$i:$k %{http_code}\n")
                for ((c = 0; c < PARALLEL; c++)); do
                    args+=(-o /dev/null "$(url "$i" /v1/verify)")
                done
            done
        done
        seen=()
        while read -r key code; do
            seen[$key]+="$code "
        done < <(curl -s --no-progress-meter --max-time 10 --parallel \
            --parallel-immediate "${args[@]:1}" || true)
        now=$(now_ms)
        for key in "${!seen[@]}"; do
            k=${key#*:}
            case " ${seen[$key]}" in
            *" 200 "*) unset "first[$key]" ;;
            *)
                [[ " ${seen[$key]}" =~ ^( 401)+\ $ ]] ||
                    die "host ${key%%:*}: unexpected answers to the $k probe: ${seen[$key]}"
                [[ -n "${first[$key]:-}" ]] || first[$key]=$now
                if ((now - ${first[$key]} >= HOLD_MS)); then
                    took[$key]=$((${first[$key]} - ${t0[$k]}))
                fi
                ;;
            esac
        done
        if ((now - t0[session] > CACHE_MS + MARGIN_MS + HOLD_MS + 2000)); then
            for ((i = 1; i <= HOSTS; i++)); do
                for k in session secret; do
                    [[ -n "${took[$i:$k]:-}" ]] || err "host $i: the $k change has not arrived"
                done
            done
            die "$mode: a change took longer than the cache bound"
        fi
        sleep 0.05
    done
    local worst=0 ms
    for ((i = 1; i <= HOSTS; i++)); do
        line="$mode: host $i: revoked session refused after ${took[$i:session]} ms, old secret after ${took[$i:secret]} ms"
        printf '%s\n' "$line" | tee -a "$FIGURES"
        for k in session secret; do
            ms=${took[$i:$k]}
            if ((ms > worst)); then
                worst=$ms
            fi
        done
    done
    ((worst <= CACHE_MS + MARGIN_MS)) ||
        die "$mode: $worst ms is more than the cache bound ($CACHE_MS ms) and its margin"
    # The new secret works on every host; the revoked token nowhere.
    new=$(cg 1 token server --app "$APP_ID")
    TOKENS+=("$new")
    for ((i = 0; i <= HOSTS; i++)); do
        all_codes 200 "$i" "$new" "$PARALLEL"
        all_codes 401 "$i" "$access" "$PARALLEL"
    done
    # Rotated again while every worker holds the app: a token signed with
    # the newest secret works at once on every host.
    out=$(cg 2 app rotate-secret --app "$APP_ID" --grace 0 2>/dev/null)
    APP_SECRET=$(sed -n 's/^CORDGATE_APP_SECRET=//p' <<<"$out")
    SECRETS+=("$APP_SECRET")
    new=$(cg 1 token server --app "$APP_ID")
    TOKENS+=("$new")
    for ((i = 0; i <= HOSTS; i++)); do
        all_codes 200 "$i" "$new" $((WORKERS * 3))
    done
    log "$mode: a secret rotated a moment ago works at once on every host"
    [[ $'\n'"$(cg 1 app list)" == *$'\n'"$APP_ID"$'\t'* ]] ||
        die "app list does not show $APP_ID"
}

# No secret, password or token in any log or output under DIR.
check_logs() {
    local dir=$1 f t bad=0
    local -a files
    mapfile -t files < <(find "$dir" -type f \( -name '*.log' -o -name '*.out' \))
    for f in "${files[@]}"; do
        for t in "${SECRETS[@]}" "${TOKENS[@]}"; do
            [[ -n "$t" ]] || continue
            t=${t##*.} # a token's signature, or the secret itself
            if grep -qF -- "$t" "$f"; then
                err "a secret or token (${t:0:8}...) appears in $f"
                bad=1
            fi
        done
    done
    ((!bad)) || die "secrets in the logs"
}

check_sanitizers() {
    local f found=0
    for f in "$D"/sanitizer-*; do
        [[ -e "$f" ]] || continue
        err "sanitizer report: $f"
        head -n 60 -- "$f" >&2
        found=1
    done
    ((!found)) || die "sanitizer reports"
}

# ------------------------------------------------------------ the run

SECRETS=()
TOKENS=()
declare -a HOST_PIDS=() PORTS=()
for mode in "${MODES[@]}"; do
    section "several hosts: $mode"
    start_stack "$mode"
    check_shared "$mode"
    check_propagation "$mode"
    if [[ $mode == pgbouncer ]]; then
        grep -q 'a connection pooler is between cordgate and PostgreSQL' \
            "$D/$mode/host-1.log" || die "host 1 did not see PgBouncer"
        ! grep -q 'prepared statement' "$D"/"$mode"/host-*.log ||
            die "a prepared statement failed behind PgBouncer"
    fi
    stop_stack "$mode"
    check_logs "$D/$mode"
done
check_sanitizers
log "several hosts: every check passed"
