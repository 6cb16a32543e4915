/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the readers: the input bytes are written to a temporary
 * directory as in.jsonl (read as JSON Lines, or as an LZ4 frame when they
 * start with its magic: seeds that are raw or truncated LZ4 frames exercise
 * the decompressor), in.jsonl.lz4 (the same bytes compressed by us as two
 * LZ4 frames back to back, split mid-input) and in.txt (a text article).
 * Each is read with mg_reader_open/mg_reader_next to the end or a fatal
 * error, and so are the directory as a tree and in.jsonl as stdin ("-"). Nothing may crash or loop;
 * every record must satisfy the reader's promises; the compressed copy must give the same records,
 * skips and warnings as the plain file, and so must stdin; the tree must give the three files'
 * results in order; offsets only grow, up to the total, which they reach at the end. Built with
 * -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer target; otherwise main() replays
 * tests/fuzz/corpus/reader/ as a TAP test (docs/fuzzing.md). */
#include <fcntl.h>
#include <inttypes.h>
#include <lz4frame.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "reader.h"

/* A growing text: the log of what one read produced. */
typedef struct fuzz_log {
    char *s;
    size_t len, cap;
} fuzz_log;

static void log_add(fuzz_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_add(fuzz_log *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    if (l->len + (size_t)n + 1 > l->cap) {
        size_t cap = (l->len + (size_t)n + 1) * 2;
        char *s = realloc(l->s, cap);
        if (!s)
            abort();
        l->s = s;
        l->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(l->s + l->len, l->cap - l->len, fmt, ap);
    va_end(ap);
    l->len += (size_t)n;
}

static const char *log_text(const fuzz_log *l)
{
    return l->s ? l->s : "";
}

static char tmp_dir[256];
static char path_jsonl[300], path_lz4[300], path_txt[300];

static void remove_tmp(void)
{
    unlink(path_jsonl);
    unlink(path_lz4);
    unlink(path_txt);
    rmdir(tmp_dir);
}

static void make_tmp(void)
{
    if (tmp_dir[0])
        return;
    const char *t = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/mg-fuzz-reader-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmp_dir))
        fuzz_fail("mkdtemp %s failed", tmp_dir);
    snprintf(path_jsonl, sizeof path_jsonl, "%s/in.jsonl", tmp_dir);
    snprintf(path_lz4, sizeof path_lz4, "%s/in.jsonl.lz4", tmp_dir);
    snprintf(path_txt, sizeof path_txt, "%s/in.txt", tmp_dir);
    atexit(remove_tmp);
}

static void write_file(const char *path, const void *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fuzz_fail("cannot create %s", path);
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n <= 0)
            fuzz_fail("cannot write %s", path);
        p += n;
        size -= (size_t)n;
    }
    close(fd);
}

/* Append one LZ4 frame of data to out (capacity known to suffice). */
static size_t lz4_frame(unsigned char *out, size_t cap, const void *data, size_t size)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    size_t n = LZ4F_compressFrame(out, cap, data, size, &prefs);
    if (LZ4F_isError(n))
        fuzz_fail("LZ4F_compressFrame: %s", LZ4F_getErrorName(n));
    return n;
}

/* Strip "PATH" from the start of msg when it is there, so the logs of two
 * files can be compared. */
static const char *unplaced(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return path[0] && strncmp(msg, path, n) == 0 ? msg + n : msg;
}

/* Read path to the end or a fatal error. full gets every event with its
 * file; anon (may be NULL) the same without file names. Returns the number
 * of records. */
