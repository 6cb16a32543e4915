/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Readers: every input kind, framing (CRLF, BOM, blank and over-long
 * lines), LZ4 streams, text trees, stdin, and the whole of Reuters-21578
 * plain and LZ4-compressed. A record's JSON: test_jsonrec.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files_fixture.h"
#include "reader.h"

static char tmp[64];

/* ---- helpers ------------------------------------------------------------ */

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static unsigned long long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (unsigned long long)st.st_size;
}

static void run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        print_error("command failed (%d): %s\n", rc, cmd);
    assert_int_equal(rc, 0);
}

/* Everything a reader produced, one line each: "R id", "W warning",
 * "S message", and the fatal error (if any) at the end. */
typedef struct outcome {
    char **items;
    size_t n, cap;
    size_t records, skips, warnings;
    int rc;                           /* last mg_reader_next result: 0 (end) or negative */
    char fatal[256];                  /* err.msg when rc < 0 */
    unsigned long long offset, total; /* from the last call */
    bool offsets_monotonic;
} outcome;

static void push(outcome *o, const char *kind, const char *s)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->items = realloc(o->items, o->cap * sizeof *o->items);
        assert_non_null(o->items);
    }
    char *item = malloc(strlen(s) + 3);
    assert_non_null(item);
    sprintf(item, "%s %s", kind, s);
    o->items[o->n++] = item;
}

static void outcome_free(outcome *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->items[i]);
    free(o->items);
    memset(o, 0, sizeof *o);
}

static void drain(mg_reader *rd, outcome *o, bool keep_items)
{
    mg_record rec;
    mg_read_info info;
    mg_err err;
    unsigned long long last = 0;
    int rc;

    mg_record_init(&rec);
    o->offsets_monotonic = true;
    while ((rc = mg_reader_next(rd, &rec, &info, &err)) > 0) {
        if (info.offset < last || (info.total && info.offset > info.total))
            o->offsets_monotonic = false;
        last = info.offset;
        if (rc == MG_READ_RECORD) {
            o->records++;
            if (keep_items)
                push(o, "R", rec.id);
            if (info.warning[0]) {
                o->warnings++;
                if (keep_items)
                    push(o, "W", info.warning);
            }
        } else {
            assert_int_equal(rc, MG_READ_SKIP);
            assert_string_not_equal(err.msg, "");
            o->skips++;
            if (keep_items)
                push(o, "S", err.msg);
        }
    }
    o->rc = rc;
    if (rc < 0)
        snprintf(o->fatal, sizeof o->fatal, "%s", err.msg);
    else
        assert_true(info.offset >= last);
    o->offset = info.offset;
    o->total = info.total;
    mg_record_release(&rec);
}

static void read_path(const char *path, outcome *o)
{
    mg_err err;
    mg_reader *rd = mg_reader_open(path, &err);
    if (!rd)
        print_error("open %s: %s\n", path, err.msg);
    assert_non_null(rd);
    drain(rd, o, true);
    mg_reader_free(rd);
}

/* Compare an outcome with the expected lines, printing both on a mismatch. */
static void expect_items(const outcome *o, const char *const *want, size_t nwant)
{
    bool same = o->n == nwant;
    for (size_t i = 0; same && i < nwant; i++)
        same = strcmp(o->items[i], want[i]) == 0;
    if (!same) {
        for (size_t i = 0; i < o->n || i < nwant; i++)
            print_error("%2zu got  %s\n   want %s\n", i, i < o->n ? o->items[i] : "(none)",
                        i < nwant ? want[i] : "(none)");
    }
    assert_true(same);
}

