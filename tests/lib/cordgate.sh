# shellcheck shell=bash
# What the test stages do with cordgate itself: find the binary under test,
# keep a developer's own settings away from it, migrate a database and create
# an app in it, and render the shipped files of deploy/ for a test.
#
# Needs tests/lib/common.sh.

# clear_cordgate_env [PATTERN...]: unset every CORDGATE_* variable of the
# environment but those matching one of the glob PATTERNs, so that a
# developer's own settings do not reach the servers a test starts.
clear_cordgate_env() {
    local var pat
    while IFS= read -r var; do
        for pat in "$@"; do
            # shellcheck disable=SC2053 # PATTERN is a glob
            [[ "$var" == $pat ]] && continue 2
        done
        unset "$var"
    done < <(compgen -e | grep '^CORDGATE_' || true)
}

# cordgate_test_bin DEFAULT: set BIN to the binary under test,
# CORDGATE_TEST_BIN or else DEFAULT; dies when it is not executable.
cordgate_test_bin() {
    BIN=${CORDGATE_TEST_BIN:-$1}
    [[ -x "$BIN" ]] || die "no cordgate binary at $BIN (build it, or set CORDGATE_TEST_BIN)"
}

# cordgate_migrate CONNINFO LOG: `cordgate migrate` (BIN) on CONNINFO, its
# output in LOG, shown when it fails.
cordgate_migrate() {
    CORDGATE_DATABASE_URL=$1 "$BIN" migrate >"$2" 2>&1 || {
        cat "$2" >&2
        die "cordgate migrate failed"
    }
}

# cordgate_app_create CONNINFO NAME: `cordgate app create --name NAME` (BIN)
# on CONNINFO; sets APP_ID and APP_SECRET from what it prints, and dies when
# it printed no app. Exits with its status when it fails.
cordgate_app_create() {
    local out
    out=$(CORDGATE_DATABASE_URL=$1 "$BIN" app create --name "$2") || exit
    APP_ID=$(sed -n 's/^CORDGATE_APP_ID=//p' <<<"$out")
    APP_SECRET=$(sed -n 's/^CORDGATE_APP_SECRET=//p' <<<"$out")
    [[ -n "$APP_ID" && -n "$APP_SECRET" ]] || die "cordgate app create printed no app"
}

# render SRC DST [FROM TO]...: copy a shipped file, replacing each literal
# placeholder FROM by TO (all occurrences). Every FROM must occur in SRC, so
# that a placeholder renamed in deploy/ breaks the test rather than silently
# testing the placeholder. Keeps SRC's mode.
render() {
    local src=$1 dst=$2 text from to
    shift 2
    text=$(<"$src")
    while (($# >= 2)); do
        from=$1 to=$2
        shift 2
        if [[ "$text" != *"$from"* ]]; then
            err "$src: placeholder '$from' not found"
            return 1
        fi
        text=${text//"$from"/"$to"}
    done
    printf '%s\n' "$text" >"$dst"
    chmod --reference="$src" -- "$dst"
}
