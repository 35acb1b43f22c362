#!/bin/sh
# cordgate under spawn-fcgi -F N: N processes forked once, unsupervised.
#
#   cordgate-fork.sh start | stop
#
# What it does: spawn-fcgi creates the socket, forks PROCESSES copies of
# cordgate sharing it on fd 0, writes their PIDs to PID_FILE and exits.
# cordgate runs each as a single process. This is how Debian's sysvinit
# scripts use spawn-fcgi (fcgiwrap's, for example).
#
# Know the limits before using it:
# - nobody restarts a process that dies: the pool just shrinks (use
#   cordgate-multiwatch.sh or the systemd units instead when you can);
# - stdout and stderr are /dev/null: cordgate's log must go to a file
#   (LOG_FILE below, exported as CORDGATE_LOG_FILE, writable by RUN_AS) or
#   to syslog (LOG_FILE=syslog);
# - signals go to every PID (stop below does that); no graceful reload.
#
# Install:
#   cp deploy/spawn-fcgi/cordgate-fork.sh /usr/local/sbin/; edit the settings
#   install -d -o cordgate -g cordgate /var/log/cordgate
#   Needs: apt-get install spawn-fcgi
#
# Tested by tests/deploy/run.sh ("spawn-fcgi-fork"), which substitutes the
# settings below.

# The socket (mode 0660, the web server's group) is the only way in: the
# web server's file decides who reaches what, and the shipped ones keep
# cordgate's own paths (/healthz, /metrics) to this host (deploy/README.md,
# "Operator endpoints"). Never `-a 0.0.0.0`: anyone who reaches a FastCGI
# port can forge every CGI variable.
#
# ---- settings
CORDGATE=/usr/local/sbin/cordgate
CONFIG=/etc/cordgate/cordgate.conf
SOCKET=/run/cordgate/cordgate.sock
PROCESSES=4
PID_FILE=/run/cordgate/cordgate.pid
LOG_FILE=/var/log/cordgate/cordgate.log
# When started as root: the user cordgate runs as, and the group allowed to
# connect to the socket (the web server's: www-data on Debian).
RUN_AS=cordgate
SOCKET_GROUP=www-data
# ----

set -e
case ${1:-start} in
start)
    if [ "$(id -u)" = 0 ]; then
        set -- -u "$RUN_AS" -U "$RUN_AS" -G "$SOCKET_GROUP"
        install -d -m 0755 "$(dirname "$SOCKET")" "$(dirname "$PID_FILE")"
    else
        set --
    fi
    CORDGATE_LOG_FILE=$LOG_FILE
    export CORDGATE_LOG_FILE
    exec spawn-fcgi -F "$PROCESSES" -P "$PID_FILE" -s "$SOCKET" -M 0660 "$@" -- \
        "$CORDGATE" --config "$CONFIG" serve
    ;;
stop)
    [ -f "$PID_FILE" ] || exit 0
    # SIGTERM: each process finishes the request in flight, then exits.
    # shellcheck disable=SC2046
    kill -TERM $(cat "$PID_FILE") 2>/dev/null || true
    rm -f "$PID_FILE"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
