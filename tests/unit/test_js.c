/* Unit tests for what JavaScript's parseInt reads. */
#include <criterion/criterion.h>
#include <string.h>

#include "cordgate/compiler.h"
#include "cordgate/js.h"

TestSuite(js);

/* Each row: the text, the digits parseInt(text, 10) reads (NULL: NaN) and
 * its sign, as Node 20 has them. */
static const struct {
    const char *text;
    const char *digits;
    bool negative;
} rows[] = {
    {"15", "15", false},
    {"15abc", "15", false},
    {"  -7", "7", true},
    {"+3", "3", false},
    {"\t\n\v\f\r 9", "9", false},
    {"\xc2\xa0"
     "1",
     "1", false}, /* U+00A0 */
    {"\xe2\x80\x80"
     "2",
     "2", false}, /* U+2000 */
    {"\xe2\x80\x8a"
     "3",
     "3", false}, /* U+200A */
    {"\xe2\x80\xa8"
     "4",
     "4", false}, /* U+2028 */
    {"\xe3\x80\x80"
     "5",
     "5", false}, /* U+3000 */
    {"\xef\xbb\xbf"
     "6",
     "6", false}, /* U+FEFF */
    {"\xe2\x80\x8b"
     "7",
     NULL, false}, /* U+200B is not white space */
    {"", NULL, false},
    {"abc", NULL, false},
    {"-", NULL, true},
    {"--1", NULL, true},
    {"0x10", "0", false},
    {"1e3", "1", false},
    {"12345678901234567890123", "12345678901234567890123", false},
};

Test(js, reads_what_parse_int_reads)
{
    size_t i;

    for (i = 0; i < CG_ARRAY_LEN(rows); i++) {
        bool negative = !rows[i].negative;
        struct str d = js_int_digits(str_from_cstr(rows[i].text), &negative);
        size_t want = rows[i].digits ? strlen(rows[i].digits) : 0;

        cr_expect_eq(d.len, want, "row %zu: %zu digits, want %zu", i, d.len,
                     want);
        if (want > 0 && d.len == want)
            cr_expect_eq(memcmp(d.p, rows[i].digits, want), 0, "row %zu", i);
        cr_expect_eq(negative, rows[i].negative, "row %zu: sign", i);
    }
}
