/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd_notify by hand: $NOTIFY_SOCKET is a path ("/run/systemd/notify") or an
 * abstract socket name ("@..."); the state goes there in one datagram. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static int send_state(const char *path, const char *state)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len < 2 || len > sizeof sa.sun_path) {
        errno = EINVAL;
        return -1;
    }
    memcpy(sa.sun_path, path, len);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sa,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
    int saved = errno;
    close(fd);
    errno = saved;
    return n < 0 ? -1 : 0;
}

void mg_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path && *path && send_state(path, state) != 0)
        mg_dlog(MG_LOG_WARN, "NOTIFY_SOCKET %s: %s", path, strerror(errno));
}
