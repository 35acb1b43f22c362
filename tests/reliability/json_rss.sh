#!/usr/bin/env bash
# Peak memory of a cordgate worker for the worst JSON bodies of every route
# that takes a body (the BODY_JSON and BODY_BATCH rows of src/router.c),
# and for the heaviest valid ones. For each route and each shape of body, a
# fresh worker reads one body as large as the route's limit allows, and the
# worker's peak resident memory (VmHWM in /proc/PID/status) is held to
#
#     peak - base <= min(64 MiB, max(16 MiB, 16 x body)) + 6 x body + 4 MiB
#
# where base is a fresh worker's peak after a small request (refused before
# the database, so that a body's cost includes the connection): the JSON
# budget of src/json.c (json_cost_budget); six times the body: the body in
# the request arena, a scratch copy, and for a valid body its values read
# out, quoted as array parameters and copied into libpq's send buffer; and
# 4 MiB for the rest, such as the database connection. Exits 1 when a body goes
# over its bound or gets another answer than the one expected (413 for the
# bodies that cost too much, 2xx for the valid ones, a 4xx for the rest),
# 2 on a usage or set-up error.
#
#   tests/reliability/json_rss.sh [--quick] CORDGATE_BIN PG_CONNINFO WORKDIR
#
#   CORDGATE_BIN  cordgate built without sanitizers (CORDGATE_SANITIZE off,
#                 e.g. -DCMAKE_BUILD_TYPE=Release): AddressSanitizer pads
#                 and quarantines every allocation, so its peaks say nothing
#                 of cordgate's; such a binary is refused.
#   PG_CONNINFO   a PostgreSQL database it may migrate, add an app to, and
#                 write one batch of 10 000 users and 1 000 groups to.
#   WORKDIR       a scratch directory: the socket, cordgate's log, the
#                 bodies (about 60 MB) and the report, WORKDIR/json_rss.tsv
#                 (route, body, bytes, status, peak, base, bound, in KiB).
#
# The three may also come as CORDGATE_RSS_BIN, CORDGATE_RSS_DATABASE_URL
# and CORDGATE_RSS_WORKDIR. It starts its own cordgate on WORKDIR/rss.sock
# with CORDGATE_WORKERS=1 and CORDGATE_MAX_REQUESTS=2 (each body meets a
# fresh worker, which a GET /healthz then recycles), talks FastCGI to it
# with cgi-fcgi (Debian's libfcgi-bin) and stops it at the end. It takes
# about two minutes; --quick sends the bodies to POST /v1/authorize (the
# route without authentication) and POST /v1/batch only.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../lib/common.sh
source "$ROOT/tests/lib/common.sh"

usage() { header_usage "${BASH_SOURCE[0]}"; }

QUICK=0
ARGS=()
for arg in "$@"; do
    case $arg in
    --quick) QUICK=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*)
        usage >&2
        exit 2
        ;;
    *) ARGS+=("$arg") ;;
    esac
