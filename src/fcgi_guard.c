/* FastCGI records checked against what a web server sends (fcgi_guard.h). */
#include "cordgate/fcgi_guard.h"

#include <fastcgi.h>
#include <string.h>

void
fcgi_guard_init(struct fcgi_guard *g)
{
    memset(g, 0, sizeof(*g));
    g->phase = FCGI_GUARD_BEGIN;
}

/* A whole header in g->head; 0 when it is one the request may have. */
static int
header(struct fcgi_guard *g)
{
    const unsigned char *h = g->head;
    unsigned type = h[1], id = (unsigned)h[2] << 8 | h[3];
    size_t clen = (size_t)h[4] << 8 | h[5], plen = h[6];

    if (h[0] != FCGI_VERSION_1 || id == FCGI_NULL_REQUEST_ID)
        return -1;
    g->type = type;
    g->content = clen;
    g->padding = plen;
    g->last = false;
    if (g->phase == FCGI_GUARD_BEGIN) {
        /* libfcgi reads the padding of BEGIN_REQUEST as a header. */
        if (type != FCGI_BEGIN_REQUEST ||
            clen != sizeof(FCGI_BeginRequestBody) || plen != 0)
            return -1;
        g->id = id;
        g->phase = FCGI_GUARD_PARAMS;
        return 0;
    }
    if (id != g->id)
        return -1;
    /* In the body libfcgi takes it as the end of the stream being read,
     * and reads nothing more of the request (nor its content).  Not in the
     * parameters: it then ends them without an error, and reads on past it
     * as the body. */
    if (type == FCGI_ABORT_REQUEST && g->phase == FCGI_GUARD_STDIN) {
        g->last = true;
        return 0;
    }
    if (g->phase == FCGI_GUARD_PARAMS) {
        if (type != FCGI_PARAMS)
            return -1;
        if (clen > 0)
            return g->params + clen > FCGI_GUARD_PARAMS_MAX ? -1 : 0;
        /* The end of the parameters: no pair may be left open, and the
         * padding would be read as a header. */
        if (plen != 0 || g->nlen != 0 || g->value_next || g->pair != 0)
            return -1;
        g->phase = FCGI_GUARD_STDIN;
        return 0;
    }
    if (type != FCGI_STDIN)
        return -1;
    if (clen == 0)
        g->last = true;
    return 0;
}

/* k bytes of PARAMS content; 0 when every length in them is bounded, else
 * -1 and *at is the byte that ended the length found too long. */
static int
params(struct fcgi_guard *g, const unsigned char *p, size_t k, size_t *at)
{
    size_t i = 0;

    while (i < k) {
        uint32_t v;

        if (g->pair > 0) {
            size_t skip = g->pair < k - i ? g->pair : k - i;

            g->pair -= skip;
            i += skip;
            continue;
        }
        if (g->nlen == 0)
            g->need = p[i] & 0x80 ? 4 : 1;
        g->len[g->nlen++] = p[i++];
        if (g->nlen < g->need)
            continue;
        g->nlen = 0;
        if (g->need == 1)
            v = g->len[0];
        else
            v = (uint32_t)(g->len[0] & 0x7f) << 24 | (uint32_t)g->len[1] << 16 |
                (uint32_t)g->len[2] << 8 | g->len[3];
        if (!g->value_next) {
            g->name_len = v;
            g->value_next = true;
            if (v > FCGI_GUARD_PARAMS_MAX) {
                *at = i - 1;
                return -1;
            }
            continue;
        }
        g->value_next = false;
        g->pair = (size_t)g->name_len + v;
        /* It must fit in what the stream may still bring. */
        if (g->pair > FCGI_GUARD_PARAMS_MAX - (g->params - (k - i))) {
            *at = i - 1;
            return -1;
        }
    }
    return 0;
}

enum fcgi_guard_status
fcgi_guard_check(struct fcgi_guard *g, const unsigned char *p, size_t n,
                 size_t *used)
{
    size_t i = 0;

    *used = 0;
    if (g->failed)
        return FCGI_GUARD_BAD;
    while (i < n && g->phase != FCGI_GUARD_DONE) {
        if (!g->in_record) {
            g->head[g->nhead++] = p[i];
            if (g->nhead < sizeof(g->head)) {
                i++;
                continue;
            }
            g->nhead = 0;
            if (header(g) != 0) {
                g->failed = true;
                *used = i;
                return FCGI_GUARD_BAD;
            }
            i++;
            g->in_record = true;
        } else if (g->content > 0) {
            size_t k = g->content < n - i ? g->content : n - i;

            if (g->type == FCGI_PARAMS) {
                size_t at;

                g->params += k;
                if (params(g, p + i, k, &at) != 0) {
                    g->failed = true;
                    *used = i + at;
                    return FCGI_GUARD_BAD;
                }
            } else if (g->type == FCGI_STDIN) {
                g->body += k;
            }
            g->content -= k;
            i += k;
        } else {
            size_t k = g->padding < n - i ? g->padding : n - i;

            g->padding -= k;
            i += k;
        }
        if (g->in_record && g->content == 0 && g->padding == 0) {
            g->in_record = false;
            if (g->last)
                g->phase = FCGI_GUARD_DONE;
        }
    }
    *used = i;
    return g->phase == FCGI_GUARD_DONE ? FCGI_GUARD_END : FCGI_GUARD_MORE;
}
