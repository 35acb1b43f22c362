/* Unit tests for the shared counters and their Prometheus text. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cordgate/arena.h"
#include "cordgate/buf.h"
#include "cordgate/compiler.h"
#include "cordgate/http.h"
#include "cordgate/metrics.h"
#include "cordgate/router.h"

static struct arena *arena;
static struct metrics *metrics;
static size_t nroutes;

static void
setup(void)
{
    nroutes = router_route_count();
    cr_assert_gt(nroutes, 0);
    arena = arena_create(64 << 10, 64 << 20);
    metrics = metrics_create(nroutes);
    cr_assert_not_null(arena);
    cr_assert_not_null(metrics);
}

static void
teardown(void)
{
    metrics_destroy(metrics);
    arena_destroy(arena);
}

TestSuite(metrics, .init = setup, .fini = teardown);

static const char *
render(void)
{
    struct buf out;

    buf_init(&out, arena, 1 << 20);
    cr_assert_eq(metrics_render(metrics, &out), 0);
    cr_assert_gt(out.len, 0);
    cr_assert_eq(out.data[out.len - 1], '\n', "the text ends a line");
    return out.data;
}

/* The labels the renderer gives route i: method="GET",route="/metrics". */
static const char *
labels_of(size_t i)
{
    const struct route *rt = router_route(i);

    cr_assert_not_null(rt);
    return arena_printf(arena, "method=\"%s\",route=\"%s\"",
                        http_methods_format(arena, rt->method), rt->pattern);
}

/*
 * The value of the one sample line "series value" in text (series is the
 * name with its labels); -1 when there is none.  Two lines for one series
 * fail the test.
 */
static double
sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    double value = -1;
    int found = 0;

    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');

        cr_assert_not_null(nl);
        if ((size_t)(nl - p) > n && strncmp(p, series, n) == 0 && p[n] == ' ') {
            char *end;

            value = strtod(p + n + 1, &end);
            cr_assert_eq(end, nl, "a number ends the line: %.*s", (int)(nl - p),
                         p);
            found++;
        }
        p = nl + 1;
    }
    cr_assert_leq(found, 1, "%s appears %d times", series, found);
    return value;
}

/* Series names, printf-style: labels, then status / le. */
#define REQUESTS "cordgate_requests_total{%s,status=\"%s\"}"
#define BUCKET   "cordgate_request_duration_seconds_bucket{%s,le=\"%s\"}"
#define COUNT    "cordgate_request_duration_seconds_count{%s}"
#define SUM      "cordgate_request_duration_seconds_sum{%s}"
#define RESTARTS "cordgate_worker_restarts_total{reason=\"%s\"}"
#define NONE     "method=\"\",route=\"none\""

/* sample() of a series written with printf. */
static double sample_f(const char *text, const char *fmt, ...) CG_PRINTF(2, 3);

static double
sample_f(const char *text, const char *fmt, ...)
{
    va_list ap;
    char *series;

    va_start(ap, fmt);
    series = arena_vprintf(arena, fmt, ap);
    va_end(ap);
    cr_assert_not_null(series);
    return sample(text, series);
}

Test(metrics, fresh_metrics_have_no_request_samples)
{
    const char *text = render();

    cr_assert_null(strstr(text, "cordgate_requests_total{"));
    cr_assert_null(strstr(text, "cordgate_request_duration_seconds_bucket"));
    cr_assert_not_null(
        strstr(text, "# TYPE cordgate_requests_total counter\n"));
    cr_assert_eq(sample_f(text, RESTARTS, "recycled"), 0);
    cr_assert_eq(sample_f(text, RESTARTS, "failed"), 0);
    cr_assert_eq(sample_f(text, RESTARTS, "killed"), 0);
    cr_assert_eq(sample(text, "cordgate_database_errors_total"), 0);
    cr_assert_eq(sample(text, "cordgate_workers"), 0);
}

