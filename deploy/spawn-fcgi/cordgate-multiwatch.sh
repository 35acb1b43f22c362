#!/bin/sh
# cordgate under spawn-fcgi -n + multiwatch: a supervised pool without
# systemd (runit, daemontools, s6, a container entrypoint, or by hand).
#
# What it does: spawn-fcgi creates the socket and execs multiwatch in the
# foreground (-n); multiwatch forks WORKERS cordgate processes sharing the
# socket on fd 0 and restarts any that dies. cordgate sees it was started by
# a process manager and runs each one as a single process (no master of its
# own). stderr is kept: cordgate logs there unless LOG_FILE is set in the
# config file.
#
# Install:
#   cp deploy/spawn-fcgi/cordgate-multiwatch.sh /usr/local/sbin/
#   edit the settings below; settings of cordgate itself go in CONFIG
#   runit:  printf '#!/bin/sh\nexec 2>&1\nexec /usr/local/sbin/cordgate-multiwatch.sh\n' > /etc/sv/cordgate/run
#   Needs: apt-get install spawn-fcgi multiwatch
#
# Stop: SIGTERM to this script's PID (it becomes multiwatch). multiwatch
# stops restarting and sends the signal given by -s to the workers, which
# finish the request in flight and exit. -s TERM is cordgate's stop signal;
# multiwatch's default, USR1, means "reopen the log file" to cordgate
# anywhere else (cordgate started by multiwatch takes it as a stop too).
# No graceful reload: stop and start (for reloads, prefer cordgate's own
# master under systemd, deploy/systemd/). Nothing limits how many times
# multiwatch restarts: it gives up on a worker that dies 3 times in 10 s.
#
# Tested by tests/deploy/run.sh ("spawn-fcgi-multiwatch"), which substitutes
# the settings below.

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
WORKERS=4
# When started as root: the user cordgate runs as, and the group allowed to
# connect to the socket (the web server's: www-data on Debian).
RUN_AS=cordgate
SOCKET_GROUP=www-data
# ----

set -e
if [ "$(id -u)" = 0 ]; then
    set -- -u "$RUN_AS" -U "$RUN_AS" -G "$SOCKET_GROUP"
    install -d -m 0755 "$(dirname "$SOCKET")"
else
    set --
fi
exec spawn-fcgi -n -s "$SOCKET" -M 0660 "$@" -- \
    /usr/bin/multiwatch -f "$WORKERS" -s TERM -- \
    "$CORDGATE" --config "$CONFIG" serve
