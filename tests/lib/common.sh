# shellcheck shell=bash
# Shared helpers for tests/run.sh, its stages, bench/run.sh and
# deploy/quickstart.sh: logging, a script's help, free ports, waiting for
# HTTP, and starting/stopping background processes by the PIDs we recorded
# ourselves (never by name).
#
# Source it from a bash script that runs with `set -euo pipefail`.

if [[ -n "${CORDGATE_COMMON_SH:-}" ]]; then
    return 0
fi
CORDGATE_COMMON_SH=1

# ---------------------------------------------------------------- logging

if [[ -t 2 ]]; then
    COMMON_BOLD=$'\e[1m' COMMON_RED=$'\e[31m' COMMON_YELLOW=$'\e[33m'
    COMMON_RESET=$'\e[0m'
else
    COMMON_BOLD='' COMMON_RED='' COMMON_YELLOW='' COMMON_RESET=''
fi

# log MESSAGE...: a timestamped line on stderr (stdout stays for data).
log() {
    printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

warn() {
    printf '%s[%s] warning: %s%s\n' "$COMMON_YELLOW" "$(date +%H:%M:%S)" \
        "$*" "$COMMON_RESET" >&2
}

err() {
    printf '%s[%s] error: %s%s\n' "$COMMON_RED" "$(date +%H:%M:%S)" \
        "$*" "$COMMON_RESET" >&2
}

die() {
    err "$@"
    exit 1
}

# header_usage FILE: the comment block at the top of FILE (after the #!
# line), without the # marks and the shellcheck directives: a script's help.
header_usage() {
    awk 'NR == 1 { next } !/^#/ { exit } !/shellcheck/ { sub(/^# ?/, ""); print }' \
        "$1"
}

# help_or_exit SCRIPT ARG: for an argument that SCRIPT does not take. With
# -h or --help, SCRIPT's help (header_usage) on stdout and exit 0; with
# anything else, the help on stderr and exit 2.
help_or_exit() {
    case $2 in
    -h | --help)
        header_usage "$1"
        exit 0
        ;;
    *)
        header_usage "$1" >&2
        exit 2
        ;;
    esac
}

# set_traps CLEANUP: CLEANUP runs at exit; SIGINT and SIGTERM exit 130 and
# 143, through it.
set_traps() {
    # shellcheck disable=SC2064 # CLEANUP is expanded now, on purpose
    trap "$1" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# section TITLE: a visible header between the stages of a long run.
section() {
    printf '\n%s==> %s%s\n' "$COMMON_BOLD" "$*" "$COMMON_RESET" >&2
}

# show_tail FILE [LINES]: print the end of a log file, labelled, if it exists
# and is not empty.
show_tail() {
    local file=$1 lines=${2:-40}
    if [[ -s "$file" ]]; then
        printf '%s--- last %s lines of %s ---%s\n' "$COMMON_BOLD" "$lines" \
            "$file" "$COMMON_RESET" >&2
        tail -n "$lines" -- "$file" >&2 || true
    fi
}

# ---------------------------------------------------------------- ports

# Ports handed out by free_port in this shell, so two calls never return the
# same port before anything has bound it.
COMMON_PORTS_GIVEN=" "

# used_ports: every local TCP port in use on this machine (any state, IPv4 and
# IPv6), one per line. Reads /proc so that no extra package is needed.
used_ports() {
    local f
    for f in /proc/net/tcp /proc/net/tcp6; do
        [[ -r "$f" ]] || continue
        # Field 2 is local_address as HEXADDR:HEXPORT; skip the header line.
        # (Plain bash arithmetic: Debian's default awk has no hex parsing.)
        local _sl addr _rest
        while read -r _sl addr _rest; do
            [[ "$addr" == *:* ]] || continue
            printf '%d\n' "$((16#${addr##*:}))"
        done < <(tail -n +2 -- "$f")
    done
}

# free_port VAR: store in VAR a TCP port on 127.0.0.1 that nothing uses.
# Picks from 15000-32767, below Linux's ephemeral range (32768-60999), so an
# outgoing connection is unlikely to take it between now and the bind.
free_port() {
    # Locals carry a prefix so that they cannot shadow the caller's VAR.
    local _fp_used _fp_port _fp_try
    _fp_used=" $(used_ports | sort -un | tr '\n' ' ') "
    for ((_fp_try = 0; _fp_try < 200; _fp_try++)); do
        _fp_port=$((15000 + RANDOM % 17768))
        if [[ "$_fp_used" != *" $_fp_port "* &&
            "$COMMON_PORTS_GIVEN" != *" $_fp_port "* ]]; then
            COMMON_PORTS_GIVEN+="$_fp_port "
            printf -v "$1" '%s' "$_fp_port"
            return 0
        fi
    done
    err "no free TCP port found on 127.0.0.1"
    return 1
}

# port_in_use PORT: true when something listens on 127.0.0.1:PORT.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---------------------------------------------------------------- HTTP

# http_status URL: print the HTTP status code of a GET (000 when nothing
# answered). Never fails.
http_status() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 -- "$1" 2>/dev/null ||
        true
}

