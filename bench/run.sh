#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The report's markdown quotes code in backticks inside single quotes:
# shellcheck disable=SC2016
# bench/run.sh: cordgate under wrk, behind nginx, side by side with its peers
# (PHP-FPM and Node doing the same work, the seeds' Node as written) and the
# machine's ceilings (nginx alone, a libfcgi hello, pgbench on cordgate's
# upsert, HMAC-SHA512/s). See bench/README.md.
#
#   bench/run.sh                  full run (about 13 min on 2 cores), commits
#                                 synced to disk, unsynced as a second column
#   bench/run.sh --quick          smoke run: cordgate only, ~1 s per endpoint,
#                                 fails on any non-2xx or socket error
#   bench/run.sh --check          each peer answers each endpoint as cordgate
#   bench/run.sh --scale          costs as the data grows (10^7 users and
#                                 sessions, the list over 10^6 users)
#   bench/run.sh --batch          POST /v1/batch of 10, 10^3, 10^4 users;
#                                 group members 10^5 vs 10^3; member add vs
#                                 PUT new user (commits synced to disk)
#
# Everything it starts (PostgreSQL, nginx, cordgate, php-fpm, node, hello)
# lives in a private work directory and is stopped by PID at exit.
set -euo pipefail

BENCH=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname -- "$BENCH")
# shellcheck source=../tests/lib/common.sh
. "$ROOT/tests/lib/common.sh"
# shellcheck source=../tests/lib/pg.sh
. "$ROOT/tests/lib/pg.sh"
# shellcheck source=../tests/lib/nginx.sh
. "$ROOT/tests/lib/nginx.sh"

COMMAND_LINE="bench/run.sh${*:+ $*}"

usage() {
    cat <<'EOF'
usage: bench/run.sh [--quick | --check | --scale | --latency | --batch | --alternate] [options]

  (no mode)           the full run: cordgate, the peers and the ceilings,
                      commits synced to disk, the writing endpoints again
                      unsynced as a second column; FastCGI keep-alive off and
                      on at 25, 50 and 100 % load (about 13 minutes)
  --quick             smoke run: cordgate only, each endpoint ~1 s at 16
                      connections; fails on any non-2xx or socket error
  --check             correctness only: every peer (cordgate, php, node,
                      node-seed) answers every endpoint once; each answer's
                      status, content type and body shape must be cordgate's
  --scale             cordgate as the data grows: GET and PUT users with
                      10^3 users and then 10^7 (COPY), authorize before and
                      after 10^7 session rows, GET /v1/users?filter= over
                      10^3 and 10^6 users (see --scale-n)
  --scale-n N         the large count of --scale (default 10000000): N users
                      and N sessions, the list over N/10 users; a small N
                      (100000) checks the mode end to end in a few minutes
  --latency           p50/p99 at 64 connections under a paced load of 25,
                      50 and 75 % of each endpoint's throughput (cordgate
                      only, about 5 minutes)
  --batch             groups and batch, commits synced to disk: POST
                      /v1/batch of 10, 1 000 and 10 000 new users (the last
                      with 1 000 groups of 10), 3 times each, median time
                      and the serving worker's peak RSS; GET
                      /v1/groups/<ID>/members?limit=1000 with 10^5 members
                      vs 10^3; POST /v1/groups/<ID>/members {add} vs PUT
                      /v1/users/<new id> (about 2 minutes)
  --alternate         cordgate and PHP-FPM both running, each endpoint
                      measured on one then the other, in 3 rounds whose
                      order alternates (cordgate first, then PHP-FPM first):
                      ratios that a machine whose speed drifts between the
                      phases of a full run cannot bias (about 7 minutes)
  --out FILE          write the markdown report to FILE (default for a full,
                      check, scale, latency or batch run:
                      bench/results/<date>[-mode].md; --quick: none)
  --bin PATH          use this cordgate binary instead of building
                      build-bench/ (Release)
  --seconds N         measured seconds per wrk run (default 10; --quick: 1)
  --conns LIST        comma-separated connection counts of the full run's
                      main matrix (default 64; e.g. 16,64)
  --only LIST         comma-separated subset of the full run: php, node,
                      node-seed, node-1p, node-seed-1p, keepalive, sweep,
                      nginx, hello, pgbench, hmac (groups: refs, ceilings;
                      default: all but node-1p and node-seed-1p); cordgate
                      itself always runs. With --check: php, node,
                      node-seed. With --batch, a subset of its parts:
                      batch, list, add, put.
  --no-fsync          the private PostgreSQL does not sync commits (fsync,
                      full_page_writes and synchronous_commit off) for the
                      whole run, and there is no second column: the CPU
                      path alone (--quick and --check run so by default)
  --fsync             commits synced to disk (the default of full, scale,
                      latency and batch runs; for --quick and --check too)
  --database-url URL  use this PostgreSQL (libpq URI or conninfo) instead of
                      starting a private one; `cordgate migrate` is run on
                      it, and its sync settings are left as they are (no
                      unsynced column)
  --app-id ID         use this existing app (needs --app-secret) instead of
                      creating one with `cordgate app create`
  --app-secret S
  --keep-work         keep the work directory (logs, configs) at the end
  -h, --help          this text
EOF
}

# ---------------------------------------------------------------- options

MODE=full
FSYNC=
CONNS_LIST=64
SCALE_N=10000000
OUT=
BIN=
RUN_SECONDS=
ONLY=all
DB_URL=
APP_ID=
APP_SECRET=
KEEP_WORK=0

while (($# > 0)); do
    case $1 in
    --quick) MODE=quick ;;
    --check) MODE=check ;;
    --scale) MODE=scale ;;
    --scale-n) SCALE_N=${2:?--scale-n needs a number}; shift ;;
    --conns) CONNS_LIST=${2:?--conns needs a list}; shift ;;
    --no-fsync) FSYNC=off ;;
    --latency) MODE=latency ;;
    --batch) MODE="batch" ;;
    --alternate) MODE="alternate" ;;
    --fsync) FSYNC=on ;;
    --out) OUT=${2:?--out needs a file}; shift ;;
    --bin) BIN=${2:?--bin needs a path}; shift ;;
    --seconds) RUN_SECONDS=${2:?--seconds needs a number}; shift ;;
    --only) ONLY=${2:?--only needs a list}; shift ;;
    --database-url) DB_URL=${2:?--database-url needs a URL}; shift ;;
    --app-id) APP_ID=${2:?--app-id needs an id}; shift ;;
    --app-secret) APP_SECRET=${2:?--app-secret needs a secret}; shift ;;
    --keep-work) KEEP_WORK=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

if [[ -z "$RUN_SECONDS" ]]; then
    if [[ $MODE == quick ]]; then RUN_SECONDS=1; else RUN_SECONDS=10; fi
fi
[[ "$RUN_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "--seconds wants a positive integer"
if [[ ! "$SCALE_N" =~ ^[1-9][0-9]*$ ]] || ((SCALE_N < 10000)); then
    die "--scale-n wants an integer of at least 10000"
fi
[[ "$CONNS_LIST" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
    die "--conns wants a comma-separated list of positive integers"
CONNS=${CONNS_LIST//,/ }
[[ $MODE != quick ]] || CONNS=16
if [[ -n "$APP_ID" && -z "$APP_SECRET" ]] || [[ -z "$APP_ID" && -n "$APP_SECRET" ]]; then
    die "--app-id and --app-secret go together"
fi
# Commits are synced to disk, as in production, unless --no-fsync; the
# smoke and correctness runs judge no speed and skip the wait.
if [[ -z "$FSYNC" ]]; then
    case $MODE in
    quick | check) FSYNC=off ;;
    *) FSYNC=on ;;
    esac
fi
[[ $MODE != batch || $FSYNC == on ]] || die "--batch measures synced commits: no --no-fsync"
WARMUP=2
((RUN_SECONDS >= 2)) || WARMUP=1
[[ $MODE != quick ]] || WARMUP=0

DEFAULT_REFS="php node node-seed keepalive sweep nginx hello pgbench hmac"
ALL_REFS="$DEFAULT_REFS node-1p node-seed-1p"
SELECTED=" "
if [[ $MODE == full ]]; then
    for r in ${ONLY//,/ }; do
        case $r in
        all) SELECTED+="$DEFAULT_REFS " ;;
        refs) SELECTED+="php node node-seed " ;;
        ceilings) SELECTED+="nginx hello pgbench hmac " ;;
        cordgate) ;;
        php | node | node-seed | node-1p | node-seed-1p | keepalive | sweep | nginx | hello | pgbench | hmac)
            SELECTED+="$r " ;;
        *) die "--only: unknown reference '$r' (know: $ALL_REFS)" ;;
        esac
    done
elif [[ $MODE == check ]]; then
    for r in ${ONLY//,/ }; do
        case $r in
        all) SELECTED+="php node node-seed " ;;
        cordgate) ;;
        php | node | node-seed) SELECTED+="$r " ;;
        *) die "--only with --check: unknown peer '$r' (know: php node node-seed)" ;;
        esac
    done
elif [[ $MODE == batch ]]; then
    for r in ${ONLY//,/ }; do
        case $r in
        all) SELECTED+="batch list add put " ;;
        batch | list | add | put) SELECTED+="$r " ;;
        *) die "--only with --batch: unknown part '$r' (know: batch list add put)" ;;
        esac
    done
fi
want() { [[ "$SELECTED" == *" $1 "* ]]; }

# A developer's own CORDGATE_* settings must not leak into the servers.
while IFS= read -r v; do
    unset "$v"
done < <(compgen -e | grep '^CORDGATE_' || true)

NPROC=$(nproc)
ENDPOINTS=(token authorize put_new put_old get_user)
declare -A ENDPOINT_NAME=(
    [token]="GET /generate-cord-token"
    [authorize]="POST /v1/authorize"
    [put_new]="PUT /v1/users/<new id>"
    [put_old]="PUT /v1/users/<existing id>"
    [get_user]="GET /v1/users/<id>"
    [list_narrow]="GET /v1/users?filter=, narrow"
    [list_broad]="GET /v1/users?filter=, broad"
    [members_1e3]="GET /v1/groups/<ID>/members?limit=1000, 10^3 members"
    [members_1e5]="GET /v1/groups/<ID>/members?limit=1000, 10^5 members"
    [members_add]="POST /v1/groups/<ID>/members {add: [one id]}"
)
PRELOAD=1000          # existing users e1..e1000
SWEEP_WORKERS=(2 4 8 16)
SWEEP_ENDPOINTS=(token authorize put_old)
# The endpoints that write: with commits synced by default, the full run
# measures them again unsynced (SECOND_COLUMN) for cordgate, PHP and Node.
SYNC_ENDPOINTS=(authorize put_new put_old)
SECOND_COLUMN=0
# FastCGI keep-alive: cordgate through a second nginx upstream with
# fastcgi_keep_conn on and keepalive KA_CACHE (the shipped TCP file's 8),
# every endpoint at 64 connections at
# full speed and, like one connection per request, paced to KA_LEVELS percent
# of the unpaced req/s with one connection per request: both modes face the
# same offered rates. --quick runs every endpoint this way at 16 unpaced.
KA_LEVELS=(25 50)
KA_CACHE=8
# --latency: offered loads, in percent of the endpoint's unpaced req/s.
PACE_LEVELS=(25 50 75)
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- the plan
#
# Full run (about 13 minutes with the default 10 s runs): cordgate (default
# workers), PHP-FPM and Node (KeyObject secrets, cluster) on every endpoint
# at each of CONNS, commits synced, then the writing endpoints unsynced;
# Node as the seed writes it (string secrets, cluster) at 64 on the test
# token and PUT existing; cordgate with keep-alive and both modes paced; the
# worker sweep; the ceilings (the libfcgi hello in both connection modes,
# pgbench synced and unsynced). Each (backend, endpoint) gets one warm-up of
# WARMUP s at 64 connections before its measured runs.

# plan_runs: print "backend endpoint conns..." lines of the main matrix.
plan_runs() {
    local e
    for e in "${ENDPOINTS[@]}"; do printf 'cordgate %s %s\n' "$e" "$CONNS"; done
    if want php; then
        for e in "${ENDPOINTS[@]}"; do printf 'php %s %s\n' "$e" "$CONNS"; done
    fi
    if want node; then
        for e in "${ENDPOINTS[@]}"; do printf 'node %s %s\n' "$e" "$CONNS"; done
    fi
    if want node-seed; then
        for e in token put_old; do printf 'node-seed %s 64\n' "$e"; done
    fi
    if want node-1p; then
        printf 'node-1p token 64\n'
    fi
    if want node-seed-1p; then
        printf 'node-seed-1p token 64\n'
    fi
    if want nginx; then printf 'nginx token %s\n' "$CONNS"; fi
    if want hello; then printf 'hello token %s\n' "$CONNS"; fi
}

# planned_conns BACKEND ENDPOINT: the connection counts the plan gives it.
planned_conns() {
    plan_runs | awk -v b="$1" -v e="$2" '$1 == b && $2 == e { for (i = 3; i <= NF; i++) print $i }'
}

