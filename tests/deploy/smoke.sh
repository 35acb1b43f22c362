#!/usr/bin/env bash
# The smoke suite that tests/deploy/run.sh runs through every front end.
#
#   tests/deploy/smoke.sh [--name NAME] BASE_URL
#   tests/deploy/smoke.sh --load CLIENTS REQUESTS [--name NAME] BASE_URL
#
# BASE_URL is where cordgate's routes start, e.g. http://127.0.0.1:8080 or
# http://127.0.0.1:8080/site for an .htaccess install under /site.
#
# Needs CORDGATE_TEST_APP_ID and CORDGATE_TEST_APP_SECRET (an app in the
# database behind BASE_URL); jq, curl and openssl.
#
# Checks, in order:
#   authorize     POST /v1/authorize with a signed app token (HS512, made here
#                 with openssl from the app secret) -> 200 {"access_token"}
#   bearer        GET /v1/verify with `Authorization: Bearer <access token>`
#                 -> 200 success: the header got through the front end
#   no-auth       GET /v1/verify without it -> 401 (the 200 above was earned)
#   big PUT/GET   PUT /v1/users/<id> with a body over 100 KiB (metadata with
#                 thousands of keys) -> 2xx, then GET it back: same metadata
#   404, 405      JSON errors from the app; the 405 carries Allow
#   413           a body over 1 MiB -> the app's JSON 413 (every shipped
#                 configuration keeps the server's own limit above cordgate's)
#   operator      GET /metrics from this host -> 200; from 127.0.0.2 (when
#                 BASE_URL is on 127.0.0.1) /metrics, /healthz and their
#                 case and slash variants -> 403 from the front end, even
#                 with X-Forwarded-For and the like; Cord's API -> 200
# Every request carries `X-Request-Id: smoke-NAME-N`, so that the caller can
# find its log lines.
#
# --load CLIENTS REQUESTS: CLIENTS parallel loops of REQUESTS bearer requests
# each (GET /v1/verify); every one must answer 200, and all of them within
# SMOKE_LOAD_SECONDS (default 30; a healthy pool needs 1-8 s for 160,
# depending on the machine's load; a stalling one over 80 s).
#
# Prints one line per check on stderr; on a failure, the request and the
# response. The access token is written to $SMOKE_TOKEN_FILE when set, so
# that the caller can check that it appears in no log.
set -euo pipefail

NAME=smoke
LOAD=0
CLIENTS=0
REQUESTS=0
while (($# > 1)); do
    case $1 in
    --name)
        NAME=$2
        shift 2
        ;;
    --load)
        LOAD=1
        CLIENTS=$2
        REQUESTS=$3
        shift 3
        ;;
    *) break ;;
    esac