done
BIN=${ARGS[0]:-${CORDGATE_RSS_BIN:-}}
CONNINFO=${ARGS[1]:-${CORDGATE_RSS_DATABASE_URL:-}}
WORK=${ARGS[2]:-${CORDGATE_RSS_WORKDIR:-}}
if [[ -z "$BIN" || -z "$CONNINFO" || -z "$WORK" ]] || ((${#ARGS[@]} > 3)); then
    usage >&2
    exit 2
fi
fail_setup() {
    err "$@"
    exit 2
}
[[ -x "$BIN" ]] || fail_setup "not an executable: $BIN"
if grep -aqs -- __asan_init "$BIN"; then
    fail_setup "$BIN is built with AddressSanitizer; its memory says nothing" \
        "of cordgate's (build one with CORDGATE_SANITIZE off)"
fi
command -v cgi-fcgi >/dev/null || fail_setup "cgi-fcgi not found (apt-get install libfcgi-bin)"
mkdir -p -- "$WORK"
WORK=$(cd -- "$WORK" && pwd -P)
SOCK=$WORK/rss.sock
REPORT=$WORK/json_rss.tsv
MIB=$((1 << 20))
MAX_BODY=$MIB              # CORDGATE_MAX_BODY's default
BATCH_MAX_BODY=$((10 * MIB)) # CORDGATE_BATCH_MAX_BODY's default

# --------------------------------------------------------------- cordgate

MASTER=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "$MASTER" ]]; then
        stop_pid "$MASTER" 20
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cg() {
    CORDGATE_DATABASE_URL=$CONNINFO "$BIN" "$@"
}

cg migrate >"$WORK/migrate.log" 2>&1 || {
    show_tail "$WORK/migrate.log"
    fail_setup "cordgate migrate failed"
}
APP_OUT=$(cg app create --name "json-rss-$$") || fail_setup "cordgate app create failed"
APP_ID=$(sed -n 's/^CORDGATE_APP_ID=//p' <<<"$APP_OUT")
[[ -n "$APP_ID" ]] || fail_setup "no app id in: $APP_OUT"

rm -f -- "$SOCK"
start_bg cordgate-rss "$WORK/cordgate.out" env CORDGATE_DATABASE_URL="$CONNINFO" \
    CORDGATE_LISTEN="$SOCK" CORDGATE_WORKERS=1 CORDGATE_MAX_REQUESTS=2 \
    CORDGATE_MAX_BODY=$MAX_BODY CORDGATE_BATCH_MAX_BODY=$BATCH_MAX_BODY \
    CORDGATE_LOG_FILE="$WORK/cordgate.log" CORDGATE_LOG_LEVEL=warn \
    "$BIN" serve
MASTER=$LAST_PID
wait_for_socket "$SOCK" 30 "$MASTER" || exit 2

# worker_after OLD: the pid of the worker that is not OLD, once it runs.
worker_after() {
    local old=$1 deadline=$((SECONDS + 20)) pid
    while ((SECONDS < deadline)); do
        for pid in $(child_pids "$MASTER"); do
            if [[ "$pid" != "$old" ]] && pid_alive "$pid"; then
                printf '%s\n' "$pid"
                return 0
            fi
        done
        pid_alive "$MASTER" || break
        sleep 0.05
    done
    err "no new worker after $old"
    return 1
}

# hwm PID: its peak resident memory in KiB.
hwm() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# fcgi METHOD URI TYPE FILE AUTH: one FastCGI request with FILE as its body
# (TYPE its CONTENT_TYPE, AUTH a bearer token or ""); prints the status.
fcgi() {
    local method=$1 uri=$2 type=$3 file=$4 auth=$5 len=0 status
    [[ -z "$file" ]] || len=$(stat -c %s -- "$file")
    local -a env=(REQUEST_METHOD="$method" REQUEST_URI="$uri"
        SCRIPT_NAME="$uri" CONTENT_LENGTH="$len" SERVER_PROTOCOL=HTTP/1.1)
    [[ -z "$type" ]] || env+=(CONTENT_TYPE="$type")
    [[ -z "$auth" ]] || env+=(HTTP_AUTHORIZATION="Bearer $auth")
    env -i "${env[@]}" cgi-fcgi -bind -connect "$SOCK" \
        <"${file:-/dev/null}" >"$WORK/answer" 2>/dev/null || true
    status=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$WORK/answer" | tr -d '\r')
    printf '%s\n' "${status:-200}"
}

WORKER=$(worker_after 0) || exit 2

# measure METHOD URI TYPE FILE AUTH: the body to a fresh worker; sets
# STATUS and PEAK (KiB), then recycles the worker.
measure() {
    STATUS=$(fcgi "$@")
    PEAK=$(hwm "$WORKER")
    fcgi GET /healthz "" "" "" >/dev/null
    WORKER=$(worker_after "$WORKER") || exit 2
}

# ----------------------------------------------------------------- bodies

# body FILE LIMIT PRE UNIT SEP POST: PRE, then copies of UNIT (a printf
# format of the copy's index, used up to three times) joined by SEP, then
# POST, as many as fit in LIMIT bytes.
body() {
    LC_ALL=C awk -v limit="$2" -v pre="$3" -v unit="$4" -v sep="$5" \
        -v post="$6" 'BEGIN {
        n = length(pre) + length(post)
        printf "%s", pre
        for (i = 0; ; i++) {
            u = sprintf(unit, i, i, i)
            add = length(u) + (i > 0 ? length(sep) : 0)
            if (n + add > limit)
                break
            printf "%s%s", (i > 0 ? sep : ""), u
            n += add
        }
        printf "%s", post
    }' >"$1"
}

