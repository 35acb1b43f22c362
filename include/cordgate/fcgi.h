/* A request's parameters and body as libfcgi reads them. */
#ifndef CORDGATE_FCGI_H
#define CORDGATE_FCGI_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
