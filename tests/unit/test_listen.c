/* Unit tests for finding the listening socket. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cordgate/config.h"
#include "cordgate/listen.h"

static char dir[64];
static char path[96];
static struct config cfg;

static void
setup(void)
{
    int null = open("/dev/null", O_RDONLY);

    /* Not a socket on fd 0, and no socket activation: CORDGATE_LISTEN. */
    cr_assert_geq(null, 0);
    cr_assert_eq(dup2(null, 0), 0);
    close(null);
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    strcpy(dir, "/tmp/cordgate-listen-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/s.sock", dir);
    memset(&cfg, 0, sizeof(cfg));
    cfg.listen = path;
    cfg.listen_mode = 0640;
}

static void
teardown(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(listen, .init = setup, .fini = teardown);

Test(listen, unix_path_gets_its_mode_and_is_removed_on_close)
{
    struct listener l;
    struct stat st;

    cr_assert_eq(listen_open(&l, &cfg), 0);
    cr_assert_gt(l.fd, 0);
    cr_assert_str_eq(l.how, path);
    cr_assert_null(l.manager);
    cr_assert(fcntl(l.fd, F_GETFL) & O_NONBLOCK);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0640);
    listen_close(&l);
    cr_assert_eq(stat(path, &st), -1);
    cr_assert_eq(errno, ENOENT);
}

Test(listen, live_socket_is_not_replaced)
{
    struct listener first, second;
    struct stat st;

    cr_assert_eq(listen_open(&first, &cfg), 0);
    cr_assert_eq(listen_open(&second, &cfg), -1);
    cr_assert_eq(stat(path, &st), 0, "the running one keeps its file");
    listen_close(&first);
}

Test(listen, stale_socket_file_is_replaced)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct listener l;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd); /* the file stays, nobody listens */
    cr_assert_eq(listen_open(&l, &cfg), 0);
    listen_close(&l);
}

Test(listen, tcp_host_and_port)
{
    struct listener l;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    cfg.listen = "127.0.0.1:0";
    cr_assert_eq(listen_open(&l, &cfg), 0);
    cr_assert_null(l.unix_path);
    cr_assert_eq(getsockname(l.fd, (struct sockaddr *)&ss, &len), 0);
    cr_assert_eq(ss.ss_family, AF_INET);
    listen_close(&l);
}