Test(metrics, requests_are_counted_by_route_and_status)
{
    const char *text, *l0 = labels_of(0), *ln = labels_of(nroutes - 1);

    for (int i = 0; i < 3; i++)
        metrics_count_request(metrics, 0, 200, 0.001);
    metrics_count_request(metrics, 0, 404, 0.001);
    metrics_count_request(metrics, 0, 413, 0.001);
    metrics_count_request(metrics, nroutes - 1, 503, 0.001);
    text = render();
    cr_assert_eq(sample_f(text, REQUESTS, l0, "200"), 3);
    cr_assert_eq(sample_f(text, REQUESTS, l0, "404"), 1);
    cr_assert_eq(sample_f(text, REQUESTS, l0, "413"), 1);
    cr_assert_eq(sample_f(text, REQUESTS, l0, "500"), -1, "zero is left out");
    cr_assert_eq(sample_f(text, REQUESTS, ln, "503"), 1);
    if (nroutes > 1)
        cr_assert_eq(sample_f(text, REQUESTS, ln, "200"), -1);
    cr_assert_eq(sample_f(text, REQUESTS, NONE, "200"), -1);
}

Test(metrics, every_known_status_has_its_own_label)
{
    static const int statuses[] = {200, 201, 204, 400, 401, 403,
                                   404, 405, 409, 413, 500, 503};
    const char *text, *l0 = labels_of(0);

    for (size_t i = 0; i < CG_ARRAY_LEN(statuses); i++)
        for (size_t k = 0; k <= i; k++)
            metrics_count_request(metrics, 0, statuses[i], 0.01);
    text = render();
    for (size_t i = 0; i < CG_ARRAY_LEN(statuses); i++) {
        char status[8];

        snprintf(status, sizeof(status), "%d", statuses[i]);
        cr_assert_eq(sample_f(text, REQUESTS, l0, status), (double)(i + 1),
                     "status %d", statuses[i]);
    }
    cr_assert_eq(sample_f(text, REQUESTS, l0, "other"), -1);
}

Test(metrics, unknown_status_is_counted_as_other)
{
    const char *text, *l0 = labels_of(0);

    metrics_count_request(metrics, 0, 418, 0.001);
    metrics_count_request(metrics, 0, 302, 0.001);
    metrics_count_request(metrics, 0, 0, 0.001);
    metrics_count_request(metrics, 0, -1, 0.001);
    text = render();
    cr_assert_eq(sample_f(text, REQUESTS, l0, "other"), 4);
    cr_assert_null(strstr(text, "status=\"418\""));
    cr_assert_eq(sample_f(text, COUNT, l0), 4);
}

Test(metrics, requests_without_a_route_are_labelled_none)
{
    const char *text;

    metrics_count_request(metrics, nroutes, 404, 0.001);
    /* An index past the table lands in the same row. */
    metrics_count_request(metrics, nroutes + 100, 404, 0.001);
    text = render();
    cr_assert_eq(sample_f(text, REQUESTS, NONE, "404"), 2);
    cr_assert_eq(sample_f(text, COUNT, NONE), 2);
}

/* Durations, and how many of them each bucket holds (cumulative). */
static const double durations[] = {0.0001, 0.0005, 0.0007, 0.003,
                                   0.2,    1.0,    5.0,    60.0};
static const struct {
    const char *le;
    double count;
} cumulative[] = {
    {"0.0005", 2}, {"0.001", 3}, {"0.0025", 3}, {"0.005", 4},
    {"0.01", 4},   {"0.025", 4}, {"0.05", 4},   {"0.1", 4},
    {"0.25", 5},   {"1", 6},     {"+Inf", 8},
};

Test(metrics, histogram_buckets_are_cumulative_and_end_in_inf)
{
    const char *text, *l0 = labels_of(0);

    for (size_t i = 0; i < CG_ARRAY_LEN(durations); i++)
        metrics_count_request(metrics, 0, 200, durations[i]);
    text = render();
    for (size_t i = 0; i < CG_ARRAY_LEN(cumulative); i++)
        cr_assert_eq(sample_f(text, BUCKET, l0, cumulative[i].le),
                     cumulative[i].count, "le=%s", cumulative[i].le);
    cr_assert_eq(sample_f(text, COUNT, l0), 8);
    cr_assert_eq(sample_f(text, REQUESTS, l0, "200"), 8);
}

