# shellcheck shell=bash
# A private PostgreSQL 15 cluster in a directory of our own, for the tests
# (throwaway) and for deploy/quickstart.sh (kept under var/pg).
#
# Layout of a cluster directory DIR:
#   DIR/data/            PGDATA (initdb)
#   DIR/postgresql.log   server log
#   DIR/.s.PGSQL.PORT    unix socket (left out when the path is too long)
#
# PostgreSQL refuses to run as root, so when we are root, initdb and pg_ctl
# run through `runuser` as the owner of DIR: the `postgres` user by default.
# That user must be able to reach DIR, i.e. every parent directory needs the
# x bit for it; pg_setup checks this and names the directories that block.
#
# Clients connect over TCP on 127.0.0.1 with trust authentication, which
# works whatever user the client runs as.
#
# Needs tests/lib/common.sh.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

# Filled in by pg_start.
PG_PORT=
PG_CONNINFO=

# pg_os_user DIR: the OS user that owns (or will own) the cluster in DIR.
pg_os_user() {
    local dir=$1 owner
    if ((EUID != 0)); then
        id -un
        return 0
    fi
    if [[ -d "$dir" ]]; then
        owner=$(stat -c %U -- "$dir")
        if [[ "$owner" != root ]]; then
            printf '%s\n' "$owner"
            return 0
        fi
    fi
    printf 'postgres\n'
}

# pg_as USER COMMAND...: run COMMAND as USER (through runuser when we are
# root), from a working directory that USER can enter.
pg_as() {
    local user=$1
    shift
    if ((EUID == 0)) && [[ "$user" != root ]]; then
        (cd / && runuser -u "$user" -- "$@")
    else
        "$@"
    fi
}

