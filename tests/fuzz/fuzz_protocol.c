/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for the protocol handler and its reply writer: any bytes as a
 * request, without an index, so every validation path runs (a valid request
 * ends in "unavailable"); the reply text must parse with jansson as an
 * object with "v", "ok", "took_us" and, for a failure, an error code and
 * message. The same bytes are also written as a string and as a key by the
 * reply writer, and must parse back as the input with invalid UTF-8
 * repaired. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a libFuzzer
 * target; otherwise the main() of fuzz_input.h replays every file of a
 * directory (the seed corpus, tests/fuzz/corpus/protocol/) and prints TAP. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_input.h" /* LLVMFuzzerTestOneInput's prototype; the replay main() */
#include "jsonw.h"
#include "protocol.h"

static void check_reply(const uint8_t *data, size_t size)
{
    mg_jw out;
    mg_jw_init(&out, 0);
    const char *code = NULL;
    int rc = mg_proto_handle(NULL, (const char *)data, size, NULL, &out, &code);
    if (rc < 0 || !out.buf || strlen(out.buf) != out.len)
        fuzz_fail("no reply text (rc %d)", rc);
    json_error_t je;
    json_t *r = json_loadb(out.buf, out.len, JSON_REJECT_DUPLICATES, &je);
    if (!r)
        fuzz_fail("the reply does not parse: %s: %s", je.text, out.buf);
    if (!json_is_object(r) || json_integer_value(json_object_get(r, "v")) != 1 ||
        !json_is_boolean(json_object_get(r, "ok")) ||
        !json_is_integer(json_object_get(r, "took_us")))
        fuzz_fail("bad envelope: %s", out.buf);
    if (json_is_true(json_object_get(r, "ok")) != (rc == 1))
        fuzz_fail("return code %d disagrees with %s", rc, out.buf);
    if (rc == 0) {
        json_t *e = json_object_get(r, "error");
        const char *c = json_string_value(json_object_get(e, "code"));
        if (!c || !code || strcmp(c, code) != 0 || !json_is_string(json_object_get(e, "message")))
            fuzz_fail("bad error: %s", out.buf);
    }
    json_decref(r);
    mg_jw_release(&out);
}

static void check_writer(const uint8_t *data, size_t size)
{
    char *want;
    size_t wn;
    if (mg_utf8_repair((const char *)data, size, &want, &wn) < 0)
        fuzz_fail("out of memory");
    mg_jw w;
    mg_jw_init(&w, 0);
    mg_jw_arr_open(&w);
    mg_jw_strn(&w, (const char *)data, size);
    mg_jw_obj_open(&w);
    mg_jw_key(&w, memchr(data, 0, size) ? "nul" : (const char *)want);
    mg_jw_real(&w, (double)size / 7.0);
    mg_jw_obj_close(&w);
    mg_jw_arr_close(&w);
    if (mg_jw_failed(&w))
        fuzz_fail("the writer failed");
    json_error_t je;
    json_t *a = json_loadb(w.buf, w.len, JSON_ALLOW_NUL, &je);
    if (!a)
        fuzz_fail("the writer's text does not parse: %s", je.text);
    json_t *s = json_array_get(a, 0), *o = json_array_get(a, 1);
    if (!json_is_string(s) || json_string_length(s) != wn ||
        memcmp(json_string_value(s), want, wn) != 0)
        fuzz_fail("the string did not round-trip");
    json_t *v = json_object_get(o, memchr(data, 0, size) ? "nul" : want);
    if (json_object_size(o) != 1 || !json_is_real(v) || json_real_value(v) != (double)size / 7.0)
        fuzz_fail("the key or the number did not round-trip");
    json_decref(a);
    mg_jw_release(&w);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_reply(data, size);
    check_writer(data, size);
    return 0;
}
