/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mg_date_normalise: every accepted form, zone conversion, and rejections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "date.h"

static void expect_date(const char *in, const char *want)
{
    char out[20];
    mg_err err;
    int rc = mg_date_normalise(in, out, &err);
    if (rc != 0)
        print_error("input \"%s\": %s\n", in, err.msg);
    assert_int_equal(rc, 0);
    if (strcmp(out, want) != 0)
        print_error("input \"%s\": got \"%s\", want \"%s\"\n", in, out, want);
    assert_string_equal(out, want);
}

static void expect_reject(const char *in)
{
    char out[20] = "x";
    mg_err err;
    int rc = mg_date_normalise(in, out, &err);
    if (rc == 0)
        print_error("input \"%s\" accepted as \"%s\"\n", in, out);
    assert_int_equal(rc, -MG_EFORMAT);
    assert_int_equal(err.code, MG_EFORMAT);
    assert_true(err.msg[0] != '\0');
    assert_string_equal(out, "");
}

static void test_iso_date(void **state)
{
    (void)state;
    expect_date("1987-02-26", "1987-02-26");
    expect_date("  2025-09-03\t", "2025-09-03");
    expect_date("2000-02-29", "2000-02-29"); /* leap year divisible by 400 */
    expect_date("1996-02-29", "1996-02-29");
}

static void test_iso_partial_expands(void **state)
{
    (void)state;
    expect_date("1987-02", "1987-02-01");
    expect_date("1987", "1987-01-01");
}

static void test_iso_datetime(void **state)
{
    (void)state;
    expect_date("1987-02-26T15:01:01", "1987-02-26T15:01:01");
    expect_date("1987-02-26t15:01:01", "1987-02-26T15:01:01");
    expect_date("1987-02-26T15:01", "1987-02-26T15:01:00");
    expect_date("1987-02-26T15:01:01.79", "1987-02-26T15:01:01");
    expect_date("1987-02-26T15:01:01,5", "1987-02-26T15:01:01");
    expect_date("1987-02-26T15:01:01Z", "1987-02-26T15:01:01");
    expect_date("1987-02-26T15:01:01.123456Z", "1987-02-26T15:01:01");
    expect_date("1987-02-26 15:01:01", "1987-02-26T15:01:01");
    expect_date("1987-02-26 15:01:01 +0000", "1987-02-26T15:01:01");
    expect_date("1987-02-26T15:01:01 GMT", "1987-02-26T15:01:01");
}

static void test_iso_zones_to_utc(void **state)
{
    (void)state;
    expect_date("1987-02-26T15:01:01+02:00", "1987-02-26T13:01:01");
    expect_date("1987-02-26T15:01:01-05:00", "1987-02-26T20:01:01");
    expect_date("1987-02-26T15:01:01+0530", "1987-02-26T09:31:01");
    expect_date("1987-02-26T15:01:01+09", "1987-02-26T06:01:01");
    /* across midnight, month, year and a leap day */
    expect_date("1987-03-01T01:00:00+02:00", "1987-02-28T23:00:00");
    expect_date("1988-03-01T01:00:00+02:00", "1988-02-29T23:00:00");
    expect_date("1999-12-31T23:30:00-01:00", "2000-01-01T00:30:00");
    expect_date("2025-09-03T10:00:00+08:00", "2025-09-03T02:00:00");
    expect_date("1000-01-01T12:00:00+01:00", "1000-01-01T11:00:00");
}

