#!/bin/sh
# app.fcgi: starts cordgate under Apache mod_fcgid (shared hosting, no root).
#
# What it is: the "script" that mod_fcgid runs. mod_fcgid starts it with a
# listening unix socket on fd 0, one process per concurrent request
# (mod_fcgid sends one request at a time to each process); `exec` keeps fd 0
# and the PID, so cordgate sees the socket and Apache can stop it.
#
# Why a wrapper: under mod_fcgid, `SetEnv` in .htaccess reaches cordgate
# only as a per-request FastCGI parameter, never through getenv(), and
# FcgidInitialEnv is server configuration that shared hosting does not give
# you. So the settings live in a config file (outside the web root: it holds
# the database password) named here, or in `export CORDGATE_...=` lines
# below.
#
# Install: next to the .htaccess of deploy/fcgid/htaccess, e.g.
#   ~/public_html/site/app.fcgi   (chmod 0755; with suexec: owned by you,
#                                  not group- or world-writable)
# and change /home/alice to your home directory.
#
# Tested by tests/deploy/run.sh ("apache-fcgid"), which substitutes
# /home/alice.

# Uncomment to override a setting of the file for this site only:
#CORDGATE_LOG_LEVEL=debug; export CORDGATE_LOG_LEVEL

exec /home/alice/cordgate/cordgate --config /home/alice/cordgate/cordgate.conf serve
