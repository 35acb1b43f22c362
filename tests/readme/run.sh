#!/usr/bin/env bash
# The newcomer's path: README.md's shell blocks, run as pasted, in order,
# against the quickstart, in a private copy of the checkout.
#
#   tests/readme/run.sh [--keep-work] [--list]
#
# The copy holds the files git knows (as they are in the work tree now, new
# ones included; no build/, no var/, no node_modules/), in a directory that
# only its owner may enter (mode 0700, as /root is), so that as root the
# quickstart must put its private cluster where `postgres` can reach it.
# Then, in one bash shell, from the copy's root, as a reader pastes them
# into one terminal:
#   - every ```sh block of README.md in the order of the file, each under
#     `set -e -o pipefail`, so that a command that fails fails the stage,
#     but a block whose fence has the line
#         <!-- readme-test: skip: WHY -->
#     just above it (the test suite itself, a benchmark, an install into
#     /usr/local). The "error" codes a block prints must be, in order, those
#     its `# ...` answer lines show: a block that shows no error prints none,
#     so a request sent without its token fails the stage;
#   - in that same shell (var/dev.env sourced), `deploy/quickstart.sh stop`
#     and `deploy/quickstart.sh --detach` again: the quickstart must tell the
#     URL of its own cluster from a database of the user's and start its
#     cluster again;
#   - as root: the private cluster must not be in the copy's var/pg (which
#     postgres cannot reach) but where var/pg.path says, and
#     `deploy/quickstart.sh status` must name it.
# When 127.0.0.1:3337 is taken (a quickstart of one's own), the blocks get
# another free port, in their URLs and as `--port` of the quickstart.
# At the end it stops the copy's quickstart and removes the copy and its
# cluster. Bounded: the quickstart's build is most of it (a few minutes on
# 2 CPUs); tests/run.sh caps the stage at 15 minutes.
#
#   --keep-work   keep the copy (stopped) and the blocks' output
#   --list        print the blocks and whether each runs, and exit
#
# Needs root or the quickstart's packages installed, node and npm.
# shellcheck source-path=SCRIPTDIR
# Functions run from traps: not unreachable.
# shellcheck disable=SC2317
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$HERE/../.." && pwd -P)
# shellcheck source=../lib/all.sh
source "$ROOT/tests/lib/all.sh"
# shellcheck source=../../deploy/quickstart/nginx.sh
source "$ROOT/deploy/quickstart/nginx.sh"

KEEP_WORK=0
LIST=0
for arg in "$@"; do
    case $arg in
    --keep-work) KEEP_WORK=1 ;;
    --list) LIST=1 ;;
    *) help_or_exit "${BASH_SOURCE[0]}" "$arg" ;;
    esac
done

README=$ROOT/README.md

# extract_blocks DIR: each ```sh block of README.md as DIR/N.sh, and a line
# "N LINE run|skip WHY" for each in DIR/index (LINE: the line of its fence).
extract_blocks() {
    local dir=$1
    awk -v dir="$dir" '
        /^```sh[[:space:]]*$/ && !inblock {
            inblock = 1; n++; file = dir "/" n ".sh"
            printf "" > file
            why = ""
            if (prev ~ /^<!-- readme-test: skip: .* -->[[:space:]]*$/) {
                why = prev
                sub(/^<!-- readme-test: skip: /, "", why)
                sub(/ -->[[:space:]]*$/, "", why)
            }
            printf "%d %d %s %s\n", n, NR, (why == "" ? "run" : "skip"), why > (dir "/index")
            next
        }
        /^```/ && inblock { inblock = 0; close(file); prev = $0; next }
        inblock { print > file; next }
        { prev = $0 }
    ' "$README"
}

# error_codes: the "error" codes of Cord's JSON errors in stdin, in order.
error_codes() {
    grep -o '"error": *"[a-z_]*"' | sed 's/.*"\([a-z_]*\)"$/\1/' || true
}

if ((LIST)); then
    D=$(mktemp -d)
    extract_blocks "$D"
    while read -r n line what why; do
        printf '%-3s README.md:%-5s %-5s %s\n' "$n" "$line" "$what" "$why"
        sed 's/^/        | /' "$D/$n.sh"
    done <"$D/index"
    rm -rf -- "$D"
    exit 0
fi

W=
COPY=
PG_ELSEWHERE=

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    if [[ -n "$COPY" && -x "$COPY/deploy/quickstart.sh" ]]; then
        # The quickstart started them, detached: its stop finds them by
        # their pid files.
        (cd "$COPY" && env -u CORDGATE_DATABASE_URL deploy/quickstart.sh stop) \
            >>"$W/stop.log" 2>&1
    fi
    if [[ -z "$PG_ELSEWHERE" && -n "$COPY" && -s "$COPY/var/pg.path" ]]; then
        read -r PG_ELSEWHERE <"$COPY/var/pg.path"
    fi
    # The copy's cluster outside the copy: only a directory named for it.
    if [[ -n "$PG_ELSEWHERE" && "$PG_ELSEWHERE" == /var/lib/cordgate-quickstart/cordgate-* ]]; then
        if ((KEEP_WORK)); then
            log "the copy's cluster is kept in $PG_ELSEWHERE"
        else
            rm -rf -- "$PG_ELSEWHERE"
            rmdir /var/lib/cordgate-quickstart 2>/dev/null
        fi
    fi
    if [[ -n "$W" && -d "$W" ]]; then
        if ((rc != 0)); then
            show_tail "$W/blocks.log" 60
            show_tail "$COPY/var/log/cordgate.log" 20
        fi
        if ((KEEP_WORK)); then
            log "work directory kept: $W"
        else
            rm -rf -- "$W"
        fi
    fi
    exit "$rc"
}
set_traps cleanup

