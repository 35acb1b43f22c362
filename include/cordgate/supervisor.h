/* The worker pool: pre-fork, respawn, recycle, reload, signals. */
#ifndef CORDGATE_SUPERVISOR_H
#define CORDGATE_SUPERVISOR_H

struct config;

/*
 * `cordgate serve`: find or open the listening socket, then either serve in
 * this process (cfg->workers == 0) or run the master.  cfg is owned by the
 * supervisor from here on (SIGHUP replaces it).  Returns the exit status.
 */
int supervisor_run(struct config *cfg, const char *config_file);

#endif