static int group_setup(void **state)
{
    (void)state;
    strcpy(tmp, "/tmp/morgue-reader-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- JSON Lines framing -------------------------------------------------- */

static void test_fixture_bad_records(void **state)
{
    (void)state;
    outcome o = {0};
    char *f = path_in(root_dir(), "tests/fixtures/bad-records.jsonl");
    read_path(f, &o);
    char *w[] = {
        fmt("R bad-0001"),
        fmt("S %s:2: malformed JSON: '}' expected near end of file (column 51)", f),
        fmt("S %s:3: not a JSON object", f),
        fmt("S %s:4: neither title nor body", f),
        fmt("S %s:5: bad date \"1987-02-30\"", f),
        fmt("S %s:6: field \"title\" too long (5000 bytes, cap 4096)", f),
        fmt("S %s:7: field \"title\" must be a string", f),
        fmt("R bad-0008"),
        fmt("W %s:8: invalid UTF-8 repaired (2 bytes)", f),
        fmt("R bad-0001"),
        fmt("R url-%016llx",
            (unsigned long long)fnv1a64("https://example.org/derived", 27, 0xcbf29ce484222325ULL)),
        fmt("R bad-0012"),
        fmt("S %s:13: field \"author\" must be a string or an array of strings", f),
        fmt("R bad-0014"),
        fmt("W %s:14: NUL characters removed (1)", f),
        fmt("S %s:15: not a JSON object", f),
        fmt("R bad-0016"),
    };
    size_t nw = sizeof w / sizeof w[0];
    expect_items(&o, (const char *const *)w, nw);
    assert_int_equal(o.rc, MG_READ_END);
    assert_int_equal(o.records, 7);
    assert_int_equal(o.skips, 8);
    assert_int_equal(o.total, file_size(f));
    assert_int_equal(o.offset, o.total);
    for (size_t i = 0; i < nw; i++)
        free(w[i]);
    free(f);
    outcome_free(&o);
}

static void test_jsonl_framing(void **state)
{
    (void)state;
    char *f = path_in(tmp, "framing.jsonl");
    /* BOM, CRLF, a blank line, a white-space line, a last line without \n */
    write_text(f, "\xEF\xBB\xBF{\"id\":\"one\",\"title\":\"1\"}\r\n"
                  "\n"
                  "  \t\r\n"
                  "{\"id\":\"four\",\"title\":\"4\"}\n"
                  "\xEF\xBB\xBF{\"id\":\"five\",\"title\":\"5\"}\n"
                  "{\"id\":\"six\",\"title\":\"6\"}");
    mg_err err;
    mg_read_info info;
    mg_record rec;
    mg_record_init(&rec);
    mg_reader *rd = mg_reader_open(f, &err);
    assert_non_null(rd);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_RECORD);
    assert_string_equal(rec.id, "one");
    assert_int_equal(info.line, 1);
    assert_string_equal(info.file, f);
    assert_string_equal(info.warning, "");
    assert_int_equal(info.total, file_size(f));
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_RECORD);
    assert_string_equal(rec.id, "four");
    assert_int_equal(info.line, 4);
    /* a BOM is only skipped at the start of the file */
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_SKIP);
    assert_int_equal(info.line, 5);
    assert_true(strstr(err.msg, ":5: malformed JSON: ") != NULL);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_RECORD);
    assert_string_equal(rec.id, "six");
    assert_int_equal(info.line, 6);
    assert_int_equal(info.offset, file_size(f));
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_END);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_END); /* and stays there */
    mg_reader_free(rd);
    mg_record_release(&rec);

    /* an empty file and a file of blank lines: no records, no errors */
    outcome o = {0};
    write_text(f, "");
    read_path(f, &o);
    assert_int_equal(o.n, 0);
    assert_int_equal(o.rc, MG_READ_END);
    outcome_free(&o);
    write_text(f, "\n\r\n   \n");
    read_path(f, &o);
    assert_int_equal(o.n, 0);
    outcome_free(&o);
    free(f);
}

static void test_jsonl_long_lines(void **state)
{
    (void)state;
    char *f = path_in(tmp, "long.jsonl");
    FILE *fp = fopen(f, "wb");
    assert_non_null(fp);
    char *filler = malloc(MG_MAX_LINE + 64);
    assert_non_null(filler);
    memset(filler, 'x', MG_MAX_LINE + 64);
    fputs("{\"id\":\"a\",\"title\":\"A\"}\n", fp);
    fwrite(filler, 1, MG_MAX_LINE + 1, fp); /* line 2: one byte over */
    fputs("\n{\"id\":\"c\",\"title\":\"C\"}\n", fp);
    /* line 4: exactly the cap, so it is parsed (and its body is too big) */
    const char *head = "{\"id\":\"d\",\"body\":\"";
    fputs(head, fp);
    fwrite(filler, 1, MG_MAX_LINE - strlen(head) - 2, fp);
    fputs("\"}\n", fp);
    fputs("{\"id\":\"e\",\"title\":\"E\"}\n", fp);
    fwrite(filler, 1, MG_MAX_LINE + 10, fp); /* line 6: too long, and no newline */
    assert_int_equal(fclose(fp), 0);
    free(filler);

    outcome o = {0};
    read_path(f, &o);
    const char *w[] = {
        "R a", NULL, "R c", NULL, "R e",
    };
    char *s2 = fmt("S %s:2: record too long (%zu bytes, cap %zu)", f, MG_MAX_LINE + 1, MG_MAX_LINE);
    char *s4 = fmt("S %s:4: field \"body\" too long (%zu bytes, cap %u)", f,
                   MG_MAX_LINE - strlen(head) - 2, MG_MAX_BODY);
    const char *want[] = {w[0], s2, w[2], s4, w[4]};
    expect_items(&o, want, 5);
    /* a last line over the cap and without a newline cannot be known to be
     * whole: the input is taken as cut short */
    assert_int_equal(o.rc, -MG_ECORRUPT);
    char *s6 = fmt("%s:6: the input ends inside a record", f);
    assert_true(strncmp(o.fatal, s6, strlen(s6)) == 0);
    free(s2);
    free(s4);
    free(s6);
    outcome_free(&o);
    unlink(f);
    free(f);
}