# fastcgi_counts URL: "REQUESTS CONNECTIONS KEPT" from cordgate's /metrics
# under URL: requests summed over routes, FastCGI connections accepted, and
# kept open now; "-" for a sample that is missing.
fastcgi_counts() {
    curl -fsS --max-time 10 "$1/metrics" | awk '
        /^cordgate_requests_total[{ ]/ { r += $NF }
        $1 == "cordgate_fastcgi_connections_total" { c = $2 }
        $1 == "cordgate_fastcgi_connections_kept" { k = $2 }
        END { print r + 0, (c == "" ? "-" : c), (k == "" ? "-" : k) }'
}

# wait_http URL WANT TIMEOUT [PID...]: poll URL until its status matches WANT
# (an exact code such as 200, or "any" for any HTTP answer). Fails after
# TIMEOUT seconds, or at once when one of the PIDs has exited (no point
# waiting for a server that died).
wait_http() {
    local url=$1 want=$2 timeout=$3
    shift 3
    local deadline=$((SECONDS + timeout)) code pid
    while :; do
        code=$(http_status "$url")
        if [[ "$want" == any && "$code" != 000 ]] || [[ "$code" == "$want" ]]
        then
            return 0
        fi
        for pid in "$@"; do
            if ! pid_alive "$pid"; then
                err "process $pid exited while waiting for $url"
                return 1
            fi
        done
        if ((SECONDS >= deadline)); then
            err "$url did not answer ${want} within ${timeout}s (last: $code)"
            return 1
        fi
        sleep 0.2
    done
}

# wait_http_200 URL TIMEOUT [PID...]
wait_http_200() {
    local url=$1 timeout=$2
    shift 2
    wait_http "$url" 200 "$timeout" "$@"
}

# wait_for_socket PATH TIMEOUT [PID...]: wait until a unix socket exists.
wait_for_socket() {
    local path=$1 timeout=$2
    shift 2
    local deadline=$((SECONDS + timeout)) pid
    until [[ -S "$path" ]]; do
        for pid in "$@"; do
            if ! pid_alive "$pid"; then
                err "process $pid exited before creating $path"
                return 1
            fi
        done
        if ((SECONDS >= deadline)); then
            err "$path did not appear within ${timeout}s"
            return 1
        fi
        sleep 0.1
    done
}

# ---------------------------------------------------------------- processes

# PIDs started through start_bg, in start order, as "name:pid".
COMMON_STARTED=()
# Set by start_bg: the PID of the process it just started.
LAST_PID=

# pid_alive PID: true while PID runs, whoever owns it. Reads /proc: `kill -0`
# fails for another user's process, and succeeds for a zombie (exited, not
# yet reaped by us), which counts as dead here.
pid_alive() {
    local pid=$1 stat
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    # The command name in field 2 may hold spaces and parentheses; the state
    # is the first field after its closing parenthesis.
    stat=${stat##*) }
    [[ "${stat%% *}" != Z ]]
}

# pid_cmd_matches PID WORD: true when PID runs and its command line contains
# WORD. Guards stops done from pid files against a recycled PID.
pid_cmd_matches() {
    local pid=$1 word=$2 cmd
    pid_alive "$pid" || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ "$cmd" == *"$word"* ]]
}

# worker_pids MASTER: the children of MASTER (a cordgate master's workers),
# sorted. ps rather than child_pids, which reads each /proc entry with a
# process of its own: seconds on a loaded machine, too slow to time a
# worker's replacement.
worker_pids() {
    ps -o pid= --ppid "$1" | awk '{ print $1 }' | sort -n
}

