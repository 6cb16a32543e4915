/* SPDX-License-Identifier: GPL-2.0-or-later */
/* morgued's log lines on stderr, text or JSON. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "utf8.h"

#define LINE_MAX_BYTES 2048
#define REQUEST_BYTES 400 /* of a request, logged */

static atomic_int min_level = MG_LOG_INFO;
static atomic_bool as_json = false;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void mg_dlog_set_level(int level)
{
    atomic_store(&min_level, level);
}

void mg_dlog_set_json(bool json)
{
    atomic_store(&as_json, json);
}

int mg_dlog_parse_level(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

/* A line under construction: appends never overflow; a cut line keeps
 * room for its end ("}\n"). */
typedef struct line {
    char buf[LINE_MAX_BYTES];
    size_t n;
} line;

static void add(line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(line *l, const char *fmt, ...)
{
    size_t room = sizeof l->buf - 8 - l->n;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(l->buf + l->n, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        l->n += (size_t)k < room ? (size_t)k : room - 1;
}

/* s[0..len) as a JSON string (quoted) or, for text, as is: control bytes,
 * and bytes of invalid UTF-8, as \u00XX (JSON) or \xXX (text); at most max
 * input bytes, then "...". */
static void add_str(line *l, const char *s, size_t len, size_t max, bool json)
{
    if (json)
        add(l, "\"");
    size_t i = 0;
    while (i < len && i < max && l->n + 16 < sizeof l->buf) {
        unsigned char c = (unsigned char)s[i];
        size_t k = 1;
        if (c >= 0x80 &&
            !mg_utf8_bad((const unsigned char *)s + i,
                         mg_utf8_decode((const unsigned char *)s + i, len - i, &k), k)) {
            memcpy(l->buf + l->n, s + i, k);
            l->n += k;
            i += k;
            continue;
        }
        if (json && (c == '"' || c == '\\'))
            add(l, "\\%c", c);
        else if (c < 0x20 || c == 0x7f || c >= 0x80)
            add(l, json ? "\\u%04x" : "\\x%02x", c);
        else
            l->buf[l->n++] = (char)c;
        i++;
    }
    if (i < len)
        add(l, "...");
    if (json)
        add(l, "\"");
}

/* Time stamp, and the start of the line: text "TIME morgued[PID] LEVEL: ",
 * JSON {"time":...,"level":...,"pid":...,  */
static void start(line *l, int level, bool json)
{
    struct timespec ts;
    struct tm tm;
    char t[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(t + n, sizeof t - n, ".%03ldZ", ts.tv_nsec / 1000000);
    l->n = 0;
    if (json)
        add(l, "{\"time\":\"%s\",\"level\":\"%s\",\"pid\":%ld,", t, level_names[level],
            (long)getpid());
    else
        add(l, "%s morgued[%ld] %s: ", t, (long)getpid(), level_names[level]);
}

/* End the line and write it: one write per line keeps lines from different
 * threads whole. */
static void finish(line *l, bool json)
{
    if (json)
        l->buf[l->n++] = '}';
    l->buf[l->n++] = '\n';
    const char *p = l->buf;
    size_t n = l->n;
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
}

static bool wanted(int *level)
{
    if (*level < atomic_load(&min_level))
        return false;
    if (*level < MG_LOG_DEBUG || *level > MG_LOG_ERROR)
        *level = MG_LOG_ERROR;
    return true;
}

void mg_dlog(int level, const char *fmt, ...)
{
    if (!wanted(&level))
        return;
    bool json = atomic_load(&as_json);
    char msg[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t len = k < 0 ? 0 : (size_t)k < sizeof msg ? (size_t)k : sizeof msg - 1;
    line l;
    start(&l, level, json);
    if (json) {
        add(&l, "\"event\":\"message\",\"message\":");
        add_str(&l, msg, len, len, true);
    } else {
        add_str(&l, msg, len, len, false);
    }
    finish(&l, json);
}

void mg_dlog_request(int level, const mg_dlog_req *r)
{
    if (!wanted(&level))
        return;
    bool json = atomic_load(&as_json);
    line l;
    start(&l, level, json);
    if (json) {
        add(&l, "\"event\":\"%s\",\"client\":", r->event);
        add_str(&l, r->client, strlen(r->client), 128, true);
        add(&l, ",\"op\":");
        if (r->op)
            add(&l, "\"%s\"", r->op);
        else
            add(&l, "null");
        add(&l, ",\"took_us\":%llu,\"wait_us\":%llu,\"hits\":", r->took_us, r->wait_us);
        if (r->hits >= 0)
            add(&l, "%lld", r->hits);
        else
            add(&l, "null");
        add(&l, ",\"ok\":%s,\"error\":", r->code ? "false" : "true");
        if (r->code)
            add(&l, "\"%s\"", r->code);
        else
            add(&l, "null");
        add(&l, ",\"request\":");
        add_str(&l, r->request, r->request_len, REQUEST_BYTES, true);
    } else {
        add(&l, "%s: %s%s %lluus", r->event, r->code ? "error " : "ok", r->code ? r->code : "",
            r->took_us);
        if (r->hits >= 0)
            add(&l, " hits=%lld", r->hits);
        add(&l, " client=%s ", r->client);
        add_str(&l, r->request, r->request_len, REQUEST_BYTES, false);
    }
    finish(&l, json);
}