done
if (($# != 1)); then
    sed -n '2,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 2
fi
BASE=${1%/} # or --app-token
APP_ID=${CORDGATE_TEST_APP_ID:?CORDGATE_TEST_APP_ID is not set}
APP_SECRET=${CORDGATE_TEST_APP_SECRET:?CORDGATE_TEST_APP_SECRET is not set}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cordgate-smoke.XXXXXX")
trap 'rm -rf -- "$TMP"' EXIT

N=0
say() { printf '  [%s] %s\n' "$NAME" "$*" >&2; }
fail() {
    printf '  [%s] FAILED: %s\n' "$NAME" "$*" >&2
    exit 1
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# app_token: a JWT as Cord's SDKs sign it: HS512 over {app_id, iat, exp}
# with the app secret (its text, as jsonwebtoken uses it).
app_token() {
    local now head body sig
    now=$(date +%s)
    head=$(printf '{"alg":"HS512","typ":"JWT"}' | b64url)
    body=$(printf '{"app_id":"%s","iat":%d,"exp":%d}' "$APP_ID" "$now" \
        $((now + 60)) | b64url)
    sig=$(printf '%s.%s' "$head" "$body" |
        openssl dgst -sha512 -mac HMAC -macopt "key:$APP_SECRET" -binary | b64url)
    printf '%s.%s.%s' "$head" "$body" "$sig"
}

# req METHOD PATH [curl args...]: sets STATUS, and the files TMP/body and
# TMP/headers of the response. Never fails on HTTP errors.
req() {
    local method=$1 path=$2
    shift 2
    N=$((N + 1))
    REQ_DESC="$method $BASE$path (X-Request-Id smoke-$NAME-$N)"
    STATUS=$(curl -sS -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' \
        --max-time 30 -X "$method" -H "X-Request-Id: smoke-$NAME-$N" \
        "$@" -- "$BASE$path" 2>"$TMP/curl.err") || STATUS=000
}

# expect CODE WHAT: fail with the evidence unless STATUS is CODE.
expect() {
    local want=$1 what=$2
    if [[ "$STATUS" != "$want" ]]; then
        {
            printf '  [%s] FAILED: %s: %s -> HTTP %s, expected %s\n' "$NAME" \
                "$what" "$REQ_DESC" "$STATUS" "$want"
            cat "$TMP/curl.err" 2>/dev/null
            printf '  response headers:\n'
            sed 's/^/    /' "$TMP/headers" 2>/dev/null
            printf '  response body (first 600 bytes):\n    '
            head -c 600 "$TMP/body" 2>/dev/null
            printf '\n'
        } >&2
        exit 1
    fi
}

# json_error CODE: the body is cordgate's JSON error with this code.
json_error() {
    local code
    code=$(jq -r '.error // empty' "$TMP/body" 2>/dev/null) || code=
    if [[ "$code" != "$1" ]]; then
        fail "$REQ_DESC: expected cordgate's JSON error \"$1\", got: $(head -c 300 "$TMP/body")"
    fi
}

# --app-token: print a signed app token (valid a minute) and stop.
if [[ "$BASE" == --app-token ]]; then
    app_token
    printf '\n'
    exit 0
fi

# ------------------------------------------------------------------ load

if ((LOAD)); then
    TOKEN=$(app_token)
    # shellcheck disable=SC2317
    client() {
        local c=$1 i code
        for ((i = 1; i <= REQUESTS; i++)); do
            # Past the time limit the rest are not even sent: a stalling
            # pool must not hold the whole run.
            if (($(date +%s) >= deadline)); then
                printf 'not-sent-in-time %s\n' "$c-$i"
                continue
            fi
            code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
                -H "Authorization: Bearer $TOKEN" \
                -H "X-Request-Id: load-$NAME-$c-$i" \
                -- "$BASE/v1/verify" 2>/dev/null) || code=000
            printf '%s %s\n' "$code" "$c-$i"
        done
    }
    limit=${SMOKE_LOAD_SECONDS:-30}
    deadline=$(($(date +%s) + limit))
    t0=$(date +%s%3N)
    for ((c = 1; c <= CLIENTS; c++)); do
        client "$c" >"$TMP/load-$c" &
    done
    wait
    t1=$(date +%s%3N)
    total=$((CLIENTS * REQUESTS))
    ok=$(cat "$TMP"/load-* | grep -c '^200 ' || true)
    ms=$((t1 - t0))
    secs=$((ms / 1000)).$(((ms % 1000) / 100))
    if ((ok != total)); then
        say "load: $ok/$total answered 200 in ${secs}s; the others:"
        cat "$TMP"/load-* | grep -v '^200 ' | cut -d' ' -f1 | sort | uniq -c >&2
        fail "load: $((total - ok)) of $total requests failed (${CLIENTS} clients)"
    fi
    if ((ms > limit * 1000)); then
        fail "load: $total/$total answered 200, but took ${secs}s (limit ${limit}s): the pool stalls"
    fi
    say "load ok: $total/$total requests from $CLIENTS parallel clients in ${secs}s"
    exit 0
fi

# ------------------------------------------------------------------ smoke

# authorize
req POST /v1/authorize -H 'Content-Type: application/json' \
    --data-binary "{\"signed_app_token\":\"$(app_token)\"}"
expect 200 "authorize"
ACCESS=$(jq -r '.access_token // .accessToken // empty' "$TMP/body")
[[ -n "$ACCESS" ]] || fail "authorize: no access_token in $(head -c 300 "$TMP/body")"
if [[ -n "${SMOKE_TOKEN_FILE:-}" ]]; then
    printf '%s\n' "$ACCESS" >>"$SMOKE_TOKEN_FILE"
fi
say "authorize ok"
AUTH="Authorization: Bearer $ACCESS"

# bearer: the Authorization header reaches the app
req GET /v1/verify -H "$AUTH"
expect 200 "bearer request (is Authorization passed on?)"
[[ "$(jq -r .success "$TMP/body")" == true ]] ||
    fail "verify: $(head -c 300 "$TMP/body")"
req GET /v1/verify
expect 401 "request without Authorization"
say "bearer ok (Authorization reaches the app; 401 without it)"

# a body over 100 KiB, written and read back
USER_ID="smoke-$NAME-$$-$RANDOM"
{
    printf '{"email":"%s@example.com","name":"Smoke %s","metadata":{' \
        "$USER_ID" "$NAME"
    for ((i = 0; i < 2600; i++)); do
        ((i == 0)) || printf ','
        printf '"key%05d":"value %05d of the smoke test metadata"' "$i" "$i"
    done
    printf ',"flag":true,"count":42}}'
} >"$TMP/big.json"
size=$(stat -c %s "$TMP/big.json")
((size > 102400)) || fail "the big body is only $size bytes"
req PUT "/v1/users/$USER_ID" -H "$AUTH" -H 'Content-Type: application/json' \
    --data-binary "@$TMP/big.json"
if [[ "$STATUS" != 2?? ]]; then
    expect 2xx "PUT of a $size-byte body"
fi
req GET "/v1/users/$USER_ID" -H "$AUTH"
expect 200 "GET of the user just written"
if ! diff <(jq -S .metadata "$TMP/big.json") <(jq -S .metadata "$TMP/body") \
    >/dev/null 2>&1; then
    fail "GET /v1/users/$USER_ID: metadata differs from what was PUT"
fi
[[ "$(jq -r .email "$TMP/body")" == "$USER_ID@example.com" ]] ||
    fail "GET /v1/users/$USER_ID: wrong email $(jq -c .email "$TMP/body")"
say "big body ok ($size bytes PUT, read back equal)"

# 404 and 405
req GET /v1/no-such-route -H "$AUTH"
expect 404 "unknown route"
json_error not_found
req DELETE /v1/verify -H "$AUTH"
expect 405 "wrong method"
json_error method_not_allowed
grep -qi '^Allow: ' "$TMP/headers" || fail "405 without an Allow header"
say "404 and 405 ok ($(grep -i '^Allow: ' "$TMP/headers" | tr -d '\r'))"

# cordgate's own paths (/healthz, /metrics, ...) are for this host only;
# Cord's API is for everyone. The shipped files allow 127.0.0.1 and ::1, so
# a client on 127.0.0.2, another loopback address, stands for any other
# host. The front end judges the connection's source address: headers that
# claim another client must change nothing.
if [[ "$BASE" =~ ^https?://127\.0\.0\.1[:/] ]]; then
    req GET /metrics
    expect 200 "GET /metrics from this host"
    grep -q '^# TYPE cordgate_requests_total' "$TMP/body" ||
        fail "GET /metrics from this host: not cordgate's metrics"
    OTHER=(--interface 127.0.0.2)
    for path in /metrics /healthz /Metrics /METRICS /metrics/ /%6detrics \
        /Healthz /healthz/ '/metrics?x=1'; do
        req GET "$path" "${OTHER[@]}"
        expect 403 "GET $path from another address"
        ! grep -q 'cordgate_' "$TMP/body" ||
            fail "GET $path from another address: the metrics got out"
    done
    req GET /metrics "${OTHER[@]}" -H 'X-Forwarded-For: 127.0.0.1' \
        -H 'X-Real-IP: 127.0.0.1' -H 'Forwarded: for=127.0.0.1' \
        -H 'Client-IP: 127.0.0.1' -H 'X-Client-IP: 127.0.0.1'
    expect 403 "GET /metrics from another address claiming 127.0.0.1"
    req GET /v1/verify "${OTHER[@]}" -H "$AUTH"
    expect 200 "Cord's API from another address"
    req GET /V1/Verify "${OTHER[@]}" -H "$AUTH"
    expect 200 "Cord's API in another case from another address"
    say "operator endpoints ok (this host only: 403 from 127.0.0.2, headers or not; Cord's API open)"
else
    say "operator endpoints: not checked (BASE_URL is not on 127.0.0.1)"
fi

# 413 from the app
head -c $((1024 * 1024 + 4096)) /dev/zero | tr '\0' 'a' |
    sed 's/^/{"email":"x@example.com","name":"/; s/$/"}/' >"$TMP/huge.json"
req PUT "/v1/users/$USER_ID" -H "$AUTH" -H 'Content-Type: application/json' \
    --data-binary "@$TMP/huge.json"
expect 413 "body over 1 MiB"
json_error payload_too_large
say "413 ok (cordgate's JSON error)"

# clean up the user
req DELETE "/v1/users/$USER_ID" -H "$AUTH" -H 'Content-Type: application/json' \
    --data-binary '{"permanently_delete": true}'
expect 200 "DELETE of the smoke user"
say "all checks passed"