OPEN63=$(printf '%*s' 63 '' | tr ' ' '[')
CLOSE63=$(printf '%*s' 63 '' | tr ' ' ']')
JSON=application/json
FORM=application/x-www-form-urlencoded

# The worst shapes: name, content type, PRE, UNIT, SEP, POST, answer.
SHAPES=(
    "empty-objects|$JSON|[|{}|,|]|413"
    "empty-arrays|$JSON|[|[]|,|]|413"
    "deep-arrays|$JSON|[|$OPEN63$CLOSE63|,|]|413"
    "deep-then-wide|$JSON|$OPEN63|{}|,|$CLOSE63|413"
    "many-keys|$JSON|{|\"%d\":{}|,|}|413"
    "ones|$JSON|[|1|,|]|413"
    "doubles|$JSON|[|1.5|,|]|413"
    "numbers|$JSON|[|%d|,|]|4xx"
    "empty-strings|$JSON|[|\"\"|,|]|413"
    "short-strings|$JSON|[|\"s%d\"|,|]|4xx"
    "long-string|$JSON|[\"|xxxxxxxxxxxxxxxx||\"]|4xx"
    "escapes|$JSON|[\"|\\\\u00e9\\\\ud83d\\\\ude00||\"]|4xx"
    "form-fields|$FORM||%d|&||413"
)

# The heaviest valid bodies: the biggest batch Cord allows, with metadata,
# and a user whose metadata fills 1 MiB.
valid_bodies() {
    local tag=r$$
    LC_ALL=C awk -v p="$tag" 'BEGIN {
        printf "{\"users\":["
        for (i = 1; i <= 10000; i++)
            printf "%s{\"id\":\"%s-%d\",\"email\":\"%s-%d@example.com\",\"name\":\"User %d\",\"metadata\":{\"plan\":\"pro\",\"seats\":%d,\"beta\":true}}",
                (i > 1 ? "," : ""), p, i, p, i, i, i % 50
        printf "],\"groups\":["
        for (j = 1; j <= 1000; j++) {
            printf "%s{\"id\":\"%s-g%d\",\"name\":\"Group %d\",\"metadata\":{\"tier\":\"gold\",\"n\":%d},\"members\":[",
                (j > 1 ? "," : ""), p, j, j, j
            for (k = 1; k <= 10; k++)
                printf "%s\"%s-%d\"", (k > 1 ? "," : ""), p, (j - 1) * 10 + k
            printf "]}"
        }
        printf "]}"
    }' >"$WORK/valid-batch.json"
    body "$WORK/valid-user.json" "$MAX_BODY" \
        "{\"email\":\"$tag@example.com\",\"metadata\":{" \
        '"key_%06d":"value_%06d"' , "}}"
}

# ----------------------------------------------------------------- routes

# "METHOD PATH AUTH BODY" for each route of src/router.c that takes a body.
routes_with_bodies() {
    awk '/^static const struct route routes\[\] = \{/ { on = 1; next }
        on && /^\};/ { on = 0 }
        on { printf "%s ", $0 }' "$ROOT/src/router.c" |
        grep -oE '\{HTTP_[A-Z]+,[[:space:]]+"[^"]+",[[:space:]]+[a-z_]+,[[:space:]]+AUTH_[A-Z]+,[[:space:]]+BODY_(JSON|BATCH)' |
        sed -E 's/\{HTTP_([A-Z]+),[[:space:]]+"([^"]+)",[[:space:]]+[a-z_]+,[[:space:]]+AUTH_([A-Z]+),[[:space:]]+BODY_([A-Z]+)/\1 \2 \3 \4/'
}

