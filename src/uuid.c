/* UUID text form checks. */
#include "cordgate/uuid.h"

#include <ctype.h>

bool
uuid_is_valid(const char *s, size_t len)
{
    size_t i;

    if (s == NULL || len != 36)
        return false;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}
