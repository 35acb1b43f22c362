/* The list endpoints' query: ?limit=, ?token= and ?filter=, as Cord reads. */
#ifndef CORDGATE_PAGE_H
#define CORDGATE_PAGE_H

#include <stdbool.h>

#include "cordgate/compiler.h"
#include "cordgate/errors.h"

struct buf;
struct request;

/* What a list endpoint reads from its query. */
struct page_spec {
    long limit_default, limit_max;
    /* The keys its pagination token holds, each naming the last id of the
     * page before; a token without any of them is "not valid". */
    const char *const *token_keys;
    bool filter; /* reads ?filter={"metadata": {...}} */
};

struct page {
    long limit;
    const char *after;    /* the id the page starts after, or NULL */
    const char *metadata; /* the filter's metadata as JSON text, or NULL */
};

/* Read r's query by spec, in Cord's order: filter, token, limit.  An empty
 * value is no value, as in Cord. */
enum cg_err page_read(struct request *r, const struct page_spec *spec,
                      struct page *out) CG_MUSTCHECK;

/* The token of the page after the one ending with last_id, as a JSON
 * string: btoa(JSON.stringify({key: last_id, ...})). */
int page_append_token(struct buf *b, struct request *r,
                      const struct page_spec *spec,
                      const char *last_id) CG_MUSTCHECK;

#endif