Test(metrics, histogram_buckets_are_in_order_with_inf_last)
{
    const char *text, *l0 = labels_of(0), *p;
    const char *prefix =
        arena_printf(arena, "cordgate_request_duration_seconds_bucket{%s,", l0);
    size_t i = 0;

    metrics_count_request(metrics, 0, 200, 0.001);
    text = render();
    for (p = strstr(text, prefix); p != NULL; p = strstr(p + 1, prefix), i++) {
        const char *want =
            arena_printf(arena, "%sle=\"%s\"} ", prefix, cumulative[i].le);

        cr_assert_lt(i, CG_ARRAY_LEN(cumulative));
        cr_assert(strncmp(p, want, strlen(want)) == 0, "bucket %zu", i);
    }
    cr_assert_eq(i, CG_ARRAY_LEN(cumulative));
}

Test(metrics, histogram_sum_adds_the_durations)
{
    const char *text, *l0 = labels_of(0);

    /* Exact in binary and in microseconds. */
    metrics_count_request(metrics, 0, 200, 0.125);
    metrics_count_request(metrics, 0, 200, 0.25);
    metrics_count_request(metrics, 0, 404, 0.5);
    metrics_count_request(metrics, 0, 200, 2.0);
    text = render();
    cr_assert_not_null(
        strstr(text, arena_printf(arena, "\n" SUM " 2.875000\n", l0)));
}

Test(metrics, inf_bucket_equals_count_on_every_route)
{
    const char *text;

    for (size_t i = 0; i <= nroutes; i++)
        for (size_t k = 0; k <= i; k++)
            metrics_count_request(metrics, i, k % 2 ? 200 : 418,
                                  0.0003 * (double)(k * k));
    text = render();
    for (size_t i = 0; i <= nroutes; i++) {
        const char *l = i < nroutes ? labels_of(i) : NONE;
        double inf = sample_f(text, BUCKET, l, "+Inf");

        cr_assert_eq(inf, (double)(i + 1), "route %zu", i);
        cr_assert_eq(sample_f(text, COUNT, l), inf, "route %zu", i);
    }
}

Test(metrics, restarts_are_counted_by_reason)
{
    const char *text;

    metrics_count_restart(metrics, WORKER_EXIT_RECYCLED);
    metrics_count_restart(metrics, WORKER_EXIT_RECYCLED);
    metrics_count_restart(metrics, WORKER_EXIT_KILLED);
    text = render();
    cr_assert_eq(sample_f(text, RESTARTS, "recycled"), 2);
    cr_assert_eq(sample_f(text, RESTARTS, "failed"), 0);
    cr_assert_eq(sample_f(text, RESTARTS, "killed"), 1);
}

Test(metrics, database_errors_are_counted)
{
    for (int i = 0; i < 3; i++)
        metrics_count_db_error(metrics);
    cr_assert_eq(sample(render(), "cordgate_database_errors_total"), 3);
}

Test(metrics, workers_is_a_gauge_that_is_set_not_added)
{
    const char *text;

    metrics_set_workers(metrics, 8);
    cr_assert_eq(sample(render(), "cordgate_workers"), 8);
    metrics_set_workers(metrics, 2);
    text = render();
    cr_assert_eq(sample(text, "cordgate_workers"), 2);
    cr_assert_not_null(strstr(text, "# TYPE cordgate_workers gauge\n"));
}

Test(metrics, kept_connections_go_up_and_down)
{
    const char *text;
    int i;

    for (i = 0; i < 5; i++)
        metrics_count_connection(metrics);
    metrics_add_kept(metrics, 1);
    metrics_add_kept(metrics, 1);
    metrics_add_kept(metrics, 1);
    metrics_add_kept(metrics, -1);
    text = render();
    cr_assert_eq(sample(text, "cordgate_fastcgi_connections_total"), 5);
    cr_assert_eq(sample(text, "cordgate_fastcgi_connections_kept"), 2);
    metrics_add_kept(metrics, -1);
    metrics_add_kept(metrics, -1);
    cr_assert_eq(sample(render(), "cordgate_fastcgi_connections_kept"), 0);
}

