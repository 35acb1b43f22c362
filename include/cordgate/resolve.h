/* Database host names looked up under a deadline, not by libpq. */
#ifndef CORDGATE_RESOLVE_H
#define CORDGATE_RESOLVE_H

#include <stdint.h>

#include "cordgate/compiler.h"

/*
 * libpq looks a host name up with getaddrinfo inside its connect, which
 * blocks for as long as the resolver takes (timeout × attempts × servers:
 * 10 s and more when the name servers do not answer), out of reach of any
 * deadline.  So db.c hands libpq addresses (hostaddr) it looked up here,
 * with getaddrinfo_a, waiting no later than the deadline; the host names
 * stay, for TLS and the password file.
 *
 * A resolver keeps the lookups that ran out of time: glibc still owns them,
 * and the next connect attempt waits on the same lookup instead of starting
 * another.
 */
struct resolver;

struct resolver *resolver_create(void);
/* A lookup still running is left to glibc (and its memory with it). */
void resolver_destroy(struct resolver *r);

enum resolve_status {
    RESOLVE_OK,
    RESOLVE_NONE,    /* nothing to look up: every host is an address or a
                        socket directory, or hostaddr is given */
    RESOLVE_TIMEOUT, /* a name had no answer by the deadline */
    RESOLVE_FAILED,  /* a name does not resolve, or out of memory */
};

/*
 * The host lists of a connection, with each host name replaced by one item
 * per address it has: hosts (the host names), hostaddrs (an address for a
 * name, empty for a host libpq needs no lookup for) and, when the port list
 * has several items, ports (each host's port, repeated likewise).  Each is
 * a malloc'd comma-separated list, NULL when not needed (ports), released
 * by resolve_free.  host and port are the conninfo's own lists (port may be
 * NULL); *failed is the index in host of the name that failed or ran out of
 * time, and error its message.
 */
struct resolved {
    char *hosts;
    char *hostaddrs;
    char *ports;
    int failed;
    char error[160];
};

enum resolve_status resolve_hosts(struct resolver *r, const char *host,
                                  const char *port, int64_t deadline_ms,
                                  struct resolved *out) CG_MUSTCHECK;
void resolve_free(struct resolved *out);

#endif