static void test_rfc2822(void **state)
{
    (void)state;
    expect_date("Thu, 26 Feb 1987 15:01:01 +0000", "1987-02-26T15:01:01");
    expect_date("26 Feb 1987 15:01:01 +0000", "1987-02-26T15:01:01");
    expect_date("Thu,26 Feb 1987 15:01:01 +0100", "1987-02-26T14:01:01");
    expect_date("Fri, 10 Nov 1989 06:45:00 +0100", "1989-11-10T05:45:00");
    expect_date("Wed, 13 Oct 2010 03:00:00 -0300", "2010-10-13T06:00:00");
    expect_date("Tue, 1 Jan 2002 09:00:00 +0100", "2002-01-01T08:00:00");
    expect_date("Thu, 26 Feb 1987 15:01:01 GMT", "1987-02-26T15:01:01");
    expect_date("Thu, 26 Feb 1987 15:01:01 UT", "1987-02-26T15:01:01");
    expect_date("Thu, 26 Feb 1987 15:01:01 Z", "1987-02-26T15:01:01");
    expect_date("Thu, 26 Feb 1987 15:01:01 EST", "1987-02-26T20:01:01");
    expect_date("Thu, 26 Feb 1987 15:01:01 PDT", "1987-02-26T22:01:01");
    expect_date("Thu, 26 Feb 1987 15:01:01", "1987-02-26T15:01:01");
    expect_date("Thu, 26 Feb 1987 15:01", "1987-02-26T15:01:00");
    expect_date("Thu, 26 Feb 1987 15:01:01 +0000 (UTC)", "1987-02-26T15:01:01");
    expect_date("Thursday, 26 February 1987", "1987-02-26");
    expect_date("26 Feb 1987", "1987-02-26");
    expect_date("11 Feb 1990 16:15:00 GMT", "1990-02-11T16:15:00");
}

static void test_reuters(void **state)
{
    (void)state;
    expect_date("26-FEB-1987 15:01:01.79", "1987-02-26T15:01:01");
    expect_date("19-OCT-1987 16:05:12.40", "1987-10-19T16:05:12");
    expect_date(" 5-MAR-1987 09:10:11.00", "1987-03-05T09:10:11");
    expect_date("5-Mar-1987", "1987-03-05");
}

static void test_month_first(void **state)
{
    (void)state;
    expect_date("February 26, 1987", "1987-02-26");
    expect_date("Feb 26 1987 15:01 EST", "1987-02-26T20:01:00");
}

static void test_leap_second_clamped(void **state)
{
    (void)state;
    expect_date("2016-12-31T23:59:60Z", "2016-12-31T23:59:59");
}

static void test_rejections(void **state)
{
    (void)state;
    expect_reject("");
    expect_reject("   ");
    expect_reject("yesterday");
    expect_reject("1987-13-01"); /* month 13 */
    expect_reject("1987-00-10"); /* month 0 */
    expect_reject("1987-02-30"); /* Feb 30 */
    expect_reject("1987-02-29"); /* not a leap year */
    expect_reject("1900-02-29"); /* century, not divisible by 400 */
    expect_reject("1987-04-31");
    expect_reject("1987-02-00");
    expect_reject("1987-02-26T25:00:00");
    expect_reject("1987-02-26T24:00:00");
    expect_reject("1987-02-26T12:60:00");
    expect_reject("1987-02-26T12:00:61");
    expect_reject("1987-03-31T605:12:19"); /* the one bad time in Reuters' SGML */
    expect_reject("0999-12-31");
    expect_reject("0999");
    expect_reject("10000-01-01");
    expect_reject("1000-01-01T00:30:00+01:00"); /* before year 1000 in UTC */
    expect_reject("9999-12-31T23:30:00-01:00"); /* past 9999 in UTC */
    expect_reject("87-02-26");
    expect_reject("1987/02/26");
    expect_reject("1987-2-26");
    expect_reject("1987-02-26T");
    expect_reject("1987-02-26T15");
    expect_reject("1987-02-26T15:01:01.");
    expect_reject("1987-02-26T15:01:01+2500");
    expect_reject("1987-02-26T15:01:01+02:60");
    expect_reject("1987-02-26T15:01:01 XYZ");
    expect_reject("1987-02-26 garbage");
    expect_reject("1987-02-26Z");
    expect_reject("Thu, 30 Feb 1987 15:01:01 +0000");
    expect_reject("Thu, 26 Foo 1987");
    expect_reject("Thx, 26 Feb 1987");
    expect_reject("26 Feb 87");
    expect_reject("26 Feb 19870");
    expect_reject("32-FEB-1987 10:00:00");
    expect_reject("26-FEB-1987 10:00:00 (comment");
    expect_reject("26-FEB 1987");
    expect_reject("12345");
    expect_reject("1987-02-26T15:01:01Zjunk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso_date),     cmocka_unit_test(test_iso_partial_expands),
        cmocka_unit_test(test_iso_datetime), cmocka_unit_test(test_iso_zones_to_utc),
        cmocka_unit_test(test_rfc2822),      cmocka_unit_test(test_reuters),
        cmocka_unit_test(test_month_first),  cmocka_unit_test(test_leap_second_clamped),
        cmocka_unit_test(test_rejections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
