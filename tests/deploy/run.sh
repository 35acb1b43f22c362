#!/usr/bin/env bash
# End-to-end deployment tests: the configurations shipped in deploy/ run for
# real on loopback, and the same smoke suite (tests/deploy/smoke.sh) goes
# through each front end.
#
#   tests/deploy/run.sh [FRONT_END...]
#
# Front ends (all by default, in this order): nginx-unix nginx-tcp-keepalive
# lighttpd-socket lighttpd-bin-path apache-proxy-fcgi apache-fcgid
# spawn-fcgi-multiwatch spawn-fcgi-fork systemd pgbouncer
#
# Every file under deploy/ is used as shipped, after replacing its
# placeholder paths (/usr/local/sbin/cordgate, /run/cordgate/cordgate.sock,
# /etc/cordgate/cordgate.conf, /home/alice, `listen 80;`, ...) with paths in
# a temp dir: see render() and deploy/README.md ("How the files are tested").
#
# Environment (set by tests/run.sh; all optional when run by hand):
#   CORDGATE_TEST_BIN           the cordgate binary [build/cordgate]
#   CORDGATE_TEST_DATABASE_URL  a migrated database [a throwaway PostgreSQL]
#   CORDGATE_TEST_APP_ID, CORDGATE_TEST_APP_SECRET   an app in it [created]
#   CORDGATE_TEST_WORKDIR       a 0755 temp dir; this script uses its deploy/
#                               subdirectory [a new dir under /tmp]
#   CORDGATE_DEPLOY_KEEP=1      keep the work dir (logs) at the end
#
# Prints one ok/FAILED line per front end and exits non-zero on any failure.
# Stops everything it started, by PID.
# shellcheck source-path=SCRIPTDIR
# Functions run from traps and by name (fe_*): not unreachable.
# shellcheck disable=SC2317
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd -P)
# shellcheck source=../lib/all.sh
source "$ROOT/tests/lib/all.sh"

DEPLOY=$ROOT/deploy
SMOKE=$ROOT/tests/deploy/smoke.sh
ALL_FRONT_ENDS=(nginx-unix nginx-tcp-keepalive lighttpd-socket
    lighttpd-bin-path apache-proxy-fcgi apache-fcgid spawn-fcgi-multiwatch
    spawn-fcgi-fork systemd pgbouncer)

# What the front ends need beyond tests/run.sh's own list.
PACKAGES=(curl jq openssl nginx lighttpd apache2 libapache2-mod-fcgid
    spawn-fcgi multiwatch pgbouncer systemd libfcgi-bin postgresql wrk)

