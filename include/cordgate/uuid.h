/* UUID text form checks. */
#ifndef CORDGATE_UUID_H
#define CORDGATE_UUID_H

#include <stdbool.h>
#include <stddef.h>

/* 8-4-4-4-12 hex digits, either case, any version (validator's isUUID). */
bool uuid_is_valid(const char *s, size_t len);

#endif