/* The last line without a newline: a whole record is read, a whole but bad
 * one skipped, a cut one (no newline, not whole JSON) is a fatal error. */
static void test_jsonl_cut_last_line(void **state)
{
    (void)state;
    char *f = path_in(tmp, "cut.jsonl");
    const char *head = "{\"id\":\"a\",\"title\":\"A\"}\n"
                       "{\"id\":\"b\",\"title\":\"B\"}\n";
    struct {
        const char *last;
        int rc;        /* the outcome after records a and b */
        const char *s; /* the skip message's end, or NULL */
    } cases[] = {
        {"{\"id\":\"c\",\"title\":\"C\"}", MG_READ_END, NULL},
        {"{\"id\":\"c\",\"date\":\"1987-02-30\",\"title\":\"C\"}", MG_READ_END,
         ":3: bad date \"1987-02-30\""},
        {"[1, 2]", MG_READ_END, ":3: not a JSON object"},
        {"{\"id\":\"c\",\"title\":\"C", -MG_ECORRUPT, NULL},
        {"{\"id\":\"c\",\"title\":\"\xc3", -MG_ECORRUPT, NULL}, /* cut inside a character */
        {"{", -MG_ECORRUPT, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = fmt("%s%s", head, cases[i].last);
        write_text(f, text);
        outcome o = {0};
        read_path(f, &o);
        assert_int_equal(o.rc, cases[i].rc);
        assert_true(o.n >= 2);
        assert_string_equal(o.items[0], "R a");
        assert_string_equal(o.items[1], "R b");
        if (cases[i].rc < 0) {
            assert_int_equal(o.n, 2);
            char *want = fmt("%s:3: the input ends inside a record (the last line has no newline "
                             "and is not complete JSON): truncated input",
                             f);
            assert_string_equal(o.fatal, want);
            free(want);
        } else if (cases[i].s) {
            assert_int_equal(o.n, 3);
            char *want = fmt("S %s%s", f, cases[i].s);
            assert_string_equal(o.items[2], want);
            free(want);
        } else {
            assert_int_equal(o.n, 3);
            assert_string_equal(o.items[2], "R c");
        }
        /* the same line with its newline is an ordinary (good or bad) record */
        char *whole = fmt("%s\n", text);
        write_text(f, whole);
        outcome o2 = {0};
        read_path(f, &o2);
        assert_int_equal(o2.rc, MG_READ_END);
        assert_int_equal(o2.n, 3);
        outcome_free(&o2);
        free(whole);
        outcome_free(&o);
        free(text);
    }
    unlink(f);
    free(f);
}

/* ---- LZ4 ------------------------------------------------------------------ */

/* A JSON Lines file of n records, big enough to span many LZ4 blocks. */
static void write_many(const char *path, int n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    for (int i = 0; i < n; i++)
        fprintf(fp,
                "{\"id\":\"doc-%05d\",\"title\":\"Story number %d\",\"body\":\"Body %d of a "
                "story about %d things, with Müller and café; ref %08x%08x.\","
                "\"date\":\"1987-03-%02d\"}\n",
                i, i, i * 7919 % 10007, i, (unsigned)rand(), (unsigned)rand(), i % 28 + 1);
    assert_int_equal(fclose(fp), 0);
}

static void assert_same_records(const outcome *a, const outcome *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        assert_string_equal(a->items[i], b->items[i]);
}

static void test_lz4_cli_stream(void **state)
{
    (void)state;
    char *plain = path_in(tmp, "many.jsonl");
    char *packed = path_in(tmp, "many.data"); /* no .lz4: found by its magic */
    char *twice = path_in(tmp, "twice.jsonl.lz4");
    write_many(plain, 6000);
    char *cmd = fmt("lz4 -q -f -B4 '%s' '%s' && cat '%s' '%s' > '%s'", plain, packed, packed,
                    packed, twice);
    run(cmd);
    free(cmd);

    outcome a = {0}, b = {0}, c = {0};
    read_path(plain, &a);
    read_path(packed, &b);
    assert_int_equal(a.records, 6000);
    assert_int_equal(a.skips, 0);
    assert_same_records(&a, &b);
    assert_int_equal(b.rc, MG_READ_END);
    assert_int_equal(b.total, file_size(packed));
    assert_int_equal(b.offset, b.total); /* progress counts compressed bytes */
    assert_true(b.total < a.total);
    assert_true(b.offsets_monotonic);

    read_path(twice, &c); /* two frames back to back */
    assert_int_equal(c.records, 12000);
    assert_string_equal(c.items[6000], "R doc-00000");
    outcome_free(&a);
    outcome_free(&b);
    outcome_free(&c);
    free(plain);
    free(packed);
    free(twice);
}

static void test_lz4_library_frame(void **state)
{
    (void)state;
    const char *text = "{\"id\":\"x1\",\"title\":\"From LZ4F_compressFrame\"}\n"
                       "{\"id\":\"x2\",\"body\":\"second\"}";
    size_t cap = LZ4F_compressFrameBound(strlen(text), NULL);
    void *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = LZ4F_compressFrame(buf, cap, text, strlen(text), NULL);
    assert_false(LZ4F_isError(n));
    char *f = path_in(tmp, "lib.jsonl.lz4");
    write_file(f, buf, n);
    outcome o = {0};
    read_path(f, &o);
    const char *want[] = {"R x1", "R x2"};
    expect_items(&o, want, 2);
    outcome_free(&o);
    free(buf);
    free(f);
}

static void flip_byte(const char *path, unsigned long long at)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, (long)at, SEEK_SET), 0);
    int ch = fgetc(fp);
    assert_int_equal(fseek(fp, (long)at, SEEK_SET), 0);
    fputc(ch ^ 0x55, fp);
    assert_int_equal(fclose(fp), 0);
}