command -v node >/dev/null || die "node is needed: the README's blocks use it"
command -v npm >/dev/null || die "npm is needed: the README's blocks use it"

# A developer's own CORDGATE_* settings are not a newcomer's: none is kept.
# shellcheck disable=SC2119
clear_cordgate_env

W=$(mktemp -d /tmp/cordgate-readme.XXXXXX)
chmod 0755 "$W"
install -d -m 0700 "$W/home"
COPY=$W/home/cordgate
log "a copy of the checkout in $COPY ($W/home has mode 0700)"
mkdir -p -- "$COPY"
(
    cd "$ROOT"
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard |
            while IFS= read -r -d '' f; do
                [[ -f "$f" ]] && printf '%s\0' "$f"
            done | tar --null -T - -cf -
    else
        tar --exclude='./build*' --exclude=./var --exclude='node_modules' -cf - .
    fi
) | tar -C "$COPY" -xf -

mkdir -p -- "$W/blocks"
extract_blocks "$W/blocks"
[[ -s "$W/blocks/index" ]] || die "no \`\`\`sh block in README.md"

PORT=3337
if quickstart_port_taken 3337; then
    free_port PORT
    warn "127.0.0.1:3337 is taken: the blocks use port $PORT instead"
fi

# The script the one shell runs: the blocks in order, each with its output
# kept for the check of its answers.
S=$W/script.sh
{
    printf '# Generated by tests/readme/run.sh from README.md.\n'
    printf 'set -e -o pipefail\ncd %q\n' "$COPY"
    while read -r n line what _; do
        [[ "$what" == run ]] || continue
        printf '\n# ---- block %s, README.md line %s\n' "$n" "$line"
        printf "trap 'echo \"README.md line %s: the block failed at: \$BASH_COMMAND\" >&2' ERR\n" "$line"
        printf 'echo "==> README.md line %s" >&2\n{\n' "$line"
        if ((PORT != 3337)); then
            sed -e "s/3337/$PORT/g" \
                -e "s|deploy/quickstart.sh --detach|deploy/quickstart.sh --detach --port $PORT|g" \
                "$W/blocks/$n.sh"
        else
            cat -- "$W/blocks/$n.sh"
        fi
        printf '\n} >%q\n' "$W/blocks/$n.out"
        printf 'cat -- %q >&2\n' "$W/blocks/$n.out"
    done <"$W/blocks/index"
    # The same shell, var/dev.env sourced: stop, then start again.
    cat <<EOF

# ---- the quickstart stopped and started again from this shell
trap 'echo "restart from the README shell: failed at: \$BASH_COMMAND" >&2' ERR
echo "==> deploy/quickstart.sh stop; deploy/quickstart.sh --detach (CORDGATE_DATABASE_URL=\$CORDGATE_DATABASE_URL)" >&2
deploy/quickstart.sh stop >&2
deploy/quickstart.sh --detach $( ((PORT != 3337)) && printf -- '--port %s' "$PORT") >$(printf '%q' "$W/restart.out") 2>&1
curl -fsS "\$CORDGATE_URL/healthz" >&2
deploy/quickstart.sh status >$(printf '%q' "$W/status.out")
EOF
} >"$S"

section "readme: the blocks of README.md, in one shell"
while read -r n line what why; do
    if [[ "$what" == run ]]; then
        log "block $n (README.md line $line): runs"
    else
        log "block $n (README.md line $line): skipped: $why"
    fi
done <"$W/blocks/index"

RC=0
(cd "$COPY" && timeout --kill-after=10 840 bash "$S") >"$W/blocks.log" 2>&1 || RC=$?
cat -- "$W/blocks.log" >&2
FAILED=0
if ((RC != 0)); then
    err "the README's blocks stopped with exit $RC"
    FAILED=1
fi

section "readme: answers"
while read -r n line what _; do
    [[ "$what" == run && -f "$W/blocks/$n.out" ]] || continue
    want=$({ grep -E '^[[:space:]]*#' "$W/blocks/$n.sh" || true; } | error_codes | paste -sd' ')
    got=$(error_codes <"$W/blocks/$n.out" | paste -sd' ')
    if [[ "$want" != "$got" ]]; then
        err "README.md line $line: the block's errors are '${got:-none}', the README shows '${want:-none}'"
        FAILED=1
    else
        log "README.md line $line: errors as shown (${want:-none})"
    fi
done <"$W/blocks/index"

if ((RC == 0)); then
    section "readme: restarted from the same shell"
    cat -- "$W/restart.out" >&2
    if ! grep -q "is the private cluster's" "$W/restart.out"; then
        err "the quickstart did not take var/dev.env's CORDGATE_DATABASE_URL for its own"
        FAILED=1
    fi
    cat -- "$W/status.out" >&2
    if ((EUID == 0)); then
        if [[ -d "$COPY/var/pg" ]]; then
            err "as root, the cluster went to $COPY/var/pg, which postgres cannot reach"
            FAILED=1
        elif [[ ! -s "$COPY/var/pg.path" ]]; then
            err "no var/pg.path: where did the cluster go?"
            FAILED=1
        else
            read -r PG_ELSEWHERE <"$COPY/var/pg.path"
            if ! grep -qF "PostgreSQL: running ($PG_ELSEWHERE," "$W/status.out"; then
                err "deploy/quickstart.sh status does not name $PG_ELSEWHERE"
                FAILED=1
            else
                log "the private cluster runs in $PG_ELSEWHERE, as var/pg.path says"
            fi
        fi
    fi
fi

if ((FAILED)); then
    exit 1
fi
log "every block ran as pasted, with the answers the README shows"