mapfile -t ROUTES < <(routes_with_bodies)
((${#ROUTES[@]} > 0)) || fail_setup "no routes with bodies found in src/router.c"
if ((QUICK)); then
    mapfile -t ROUTES < <(printf '%s\n' "${ROUTES[@]}" |
        grep -E '^POST /v1/(authorize|batch) ')
fi

log "bodies in $WORK"
for limit in $MAX_BODY $BATCH_MAX_BODY; do
    for shape in "${SHAPES[@]}"; do
        IFS='|' read -r name type pre unit sep post _ <<<"$shape"
        body "$WORK/$name-$limit" "$limit" "$pre" "$unit" "$sep" "$post"
    done
done
valid_bodies

# ------------------------------------------------------------------ runs

bound_kib() {
    local len=$1 budget
    budget=$((16 * len))
    ((budget > 16 * MIB)) || budget=$((16 * MIB))
    ((budget < 64 * MIB)) || budget=$((64 * MIB))
    printf '%s\n' $(((budget + 6 * len + 4 * MIB) / 1024))
}

token() {
    cg token server --app "$APP_ID"
}

# A fresh worker's peak after a small request refused before the database:
# what a body costs on top of it includes the database connection, for the
# bodies that get that far.
printf '[' >"$WORK/small.json"
BASE=
for _ in 1 2 3; do
    measure POST /v1/authorize "$JSON" "$WORK/small.json" ""
    [[ -n "$BASE" ]] && ((PEAK >= BASE)) || BASE=$PEAK
done
log "base: a fresh worker's peak after a small request, $BASE KiB"

printf 'route\tbody\tbytes\tstatus\tpeak_kib\tbase_kib\tbound_kib\n' >"$REPORT"
FAILED=0 WORST=0
# run ROUTE URI NAME FILE TYPE EXPECT AUTH
run() {
    local route=$1 uri=$2 name=$3 file=$4 type=$5 expect=$6 auth=$7 len bound ok=1
    len=$(stat -c %s -- "$file")
    measure "${route%% *}" "$uri" "$type" "$file" "$auth"
    bound=$(bound_kib "$len")
    case $expect in
    413) [[ "$STATUS" == 413 ]] || ok=0 ;;
    2xx) [[ "$STATUS" == 2?? ]] || ok=0 ;;
    4xx) [[ "$STATUS" == 4?? ]] || ok=0 ;;
    esac
    if ((PEAK - BASE > bound)); then
        ok=0
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$route" "$name" "$len" "$STATUS" \
        "$PEAK" "$BASE" "$bound" >>"$REPORT"
    printf '  %-40s %-15s %9s B  %s  peak %6s KiB  +%6s KiB (bound +%6s)%s\n' \
        "$route" "$name" "$len" "$STATUS" "$PEAK" $((PEAK - BASE)) "$bound" \
        "$( ((ok)) || printf '  FAILED (expected %s)' "$expect")" >&2
    if ((!ok)); then
        FAILED=$((FAILED + 1))
    fi
    if ((PEAK - BASE > WORST)); then
        WORST=$((PEAK - BASE))
    fi
}

for r in "${ROUTES[@]}"; do
    read -r method path auth kind <<<"$r"
    uri=${path//:id/rss-$$}
    limit=$MAX_BODY
    [[ "$kind" != BATCH ]] || limit=$BATCH_MAX_BODY
    log "$method $path (limit $limit bytes, auth $auth)"
    for shape in "${SHAPES[@]}"; do
        IFS='|' read -r name type _ _ _ _ expect <<<"$shape"
        bearer=""
        [[ "$auth" == NONE ]] || bearer=$(token)
        run "$method $path" "$uri" "$name" "$WORK/$name-$limit" "$type" \
            "$expect" "$bearer"
    done
    if [[ "$method $path" == "POST /v1/batch" ]]; then
        run "$method $path" "$uri" valid-batch "$WORK/valid-batch.json" \
            "$JSON" 2xx "$(token)"
    elif [[ "$method $path" == "PUT /v1/users/:id" ]]; then
        run "$method $path" "$uri" valid-user "$WORK/valid-user.json" \
            "$JSON" 2xx "$(token)"
    fi
done

section "json_rss: $(($(wc -l <"$REPORT") - 1)) bodies, base $BASE KiB, worst +$WORST KiB, $FAILED over bound or answered wrong"
log "report: $REPORT"
((FAILED == 0))
