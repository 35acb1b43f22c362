/* Shared by the unit tests that load the configuration. */
#ifndef CORDGATE_TESTS_UNIT_ENV_H
#define CORDGATE_TESTS_UNIT_ENV_H

#include <stdlib.h>
#include <string.h>

extern char **environ;

/* Unset every CORDGATE_ variable, whatever the shell running us had. */
static inline void
clear_env(void)
{
    char names[64][128];
    size_t n = 0;

    for (char **e = environ; e != NULL && *e != NULL && n < 64; e++) {
        const char *eq = strchr(*e, '=');

        if (strncmp(*e, "CORDGATE_", 9) == 0 && eq != NULL &&
            (size_t)(eq - *e) < sizeof(names[0])) {
            memcpy(names[n], *e, (size_t)(eq - *e));
            names[n][eq - *e] = '\0';
            n++;
        }
    }
    for (size_t i = 0; i < n; i++)
        unsetenv(names[i]);
}

#endif
