/* Counters shared by all workers, rendered in Prometheus text format. */
#include "cordgate/metrics.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "cordgate/buf.h"
#include "cordgate/http.h"
#include "cordgate/http_status.h"
#include "cordgate/router.h"

/* The statuses cordgate answers with; anything else lands in "other". */
static const int statuses[] = {
#define CG_STATUS_NUMBER(status, reason) status,
    CG_HTTP_STATUSES(CG_STATUS_NUMBER)
#undef CG_STATUS_NUMBER
};
#define NSTATUS (CG_ARRAY_LEN(statuses) + 1)

/* Upper bounds of the request-duration histogram, in seconds. */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                 0.025,  0.05,  0.1,    0.25,  1.0};
#define NBUCKET (CG_ARRAY_LEN(buckets) + 1)

struct route_counters {
    uint64_t by_status[NSTATUS];
    uint64_t by_bucket[NBUCKET];
    uint64_t micros; /* sum of durations */
};

/* Lives in a MAP_SHARED mapping made before the workers are forked; every
 * update is an atomic add, so no lock is needed. */
struct metrics {
    size_t size;
    size_t nroutes; /* table rows plus one for "no route" */
    uint64_t restarts[WORKER_EXIT__COUNT];
    uint64_t db_errors;
    uint64_t workers;
    uint64_t connections;
    uint64_t rejected;
    uint64_t kept; /* a gauge: adds of -1 wrap */
    uint64_t sessions_purged;
    /* Not a metric: when the host's next session purge is due
     * (CLOCK_MONOTONIC ms, the same clock in every process), claimed by
     * compare-and-swap so that one process runs each (purge.c). */
    int64_t purge_due_ms;
    struct route_counters routes[];
};

struct metrics *
metrics_create(size_t nroutes)
{
    size_t size =
        sizeof(struct metrics) + (nroutes + 1) * sizeof(struct route_counters);
    struct metrics *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (m == MAP_FAILED)
        return NULL;
    memset(m, 0, size);
    m->size = size;
    m->nroutes = nroutes + 1;
    return m;
}

void
metrics_destroy(struct metrics *m)
{
    if (m != NULL)
        munmap(m, m->size);
}