estimate_seconds() {
    local total=60 backend endpoint conns c n=0 nconns
    if [[ $MODE == quick ]]; then
        printf '%s\n' $((15 + 2 * ${#ENDPOINTS[@]} * (RUN_SECONDS + 1)))
        return
    fi
    if [[ $MODE == check ]]; then
        printf '%s\n' 60
        return
    fi
    if [[ $MODE == scale ]]; then
        # The runs, and the loads: about 20 s per 10^6 users and 40 s per
        # 10^6 sessions here (COPY, then VACUUM ANALYZE).
        printf '%s\n' $((60 + 9 * (WARMUP + RUN_SECONDS) + SCALE_N * 6 / 100000))
        return
    fi
    if [[ $MODE == latency ]]; then
        printf '%s\n' $((15 + ${#ENDPOINTS[@]} * (WARMUP + (2 + ${#PACE_LEVELS[@]}) * RUN_SECONDS)))
        return
    fi
    if [[ $MODE == batch ]]; then
        printf '%s\n' $((40 + 4 * (WARMUP + RUN_SECONDS)))
        return
    fi
    if [[ $MODE == alternate ]]; then
        printf '%s\n' $((30 + ALT_ROUNDS * 2 * ${#ENDPOINTS[@]} * (WARMUP + RUN_SECONDS)))
        return
    fi
    while read -r backend endpoint conns; do
        total=$((total + WARMUP))
        for c in $conns; do total=$((total + RUN_SECONDS)); done
    done < <(plan_runs)
    nconns=$(wc -w <<<"$CONNS")
    if [[ -z "$DB_URL" && $FSYNC == on ]]; then
        n=1
        if want php; then n=$((n + 1)); fi
        if want node; then n=$((n + 1)); fi
        total=$((total + n * ${#SYNC_ENDPOINTS[@]} * nconns * RUN_SECONDS + 2 * n))
        # wait_profiles: cordgate and PHP-FPM
        n=1
        if want php; then n=2; fi
        total=$((total + n * ${#SYNC_ENDPOINTS[@]} * (WAIT_SECONDS + 1)))
    fi
    if want keepalive; then
        total=$((total + ${#ENDPOINTS[@]} * (1 + 2 * ${#KA_LEVELS[@]}) * RUN_SECONDS))
        if want hello; then total=$((total + WARMUP + RUN_SECONDS + 3)); fi
    fi
    if want sweep; then
        total=$((total + (${#SWEEP_WORKERS[@]} - 1) * (${#SWEEP_ENDPOINTS[@]} *
            (WARMUP + RUN_SECONDS) + 3)))
    fi
    if want pgbench; then total=$((total + 12 * RUN_SECONDS + 10)); fi
    if want hmac; then total=$((total + 3)); fi
    if want php; then total=$((total + 5)); fi
    if want node || want node-seed || want node-1p || want node-seed-1p; then
        total=$((total + 20))
    fi
    printf '%s\n' "$total"
}

# ---------------------------------------------------------------- tools

need_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "$1 not found${2:+ ($2)}"
}

check_tools() {
    local -a pkgs=(wrk nginx curl openssl libfcgi-dev)
    if [[ $MODE == alternate ]]; then pkgs+=(php8.2-fpm php8.2-pgsql php8.2-apcu); fi
    if [[ $MODE == full || $MODE == check ]]; then
        if want php; then pkgs+=(php8.2-fpm php8.2-pgsql php8.2-apcu); fi
        if want pgbench; then pkgs+=(postgresql-contrib); fi
    fi
    [[ $MODE != check ]] || pkgs+=(jq)
    [[ -n "$DB_URL" ]] || pkgs+=(postgresql)
    [[ -n "$BIN" ]] || pkgs+=(cmake)
    ensure_packages "${pkgs[@]}"
    need_cmd wrk
    need_cmd curl
    need_cmd openssl
    need_cmd cc
    if [[ $MODE == full || $MODE == check ]] && { want node || want node-seed ||
        want node-1p || want node-seed-1p; }; then
        need_cmd node "Node.js 20 for the seed stack"
        need_cmd npm
    fi
}

# ---------------------------------------------------------------- work dir

WORK=
PG_STARTED=0
SERVERS_UP=0

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
    local status=$?
    set +e
    if ((status != 0 && SERVERS_UP)) && [[ -n "$WORK" ]]; then
        local f
        for f in "$WORK"/*.log "$WORK/nginx/error.log"; do
            show_tail "$f" 20
        done
    fi
    stop_all_started
    if ((PG_STARTED)); then
        pg_stop "$WORK/pg"
    fi
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if ((KEEP_WORK || status != 0)); then
            log "work directory kept: $WORK"
        else
            rm -rf -- "$WORK"
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build

build_cordgate() {
    if [[ -n "$BIN" ]]; then
        BIN=$(realpath -- "$BIN")
        [[ -x "$BIN" ]] || die "--bin $BIN is not an executable"
        return
    fi
    section "build (Release, build-bench/)"
    cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release \
        >"$WORK/build.log" 2>&1 || {
        show_tail "$WORK/build.log"
        die "cmake configure failed"
    }
    cmake --build "$ROOT/build-bench" -j"$NPROC" --target cordgate \
        >>"$WORK/build.log" 2>&1 || {
        show_tail "$WORK/build.log"
        die "build failed"
    }
    BIN=$ROOT/build-bench/cordgate
}

# build_c NAME LIBS...: compile bench/ref/NAME.c into the work directory.
build_c() {
    local name=$1
    shift
    cc -O2 -Wall -Wextra -Werror -o "$WORK/$name" "$BENCH/ref/$name.c" "$@" ||
        die "cannot compile bench/ref/$name.c"
}

# ---------------------------------------------------------------- database

psql_db() {
    "$PG_BIN/psql" -XqAt -v ON_ERROR_STOP=1 -d "$DB_URL" "$@"
}

setup_database() {
    section "database"
    if [[ -z "$DB_URL" ]]; then
        if [[ $FSYNC == on ]]; then
            PG_FSYNC=on pg_setup "$WORK/pg" >/dev/null
            PG_FSYNC=on pg_start "$WORK/pg" >/dev/null
            pg_ensure_db cordgate >/dev/null
        else
            pg_start_throwaway "$WORK/pg" >/dev/null
        fi
        PG_STARTED=1
        DB_URL=$PG_CONNINFO
        PG_PID=$(head -n1 "$WORK/pg/data/postmaster.pid")
        if [[ $FSYNC == on ]]; then
            pg_sync on
            SECOND_COLUMN=1
        else
            pg_sync off
        fi
    fi
    CORDGATE_DATABASE_URL=$DB_URL "$BIN" migrate >"$WORK/migrate.log" 2>&1 || {
        show_tail "$WORK/migrate.log"
        die "cordgate migrate failed"
    }
    if [[ -z "$APP_ID" ]]; then
        local out line
        out=$(CORDGATE_DATABASE_URL=$DB_URL "$BIN" app create --name bench)
        while IFS= read -r line; do
            case $line in
            CORDGATE_APP_ID=*) APP_ID=${line#*=} ;;
            CORDGATE_APP_SECRET=*) APP_SECRET=${line#*=} ;;
            esac
        done <<<"$out"
        [[ -n "$APP_ID" && -n "$APP_SECRET" ]] ||
            die "cordgate app create printed no app: $out"
    fi
    log "app $APP_ID"
    ACCESS_SECRET=$(psql_db <<<"SELECT value FROM settings WHERE key = 'access_token_secret'")
    [[ -n "$ACCESS_SECRET" ]] || die "no access-token secret in settings after migrate"
    preload_users e "$PRELOAD"
}

# settle: what the build and the loads left for the disk goes to it before
# anything is measured (the kernel's dirty pages, PostgreSQL's buffers), so
# that the first runs do not share the disk with that writeback.
settle() {
    local t=$SECONDS
    if ((PG_STARTED)); then psql_db <<<"CHECKPOINT" >/dev/null; fi
    sync
    log "settled: checkpoint and sync in $((SECONDS - t)) s"
}

# pg_sync on|off: the private PostgreSQL syncs its commits to disk (fsync,
# full_page_writes, synchronous_commit: production's defaults) or not. All
# three take effect on a reload, in open sessions too.
pg_sync() {
    local v=$1 i
    psql_db -c "ALTER SYSTEM SET fsync = $v" \
        -c "ALTER SYSTEM SET full_page_writes = $v" \
        -c "ALTER SYSTEM SET synchronous_commit = $v" \
        -c 'SELECT pg_reload_conf()' >/dev/null
    for ((i = 0; i < 50; i++)); do
        [[ "$(psql_db -c 'SHOW fsync' -c 'SHOW synchronous_commit' | tr '\n' ' ')" == "$v $v " ]] &&
            return 0
        sleep 0.1
    done
    die "PostgreSQL did not take fsync = $v"
}

# preload_users PREFIX N: users PREFIX1..PREFIXN of the app, as a PUT with
# {email, name} writes them (straight into the table, in one statement).
preload_users() {
    local prefix=$1 n=$2 from=${3:-1}
    psql_db -v app="$APP_ID" -v prefix="$prefix" -v n="$n" -v from="$from" <<'EOF'
INSERT INTO users (app_id, id, email, name)
SELECT :'app'::uuid, :'prefix' || g, :'prefix' || g || '@bench.example',
       'Bench ' || :'prefix' || g
FROM generate_series(:from::int, :n::int) AS g
ON CONFLICT (app_id, id) DO NOTHING;
EOF
}

# ---------------------------------------------------------------- tokens

b64url() {
    openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# jwt_hs512 PAYLOAD_JSON SECRET: what jsonwebtoken.sign(payload, secret,
# {algorithm: 'HS512'}) writes (the same header, the secret's bytes as key).
jwt_hs512() {
    local input
    input="$(printf '%s' '{"alg":"HS512","typ":"JWT"}' | b64url).$(printf '%s' "$1" | b64url)"
    printf '%s.%s\n' "$input" \
        "$(printf '%s' "$input" | openssl dgst -sha512 -hmac "$2" -binary | b64url)"
}

# A signed app token for POST /v1/authorize, valid for the whole run (the
# SDK's are valid one minute; iat is what counts for the 24 h maximum age).
make_app_token() {
    local now
    now=$(date +%s)
    APP_TOKEN=$(jwt_hs512 "{\"app_id\":\"$APP_ID\",\"iat\":$now,\"exp\":$((now + 3600))}" "$APP_SECRET")
}

# ---------------------------------------------------------------- nginx

declare -A PORT=()

setup_nginx() {
    local p
    for p in cordgate cordgate-ka php node nginx hello hello-ka; do
        free_port "PORT[$p]"
    done
    nginx_conf_begin "$WORK/nginx"
    # worker_processes auto: one per core (2 here), sharing the cores with
    # everything else as in production.
    NGINX_CONF_TEXT=${NGINX_CONF_TEXT/worker_processes 2;/worker_processes auto;}
    NGINX_CONF_TEXT+="
    # bench/run.sh: one server block per backend, no access log anywhere.
    upstream node_backend {
        server 127.0.0.1:${PORT[node_backend]:-0};
        keepalive 64;
    }
    server {
        listen 127.0.0.1:${PORT[cordgate]};
        access_log off;
        # A batch of 10 000 users is over nginx's default 1 MiB.
        client_max_body_size 16m;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass unix:$WORK/cordgate.sock;
        }
    }
    upstream cordgate_keepalive {
        server unix:$WORK/cordgate.sock;
        keepalive $KA_CACHE;
    }
    server {
        listen 127.0.0.1:${PORT[cordgate-ka]};
        access_log off;
        client_max_body_size 16m;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_keep_conn on;
            fastcgi_pass cordgate_keepalive;
        }
    }
    server {
        listen 127.0.0.1:${PORT[php]};
        access_log off;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME $BENCH/ref/php/index.php;
            fastcgi_param SCRIPT_NAME /index.php;
            fastcgi_param BENCH_DATABASE_URL \"$DB_URL\";
            fastcgi_param BENCH_APP_ID $APP_ID;
            # The peer's secrets, from its configuration (index.php).
            fastcgi_param BENCH_APP_SECRET \"$APP_SECRET\";
            fastcgi_param BENCH_ACCESS_SECRET \"$ACCESS_SECRET\";
            fastcgi_pass unix:$WORK/php.sock;
        }
    }
    server {
        listen 127.0.0.1:${PORT[node]};
        access_log off;
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_set_header Host \$host;
            proxy_pass http://node_backend;
        }
    }
    server {
        listen 127.0.0.1:${PORT[nginx]};
        access_log off;
        location / {
            default_type application/json;
            return 200 '{\"hello\":\"world\"}';
        }
    }
    server {
        listen 127.0.0.1:${PORT[hello]};
        access_log off;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_pass unix:$WORK/hello.sock;
        }
    }
    upstream hello_keepalive {
        server unix:$WORK/hello.sock;
        keepalive $KA_CACHE;
    }
    server {
        listen 127.0.0.1:${PORT[hello-ka]};
        access_log off;
        location / {
            include /etc/nginx/fastcgi_params;
            fastcgi_keep_conn on;
            fastcgi_pass hello_keepalive;
        }
    }
"
    nginx_conf_end
    nginx_start "$WORK/nginx"
    SERVERS_UP=1
}

# ---------------------------------------------------------------- backends

BACKEND_PID=
CORDGATE_WORKERS_RUNNING=

# count_children PID
count_children() {
    child_pids "$1" | wc -l
}

# wait_children PID N TIMEOUT: until PID has N children.
wait_children() {
    local pid=$1 n=$2 deadline=$((SECONDS + $3))
    while (($(count_children "$pid") < n)); do
        pid_alive "$pid" || die "pid $pid exited at start"
        ((SECONDS < deadline)) || die "pid $pid has not $n children after $3 s"
        sleep 0.1
    done
}

# cordgate_start [WORKERS]: cordgate serve on the unix socket; the default
# worker count (auto) without WORKERS.
cordgate_start() {
    local workers=${1:-}
    local -a env=(
        "CORDGATE_DATABASE_URL=$DB_URL"
        "CORDGATE_LISTEN=$WORK/cordgate.sock"
        "CORDGATE_LISTEN_MODE=0666"
        "CORDGATE_TEST_TOKENS=1"
        "CORDGATE_TEST_APP_ID=$APP_ID"
        "CORDGATE_LOG_LEVEL=warn"
        "CORDGATE_PID_FILE=$WORK/cordgate.pid"
    )
    [[ -z "$workers" ]] || env+=("CORDGATE_WORKERS=$workers")
    rm -f -- "$WORK/cordgate.sock"
    start_bg cordgate "$WORK/cordgate.log" env "${env[@]}" "$BIN" serve
    BACKEND_PID=$LAST_PID
    wait_for_socket "$WORK/cordgate.sock" 30 "$BACKEND_PID"
    wait_http_200 "http://127.0.0.1:${PORT[cordgate]}/healthz" 30 "$BACKEND_PID"
    if [[ -n "$workers" ]]; then
        wait_children "$BACKEND_PID" "$workers" 15
    fi
    sleep 0.3
    CORDGATE_WORKERS_RUNNING=$(count_children "$BACKEND_PID")
    log "cordgate: $CORDGATE_WORKERS_RUNNING workers"
}

php_start() {
    local workers=$1
    cat >"$WORK/php-fpm.conf" <<EOF
; Written by bench/run.sh.
[global]
pid = $WORK/php-fpm.pid
error_log = $WORK/php-fpm.log
daemonize = no

[bench]
listen = $WORK/php.sock
listen.mode = 0666
listen.backlog = 1024
pm = static
pm.max_children = $workers
pm.max_requests = 0
clear_env = yes
; OPcache on (-d opcache.enable=1 on the command line: a pool cannot turn
; it on), and no stat of index.php per request (production's
; validate_timestamps = 0); APCu for the app and session caches.
php_admin_flag[opcache.validate_timestamps] = off
php_admin_flag[apc.enabled] = on
php_admin_value[apc.shm_size] = 32M
catch_workers_output = yes
php_admin_value[error_log] = $WORK/php-error.log
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
EOF
    rm -f -- "$WORK/php.sock"
    local -a root=()
    ((EUID != 0)) || root=(-R)
    start_bg php-fpm "$WORK/php-fpm.out" php-fpm8.2 -F -O "${root[@]}" -d opcache.enable=1 \
        -y "$WORK/php-fpm.conf"
    BACKEND_PID=$LAST_PID
    wait_for_socket "$WORK/php.sock" 30 "$BACKEND_PID"
    wait_children "$BACKEND_PID" "$workers" 15
}

# node_start seed|key PROCESSES: the seed stack; PROCESSES 0 = one process.
node_start() {
    local secrets=$1 procs=$2
    local -a env=(
        "BENCH_DATABASE_URL=$DB_URL"
        "BENCH_APP_ID=$APP_ID"
        "BENCH_PORT=${PORT[node_backend]}"
        "BENCH_CLUSTER=$procs"
        "BENCH_KEYOBJECT=$([[ $secrets == key ]] && echo 1 || echo 0)"
        "NODE_ENV=production"
    )
    start_bg node "$WORK/node.log" env "${env[@]}" node "$BENCH/ref/node/server.js"
    BACKEND_PID=$LAST_PID
    wait_http_200 "http://127.0.0.1:${PORT[node_backend]}/generate-cord-token" 30 "$BACKEND_PID"
    if ((procs > 0)); then
        wait_children "$BACKEND_PID" "$procs" 15
        local deadline=$((SECONDS + 15)) up
        # Every cluster worker listening: ask until each has answered.
        while :; do
            up=$(grep -c 'node reference (pid' "$WORK/node.log" || true)
            ((up >= procs * NODE_STARTS)) && break
            ((SECONDS < deadline)) || die "node cluster did not start $procs workers"
            sleep 0.1
        done
    fi
}
NODE_STARTS=0

# hello_start WORKERS [keep]: the libfcgi hello; `keep` serves kept
# connections (bench/ref/hello.c).
hello_start() {
    local workers=$1
    rm -f -- "$WORK/hello.sock"
    start_bg hello "$WORK/hello.log" "$WORK/hello" "$WORK/hello.sock" "$workers" ${2:+"$2"}
    BACKEND_PID=$LAST_PID
    wait_for_socket "$WORK/hello.sock" 15 "$BACKEND_PID"
    wait_children "$BACKEND_PID" "$workers" 15
}

backend_stop() {
    local name=$1
    stop_started "$name" 20
    BACKEND_PID=
}

# ---------------------------------------------------------------- checks

# check_answer WHAT STATUS BODY WANT_STATUS WANT_IN_BODY
check_answer() {
    if [[ "$2" != "$4" || "$3" != *"$5"* ]]; then
        err "$1: answered $2 (want $4 with '$5'):"
        printf '%s\n' "$3" | head -c 600 >&2
        printf '\n' >&2
        exit 1
    fi
}

# curl_call METHOD URL [BODY] [TOKEN]: sets CODE and BODY.
curl_call() {
    local method=$1 url=$2 data=${3:-} token=${4:-} out
    local -a args=(-s -X "$method" --max-time 10 -w '\n%{http_code}')
    [[ -z "$data" ]] || args+=(-H 'Content-Type: application/json' -d "$data")
    [[ -z "$token" ]] || args+=(-H "Authorization: Bearer $token")
    out=$(curl "${args[@]}" -- "$url") || true
    CODE=${out##*$'\n'}
    BODY=${out%$'\n'*}
}

# check_backend NAME PORT: every endpoint once, with the answers cordgate
# gives; sets ACCESS_TOKEN to the access token this backend issued.
check_backend() {
    local name=$1 base="http://127.0.0.1:$2" id="chk-$1-$RUN_TAG-$RANDOM"
    curl_call GET "$base/generate-cord-token?userIndex=1"
    check_answer "$name GET /generate-cord-token" "$CODE" "$BODY" 200 '"clientAuthToken":"eyJ'
    curl_call POST "$base/v1/authorize" "{\"signed_app_token\":\"$APP_TOKEN\"}"
    check_answer "$name POST /v1/authorize" "$CODE" "$BODY" 200 '"access_token":"eyJ'
    ACCESS_TOKEN=${BODY#*\"access_token\":\"}
    ACCESS_TOKEN=${ACCESS_TOKEN%%\"*}
    curl_call PUT "$base/v1/users/$id" "{\"email\":\"$id@bench.example\",\"name\":\"Check\"}" "$ACCESS_TOKEN"
    check_answer "$name PUT /v1/users/<new id>" "$CODE" "$BODY" 200 "successfully created user $id"
    curl_call PUT "$base/v1/users/e7" '{"email":"e7@bench.example","name":"Bench e7"}' "$ACCESS_TOKEN"
    check_answer "$name PUT /v1/users/<existing id>" "$CODE" "$BODY" 200 "successfully updated user e7"
    curl_call GET "$base/v1/users/e7" "" "$ACCESS_TOKEN"
    check_answer "$name GET /v1/users/<id>" "$CODE" "$BODY" 200 '"id":"e7"'
    log "$name answers every endpoint"
}

# ---------------------------------------------------------------- wrk

RESULTS=   # WORK/results.tsv: backend endpoint conns rps p50 p99 non2xx sockerr rss_kib cpu_us pg_us
declare -A R=()
PG_PID=    # the private PostgreSQL's postmaster

# tree_ticks PID...: the CPU time (user + system, clock ticks) of each PID
# and all its descendants, the children they reaped included (cutime and
# cstime), summed: a worker that exits during a run still counts.
tree_ticks() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v roots="$*" '
        {
            pid = $1
            line = $0
            sub(/^.*\) /, "", line) # from the state on: ppid is 2, utime 12
            split(line, f, " ")
            ppid[pid] = f[2]
            t[pid] = f[12] + f[13] + f[14] + f[15]
        }
        END {
            n = split(roots, r, " ")
            for (i = 1; i <= n; i++) want[r[i]] = 1
            do {
                grown = 0
                for (p in ppid)
                    if (!(p in want) && (ppid[p] in want)) { want[p] = 1; grown = 1 }
            } while (grown)
            for (p in want) if (p in t) sum += t[p]
            print sum + 0
        }'
}

# cpu_per_request TICKS REQUESTS: microseconds of CPU per request.
cpu_per_request() {
    awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# times_us_per_request LINE REQUESTS: the children's line of bash's `times`
# ("0m1.234s 0m0.567s", user and system) in µs per request.
times_us_per_request() {
    awk -v n="$2" '{
        t = 0
        for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
        printf "%.0f", (n > 0 ? t * 1e6 / n : 0)
    }' <<<"$1"
}

# jget JSON KEY: a number from the one-line JSON of bench.lua.
jget() {
    local v=${1#*\""$2"\":}
    printf '%s\n' "${v%%[,\}]*}"
}

# max_worker_hwm PID: the largest VmHWM (KiB) among PID's children, or PID's
# own when it has none (a single process).
max_worker_hwm() {
    local pid=$1 max=0 c v
    local -a kids
    mapfile -t kids < <(child_pids "$pid")
    ((${#kids[@]} > 0)) || kids=("$pid")
    for c in "${kids[@]}"; do
        v=$(awk '/^VmHWM:/ {print $2}' "/proc/$c/status" 2>/dev/null || true)
        [[ -n "$v" ]] && ((v > max)) && max=$v
    done
    printf '%s\n' "$max"
}

# wrk_args ENDPOINT BACKEND: the URL path and script arguments.
wrk_target() {
    local endpoint=$1 backend=$2
    case $endpoint in
    token) WRK_PATH="/generate-cord-token?userIndex=2"; WRK_ARGS=(get "" "" "") ;;
    authorize) WRK_PATH=/v1/authorize; WRK_ARGS=(authorize "$APP_TOKEN" "" "") ;;
    # A label may hold characters an id may not (cordgate@nosync).
    put_new) WRK_PATH=/; WRK_ARGS=(put_new "$ACCESS_TOKEN" "n$RUN_TAG-${backend//[^A-Za-z0-9-]/-}-$((++PUT_NEW_RUNS))-" "") ;;
    put_old) WRK_PATH=/; WRK_ARGS=(put_old "$ACCESS_TOKEN" e "$USER_COUNT") ;;
    get_user) WRK_PATH=/; WRK_ARGS=(get_user "$ACCESS_TOKEN" e "$USER_COUNT") ;;
    list_narrow) WRK_PATH="/v1/users?limit=100&filter=$LIST_NARROW"; WRK_ARGS=(get_auth "$LIST_TOKEN" "" "") ;;
    list_broad) WRK_PATH="/v1/users?limit=10&filter=$LIST_BROAD"; WRK_ARGS=(get_auth "$LIST_TOKEN" "" "") ;;
    members_1e3) WRK_PATH="/v1/groups/$GROUP_1E3/members?limit=1000"; WRK_ARGS=(get_auth "$ACCESS_TOKEN" "" "") ;;
    members_1e5) WRK_PATH="/v1/groups/$GROUP_1E5/members?limit=1000"; WRK_ARGS=(get_auth "$ACCESS_TOKEN" "" "") ;;
    # Each run adds to a group of its own, so that no run re-adds the ids
    # of the one before (bench.lua numbers them from 1 in every run).
    # Its adds go round ADD_GROUPS groups, as a sync spreads over many.
    members_add) WRK_PATH="/v1/groups/$GROUP_ADD-$((++MEMBERS_ADD_RUNS))"; WRK_ARGS=(members_add "$ACCESS_TOKEN" a "$ADD_GROUPS") ;;
    esac
}
MEMBERS_ADD_RUNS=0
ADD_GROUPS=64
PUT_NEW_RUNS=0
USER_COUNT=$PRELOAD
WRK_STRICT=()
WRK_PACE=()

# run_wrk BACKEND PORT ENDPOINT CONNS SECONDS [record]: one wrk run; with
# `record`, its numbers go into R and RESULTS.
run_wrk() {
    local backend=$1 port=$2 endpoint=$3 conns=$4 secs=$5 record=${6:-} out json
    local threads=2
    ((conns >= threads)) || threads=$conns
    wrk_target "$endpoint" "$backend"
    local cpu0=0 pg0=0 ngx0=0
    if [[ -n "$record" ]]; then
        [[ -z "$BACKEND_PID" ]] || cpu0=$(tree_ticks "$BACKEND_PID")
        [[ -z "$PG_PID" ]] || pg0=$(tree_ticks "$PG_PID")
        [[ -z "$NGINX_PID" ]] || ngx0=$(tree_ticks "$NGINX_PID")
    fi
    # `times` in the same subshell: the CPU of wrk, its only child.
    out=$(wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s \
        -s "$BENCH/lua/bench.lua" "http://127.0.0.1:$port$WRK_PATH" -- \
        "${WRK_ARGS[@]}" "${WRK_STRICT[@]}" "${WRK_PACE[@]}" 2>&1 && times) || {
        printf '%s\n' "$out" >&2
        die "wrk failed on $backend $endpoint"
    }
    [[ -n "$record" ]] || return 0
    local cpu=- pgcpu=- ngxcpu=- wrkcpu requests
    json=$(grep '^BENCH_JSON ' <<<"$out" | head -n1)
    json=${json#BENCH_JSON }
    [[ -n "$json" ]] || {
        printf '%s\n' "$out" >&2
        die "no summary from wrk on $backend $endpoint"
    }
    local rps p50 p99 non2xx sockerr rss
    rps=$(jget "$json" rps)
    p50=$(jget "$json" p50_us)
    p99=$(jget "$json" p99_us)
    non2xx=$(jget "$json" non2xx)
    ((non2xx >= 0)) || non2xx=$(jget "$json" status)
    sockerr=$(($(jget "$json" connect) + $(jget "$json" read) +
        $(jget "$json" write) + $(jget "$json" timeout)))
    requests=$(jget "$json" requests)
    [[ -z "$BACKEND_PID" ]] ||
        cpu=$(cpu_per_request "$(($(tree_ticks "$BACKEND_PID") - cpu0))" "$requests")
    [[ -z "$PG_PID" ]] ||
        pgcpu=$(cpu_per_request "$(($(tree_ticks "$PG_PID") - pg0))" "$requests")
    [[ -z "$NGINX_PID" ]] ||
        ngxcpu=$(cpu_per_request "$(($(tree_ticks "$NGINX_PID") - ngx0))" "$requests")
    wrkcpu=$(times_us_per_request "$(tail -n1 <<<"$out")" "$requests")
    rss=0
    [[ -z "$BACKEND_PID" ]] || rss=$(max_worker_hwm "$BACKEND_PID")
    R["$backend|$endpoint|$conns"]="$rps $p50 $p99 $non2xx $sockerr $rss $cpu $pgcpu $ngxcpu $wrkcpu"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$endpoint" \
        "$conns" "$rps" "$p50" "$p99" "$non2xx" "$sockerr" "$rss" "$cpu" "$pgcpu" \
        "$ngxcpu" "$wrkcpu" >>"$RESULTS"
    log "$(printf '%-18s %-10s c=%-3s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  non-2xx %s  sock %s  rss %s KiB  CPU %s + PG %s + nginx %s + wrk %s us/req' \
        "$backend" "$endpoint" "$conns" "$rps" "$(ms "$p50")" "$(ms "$p99")" \
        "$non2xx" "$sockerr" "$rss" "$cpu" "$pgcpu" "$ngxcpu" "$wrkcpu")"
}

ms() {
    awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'
}

# measure BACKEND PORT ENDPOINT CONNS...: a warm-up, then each CONNS.
measure() {
    local backend=$1 port=$2 endpoint=$3 c
    shift 3
    if ((WARMUP > 0)); then
        run_wrk "$backend" "$port" "$endpoint" 64 "$WARMUP"
    fi
    for c in "$@"; do
        run_wrk "$backend" "$port" "$endpoint" "$c" "$RUN_SECONDS" record
    done
}

# measure_planned BACKEND PORT: the plan's runs of BACKEND.
measure_planned() {
    local backend=$1 port=$2 b e conns
    while read -r b e conns; do
        [[ "$b" == "$backend" ]] || continue
        # shellcheck disable=SC2086 # conns is a list
        measure "$backend" "$port" "$e" $conns
    done < <(plan_runs)
}

# ---------------------------------------------------------------- phases

run_cordgate_default() {
    section "cordgate (default workers)"
    cordgate_start
    DEFAULT_WORKERS=$CORDGATE_WORKERS_RUNNING
    check_backend cordgate "${PORT[cordgate]}"
    if [[ $MODE == quick ]]; then
        local e
        for e in "${ENDPOINTS[@]}"; do
            run_wrk cordgate "${PORT[cordgate]}" "$e" 16 "$RUN_SECONDS" record
        done
    else
        measure_planned cordgate "${PORT[cordgate]}"
        wait_profiles cordgate "${PORT[cordgate]}"
        measure_unsynced cordgate "${PORT[cordgate]}"
    fi
    if [[ $MODE == quick ]] || want keepalive; then run_keepalive; fi
    backend_stop cordgate
}

# wait_profiles BACKEND PORT: where PostgreSQL's connections spend a
# writing request, commits synced. For each of SYNC_ENDPOINTS, one more run
# at 64 connections (WAIT_SECONDS, not in the main tables) while one psql
# samples pg_stat_activity every 10 ms: each of the backend's connections is
# running (no wait event), waiting for the WAL to reach the disk (its own
# flush, IO:WALSync/WALWrite, or another's, LWLock:WALWrite), waiting for
# the backend's next statement (Client:ClientRead), or on something else.
# Counts go into WAITS[BACKEND|endpoint] as "wal cpu client other".
declare -A WAITS=()
WAIT_SECONDS=5
wait_profiles() {
    [[ $FSYNC == on && -n "$PG_PID" ]] || return 0
    local backend=$1 port=$2 e samples pid
    for e in "${SYNC_ENDPOINTS[@]}"; do
        samples=$WORK/waits-$backend-$e.txt
        # The sampler stops itself a little after the run.
        timeout "$((WAIT_SECONDS + 1))" "$PG_BIN/psql" -XAtq -d "$DB_URL" >"$samples" 2>/dev/null <<'SQL' &
SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database() AND (state = 'active' OR wait_event = 'ClientRead')
\watch 0.01
SQL
        pid=$!
        run_wrk "$backend" "$port" "$e" 64 "$WAIT_SECONDS"
        wait "$pid" 2>/dev/null || true
        WAITS["$backend|$e"]=$(awk '
            /^$/ { next }
            /^(IO:WALSync|IO:WALWrite|LWLock:WALWrite)$/ { wal++; next }
            /^CPU$/ { cpu++; next }
            /^Client:ClientRead$/ { client++; next }
            { other++ }
            END { printf "%d %d %d %d", wal, cpu, client, other }' "$samples")
        log "$backend $e: PostgreSQL connections sampled (wal cpu client other): ${WAITS[$backend|$e]}"
    done
}

# --alternate: cordgate and PHP-FPM both up (each with its own access
# token), every endpoint measured on one and then the other, ALT_ROUNDS
# times, the order turned round each round, so that a drift of the
# machine's speed between phases weighs on both alike.
ALT_ROUNDS=3
run_alternate() {
    section "cordgate and PHP-FPM, in alternation"
    cordgate_start
    DEFAULT_WORKERS=$CORDGATE_WORKERS_RUNNING
    local cg_pid=$BACKEND_PID cg_token php_pid php_token r e b
    check_backend cordgate "${PORT[cordgate]}"
    cg_token=$ACCESS_TOKEN
    php_start "$DEFAULT_WORKERS"
    php_pid=$BACKEND_PID
    check_backend php "${PORT[php]}"
    php_token=$ACCESS_TOKEN
    for ((r = 1; r <= ALT_ROUNDS; r++)); do
        section "round $r of $ALT_ROUNDS"
        for e in "${ENDPOINTS[@]}"; do
            for b in $(if ((r % 2)); then echo cordgate php; else echo php cordgate; fi); do
                if [[ $b == cordgate ]]; then
                    BACKEND_PID=$cg_pid ACCESS_TOKEN=$cg_token
                else
                    BACKEND_PID=$php_pid ACCESS_TOKEN=$php_token
                fi
                measure "$b-r$r" "${PORT[$b]}" "$e" 64
            done
        done
    done
    BACKEND_PID=$php_pid
    backend_stop php-fpm
    BACKEND_PID=$cg_pid
    backend_stop cordgate
}

# report_alternate: each round's ratio, their median, and the CPU.
report_alternate() {
    local e r row ratios med cg php cgc phpc
    printf '## cordgate and PHP-FPM in alternation (%s workers each, 64 connections, %s)

' "$DEFAULT_WORKERS" "$(sync_words)"
    row="| endpoint |"
    local sep="|---|"
    for ((r = 1; r <= ALT_ROUNDS; r++)); do
        row+=" round $r: cordgate req/s | PHP-FPM req/s | ÷ |"
        sep+="---:|---:|---:|"
    done
    printf '%s median ÷ | cordgate CPU µs (mean) | PHP-FPM µs | PHP-FPM ÷ cordgate |
%s---:|---:|---:|---:|
' "$row" "$sep"
    for e in "${ENDPOINTS[@]}"; do
        row="| ${ENDPOINT_NAME[$e]} |"
        ratios=() cgc=0 phpc=0
        for ((r = 1; r <= ALT_ROUNDS; r++)); do
            cg=$(rps_of "cordgate-r$r|$e|64")
            php=$(rps_of "php-r$r|$e|64")
            row+=" $(cell "cordgate-r$r|$e|64" 1) | $(cell "php-r$r|$e|64" 1) | $(ratio "$cg" "$php") |"
            ratios+=("$(frac "$cg" "$php")")
            cgc=$((cgc + $(cell "cordgate-r$r|$e|64" 7 | tr -d '–' | sed 's/^$/0/')))
            phpc=$((phpc + $(cell "php-r$r|$e|64" 7 | tr -d '–' | sed 's/^$/0/')))
        done
        med=$(printf '%s
' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f×", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
        row+=" **${med:-–}** | $((cgc / ALT_ROUNDS)) | $((phpc / ALT_ROUNDS)) | $(ratio "$phpc" "$cgc") |"
        printf '%s
' "$row"
    done
    printf '
Both backends run the whole time behind the same nginx, against the same PostgreSQL and data; each cell is one %s s wrk run after a %s s warm-up, and each round measures every endpoint on both, cordgate first in odd rounds and PHP-FPM first in even ones. A drift of the machine'"'"'s speed over minutes (seen here: 1.6× between two runs 35 minutes apart) then weighs on both of a pair alike, which the full run, whose backends follow one another, cannot promise.

' "$RUN_SECONDS" "$WARMUP"
}

# measure_unsynced BACKEND PORT: with SECOND_COLUMN, the writing endpoints
# again at their planned connection counts, PostgreSQL not syncing commits
# (recorded as BACKEND@nosync); then synced again.
measure_unsynced() {
    ((SECOND_COLUMN)) || return 0
    local backend=$1 port=$2 e c
    pg_sync off
    for e in "${SYNC_ENDPOINTS[@]}"; do
        for c in $(planned_conns "$backend" "$e"); do
            run_wrk "$backend@nosync" "$port" "$e" "$c" "$RUN_SECONDS" record
        done
    done
    pg_sync on
}

# pace_for RPS PERCENT: bench.lua's pace (ms between a connection's
# requests, on average) for 64 connections to offer PERCENT of RPS.
pace_for() {
    awk -v r="$1" -v l="$2" 'BEGIN { printf "%.3f", 64 * 1000 / (r * l / 100) }'
}

# The same cordgate through nginx FastCGI keep-alive: every endpoint at 64
# connections unpaced, then both modes paced to KA_LEVELS of the unpaced
# req/s with one connection per request (--quick: unpaced at 16 only).
KA_REQUESTS=0
KA_CONNECTIONS=0
run_keepalive() {
    local e port=${PORT[cordgate-ka]} before after lvl rps
    local conns=64
    [[ $MODE != quick ]] || conns=16
    check_backend cordgate-ka "$port"
    read -r -a before < <(fastcgi_counts "http://127.0.0.1:$port")
    for e in "${ENDPOINTS[@]}"; do
        run_wrk cordgate-ka "$port" "$e" "$conns" "$RUN_SECONDS" record
    done
    read -r -a after < <(fastcgi_counts "http://127.0.0.1:$port")
    KA_REQUESTS=$((after[0] - before[0]))
    KA_CONNECTIONS=$((after[1] - before[1]))
    log "keep-alive: $KA_REQUESTS requests over $KA_CONNECTIONS FastCGI connections"
    [[ $MODE != quick ]] || return 0
    section "keep-alive off and on, paced to ${KA_LEVELS[*]} % of the req/s without it"
    for e in "${ENDPOINTS[@]}"; do
        # The 100 % the levels are of: one connection per request, at 64.
        [[ -n "${R[cordgate|$e|64]:-}" ]] ||
            run_wrk cordgate "${PORT[cordgate]}" "$e" 64 "$RUN_SECONDS" record
        rps=$(rps_of "cordgate|$e|64")
        for lvl in "${KA_LEVELS[@]}"; do
            WRK_PACE=("pace=$(pace_for "$rps" "$lvl")")
            run_wrk "cordgate-pace$lvl" "${PORT[cordgate]}" "$e" 64 "$RUN_SECONDS" record
            run_wrk "cordgate-ka-pace$lvl" "$port" "$e" 64 "$RUN_SECONDS" record
            WRK_PACE=()
        done
    done
}

run_sweep() {
    local w e
    for w in "${SWEEP_WORKERS[@]}"; do
        if ((w == DEFAULT_WORKERS)); then
            # The default's own runs at 64 connections stand for it.
            for e in "${SWEEP_ENDPOINTS[@]}"; do
                R["cordgate-w$w|$e|64"]=${R["cordgate|$e|64"]}
            done
            continue
        fi
        section "cordgate, $w workers"
        cordgate_start "$w"
        check_backend "cordgate-w$w" "${PORT[cordgate]}"
        for e in "${SWEEP_ENDPOINTS[@]}"; do
            measure "cordgate-w$w" "${PORT[cordgate]}" "$e" 64
        done
        backend_stop cordgate
    done
}

run_php() {
    section "PHP-FPM ($DEFAULT_WORKERS workers, pm static)"
    php_start "$DEFAULT_WORKERS"
    check_backend php "${PORT[php]}"
    measure_planned php "${PORT[php]}"
    wait_profiles php "${PORT[php]}"
    measure_unsynced php "${PORT[php]}"
    backend_stop php-fpm
}

NODE_READY=0
node_prepare() {
    ((NODE_READY)) && return 0
    section "node reference: npm ci"
    (cd "$BENCH/ref/node" && npm ci --no-audit --no-fund --silent) \
        >"$WORK/npm.log" 2>&1 || {
        show_tail "$WORK/npm.log"
        die "npm ci failed in bench/ref/node"
    }
    NODE_READY=1
}

# run_node LABEL seed|key PROCESSES
run_node() {
    local label=$1 secrets=$2 procs=$3
    node_prepare
    section "node: $label (secrets: $secrets, $([[ $procs == 0 ]] && echo 'one process' || echo "cluster of $procs"))"
    NODE_STARTS=$((NODE_STARTS + 1))
    node_start "$secrets" "$procs"
    check_backend "$label" "${PORT[node]}"
    measure_planned "$label" "${PORT[node]}"
    [[ $label != node ]] || measure_unsynced node "${PORT[node]}"
    backend_stop node
}

run_hello() {
    section "ceiling: libfcgi hello ($DEFAULT_WORKERS workers)"
    build_c hello -lfcgi
    hello_start "$DEFAULT_WORKERS"
    curl_call GET "http://127.0.0.1:${PORT[hello]}/"
    check_answer hello "$CODE" "$BODY" 200 hello
    measure_planned hello "${PORT[hello]}"
    backend_stop hello
    if want keepalive; then
        section "ceiling: libfcgi hello with kept connections ($DEFAULT_WORKERS workers)"
        hello_start "$DEFAULT_WORKERS" keep
        curl_call GET "http://127.0.0.1:${PORT[hello-ka]}/"
        check_answer hello-ka "$CODE" "$BODY" 200 hello
        measure hello-ka "${PORT[hello-ka]}" token 64
        backend_stop hello
    fi
}

run_nginx() {
    section "ceiling: nginx return 200"
    curl_call GET "http://127.0.0.1:${PORT[nginx]}/"
    check_answer nginx "$CODE" "$BODY" 200 hello
    BACKEND_PID=
    measure_planned nginx "${PORT[nginx]}"
}

run_pgbench() {
    section "ceiling: pgbench on the upsert and on the session insert"
    local range=10000
    preload_users "" "$range"
    pgbench_runs pgbench upsert "$range"
    pgbench_runs pgsession session "$range"
    if ((SECOND_COLUMN)); then
        pg_sync off
        pgbench_runs pgbench@nosync upsert "$range"
        pgbench_runs pgsession@nosync session "$range"
        pg_sync on
    fi
}

# The clients of the pgbench ceilings: the workers' count first (a backend
# of that many workers holds that many connections, and with commits synced
# the commits that share a flush are what bounds it), then 16 and 64.
pgbench_clients() {
    local w=$DEFAULT_WORKERS
    ((w > 0)) || w=8
    if ((w == 16 || w == 64)); then
        printf '16 64\n'
    else
        printf '%s 16 64\n' "$w"
    fi
}

# pgbench_runs LABEL SCRIPT RANGE: bench/pgbench/SCRIPT.sql at each of
# pgbench_clients into R[LABEL|clients], PostgreSQL's CPU per transaction
# into R[LABEL-cpu|clients].
pgbench_runs() {
    local label=$1 script=$2 range=$3 c out tps pg0
    for c in $(pgbench_clients); do
        pg0=0
        [[ -z "$PG_PID" ]] || pg0=$(tree_ticks "$PG_PID")
        out=$("$PG_BIN/pgbench" -n -M prepared -c "$c" -j 2 -T "$RUN_SECONDS" \
            -f "$BENCH/pgbench/$script.sql" -D app="$APP_ID" \
            -D email=bench@bench.example -D name=Bench -D f=false \
            -D range="$range" "$DB_URL" 2>&1) || {
            printf '%s\n' "$out" >&2
            die "pgbench failed"
        }
        tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out" | head -n1)
        [[ -n "$tps" ]] || die "no tps from pgbench: $out"
        R["$label|$c"]=$tps
        # PostgreSQL's CPU per transaction (pgbench's own is not counted).
        [[ -z "$PG_PID" ]] ||
            R["$label-cpu|$c"]=$(cpu_per_request "$(($(tree_ticks "$PG_PID") - pg0))" \
                "$(awk -v t="$tps" -v s="$RUN_SECONDS" 'BEGIN { printf "%.0f", t * s }')")
        log "$label -c $c: $tps tps, PostgreSQL ${R[$label-cpu|$c]:-?} µs per transaction"
    done
}

run_hmac() {
    section "ceiling: HMAC-SHA512 signatures/s on one core"
    build_c hmac -lcrypto
    local out
    out=$("$WORK/hmac" 3 200)
    R["hmac"]=${out%% *}
    log "HMAC-SHA512 over 200 bytes: ${R[hmac]} /s"
}

# ---------------------------------------------------------------- report

machine_header() {
    local cpu pgv
    cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
    pgv=$("$PG_BIN/postgres" --version 2>/dev/null | awk '{print $3}' || true)
    printf '%s\n' "- command: \`$COMMAND_LINE\`"
    printf '%s\n' "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf '%s\n' "- machine: $NPROC CPUs, ${cpu:-unknown CPU}, $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
    printf '%s\n' "- cordgate: $("$BIN" --version 2>/dev/null || echo '?') (${BIN#"$ROOT"/})"
    printf '%s\n' "- nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //') (worker_processes auto = $NPROC), wrk: $(wrk -v 2>&1 | head -n1 | awk '{print $2}') (2 threads), PostgreSQL: ${pgv:-?} ($(sync_words)$(if ((SECOND_COLUMN)) && [[ $MODE == full ]]; then printf '; the writing endpoints again unsynced'; fi)), OpenSSL: $(openssl version | awk '{print $2}'), libfcgi: $(dpkg-query -W -f='${Version}' libfcgi0ldbl 2>/dev/null || echo '?')"
    if [[ $MODE == full || $MODE == check ]]; then
        printf '%s\n' "- node: $(node -v 2>/dev/null || echo -), express $(node -p 'require(process.argv[1]).version' "$BENCH/ref/node/node_modules/express/package.json" 2>/dev/null || echo -), jsonwebtoken $(node -p 'require(process.argv[1]).version' "$BENCH/ref/node/node_modules/jsonwebtoken/package.json" 2>/dev/null || echo -), pg $(node -p 'require(process.argv[1]).version' "$BENCH/ref/node/node_modules/pg/package.json" 2>/dev/null || echo -); PHP: $(php-fpm8.2 -v 2>/dev/null | head -n1 | awk '{print $2}' || echo -) (OPcache on, validate_timestamps off; APCu $(dpkg-query -W -f='${Version}' php8.2-apcu 2>/dev/null || echo '?'))"
    fi
    printf '%s\n' "- load average (1, 5, 15 min) at the start: $LOADAVG_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running on the machine skews the numbers)"
    printf '%s\n' "- runs: ${RUN_SECONDS} s measured after a ${WARMUP} s warm-up per (backend, endpoint); $PRELOAD users preloaded"
}

# cell KEY FIELD: field N (1 rps, 2 p50, 3 p99, 4 non2xx, 5 sockerr, 6 rss,
# 7 backend CPU µs per request, 8 PostgreSQL's, 9 nginx's, 10 wrk's, 11 the
# four summed)
cell() {
    local v=${R[$1]:-}
    [[ -n "$v" ]] || { printf -- '–'; return; }
    local -a f
    read -r -a f <<<"$v"
    case $2 in
    1) printf '%.0f' "${f[0]}" ;;
    2 | 3) ms "${f[$2 - 1]}" ;;
    4 | 5) printf '%s' "${f[$2 - 1]}" ;;
    6) awk -v k="${f[5]}" 'BEGIN { printf "%.1f", k / 1024 }' ;;
    7 | 8 | 9 | 10) if [[ "${f[$2 - 1]:--}" == - ]]; then printf -- '–'; else printf '%s' "${f[$2 - 1]}"; fi ;;
    # 11: the whole request's CPU, the backend's, PostgreSQL's, nginx's and wrk's
    11) awk -v a="${f[6]:--}" -v b="${f[7]:--}" -v c="${f[8]:--}" -v d="${f[9]:--}" \
        'BEGIN { if (a == "-" || b == "-" || c == "-" || d == "-") printf "–"; else printf "%.0f", a + b + c + d }' ;;
    esac
}

rps_of() {
    local v=${R[$1]:-}
    printf '%s\n' "${v%% *}"
}

# ratio A B: A/B to two decimals, or – when either is missing.
ratio() {
    if [[ -z "$1" || -z "$2" ]]; then
        printf -- '–'
    else
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else printf "–" }'
    fi
}

REFS_SHOWN=(php node node-seed node-1p node-seed-1p)
declare -A REF_TITLE=(
    [php]="PHP-FPM"
    [node]="Node (KeyObject, cluster)"
    [node-seed]="Node seed (string secret, cluster)"
    [node-1p]="Node (KeyObject, 1 process)"
    [node-seed-1p]="Node seed (string, 1 process)"
)

# composed_ceiling HELLO_RPS [PGBENCH_LABEL]: 1/(1/hello + 1/pgbench at the
# workers' count of clients), the bound of a request that costs one FastCGI
# round trip and one statement (the upsert, or with pgsession the session
# insert) on the same cores.
composed_ceiling() {
    local hello=$1 pg=${R[${2:-pgbench}|$(pgbench_clients | awk '{print $1}')]:-}
    if [[ -z "$hello" || -z "$pg" ]]; then
        printf '\n'
    else
        awk -v h="$hello" -v p="$pg" 'BEGIN { printf "%.1f\n", 1 / (1 / h + 1 / p) }'
    fi
}

# target NAME VALUE OP LIMIT SHOWN: a row of the goals table.
TARGET_FAILS=0
target() {
    local name=$1 value=$2 op=$3 limit=$4 shown=$5 ok
    if [[ -z "$value" || -z "$limit" ]]; then
        printf '| %s | – | not measured |\n' "$name"
        return
    fi
    ok=$(awk -v v="$value" -v l="$limit" -v op="$op" \
        'BEGIN { print ((op == ">=" && v >= l) || (op == "<=" && v <= l)) ? 1 : 0 }')
    if ((ok)); then
        printf '| %s | %s | ✅ met |\n' "$name" "$shown"
    else
        TARGET_FAILS=$((TARGET_FAILS + 1))
        printf '| %s | %s | ❌ missed |\n' "$name" "$shown"
    fi
}

frac() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b }'
}

# ratio_target NAME A B LIMIT: the goal A ÷ B ≥ LIMIT.
ratio_target() {
    [[ -n "$2" && -n "$3" ]] || return 0
    target "$1" "$(frac "$2" "$3")" ">=" "$4" "$(ratio "$2" "$3")"
}

report_main_table() {
    local e c r head sep row
    head="| endpoint | conns | cordgate req/s | p50 ms | p99 ms | non-2xx | socket errors | max worker RSS MiB |"
    sep="|---|---:|---:|---:|---:|---:|---:|---:|"
    for r in "${REFS_SHOWN[@]}"; do
        want "$r" || continue
        head+=" ${REF_TITLE[$r]} req/s | cordgate ÷ it |"
        sep+="---:|---:|"
    done
    printf '%s\n%s\n' "$head" "$sep"
    for e in "${ENDPOINTS[@]}"; do
        for c in $CONNS; do
            [[ -n "${R[cordgate|$e|$c]:-}" ]] || continue
            row="| ${ENDPOINT_NAME[$e]} | $c | $(cell "cordgate|$e|$c" 1) | $(cell "cordgate|$e|$c" 2) | $(cell "cordgate|$e|$c" 3) | $(cell "cordgate|$e|$c" 4) | $(cell "cordgate|$e|$c" 5) | $(cell "cordgate|$e|$c" 6) |"
            for r in "${REFS_SHOWN[@]}"; do
                want "$r" || continue
                row+=" $(cell "$r|$e|$c" 1) | $(ratio "$(rps_of "cordgate|$e|$c")" "$(rps_of "$r|$e|$c")") |"
            done
            printf '%s\n' "$row"
        done
    done
    printf '\n'
    local ref_rss=""
    for r in "${REFS_SHOWN[@]}"; do
        local max=0 k v
        for k in "${!R[@]}"; do
            [[ "$k" == "$r|"* || "$k" == "$r@nosync|"* ]] || continue
            read -r -a v <<<"${R[$k]}"
            ((v[5] > max)) && max=${v[5]}
        done
        ((max > 0)) && ref_rss+="${REF_TITLE[$r]} $(awk -v k="$max" 'BEGIN { printf "%.1f", k / 1024 }') MiB; "
    done
    if [[ -n "$ref_rss" ]]; then
        printf 'Peak RSS per worker process of the peers (VmHWM, max over their runs): %s\n\n' "${ref_rss%; }"
    fi
}

# The writing endpoints with commits synced (the main runs) and not.
report_unsynced() {
    local e c r head sep row
    head="| endpoint | conns | cordgate synced | unsynced | unsynced ÷ synced |"
    sep="|---|---:|---:|---:|---:|"
    for r in php node; do
        want "$r" || continue
        head+=" ${REF_TITLE[$r]} synced | unsynced | cordgate ÷ it, synced | unsynced |"
        sep+="---:|---:|---:|---:|"
    done
    printf '%s\n%s\n' "$head" "$sep"
    for e in "${SYNC_ENDPOINTS[@]}"; do
        for c in $CONNS; do
            [[ -n "${R[cordgate@nosync|$e|$c]:-}" ]] || continue
            row="| ${ENDPOINT_NAME[$e]} | $c | $(cell "cordgate|$e|$c" 1) | $(cell "cordgate@nosync|$e|$c" 1) | $(ratio "$(rps_of "cordgate@nosync|$e|$c")" "$(rps_of "cordgate|$e|$c")") |"
            for r in php node; do
                want "$r" || continue
                row+=" $(cell "$r|$e|$c" 1) | $(cell "$r@nosync|$e|$c" 1) | $(ratio "$(rps_of "cordgate|$e|$c")" "$(rps_of "$r|$e|$c")") | $(ratio "$(rps_of "cordgate@nosync|$e|$c")" "$(rps_of "$r@nosync|$e|$c")") |"
            done
            printf '%s\n' "$row"
        done
    done
    printf '\nreq/s. Synced: fsync, full_page_writes and synchronous_commit on (each commit waits for the disk), the main runs above; unsynced: all three off (`ALTER SYSTEM` and a reload between the runs, same processes, same data). The test token and GET write nothing and are not repeated.\n\n'
}

# CPU per request: the backend's processes (master and workers, the
# children they reaped included), and PostgreSQL's, over each run.
report_cpu() {
    local e c r head sep row k
    head="| endpoint | conns | cordgate µs | PostgreSQL µs | nginx µs | wrk µs | all µs |"
    sep="|---|---:|---:|---:|---:|---:|---:|"
    for r in "${REFS_SHOWN[@]}"; do
        want "$r" || continue
        head+=" ${REF_TITLE[$r]} µs | PostgreSQL µs | all µs | it ÷ cordgate | all ÷ all |"
        sep+="---:|---:|---:|---:|---:|"
    done
    printf '%s\n%s\n' "$head" "$sep"
    for e in "${ENDPOINTS[@]}"; do
        for c in $CONNS; do
            k="cordgate|$e|$c"
            [[ -n "${R[$k]:-}" ]] || continue
            row="| ${ENDPOINT_NAME[$e]} | $c | $(cell "$k" 7) | $(cell "$k" 8) | $(cell "$k" 9) | $(cell "$k" 10) | $(cell "$k" 11) |"
            for r in "${REFS_SHOWN[@]}"; do
                want "$r" || continue
                row+=" $(cell "$r|$e|$c" 7) | $(cell "$r|$e|$c" 8) | $(cell "$r|$e|$c" 11) | $(ratio "$(cell "$r|$e|$c" 7 | tr -d '–')" "$(cell "$k" 7 | tr -d '–')") | $(ratio "$(cell "$r|$e|$c" 11 | tr -d '–')" "$(cell "$k" 11 | tr -d '–')") |"
            done
            printf '%s\n' "$row"
        done
    done
    printf '\nCPU time (user + system) per request in µs, commits synced: `utime + stime` from `/proc/<pid>/stat` before and after each wrk run, summed over the backend'"'"'s processes (cordgate'"'"'s master and workers, the php-fpm master and pool, the node primary and its cluster; the children they reaped included), divided by the requests wrk counted; PostgreSQL'"'"'s the same over the postmaster and its children, nginx'"'"'s over its master and workers (%s ticks per second); wrk'"'"'s from the shell'"'"'s `times`. "all" is the four summed: on a machine whose cores are all busy, req/s is about cores × 10^6 ÷ all, so "all ÷ all" is the throughput ratio the CPU allows, and where it is below 2× the 2× goal cannot be met on this machine whatever the backend does. The figure that travels to a bigger machine, where nginx, wrk and PostgreSQL have cores of their own, is the backend'"'"'s own µs.\n\n' "$CLK_TCK"
}

# report_waits: the wait_profiles table.
report_waits() {
    local k b e v total
    local -a f
    printf '| backend | endpoint | waiting for the WAL flush | running | waiting for the backend | other | samples |\n|---|---|---:|---:|---:|---:|---:|\n'
    for b in cordgate "${REFS_SHOWN[@]}"; do
        for e in "${SYNC_ENDPOINTS[@]}"; do
            v=${WAITS[$b|$e]:-}
            [[ -n "$v" ]] || continue
            read -r -a f <<<"$v"
            total=$((f[0] + f[1] + f[2] + f[3]))
            ((total > 0)) || continue
            printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${REF_TITLE[$b]:-cordgate}" "${ENDPOINT_NAME[$e]}" \
                "$(pct "${f[0]}" "$total")" "$(pct "${f[1]}" "$total")" \
                "$(pct "${f[2]}" "$total")" "$(pct "${f[3]}" "$total")" "$total"
        done
    done
    printf '\nEach backend'"'"'s PostgreSQL connections, sampled every 10 ms from `pg_stat_activity` during one more %s s run per endpoint at 64 connections, commits synced: running is an active connection with no wait event; waiting for the WAL flush is `IO:WALSync`, `IO:WALWrite` or `LWLock:WALWrite` (the commit waits for its record to reach the disk, its own flush or another connection'"'"'s); waiting for the backend is `Client:ClientRead` (idle, or between the statements of a transaction, until the backend sends the next one). A backend whose connections mostly wait for the WAL flush is bounded by the disk, not by its own code: more connections (workers) share each flush, the same code runs no faster.\n\n' "$WAIT_SECONDS"
}

pct() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f %%", 100 * a / b }'
}

# keep_verdict: the measured case for keep-alive, endpoint by endpoint.
report_keepalive() {
    local e c=64 lvl key_off key_on
    if [[ $MODE == quick ]]; then
        c=16
        printf '| endpoint | conns | one connection per request: req/s | p99 ms | keep-alive: req/s | p99 ms |\n|---|---:|---:|---:|---:|---:|\n'
        for e in "${ENDPOINTS[@]}"; do
            printf '| %s | %s | %s | %s | %s | %s |\n' "${ENDPOINT_NAME[$e]}" "$c" \
                "$(cell "cordgate|$e|$c" 1)" "$(cell "cordgate|$e|$c" 3)" \
                "$(cell "cordgate-ka|$e|$c" 1)" "$(cell "cordgate-ka|$e|$c" 3)"
        done
        printf '\n%s requests over %s FastCGI connections.\n\n' "$KA_REQUESTS" "$KA_CONNECTIONS"
        return
    fi
    local head="| endpoint |" sep="|---|"
    for lvl in "${KA_LEVELS[@]}" 100; do
        head+=" $lvl %: off req/s | p50 ms | p99 ms | on req/s | p50 ms | p99 ms |"
        sep+="---:|---:|---:|---:|---:|---:|"
    done
    printf '%s\n%s\n' "$head" "$sep"
    local wins=0 losses=0 why="" row off_p99 on_p99 off_rps on_rps
    for e in "${ENDPOINTS[@]}"; do
        [[ -n "${R[cordgate-ka|$e|$c]:-}" ]] || continue
        row="| ${ENDPOINT_NAME[$e]} |"
        for lvl in "${KA_LEVELS[@]}" 100; do
            if ((lvl == 100)); then
                key_off="cordgate|$e|$c"
                key_on="cordgate-ka|$e|$c"
            else
                key_off="cordgate-pace$lvl|$e|$c"
                key_on="cordgate-ka-pace$lvl|$e|$c"
            fi
            row+=" $(cell "$key_off" 1) | $(cell "$key_off" 2) | $(cell "$key_off" 3) | $(cell "$key_on" 1) | $(cell "$key_on" 2) | $(cell "$key_on" 3) |"
            off_p99=$(awk '{ print $3 }' <<<"${R[$key_off]:-}")
            on_p99=$(awk '{ print $3 }' <<<"${R[$key_on]:-}")
            off_rps=$(rps_of "$key_off")
            on_rps=$(rps_of "$key_on")
            [[ -n "$off_p99" && -n "$on_p99" ]] || continue
            if ((lvl == 100)); then
                # At full speed: throughput decides.
                if awk -v a="$on_rps" -v b="$off_rps" 'BEGIN { exit !(a >= b) }'; then
                    wins=$((wins + 1))
                else
                    losses=$((losses + 1))
                    why+="; ${ENDPOINT_NAME[$e]} at 100 %: $(printf '%.0f' "$on_rps") req/s on vs $(printf '%.0f' "$off_rps") off"
                fi
            else
                # Below saturation: the tail decides (10 % or 0.2 ms of slack
                # for the noise of one run).
                if awk -v a="$on_p99" -v b="$off_p99" 'BEGIN { exit !(a <= b * 1.1 || a <= b + 200) }'; then
                    wins=$((wins + 1))
                else
                    losses=$((losses + 1))
                    why+="; ${ENDPOINT_NAME[$e]} at $lvl %: p99 $(ms "$on_p99") ms on vs $(ms "$off_p99") ms off"
                fi
            fi
        done
        printf '%s\n' "$row"
    done
    printf '\ncordgate, %s workers, 64 connections. "off": one FastCGI connection per request (nginx'"'"'s default, `deploy/nginx/cordgate.conf`); "on": an upstream with `fastcgi_keep_conn on` and `keepalive %s` (idle connections kept per nginx worker, as `deploy/nginx/cordgate-tcp.conf` does over TCP); %s requests over %s FastCGI connections in its unpaced runs. The 25 and 50 %% rows offer both modes the same rate, that share of the unpaced req/s with one connection per request (each connection waits a random, exponentially distributed time before each request); 100 %% is each mode unpaced.\n\n' \
        "$DEFAULT_WORKERS" "$KA_CACHE" "$KA_REQUESTS" "$KA_CONNECTIONS"
    if ((wins + losses > 0)); then
        if ((losses == 0)); then
            printf '**Keep-alive on** is at least as good in all %s comparisons (p99 within 10 %% or 0.2 ms below saturation, req/s at full speed): the measurement favours shipping it on.\n\n' "$wins"
        else
            printf '**Keep-alive on** is at least as good in %s of %s comparisons (p99 within 10 %% or 0.2 ms below saturation, req/s at full speed); worse in%s.\n\n' \
                "$wins" "$((wins + losses))" "${why#;}"
        fi
    fi
}

report_sweep() {
    local w e row best=0 best_w="" head="| workers |" sep="|---:|" g v n
    for e in "${SWEEP_ENDPOINTS[@]}"; do
        head+=" ${ENDPOINT_NAME[$e]} req/s | p99 ms |"
        sep+="---:|---:|"
    done
    printf '%s max worker RSS MiB |\n%s---:|\n' "$head" "$sep"
    for w in "${SWEEP_WORKERS[@]}"; do
        row="| $w"
        if ((w == DEFAULT_WORKERS)); then row+=" (default; its main runs)"; fi
        g=0 n=0
        for e in "${SWEEP_ENDPOINTS[@]}"; do
            row+=" | $(cell "cordgate-w$w|$e|64" 1) | $(cell "cordgate-w$w|$e|64" 3)"
            v=$(rps_of "cordgate-w$w|$e|64")
            [[ -z "$v" ]] || { g=$(awk -v g="$g" -v v="$v" 'BEGIN { print g + log(v) }'); n=$((n + 1)); }
        done
        row+=" | $(cell "cordgate-w$w|${SWEEP_ENDPOINTS[0]}|64" 6) |"
        printf '%s\n' "$row"
        # Best by the geometric mean of the endpoints' req/s.
        if ((n == ${#SWEEP_ENDPOINTS[@]})); then
            g=$(awk -v g="$g" -v n="$n" 'BEGIN { printf "%.0f", exp(g / n) }')
            if ((g > best)); then best=$g; best_w=$w; fi
        fi
    done
    printf '\nAt 64 connections, %s. Best by the geometric mean of the %s: **%s workers**; the default (auto, 4 per CPU, at least 4) here is %s.\n\n' \
        "$(sync_words)" "${#SWEEP_ENDPOINTS[@]} endpoints" "${best_w:-?}" "$DEFAULT_WORKERS"
}

# sync_words: how the main runs' PostgreSQL treated commits.
sync_words() {
    if ((PG_STARTED)); then
        if [[ $FSYNC == on ]]; then printf 'commits synced to disk'; else printf 'commits not synced'; fi
    else
        printf 'PostgreSQL as given (--database-url)'
    fi
}

report_ceilings() {
    local c head="| ceiling |" sep="|---|" row label v first
    for c in 16 64; do head+=" $c |"; sep+="---:|"; done
    printf '%s\n%s\n' "$head" "$sep"
    printf '| nginx return 200 (req/s) | %s | %s |\n' "$(cell "nginx|token|16" 1)" "$(cell "nginx|token|64" 1)"
    printf '| libfcgi hello, %s workers, one connection per request (req/s) | %s | %s |\n' "$DEFAULT_WORKERS" "$(cell "hello|token|16" 1)" "$(cell "hello|token|64" 1)"
    printf '| libfcgi hello, %s workers, keep-alive (req/s) | – | %s |\n' "$DEFAULT_WORKERS" "$(cell "hello-ka|token|64" 1)"
    first=$(pgbench_clients | awk '{print $1}')
    for label in pgbench pgsession pgbench@nosync pgsession@nosync; do
        [[ -n "${R[$label|$first]:-}" ]] || continue
        row="| composed 1/(1/hello + 1/$(ceiling_statement "$label") at $first clients) (req/s) |"
        for c in 16 64; do
            v=$(composed_ceiling "$(rps_of "hello|token|$c")" "$label")
            row+=" ${v:-–} |"
        done
        printf '%s\n' "$row"
    done
    head="| pgbench, -M prepared |"
    sep="|---|"
    for c in $(pgbench_clients); do head+=" $c clients |"; sep+="---:|"; done
    printf '\n%s\n%s\n' "$head" "$sep"
    for label in pgbench pgsession pgbench@nosync pgsession@nosync; do
        [[ -n "${R[$label|$first]:-}" ]] || continue
        row="| $(ceiling_statement "$label") (tps) |"
        for c in $(pgbench_clients); do row+=" $(printf '%.0f' "${R[$label|$c]}") |"; done
        printf '%s\n' "$row"
        row="| PostgreSQL CPU per transaction, µs |"
        for c in $(pgbench_clients); do row+=" ${R[$label-cpu|$c]:-–} |"; done
        printf '%s\n' "$row"
    done
    printf '\nThe composed ceiling counts one FastCGI round trip (the hello at the same connection count) and one statement per request, serialised on the same cores: the upsert for `PUT /v1/users` (`bench/pgbench/upsert.sql`), the session insert for authorize (`bench/pgbench/session.sql`), each at as many clients as the backend has workers (%s), since a worker holds one connection and with commits synced what bounds the rate is how many commits share a flush. A bearer PUT also needs its session (cached by cordgate and both peers for 10 s), and authorize looks its app up (cached likewise) before inserting the session. A peer with the same number of connections has the same ceiling: where 2× a peer is above it, the 2× goal cannot be met at that worker count.\n\nHMAC-SHA512 over a 200-byte JWT signing input, one core: **%s signatures/s**.\n\n' "$first" "${R[hmac]:-–}"
}

# ceiling_statement LABEL: what a pgbench label ran, in words.
ceiling_statement() {
    case $1 in
    pgbench) printf 'the upsert, %s' "$(sync_words)" ;;
    pgsession) printf 'the session insert, %s' "$(sync_words)" ;;
    pgbench@nosync) printf 'the upsert, commits not synced' ;;
    pgsession@nosync) printf 'the session insert, commits not synced' ;;
    esac
}

report_targets() {
    local c tok e v php comp col label pglabel
    printf '| goal | measured | |\n|---|---|---|\n'
    for c in $CONNS; do
        tok=$(rps_of "cordgate|token|$c")
        ratio_target "test token ≥ 2× PHP-FPM ($c conns)" "$tok" "$(rps_of "php|token|$c")" 2
        ratio_target "test token ≥ 1× libfcgi hello, one connection per request ($c conns)" "$tok" "$(rps_of "hello|token|$c")" 1
    done
    ratio_target "test token ≥ 1× libfcgi hello, keep-alive (64 conns)" \
        "$(rps_of "cordgate-ka|token|64")" "$(rps_of "hello-ka|token|64")" 1
    for col in "" @nosync; do
        [[ -z "$col" || -n "${R[cordgate@nosync|put_old|64]:-}${R[cordgate@nosync|authorize|64]:-}" ]] || continue
        if [[ -z "$col" ]]; then label=$(sync_words); else label="commits not synced"; fi
        for e in authorize put_new put_old; do
            for c in $CONNS; do
                v=$(rps_of "cordgate$col|$e|$c")
                [[ -n "$v" ]] || continue
                ratio_target "${ENDPOINT_NAME[$e]} ≥ 2× PHP-FPM, $label ($c conns)" "$v" "$(rps_of "php$col|$e|$c")" 2
                if [[ $e == authorize ]]; then pglabel=pgsession$col; else pglabel=pgbench$col; fi
                comp=$(composed_ceiling "$(rps_of "hello|token|$c")" "$pglabel")
                ratio_target "${ENDPOINT_NAME[$e]} ≥ 0.8× composed ceiling, $label ($c conns)" "$v" "$comp" 0.8
            done
        done
    done
    for e in "${ENDPOINTS[@]}"; do
        local p99
        p99=$(awk '{print $3}' <<<"${R[cordgate-pace50|$e|64]:-}")
        [[ -z "$p99" ]] || target "p99 ≤ 5 ms at half the throughput: ${ENDPOINT_NAME[$e]}" "$p99" "<=" 5000 "$(ms "$p99") ms"
    done
    local k maxrss=0 errs=0 fv
    for k in "${!R[@]}"; do
        [[ "$k" == cordgate* && "$k" == *"|"*"|"* ]] || continue
        read -r -a fv <<<"${R[$k]}"
        ((fv[5] > maxrss)) && maxrss=${fv[5]}
        errs=$((errs + fv[3] + fv[4]))
    done
    target "cordgate worker RSS ≤ 8 MiB (VmHWM, all runs)" "$maxrss" "<=" 8192 "$(awk -v k="$maxrss" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
    target "zero errors (non-2xx + socket, all cordgate runs)" "$errs" "<=" 0 "$errs"
    printf '\n'
    printf 'The p99 goal is about the latency a request meets when the service has room: the paced runs at 50 %% of the unpaced req/s (one connection per request, 64 connections; the keep-alive section has both modes). Unpaced, wrk keeps 64 requests in flight, so the mean latency is 64 ÷ req/s (Little'"'"'s law) and the p99 there measures the queue; the main table shows it.\n\n'
    printf 'A missed goal does not change the exit status; where one is missed, the CPU table says where the time goes: the backend'"'"'s own µs per request against PostgreSQL'"'"'s, and the profile in the README against the front end'"'"'s.\n\n'
}

write_report() {
    local file=$1 dur=$2
    {
        printf '# cordgate benchmark, %s\n\n' "$(date -u +%Y-%m-%d)"
        machine_header
        printf '%s\n\n' "- duration: ${dur} s"
        case $MODE in
        scale) report_scale ;;
        latency)
            printf '## Latency under a paced load\n\n'
            report_latency
            ;;
        batch) report_batch_mode ;;
        alternate) report_alternate ;;
        check) report_check ;;
        quick)
            printf '## Endpoints: cordgate (%s workers, the default)\n\n' "$DEFAULT_WORKERS"
            printf 'req/s over %s s at 16 connections; non-2xx counted exactly (a Lua response() per answer). A smoke run: it judges no speed.\n\n' "$RUN_SECONDS"
            report_main_table
            printf '## FastCGI keep-alive\n\n'
            report_keepalive
            ;;
        full)
            printf '## Goals\n\n'
            report_targets
            printf '## Endpoints: cordgate (%s workers, the default) and its peers, %s\n\n' "$DEFAULT_WORKERS" "$(sync_words)"
            printf 'All behind the same nginx, one after the other in this run; req/s over %s s; "cordgate ÷ it" is cordgate'"'"'s req/s over the peer'"'"'s at the same connection count. Bearer calls use an access token from each backend'"'"'s own POST /v1/authorize. Non-2xx as wrk counts them (status ≥ 400); the curl check before each backend requires 2xx.\n\n' "$RUN_SECONDS"
            report_main_table
            printf '## CPU per request\n\n'
            report_cpu
            if ((${#WAITS[@]} > 0)); then
                printf '## Where PostgreSQL spends a write\n\n'
                report_waits
            fi
            if ((SECOND_COLUMN)); then
                printf '## Commits synced and not\n\n'
                report_unsynced
            fi
            if want keepalive; then
                printf '## FastCGI keep-alive at 25, 50 and 100 %% load\n\n'
                report_keepalive
            fi
            if want sweep; then
                printf '## Worker sweep\n\n'
                report_sweep
            fi
            printf '## Ceilings\n\n'
            report_ceilings
            ;;
        esac
    } >"$file"
}

# ---------------------------------------------------------------- check
#
# --check: each peer answers each request of the benchmark as cordgate does:
# the same status, the same media type, and a body of the same shape (the
# same keys, recursively, with values of the same JSON types; an array by
# its first element). Bearer requests go twice, the second from the caches.

CHECK_TSV=   # WORK/check.tsv: peer request status media shape

# check_requests NAME PORT: the requests, each answer's line into CHECK_TSV.
check_requests() {
    local name=$1 base="http://127.0.0.1:$2" id="chk-$1-$RUN_TAG" token
    check_one "$name" "GET /generate-cord-token" GET "$base/generate-cord-token?userIndex=1"
    check_one "$name" "POST /v1/authorize" POST "$base/v1/authorize" "{\"signed_app_token\":\"$APP_TOKEN\"}"
    token=${CHECK_BODY#*\"access_token\":\"}
    token=${token%%\"*}
    check_one "$name" "PUT /v1/users/<new id>" PUT "$base/v1/users/$id" \
        "{\"email\":\"$id@bench.example\",\"name\":\"Check\"}" "$token"
    check_one "$name" "PUT /v1/users/<existing id>" PUT "$base/v1/users/e7" \
        '{"email":"e7@bench.example","name":"Bench e7"}' "$token"
    check_one "$name" "PUT /v1/users/<existing id>, again" PUT "$base/v1/users/e7" \
        '{"email":"e7@bench.example","name":"Bench e7"}' "$token"
    check_one "$name" "GET /v1/users/<id>" GET "$base/v1/users/e7" "" "$token"
    check_one "$name" "GET /v1/users/<id>, again" GET "$base/v1/users/e7" "" "$token"
    check_one "$name" "POST /v1/authorize, bad signature" POST "$base/v1/authorize" \
        "{\"signed_app_token\":\"$(bad_signature "$APP_TOKEN")\"}"
    check_one "$name" "GET /v1/users/<id>, bad bearer signature" GET "$base/v1/users/e7" "" \
        "$(bad_signature "$token")"
}

# bad_signature JWT: the same token with the first character of its
# signature changed (the last one may carry only padding bits).
bad_signature() {
    local sig=${1##*.} c=A
    [[ ${sig:0:1} != A ]] || c=B
    printf '%s.%s%s\n' "${1%.*}" "$c" "${sig:1}"
}

# check_one PEER LABEL METHOD URL [BODY] [TOKEN]: sets CHECK_BODY.
check_one() {
    local peer=$1 label=$2 method=$3 url=$4 data=${5:-} token=${6:-} out code media shape
    local -a args=(-s -X "$method" --max-time 10 -D "$WORK/check.head" -o "$WORK/check.body" -w '%{http_code}')
    [[ -z "$data" ]] || args+=(-H 'Content-Type: application/json' -d "$data")
    [[ -z "$token" ]] || args+=(-H "Authorization: Bearer $token")
    code=$(curl "${args[@]}" -- "$url") || code=000
    CHECK_BODY=$(cat "$WORK/check.body")
    media=$(awk 'tolower($1) == "content-type:" { sub(/;.*/, "", $2); print tolower($2) }' "$WORK/check.head" | tr -d '\r' | tail -n1)
    shape=$(jq -cS 'def shape: if type == "object" then with_entries(.value |= shape)
        elif type == "array" then (if length > 0 then [.[0] | shape] else [] end)
        else type end; shape' <"$WORK/check.body" 2>/dev/null) || shape="not JSON"
    printf '%s\t%s\t%s\t%s\t%s\n' "$peer" "$label" "$code" "${media:-none}" "${shape:-empty}" >>"$CHECK_TSV"
}

CHECK_FAILS=0
run_check() {
    CHECK_TSV=$WORK/check.tsv
    : >"$CHECK_TSV"
    section "check: cordgate"
    cordgate_start
    DEFAULT_WORKERS=$CORDGATE_WORKERS_RUNNING
    check_requests cordgate "${PORT[cordgate]}"
    check_requests cordgate-ka "${PORT[cordgate-ka]}"
    backend_stop cordgate
    if want php; then
        section "check: PHP-FPM"
        php_start "$DEFAULT_WORKERS"
        check_requests php "${PORT[php]}"
        backend_stop php-fpm
    fi
    local label secrets
    for label in node node-seed; do
        want "$label" || continue
        secrets=key
        [[ $label == node ]] || secrets=seed
        node_prepare
        section "check: $label"
        NODE_STARTS=$((NODE_STARTS + 1))
        node_start "$secrets" 2
        check_requests "$label" "${PORT[node]}"
        backend_stop node
    done
    # Every peer's line against cordgate's.
    CHECK_FAILS=$(awk -F'\t' '
        $1 == "cordgate" { want[$2] = $3 "\t" $4 "\t" $5; next }
        { if (want[$2] != $3 "\t" $4 "\t" $5) bad++ }
        END { print bad + 0 }' "$CHECK_TSV")
}

report_check() {
    local peers
    peers=$(cut -f1 "$CHECK_TSV" | awk '!seen[$0]++' | tr '\n' ' ')
    printf '## Every peer answers as cordgate\n\n'
    awk -F'\t' -v peers="$peers" '
        BEGIN { n = split(peers, p, " ") }
        { got[$1, $2] = $3 "\t" $4 "\t" $5; st[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++m] = $2 } }
        END {
            printf "| request |"; for (i = 1; i <= n; i++) printf " %s |", p[i]; printf "\n|---|"
            for (i = 1; i <= n; i++) printf "---|"; printf "\n"
            for (j = 1; j <= m; j++) {
                r = order[j]; printf "| %s |", r
                for (i = 1; i <= n; i++) {
                    if (!((p[i], r) in got)) { printf " – |"; continue }
                    printf " %s %s |", st[p[i], r], (got[p[i], r] == got["cordgate", r] ? "✅" : "❌ differs")
                }
                printf "\n"
            }
        }' "$CHECK_TSV"
    printf '\nEach cell: the status, and ✅ when status, media type and body shape (keys and JSON types, recursively) are cordgate'"'"'s. cordgate-ka is cordgate through the keep-alive upstream. Differences: %s.\n\n' "$CHECK_FAILS"
    if ((CHECK_FAILS > 0)); then
        printf '```\n'
        awk -F'\t' '$1 == "cordgate" { want[$2] = $3 " " $4 " " $5; next }
            want[$2] != $3 " " $4 " " $5 { printf "%s, %s:\n  cordgate: %s\n  %s: %s %s %s\n", $1, $2, want[$2], $1, $3, $4, $5 }' "$CHECK_TSV"
        printf '```\n\n'
    fi
}

# ---------------------------------------------------------------- scale
#
# --scale: cordgate's costs as its tables grow, each at 64 connections with
# the default workers: GET and PUT of existing users with 10^3 users, then
# with SCALE_N; POST /v1/authorize with the few sessions of the start, then
# after SCALE_N more; GET /v1/users with a metadata filter in an app of 10^3
# users and in one of SCALE_N / 10, with a filter that matches 100 users in
# both (narrow: the index finds them) and one that matches 1 % (broad: the
# page stays 10 users, pagination.total counts 1 %). Rows are loaded with
# COPY from a generator (awk), then VACUUM ANALYZE, as autovacuum would.

SCALE_LOADS=   # WORK/scale-loads.tsv: what rows seconds size
SCALE_SESSIONS_START=
SCALE_SESSIONS_END=
SCALE_USERS_END=
LIST_TOKEN=    # the access token of the list app being measured
LIST_NARROW='%7B%22metadata%22%3A%7B%22cohort%22%3A%22c7%22%7D%7D' # {"metadata":{"cohort":"c7"}}
LIST_BROAD='%7B%22metadata%22%3A%7B%22tier%22%3A%22t7%22%7D%7D'    # {"metadata":{"tier":"t7"}}

# shellcheck disable=SC2317 # run by scale_load
# psql_copy SQL: SQL (a COPY ... FROM STDIN) fed by stdin. On the private
# cluster the foreign-key triggers do not fire (session_replication_role =
# replica, as a restore may do; every row's app exists): a check per row
# would be most of the load's time, and is no part of what is measured.
psql_copy() {
    local -a pre=()
    if ((PG_STARTED)); then pre=(-c "SET session_replication_role = replica"); fi
    psql_db "${pre[@]}" -c "$1" >/dev/null
}

# shellcheck disable=SC2317 # run by scale_load
# copy_users APP PREFIX FROM TO [COHORTS]: users PREFIX<FROM>..PREFIX<TO> of
# APP, as a PUT with {email, name} writes them; with COHORTS, each also has
# metadata {"cohort": "c<i mod COHORTS>", "tier": "t<i mod 100>"}.
copy_users() {
    awk -v app="$1" -v p="$2" -v from="$3" -v to="$4" -v k="${5:-0}" 'BEGIN {
        m = "{}"
        for (i = from; i <= to; i++) {
            if (k > 0)
                m = sprintf("{\"cohort\": \"c%d\", \"tier\": \"t%d\"}", i % k, i % 100)
            printf "%s\t%s%d\t%s%d@bench.example\tBench %s%d\t%s\n", app, p, i, p, i, p, i, m
        }
    }' | psql_copy "COPY users (app_id, id, email, name, metadata) FROM STDIN"
}

# shellcheck disable=SC2317 # run by scale_load
# copy_sessions APP N: N valid sessions of APP with random ids, issued over
# the last 23 hours and each expiring 24 hours after its issue: none expires
# during the run, so the purge leaves them all.
copy_sessions() {
    awk -v app="$1" -v n="$2" -v now="$(date +%s)" 'BEGIN {
        srand()
        for (i = 0; i < n; i++) {
            t = now - int(rand() * 82800)
            printf "%s\t%04x%04x-%04x-%04x-%04x-%04x%04x%04x\t%s\t%s\n", app,
                rand() * 65536, rand() * 65536, rand() * 65536, rand() * 65536,
                rand() * 65536, rand() * 65536, rand() * 65536, rand() * 65536,
                strftime("%Y-%m-%d %H:%M:%S+00", t, 1),
                strftime("%Y-%m-%d %H:%M:%S+00", t + 86400, 1)
        }
    }' | psql_copy "COPY sessions (app_id, id, issued_at, expires_at) FROM STDIN"
}

# scale_load WHAT ROWS TABLE COMMAND...: run COMMAND (a load), then VACUUM
# ANALYZE TABLE; the time and the table's size go into SCALE_LOADS. With
# commits synced, the load itself runs unsynced, then a checkpoint and a
# sync put it on disk before anything is measured.
scale_load() {
    local what=$1 rows=$2 table=$3 t0=$SECONDS size
    shift 3
    if ((SECOND_COLUMN)); then pg_sync off; fi
    "$@"
    psql_db -c "VACUUM ANALYZE $table" >/dev/null
    if ((SECOND_COLUMN)); then
        pg_sync on
        psql_db -c CHECKPOINT >/dev/null
        sync
    fi
    size=$(psql_db <<<"SELECT pg_size_pretty(pg_total_relation_size('$table'))")
    printf '%s\t%s\t%s\t%s\n' "$what" "$rows" "$((SECONDS - t0))" "$size" >>"$SCALE_LOADS"
    log "$what: $rows rows in $((SECONDS - t0)) s; $table is $size with its indexes"
}

# app_create NAME: a new app; prints "ID SECRET".
app_create() {
    local out line id='' secret=''
    out=$(CORDGATE_DATABASE_URL=$DB_URL "$BIN" app create --name "$1")
    while IFS= read -r line; do
        case $line in
        CORDGATE_APP_ID=*) id=${line#*=} ;;
        CORDGATE_APP_SECRET=*) secret=${line#*=} ;;
        esac
    done <<<"$out"
    [[ -n "$id" && -n "$secret" ]] || die "cordgate app create printed no app: $out"
    printf '%s %s\n' "$id" "$secret"
}

# list_app LABEL USERS: an app with USERS users l1.. in USERS / 100
# cohorts; sets LIST_TOKEN to an access token of it, checked on both lists.
list_app() {
    local label=$1 n=$2 app id secret now
    read -r id secret < <(app_create "bench-list-$label")
    scale_load "users of the list app ($label)" "$n" users copy_users "$id" l 1 "$n" "$((n / 100))"
    now=$(date +%s)
    app=$(jwt_hs512 "{\"app_id\":\"$id\",\"iat\":$now,\"exp\":$((now + 3600))}" "$secret")
    curl_call POST "http://127.0.0.1:${PORT[cordgate]}/v1/authorize" "{\"signed_app_token\":\"$app\"}"
    check_answer "POST /v1/authorize (list app $label)" "$CODE" "$BODY" 200 '"access_token":"eyJ'
    LIST_TOKEN=${BODY#*\"access_token\":\"}
    LIST_TOKEN=${LIST_TOKEN%%\"*}
    curl_call GET "http://127.0.0.1:${PORT[cordgate]}/v1/users?limit=100&filter=$LIST_NARROW" "" "$LIST_TOKEN"
    check_answer "GET /v1/users narrow filter ($label)" "$CODE" "$BODY" 200 '"total":100}'
    [[ $(grep -o '"id":' <<<"$BODY" | wc -l) == 100 ]] ||
        die "GET /v1/users?limit=100 with the narrow filter did not list 100 users"
    curl_call GET "http://127.0.0.1:${PORT[cordgate]}/v1/users?limit=10&filter=$LIST_BROAD" "" "$LIST_TOKEN"
    check_answer "GET /v1/users broad filter ($label)" "$CODE" "$BODY" 200 "\"total\":$((n / 100))}"
}

run_scale() {
    local n=$SCALE_N
    local list_n=$((SCALE_N / 10 / 100 * 100))
    SCALE_LOADS=$WORK/scale-loads.tsv
    : >"$SCALE_LOADS"
    cordgate_start
    DEFAULT_WORKERS=$CORDGATE_WORKERS_RUNNING
    check_backend cordgate "${PORT[cordgate]}"
    SCALE_SESSIONS_START=$(psql_db <<<"SELECT count(*) FROM sessions")

    section "scale: 10^3 users, $SCALE_SESSIONS_START sessions"
    USER_COUNT=1000
    measure cordgate-small "${PORT[cordgate]}" get_user 64
    measure cordgate-small "${PORT[cordgate]}" put_old 64
    measure cordgate-small "${PORT[cordgate]}" authorize 64

    section "scale: GET /v1/users?filter= over 10^3 and $list_n users"
    list_app small 1000
    measure cordgate-small "${PORT[cordgate]}" list_narrow 64
    measure cordgate-small "${PORT[cordgate]}" list_broad 64
    list_app large "$list_n"
    measure cordgate-large "${PORT[cordgate]}" list_narrow 64
    measure cordgate-large "${PORT[cordgate]}" list_broad 64

    section "scale: $n users"
    scale_load "users e1001..e$n" "$((n - 1000))" users copy_users "$APP_ID" e 1001 "$n"
    USER_COUNT=$n
    measure cordgate-large "${PORT[cordgate]}" get_user 64
    measure cordgate-large "${PORT[cordgate]}" put_old 64

    section "scale: $n more sessions"
    scale_load "sessions" "$n" sessions copy_sessions "$APP_ID" "$n"
    SCALE_SESSIONS_END=$(psql_db <<<"SELECT count(*) FROM sessions")
    measure cordgate-large "${PORT[cordgate]}" authorize 64
    SCALE_USERS_END=$(psql_db <<<"SELECT count(*) FROM users")
    backend_stop cordgate
}

report_scale() {
    local n=$SCALE_N list_n=$((SCALE_N / 10 / 100 * 100)) e small large goal
    printf '## Scale: cordgate as the data grows (%s workers, 64 connections, %s)\n\n' "$DEFAULT_WORKERS" "$(sync_words)"
    printf '| request | small | large | req/s small | large | large ÷ small | p99 ms small | large | CPU µs cordgate + PostgreSQL, small | large | goal |\n'
    printf '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n'
    local -a rows=(
        "get_user|10^3 users|$n users|≥ 0.8×"
        "put_old|10^3 users|$n users|≥ 0.8×"
        "authorize|$SCALE_SESSIONS_START sessions|$SCALE_SESSIONS_END sessions|"
        "list_narrow|10^3 users, 100 match|$list_n users, 100 match|"
        "list_broad|10^3 users, 10 match|$list_n users, $((list_n / 100)) match|"
    )
    local row k1 k2 r
    for row in "${rows[@]}"; do
        IFS='|' read -r e small large goal <<<"$row"
        k1="cordgate-small|$e|64"
        k2="cordgate-large|$e|64"
        r=$(frac "$(rps_of "$k2")" "$(rps_of "$k1")")
        if [[ -n "$goal" && -n "$r" ]]; then
            if awk -v r="$r" 'BEGIN { exit !(r >= 0.8) }'; then goal+=" ✅ met"; else goal+=" ❌ missed"; fi
        fi
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s + %s | %s + %s | %s |\n' \
            "${ENDPOINT_NAME[$e]}" "$small" "$large" "$(cell "$k1" 1)" "$(cell "$k2" 1)" \
            "$(ratio "$(rps_of "$k2")" "$(rps_of "$k1")")" "$(cell "$k1" 3)" "$(cell "$k2" 3)" \
            "$(cell "$k1" 7)" "$(cell "$k1" 8)" "$(cell "$k2" 7)" "$(cell "$k2" 8)" "${goal:-–}"
    done
    printf '\nGET and PUT walk the ids in a scattered order over the whole range (e1..eN, a stride coprime with N), so the large runs reach far beyond the 10^3 hot set; the users table then also holds the list apps'"'"' users (%s rows in all). Authorize inserts a session each time, into a table that holds the count shown (random ids, none expiring during the run). The list apps are apps of their own: narrow is `?limit=100&filter={"metadata":{"cohort":"c7"}}`, which matches 100 users in both; broad is `?limit=10&filter={"metadata":{"tier":"t7"}}`, which matches 1 %%, so its page stays 10 users while `pagination.total` counts all the matches. CPU per request as in the full run'"'"'s report.\n\n' "${SCALE_USERS_END:-?}"
    printf '### Loads\n\n| rows | count | seconds (COPY + VACUUM ANALYZE) | table with its indexes after |\n|---|---:|---:|---:|\n'
    awk -F'\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$SCALE_LOADS"
    printf '\nCOPY from a generator (awk) through psql, without the foreign-key triggers (`session_replication_role = replica`; every row'"'"'s app exists)%s.\n\n' \
        "$(if ((SECOND_COLUMN)); then printf ', commits unsynced during the load and a checkpoint and a sync before the next measurement'; fi)"
}

# --latency: for each endpoint, its throughput at 64 connections, then the
# same 64 connections paced (bench.lua pace=MS) to PACE_LEVELS percent of it.
# A closed loop at full speed measures queueing: 64 requests always wait
# for 8 workers. The paced runs measure the latency a request meets when
# the service has room, which is what a p99 target is about.
run_latency() {
    section "latency under a paced load"
    cordgate_start
    DEFAULT_WORKERS=$CORDGATE_WORKERS_RUNNING
    check_backend cordgate "${PORT[cordgate]}"
    local e lvl rps pace
    for e in "${ENDPOINTS[@]}"; do
        measure cordgate "${PORT[cordgate]}" "$e" 64
        rps=$(rps_of "cordgate|$e|64")
        for lvl in "${PACE_LEVELS[@]}"; do
            # 64 connections each sending every pace ms on average.
            pace=$(awk -v r="$rps" -v l="$lvl" 'BEGIN { printf "%.3f", 64 * 1000 / (r * l / 100) }')
            WRK_PACE=("pace=$pace")
            run_wrk "cordgate-pace$lvl" "${PORT[cordgate]}" "$e" 64 "$RUN_SECONDS" record
            # The same offered load through nginx FastCGI keep-alive.
            if ((lvl == 50)); then
                run_wrk "cordgate-ka-pace$lvl" "${PORT[cordgate-ka]}" "$e" 64 "$RUN_SECONDS" record
            fi
            WRK_PACE=()
        done
    done
    backend_stop cordgate
}

report_latency() {
    local e lvl head sep row
    head="| endpoint | unpaced req/s | p50 ms | p99 ms |"
    sep="|---|---:|---:|---:|"
    for lvl in "${PACE_LEVELS[@]}"; do
        head+=" $lvl %: req/s | p50 ms | p99 ms |"
        sep+="---:|---:|---:|"
    done
    head+=" 50 % with keep-alive: req/s | p50 ms | p99 ms |"
    sep+="---:|---:|---:|"
    printf '%s\n%s\n' "$head" "$sep"
    for e in "${ENDPOINTS[@]}"; do
        row="| ${ENDPOINT_NAME[$e]} | $(cell "cordgate|$e|64" 1) | $(cell "cordgate|$e|64" 2) | $(cell "cordgate|$e|64" 3) |"
        for lvl in "${PACE_LEVELS[@]/#/pace}" ka-pace50; do
            row+=" $(cell "cordgate-$lvl|$e|64" 1) | $(cell "cordgate-$lvl|$e|64" 2) | $(cell "cordgate-$lvl|$e|64" 3) |"
        done
        printf '%s\n' "$row"
    done
    printf '\nAll at 64 connections, cordgate with %s workers behind nginx, one FastCGI connection per request. "Unpaced" is wrk'"'"'s closed loop at full speed; each paced run has every connection wait a random, exponentially distributed time before each request, for an offered load of the given share of the unpaced req/s. The last columns offer the 50 %% load through an nginx upstream with FastCGI keep-alive (`fastcgi_keep_conn on`, `keepalive %s`). Latency is measured from sending a request to its answer.\n\n' "$DEFAULT_WORKERS" "$KA_CACHE"
    local worst=0 v
    for e in "${ENDPOINTS[@]}"; do
        v=$(awk '{print $3}' <<<"${R[cordgate-pace50|$e|64]:-0 0 0}")
        ((v > worst)) && worst=$v
    done
    printf '| target | measured | |\n|---|---|---|\n'
    target "p99 ≤ 5 ms at 64 conns, paced to 50 % of throughput (worst endpoint)" "$worst" "<=" 5000 "$(ms "$worst") ms"
    printf '\n'
}

# ---------------------------------------------------------------- batch
#
# --batch: the groups and batch endpoints, with commits synced to disk.
# POST /v1/batch is timed request by request with curl (each batch is one
# request, one transaction), with the serving worker's peak RSS and CPU
# read from /proc; the member list and the member add are loaded with wrk.

BATCH_SIZES=(10 1000 10000)   # users per batch; 10 000 also carries groups
BATCH_GROUPS_AT=10000         # ... 1 000 groups of 10 of its users
BATCH_REPS=3
BATCH_TSV=                    # WORK/batch.tsv, one line per request
PEAK_RESET=0                  # the workers' VmHWM could be reset per request
LIST_BIG=100000               # members of the big group ...
LIST_SMALL=1000               # ... and of the small one
GROUP_1E3=bench-members-1e3
GROUP_1E5=bench-members-1e5
GROUP_ADD=                    # bench-add-<run tag>, -0 .. -4
CLK_TCK=$(getconf CLK_TCK)

# batch_body FILE PREFIX USERS GROUPS: a POST /v1/batch body: USERS new
# users PREFIX1.. with {id, email, name} (what the PUT bench sends) and
# GROUPS new groups PREFIXg1.., each with 10 of those users as members.
batch_body() {
    awk -v p="$2" -v n="$3" -v g="$4" 'BEGIN {
        printf "{\"users\":["
        for (i = 1; i <= n; i++)
            printf "%s{\"id\":\"%s%d\",\"email\":\"%s%d@bench.example\",\"name\":\"Bench %d\"}",
                (i > 1 ? "," : ""), p, i, p, i, i
        printf "]"
        if (g > 0) {
            printf ",\"groups\":["
            for (j = 1; j <= g; j++) {
                printf "%s{\"id\":\"%sg%d\",\"name\":\"Group %d\",\"members\":[",
                    (j > 1 ? "," : ""), p, j, j
                for (k = 1; k <= 10; k++)
                    printf "%s\"%s%d\"", (k > 1 ? "," : ""), p, (j - 1) * 10 + k
                printf "]}"
            }
            printf "]"
        }
        printf "}"
    }' >"$1"
}

# worker_sample PID: "pid io_bytes cpu_ticks vmhwm_kib" for each child of
# PID (the cordgate workers). io_bytes is rchar + wchar: an idle worker
# waits in accept and reads nothing, the one serving a batch reads its body.
worker_sample() {
    local c io stat hwm
    for c in $(child_pids "$1"); do
        io=$(awk '/^(rchar|wchar):/ { s += $2 } END { print s + 0 }' \
            "/proc/$c/io" 2>/dev/null) || continue
        stat=$(cat "/proc/$c/stat" 2>/dev/null) || continue
        stat=${stat##*) } # from field 3 (state) on: utime is the 12th, stime the 13th
        hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$c/status" 2>/dev/null || true)
        printf '%s %s %s %s\n' "$c" "$io" "$(awk '{ print $12 + $13 }' <<<"$stat")" "${hwm:-0}"
    done
}

# reset_peaks PID: reset the VmHWM of PID's children to their current RSS
# (`5` to /proc/<pid>/clear_refs, Linux >= 4.0), so that the peak read
# after a request is that request's. Sets PEAK_RESET to 1 when it worked.
reset_peaks() {
    local c
    PEAK_RESET=1
    for c in $(child_pids "$1"); do
        { printf '5' >"/proc/$c/clear_refs"; } 2>/dev/null || PEAK_RESET=0
    done
}

# batch_once USERS GROUPS REP: one POST /v1/batch of fresh ids, timed by
# curl; checks the answer and the rows written; appends "users groups rep
# seconds body_bytes worker_pid worker_hwm_kib worker_cpu_ms" to BATCH_TSV.
batch_once() {
    local n=$1 g=$2 rep=$3 file=$WORK/batch-$1-$3.json out code secs
    local prefix="b$RUN_TAG-$n-$rep-" before after w
    batch_body "$file" "$prefix" "$n" "$g"
    reset_peaks "$BACKEND_PID"
    before=$(worker_sample "$BACKEND_PID")
    out=$(curl -s -X POST --max-time 120 -o "$WORK/batch.out" \
        -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $ACCESS_TOKEN" --data-binary "@$file" \
        "http://127.0.0.1:${PORT[cordgate]}/v1/batch") || true
    after=$(worker_sample "$BACKEND_PID")
    code=${out%% *}
    secs=${out#* }
    if [[ "$code" == 413 ]]; then
        warn "a body of $(wc -c <"$file") bytes was refused as too large:" \
            "POST /v1/batch needs its own body limit (DESIGN §5; CORDGATE_MAX_BODY is 1 MiB by default)"
    fi
    check_answer "POST /v1/batch of $n users and $g groups" "$code" \
        "$(cat "$WORK/batch.out")" 200 "successfully batch updated $n users and $g group"
    # The rows are there: a batch that wrote nothing must not look fast.
    local rows
    rows=$(psql_db -v app="$APP_ID" -v p="$prefix" <<'SQL'
SELECT (SELECT count(*) FROM users WHERE app_id = :'app' AND starts_with(id, :'p'))
    || ' ' || (SELECT count(*) FROM group_members WHERE app_id = :'app' AND starts_with(group_id, :'p'));
SQL
    )
    [[ "$rows" == "$n $((g * 10))" ]] ||
        die "POST /v1/batch of $n users and $g groups answered 200 but wrote $rows (users, memberships)"
    # The serving worker: the one whose I/O grew most.
    w=$(awk -v tck="$CLK_TCK" '
        NR == FNR { io[$1] = $2; cpu[$1] = $3; next }
        ($1 in io) && $2 - io[$1] > best {
            best = $2 - io[$1]; pid = $1; ms = ($3 - cpu[$1]) * 1000 / tck; hwm = $4 }
        END { if (pid != "") print pid, hwm, ms; else print "- 0 0" }' \
        <(printf '%s\n' "$before") <(printf '%s\n' "$after"))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$g" "$rep" "$secs" "$(wc -c <"$file")" \
        "${w// /$'\t'}" >>"$BATCH_TSV"
    read -r -a w <<<"$w"
    log "$(printf 'batch %5d users %4d groups #%d: %.3f s  worker %s peak RSS %s KiB, CPU %s ms' \
        "$n" "$g" "$rep" "$secs" "${w[0]}" "${w[1]}" "${w[2]}")"
}

run_batch_requests() {
    section "POST /v1/batch: ${BATCH_SIZES[*]} users, $BATCH_REPS times each"
    local n g rep
    for n in "${BATCH_SIZES[@]}"; do
        g=0
        ((n != BATCH_GROUPS_AT)) || g=$((n / 10))
        for ((rep = 1; rep <= BATCH_REPS; rep++)); do
            batch_once "$n" "$g" "$rep"
        done
    done
}

# preload_members: users m1..m100000; group GROUP_1E5 with all of them as
# members and GROUP_1E3 with m1..m1000, straight into the tables.
preload_members() {
    psql_db -v app="$APP_ID" -v big="$GROUP_1E5" -v small="$GROUP_1E3" \
        -v nbig="$LIST_BIG" -v nsmall="$LIST_SMALL" <<'SQL'
INSERT INTO users (app_id, id, email, name)
SELECT :'app'::uuid, 'm' || g, 'm' || g || '@bench.example', 'Bench m' || g
FROM generate_series(1, :nbig::int) AS g
ON CONFLICT (app_id, id) DO NOTHING;
INSERT INTO groups (app_id, id, name)
VALUES (:'app'::uuid, :'big', 'Bench 10^5'), (:'app'::uuid, :'small', 'Bench 10^3')
ON CONFLICT (app_id, id) DO NOTHING;
INSERT INTO group_members (app_id, group_id, user_id)
SELECT :'app'::uuid, :'big', 'm' || g FROM generate_series(1, :nbig::int) AS g
UNION ALL
SELECT :'app'::uuid, :'small', 'm' || g FROM generate_series(1, :nsmall::int) AS g
ON CONFLICT DO NOTHING;
SQL
}

# preload_add_pool: users a1-1.. and a2-1.. (one series per wrk thread,
# bench.lua's members_add ids) and the empty groups GROUP_ADD-0..4.
preload_add_pool() {
    # bench.lua numbers each run's ids from 1, and each run adds to its own
    # group: a thread needs as many ids as it sends requests in one run.
    local secs=$((RUN_SECONDS > WARMUP ? RUN_SECONDS : WARMUP))
    local per_thread=$((secs * 8000 + 10000))
    psql_db -v app="$APP_ID" -v n="$per_thread" -v grp="$GROUP_ADD" \
        -v k="$((ADD_GROUPS - 1))" <<'SQL'
INSERT INTO users (app_id, id, email, name)
SELECT :'app'::uuid, 'a' || t || '-' || g, 'a' || t || '-' || g || '@bench.example', 'Bench a'
FROM generate_series(1, 2) AS t, generate_series(1, :n::int) AS g
ON CONFLICT (app_id, id) DO NOTHING;
INSERT INTO groups (app_id, id, name)
SELECT :'app'::uuid, :'grp' || '-' || r || '-' || k, 'Bench add ' || r || '-' || k
FROM generate_series(0, 4) AS r, generate_series(0, :k::int) AS k
ON CONFLICT (app_id, id) DO NOTHING;
SQL
    log "member-add pool: $((2 * per_thread)) users (a1-*, a2-*), groups $GROUP_ADD-0..4-0..$((ADD_GROUPS - 1))"
}

run_members_list() {
    section "GET /v1/groups/<ID>/members?limit=1000: 10^5 members vs 10^3"
    local t0=$SECONDS id
    preload_members
    psql_db -c 'VACUUM ANALYZE users, groups, group_members' >/dev/null
    log "$LIST_BIG + $LIST_SMALL memberships loaded in $((SECONDS - t0)) s"
    for id in "$GROUP_1E3:$LIST_SMALL" "$GROUP_1E5:$LIST_BIG"; do
        curl_call GET "http://127.0.0.1:${PORT[cordgate]}/v1/groups/${id%%:*}/members?limit=1000" "" "$ACCESS_TOKEN"
        check_answer "GET /v1/groups/${id%%:*}/members" "$CODE" "$BODY" 200 "\"total\":${id#*:}"
        [[ $(grep -o '"id":' <<<"$BODY" | wc -l) == 1000 ]] ||
            die "GET /v1/groups/${id%%:*}/members?limit=1000 did not list 1000 users"
    done
    measure cordgate "${PORT[cordgate]}" members_1e3 64
    measure cordgate "${PORT[cordgate]}" members_1e5 64
}

run_members_add() {
    section "POST /v1/groups/<ID>/members {add} vs PUT /v1/users/<new id>"
    if want add; then
        preload_add_pool
        curl_call POST "http://127.0.0.1:${PORT[cordgate]}/v1/groups/$GROUP_ADD-0-0/members" \
            '{"add":["a1-1"]}' "$ACCESS_TOKEN"
        check_answer "POST /v1/groups/$GROUP_ADD-0-0/members" "$CODE" "$BODY" 200 \
            "successfully updated group members"
        measure cordgate "${PORT[cordgate]}" members_add 64
        local added
        # psql expands :'var' in its input, not in -c.
        added=$(psql_db -v app="$APP_ID" -v grp="$GROUP_ADD-" <<<"SELECT count(*) FROM group_members WHERE app_id = :'app' AND starts_with(group_id, :'grp')")
        log "member add: $((added - 1)) memberships written by the wrk runs"
    fi
    if want put; then
        measure cordgate "${PORT[cordgate]}" put_new 64
    fi
}

run_batch_mode() {
    BATCH_TSV=$WORK/batch.tsv
    : >"$BATCH_TSV"
    GROUP_ADD=bench-add-$RUN_TAG
    cordgate_start
    DEFAULT_WORKERS=$CORDGATE_WORKERS_RUNNING
    check_backend cordgate "${PORT[cordgate]}"
    if want batch; then run_batch_requests; fi
    if want list; then run_members_list; fi
    if want add || want put; then run_members_add; fi
    backend_stop cordgate
}

# median_of: the median of the numbers on stdin.
median_of() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

report_batch_mode() {
    printf '## cordgate, %s workers, PostgreSQL commits synced to disk\n\n' "$DEFAULT_WORKERS"
    if want batch; then
        printf '### POST /v1/batch (curl, one request at a time, %s times each, fresh ids)\n\n' "$BATCH_REPS"
        printf '| batch | body KiB | median s | min s | max s | µs per user (median) | serving worker peak RSS MiB (max) | worker CPU ms (median) |\n'
        printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
        local n g times med per label
        for n in "${BATCH_SIZES[@]}"; do
            g=0
            ((n != BATCH_GROUPS_AT)) || g=$((n / 10))
            times=$(awk -F'\t' -v n="$n" '$1 == n { print $4 }' "$BATCH_TSV")
            [[ -n "$times" ]] || continue
            med=$(median_of <<<"$times")
            per=$(awk -v t="$med" -v n="$n" 'BEGIN { printf "%.1f", t * 1e6 / n }')
            label="$n users"
            ((g == 0)) || label+=" + $g groups of 10"
            printf '| %s | %s | %.3f | %.3f | %.3f | %s | %s | %s |\n' "$label" \
                "$(awk -F'\t' -v n="$n" '$1 == n { b = $5 } END { printf "%.0f", b / 1024 }' "$BATCH_TSV")" \
                "$med" "$(sort -g <<<"$times" | head -n1)" "$(sort -g <<<"$times" | tail -n1)" "$per" \
                "$(awk -F'\t' -v n="$n" '$1 == n && $7 > m { m = $7 } END { printf "%.1f", m / 1024 }' "$BATCH_TSV")" \
                "$(awk -F'\t' -v n="$n" '$1 == n { print $8 }' "$BATCH_TSV" | median_of | awk '{ printf "%.0f", $1 }')"
        done
        printf '\nTime is curl'"'"'s `time_total` through nginx. Peak RSS is the VmHWM of the worker that served the request (the one whose read+write bytes grew), %s; CPU is that worker'"'"'s user + system time over the request (%s ticks per second). Time per user flat across the rows means the cost grows linearly with the batch.\n\n' \
            "$(if ((PEAK_RESET)); then echo 'reset to its current RSS before each request (`/proc/<pid>/clear_refs`), so each figure is that request'"'"'s own peak'; else echo 'not resettable here, so a figure may be an earlier, larger request'"'"'s peak'; fi)" \
            "$CLK_TCK"
        local big mid
        big=$(awk -F'\t' -v n=10000 '$1 == n { print $4 }' "$BATCH_TSV" | median_of)
        mid=$(awk -F'\t' -v n=1000 '$1 == n { print $4 }' "$BATCH_TSV" | median_of)
        if [[ -n "$big" && -n "$mid" ]]; then
            printf 'Time per user, 10 000 (with the groups) ÷ 1 000: **%s** (1.00× is linear; the 10 000 batch also writes 1 000 groups and 10 000 memberships).\n\n' \
                "$(ratio "$(awk -v t="$big" 'BEGIN { print t / 10000 }')" "$(awk -v t="$mid" 'BEGIN { print t / 1000 }')")"
        fi
        printf '| target | measured | |\n|---|---|---|\n'
        target "a batch of 10 000 users (+ 1 000 groups) under 1 s (DESIGN §7), median" "$big" "<=" 1 "$(printf '%.3f s' "${big:-0}")"
        printf '\n'
    fi
    if want list; then
        printf '### GET /v1/groups/<ID>/members?limit=1000 (wrk, 64 connections, %s s)\n\n' "$RUN_SECONDS"
        report_batch_rows members_1e3 members_1e5
        printf '10^5 members ÷ 10^3 members (req/s): **%s**. Both answers list 1 000 users; the big group also counts its 10^5 memberships for `pagination.total`. Members loaded straight into `users` and `group_members` (`INSERT ... SELECT generate_series`).\n\n' \
            "$(ratio "$(rps_of "cordgate|members_1e5|64")" "$(rps_of "cordgate|members_1e3|64")")"
    fi
    if want add || want put; then
        printf '### One membership vs one new user (wrk, 64 connections, %s s)\n\n' "$RUN_SECONDS"
        report_batch_rows members_add put_new
        printf 'member add ÷ PUT new user (req/s): **%s**. Each member add names a preloaded user not yet a member, going round 64 groups; each PUT creates a user never seen.\n\n' \
            "$(ratio "$(rps_of "cordgate|members_add|64")" "$(rps_of "cordgate|put_new|64")")"
    fi
}

# report_batch_rows ENDPOINT...: one table row per measured endpoint.
report_batch_rows() {
    local e
    printf '| request | req/s | p50 ms | p99 ms | non-2xx | socket errors | max worker RSS MiB |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|\n'
    for e in "$@"; do
        [[ -n "${R[cordgate|$e|64]:-}" ]] || continue
        printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${ENDPOINT_NAME[$e]}" \
            "$(cell "cordgate|$e|64" 1)" "$(cell "cordgate|$e|64" 2)" "$(cell "cordgate|$e|64" 3)" \
            "$(cell "cordgate|$e|64" 4)" "$(cell "cordgate|$e|64" 5)" "$(cell "cordgate|$e|64" 6)"
    done
    printf '\n'
}

# ---------------------------------------------------------------- main

main() {
    local start=$SECONDS est
    LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
    check_tools
    est=$(estimate_seconds)
    log "bench/run.sh: $MODE run, estimated duration $est s ($((est / 60)) min $((est % 60)) s) after the build"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/cordgate-bench.XXXXXX")
    chmod 0755 "$WORK"    # PostgreSQL runs as `postgres` when we are root
    RESULTS=$WORK/results.tsv
    : >"$RESULTS"
    RUN_TAG=$(date +%s)
    if [[ $MODE == quick ]]; then WRK_STRICT=(strict); fi
    build_cordgate
    local build_done=$SECONDS
    setup_database
    make_app_token
    free_port "PORT[node_backend]"
    setup_nginx
    DEFAULT_WORKERS=0
    settle

    case $MODE in
    quick)
        run_cordgate_default
        ;;
    check)
        run_check
        ;;
    scale)
        run_scale
        ;;
    latency)
        run_latency
        ;;
    batch)
        run_batch_mode
        ;;
    alternate)
        run_alternate
        ;;
    full)
        run_cordgate_default
        if want sweep; then run_sweep; fi
        if want php; then run_php; fi
        if want node; then run_node node key "$NPROC"; fi
        if want node-seed; then run_node node-seed seed "$NPROC"; fi
        if want node-1p; then run_node node-1p key 0; fi
        if want node-seed-1p; then run_node node-seed-1p seed 0; fi
        if want nginx; then run_nginx; fi
        if want hello; then run_hello; fi
        if want pgbench; then run_pgbench; fi
        if want hmac; then run_hmac; fi
        ;;
    esac

    local dur=$((SECONDS - start))
    log "measured in $((SECONDS - build_done)) s (total $dur s)"
    if [[ -z "$OUT" && $MODE != quick && $MODE != check ]]; then
        mkdir -p "$BENCH/results"
        OUT=$BENCH/results/$(date -u +%Y-%m-%d-%H%M)
        if [[ $MODE == scale ]]; then OUT+=-scale; fi
        if [[ $MODE == latency ]]; then OUT+=-latency; fi
        if [[ $MODE == batch ]]; then OUT+=-batch; fi
        if [[ $MODE == alternate ]]; then OUT+=-alternate; fi
        if [[ $MODE == check ]]; then OUT+=-check; fi
        OUT+=.md
    fi
    local report=${OUT:-$WORK/report.md}
    write_report "$report" "$dur"
    cat -- "$report"
    [[ -z "$OUT" ]] || log "report written to $OUT"

    if [[ $MODE == quick ]]; then
        local k v bad=0
        for k in "${!R[@]}"; do
            read -r -a v <<<"${R[$k]}"
            if ((v[3] != 0 || v[4] != 0)); then
                err "$k: ${v[3]} non-2xx, ${v[4]} socket errors"
                bad=1
            fi
            if [[ "${v[0]%%.*}" == 0 ]]; then
                err "$k: no request completed"
                bad=1
            fi
        done
        ((bad == 0)) || die "quick run: errors (see above)"
        log "quick run: every endpoint answered 2xx, no socket errors"
    fi
    if [[ $MODE == check ]]; then
        ((CHECK_FAILS == 0)) || die "check: $CHECK_FAILS answers differ from cordgate's (see above)"
        log "check: every peer answers every request as cordgate does"
    fi
}

# One line, read whole before it runs: editing this file during a run is safe.
{ main; exit "$?"; }
