/* Leveled log lines with pid and request id; never a secret. */
#ifndef CORDGATE_LOG_H
#define CORDGATE_LOG_H

#include "cordgate/compiler.h"
#include "cordgate/config.h"

/*
 * target: NULL or "" for stderr, "syslog" for syslog(3), else a file opened
 * for appending (one write(2) per line, so workers never interleave).
 * Returns -1 with errno set when the file cannot be opened.
 */
int log_open(const char *target, enum log_level level) CG_MUSTCHECK;
/* Reopen the file after rotation (SIGUSR1); a no-op for stderr and syslog. */
void log_reopen(void);
void log_close(void);
void log_set_level(enum log_level level);
/* The request id printed on every line until it is cleared with NULL. */
void log_set_request_id(const char *id);
int log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) CG_PRINTF(2, 3);
#define log_error(...) log_msg(LL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LL_DEBUG, __VA_ARGS__)

#endif
