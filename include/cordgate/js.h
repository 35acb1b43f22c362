/* What JavaScript's parseInt(s, 10) reads from a string. */
#ifndef CORDGATE_JS_H
#define CORDGATE_JS_H

#include <stdbool.h>

#include "cordgate/str.h"

/*
 * The digits parseInt(s, 10) would read: after JavaScript's white space and
 * line terminators (Unicode's, in UTF-8) and one sign, the run of ASCII
 * digits, possibly empty (parseInt's NaN).  *negative says whether the sign
 * was "-".
 */
struct str js_int_digits(struct str s, bool *negative);

#endif
