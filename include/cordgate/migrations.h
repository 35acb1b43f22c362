/* The SQL migrations, embedded at build time from sql/. */
#ifndef CORDGATE_MIGRATIONS_H
#define CORDGATE_MIGRATIONS_H

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif
