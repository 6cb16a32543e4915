/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The node_exporter textfile of morgue-index --prom-file. */
#include "promfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LAST_SUCCESS "morgue_index_last_success_timestamp_seconds"

/* The last success time in the file at path, or -1. */
static long long previous_success(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long long t = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, LAST_SUCCESS " ", sizeof LAST_SUCCESS) == 0)
            t = strtoll(line + sizeof LAST_SUCCESS, NULL, 10);
    fclose(f);
    return t;
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
    fprintf(f, "# HELP morgue_index_%s %s\n# TYPE morgue_index_%s gauge\nmorgue_index_%s %.17g\n",
            name, help, name, name, v);
}

int write_prom_file(const char *path, const mg_index_stats *st, int exit_status)
{
    long long now = (long long)time(NULL);
    bool success = exit_status == 0 || exit_status == 3;
    long long last_success = success ? now : previous_success(path);
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        errno = e;
        return -1;
    }
    gauge(f, "last_run_timestamp_seconds", "Unix time the last run ended.", (double)now);
    gauge(f, "last_run_exit_status",
          "Exit status of the last run (0 ok, 1 failed, 2 usage, 3 bad records skipped).",
          exit_status);
    gauge(f, "last_run_duration_seconds", "Time the last run took.", st->elapsed_s);
    gauge(f, "last_run_added", "Documents the last run added.", (double)st->added);
    gauge(f, "last_run_replaced", "Documents the last run replaced.", (double)st->replaced);
    gauge(f, "last_run_unchanged", "Documents the last run found unchanged.",
          (double)st->unchanged);
    gauge(f, "last_run_deleted", "Documents the last run deleted.", (double)st->deleted);
    gauge(f, "last_run_skipped", "Bad records the last run skipped.", (double)st->skipped);
    gauge(f, "last_run_read_bytes", "Input bytes the last run read.", (double)st->input_bytes);
    gauge(f, "documents", "Documents in the index after the last run.", (double)st->documents);
    gauge(f, "bytes", "Size of the live index after the last run, bytes.", (double)st->index_bytes);
    if (last_success >= 0)
        gauge(f, "last_success_timestamp_seconds", "Unix time of the last run that exited 0 or 3.",
              (double)last_success);
    bool ok = fflush(f) == 0 && !ferror(f) && fsync(fd) == 0;
    int e = errno;
    ok = fclose(f) == 0 && ok;
    if (ok && rename(tmp, path) == 0)
        return 0;
    e = ok ? errno : e;
    unlink(tmp);
    errno = e;
    return -1;
}
