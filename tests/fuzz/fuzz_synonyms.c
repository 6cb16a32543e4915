/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the synonyms file (lib/synonyms.c): the bytes written to
 * a file and read with mg_synonyms_load (english). A failure must be one of
 * the documented codes with a message naming the file; a success must give
 * groups of 2 to MG_SYN_MAX_GROUP distinct stems, each stem in one group
 * only, every word of the input that is in a group reaching a group that
 * holds its stem and leads back to itself from each of its stems, and at
 * least one group reached so. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer
 * target; otherwise main() replays tests/fuzz/corpus/synonyms/ as a TAP
 * test (docs/fuzzing.md). */
#include <fcntl.h>
#include <unistd.h>

#include "analyzer.h"
#include "fuzz_input.h"
#include "synonyms.h"

static char tmp_dir[256], path[300];
static mg_analyzer *an;

static void remove_tmp(void)
{
    unlink(path);
    rmdir(tmp_dir);
    mg_analyzer_free(an);
}

static void setup_once(void)
{
    if (tmp_dir[0])
        return;
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/mg-fuzz-synonyms-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp_dir))
        fuzz_fail("mkdtemp %s failed", tmp_dir);
    snprintf(path, sizeof path, "%s/synonyms", tmp_dir);
    mg_err err;
    if (!(an = mg_analyzer_new("english", &err)))
        fuzz_fail("analyser: %s", err.msg);
    atexit(remove_tmp);
}

static void write_file(const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fuzz_fail("cannot create %s", path);
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n <= 0)
            fuzz_fail("cannot write %s", path);
        data += n;
        size -= (size_t)n;
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup_once();
    write_file(data, size);
    mg_err err;
    mg_synonyms *s = mg_synonyms_load(path, an, &err);
    if (!s) {
        if (err.code != MG_EFORMAT && err.code != MG_ETOOBIG && err.code != MG_ENOMEM)
            fuzz_fail("failure code %d: %s", err.code, err.msg);
        if (strncmp(err.msg, "synonyms ", 9) != 0 || !strstr(err.msg, path))
            fuzz_fail("failure message without the file: %s", err.msg);
        return 0;
    }
    if (err.code != MG_OK)
        fuzz_fail("success with error code %d", err.code);
    size_t groups = mg_synonyms_groups(s), seen = 0;
    if (groups > MG_SYN_MAX_GROUPS)
        fuzz_fail("%zu groups", groups);
    /* each word of the input, looked up by its stem: when it is in a
     * group, the group is sound and every stem of it leads back to it */
    for (size_t i = 0; i < size;) {
        /* take the words of the input as the file's parser does: the
         * separators, then look each one's stem up */
        size_t j = i;
        while (j < size && !strchr(" \t\r\n,#", data[j]) && data[j] != '\0')
            j++;
        char *word = j > i ? strndup((const char *)data + i, j - i) : NULL;
        if (word) {
            char stem[MG_TERM_MAX + 1];
            long len = mg_analyze_word(an, word, strlen(word), 0, stem, sizeof stem, &err);
            size_t n;
            const char *const *grp = len > 0 ? mg_synonyms_of(s, stem, &n) : NULL;
            if (grp) {
                if (n < 2 || n > MG_SYN_MAX_GROUP)
                    fuzz_fail("a group of %zu", n);
                bool self = false;
                for (size_t k = 0; k < n; k++) {
                    if (!grp[k][0] || strlen(grp[k]) > MG_TERM_MAX)
                        fuzz_fail("bad stem in a group");
                    self = self || strcmp(grp[k], stem) == 0;
                    for (size_t m = k + 1; m < n; m++)
                        if (strcmp(grp[k], grp[m]) == 0)
                            fuzz_fail("'%s' twice in a group", grp[k]);
                    size_t n2;
                    const char *const *again = mg_synonyms_of(s, grp[k], &n2);
                    if (again != grp || n2 != n)
                        fuzz_fail("'%s' leads to another group", grp[k]);
                }
                if (!self)
                    fuzz_fail("'%s' not in its own group", stem);
                seen++;
            }
            free(word);
        }
        i = j + 1;
    }
    if (groups > 0 && seen == 0)
        fuzz_fail("%zu groups, none reached from the words", groups);
    mg_synonyms_free(s);
    return 0;
}
