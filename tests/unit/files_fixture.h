/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Paths, strings, a file written from a string and an FNV-1a of its own,
 * for the tests that read or write files (test_reader.c, test_jsonrec.c,
 * test_index.c, test_transport.c). Include after cmocka.h. */
#ifndef MG_FILES_FIXTURE_H
#define MG_FILES_FIXTURE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *root_dir(void)
{
    const char *r = getenv("MORGUE_ROOT");
    return r && *r ? r : ".";
}

static inline char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static inline char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static inline char *fmt(const char *f, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, f);
    assert_true(vasprintf(&s, f, ap) >= 0);
    va_end(ap);
    return s;
}

/* path holds text (created or truncated). */
static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* An independent FNV-1a 64, to check derived ids. */
static inline uint64_t fnv1a64(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

#endif
