/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target for one JSON Lines record: mg_record_from_json on arbitrary
 * bytes. A record that parses must satisfy the reader's promises (UTF-8,
 * trimmed, within the caps, an id, a title or body, a normalised date) and
 * survive mg_record_encode + mg_record_decode unchanged, field by field; a
 * line that does not parse must fail with a located message and leave the
 * record released. Built with -fsanitize=fuzzer -DMG_LIBFUZZER it is a
 * libFuzzer target; otherwise main() replays tests/fuzz/corpus/json_record/
 * as a TAP test (docs/fuzzing.md). */
#include "fuzz_input.h"
#include "jsonrec.h"

#define WHERE "in.jsonl:7"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mg_record rec;
    mg_err err;
    char warning[256];
    mg_record_init(&rec);
    /* start from a filled record: from_json must release it first */
    rec.id = strdup("stale");
    if (!rec.id)
        return 0;
    int rc =
        mg_record_from_json((const char *)data, size, WHERE, &rec, warning, sizeof warning, &err);
    if (strlen(warning) >= sizeof warning)
        fuzz_fail("warning not terminated");
    if (rc != 0) {
        if (rc != -MG_EFORMAT && rc != -MG_ENOMEM)
            fuzz_fail("from_json returned %d", rc);
        if (err.code != -rc || strncmp(err.msg, WHERE ": ", strlen(WHERE) + 2) != 0 ||
            !err.msg[strlen(WHERE) + 2])
            fuzz_fail("failure %d without a located message: \"%s\"", rc, err.msg);
        if (!fuzz_is_released(&rec))
            fuzz_fail("a failed parse left fields behind");
        /* invalid UTF-8 is repaired before jansson sees it, never a reason
         * to reject the line */
        static const char bad_utf8[] = WHERE ": malformed JSON: unable to decode byte";
        if (strncmp(err.msg, bad_utf8, sizeof bad_utf8 - 1) == 0)
            fuzz_fail("invalid UTF-8 reached the JSON parser: %s", err.msg);
        return 0;
    }
    if (err.code != MG_OK)
        fuzz_fail("success with error code %d", err.code);
    fuzz_check_parsed(&rec);
    /* the warning names the place and is one of the two documented notes */
    if (warning[0] && (strncmp(warning, WHERE ": ", strlen(WHERE) + 2) != 0 ||
                       (!strstr(warning, "invalid UTF-8 repaired (") &&
                        !strstr(warning, "NUL characters removed ("))))
        fuzz_fail("unexpected warning \"%s\"", warning);
    if (!warning[0] && !mg_utf8_valid((const char *)data, size))
        fuzz_fail("invalid UTF-8 repaired without a warning");
    int code;
    if (!fuzz_round_trip(&rec, &code))
        fuzz_fail("a record within every cap failed to encode (%d)", code);
    mg_record_release(&rec);
    return 0;
}
