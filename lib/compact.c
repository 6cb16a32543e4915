/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A Xapian compaction in a child process that the parent can kill. */
#include "compact.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xapian_shim.h"

/* A handler inherited from the parent (morgue-index asks for a clean stop
 * on SIGINT) means nothing in the child: take the default action instead.
 * A signal the parent ignores stays ignored. */
static void default_signal(int sig)
{
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_IGN) {
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(sig, &sa, NULL);
    }
}

static void send_error(int fd, const mg_err *e)
{
    /* One write of less than PIPE_BUF bytes: the parent reads it whole. */
    ssize_t w = write(fd, e, sizeof *e);
    (void)w;
}

/* Xapian ended the compaction from within (xapian_shim.h): the parent's
 * handler, inherited, is not for the child; tell the parent the cause. */
static void child_fatal(void *ctx, const mg_err *e)
{
    send_error(*(int *)ctx, e);
    _exit(1);
}

static void child_main(const char *const *srcs, size_t n, const char *dst, int fd, pid_t parent)
{
    default_signal(SIGINT);
    default_signal(SIGTERM);
    mg_xapian_set_fatal(child_fatal, &fd);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(1); /* the parent is gone already */
    mg_err e;
    mg_err_clear(&e);
    int rc = mg_xdb_compact(srcs, n, dst, &e);
    if (rc)
        send_error(fd, &e);
    /* _exit: the parent's atexit handlers and stdio buffers are its own. */
    _exit(rc ? 1 : 0);
}

/* Wait for the child's end, reading its error report from fd into *child_err
 * (*got bytes of it) and calling poll_fn between waits. Returns 1 when
 * poll_fn asked to stop (the child is killed), else 0. */
static int wait_child(int fd, pid_t pid, mg_compact_poll_fn poll_fn, void *ctx, mg_err *child_err,
                      size_t *got)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
        int k = poll(&p, 1, 200);
        if (k > 0) {
            ssize_t r = *got < sizeof *child_err
                            ? read(fd, (char *)child_err + *got, sizeof *child_err - *got)
                            : read(fd, &(char){0}, 1);
            if (r == 0)
                return 0; /* the child has exited: its end of the pipe closed */
            if (r > 0 && *got < sizeof *child_err)
                *got += (size_t)r;
            else if (r < 0 && errno != EINTR && errno != EAGAIN)
                return 0;
        } else if (k < 0 && errno != EINTR) {
            return 0;
        }
        if (poll_fn && poll_fn(ctx)) {
            kill(pid, SIGKILL);
            return 1;
        }
    }
}

int mg_compact_run(const char *const *srcs, size_t n, const char *dst, mg_compact_poll_fn poll_fn,
                   void *ctx, mg_err *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return mg_err_set(err, MG_EIO, "compact: pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int en = errno;
        close(fds[0]);
        close(fds[1]);
        return mg_err_set(err, en == ENOMEM ? MG_ENOMEM : MG_EIO, "compact: fork: %s",
                          strerror(en));
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(srcs, n, dst, fds[1], parent);
    }
    close(fds[1]);

    mg_err child_err;
    mg_err_clear(&child_err);
    size_t got = 0;
    int stopped = wait_child(fds[0], pid, poll_fn, ctx, &child_err, &got);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return mg_err_set(err, MG_EINTERNAL, "compact: waitpid: %s", strerror(errno));
    }
    if (stopped)
        return 1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status)) {
        /* A ^C reaches the child too, and it dies of it first. */
        if (poll_fn && poll_fn(ctx))
            return 1;
        return mg_err_set(err, MG_EIO, "compact: the compacting process was killed by %s",
                          strsignal(WTERMSIG(status)));
    }
    if (got == sizeof child_err && child_err.code) {
        child_err.msg[sizeof child_err.msg - 1] = '\0';
        if (err)
            *err = child_err;
        return -child_err.code;
    }
    return mg_err_set(err, MG_EINTERNAL, "compact: the compacting process exited with status %d",
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
