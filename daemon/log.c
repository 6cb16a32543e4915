/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's log lines on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int min_level = MG_LOG_INFO;

void mg_dlog_set_level(int level)
{
    atomic_store(&min_level, level);
}

int mg_dlog_parse_level(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

void mg_dlog(int level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if (level < atomic_load(&min_level))
        return;
    if (level < MG_LOG_DEBUG || level > MG_LOG_ERROR)
        level = MG_LOG_ERROR;

    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf(line + n, sizeof line - n, ".%03ldZ morgued[%ld] %s: ", ts.tv_nsec / 1000000,
                     (long)getpid(), names[level]);
    if (k > 0)
        n += (size_t)k;

    va_list ap;
    va_start(ap, fmt);
    k = vsnprintf(line + n, sizeof line - n, fmt, ap);
    va_end(ap);
    if (k > 0)
        n += (size_t)k < sizeof line - n ? (size_t)k : sizeof line - n - 1;
    if (n >= sizeof line - 1)
        n = sizeof line - 2;
    line[n++] = '\n';

    /* One write per line keeps lines from different threads whole. */
    const char *p = line;
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
}