/* Read the file at path as stdin through a pipe (a child writes it). */
static void read_piped(const char *path, outcome *o, bool *unverified)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        int fd = open(path, O_RDONLY);
        char buf[65536];
        ssize_t n;
        while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
            if (write(p[1], buf, (size_t)n) != n)
                _exit(1);
        _exit(0);
    }
    close(p[1]);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(p[0], STDIN_FILENO) >= 0);
    close(p[0]);
    mg_err err;
    mg_reader *rd = mg_reader_open("-", &err);
    assert_non_null(rd);
    *unverified = mg_reader_unverified(rd);
    drain(rd, o, true);
    mg_reader_free(rd);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
}

static void test_lz4_corrupt(void **state)
{
    (void)state;
    char *plain = path_in(tmp, "c.jsonl");
    char *packed = path_in(tmp, "c.jsonl.lz4");
    char *cut = path_in(tmp, "cut.jsonl.lz4");
    char *bad = path_in(tmp, "badhdr.jsonl.lz4");
    write_many(plain, 6000);
    /* -BX: block checksums, so a flipped byte is caught in its own block */
    char *cmd = fmt("lz4 -q -f -B4 -BX '%s' '%s'", plain, packed);
    run(cmd);
    free(cmd);
    unsigned long long size = file_size(packed);
    assert_true(size > 4 * 65536);

    /* a flipped byte mid-stream: the file fails at open, with the name and
     * an offset, before any record */
    flip_byte(packed, size / 2);
    mg_err err;
    assert_null(mg_reader_open(packed, &err));
    assert_int_equal(err.code, MG_ECORRUPT);
    char *prefix = fmt("%s: corrupt LZ4 frame near byte ", packed);
    if (strncmp(err.msg, prefix, strlen(prefix)) != 0)
        print_error("got %s\n", err.msg);
    assert_true(strncmp(err.msg, prefix, strlen(prefix)) == 0);
    unsigned long long at = strtoull(err.msg + strlen(prefix), NULL, 10);
    assert_true(at <= size / 2 && at + 4 * 65536 > size / 2);
    free(prefix);
    /* through a pipe it cannot be checked first: records, then the error */
    outcome o = {0};
    bool unverified = false;
    read_piped(packed, &o, &unverified);
    assert_true(unverified);
    assert_int_equal(o.rc, -MG_ECORRUPT);
    prefix = fmt("%s: corrupt LZ4 frame near byte ", "<stdin>");
    assert_true(strncmp(o.fatal, prefix, strlen(prefix)) == 0);
    assert_true(o.records > 0 && o.records < 6000);
    assert_int_equal(o.skips, 0); /* block checksums: no garbage got through as records */
    free(prefix);
    outcome_free(&o);

    /* the lz4 tool's defaults: a content checksum, no block checksums, so
     * the damage shows only at the end of the frame; the file still fails
     * at open */
    run((cmd = fmt("lz4 -q -f '%s' '%s'", plain, packed)));
    free(cmd);
    flip_byte(packed, file_size(packed) / 2);
    assert_null(mg_reader_open(packed, &err));
    /* found at the checksum: past the end mark and the checksum, 8 bytes */
    char *want = fmt("%s: corrupt LZ4 frame near byte %llu: ERROR_contentChecksum_invalid", packed,
                     file_size(packed) - 8);
    assert_string_equal(err.msg, want);
    free(want);
    read_piped(packed, &o, &unverified);
    assert_int_equal(o.rc, -MG_ECORRUPT); /* piped: found at the end */
    assert_true(o.records > 0);
    outcome_free(&o);
    /* an undamaged file opens as usual and is not flagged */
    run((cmd = fmt("lz4 -q -f '%s' '%s'", plain, packed)));
    free(cmd);
    mg_reader *rd = mg_reader_open(packed, &err);
    assert_non_null(rd);
    assert_false(mg_reader_unverified(rd));
    mg_reader_free(rd);

    /* cut short: the frame never ends */
    run((cmd = fmt("lz4 -q -f -B4 '%s' '%s' && head -c %llu '%s' > '%s'", plain, packed, size / 3,
                   packed, cut)));
    free(cmd);
    assert_null(mg_reader_open(cut, &err));
    assert_int_equal(err.code, MG_ECORRUPT);
    want = fmt("%s: truncated LZ4 frame (input ends at byte %llu)", cut, size / 3);
    assert_string_equal(err.msg, want);
    free(want);

    /* a bad frame header: the open fails */
    write_file(bad, "\x04\x22\x4d\x18\xff\xff\xff\xff\xff\xff\xff", 11);
    assert_null(mg_reader_open(bad, &err));
    assert_int_equal(err.code, MG_EFORMAT);
    want = fmt("%s: bad LZ4 frame header: ", bad);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);
    free(want);
    free(plain);
    free(packed);
    free(cut);
    free(bad);
}

