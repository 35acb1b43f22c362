/* Database host names looked up under a deadline (see resolve.h). */
#include "cordgate/resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cordgate/context.h"

/* Names of one conninfo followed at once; addresses taken from each. */
#define RESOLVE_MAX_NAMES 16
#define RESOLVE_MAX_ADDRS 8
/* Items of a host list (libpq has no limit; a conninfo has a few). */
#define RESOLVE_MAX_ITEMS 64
/* A lookup that ended while nobody waited is not used past this age. */
#define RESOLVE_STALE_MS 10000

struct lookup {
    char *name;
    struct addrinfo hints;
    struct gaicb cb;
    bool running;       /* handed to glibc and not collected */
    int64_t started_ms; /* CLOCK_MONOTONIC */
    int naddrs;         /* collected by this call */
    char addrs[RESOLVE_MAX_ADDRS][INET6_ADDRSTRLEN];
};

struct resolver {
    struct lookup *names[RESOLVE_MAX_NAMES];
};

struct resolver *
resolver_create(void)
{
    return calloc(1, sizeof(struct resolver));
}

void
resolver_destroy(struct resolver *r)
{
    int i;

    if (r == NULL)
        return;
    for (i = 0; i < RESOLVE_MAX_NAMES; i++) {
        struct lookup *l = r->names[i];

        if (l == NULL)
            continue;
        if (l->running && gai_cancel(&l->cb) != EAI_CANCELED &&
            gai_error(&l->cb) == EAI_INPROGRESS)
            continue; /* glibc's still: left to it */
        if (l->running && gai_error(&l->cb) == 0)
            freeaddrinfo(l->cb.ar_result);
        free(l->name);
        free(l);
    }
    free(r);
}

/* Does libpq look this host item up?  Not an address, a socket directory
 * or the default. */
static bool
is_name(const char *item)
{
    unsigned char a[sizeof(struct in6_addr)];

    return item[0] != '\0' && item[0] != '/' && item[0] != '@' &&
           inet_pton(AF_INET, item, a) != 1 &&
           inet_pton(AF_INET6, item, a) != 1;
}

/* Split a comma-separated list in place; the count, or -1 past max. */
static int
split(char *s, char **items, int max)
{
    int n = 0;

    for (;;) {
        char *comma = strchr(s, ',');

        if (n == max)
            return -1;
        items[n++] = s;
        if (comma == NULL)
            return n;
        *comma = '\0';
        s = comma + 1;
    }
}

static void
fail(struct resolved *out, int item, const char *fmt, const char *name,
     const char *why)
{
    out->failed = item;
    snprintf(out->error, sizeof(out->error), fmt, name, why);
}

/* The lookup of name: one already running or recent, or a new one. */
static struct lookup *
lookup_of(struct resolver *r, const char *name, int64_t now)
{
    struct lookup *l = NULL, *free_slot = NULL;
    struct gaicb *list[1];
    int i;

    for (i = 0; i < RESOLVE_MAX_NAMES && l == NULL; i++) {
        struct lookup *s = r->names[i];

        if (s != NULL && strcmp(s->name, name) == 0)
            l = s;
        else if (free_slot == NULL && (s == NULL || !s->running))
            free_slot = s != NULL ? s : (r->names[i] = calloc(1, sizeof(*s)));
    }
    if (l != NULL && l->running && gai_error(&l->cb) != EAI_INPROGRESS &&
        now - l->started_ms > RESOLVE_STALE_MS) {
        if (gai_error(&l->cb) == 0)
            freeaddrinfo(l->cb.ar_result);
        l->running = false;
    }
    if (l != NULL && l->running)
        return l;
    if (l == NULL) {
        if ((l = free_slot) == NULL)
            return NULL;
        free(l->name);
        if ((l->name = strdup(name)) == NULL)
            return NULL;
    }
    memset(&l->hints, 0, sizeof(l->hints));
    l->hints.ai_family = AF_UNSPEC;
    l->hints.ai_socktype = SOCK_STREAM;
    l->hints.ai_flags = AI_ADDRCONFIG;
    memset(&l->cb, 0, sizeof(l->cb));
    l->cb.ar_name = l->name;
    l->cb.ar_request = &l->hints;
    list[0] = &l->cb;
    if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0)
        return NULL;
    l->running = true;
    l->started_ms = now;
    return l;
}

/* Wait until none of the n lookups runs, or the deadline; whether none
 * does. */
static bool
wait_all(struct lookup **ls, int n, int64_t deadline_ms)
{
    for (;;) {
        const struct gaicb *list[RESOLVE_MAX_ITEMS];
        struct timespec ts;
        int64_t left;
        int i, k = 0;

        for (i = 0; i < n; i++)
            if (gai_error(&ls[i]->cb) == EAI_INPROGRESS)
                list[k++] = &ls[i]->cb;
        if (k == 0)
            return true;
        left = deadline_ms - clock_mono_ms();
        if (left <= 0)
            return false;
        ts.tv_sec = left / 1000;
        ts.tv_nsec = (long)(left % 1000) * 1000000L;
        /* 0: one ended; EAI_AGAIN: time; EAI_INTR: a signal (the read
         * deadline's timer); EAI_ALLDONE: none runs.  Each loops. */
        (void)gai_suspend(list, k, &ts);
    }
}