# child_pids PID: the direct children of PID, one per line.
child_pids() {
    local parent=$1 d stat rest ppid
    for d in /proc/[0-9]*; do
        stat=$(cat "$d/stat" 2>/dev/null) || continue
        rest=${stat##*) }       # "S PPID ..."
        rest=${rest#* }
        ppid=${rest%% *}
        if [[ "$ppid" == "$parent" ]]; then
            printf '%s\n' "${d#/proc/}"
        fi
    done
}

# start_bg NAME LOGFILE COMMAND...: run COMMAND in the background with stdout
# and stderr appended to LOGFILE and stdin from /dev/null; record its PID
# under NAME and leave it in LAST_PID.
#
# setsid gives it a session of its own, so a Ctrl-C in the terminal reaches
# only the calling script, which then stops everything in order (and a
# detached server survives the terminal). A background child of a
# non-interactive shell is not a process-group leader, so setsid does not
# fork and $! is the PID of COMMAND itself.
start_bg() {
    local name=$1 logfile=$2
    shift 2
    setsid "$@" >>"$logfile" 2>&1 </dev/null &
    LAST_PID=$!
    COMMON_STARTED+=("$name:$LAST_PID")
    log "started $name (pid $LAST_PID)"
}

# Set by stop_pid for its callers: the exit status of the stopped process
# when it was our child (0 when it was not ours to reap), and whether it
# needed SIGKILL.
# shellcheck disable=SC2034
STOP_STATUS=0 STOP_KILLED=0

# stop_pid PID [TIMEOUT] [SIGNAL]: send SIGNAL (default TERM) to PID, wait up
# to TIMEOUT seconds (default 20) for it to exit, then SIGKILL it. Only ever
# signals the one PID given. Fails only when PID may not be signalled.
stop_pid() {
    local pid=$1 timeout=${2:-20} sig=${3:-TERM} deadline
    STOP_STATUS=0
    STOP_KILLED=0
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    if pid_alive "$pid"; then
        if ! kill "-$sig" "$pid" 2>/dev/null && pid_alive "$pid"; then
            err "cannot signal pid $pid (started by another user?)"
            return 1
        fi
        deadline=$((SECONDS + timeout))
        while pid_alive "$pid" && ((SECONDS < deadline)); do
            sleep 0.1
        done
        if pid_alive "$pid"; then
            warn "pid $pid still running ${timeout}s after SIG$sig; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            # shellcheck disable=SC2034
            STOP_KILLED=1
        fi
    fi
    # Reap it if it is our child, to learn its exit status; `wait` fails
    # harmlessly (127) for a process that is not ours.
    if wait "$pid" 2>/dev/null; then
        STOP_STATUS=0
    else
        STOP_STATUS=$?
        if ((STOP_STATUS == 127)); then
            STOP_STATUS=0
        fi
    fi
    return 0
}

# stop_started NAME [TIMEOUT] [SIGNAL]: stop the process start_bg recorded
# under NAME (if any) and forget it.
stop_started() {
    local name=$1 timeout=${2:-20} sig=${3:-TERM} i entry
    for i in "${!COMMON_STARTED[@]}"; do
        entry=${COMMON_STARTED[$i]}
        if [[ "${entry%%:*}" == "$name" ]]; then
            stop_pid "${entry#*:}" "$timeout" "$sig"
            unset 'COMMON_STARTED[i]'
        fi
    done
}

# stop_all_started: stop, newest first, everything start_bg recorded.
stop_all_started() {
    local i entry
    local -a idx=("${!COMMON_STARTED[@]}")
    for ((i = ${#idx[@]} - 1; i >= 0; i--)); do
        entry=${COMMON_STARTED[${idx[i]}]}
        stop_pid "${entry#*:}" 20
    done
    COMMON_STARTED=()
}

# stop_pid_file FILE WORD [TIMEOUT] [SIGNAL]: stop the process whose PID is in
# FILE if its command line contains WORD; remove the file. Prints what it did.
stop_pid_file() {
    local file=$1 word=$2 timeout=${3:-20} sig=${4:-TERM} pid=
    [[ -f "$file" ]] || return 0
    read -r pid <"$file" || true
    if [[ -n "$pid" ]] && pid_cmd_matches "$pid" "$word"; then
        log "stopping $word (pid $pid)"
        stop_pid "$pid" "$timeout" "$sig"
    fi
    rm -f -- "$file"
}

# pid_file_alive FILE WORD: true when FILE names a running process whose
# command line contains WORD.
pid_file_alive() {
    local file=$1 word=$2 pid=
    [[ -f "$file" ]] || return 1
    read -r pid <"$file" || true
    [[ -n "$pid" ]] && pid_cmd_matches "$pid" "$word"
}

# ---------------------------------------------------------------- packages

# missing_packages PKG...: print the Debian packages of the list that are not
# installed, one per line.
missing_packages() {
    local p
    for p in "$@"; do
        if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != \
            "install ok installed" ]]; then
            printf '%s\n' "$p"
        fi
    done
}

# ensure_packages PKG...: apt-get install whatever of PKG... is missing.
# Needs root when something is missing. Runs `apt-get update` first when the
# package lists are empty (fresh containers), or when an install fails
# because the lists are stale.
ensure_packages() {
    local -a missing
    mapfile -t missing < <(missing_packages "$@")
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    if ((EUID != 0)); then
        err "missing Debian packages: ${missing[*]}"
        err "run as root (or with sudo), or install them first:"
        err "  sudo apt-get install -y ${missing[*]}"
        return 1
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        apt-get update -q
    fi
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}