/* ---- stdin ---------------------------------------------------------------- */

/* Run a reader on "-" with stdin fed from fd; restores stdin after. */
static void read_stdin_from(int fd, outcome *o)
{
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDIN_FILENO) >= 0);
    close(fd);
    read_path("-", o);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
}

static void test_stdin_pipe(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* a slow writer: a few bytes per write, so reads come back short */
        const char *text =
            "{\"id\":\"p1\",\"title\":\"one\"}\n\n{\"id\":\"p2\",\"title\":\"two\"}\r\n"
            "{\"id\":\"p3\",\"title\":\"three\"}";
        close(p[0]);
        for (size_t i = 0; text[i]; i += 3) {
            size_t n = strlen(text + i) < 3 ? strlen(text + i) : 3;
            if (write(p[1], text + i, n) != (ssize_t)n)
                _exit(1);
        }
        _exit(0);
    }
    close(p[1]);
    outcome o = {0};
    read_stdin_from(p[0], &o);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const char *want[] = {"R p1", "R p2", "R p3"};
    expect_items(&o, want, 3);
    assert_int_equal(o.total, 0); /* unknown for stdin */
    outcome_free(&o);

    /* messages name stdin */
    char *f = path_in(tmp, "stdin-bad.jsonl");
    write_text(f, "{\"title\":5}\n");
    read_stdin_from(open(f, O_RDONLY), &o);
    const char *want2[] = {"S <stdin>:1: field \"title\" must be a string"};
    expect_items(&o, want2, 1);
    outcome_free(&o);
    free(f);
}

static void test_stdin_lz4(void **state)
{
    (void)state;
    char *plain = path_in(tmp, "s.jsonl");
    char *packed = path_in(tmp, "s.jsonl.lz4");
    write_many(plain, 3000);
    char *cmd = fmt("lz4 -q -f '%s' '%s'", plain, packed);
    run(cmd);
    free(cmd);
    outcome a = {0}, b = {0};
    read_path(plain, &a);
    int fd = open(packed, O_RDONLY);
    assert_true(fd >= 0);
    read_stdin_from(fd, &b);
    assert_int_equal(b.records, 3000);
    assert_same_records(&a, &b);
    outcome_free(&a);
    outcome_free(&b);
    free(plain);
    free(packed);
}

/* ---- text trees --------------------------------------------------------- */

