# shellcheck shell=bash
# Renders the quickstart's nginx configuration: nginx.conf.in, with the
# demo page's server block (page.conf.in) when the page is served. Sourced by
# deploy/quickstart.sh and by the browser tests (tests/browser/run.sh), so
# that the tests serve the page exactly as the quickstart does.
#
#   quickstart_nginx_conf PREFIX LISTEN UPSTREAM [PAGE_LISTEN API_ORIGIN]
#
# prints the configuration. PREFIX holds nginx's pid, logs and temp paths;
# LISTEN is the API's address (127.0.0.1:3337), UPSTREAM cordgate's
# (unix:/path/cordgate.sock or 127.0.0.1:PORT); PAGE_LISTEN is the page's
# address (127.0.0.1:5173), empty for no page, and API_ORIGIN the origin the
# page calls (http://localhost:3337). Needs tests/lib/nginx.sh.
#
#   quickstart_port_taken PORT
#
# is true when something listens on PORT of 127.0.0.1 or of ::1. A browser
# tries both for localhost, ::1 first: a server on [::1]:5173 alone (Vite's
# can be) would get the page's requests though 127.0.0.1:5173 is free.
# Needs tests/lib/common.sh.

QUICKSTART_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)

quickstart_port_taken() {
    port_in_use "$1" || (exec 3<>"/dev/tcp/::1/$1") 2>/dev/null
}

# The replacements use bash's, quoted so that `&` or `\` in a path stay
# literal.
quickstart_nginx_conf() {
    local prefix=$1 listen=$2 upstream=$3 page_listen=${4:-} origin=${5:-}
    local conf page=
    conf=$(<"$QUICKSTART_DIR/nginx.conf.in")
    if [[ -n "$page_listen" ]]; then
        page=$(<"$QUICKSTART_DIR/page.conf.in")
        page=${page//@PAGE_LISTEN@/"$page_listen"}
        page=${page//@PAGE_ROOT@/"$QUICKSTART_DIR/demo"}
        page=${page//@API_ORIGIN@/"$origin"}
    fi
    conf=${conf//@USER_DIRECTIVE@/"$(nginx_user_directive)"}
    conf=${conf//@PREFIX@/"$prefix"}
    conf=${conf//@LISTEN@/"$listen"}
    conf=${conf//@UPSTREAM@/"$upstream"}
    # A line of its own (the file's header names the placeholder, too).
    conf=${conf//$'\n'@PAGE_SERVER@$'\n'/$'\n'"$page"$'\n'}
    printf '%s\n' "$conf"
}
