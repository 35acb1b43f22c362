# shellcheck shell=bash
# A load of tests/reliability/load.mjs against a stage's cordgate, timed
# against events (the database stopped, frozen, back; a worker killed), and
# the checks on what it saw: its own verdict, and every write it saw
# acknowledged, row by row, in the database.
#
# run_load reads these, which the stage sets: ROOT, URL (cordgate behind its
# web server), APP_ID and APP_SECRET (an app there), CONNECTIONS,
# DEADLINE_MS and RECOVERY_MS.
#
# Needs tests/lib/common.sh, tests/lib/pg.sh and tests/lib/stage.sh.

# now_ms: the time in milliseconds since the epoch (no process forked).
now_ms() {
    local t=${EPOCHREALTIME/./}
    printf '%s\n' $((t / 1000))
}

# mark FILE NAME: the time of an event, for load.mjs --marks.
mark() {
    printf '%s %s\n' "$2" "$(now_ms)" >>"$1"
}

# sleep_until EPOCH_MS
sleep_until() {
    local left=$(($1 - $(now_ms)))
    if ((left > 0)); then
        sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", ms / 1000 }')"
    fi
}

# run_load DIR SECONDS JUDGE PREFIX: load.mjs for SECONDS, judging the
# answers as JUDGE (outage, kill) against the events in DIR/marks, writing
# users whose ids start with PREFIX; its output in DIR/load.out, its records
# and summary.json in DIR.
run_load() {
    local dir=$1 seconds=$2 judge=$3 prefix=$4
    node "$ROOT/tests/reliability/load.mjs" --url "$URL" --app-id "$APP_ID" \
        --app-secret "$APP_SECRET" --connections "$CONNECTIONS" \
        --seconds "$seconds" --timeout 10 --prefix "$prefix" \
        --marks "$dir/marks" --judge "$judge" --deadline-ms "$DEADLINE_MS" \
        --recovery-ms "$RECOVERY_MS" --out "$dir" >"$dir/load.out" 2>&1
}

# load_verdict DIR: each failed assertion of load.mjs's verdict.
load_verdict() {
    local dir=$1 f
    if [[ ! -s "$dir/summary.json" ]]; then
        fail "the load wrote no summary (see $dir/load.out)"
        return 0
    fi
    while IFS= read -r f; do
        fail "$f"
    done < <(jq -r '.verdict.failures[]?' "$dir/summary.json")
}

# check_writes DIR PREFIX CONNINFO [WHERE [STORED]]: every write load.mjs saw
# acknowledged (2xx) is a row of the app's users in the database CONNINFO,
# with the email it sent. Row by row: the sorted (id, email) pairs
# acknowledged against those stored. WHERE ("in the database") and STORED
# ("stored") name the database in the log and the failures. Records the
# figures acked and lost.
check_writes() {
    local dir=$1 prefix=$2 conninfo=$3 where=${4:-in the database}
    local stored=${5:-stored} acked lost extra
    jq -r '[.id, .email] | @tsv' "$dir/acked.ndjson" | LC_ALL=C sort -u >"$dir/acked.tsv"
    pg_psql "$conninfo" -F $'\t' -v app="$APP_ID" -v prefix="$prefix" \
        <<<"SELECT id, email FROM users WHERE app_id = :'app' AND starts_with(id, :'prefix') AND status = 'active';" |
        LC_ALL=C sort -u >"$dir/stored.tsv"
    acked=$(wc -l <"$dir/acked.tsv")
    lost=$(LC_ALL=C comm -23 "$dir/acked.tsv" "$dir/stored.tsv" | tee "$dir/lost.tsv" | wc -l)
    extra=$(LC_ALL=C comm -13 "$dir/acked.tsv" "$dir/stored.tsv" | wc -l)
    log "writes: $acked acknowledged, $lost of them not $where; $extra $stored without an acknowledgement"
    figure acked "$acked"
    figure lost "$lost"
    if ((acked < 2)); then
        fail "only $acked writes were acknowledged: the load did not write"
    fi
    if ((lost > 0)); then
        fail "$lost acknowledged writes are not $where, e.g. $(head -n 3 "$dir/lost.tsv" | cut -f1 | paste -sd' ')"
    fi
}
