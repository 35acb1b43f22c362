/* A request's parameters and body as libfcgi reads them. */
#ifndef CORDGATE_FCGI_H
#define CORDGATE_FCGI_H

#include "cordgate/http.h"

struct FCGX_Request;

/* The http_source of a request FCGX_Accept_r() has read: FCGX_GetParam()
 * on its parameters, FCGX_GetStr() on its stdin.  Valid until
 * FCGX_Finish_r(). */
struct http_source fcgi_http_source(struct FCGX_Request *req);

#endif
