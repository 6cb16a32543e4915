/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process's descriptor limit and count (contract in fds.h). */
#include "fds.h"

#include <dirent.h>
#include <pthread.h>
#include <sys/resource.h>

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