Test(metrics, purged_sessions_are_counted)
{
    const char *text = render();

    cr_assert_eq(sample(text, "cordgate_sessions_purged_total"), 0);
    cr_assert_not_null(
        strstr(text, "# TYPE cordgate_sessions_purged_total counter\n"));
    metrics_count_purged(metrics, 500);
    metrics_count_purged(metrics, 0);
    metrics_count_purged(metrics, 3);
    cr_assert_eq(sample(render(), "cordgate_sessions_purged_total"), 503);
}

/* The purge schedule is claimed by one process of the host: a claim from
 * a stale due time fails, in this process as in a forked one. */
Test(metrics, a_purge_is_claimed_once_across_processes)
{
    pid_t pid;
    int status;

    cr_assert_eq(metrics_purge_due(metrics), 0, "due at start");
    cr_assert(metrics_purge_claim(metrics, 0, 1000));
    cr_assert_not(metrics_purge_claim(metrics, 0, 2000), "claimed twice");
    cr_assert_eq(metrics_purge_due(metrics), 1000);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        _exit(metrics_purge_claim(metrics, 1000, 5000) &&
                      !metrics_purge_claim(metrics, 1000, 6000)
                  ? 0
                  : 1);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    cr_assert_eq(metrics_purge_due(metrics), 5000, "the child's claim holds");
    cr_assert_not(metrics_purge_claim(metrics, 1000, 7000));
    metrics_purge_reschedule(metrics, 100);
    cr_assert_eq(metrics_purge_due(metrics), 100);
}

Test(metrics, null_metrics_are_ignored)
{
    metrics_count_request(NULL, 0, 200, 0.1);
    metrics_count_restart(NULL, WORKER_EXIT_FAILED);
    metrics_count_db_error(NULL);
    metrics_set_workers(NULL, 4);
    metrics_count_connection(NULL);
    metrics_add_kept(NULL, 1);
    metrics_count_purged(NULL, 1);
    metrics_destroy(NULL);
}

Test(metrics, counts_from_a_forked_worker_reach_the_master)
{
    pid_t pid = fork();
    int status;
    const char *text;

    cr_assert_geq(pid, 0);
    if (pid == 0) {
        metrics_count_request(metrics, 0, 200, 0.001);
        metrics_count_restart(metrics, WORKER_EXIT_FAILED);
        metrics_count_db_error(metrics);
        _exit(0);
    }
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    text = render();
    cr_assert_eq(sample_f(text, REQUESTS, labels_of(0), "200"), 1);
    cr_assert_eq(sample_f(text, RESTARTS, "failed"), 1);
    cr_assert_eq(sample(text, "cordgate_database_errors_total"), 1);
}

Test(metrics, render_fails_when_the_buffer_is_too_small)
{
    struct buf out;

    metrics_count_request(metrics, 0, 200, 0.001);
    buf_init(&out, arena, 64);
    cr_assert_eq(metrics_render(metrics, &out), -1);
}

/* Families declared so far by "# HELP name" and their "# TYPE". */
struct families {
    char name[9][64];
    char type[9][16];
    bool closed[9];
    size_t n;
};

/* Index of the family a metric name belongs to, or -1. */
static int
family_of(const struct families *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++) {
        size_t n = strlen(f->name[i]);

        if (strcmp(name, f->name[i]) == 0)
            return (int)i;
        if (strcmp(f->type[i], "histogram") == 0 &&
            strncmp(name, f->name[i], n) == 0 &&
            (strcmp(name + n, "_bucket") == 0 ||
             strcmp(name + n, "_sum") == 0 || strcmp(name + n, "_count") == 0))
            return (int)i;
    }
    return -1;
}