static void
add(uint64_t *p, uint64_t v)
{
    __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void
metrics_count_request(struct metrics *m, size_t route, int status,
                      double seconds)
{
    struct route_counters *rc;
    size_t s, b;

    if (m == NULL)
        return;
    rc = &m->routes[route < m->nroutes ? route : m->nroutes - 1];
    for (s = 0; s < CG_ARRAY_LEN(statuses) && statuses[s] != status; s++)
        ;
    add(&rc->by_status[s], 1);
    for (b = 0; b < CG_ARRAY_LEN(buckets) && seconds > buckets[b]; b++)
        ;
    add(&rc->by_bucket[b], 1);
    add(&rc->micros, (uint64_t)(seconds * 1e6));
}

void
metrics_count_restart(struct metrics *m, enum worker_exit why)
{
    if (m != NULL)
        add(&m->restarts[why], 1);
}

void
metrics_count_db_error(struct metrics *m)
{
    if (m != NULL)
        add(&m->db_errors, 1);
}

void
metrics_count_connection(struct metrics *m)
{
    if (m != NULL)
        add(&m->connections, 1);
}

void
metrics_count_fastcgi_rejected(struct metrics *m)
{
    if (m != NULL)
        add(&m->rejected, 1);
}

void
metrics_add_kept(struct metrics *m, int delta)
{
    if (m != NULL)
        add(&m->kept, (uint64_t)(int64_t)delta);
}

void
metrics_count_purged(struct metrics *m, unsigned long n)
{
    if (m != NULL && n > 0)
        add(&m->sessions_purged, n);
}

int64_t
metrics_purge_due(const struct metrics *m)
{
    return __atomic_load_n(&m->purge_due_ms, __ATOMIC_RELAXED);
}

bool
metrics_purge_claim(struct metrics *m, int64_t seen, int64_t next)
{
    return __atomic_compare_exchange_n(&m->purge_due_ms, &seen, next, false,
                                       __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void
metrics_purge_reschedule(struct metrics *m, int64_t next)
{
    __atomic_store_n(&m->purge_due_ms, next, __ATOMIC_RELAXED);
}

void
metrics_set_workers(struct metrics *m, unsigned long n)
{
    if (m != NULL)
        __atomic_store_n(&m->workers, (uint64_t)n, __ATOMIC_RELAXED);
}

static const char *
method_label(enum http_method method)
{
    switch (method) {
    case HTTP_OTHER:
        break;
#define HTTP_METHOD_CASE(name, bit)                                            \
    case HTTP_##name:                                                          \
        return #name;
        HTTP_METHODS(HTTP_METHOD_CASE)
#undef HTTP_METHOD_CASE
    }
    return "";
}

static uint64_t
route_total(const struct route_counters *rc)
{
    uint64_t total = 0;
    size_t s;

    for (s = 0; s < NSTATUS; s++)
        total += get(&rc->by_status[s]);
    return total;
}

static int
render_counts(struct buf *out, const struct route_counters *rc,
              const char *labels)
{
    size_t s;

    for (s = 0; s < NSTATUS; s++) {
        uint64_t v = get(&rc->by_status[s]);
        char status[8];

        if (v == 0)
            continue;
        if (s < CG_ARRAY_LEN(statuses))
            snprintf(status, sizeof(status), "%d", statuses[s]);
        else
            snprintf(status, sizeof(status), "other");
        if (buf_printf(out, "cordgate_requests_total{%s,status=\"%s\"} %llu\n",
                       labels, status, (unsigned long long)v) != 0)
            return -1;
    }
    return 0;
}

static int
render_histogram(struct buf *out, const struct route_counters *rc,
                 const char *labels)
{
    uint64_t cumulative = 0;
    size_t b;

    if (route_total(rc) == 0)
        return 0;
    for (b = 0; b < CG_ARRAY_LEN(buckets); b++) {
        cumulative += get(&rc->by_bucket[b]);
        if (buf_printf(out,
                       "cordgate_request_duration_seconds_bucket{%s,"
                       "le=\"%g\"} %llu\n",
                       labels, buckets[b], (unsigned long long)cumulative) != 0)
            return -1;
    }
    cumulative += get(&rc->by_bucket[b]);
    return buf_printf(out,
                      "cordgate_request_duration_seconds_bucket{%s,"
                      "le=\"+Inf\"} %llu\n"
                      "cordgate_request_duration_seconds_sum{%s} %.6f\n"
                      "cordgate_request_duration_seconds_count{%s} %llu\n",
                      labels, (unsigned long long)cumulative, labels,
                      (double)get(&rc->micros) / 1e6, labels,
                      (unsigned long long)cumulative);
}

static void
route_labels(char *labels, size_t n, size_t i)
{
    const struct route *rt = router_route(i);

    if (rt != NULL)
        snprintf(labels, n, "method=\"%s\",route=\"%s\"",
                 method_label((enum http_method)rt->method), rt->pattern);
    else
        snprintf(labels, n, "method=\"\",route=\"none\"");
}

int
metrics_render(struct metrics *m, struct buf *out)
{
    static const char *const reasons[] = {"recycled", "failed", "killed"};
    char labels[256];
    size_t i;

    if (buf_append_str(out,
                       "# HELP cordgate_requests_total Requests answered, by "
                       "route and status.\n"
                       "# TYPE cordgate_requests_total counter\n") != 0)
        return -1;
    for (i = 0; i < m->nroutes; i++) {
        route_labels(labels, sizeof(labels), i);
        if (render_counts(out, &m->routes[i], labels) != 0)
            return -1;
    }
    if (buf_append_str(
            out, "# HELP cordgate_request_duration_seconds Time from "
                 "accepting a request to its response.\n"
                 "# TYPE cordgate_request_duration_seconds histogram\n") != 0)
        return -1;
    for (i = 0; i < m->nroutes; i++) {
        route_labels(labels, sizeof(labels), i);
        if (render_histogram(out, &m->routes[i], labels) != 0)
            return -1;
    }
    if (buf_printf(out,
                   "# HELP cordgate_worker_restarts_total Workers replaced "
                   "by the master, by reason.\n"
                   "# TYPE cordgate_worker_restarts_total counter\n") != 0)
        return -1;
    for (i = 0; i < WORKER_EXIT__COUNT; i++)
        if (buf_printf(
                out, "cordgate_worker_restarts_total{reason=\"%s\"} %llu\n",
                reasons[i], (unsigned long long)get(&m->restarts[i])) != 0)
            return -1;
    return buf_printf(out,
                      "# HELP cordgate_database_errors_total Failed "
                      "statements and connections.\n"
                      "# TYPE cordgate_database_errors_total counter\n"
                      "cordgate_database_errors_total %llu\n"
                      "# HELP cordgate_workers Configured worker processes.\n"
                      "# TYPE cordgate_workers gauge\n"
                      "cordgate_workers %llu\n"
                      "# HELP cordgate_fastcgi_connections_total FastCGI "
                      "connections accepted from the web server.\n"
                      "# TYPE cordgate_fastcgi_connections_total counter\n"
                      "cordgate_fastcgi_connections_total %llu\n"
                      "# HELP cordgate_fastcgi_connections_kept FastCGI "
                      "connections kept open for the next request.\n"
                      "# TYPE cordgate_fastcgi_connections_kept gauge\n"
                      "cordgate_fastcgi_connections_kept %llu\n"
                      "# HELP cordgate_fastcgi_rejected_total FastCGI "
                      "connections closed unanswered: records no web server "
                      "sends.\n"
                      "# TYPE cordgate_fastcgi_rejected_total counter\n"
                      "cordgate_fastcgi_rejected_total %llu\n"
                      "# HELP cordgate_sessions_purged_total Expired and "
                      "revoked sessions deleted by this host.\n"
                      "# TYPE cordgate_sessions_purged_total counter\n"
                      "cordgate_sessions_purged_total %llu\n",
                      (unsigned long long)get(&m->db_errors),
                      (unsigned long long)get(&m->workers),
                      (unsigned long long)get(&m->connections),
                      (unsigned long long)get(&m->kept),
                      (unsigned long long)get(&m->rejected),
                      (unsigned long long)get(&m->sessions_purged));
}
