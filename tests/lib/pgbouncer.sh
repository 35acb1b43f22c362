# shellcheck shell=bash
# PgBouncer as shipped (deploy/pgbouncer/pgbouncer.ini and userlist.txt, their
# paths and ports replaced) in front of a test database, in the foreground as
# a background child of the calling script, stopped by its PID.
#
# Needs tests/lib/common.sh and tests/lib/cordgate.sh (render), and ROOT.

# pgbouncer_start DIR DB_URL DB_PORT PASSWORD [FROM TO]...: PgBouncer with its
# files in DIR, on a free port of 127.0.0.1, for the database of DB_URL on
# 127.0.0.1:DB_PORT; it lets in DB_URL's user (postgres by default) with
# PASSWORD. FROM TO: more replacements in pgbouncer.ini. As root it runs as
# postgres: PgBouncer refuses to run as root. Sets PGB_PID, PGB_PORT,
# PGB_DB_NAME, PGB_DB_USER and PGB_URL, the conninfo to reach the database
# through it.
pgbouncer_start() {
    local dir=$1 db_url=$2 db_port=$3 pw=$4
    shift 4
    PGB_DB_NAME=cordgate
    PGB_DB_USER=postgres
    [[ "$db_url" =~ dbname=([^[:space:]]+) ]] && PGB_DB_NAME=${BASH_REMATCH[1]}
    [[ "$db_url" =~ user=([^[:space:]]+) ]] && PGB_DB_USER=${BASH_REMATCH[1]}
    free_port PGB_PORT
    install -d -m 0750 "$dir"
    render "$ROOT/deploy/pgbouncer/pgbouncer.ini" "$dir/pgbouncer.ini" \
        'port=5432 dbname=cordgate' "port=$db_port dbname=$PGB_DB_NAME" \
        'listen_port = 6432' "listen_port = $PGB_PORT" \
        /var/run/postgresql "$dir" \
        /var/log/postgresql "$dir" \
        /etc/pgbouncer/userlist.txt "$dir/userlist.txt" "$@"
    # shellcheck disable=SC2016 # a literal $ in the placeholder
    render "$ROOT/deploy/pgbouncer/userlist.txt" "$dir/userlist.txt" \
        '"cordgate" "SCRAM-SHA-256$4096:REPLACE-WITH-THE-SECRET-FROM-pg_authid"' \
        "\"$PGB_DB_USER\" \"$pw\""
    chmod 0640 "$dir/userlist.txt" "$dir/pgbouncer.ini"
    local -a as=()
    if ((EUID == 0)); then
        chown -R postgres: "$dir"
        as=(setpriv --reuid=postgres "--regid=$(id -g postgres)" --init-groups)
    fi
    start_bg pgbouncer "$dir/pgbouncer.out" "${as[@]}" pgbouncer "$dir/pgbouncer.ini"
    PGB_PID=$LAST_PID
    local deadline=$((SECONDS + 20))
    until port_in_use "$PGB_PORT"; do
        pid_alive "$PGB_PID" || {
            show_tail "$dir/pgbouncer.log"
            show_tail "$dir/pgbouncer.out"
            die "pgbouncer exited at start"
        }
        ((SECONDS < deadline)) || die "pgbouncer does not listen on $PGB_PORT"
        sleep 0.1
    done
    # shellcheck disable=SC2034 # for the stage
    PGB_URL="host=127.0.0.1 port=$PGB_PORT dbname=$PGB_DB_NAME user=$PGB_DB_USER password=$pw"
}
