# shellcheck shell=bash
# A private Apache (event MPM) for a stage: its configuration, pid, logs and
# runtime files all under one directory A, in the foreground as a background
# child of the calling script, stopped by its PID.
#
#   apache_conf_begin A PORT WRITER [MODULE...]   writes A/httpd.conf
#   cat >>"$A/httpd.conf" <<EOF ... EOF           the stage's own part
#   apache_run A [STARTER]                        sets APACHE_PID
#
# As root, Apache's children run as nobody (Apache refuses User root), so
# whatever they reach (a unix socket, the files they serve) must be open to
# nobody.
#
# Needs tests/lib/common.sh.

# shellcheck disable=SC2034 # for the stage
APACHE_PID=

# apache_conf_begin A PORT WRITER [MODULE...]: create A and A/logs and start
# A/httpd.conf, "Written by WRITER": a server on 127.0.0.1:PORT with the
# modules mpm_event, authz_core, authz_host, mime and MODULE... (names as in
# /usr/lib/apache2/modules/mod_NAME.so), and what Debian's apache2.conf gives
# a stock server (the combined log format, / denied, APACHE_LOG_DIR).
apache_conf_begin() {
    local a=$1 port=$2 writer=$3 user='' m
    shift 3
    install -d -m 0755 "$a" "$a/logs"
    if ((EUID == 0)); then
        user="User nobody
Group nogroup"
        chown nobody:nogroup "$a/logs"
    fi
    {
        cat <<EOF
# Written by $writer.
ServerRoot "$a"
ServerName localhost
Listen 127.0.0.1:$port
PidFile "$a/httpd.pid"
ErrorLog "$a/error.log"
LogLevel warn
Mutex file:$a default
DefaultRuntimeDir "$a"
$user
EOF
        for m in mpm_event authz_core authz_host mime "$@"; do
            printf 'LoadModule %-17s /usr/lib/apache2/modules/mod_%s.so\n' \
                "${m}_module" "$m"
        done
        cat <<EOF
TypesConfig /etc/mime.types
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
<Directory />
    Options FollowSymLinks
    AllowOverride None
    Require all denied
</Directory>
Define APACHE_LOG_DIR $a/logs
EOF
    } >"$a/httpd.conf"
}

# apache_run A [STARTER]: check A/httpd.conf (its complaint shown), then run
# Apache in the foreground through STARTER (start_bg by default, or a
# function that takes start_bg's arguments); sets APACHE_PID.
apache_run() {
    local a=$1 starter=${2:-start_bg}
    apache2 -d "$a" -f "$a/httpd.conf" -t >"$a/check.out" 2>&1 || {
        cat "$a/check.out" >&2
        return 1
    }
    "$starter" apache "$a/apache.out" apache2 -d "$a" -f "$a/httpd.conf" -DFOREGROUND
    # shellcheck disable=SC2034 # for the stage
    APACHE_PID=$LAST_PID
}