FRONT_ENDS=("$@")
if ((${#FRONT_ENDS[@]} == 0)); then
    FRONT_ENDS=("${ALL_FRONT_ENDS[@]}")
fi
for fe in "${FRONT_ENDS[@]}"; do
    [[ " ${ALL_FRONT_ENDS[*]} " == *" $fe "* ]] ||
        die "unknown front end '$fe' (known: ${ALL_FRONT_ENDS[*]})"
done

T_START=$SECONDS
OWN_WORK=0  # 1 when this script made the work dir (standalone run)
OWN_PG=0
WORK=
D=          # WORK/deploy

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    stop_all_started
    stage_shared_done "${CORDGATE_DEPLOY_KEEP:-0}"
    exit "$rc"
}
set_traps cleanup

# ------------------------------------------------------------ set-up

ensure_packages "${PACKAGES[@]}"

cordgate_test_bin "$ROOT/build/cordgate"
BIN_SRC=$BIN

# Apache and mod_fcgid's processes run as nobody when we are root (Apache
# refuses User root): they must reach everything below D, which is 0755.
stage_shared_workdir deploy
if ((EUID == 0)); then
    WEB_USER=nobody
    WEB_GROUP=nogroup
else
    WEB_USER=$(id -un)
    WEB_GROUP=$(id -gn)
fi
log "work dir: $D"

# The binary is copied into the work dir: the checkout may sit under /root,
# which nobody (mod_fcgid's processes) cannot enter.
BIN=$D/bin/cordgate
install -d -m 0755 "$D/bin"
install -m 0755 "$BIN_SRC" "$BIN"

# Sanitizer reports land in files here, one prefix per front end; the
# directory is writable by the unprivileged users that run cordgate.
SAN=$D/sanitizer
install -d -m 1777 "$SAN"

stage_shared_database show
# PgBouncer needs PostgreSQL's port; tests/run.sh's conninfo names it.
if [[ "$DB_URL" =~ port=([0-9]+) ]]; then
    DB_PORT=${BASH_REMATCH[1]}
elif [[ "$DB_URL" =~ :([0-9]+)/ ]]; then
    DB_PORT=${BASH_REMATCH[1]}
else
    DB_PORT=5432
fi
if [[ -z "${CORDGATE_TEST_APP_ID:-}" || -z "${CORDGATE_TEST_APP_SECRET:-}" ]]; then
    cordgate_app_create "$DB_URL" deploy-tests
    CORDGATE_TEST_APP_ID=$APP_ID
    CORDGATE_TEST_APP_SECRET=$APP_SECRET
fi
export CORDGATE_TEST_APP_ID CORDGATE_TEST_APP_SECRET

# A developer's own CORDGATE_* settings must not reach the servers started
# here (they would override the configurations under test).
clear_cordgate_env 'CORDGATE_TEST_*' CORDGATE_DEPLOY_KEEP

# ------------------------------------------------------------ helpers

# san_env NAME: the sanitizer settings for a cordgate of front end NAME.
san_env() {
    printf 'ASAN_OPTIONS=log_path=%s/sanitizer-deploy-%s:detect_leaks=1\n' "$SAN" "$1"
    printf 'UBSAN_OPTIONS=log_path=%s/sanitizer-deploy-%s:print_stacktrace=1\n' "$SAN" "$1"
}

# start_cordgate NAME DIR ENV...: `cordgate serve` in the background, with
# the test database, its log in DIR/cordgate.log and the given environment.
start_cordgate() {
    local name=$1 dir=$2
    shift 2
    local -a senv
    mapfile -t senv < <(san_env "$name")
    start_bg "cordgate-$name" "$dir/cordgate.out" env "${senv[@]}" \
        CORDGATE_DATABASE_URL="$DB_URL" \
        CORDGATE_LOG_FILE="$dir/cordgate.log" \
        "$@" "$BIN" serve
}

# nginx_site DIR SITE...: a private nginx under DIR/nginx whose http block
# includes the rendered server blocks SITE...
nginx_site() {
    local dir=$1 site
    shift
    nginx_conf_begin "$dir/nginx"
    for site in "$@"; do
        NGINX_CONF_TEXT+="    include \"$site\";
"
    done
    nginx_conf_end
    nginx_start "$dir/nginx"
}

# smoke NAME URL: the smoke suite; the access tokens it gets are kept for
# the log check.
smoke() {
    SMOKE_TOKEN_FILE=$FE_DIR/tokens "$SMOKE" --name "$1" "$2"
}

# load NAME URL CLIENTS REQUESTS
load() {
    "$SMOKE" --load "$3" "$4" --name "$1" "$2"
}

# connections_reused NAME URL: the front end kept its FastCGI connections
# (nginx fastcgi_keep_conn, Apache enablereuse): cordgate's /metrics, read
# through it, counts at most half as many connections accepted as requests.
connections_reused() {
    local name=$1 url=$2 counts reqs conns kept
    counts=$(fastcgi_counts "$url") || die "$name: GET /metrics failed"
    read -r reqs conns kept <<<"$counts"
    [[ "$conns" != - && "$kept" != - ]] || die "$name: no connection metrics"
    log "$name: $reqs requests over $conns FastCGI connections, $kept kept open"
    ((conns * 2 <= reqs)) ||
        die "$name: the connections were not kept ($conns for $reqs requests)"
}

# reload_under_load NAME URL PID: POST /v1/authorize (which no web server
# resends by itself) from wrk's 16 connections for 4 s (bench/lua/bench.lua,
# every status counted) while the cordgate master PID reloads three times;
# every request must answer 2xx.  curl in a loop is too slow to meet a kept
# connection as it closes; wrk does within a few reloads.
reload_under_load() {
    local name=$1 url=$2 pid=$3 token out json hups
    token=$("$SMOKE" --app-token)
    (
        for _ in 1 2 3; do
            sleep 1
            kill -HUP "$pid"
        done
    ) &
    hups=$!
    out=$(wrk -t2 -c16 -d4s --timeout 5s -s "$ROOT/bench/lua/bench.lua" \
        "$url/v1/authorize" -- authorize "$token" "" "" strict 2>&1) ||
        die "$name: wrk failed: $out"
    wait "$hups"
    json=$(grep '^BENCH_JSON ' <<<"$out") || die "$name: no summary from wrk: $out"
    log "$name: across three reloads: ${json#BENCH_JSON }"
    [[ "$json" == *'"connect":0,"read":0,"write":0,"timeout":0,"status":0,"non2xx":0}' ]] ||
        die "$name: requests failed across the reloads"
}

# no_secrets_in_logs DIR: no token, secret or password in any log under DIR.
no_secrets_in_logs() {
    local dir=$1 f t bad=0
    local -a logs secrets=("$CORDGATE_TEST_APP_SECRET" "eyJhbGciOi" "eyJ0eXAiOi")
    if [[ -s "$dir/tokens" ]]; then
        while IFS= read -r t; do
            secrets+=("${t##*.}") # the signature part of each access token
        done <"$dir/tokens"
    fi
    secrets+=("${EXTRA_SECRETS[@]}")
    # run.out is this script's own output about the front end.
    mapfile -t logs < <(find "$dir" -type f ! -name run.out \( -name '*.log' -o -name '*.out' \
        -o -name '*log' \) 2>/dev/null)
    for f in "${logs[@]}"; do
        for t in "${secrets[@]}"; do
            [[ -n "$t" ]] || continue
            if grep -qF -- "$t" "$f"; then
                err "a secret (${t:0:10}...) appears in $f:"
                grep -nF -- "$t" "$f" | head -3 | cut -c1-300 >&2
                bad=1
            fi
        done
    done
    ((!bad))
}

# sanitizer_clean NAME: no sanitizer report from front end NAME's cordgate.
sanitizer_clean() {
    local f found=0
    for f in "$SAN"/sanitizer-deploy-"$1"*; do
        [[ -e "$f" ]] || continue
        err "sanitizer report: $f"
        head -n 60 -- "$f" >&2
        found=1
    done
    ((!found))
}

# cordgate_processes: the PIDs of every running process of our binary
# (BIN, or every copy under D with BIN=ANY).
cordgate_processes() {
    local d exe
    for d in /proc/[0-9]*; do
        exe=$(readlink "$d/exe" 2>/dev/null) || continue
        if [[ "$exe" == "$BIN" ]] ||
            [[ "$BIN" == ANY && "$exe" == "$D"/*/cordgate ]]; then
            printf '%s\n' "${d#/proc/}"
        fi
    done
}

# processes_of PARENT: the cordgate processes whose parent is PARENT.
processes_of() {
    local p
    for p in $(BIN=ANY cordgate_processes); do
        [[ "$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null)" == "$1" ]] &&
            printf '%s\n' "$p"
    done
    return 0
}

# wait_gone PID... : wait up to 20 s for the PIDs to exit.
wait_gone() {
    local deadline=$((SECONDS + 20)) p alive
    while :; do
        alive=0
        for p in "$@"; do
            pid_alive "$p" && alive=1
        done
        ((alive)) || return 0
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# ------------------------------------------------------------ front ends
# Each fe_NAME function runs in a subshell under `set -e` with FE_DIR its
# own directory; whatever it starts with start_bg, or records in FE_PIDS, is
# stopped when it ends (fe_cleanup).

fe_nginx-unix() {
    local sock=$FE_DIR/cordgate.sock port
    free_port port
    render "$DEPLOY/nginx/cordgate.conf" "$FE_DIR/site.conf" \
        /run/cordgate/cordgate.sock "$sock" \
        'listen 80;' "listen 127.0.0.1:$port;"
    start_cordgate nginx-unix "$FE_DIR" CORDGATE_LISTEN="$sock" CORDGATE_WORKERS=2
    wait_for_socket "$sock" 30 "$LAST_PID"
    nginx_site "$FE_DIR" "$FE_DIR/site.conf"
    smoke nginx-unix "http://127.0.0.1:$port"
    # Straight to PostgreSQL: statements stay prepared (compare pgbouncer).
    ! grep -q 'connection pooler' "$FE_DIR/cordgate.log" ||
        die "cordgate saw a pooler on a direct connection"
}

fe_nginx-tcp-keepalive() {
    local app_port port
    free_port app_port
    free_port port
    render "$DEPLOY/nginx/cordgate-tcp.conf" "$FE_DIR/site.conf" \
        127.0.0.1:9337 "127.0.0.1:$app_port" \
        'listen 80;' "listen 127.0.0.1:$port;"
    # Two workers, eight clients: kept connections would starve the pool.
    start_cordgate nginx-tcp "$FE_DIR" CORDGATE_LISTEN="127.0.0.1:$app_port" \
        CORDGATE_WORKERS=2
    local pid=$LAST_PID deadline=$((SECONDS + 30))
    until port_in_use "$app_port"; do
        pid_alive "$pid" || die "cordgate exited at start"
        ((SECONDS < deadline)) || die "cordgate does not listen on $app_port"
        sleep 0.1
    done
    nginx_site "$FE_DIR" "$FE_DIR/site.conf"
    smoke nginx-tcp "http://127.0.0.1:$port"
    load nginx-tcp "http://127.0.0.1:$port" 8 20
    connections_reused nginx-tcp "http://127.0.0.1:$port"
    # Reloads close kept connections; the file's fastcgi_next_upstream
    # resends a POST that met one closing.
    reload_under_load nginx-tcp "http://127.0.0.1:$port" "$pid"
}

# lighttpd_start DIR PORT SNIPPET [ENV...]: a private lighttpd on PORT with
# Debian's 10-fastcgi.conf and the rendered SNIPPET, started with the extra
# environment ENV (what a bin-path child inherits). Sets LIGHTTPD_PID.
lighttpd_start() {
    local dir=$1 port=$2 snippet=$3
    shift 3
    install -d -m 0755 "$dir/lighttpd" "$dir/lighttpd/www" "$dir/lighttpd/up"
    cat >"$dir/lighttpd/lighttpd.conf" <<EOF
# Written by tests/deploy/run.sh: the parts of Debian's lighttpd.conf that
# matter, with every path in the test dir, then the snippet under test.
server.modules = ( "mod_access", "mod_accesslog" )
server.document-root = "$dir/lighttpd/www"
server.upload-dirs = ( "$dir/lighttpd/up" )
server.errorlog = "$dir/lighttpd/error.log"
accesslog.filename = "$dir/lighttpd/access.log"
server.pid-file = "$dir/lighttpd/lighttpd.pid"
server.bind = "127.0.0.1"
server.port = $port
include "/etc/lighttpd/conf-available/10-fastcgi.conf"
include "$snippet"
EOF
    lighttpd -tt -f "$dir/lighttpd/lighttpd.conf" >"$dir/lighttpd/check.out" 2>&1 || {
        cat "$dir/lighttpd/check.out" >&2
        return 1
    }
    start_bg lighttpd "$dir/lighttpd/lighttpd.out" env "$@" \
        lighttpd -D -f "$dir/lighttpd/lighttpd.conf"
    LIGHTTPD_PID=$LAST_PID
    wait_http "http://127.0.0.1:$port/healthz" 200 30 "$LIGHTTPD_PID"
}

fe_lighttpd-socket() {
    local sock=$FE_DIR/cordgate.sock port
    free_port port
    render "$DEPLOY/lighttpd/15-cordgate.conf" "$FE_DIR/15-cordgate.conf" \
        /run/cordgate/cordgate.sock "$sock"
    start_cordgate lighttpd-socket "$FE_DIR" CORDGATE_LISTEN="$sock" CORDGATE_WORKERS=2
    wait_for_socket "$sock" 30 "$LAST_PID"
    lighttpd_start "$FE_DIR" "$port" "$FE_DIR/15-cordgate.conf"
    smoke lighttpd-socket "http://127.0.0.1:$port"
    load lighttpd-socket "http://127.0.0.1:$port" 8 5
}

# The sample configuration file, rendered for the test database.
render_conf() {
    render "$DEPLOY/systemd/cordgate.conf" "$1" \
        postgresql://cordgate@localhost/cordgate "$DB_URL"
}

fe_lighttpd-bin-path() {
    local port
    free_port port
    render_conf "$FE_DIR/cordgate.conf"
    render "$DEPLOY/lighttpd/15-cordgate-bin-path.conf" "$FE_DIR/15-cordgate.conf" \
        /usr/local/sbin/cordgate "$BIN" \
        /etc/cordgate/cordgate.conf "$FE_DIR/cordgate.conf" \
        /run/lighttpd/cordgate.sock "$FE_DIR/lt.sock"
    local -a senv
    mapfile -t senv < <(san_env lighttpd-bin-path)
    lighttpd_start "$FE_DIR" "$port" "$FE_DIR/15-cordgate.conf" "${senv[@]}" \
        CORDGATE_LOG_FILE="$FE_DIR/cordgate.log"
    smoke lighttpd-bin-path "http://127.0.0.1:$port"
    load lighttpd-bin-path "http://127.0.0.1:$port" 8 5
    # The master that lighttpd spawned keeps the explicit CORDGATE_WORKERS.
    local master kids
    master=$(child_pids "$LIGHTTPD_PID" | while read -r p; do
        [[ "$(readlink "/proc/$p/exe")" == "$BIN" ]] && echo "$p"; done)
    [[ -n "$master" ]] || die "no cordgate process under lighttpd"
    kids=$(child_pids "$master" | wc -l)
    log "lighttpd bin-path: cordgate $master with $kids workers"
    ((kids == 4)) || die "expected 4 workers (bin-environment CORDGATE_WORKERS=4), found $kids"
}

# apache_start DIR PORT EXTRA_CONF INCLUDE...: a private Apache (event MPM)
# on PORT, with what Debian's apache2.conf and mods-enabled give a stock
# server (log formats, .ht* denied), EXTRA_CONF (text) and the rendered
# files INCLUDE... Sets APACHE_PID. As root it runs as nobody: Apache
# refuses to run its children as root.
apache_start() {
    local dir=$1 port=$2 extra=$3 inc
    shift 3
    local a=$dir/apache
    apache_conf_begin "$a" "$port" tests/deploy/run.sh alias dir env setenvif \
        rewrite proxy proxy_fcgi fcgid
    {
        cat <<EOF
StartServers 1
ThreadsPerChild 25
<FilesMatch "^\.ht">
    Require all denied
</FilesMatch>
# Debian's mods-available/fcgid.conf
<IfModule mod_fcgid.c>
    FcgidConnectTimeout 20
    AddHandler fcgid-script .fcgi
    FcgidIPCDir "$a/fcgid-sock"
    FcgidProcessTableFile "$a/fcgid-shm"
</IfModule>
$extra
EOF
        for inc in "$@"; do
            printf 'Include "%s"\n' "$inc"
        done
    } >>"$a/httpd.conf"
    apache_run "$a"
    wait_http "http://127.0.0.1:$port/" any 30 "$APACHE_PID"
}

fe_apache-proxy-fcgi() {
    local sock=$FE_DIR/cordgate.sock port reuse_port pid
    free_port port
    free_port reuse_port
    render "$DEPLOY/apache/cordgate.conf" "$FE_DIR/cordgate-site.conf" \
        /run/cordgate/cordgate.sock "$sock" \
        '*:80' "*:$port"
    # The same file with keep-alive, as its comments describe.
    render "$DEPLOY/apache/cordgate.conf" "$FE_DIR/cordgate-reuse.conf" \
        /run/cordgate/cordgate.sock "$sock" \
        '*:80' "*:$reuse_port" \
        'fcgi://localhost/" nocanon' 'fcgi://localhost/" enablereuse=on nocanon'
    grep -q 'enablereuse=on nocanon' "$FE_DIR/cordgate-reuse.conf" ||
        die "no ProxyPass line to add enablereuse=on to"
    # Apache's children run as nobody: the socket must let them connect.
    start_cordgate apache-proxy-fcgi "$FE_DIR" CORDGATE_LISTEN="$sock" \
        CORDGATE_LISTEN_MODE=0666 CORDGATE_WORKERS=2
    pid=$LAST_PID
    wait_for_socket "$sock" 30 "$pid"
    apache_start "$FE_DIR" "$port" "Listen 127.0.0.1:$reuse_port" \
        "$FE_DIR/cordgate-site.conf" "$FE_DIR/cordgate-reuse.conf"
    smoke apache-proxy-fcgi "http://127.0.0.1:$port"
    smoke apache-reuse "http://127.0.0.1:$reuse_port"
    # enablereuse=on with more clients than workers must not hang, nor get a
    # 503 from a connection closed under Apache's feet.
    load apache-reuse "http://127.0.0.1:$reuse_port" 8 20
    connections_reused apache-reuse "http://127.0.0.1:$reuse_port"
    # As shipped (no reuse), a reload under load loses nothing.
    reload_under_load apache-proxy-fcgi "http://127.0.0.1:$port" "$pid"
}

# mod_fcgid with the shared-hosting files: /home/alice becomes FE_DIR/home,
# owned by the user Apache runs as (mod_fcgid spawns app.fcgi as that user,
# as suexec would as the site owner).
fe_apache-fcgid() {
    local home=$FE_DIR/home port
    free_port port
    install -d -m 0755 "$home" "$home/cordgate" "$home/public_html" \
        "$home/public_html/site"
    install -m 0755 "$BIN" "$home/cordgate/cordgate"
    render "$DEPLOY/fcgid/cordgate.conf" "$home/cordgate/cordgate.conf" \
        /home/alice "$home" \
        postgresql://cordgate@localhost/cordgate "$DB_URL"
    render "$DEPLOY/fcgid/app.fcgi" "$home/public_html/site/app.fcgi" \
        /home/alice "$home"
    render "$DEPLOY/fcgid/htaccess" "$home/public_html/site/.htaccess"
    render "$DEPLOY/fcgid/cordgate-fcgid.conf" "$FE_DIR/cordgate-fcgid.conf" \
        /home/alice "$home"
    if ((EUID == 0)); then
        chown -R "$WEB_USER:$WEB_GROUP" "$home"
    fi
    chmod 0600 "$home/cordgate/cordgate.conf"
    local -a senv
    mapfile -t senv < <(san_env apache-fcgid)
    local extra="DocumentRoot \"$home/public_html\"
<Directory \"$home/public_html\">
    Require all granted
</Directory>
FcgidInitialEnv ASAN_OPTIONS \"${senv[0]#ASAN_OPTIONS=}\"
FcgidInitialEnv UBSAN_OPTIONS \"${senv[1]#UBSAN_OPTIONS=}\""
    apache_start "$FE_DIR" "$port" "$extra" "$FE_DIR/cordgate-fcgid.conf"
    smoke apache-fcgid "http://127.0.0.1:$port/site"
    load apache-fcgid "http://127.0.0.1:$port/site" 4 10

    # mod_fcgid routes one request at a time to each process it spawned, so
    # cordgate must run there as a single process: no master, no workers.
    local p pp n=0 nested=0 exe=$home/cordgate/cordgate
    for p in $(BIN=$exe cordgate_processes); do
        n=$((n + 1))
        pp=$(awk '{print $4}' "/proc/$p/stat")
        if [[ "$(readlink "/proc/$pp/exe" 2>/dev/null)" == "$exe" ]]; then
            nested=$((nested + 1))
        fi
    done
    log "mod_fcgid: $n cordgate processes, $nested of them children of another"
    ((n > 0)) || die "no cordgate process under mod_fcgid"
    if ((nested > 0)); then
        ps -o pid,ppid,user,args --ppid "$APACHE_PID" -p "$(BIN=$exe cordgate_processes | paste -sd,)" >&2 || true
        die "cordgate forked workers under mod_fcgid ($nested of $n processes are children of a cordgate master); expected one single process per mod_fcgid process"
    fi
    # Its log file is where the config file says.
    grep -q 'req=smoke-apache-fcgid-1 ' "$home/cordgate/cordgate.log" ||
        die "no log line for smoke-apache-fcgid-1 in $home/cordgate/cordgate.log"
}

# spawn_settings DIR: the substitutions for the settings block of the
# deploy/spawn-fcgi scripts. As root, cordgate runs as nobody.
spawn_settings() {
    local dir=$1
    SPAWN_SUBS=(CORDGATE=/usr/local/sbin/cordgate "CORDGATE=$BIN"
        CONFIG=/etc/cordgate/cordgate.conf "CONFIG=$dir/cordgate.conf"
        SOCKET=/run/cordgate/cordgate.sock "SOCKET=$dir/cordgate.sock"
        RUN_AS=cordgate "RUN_AS=$WEB_USER")
    render_conf "$dir/cordgate.conf"
    chmod 0644 "$dir/cordgate.conf"
    install -d -m 0755 "$dir/log"
    if ((EUID == 0)); then
        chown "$WEB_USER:$WEB_GROUP" "$dir/log"
    fi
}

fe_spawn-fcgi-multiwatch() {
    local port
    free_port port
    spawn_settings "$FE_DIR"
    render "$DEPLOY/spawn-fcgi/cordgate-multiwatch.sh" "$FE_DIR/cordgate-multiwatch.sh" \
        "${SPAWN_SUBS[@]}" WORKERS=4 WORKERS=2
    local -a senv
    mapfile -t senv < <(san_env spawn-fcgi-multiwatch)
    start_bg multiwatch "$FE_DIR/multiwatch.out" env "${senv[@]}" \
        CORDGATE_LOG_FILE="$FE_DIR/log/cordgate.log" "$FE_DIR/cordgate-multiwatch.sh"
    local mw=$LAST_PID
    wait_for_socket "$FE_DIR/cordgate.sock" 30 "$mw"
    render "$DEPLOY/nginx/cordgate.conf" "$FE_DIR/site.conf" \
        /run/cordgate/cordgate.sock "$FE_DIR/cordgate.sock" \
        'listen 80;' "listen 127.0.0.1:$port;"
    nginx_site "$FE_DIR" "$FE_DIR/site.conf"
    smoke spawn-fcgi-multiwatch "http://127.0.0.1:$port"
    load spawn-fcgi-multiwatch "http://127.0.0.1:$port" 8 10

    # multiwatch runs 2 cordgate processes, each a single process.
    local -a kids
    mapfile -t kids < <(processes_of "$mw")
    log "multiwatch ($mw): cordgate processes ${kids[*]}"
    ((${#kids[@]} == 2)) || die "expected 2 cordgate processes under multiwatch, found ${#kids[@]}"
    local k
    for k in "${kids[@]}"; do
        [[ -z "$(processes_of "$k")" ]] ||
            die "cordgate $k forked workers of its own under multiwatch (expected a single process)"
    done
    # A killed process is replaced by multiwatch.
    kill -KILL "${kids[0]}"
    local deadline=$((SECONDS + 15)) now
    while :; do
        mapfile -t now < <(processes_of "$mw")
        if ((${#now[@]} == 2)) && [[ " ${now[*]} " != *" ${kids[0]} "* ]]; then
            break
        fi
        ((SECONDS < deadline)) || die "multiwatch did not replace the killed cordgate ${kids[0]}"
        sleep 0.2
    done
    log "multiwatch replaced cordgate ${kids[0]}: now ${now[*]}"
    smoke spawn-fcgi-multiwatch-after-kill "http://127.0.0.1:$port"
    # Stop: SIGTERM to multiwatch (-s TERM passes it on); all must go.
    stop_started multiwatch 20
    ((!STOP_KILLED)) || die "multiwatch needed SIGKILL to stop"
}

fe_spawn-fcgi-fork() {
    local port
    free_port port
    spawn_settings "$FE_DIR"
    render "$DEPLOY/spawn-fcgi/cordgate-fork.sh" "$FE_DIR/cordgate-fork.sh" \
        "${SPAWN_SUBS[@]}" PROCESSES=4 PROCESSES=2 \
        PID_FILE=/run/cordgate/cordgate.pid "PID_FILE=$FE_DIR/cordgate.pid" \
        LOG_FILE=/var/log/cordgate/cordgate.log "LOG_FILE=$FE_DIR/log/cordgate.log"
    local -a senv
    mapfile -t senv < <(san_env spawn-fcgi-fork)
    env "${senv[@]}" "$FE_DIR/cordgate-fork.sh" start >"$FE_DIR/spawn.out" 2>&1 || {
        cat "$FE_DIR/spawn.out" >&2
        die "cordgate-fork.sh start failed"
    }
    local -a pids
    mapfile -t pids <"$FE_DIR/cordgate.pid"
    FE_PIDS=("${pids[@]}")
    log "spawn-fcgi -F 2: cordgate processes ${pids[*]}"
    ((${#pids[@]} == 2)) || die "expected 2 PIDs in the pid file, got ${#pids[@]}"
    local p
    for p in "${pids[@]}"; do
        pid_alive "$p" || die "cordgate $p (from the pid file) is not running"
        [[ -z "$(processes_of "$p")" ]] ||
            die "cordgate $p forked workers of its own under spawn-fcgi -F (expected a single process)"
    done
    render "$DEPLOY/nginx/cordgate.conf" "$FE_DIR/site.conf" \
        /run/cordgate/cordgate.sock "$FE_DIR/cordgate.sock" \
        'listen 80;' "listen 127.0.0.1:$port;"
    nginx_site "$FE_DIR" "$FE_DIR/site.conf"
    smoke spawn-fcgi-fork "http://127.0.0.1:$port"
    load spawn-fcgi-fork "http://127.0.0.1:$port" 4 10
    # stderr is /dev/null under -F: the log lines must be in LOG_FILE.
    grep -q 'req=smoke-spawn-fcgi-fork-1 ' "$FE_DIR/log/cordgate.log" ||
        die "no log line for request smoke-spawn-fcgi-fork-1 in $FE_DIR/log/cordgate.log"
    log "request log lines are in LOG_FILE ($(grep -c 'req=' "$FE_DIR/log/cordgate.log") lines)"
    # The script's own stop: SIGTERM to every PID of the pid file.
    "$FE_DIR/cordgate-fork.sh" stop
    wait_gone "${pids[@]}" || die "cordgate-fork.sh stop left ${pids[*]} running"
}

# unit_value FILE KEY: the value of KEY= in a unit file (the last one).
unit_value() {
    sed -n "s/^$2=//p" "$1" | tail -n 1
}

fe_systemd() {
    local port sock=$FE_DIR/cordgate.sock
    free_port port
    render_conf "$FE_DIR/cordgate.conf"
    render "$DEPLOY/systemd/cordgate.socket" "$FE_DIR/cordgate.socket" \
        /run/cordgate/cordgate.sock "$sock"
    render "$DEPLOY/systemd/cordgate.service" "$FE_DIR/cordgate.service" \
        /usr/local/sbin/cordgate "$BIN" \
        /etc/cordgate/cordgate.conf "$FE_DIR/cordgate.conf"
    # systemd-analyze verify: rc 0 and not a single warning.
    # --man=no: Documentation=man:cordgate(8) exists once `cmake --install`
    # ran, not on a test machine.
    (cd "$FE_DIR" && systemd-analyze verify --man=no ./cordgate.socket ./cordgate.service) \
        >"$FE_DIR/verify.out" 2>&1 || {
        cat "$FE_DIR/verify.out" >&2
        die "systemd-analyze verify failed"
    }
    if [[ -s "$FE_DIR/verify.out" ]]; then
        cat "$FE_DIR/verify.out" >&2
        die "systemd-analyze verify printed warnings"
    fi
    log "systemd-analyze verify: both units clean"

    # The socket hand-over: the socket unit's ListenStream, the service's
    # ExecStart, through systemd-socket-activate (LISTEN_FDS=1, fd 3).
    local listen exec_start exec_reload
    listen=$(unit_value "$FE_DIR/cordgate.socket" ListenStream)
    exec_start=$(unit_value "$FE_DIR/cordgate.service" ExecStart)
    exec_reload=$(unit_value "$FE_DIR/cordgate.service" ExecReload)
    [[ "$listen" == "$sock" ]] || die "ListenStream is '$listen'"
    local -a senv cmd sa=(systemd-socket-activate -l "$listen")
    mapfile -t senv < <(san_env systemd)
    local e
    for e in "${senv[@]}" CORDGATE_WORKERS=2; do
        sa+=(-E "$e")
    done
    read -r -a cmd <<<"$exec_start"
    start_bg cordgate-systemd "$FE_DIR/cordgate.out" "${sa[@]}" "${cmd[@]}"
    local main=$LAST_PID
    wait_for_socket "$sock" 30 "$main"
    render "$DEPLOY/nginx/cordgate.conf" "$FE_DIR/site.conf" \
        /run/cordgate/cordgate.sock "$sock" \
        'listen 80;' "listen 127.0.0.1:$port;"
    nginx_site "$FE_DIR" "$FE_DIR/site.conf"
    smoke systemd "http://127.0.0.1:$port"
    grep -q 'systemd socket' "$FE_DIR/cordgate.out" ||
        die "cordgate did not say it serves on the systemd socket (LISTEN_FDS)"

    # Reload under load: ExecReload's command with $MAINPID, while 8
    # clients run; every request must succeed and the workers be replaced.
    local -a before after
    mapfile -t before < <(processes_of "$main")
    ((${#before[@]} == 2)) || die "expected 2 workers, found ${#before[@]}"
    load systemd-reload "http://127.0.0.1:$port" 8 25 &
    local lp=$!
    sleep 0.3
    local reload=${exec_reload//\$MAINPID/$main}
    log "reload: $reload"
    # shellcheck disable=SC2086
    $reload
    wait "$lp" || die "requests failed across the reload"
    local deadline=$((SECONDS + 15))
    while :; do
        mapfile -t after < <(processes_of "$main")
        if ((${#after[@]} == 2)) && [[ " ${after[*]} " != *" ${before[0]} "* &&
            " ${after[*]} " != *" ${before[1]} "* ]]; then
            break
        fi
        ((SECONDS < deadline)) || die "workers ${before[*]} not replaced after SIGHUP (now: ${after[*]})"
        sleep 0.2
    done
    log "reload replaced workers ${before[*]} by ${after[*]}"
    smoke systemd-after-reload "http://127.0.0.1:$port"
    # systemctl stop: SIGTERM, drain, exit 0.
    nginx_stop
    stop_started cordgate-systemd 30
    ((!STOP_KILLED)) || die "cordgate needed SIGKILL after SIGTERM"
    ((STOP_STATUS == 0)) || die "cordgate exited with status $STOP_STATUS after SIGTERM"
}

# PgBouncer (transaction mode, one server connection for two cordgate
# workers) between cordgate and PostgreSQL; nginx in front.
fe_pgbouncer() {
    local port sock=$FE_DIR/cordgate.sock pgb=$FE_DIR/pgbouncer
    free_port port
    local pw
    pw="deploy-test-$(openssl rand -hex 8)"
    EXTRA_SECRETS+=("$pw")
    pgbouncer_start "$pgb" "$DB_URL" "$DB_PORT" "$pw" \
        'default_pool_size = 20' 'default_pool_size = 1'
    local url=$PGB_URL db_name=$PGB_DB_NAME db_user=$PGB_DB_USER
    # CORDGATE_DB_PREPARED left at its default: cordgate finds PgBouncer.
    start_cordgate pgbouncer "$FE_DIR" CORDGATE_DATABASE_URL="$url" \
        CORDGATE_LISTEN="$sock" CORDGATE_WORKERS=2
    wait_for_socket "$sock" 30 "$LAST_PID"
    render "$DEPLOY/nginx/cordgate.conf" "$FE_DIR/site.conf" \
        /run/cordgate/cordgate.sock "$sock" \
        'listen 80;' "listen 127.0.0.1:$port;"
    nginx_site "$FE_DIR" "$FE_DIR/site.conf"
    smoke pgbouncer "http://127.0.0.1:$port"
    load pgbouncer "http://127.0.0.1:$port" 8 10
    # The database work went through PgBouncer (its log names each login).
    local logins
    logins=$(grep -c "login attempt: db=$db_name user=$db_user" "$pgb/pgbouncer.log" || true)
    log "pgbouncer: $logins client logins"
    ((logins >= 1)) || die "no cordgate login in PgBouncer's log"
    grep -q 'a connection pooler is between cordgate and PostgreSQL' \
        "$FE_DIR/cordgate.log" ||
        die "cordgate did not see PgBouncer (no log line in $FE_DIR/cordgate.log)"
    ! grep -q 'prepared statement' "$FE_DIR/cordgate.log" ||
        die "a prepared statement failed behind PgBouncer"
}

# ------------------------------------------------------------ the run

FE_DIR=
FE_PIDS=()
EXTRA_SECRETS=()

fe_cleanup() {
    set +e
    local p
    nginx_stop
    for p in "${FE_PIDS[@]}"; do
        stop_pid "$p" 20
    done
    stop_all_started
}

# no_leftovers: every cordgate process of the work dir's binaries must be
# gone once the front end's processes were stopped (a process manager that
# does not pass its stop on would leave them behind). Stops any left over,
# by PID, and fails.
no_leftovers() {
    local -a left
    local deadline=$((SECONDS + 20)) p
    while :; do
        mapfile -t left < <(BIN=ANY cordgate_processes)
        ((${#left[@]} > 0)) || return 0
        ((SECONDS < deadline)) || break
        sleep 0.2
    done
    err "cordgate processes still running after their front end stopped:"
    ps -o pid,ppid,user,args -p "$(IFS=,; echo "${left[*]}")" >&2 || true
    for p in "${left[@]}"; do
        stop_pid "$p" 5
    done
    return 1
}

RESULTS=()
FAILED=0
for fe in "${FRONT_ENDS[@]}"; do
    section "deploy: $fe"
    t0=$SECONDS
    FE_DIR=$D/$fe
    install -d -m 0755 "$FE_DIR"
    set +e
    # Its output goes to a file first, shown once it is done, so that the
    # reason of a failure can be repeated in the summary.
    (
        set -e
        trap fe_cleanup EXIT
        "fe_$fe"
        fe_cleanup
        trap - EXIT
        set -e
        no_leftovers
        no_secrets_in_logs "$FE_DIR"
        sanitizer_clean "$fe"
    ) >"$FE_DIR/run.out" 2>&1
    rc=$?
    set -e
    cat -- "$FE_DIR/run.out"
    if ((rc == 0)); then
        RESULTS+=("$(printf 'ok      %-24s %3ss' "$fe" $((SECONDS - t0)))")
    else
        why=$(grep -E 'error:|FAILED:' "$FE_DIR/run.out" | tail -n 1 |
            sed 's/^\[[0-9:]*\] //; s/^ *//' | cut -c1-200)
        RESULTS+=("$(printf 'FAILED  %-24s %3ss  %s' "$fe" $((SECONDS - t0)) "${why:-exit $rc}")")
        FAILED=1
        # tests/run.sh repeats these lines in its final summary.
        if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
            printf 'deployments: %s: %s\n' "$fe" "${why:-exit $rc}" \
                >>"$CORDGATE_TEST_WORKDIR/reasons"
        fi
        for f in "$FE_DIR"/*.log "$FE_DIR"/*.out "$FE_DIR"/*/error.log; do
            [[ "$f" != "$FE_DIR/run.out" ]] || continue
            show_tail "$f" 15
        done
        sanitizer_clean "$fe" || true
    fi
done

# Sanitizer reports also next to tests/run.sh's own, where its final
# sanitizer check looks (the reports' own directory is writable by the
# unprivileged users that ran cordgate; WORK may not be).
if [[ -n "${CORDGATE_TEST_WORKDIR:-}" ]]; then
    for f in "$SAN"/sanitizer-deploy-*; do
        [[ -e "$f" ]] && cp -- "$f" "$WORK/"
    done
fi

section "deployment tests ($((SECONDS - T_START))s)"
printf '%s\n' "${RESULTS[@]}"
exit "$FAILED"