static void test_tree(void **state)
{
    (void)state;
    char *root = path_in(tmp, "tree");
    char *cmd = fmt("mkdir -p '%s/a' '%s/c' '%s/d' '%s/e/f'", root, root, root, root);
    run(cmd);
    free(cmd);
    struct {
        const char *name, *text;
    } files[] = {
        {"b.txt", "Title B\nBody B\n"},
        {"a.txt", "Title A\n\n  Body A  \n\n"},
        {"a/z.txt", "\xEF\xBB\xBF  Title Z \r\n\r\n  Body line 1\r\nline 2  \r\n"},
        {"a/empty.txt", "   \n  \n"},
        {"a/headline.txt", "Only a headline"},
        {"bad-utf8.txt", "Caf\xE9\nbody"},
        {"c/feed.jsonl", "{\"id\":\"j1\",\"title\":\"J1\"}\n{\"id\":\"j2\",\"title\":5}\n"},
        {"c/notes.md", "ignored"},
        {"c/data.json", "{\"id\":\"ignored\",\"title\":\"x\"}\n"},
        {"c/README", "ignored"},
        {"e/f/deep.txt", "Deep\nin the tree"},
    };
    unsigned long long total = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = path_in(root, files[i].name);
        write_text(p, files[i].text);
        if (strstr(p, ".txt") || strstr(p, ".jsonl"))
            total += strlen(files[i].text);
        free(p);
    }
    /* an LZ4 feed, a link back to the root (a loop), a link to a file */
    const char *lz = "{\"id\":\"z1\",\"title\":\"Z1\"}\n";
    size_t cap = LZ4F_compressFrameBound(strlen(lz), NULL);
    void *buf = malloc(cap);
    assert_non_null(buf);
    size_t n = LZ4F_compressFrame(buf, cap, lz, strlen(lz), NULL);
    assert_false(LZ4F_isError(n));
    char *p = path_in(root, "c/feed2.jsonl.lz4");
    write_file(p, buf, n);
    total += n;
    free(p);
    free(buf);
    p = path_in(root, "c/loop");
    assert_int_equal(symlink("..", p), 0);
    free(p);
    p = path_in(root, "e/f/up");
    assert_int_equal(symlink("../..", p), 0);
    free(p);
    p = path_in(root, "d/link.txt");
    assert_int_equal(symlink("../b.txt", p), 0);
    total += strlen("Title B\nBody B\n");
    free(p);
    p = path_in(root, "d/dangling.txt");
    assert_int_equal(symlink("../nowhere.txt", p), 0);
    free(p);

    outcome o = {0};
    read_path(root, &o);
    char *w[] = {
        fmt("R a.txt"),
        fmt("S %s/a/empty.txt: neither title nor body", root),
        fmt("R a/headline.txt"),
        fmt("R a/z.txt"),
        fmt("R b.txt"),
        fmt("R bad-utf8.txt"),
        fmt("W %s/bad-utf8.txt: invalid UTF-8 repaired (1 bytes)", root),
        fmt("R j1"),
        fmt("S %s/c/feed.jsonl:2: field \"title\" must be a string", root),
        fmt("R z1"),
        fmt("R d/link.txt"),
        fmt("R e/f/deep.txt"),
    };
    size_t nw = sizeof w / sizeof w[0];
    expect_items(&o, (const char *const *)w, nw);
    assert_int_equal(o.total, total);
    assert_int_equal(o.offset, total);
    assert_true(o.offsets_monotonic);
    for (size_t i = 0; i < nw; i++)
        free(w[i]);
    outcome_free(&o);

    /* the fields of text records */
    mg_err err;
    mg_read_info info;
    mg_record rec;
    mg_record_init(&rec);
    mg_reader *rd = mg_reader_open(root, &err);
    assert_non_null(rd);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_RECORD);
    assert_string_equal(rec.title, "Title A");
    assert_string_equal(rec.body, "Body A");
    assert_int_equal(info.line, 0);
    char *want = path_in(root, "a.txt");
    assert_string_equal(info.file, want);
    free(want);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_SKIP);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_RECORD);
    assert_string_equal(rec.title, "Only a headline");
    assert_string_equal(rec.body, "");
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_RECORD);
    assert_string_equal(rec.title, "Title Z"); /* BOM and CR gone */
    assert_string_equal(rec.body, "Body line 1\r\nline 2");
    assert_string_equal(rec.date, "");
    assert_string_equal(rec.source, "");
    assert_int_equal(rec.ncategories, 0);
    mg_reader_free(rd);
    mg_record_release(&rec);
    free(root);
}

static void test_text_caps(void **state)
{
    (void)state;
    char *dir = path_in(tmp, "caps");
    assert_int_equal(mkdir(dir, 0700), 0);
    char *big = path_in(dir, "big.txt");
    char *title = path_in(dir, "title.txt");
    char *data = malloc(MG_MAX_BODY + 2);
    assert_non_null(data);
    memset(data, 'w', MG_MAX_BODY + 1);
    data[5] = '\n';
    write_file(big, data, MG_MAX_BODY + 1);
    memset(data, 'T', MG_MAX_TITLE + 1);
    memcpy(data + MG_MAX_TITLE + 1, "\nbody", 5);
    write_file(title, data, MG_MAX_TITLE + 6);
    free(data);
    outcome o = {0};
    read_path(dir, &o);
    char *w[] = {
        fmt("S %s: file too large (%u bytes, cap %u)", big, MG_MAX_BODY + 1, MG_MAX_BODY),
        fmt("S %s: field \"title\" too long (%d bytes, cap %d)", title, MG_MAX_TITLE + 1,
            MG_MAX_TITLE),
    };
    expect_items(&o, (const char *const *)w, 2);
    free(w[0]);
    free(w[1]);
    outcome_free(&o);
    unlink(big);
    free(big);
    free(title);
    free(dir);
}