/*
 * Prometheus text format: a family's HELP and TYPE come before its samples,
 * and all its lines are together, never interleaved with another family's.
 */
Test(metrics, every_family_is_contiguous_and_declared_first)
{
    struct families f;
    size_t nsamples = 0;
    int current = -1;
    char *copy, *line, *save = NULL;

    memset(&f, 0, sizeof(f));
    for (size_t i = 0; i <= nroutes; i++) {
        metrics_count_request(metrics, i, 200, 0.002);
        metrics_count_request(metrics, i, 404, 0.3);
        metrics_count_request(metrics, i, 418, 2.0);
    }
    metrics_count_restart(metrics, WORKER_EXIT_KILLED);
    metrics_count_db_error(metrics);
    metrics_set_workers(metrics, 4);
    copy = arena_strdup(arena, render());
    for (line = strtok_r(copy, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[64], word[16];
        int fam;

        if (strncmp(line, "# HELP ", 7) == 0) {
            cr_assert_eq(sscanf(line + 7, "%63s %15s", name, word), 2, "%s",
                         line);
            cr_assert_eq(family_of(&f, name), -1, "second HELP: %s", line);
            cr_assert_lt(f.n, CG_ARRAY_LEN(f.name));
            strcpy(f.name[f.n], name);
            fam = (int)f.n++;
        } else if (strncmp(line, "# TYPE ", 7) == 0) {
            cr_assert_eq(sscanf(line + 7, "%63s %15s", name, word), 2, "%s",
                         line);
            fam = family_of(&f, name);
            cr_assert_geq(fam, 0, "TYPE before HELP: %s", line);
            cr_assert_str_eq(f.type[fam], "", "second TYPE: %s", line);
            strcpy(f.type[fam], word);
        } else {
            cr_assert_neq(line[0], '#', "unknown comment: %s", line);
            cr_assert_eq(sscanf(line, "%63[^{ ]", name), 1, "%s", line);
            fam = family_of(&f, name);
            cr_assert_geq(fam, 0, "sample of no declared family: %s", line);
            cr_assert_str_neq(f.type[fam], "", "sample before TYPE: %s", line);
            nsamples++;
        }
        if (fam != current) {
            if (current >= 0)
                f.closed[current] = true;
            cr_assert_not(f.closed[fam], "family %s is split: %s", f.name[fam],
                          line);
            current = fam;
        }
    }
    cr_assert_eq(f.n, 9);
    cr_assert_str_eq(f.name[0], "cordgate_requests_total");
    cr_assert_str_eq(f.type[0], "counter");
    cr_assert_str_eq(f.name[1], "cordgate_request_duration_seconds");
    cr_assert_str_eq(f.type[1], "histogram");
    cr_assert_str_eq(f.name[2], "cordgate_worker_restarts_total");
    cr_assert_str_eq(f.type[2], "counter");
    cr_assert_str_eq(f.name[3], "cordgate_database_errors_total");
    cr_assert_str_eq(f.type[3], "counter");
    cr_assert_str_eq(f.name[4], "cordgate_workers");
    cr_assert_str_eq(f.type[4], "gauge");
    cr_assert_str_eq(f.name[5], "cordgate_fastcgi_connections_total");
    cr_assert_str_eq(f.type[5], "counter");
    cr_assert_str_eq(f.name[6], "cordgate_fastcgi_connections_kept");
    cr_assert_str_eq(f.type[6], "gauge");
    cr_assert_str_eq(f.name[7], "cordgate_fastcgi_rejected_total");
    cr_assert_str_eq(f.type[7], "counter");
    cr_assert_str_eq(f.name[8], "cordgate_sessions_purged_total");
    cr_assert_str_eq(f.type[8], "counter");
    /* Per route row: 3 statuses, 11 buckets, sum and count; then 3 restart
     * reasons, the database errors, the workers, the two connection
     * samples, the rejected connections and the purged sessions. */
    cr_assert_eq(nsamples, (nroutes + 1) * (3 + 13) + 3 + 2 + 2 + 1 + 1);
}
