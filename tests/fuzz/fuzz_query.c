/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the query parser: parse arbitrary bytes, render and free
 * the tree. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer
 * target; otherwise main() replays every file of a directory (the seed
 * corpus, tests/fuzz/corpus/query/) and prints TAP. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mg_qnode *q = NULL;
    mg_err err;
    mg_query_opts o = {.max_bytes = 8192, .max_terms = 64, .min_prefix = 2};
    int rc = mg_query_parse((const char *)data, size, &o, &q, &err);
    if (rc == 0) {
        if (!q)
            abort();
        char *s = mg_query_render(q);
        free(s);
        mg_query_free(q);
    } else {
        /* every failure is one of ours and says where */
        if (q || err.code == MG_OK || err.msg[0] == '\0')
            abort();
        if (err.code == MG_EQUERY && !mg_query_error_code(&err))
            abort();
    }
    return 0;
}

#ifndef MG_LIBFUZZER
static int replay(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    if (!d) {
        printf("not ok 1 - cannot open %s\n", argv[1]);
        return 1;
    }
    unsigned long n = 0, failed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        if (replay(path) < 0) {
            printf("# cannot read %s\n", path);
            failed++;
        }
        n++;
    }
    closedir(d);
    printf("1..1\n");
    if (n == 0 || failed)
        printf("not ok 1 - replayed %lu inputs (%lu unreadable)\n", n, failed);
    else
        printf("ok 1 - replayed %lu inputs\n", n);
    return n == 0 || failed;
}
#endif