/* ---- the bundled corpus ------------------------------------------------- */

static void test_seed_dir(void **state)
{
    (void)state;
    char *dir = path_in(root_dir(), "corpus/seed");
    mg_err err;
    mg_read_info info;
    mg_record rec;
    mg_record_init(&rec);
    mg_reader *rd = mg_reader_open(dir, &err);
    assert_non_null(rd);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_RECORD);
    assert_string_equal(rec.id, "000_28d2b5b5369e82d3.txt");
    assert_string_equal(rec.title, "Kim Jong-un to Attend Beijing Military Parade, Signaling "
                                   "Closer Ties with China & Russia");
    assert_true(strncmp(rec.body, "North Korean leader Kim jong-un will make his debut", 51) == 0);
    const char *tail = "at a time all three countries are under their sanctions.\xE2\x80\x9D";
    assert_string_equal(rec.body + strlen(rec.body) - strlen(tail), tail);
    assert_string_equal(info.warning, "");
    assert_int_equal(info.total, 2293);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_END);
    mg_reader_free(rd);

    /* the same file named directly: id is its base name */
    char *file = path_in(dir, "000_28d2b5b5369e82d3.txt");
    rd = mg_reader_open(file, &err);
    assert_non_null(rd);
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_RECORD);
    assert_string_equal(rec.id, "000_28d2b5b5369e82d3.txt");
    assert_int_equal(mg_reader_next(rd, &rec, &info, &err), MG_READ_END);
    mg_reader_free(rd);
    mg_record_release(&rec);
    free(file);
    free(dir);
}

static void test_corpus_dir(void **state)
{
    (void)state;
    char *dir = path_in(root_dir(), "corpus");
    outcome o = {0};
    read_path(dir, &o);
    assert_int_equal(o.rc, MG_READ_END);
    assert_int_equal(o.skips, 0);
    assert_int_equal(o.warnings, 0);
    assert_true(o.records >= 53); /* 52 samples (appending is allowed) + the seed */
    assert_string_equal(o.items[0], "R mw-1987-0001");
    assert_string_equal(o.items[o.n - 1], "R seed/000_28d2b5b5369e82d3.txt");
    /* ids are unique */
    for (size_t i = 0; i < o.n; i++)
        for (size_t j = i + 1; j < o.n; j++)
            assert_string_not_equal(o.items[i], o.items[j]);
    outcome_free(&o);

    /* a few parsed fields of samples.jsonl */
    char *f = path_in(dir, "samples.jsonl");
    mg_err err;
    mg_read_info info;
    mg_record rec;
    mg_record_init(&rec);
    mg_reader *rd = mg_reader_open(f, &err);
    assert_non_null(rd);
    int seen = 0;
    uint64_t rates[2] = {0, 0}, fire[2] = {0, 0};
    while (mg_reader_next(rd, &rec, &info, &err) == MG_READ_RECORD) {
        /* the syndicated near-duplicates share a text hash (collapse key) */
        if (strcmp(rec.id, "mw-2014-0001") == 0)
            rates[0] = mg_record_text_hash(&rec);
        else if (strcmp(rec.id, "pd-2014-0001") == 0)
            rates[1] = mg_record_text_hash(&rec);
        else if (strcmp(rec.id, "mw-2019-0001") == 0)
            fire[0] = mg_record_text_hash(&rec);
        else if (strcmp(rec.id, "hg-2019-0001") == 0)
            fire[1] = mg_record_text_hash(&rec);
        if (strcmp(rec.id, "mw-1987-0002") == 0) {
            assert_string_equal(rec.date, "1987-10-19T16:05:12"); /* Reuters style */
            seen++;
        } else if (strcmp(rec.id, "hg-1989-0001") == 0) {
            assert_string_equal(rec.date, "1989-11-10T05:45:00"); /* RFC 2822, +0100 */
            seen++;
        } else if (strcmp(rec.id, "ct-2008-0001") == 0) {
            assert_string_equal(rec.author, "Ellen Marsh; David Okafor");
            seen++;
        } else if (strcmp(rec.id, "mw-1994-0001") == 0) {
            assert_string_equal(rec.body, ""); /* a headline-only flash */
            seen++;
        } else if (strcmp(rec.id, "hg-2025-0003") == 0) {
            assert_int_equal(rec.ncategories, 3);
            assert_string_equal(rec.categories[2], "regional");
            seen++;
        }
    }
    assert_int_equal(seen, 5);
    assert_true(rates[0] != 0 && rates[0] == rates[1]);
    assert_true(fire[0] != 0 && fire[0] == fire[1]);
    assert_true(rates[0] != fire[0]);
    mg_reader_free(rd);
    mg_record_release(&rec);
    free(f);
    free(dir);
}

