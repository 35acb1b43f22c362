/* A request's parameters and body as libfcgi reads them. */
#ifndef CORDGATE_FCGI_H
#define CORDGATE_FCGI_H

#include <stdbool.h>
#include <stdint.h>

#include "cordgate/fcgi_guard.h"
#include "cordgate/http.h"

struct FCGX_Request;

/* The http_source of a request FCGX_Accept_r() has read: FCGX_GetParam()
 * on its parameters, FCGX_GetStr() on its stdin.  Valid until
 * FCGX_Finish_r(). */
struct http_source fcgi_http_source(struct FCGX_Request *req);

/*
 * The read deadline (CORDGATE_READ_TIMEOUT) of the request being read.
 * fcgi_deadline_init installs SIGALRM's handler, without SA_RESTART; from
 * deadline_ms on (CLOCK_MONOTONIC), a blocked read fails and the body read
 * of fcgi_http_source says ETIMEDOUT, and so does any failed read once
 * fcgi_deadline_passed(true) was said (a socket read without waiting past
 * its deadline).  The end of the body disarms it.
 */
int fcgi_deadline_init(void);
void fcgi_deadline_arm(int64_t deadline_ms);
void fcgi_deadline_disarm(void);
void fcgi_deadline_passed(bool passed);

/*
 * A request libfcgi reads from records cordgate has read and checked
 * first (fcgi_guard.h), so that no record reaches libfcgi unchecked: the
 * worker's way for a request not all in the socket buffer.  The records go
 * from the connection into a memfd as they come, and libfcgi reads them
 * from there: fcgi_feed_start reads up to the end of the parameters and
 * makes the memfd the request's ipcFd, for FCGX_Accept_r; the body reader
 * of fcgi_feed_source reads and checks ahead of what it asks libfcgi for,
 * so libfcgi never reads past what was checked (a read at the memfd's end
 * fails, as one at a connection's end).  Reads block under the read
 * deadline, or do not wait once fcgi_deadline_passed(true) was said and
 * the connection is non-blocking.  fcgi_feed_stop gives the request its
 * connection back for the answer.
 */
struct fcgi_feed {
    struct FCGX_Request *req;
    int sock;       /* the connection */
    int memfd;      /* what libfcgi reads; -1: none */
    size_t wpos;    /* the memfd's end */
    size_t dropped; /* its bytes before this were let go */
    uint64_t read;  /* body bytes libfcgi gave the body reader */
    bool ended;     /* nothing more is taken from the connection */
    bool rejected;  /* its records are not a web server's: no answer */
    struct fcgi_guard guard;
    char *buf; /* a scratch buffer */
    size_t bufsize;
};

/* 0: req->ipcFd is the memfd, ready for FCGX_Accept_r; -1: the parameters
 * did not all come (nothing to answer), or rejected is set; req->ipcFd is
 * sock. */
int fcgi_feed_start(struct fcgi_feed *f, struct FCGX_Request *req, int sock,
                    char *buf, size_t bufsize);
/* The body reader of a request read through f, as fcgi_http_source's; it
 * fails with EPROTO, setting rejected, on records that are not a web
 * server's. */
struct http_source fcgi_feed_source(struct fcgi_feed *f);
/* req->ipcFd is sock again, and the memfd closed; lost: libfcgi closed it
 * (a failed FCGX_Accept_r). */
void fcgi_feed_stop(struct fcgi_feed *f, bool lost);

#endif
