/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Synonyms for the query (synonyms.h): the operator's file read into groups
 * of stems, and a sorted index from each stem to its group. */
#include "synonyms.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"
#include "utf8.h"

typedef struct entry {
    const char *stem;
    size_t group;
    size_t line; /* where the stem was read, for a clash's message */
} entry;

struct mg_synonyms {
    char **stems;  /* every group's stems, one group after another */
    size_t *start; /* group g is stems[start[g]] .. stems[start[g + 1] - 1] */
    size_t nstems, ngroups, cap_stems, cap_start;
    entry *index; /* one per stem, sorted by stem */
};

void mg_synonyms_free(mg_synonyms *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nstems; i++)
        free(s->stems[i]);
    free(s->stems);
    free(s->start);
    free(s->index);
    free(s);
}

static int by_stem(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->stem, ((const entry *)b)->stem);
}

/* The file's bytes, NUL-terminated, into *out (caller frees). Only a
 * regular file: a directory, a device or a FIFO (whose open would wait
 * for a writer) is refused. */
static int read_file(const char *path, char **out, size_t *len, mg_err *err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return mg_err_set_detail(err, MG_EIO, errno, "synonyms %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mg_err_set(err, MG_EIO, "synonyms %s: not a regular file", path);
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    }
    char *buf = malloc(MG_SYN_MAX_FILE + 2);
    if (!buf) {
        fclose(f);
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    }
    size_t n = fread(buf, 1, MG_SYN_MAX_FILE + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return mg_err_set(err, MG_EIO, "synonyms %s: cannot be read", path);
    }
    if (n > MG_SYN_MAX_FILE) {
        free(buf);
        return mg_err_set(err, MG_ETOOBIG, "synonyms %s: over %u bytes", path, MG_SYN_MAX_FILE);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* Add the words of one line as a group: 0, or -1 with err set. */
static int add_group(mg_synonyms *s, mg_analyzer *an, const char *path, size_t lineno, char *line,
                     mg_err *err)
{
    size_t first = s->nstems;
    for (char *save = NULL, *w = strtok_r(line, " \t\r,", &save); w;
         w = strtok_r(NULL, " \t\r,", &save)) {
        long tokens = mg_analyze(an, w, strlen(w), 0, 0, NULL, NULL, err);
        if (tokens < 0)
            return -1;
        if (tokens != 1)
            return mg_err_set(err, MG_EFORMAT, "synonyms %s:%zu: '%s' is %s to the analyser", path,
                              lineno, w, tokens ? "several words" : "no word");
        char stem[MG_TERM_MAX + 1];
        if (mg_analyze_word(an, w, strlen(w), 0, stem, sizeof stem, err) <= 0)
            return mg_err_set(err, MG_EFORMAT, "synonyms %s:%zu: '%s' is no word to the analyser",
                              path, lineno, w);
        bool again = false;
        for (size_t i = first; i < s->nstems && !again; i++)
            again = strcmp(s->stems[i], stem) == 0;
        if (again)
            continue; /* "bombay Bombay": one stem */
        if (s->nstems - first == MG_SYN_MAX_GROUP)
            return mg_err_set(err, MG_ETOOBIG, "synonyms %s:%zu: a group of more than %d words",
                              path, lineno, MG_SYN_MAX_GROUP);
        if (!mg_grow_array(&s->stems, &s->cap_stems, s->nstems + 1, sizeof *s->stems, 64) ||
            !(s->stems[s->nstems] = strdup(stem)))
            return mg_err_set(err, MG_ENOMEM, "out of memory");
        s->nstems++;
    }
    size_t words = s->nstems - first;
    if (words == 0)
        return 0; /* a line of separators alone */
    if (words == 1)
        return mg_err_set(err, MG_EFORMAT,
                          "synonyms %s:%zu: a group needs two different words ('%s')", path, lineno,
                          s->stems[first]);
    if (s->ngroups == MG_SYN_MAX_GROUPS)
        return mg_err_set(err, MG_ETOOBIG, "synonyms %s:%zu: more than %d groups", path, lineno,
                          MG_SYN_MAX_GROUPS);
    if (!mg_grow_array(&s->start, &s->cap_start, s->ngroups + 2, sizeof *s->start, 64))
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    s->start[s->ngroups++] = first;
    s->start[s->ngroups] = s->nstems;
    return 0;
}

/* The sorted index of every stem; a stem in two groups is an error. */
static int build_index(mg_synonyms *s, const char *path, const size_t *lines, mg_err *err)
{
    s->index = calloc(s->nstems + 1, sizeof *s->index);
    if (!s->index)
        return mg_err_set(err, MG_ENOMEM, "out of memory");
    for (size_t g = 0; g < s->ngroups; g++)
        for (size_t i = s->start[g]; i < s->start[g + 1]; i++)
            s->index[i] = (entry){s->stems[i], g, lines[g]};
    qsort(s->index, s->nstems, sizeof *s->index, by_stem);
    for (size_t i = 1; i < s->nstems; i++)
        if (strcmp(s->index[i - 1].stem, s->index[i].stem) == 0) {
            const entry *a = &s->index[i - 1], *b = &s->index[i];
            return mg_err_set(err, MG_EFORMAT,
                              "synonyms %s:%zu: '%s' is already in the group of line %zu", path,
                              a->line > b->line ? a->line : b->line, a->stem,
                              a->line > b->line ? b->line : a->line);
        }
    return 0;
}

mg_synonyms *mg_synonyms_load(const char *path, mg_analyzer *an, mg_err *err)
{
    mg_err_clear(err);
    char *text = NULL;
    size_t len = 0;
    if (read_file(path, &text, &len, err) < 0)
        return NULL;
    mg_synonyms *s = calloc(1, sizeof *s);
    size_t *lines = NULL, cap_lines = 0;
    int rc = s ? 0 : mg_err_set(err, MG_ENOMEM, "out of memory");
    size_t lineno = 0;
    for (char *p = text; rc == 0 && p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        char *end = nl ? nl : text + len;
        *end = '\0';
        lineno++;
        if (!mg_utf8_valid(p, (size_t)(end - p)) || memchr(p, '\0', (size_t)(end - p))) {
            rc = mg_err_set(err, MG_EFORMAT, "synonyms %s:%zu: not UTF-8 text", path, lineno);
            break;
        }
        char *hash = strchr(p, '#');
        if (hash)
            *hash = '\0';
        size_t before = s->ngroups;
        rc = add_group(s, an, path, lineno, p, err);
        if (rc == 0 && s->ngroups > before) {
            if (!mg_grow_array(&lines, &cap_lines, s->ngroups, sizeof *lines, 64))
                rc = mg_err_set(err, MG_ENOMEM, "out of memory");
            else
                lines[s->ngroups - 1] = lineno;
        }
        p = end + 1;
    }
    if (rc == 0)
        rc = build_index(s, path, lines, err);
    free(lines);
    free(text);
    if (rc < 0) {
        mg_synonyms_free(s);
        return NULL;
    }
    return s;
}

const char *const *mg_synonyms_of(const mg_synonyms *s, const char *stem, size_t *n)
{
    *n = 0;
    if (!s || !s->nstems)
        return NULL;
    entry key = {.stem = stem};
    const entry *e = bsearch(&key, s->index, s->nstems, sizeof *s->index, by_stem);
    if (!e)
        return NULL;
    *n = s->start[e->group + 1] - s->start[e->group];
    return (const char *const *)&s->stems[s->start[e->group]];
}

size_t mg_synonyms_groups(const mg_synonyms *s)
{
    return s ? s->ngroups : 0;
}