/* Take the addresses of a lookup that ended; its error, or 0. */
static int
collect(struct lookup *l)
{
    int rc = gai_error(&l->cb);
    struct addrinfo *ai;

    l->running = false;
    l->naddrs = 0;
    if (rc != 0)
        return rc;
    for (ai = l->cb.ar_result; ai != NULL && l->naddrs < RESOLVE_MAX_ADDRS;
         ai = ai->ai_next) {
        char *dst = l->addrs[l->naddrs];
        int i, dup = 0;

        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, dst, INET6_ADDRSTRLEN,
                        NULL, 0, NI_NUMERICHOST) != 0)
            continue;
        for (i = 0; i < l->naddrs; i++)
            dup |= strcmp(l->addrs[i], dst) == 0;
        if (!dup)
            l->naddrs++;
    }
    freeaddrinfo(l->cb.ar_result);
    l->cb.ar_result = NULL;
    return l->naddrs > 0 ? 0 : EAI_NONAME;
}

/* A growing comma-separated list. */
struct list {
    char *s;
    size_t len, cap;
    bool bad;
};

/* Item index of the list (items go in order; any may be empty). */
static void
list_item(struct list *l, int index, const char *item)
{
    size_t n = strlen(item), need = l->len + n + 2;

    if (l->bad)
        return;
    if (need > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 128;
        char *s;

        while (cap < need)
            cap *= 2;
        if ((s = realloc(l->s, cap)) == NULL) {
            l->bad = true;
            return;
        }
        l->s = s;
        l->cap = cap;
    }
    if (index > 0)
        l->s[l->len++] = ',';
    memcpy(l->s + l->len, item, n + 1);
    l->len += n;
}

enum resolve_status
resolve_hosts(struct resolver *r, const char *host, const char *port,
              int64_t deadline_ms, struct resolved *out)
{
    char *hosts = NULL, *ports = NULL, *hi[RESOLVE_MAX_ITEMS],
         *pi[RESOLVE_MAX_ITEMS];
    struct lookup *ls[RESOLVE_MAX_ITEMS] = {0}, *wait[RESOLVE_MAX_ITEMS];
    int rc[RESOLVE_MAX_ITEMS];
    struct list h = {0}, a = {0}, p = {0};
    enum resolve_status st = RESOLVE_NONE;
    int nh, np = 0, i, j, nwait = 0, k = 0, pending = -1, failed = -1;
    int64_t now = clock_mono_ms();

    memset(out, 0, sizeof(*out));
    out->failed = -1;
    if (host == NULL || (hosts = strdup(host)) == NULL ||
        (port != NULL && (ports = strdup(port)) == NULL))
        goto done;
    nh = split(hosts, hi, RESOLVE_MAX_ITEMS);
    if (ports != NULL && (np = split(ports, pi, RESOLVE_MAX_ITEMS)) < 2)
        np = 0; /* one port, or none: every host's, as it is */
    if (nh < 0 || (np > 0 && np != nh))
        goto done; /* left to libpq, which says what is wrong */
    for (i = 0; i < nh; i++) {
        if (!is_name(hi[i]))
            continue;
        st = RESOLVE_FAILED;
        if ((ls[i] = lookup_of(r, hi[i], now)) == NULL) {
            fail(out, i, "could not look up host name \"%s\": %s", hi[i],
                 "no resources");
            goto done;
        }
        for (j = 0; j < nwait && wait[j] != ls[i]; j++)
            ;
        if (j == nwait)
            wait[nwait++] = ls[i];
    }
    if (nwait == 0)
        goto done;
    /* Of several hosts, the lookups take at most half the time left: the
     * hosts that answered are worth the other half, and a name still
     * unanswered is passed over as libpq passes over a host that fails. */
    (void)wait_all(wait, nwait,
                   nh > 1 ? now + (deadline_ms - now) / 2 : deadline_ms);
    for (j = 0; j < nwait; j++)
        rc[j] = gai_error(&wait[j]->cb) == EAI_INPROGRESS ? EAI_INPROGRESS
                                                          : collect(wait[j]);
    for (i = 0; i < nh; i++) {
        int n = 1;

        if (ls[i] != NULL) {
            for (j = 0; wait[j] != ls[i]; j++)
                ;
            if (rc[j] == EAI_INPROGRESS && pending < 0)
                pending = i;
            if (rc[j] != 0 && rc[j] != EAI_INPROGRESS && failed < 0) {
                failed = i;
                fail(out, i,
                     "could not translate host name \"%s\" to address: %s",
                     hi[i], gai_strerror(rc[j]));
            }
            n = rc[j] == 0 ? ls[i]->naddrs : 0;
        }
        for (j = 0; j < n; j++, k++) {
            list_item(&h, k, hi[i]);
            list_item(&a, k, ls[i] != NULL ? ls[i]->addrs[j] : "");
            if (np > 0)
                list_item(&p, k, pi[i]);
        }
    }
    if (k == 0 && pending >= 0) {
        fail(out, pending, "could not look up host name \"%s\": %s",
             hi[pending], "no answer within the deadline");
        st = RESOLVE_TIMEOUT;
        goto done;
    }
    if (k == 0)
        goto done; /* RESOLVE_FAILED, as fail() said */
    if (h.bad || a.bad || p.bad) {
        fail(out, 0, "could not look up host name \"%s\": %s", host,
             "out of memory");
        goto done;
    }
    out->hosts = h.s, out->hostaddrs = a.s, out->ports = p.s;
    h.s = a.s = p.s = NULL;
    out->failed = pending >= 0 ? pending : failed;
    st = RESOLVE_OK;
done:
    free(h.s);
    free(a.s);
    free(p.s);
    free(hosts);
    free(ports);
    return st;
}

void
resolve_free(struct resolved *out)
{
    free(out->hosts);
    free(out->hostaddrs);
    free(out->ports);
    out->hosts = out->hostaddrs = out->ports = NULL;
}
