/* Database host names: looked up under the request's deadline, so that
 * name servers that do not answer cost a request its deadline, not the
 * resolver's 10 s and more, and one host of several that does not resolve
 * is passed over. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "harness.h"

const char *const api_tag_prefix = "dns";

static pid_t master;
static int blackhole = -1;

static void
stop_master(void)
{
    if (master > 0)
        it_stop(master);
    master = 0;
}

TestSuite(dns, .fini = stop_master);

/* path of the test's work directory holding text, bound over target in
 * this test's own mount namespace. */
static void
bind_file(const char *name, const char *text, const char *target)
{
    const char *path = fmt("%s/dns-%d-%s", it_env("CORDGATE_TEST_WORKDIR"),
                           (int)getpid(), name);
    FILE *f = fopen(path, "w");

    cr_assert(f != NULL, "%s: %s", path, strerror(errno));
    cr_assert(fputs(text, f) >= 0 && fclose(f) == 0);
    cr_assert(mount(path, target, NULL, MS_BIND, NULL) == 0, "bind %s: %s",
              target, strerror(errno));
}

/*
 * This test's process (Criterion runs each in its own) and the cordgate it
 * starts get their own /etc/hosts, naming db-ok.cordgate.test, and an
 * /etc/resolv.conf whose one name server takes queries and never answers
 * (a UDP socket on 127.0.0.77:53 that nobody reads), 3 s a try, 2 tries;
 * names are looked up in sources (nsswitch.conf): "files dns", or "files"
 * for names that are not found at once.
 */
static void
isolate_names(const char *sources)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};

    if (unshare(CLONE_NEWNS) != 0)
        cr_skip_test("no mount namespace here (%s): the lookup tests need "
                     "their own /etc/resolv.conf",
                     strerror(errno));
    cr_assert(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "%s",
              strerror(errno));
    inet_pton(AF_INET, "127.0.0.77", &a.sin_addr);
    blackhole = socket(AF_INET, SOCK_DGRAM, 0);
    cr_assert(blackhole >= 0);
    cr_assert(bind(blackhole, (struct sockaddr *)&a, sizeof(a)) == 0,
              "bind 127.0.0.77:53: %s", strerror(errno));
    bind_file("hosts", "127.0.0.1 localhost\n127.0.0.1 db-ok.cordgate.test\n",
              "/etc/hosts");
    bind_file("resolv.conf",
              "nameserver 127.0.0.77\noptions timeout:3 "
              "attempts:2\n",
              "/etc/resolv.conf");
    bind_file("nsswitch.conf", fmt("hosts: %s\n", sources),
              "/etc/nsswitch.conf");
}

/* The test database's conninfo with its host (127.0.0.1) as hosts. */
static const char *
conninfo_with_hosts(const char *hosts)
{
    const char *db = it_env("CORDGATE_TEST_DATABASE_URL");
    const char *at = strstr(db, "host=127.0.0.1");

    cr_assert(at != NULL, "the test database is not at host=127.0.0.1: %s", db);
    return fmt("%.*shost=%s%s", (int)(at - db), db, hosts,
               at + strlen("host=127.0.0.1"));
}

static void
start(const char *hosts)
{
    const char *env[] = {
        fmt("CORDGATE_DATABASE_URL=%s", conninfo_with_hosts(hosts)),
        "CORDGATE_WORKERS=2", "CORDGATE_REQUEST_TIMEOUT=1s", NULL};

    stop_master();
    master = it_start_cordgate(it_env("CORDGATE_TEST_SPARE_SOCKET"), env);
}

/* GET of a user that does not exist, with the main app's server token:
 * the app is read from the database (a new cordgate has nothing cached). */
static void
get_missing_user(struct it_response *r)
{
    const char *h[] = {it_bearer(token_of(main_app())), NULL};

    it_http("GET",
            fmt("%s/v1/users/%s", it_env("CORDGATE_TEST_SPARE_URL"),
                fresh("nobody")),
            NULL, 0, h, r);
}

/* get_missing_user's answer is status and code, within max_s seconds
 * (0: however long). */
static void
expect_missing_user(long status, const char *code, double max_s)
{
    struct it_response r;

    get_missing_user(&r);
    it_assert_error(&r, status, code);
    if (max_s > 0)
        cr_assert_lt(r.seconds, max_s, "the answer took %.2f s", r.seconds);
    it_response_free(&r);
}

Test(dns, a_host_name_is_looked_up_and_served)
{
    isolate_names("files dns");
    start("db-ok.cordgate.test");
    expect_missing_user(404, "user_not_found", 0);
}

Test(dns, name_servers_that_never_answer_cost_a_request_its_deadline)
{
    struct it_response r;
    int i;

    isolate_names("files dns");
    start("db-silent.cordgate.test");
    /* The first request waits out its 1 s deadline on the lookup; libpq's
     * own lookup would have held the worker for 6 s. */
    expect_missing_user(503, "database_unavailable", 2.5);
    /* Then the circuit is open: the next answers come at once, and the
     * workers are free for what needs no database. */
    for (i = 0; i < 5; i++) {
        expect_missing_user(503, "database_unavailable", 1.5);
        it_http("GET", fmt("%s/metrics", it_env("CORDGATE_TEST_SPARE_URL")),
                NULL, 0, NULL, &r);
        cr_assert_eq(r.status, 200);
        cr_assert_lt(r.seconds, 1.0, "/metrics took %.2f s", r.seconds);
        it_response_free(&r);
    }
}

Test(dns, of_several_hosts_one_whose_name_has_no_answer_is_passed_over)
{
    isolate_names("files dns");
    start("db-silent.cordgate.test,db-ok.cordgate.test");
    expect_missing_user(404, "user_not_found", 2.5);
}

Test(dns, a_name_that_does_not_exist_is_a_503_at_once_or_passed_over)
{
    isolate_names("files");
    start("db-missing.cordgate.test");
    expect_missing_user(503, "database_unavailable", 1.0);
    start("db-missing.cordgate.test,db-ok.cordgate.test");
    expect_missing_user(404, "user_not_found", 0);
}
