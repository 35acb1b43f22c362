/* The FastCGI records of one request, checked before libfcgi reads them. */
#ifndef CORDGATE_FCGI_GUARD_H
#define CORDGATE_FCGI_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A request's parameters stream, all its records' contents, is at most
 * this long (Apache's default limits allow some 800 KiB of headers,
 * nginx's some 32 KiB). */
#define FCGI_GUARD_PARAMS_MAX (1u << 20)

/*
 * What a web server sends for one request, and nothing else: BEGIN_REQUEST
 * (a non-zero request id, 8 bytes, no padding), PARAMS records of that id
 * up to the empty one (without padding), then STDIN records up to the
 * empty one, or an ABORT_REQUEST of that id among them (not among the
 * parameters: libfcgi would read on past it), which ends the request.  All
 * records are of version 1.  The parameters' name and value lengths must
 * each lie within the parameters stream, which is at most
 * FCGI_GUARD_PARAMS_MAX.  Anything else is refused: a management record
 * (request id 0), another request id, a second BEGIN_REQUEST, FCGI_DATA, a
 * record of another or an unknown type.
 *
 * libfcgi 2.4.2 reads these records, and only these, the way a web server
 * means them; what the guard refuses reaches its bugs (a GET_VALUES record
 * overflowing its stack, parameter lengths whose int sum overflows, a leak
 * per unknown management record) or its misreadings (the padding of
 * BEGIN_REQUEST and of the last PARAMS record read as a header).
 */
enum fcgi_guard_status {
    FCGI_GUARD_MORE, /* fine so far; the request goes on */
    FCGI_GUARD_END,  /* its last record (empty STDIN, or ABORT) is whole */
    FCGI_GUARD_BAD,  /* not what a web server sends */
};

enum fcgi_guard_phase {
    FCGI_GUARD_BEGIN,  /* BEGIN_REQUEST next */
    FCGI_GUARD_PARAMS, /* in the parameters */
    FCGI_GUARD_STDIN,  /* the parameters ended: in the body */
    FCGI_GUARD_DONE,   /* the request's last record was passed */
};

struct fcgi_guard {
    enum fcgi_guard_phase phase;
    unsigned id;             /* the request's, from BEGIN_REQUEST */
    unsigned char head[8];   /* the header being read */
    unsigned nhead;          /* its bytes so far */
    bool in_record;          /* content or padding of a record next */
    bool last;               /* the record being passed ends the request */
    unsigned type;           /* the record being passed */
    size_t content, padding; /* its bytes still to pass */
    size_t params;           /* bytes of the parameters stream so far */
    unsigned char len[4];    /* a parameter length being read */
    unsigned nlen, need;     /* its bytes so far, and all of them */
    bool value_next;         /* the value's length next, not the name's */
    uint32_t name_len;
    size_t pair;   /* name and value bytes still to pass */
    uint64_t body; /* STDIN content bytes passed */
    bool failed;   /* once BAD, always BAD */
};

void fcgi_guard_init(struct fcgi_guard *g);
/*
 * The next n bytes of the connection.  *used: the bytes taken, up to the
 * end of the request's last record on END (the rest is not this
 * request's), all n on MORE, those before the one found wrong on BAD.
 */
enum fcgi_guard_status fcgi_guard_check(struct fcgi_guard *g,
                                        const unsigned char *p, size_t n,
                                        size_t *used);

#endif
