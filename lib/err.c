/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error values: formatting and the stable names of the codes. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 4, 0))) static int err_vset(mg_err *err, int code, int detail,
                                                          const char *fmt, va_list ap)
{
    if (err) {
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        err->code = code;
        err->detail = detail;
    }
    return -code;
}

int mg_err_set(mg_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = err_vset(err, code, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int mg_err_set_detail(mg_err *err, int code, int detail, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = err_vset(err, code, detail, fmt, ap);
    va_end(ap);
    return rc;
}

void mg_err_clear(mg_err *err)
{
    if (err) {
        err->code = MG_OK;
        err->detail = 0;
        err->msg[0] = '\0';
    }
}

const char *mg_code_name(int code)
{
    static const char *const names[] = {
        [MG_OK] = "ok",
        [MG_ENOMEM] = "out_of_memory",
        [MG_EIO] = "io",
        [MG_EINVAL] = "invalid",
        [MG_ELOCKED] = "locked",
        [MG_ENOTFOUND] = "not_found",
        [MG_ECORRUPT] = "corrupt",
        [MG_EQUERY] = "bad_query",
        [MG_EDB] = "database",
        [MG_ETOOBIG] = "too_big",
        [MG_EFORMAT] = "bad_record",
        [MG_EMODIFIED] = "modified",
        [MG_EINTERNAL] = "internal",
    };
    if (code < 0)
        code = -code;
    if ((size_t)code < sizeof names / sizeof names[0] && names[code])
        return names[code];
    return "unknown";
}
