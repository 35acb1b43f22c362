# shellcheck shell=bash
# The bookkeeping of the stages. Those that assert and measure
# (tests/reliability, tests/failover): their work directory W, the failed
# assertions in W/failures.txt, the figures for the summary in
# W/figures.tsv, and the verdict at the end. Those that share tests/run.sh's
# work dir and database: see "shared work" below.
#
#   stage_workdir NAME         sets W, SUMMARY (and OWN_WORK=1 when it made W)
#   fail TEXT                  an assertion failed (prefixed by SC when set)
#   figure NAME VALUE          a figure of the current scenario SC
#   get_figure SCENARIO NAME   a recorded figure, "-" when there is none
#   stage_work_done            from the EXIT trap: sanitizer reports copied for
#                              tests/run.sh, W removed or its place logged
#   stage_verdict NAME         exit 1 when an assertion failed, naming them
#
# The stage sets OWN_WORK=0 and KEEP_WORK (its --keep-work) before, and SC
# while a scenario runs.
#
# Needs tests/lib/common.sh.

# stage_workdir NAME: W is CORDGATE_TEST_WORKDIR/NAME (made afresh) when
# tests/run.sh gives a work dir, and SUMMARY CORDGATE_TEST_WORKDIR/NAME-
# summary.txt; else a new /tmp/cordgate-NAME.XXXXXX with SUMMARY in it, and
# OWN_WORK=1. W gets mode 0755 (PostgreSQL runs as postgres, Apache's
# children as nobody, and both must reach it) and empty failures.txt,
# figures.tsv and frozen.pids (for pg_freeze).
# shellcheck disable=SC2034 # SUMMARY is for the stage
stage_workdir() {
    local name=$1
    if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
        W=$CORDGATE_TEST_WORKDIR/$name
        SUMMARY=$CORDGATE_TEST_WORKDIR/$name-summary.txt
        rm -rf -- "$W"
        install -d -m 0755 "$W"
    else
        W=$(mktemp -d "/tmp/cordgate-$name.XXXXXX")
        OWN_WORK=1
        SUMMARY=$W/$name-summary.txt
    fi
    chmod 0755 "$W"
    : >"$W/failures.txt"
    : >"$W/figures.tsv"
    : >"$W/frozen.pids"
    log "work dir: $W"
}

# fail TEXT: an assertion failed; "SC: TEXT" while a scenario SC runs.
fail() {
    local text=${SC:+$SC: }$*
    printf '%s\n' "$text" >>"$W/failures.txt"
    err "FAILED: $text"
}

# figure NAME VALUE: a figure of the current scenario (SC) for the summary.
figure() {
    printf '%s\t%s\t%s\n' "$SC" "$1" "$2" >>"$W/figures.tsv"
}

# get_figure SCENARIO NAME: a recorded figure, "-" when there is none.
get_figure() {
    awk -F'\t' -v s="$1" -v n="$2" '$1 == s && $2 == n { v = $3 }
        END { print (v == "" ? "-" : v) }' "$W/figures.tsv"
}

# stage_work_done: for the EXIT trap, once everything is stopped. The
# sanitizer reports go where tests/run.sh's sanitizer check looks; W is
# removed when the stage made it and KEEP_WORK is 0, else its place logged.
stage_work_done() {
    local f
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
}

# stage_verdict NAME: exit 1 when an assertion failed, after adding the
# failures, prefixed by NAME, to the reasons tests/run.sh repeats in its
# final summary; else say that every one held.
stage_verdict() {
    if [[ -s "$W/failures.txt" ]]; then
        if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
            sed "s/^/$1: /" "$W/failures.txt" | cut -c1-240 >>"$CORDGATE_TEST_WORKDIR/reasons"
        fi
        err "$(wc -l <"$W/failures.txt") assertions failed"
        exit 1
    fi
    log "every assertion held"
}

# ---------------------------------------------------------------- shared work

# The stages that work in tests/run.sh's work dir and database when it gives
# them (tests/deploy, tests/multihost), and in their own otherwise: WORK,
# their directory D in it, DB_URL; OWN_WORK and OWN_PG say what they made.

# stage_shared_workdir NAME: WORK is CORDGATE_TEST_WORKDIR, or else a new
# 0755 /tmp/cordgate-NAME.XXXXXX (OWN_WORK=1); D is WORK/NAME, made afresh
# with mode 0755.
stage_shared_workdir() {
    if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
        WORK=$CORDGATE_TEST_WORKDIR
    else
        WORK=$(mktemp -d "/tmp/cordgate-$1.XXXXXX")
        chmod 0755 "$WORK"
        OWN_WORK=1
    fi
    D=$WORK/$1
    rm -rf -- "$D"
    install -d -m 0755 "$D"
}

# stage_shared_database show|quiet: DB_URL is CORDGATE_TEST_DATABASE_URL (a
# migrated database), or else that of a throwaway cluster in WORK/pg
# (OWN_PG=1) that `cordgate migrate` (BIN) sets up, its output shown or not.
stage_shared_database() {
    if [[ -n "${CORDGATE_TEST_DATABASE_URL:-}" ]]; then
        DB_URL=$CORDGATE_TEST_DATABASE_URL
    else
        OWN_PG=1
        pg_start_throwaway "$WORK/pg" >/dev/null
        DB_URL=$PG_CONNINFO
        if [[ "$1" == quiet ]]; then
            CORDGATE_DATABASE_URL=$DB_URL "$BIN" migrate >/dev/null
        else
            CORDGATE_DATABASE_URL=$DB_URL "$BIN" migrate
        fi
    fi
}

# stage_shared_done KEEP: for the EXIT trap, once everything is stopped: the
# throwaway cluster stopped, WORK removed when the stage made it and KEEP is
# not 1, else where the logs are logged.
stage_shared_done() {
    if ((OWN_PG)); then
        pg_stop "$WORK/pg"
    fi
    if ((OWN_WORK)) && [[ "$1" != 1 ]]; then
        rm -rf -- "$WORK"
    elif [[ -n "$D" ]]; then
        log "logs kept in $D"
    fi
}

# ---------------------------------------------------------------- the front

# stage_nginx_up: once nginx_conf_end has written W/nginx/nginx.conf, whose
# first server listens on NGX_PORT: nginx started, URL set to that server,
# /healthz answering 200 through it from the cordgate master MAIN_PID, and
# W0 its workers, which must be WORKERS.
stage_nginx_up() {
    nginx_start "$W/nginx"
    URL=http://127.0.0.1:$NGX_PORT
    wait_http_200 "$URL/healthz" 60 "$MAIN_PID" "$NGINX_PID"
    mapfile -t W0 < <(worker_pids "$MAIN_PID")
    ((${#W0[@]} == WORKERS)) || die "cordgate runs ${#W0[@]} workers, not $WORKERS"
}
