# shellcheck shell=bash
# Every helper of tests/lib, for a test stage: source this one file.
#
#   common.sh     logging, a script's help, ports, HTTP, processes, packages
#   pg.sh         a private PostgreSQL cluster; psql, pg_ctl, freezing it
#   nginx.sh      a private nginx
#   apache.sh     a private Apache
#   pgbouncer.sh  PgBouncer as shipped, in front of a test database
#   cordgate.sh   the binary under test, its environment, migrate, an app,
#                 deploy/'s files rendered
#   stage.sh      a stage's work dir, failures, figures and verdict
#   load.sh       a load of tests/reliability/load.mjs and its checks
# shellcheck source-path=SCRIPTDIR

TESTS_LIB=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=../lib/common.sh
source "$TESTS_LIB/common.sh"
# shellcheck source=../lib/pg.sh
source "$TESTS_LIB/pg.sh"
# shellcheck source=../lib/nginx.sh
source "$TESTS_LIB/nginx.sh"
# shellcheck source=../lib/apache.sh
source "$TESTS_LIB/apache.sh"
# shellcheck source=../lib/pgbouncer.sh
source "$TESTS_LIB/pgbouncer.sh"
# shellcheck source=../lib/cordgate.sh
source "$TESTS_LIB/cordgate.sh"
# shellcheck source=../lib/stage.sh
source "$TESTS_LIB/stage.sh"
# shellcheck source=../lib/load.sh
source "$TESTS_LIB/load.sh"