# pg_blocking_dirs USER PATH: print the directories on the way to PATH whose
# own mode bits deny USER the x (search) permission. (Asking `test -x` as
# USER would also fail below the first blocking directory.)
pg_blocking_dirs() {
    local user=$1 path=$2 p="" part uid groups duid dgid mode bits
    uid=$(id -u "$user")
    groups=" $(id -G "$user") "
    local -a parts
    IFS=/ read -r -a parts <<<"${path#/}"
    for part in "${parts[@]}"; do
        p+="/$part"
        [[ -d "$p" ]] || break
        read -r duid dgid mode < <(stat -c '%u %g %a' -- "$p")
        mode=$((8#$mode))
        if [[ "$duid" == "$uid" ]]; then
            bits=$(((mode >> 6) & 1))
        elif [[ "$groups" == *" $dgid "* ]]; then
            bits=$(((mode >> 3) & 1))
        else
            bits=$((mode & 1))
        fi
        if ((bits == 0)); then
            printf '%s\n' "$p"
        fi
    done
}

# pg_user_can_reach USER DIR: true when USER can enter DIR's parent.
pg_user_can_reach() {
    local user=$1 dir=$2
    pg_as "$user" test -x "$(dirname -- "$dir")" 2>/dev/null
}

# pg_setup DIR [USER]: create DIR (owned by USER, default pg_os_user) and run
# initdb in DIR/data unless a cluster is already there.
# Set PG_FSYNC=off for a throwaway cluster (faster, not crash-safe).
pg_setup() {
    local dir=$1 user=${2:-}
    [[ -n "$user" ]] || user=$(pg_os_user "$dir")
    dir=$(realpath -m -- "$dir")

    if [[ ! -x "$PG_BIN/initdb" ]]; then
        err "PostgreSQL 15 binaries not found in $PG_BIN (apt-get install postgresql)"
        return 1
    fi
    mkdir -p -- "$(dirname -- "$dir")"
    if ((EUID == 0)); then
        if [[ "$user" == root ]]; then
            err "PostgreSQL cannot run as root; give a different user"
            return 1
        fi
        # An existing root-owned DIR is fine only while it is empty.
        if [[ -d "$dir" && "$(stat -c %U -- "$dir")" == root ]]; then
            if [[ -n "$(ls -A -- "$dir")" ]]; then
                err "$dir is owned by root and not empty; PostgreSQL must own it"
                return 1
            fi
            chown "$user:$(id -gn "$user")" -- "$dir"
        fi
        install -d -o "$user" -g "$(id -gn "$user")" -m 0700 -- "$dir"
        if ! pg_as "$user" test -w "$dir" 2>/dev/null; then
            err "user '$user' (PostgreSQL refuses to run as root) cannot reach $dir."
            err "These directories lack the x (search) permission for it:"
            local d
            while IFS= read -r d; do
                err "    $d    (fix: chmod o+x '$d')"
            done < <(pg_blocking_dirs "$user" "$dir")
            err "Or put the checkout somewhere $user can reach."
            return 1
        fi
    else
        [[ -d "$dir" ]] || mkdir -m 0700 -- "$dir"
    fi

    if [[ -f "$dir/data/PG_VERSION" ]]; then
        return 0
    fi
    log "initdb $dir/data (as $user)"
    local -a sync=()
    if [[ "${PG_FSYNC:-on}" == off ]]; then
        sync=(--no-sync)
    fi
    pg_as "$user" "$PG_BIN/initdb" -D "$dir/data" -U postgres \
        --auth-local=trust --auth-host=trust -E UTF8 --no-locale \
        "${sync[@]}" >"$dir/initdb.log" 2>&1 || {
        show_tail "$dir/initdb.log"
        return 1
    }
    # Our settings live in a file of their own, rewritten at every start
    # (the port may change); postgresql.conf only includes it.
    printf "include_if_exists = 'cordgate.conf'\n" >>"$dir/data/postgresql.conf"
}

# pg__write USER FILE: write stdin to FILE, owned by USER (we may be root).
pg__write() {
    local user=$1 file=$2
    cat >"$file"
    if ((EUID == 0)); then
        chown "$user:$(id -gn "$user")" -- "$file"
    fi
}

# pg_running DIR: true when the cluster in DIR is running.
pg_running() {
    local dir=$1
    [[ -f "$dir/data/PG_VERSION" ]] || return 1
    pg_as "$(pg_os_user "$dir")" "$PG_BIN/pg_ctl" -D "$dir/data" status \
        >/dev/null 2>&1
}

# pg__configured_port DIR: the port of the last start, if recorded.
pg__configured_port() {
    local dir=$1 line
    line=$(grep -Es '^port = [0-9]+$' -- "$dir/data/cordgate.conf" || true)
    printf '%s\n' "${line#port = }"
}

# pg_conninfo PORT: the conninfo of the database `cordgate` of a cluster
# started here on 127.0.0.1:PORT.
pg_conninfo() {
    printf 'host=127.0.0.1 port=%s dbname=cordgate user=postgres\n' "$1"
}

# pg__set_conninfo PORT
pg__set_conninfo() {
    PG_PORT=$1
    PG_CONNINFO=$(pg_conninfo "$PG_PORT")
    export PG_PORT PG_CONNINFO
}

# pg_start DIR [PORT]: start the cluster in DIR (already set up) listening on
# 127.0.0.1:PORT, a free port by default: the one of the previous start when
# it is still free. Sets PG_PORT and PG_CONNINFO. Does nothing but set them
# when the cluster already runs.
pg_start() {
    local dir=$1 port=${2:-} user
    dir=$(realpath -m -- "$dir")
    user=$(pg_os_user "$dir")
    if pg_running "$dir"; then
        port=$(pg__configured_port "$dir")
        pg__set_conninfo "$port"
        log "PostgreSQL already running in $dir on port $port"
        return 0
    fi
    if [[ -z "$port" ]]; then
        port=$(pg__configured_port "$dir")
        if [[ -z "$port" ]] || port_in_use "$port" ||
            [[ " $(used_ports | tr '\n' ' ') " == *" $port "* ]]; then
            free_port port
        fi
    fi
    # A unix socket path is limited to 107 bytes; beyond that, TCP only.
    local sockdir="'$dir'"
    if ((${#dir} + 20 > 107)); then
        sockdir="''"
    fi
    local fsync=${PG_FSYNC:-on}
    pg__write "$user" "$dir/data/cordgate.conf" <<EOF
# Written by tests/lib/pg.sh at every start.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = $sockdir
fsync = $fsync
full_page_writes = $fsync
max_connections = 200
EOF
    log "starting PostgreSQL in $dir on 127.0.0.1:$port (as $user)"
    if ! pg_as "$user" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" \
        -w -t 60 start >/dev/null; then
        err "PostgreSQL did not start"
        show_tail "$dir/postgresql.log"
        return 1
    fi
    pg__set_conninfo "$port"
}

# pg_ensure_db NAME: create database NAME on the started cluster unless it
# exists.
pg_ensure_db() {
    local name=$1 exists
    # The query comes on stdin because psql interpolates :'name' (quoted
    # safely) only there, not in -c.
    exists=$("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
        -XtAq -v ON_ERROR_STOP=1 -v name="$name" \
        <<<"SELECT 1 FROM pg_database WHERE datname = :'name';")
    if [[ "$exists" != 1 ]]; then
        "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres -- "$name"
    fi
}

# pg_stop DIR: stop the cluster in DIR (fast shutdown) if it runs.
pg_stop() {
    local dir=$1
    if pg_running "$dir"; then
        log "stopping PostgreSQL in $dir"
        pg_as "$(pg_os_user "$dir")" "$PG_BIN/pg_ctl" -D "$dir/data" \
            -m fast -w -t 60 stop >/dev/null
    fi
}

# pg_start_throwaway DIR: a fresh, unsynced cluster in DIR with a database
# `cordgate`; prints its conninfo and leaves it in PG_CONNINFO. DIR's parents
# must be traversable by `postgres` when we are root.
pg_start_throwaway() {
    local dir=$1
    PG_FSYNC=off pg_setup "$dir"
    PG_FSYNC=off pg_start "$dir"
    pg_ensure_db cordgate
    printf '%s\n' "$PG_CONNINFO"
}

# pg_ctl_at DIR ARGS...: pg_ctl on the cluster in DIR, as its owner.
pg_ctl_at() {
    local dir=$1
    shift
    pg_as "$(pg_os_user "$dir")" "$PG_BIN/pg_ctl" -D "$dir/data" "$@"
}

# pg_psql CONNINFO ARGS...: psql, unaligned and tuples only, stopping at the
# first error.
pg_psql() {
    local conninfo=$1
    shift
    "$PG_BIN/psql" -XqAt -v ON_ERROR_STOP=1 -d "$conninfo" "$@"
}

# pg_freeze DIR FILE: freeze the cluster in DIR as a hung host would be:
# SIGSTOP to the postmaster, then to each of its children (it can fork no
# new ones once stopped). Their PIDs are added to FILE, for pg_thaw.
pg_freeze() {
    local dir=$1 file=$2 pm c
    read -r pm <"$dir/data/postmaster.pid"
    [[ "$pm" =~ ^[0-9]+$ ]] || die "no postmaster PID in $dir/data/postmaster.pid"
    kill -STOP "$pm"
    printf '%s\n' "$pm" >>"$file"
    for c in $(ps -o pid= --ppid "$pm"); do
        if kill -STOP "$c" 2>/dev/null; then
            printf '%s\n' "$c" >>"$file"
        fi
    done
}

# pg_thaw FILE: SIGCONT to every PID pg_freeze wrote to FILE; empties FILE.
pg_thaw() {
    local file=$1 p
    [[ -s "$file" ]] || return 0
    while read -r p; do
        kill -CONT "$p" 2>/dev/null || true
    done <"$file"
    : >"$file"
}
