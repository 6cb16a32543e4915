/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the protocol handler: any bytes as a request, without an
 * index, so every validation path runs (a valid request ends in
 * "unavailable"). The reply must always be an object with "v" and "ok" that
 * serialises. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer
 * target; otherwise main() replays every file of a directory (the seed
 * corpus, tests/fuzz/corpus/protocol/) and prints TAP. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *r = mg_proto_handle(NULL, (const char *)data, size);
    if (!r || !json_is_integer(json_object_get(r, "v")) ||
        !json_is_boolean(json_object_get(r, "ok")))
        abort();
    if (json_is_false(json_object_get(r, "ok")) &&
        !json_is_string(json_object_get(json_object_get(r, "error"), "code")))
        abort();
    size_t n;
    char *s = mg_proto_dump(r, &n);
    if (!s)
        abort();
    free(s);
    json_decref(r);
    return 0;
}

#ifndef MG_LIBFUZZER
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    DIR *d = opendir(argv[1]);
    printf("1..1\n");
    if (!d) {
        printf("not ok 1 - cannot open %s\n", argv[1]);
        return 1;
    }
    unsigned long n = 0, unreadable = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
        FILE *f = fopen(path, "rb");
        static unsigned char buf[1 << 20];
        size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
        if (!f) {
            unreadable++;
            continue;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        n++;
    }
    closedir(d);
    if (n == 0 || unreadable)
        printf("not ok 1 - replayed %lu inputs (%lu unreadable)\n", n, unreadable);
    else
        printf("ok 1 - replayed %lu inputs\n", n);
    return n == 0 || unreadable;
}
#endif
