/* Finding the listening socket: LISTEN_FDS, fd 0, a unix path or host:port. */
#ifndef CORDGATE_LISTEN_H
#define CORDGATE_LISTEN_H

struct config;

struct listener {
    int fd;
    char *unix_path;     /* set when we created the socket file */
    const char *how;     /* for the start-up log line */
    const char *manager; /* who gave us fd 0, when it runs the pool */
};

/*
 * LISTEN_FDS, then a listening socket on fd 0, then CORDGATE_LISTEN.  The
 * socket is left non-blocking.  Returns -1 (having said why on stderr) when
 * there is none to be had.
 */
int listen_open(struct listener *l, const struct config *cfg);
/* Close the socket, and remove the socket file if listen_open() made it. */
void listen_close(struct listener *l);

#endif
