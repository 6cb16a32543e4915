/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A cmocka fixture holding a fresh directory under /tmp, removed with all it
 * holds after the test. The test's fixture struct starts with char dir[64]. */
#ifndef MG_TMPDIR_FIXTURE_H
#define MG_TMPDIR_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "gens.h"

/* *state = a zeroed struct of size bytes whose dir is /tmp/mg-NAME-XXXXXX,
 * made; 0, or -1 on failure. */
static int tmpdir_setup(void **state, size_t size, const char *name)
{
    char *dir = calloc(1, size);
    if (!dir)
        return -1;
    snprintf(dir, 64, "/tmp/mg-%s-XXXXXX", name);
    *state = dir;
    return mkdtemp(dir) ? 0 : -1;
}

static int tmpdir_teardown(void **state)
{
    char *dir = *state;
    int rc = mg_gens_rm_tree(dir);
    free(dir);
    return rc;
}

#endif
