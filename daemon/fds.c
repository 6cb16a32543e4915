/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process's descriptor limit and count (contract in fds.h). */
#include "fds.h"

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

long mg_fds_raise_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit up = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &up) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1L << 30 ? -1 : (long)rl.rlim_cur;
}

long mg_fds_open(void)
{
    /* Kept open from the first call: at the limit, opening it would fail. */
    static DIR *d;
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    if (!d)
        d = opendir("/proc/self/fd");
    long n = -1;
    if (d) {
        rewinddir(d);
        n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
            if (de->d_name[0] != '.')
                n++;
    }
    pthread_mutex_unlock(&mu);
    return n;
}

struct mg_fds_pool {
    pthread_mutex_t mu;
    int want, held;
    int fd[];
};

mg_fds_pool *mg_fds_pool_new(int want)
{
    if (want < 0)
        want = 0;
    mg_fds_pool *p = calloc(1, sizeof *p + (size_t)want * sizeof p->fd[0]);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    p->want = want;
    mg_fds_pool_refill(p);
    return p;
}

void mg_fds_pool_free(mg_fds_pool *p)
{
    if (!p)
        return;
    mg_fds_pool_lend(p, p->want);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void mg_fds_pool_lend(mg_fds_pool *p, int n)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    while (n-- > 0 && p->held > 0)
        close(p->fd[--p->held]);
    pthread_mutex_unlock(&p->mu);
}

void mg_fds_pool_refill(mg_fds_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    while (p->held < p->want) {
        /* an eventfd: no file system needed (PrivateDevices=, chroots) */
        int fd = eventfd(0, EFD_CLOEXEC);
        if (fd < 0)
            break;
        p->fd[p->held++] = fd;
    }
    pthread_mutex_unlock(&p->mu);
}

int mg_fds_pool_held(mg_fds_pool *p)
{
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    int n = p->held;
    pthread_mutex_unlock(&p->mu);
    return n;
}