static size_t read_all(const char *path, size_t input_size, fuzz_log *full, fuzz_log *anon)
{
    mg_err err;
    const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path; /* as messages name it */
    mg_reader *rd = mg_reader_open(path, &err);
    if (!rd) {
        if ((err.code != MG_EFORMAT && err.code != MG_ECORRUPT) || !err.msg[0])
            fuzz_fail("open %s failed (%d): %s", path, err.code, err.msg);
        /* a bad LZ4 frame header is found at open, and so is a damaged or
         * truncated LZ4 file (checked whole first); a tree opens it later */
        log_add(full, "F %s\n", err.msg);
        if (anon)
            log_add(anon, "F %s\n", unplaced(err.msg, shown));
        return 0;
    }
    mg_record rec;
    mg_read_info info;
    mg_record_init(&rec);
    unsigned long long last = 0;
    size_t records = 0, events = 0, limit = 4 * input_size + 16;
    for (;;) {
        if (++events > limit)
            fuzz_fail("%s: more than %zu events from %zu bytes", path, limit, input_size);
        int rc = mg_reader_next(rd, &rec, &info, &err);
        if (rc < 0) {
            if (!fuzz_is_released(&rec))
                fuzz_fail("%s: fatal error left a record", path);
            /* reader.h names MG_EIO, MG_ENOMEM and MG_ECORRUPT; a tree also
             * passes on MG_EFORMAT for a bad LZ4 frame header, which it only
             * meets when it opens that file, from mg_reader_next() */
            bool tree = strcmp(path, tmp_dir) == 0;
            if ((rc != -MG_ECORRUPT && rc != -MG_EIO && rc != -MG_ENOMEM &&
                 !(tree && rc == -MG_EFORMAT)) ||
                err.code != -rc || !err.msg[0])
                fuzz_fail("%s: fatal %d \"%s\"", path, rc, err.msg);
            log_add(full, "F %s\n", err.msg);
            if (anon)
                log_add(anon, "F %s\n", unplaced(err.msg, shown));
            break;
        }
        if (info.offset < last || (info.total && info.offset > info.total))
            fuzz_fail("%s: offset %llu after %llu, total %llu", path, info.offset, last,
                      info.total);
        last = info.offset;
        if (rc == MG_READ_END) {
            /* stdin has no total: its offset counts what was read */
            bool is_stdin = strcmp(path, "-") == 0;
            if (!fuzz_is_released(&rec) || info.file[0] ||
                (is_stdin ? info.total != 0 : info.offset != info.total) ||
                (is_stdin && info.offset != input_size))
                fuzz_fail("%s: bad end (file \"%s\", offset %llu of %llu)", path, info.file,
                          info.offset, info.total);
            log_add(full, "E\n");
            if (anon)
                log_add(anon, "E\n");
            break;
        }
        if (rc == MG_READ_SKIP) {
            if (!fuzz_is_released(&rec) || !err.msg[0] || err.code == MG_OK)
                fuzz_fail("%s: skip without a message or with a record", path);
            if (strncmp(err.msg, info.file, strlen(info.file)) != 0)
                fuzz_fail("%s: skip message \"%s\" does not name %s", path, err.msg, info.file);
            log_add(full, "S %s\n", err.msg);
            if (anon)
                log_add(anon, "S %s\n", unplaced(err.msg, info.file));
            continue;
        }
        if (rc != MG_READ_RECORD)
            fuzz_fail("%s: mg_reader_next returned %d", path, rc);
        fuzz_check_parsed(&rec);
        records++;
        log_add(full, "R %s:%lu %s %016" PRIx64 " %s\n", info.file, info.line, rec.id,
                mg_record_hash(&rec), info.warning);
        if (anon)
            log_add(anon, "R %lu %s %016" PRIx64 " %s\n", info.line, rec.id, mg_record_hash(&rec),
                    unplaced(info.warning, info.file));
    }
    mg_record_release(&rec);
    mg_reader_free(rd);
    return records;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    make_tmp();
    write_file(path_jsonl, data, size);
    write_file(path_txt, data, size);
    size_t half = size / 2;
    size_t cap =
        LZ4F_compressFrameBound(half, NULL) + LZ4F_compressFrameBound(size - half, NULL) + 64;
    unsigned char *z = malloc(cap);
    if (!z)
        abort();
    size_t zn = lz4_frame(z, cap, data, half);
    zn += lz4_frame(z + zn, cap - zn, data + half, size - half);
    write_file(path_lz4, z, zn);
    free(z);

    fuzz_log plain = {0}, plain_anon = {0}, packed = {0}, packed_anon = {0}, text = {0}, tree = {0};
    read_all(path_jsonl, size, &plain, &plain_anon);
    read_all(path_lz4, size, &packed, &packed_anon);
    read_all(path_txt, size, &text, NULL);
    read_all(tmp_dir, 3 * size, &tree, NULL);

    /* stdin ("-") reads the plain file exactly as the file does */
    fuzz_log piped = {0}, piped_anon = {0};
    int saved = dup(STDIN_FILENO), fd = open(path_jsonl, O_RDONLY);
    if (saved < 0 || fd < 0 || dup2(fd, STDIN_FILENO) < 0)
        fuzz_fail("cannot put %s on stdin", path_jsonl);
    close(fd);
    read_all("-", size, &piped, &piped_anon);
    if (dup2(saved, STDIN_FILENO) < 0)
        fuzz_fail("cannot restore stdin");
    close(saved);
    if (strcmp(log_text(&plain_anon), log_text(&piped_anon)) != 0)
        fuzz_fail("stdin reads differently:\n--- file\n%s--- stdin\n%s", log_text(&plain_anon),
                  log_text(&piped_anon));
    free(piped.s);
    free(piped_anon.s);

    /* Compressing changes nothing a reader reports, unless the input is
     * itself an LZ4 frame or skippable frame (then the plain file was
     * decompressed and the packed one holds the frame as text). */
    bool is_frame =
        size >= 4 && (memcmp(data, "\x04\x22\x4d\x18", 4) == 0 ||
                      ((data[0] & 0xf0) == 0x50 && memcmp(data + 1, "\x2a\x4d\x18", 3) == 0));
    if (!is_frame && strcmp(log_text(&plain_anon), log_text(&packed_anon)) != 0)
        fuzz_fail("compressed copy reads differently:\n--- plain\n%s--- lz4\n%s",
                  log_text(&plain_anon), log_text(&packed_anon));
    /* The tree reads in.jsonl, in.jsonl.lz4, in.txt in that order and stops
     * at the first fatal error. */
    fuzz_log want = {0};
    const char *parts[] = {log_text(&plain), log_text(&packed), log_text(&text)};
    for (size_t i = 0; i < 3; i++) {
        /* a log ends in "E" or, after a fatal error, in "F ..." */
        size_t n = strlen(parts[i]);
        bool fatal = n < 2 || strcmp(parts[i] + n - 2, "E\n") != 0;
        log_add(&want, "%.*s", (int)(fatal ? n : n - 2), parts[i]);
        if (fatal)
            break;
        if (i == 2)
            log_add(&want, "E\n");
    }
    if (strcmp(log_text(&want), log_text(&tree)) != 0)
        fuzz_fail("tree reads differently:\n--- files\n%s--- tree\n%s", log_text(&want),
                  log_text(&tree));
    free(plain.s);
    free(plain_anon.s);
    free(packed.s);
    free(packed_anon.s);
    free(text.s);
    free(tree.s);
    free(want.s);
    return 0;
}