static void test_open_errors(void **state)
{
    (void)state;
    mg_err err;
    char *f = path_in(tmp, "missing.jsonl");
    assert_null(mg_reader_open(f, &err));
    assert_int_equal(err.code, MG_ENOTFOUND);
    assert_true(strstr(err.msg, f) != NULL);
    free(f);
    mg_reader_free(NULL);
}

/* ---- Reuters-21578 ------------------------------------------------------ */

static void check_reuters(const char *path, unsigned long long size)
{
    mg_err err;
    mg_read_info info;
    mg_record rec;
    size_t records = 0, skips = 0, fffd = 0, cocoa = 0;
    char skip_msg[256] = "", fffd_id[64] = "";
    int rc;

    mg_record_init(&rec);
    mg_reader *rd = mg_reader_open(path, &err);
    assert_non_null(rd);
    while ((rc = mg_reader_next(rd, &rec, &info, &err)) > 0) {
        if (rc == MG_READ_SKIP) {
            skips++;
            snprintf(skip_msg, sizeof skip_msg, "%s", err.msg);
            continue;
        }
        records++;
        assert_string_equal(info.warning, "");
        if (strstr(rec.title, "\xEF\xBF\xBD") || strstr(rec.body, "\xEF\xBF\xBD")) {
            fffd++;
            snprintf(fffd_id, sizeof fffd_id, "%s", rec.id);
        }
        if (strcmp(rec.id, "reuters-1") == 0) {
            assert_string_equal(rec.date, "1987-02-26T15:01:01");
            assert_string_equal(rec.source, "Reuters");
            assert_int_equal(rec.ncategories, 1);
            assert_string_equal(rec.categories[0], "cocoa");
            assert_true(strncmp(rec.title, "BAHIA COCOA REVIEW", 18) == 0);
            cocoa++;
        }
        if (strcmp(rec.id, "reuters-17192") == 0)
            assert_string_equal(rec.date, "1987-03-31");
    }
    assert_int_equal(rc, MG_READ_END);
    assert_int_equal(records, 21577);
    assert_int_equal(records + skips, 21578);
    assert_int_equal(skips, 1);
    char *want = fmt("%s:12793: neither title nor body", path);
    assert_string_equal(skip_msg, want);
    free(want);
    assert_int_equal(fffd, 1);
    assert_string_equal(fffd_id, "reuters-17980");
    assert_int_equal(cocoa, 1);
    assert_int_equal(info.total, size);
    assert_int_equal(info.offset, size);
    mg_reader_free(rd);
    mg_record_release(&rec);
}

static void test_reuters(void **state)
{
    (void)state;
    const char *corpora = getenv("MORGUE_CORPORA");
    char *base = corpora && *corpora ? strdup(corpora) : path_in(root_dir(), "../shared/corpora");
    char *path = path_in(base, "reuters21578/reuters21578.jsonl");
    if (access(path, R_OK) != 0) {
        free(path);
        free(base);
        skip();
    }
    check_reuters(path, file_size(path));

    /* the same through an LZ4 copy */
    char *packed = path_in(tmp, "reuters21578.jsonl.lz4");
    char *cmd = fmt("lz4 -q -1 -f '%s' '%s'", path, packed);
    run(cmd);
    free(cmd);
    char *want = fmt("%s:12793: neither title nor body", packed);
    check_reuters(packed, file_size(packed));
    free(want);
    unlink(packed);
    free(packed);
    free(path);
    free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_bad_records),
        cmocka_unit_test(test_jsonl_framing),
        cmocka_unit_test(test_jsonl_long_lines),
        cmocka_unit_test(test_jsonl_cut_last_line),
        cmocka_unit_test(test_lz4_cli_stream),
        cmocka_unit_test(test_lz4_library_frame),
        cmocka_unit_test(test_lz4_corrupt),
        cmocka_unit_test(test_stdin_pipe),
        cmocka_unit_test(test_stdin_lz4),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_text_caps),
        cmocka_unit_test(test_seed_dir),
        cmocka_unit_test(test_corpus_dir),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_reuters),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
