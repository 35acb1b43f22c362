/* The worker's http_source: libfcgi's parameters and stdin stream. */
#include "cordgate/fcgi.h"

#include <fcgiapp.h>
#include <stdint.h>

static const char *
fcgx_param(void *ud, const char *name)
{
    FCGX_Request *req = ud;

    return FCGX_GetParam(name, req->envp);
}

static ssize_t
fcgx_read(void *ud, char *dst, size_t n)
{
    FCGX_Request *req = ud;
    int got;

    if (n > (size_t)INT32_MAX)
        n = INT32_MAX;
    got = FCGX_GetStr(dst, (int)n, req->in);
    if (got == 0 && FCGX_GetError(req->in) != 0)
        return -1;
    return got;
}

struct http_source
fcgi_http_source(struct FCGX_Request *req)
{
    return (struct http_source){fcgx_param, fcgx_read, req};
}
