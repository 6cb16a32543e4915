/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Calendar periods of date histograms: keys, ISO weeks, the next period. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "period.h"

static void expect_key(int by, const char *date, const char *want)
{
    char key[MG_PERIOD_KEY_MAX];
    assert_int_equal(mg_period_key(by, date, strlen(date), key), 0);
    assert_string_equal(key, want);
}

static void expect_next(int by, const char *key, const char *want)
{
    char next[MG_PERIOD_KEY_MAX];
    assert_int_equal(mg_period_next(by, key, next), 0);
    assert_string_equal(next, want);
}

static void test_keys(void **state)
{
    (void)state;
    expect_key(MG_PERIOD_YEAR, "19870226153000", "1987");
    expect_key(MG_PERIOD_MONTH, "19870226153000", "1987-02");
    expect_key(MG_PERIOD_DAY, "19870226153000", "1987-02-26");
    expect_key(MG_PERIOD_DAY, "2024-02-29T10:00:00Z", "2024-02-29");
    char key[MG_PERIOD_KEY_MAX];
    assert_int_equal(mg_period_key(MG_PERIOD_DAY, "", 0, key), -1);
    assert_int_equal(mg_period_key(MG_PERIOD_DAY, "20230229", 8, key), -1);
    assert_int_equal(mg_period_key(MG_PERIOD_MONTH, "2023-13-01", 10, key), -1);
    assert_int_equal(mg_period_key(MG_PERIOD_YEAR, "1987", 4, key), -1);
    assert_int_equal(mg_period_parse("week"), MG_PERIOD_WEEK);
    assert_int_equal(mg_period_parse("fortnight"), -1);
    assert_string_equal(mg_period_name(MG_PERIOD_DAY), "day");
}

/* ISO 8601: Monday weeks, week 1 holds the year's first Thursday. */
static void test_iso_weeks(void **state)
{
    (void)state;
    expect_key(MG_PERIOD_WEEK, "20040101", "2004-W01"); /* a Thursday */
    expect_key(MG_PERIOD_WEEK, "20041231", "2004-W53");
    expect_key(MG_PERIOD_WEEK, "20050102", "2004-W53"); /* a Sunday */
    expect_key(MG_PERIOD_WEEK, "20050103", "2005-W01");
    expect_key(MG_PERIOD_WEEK, "20081229", "2009-W01"); /* a Monday in December */
    expect_key(MG_PERIOD_WEEK, "20100103", "2009-W53");
    expect_key(MG_PERIOD_WEEK, "19870226", "1987-W09");
    expect_key(MG_PERIOD_WEEK, "00010101", "0001-W01"); /* a Monday */
}

static void test_next(void **state)
{
    (void)state;
    expect_next(MG_PERIOD_YEAR, "1999", "2000");
    expect_next(MG_PERIOD_MONTH, "1999-12", "2000-01");
    expect_next(MG_PERIOD_MONTH, "2000-01", "2000-02");
    expect_next(MG_PERIOD_DAY, "2000-02-28", "2000-02-29");
    expect_next(MG_PERIOD_DAY, "1900-02-28", "1900-03-01");
    expect_next(MG_PERIOD_DAY, "1999-12-31", "2000-01-01");
    expect_next(MG_PERIOD_WEEK, "2004-W52", "2004-W53");
    expect_next(MG_PERIOD_WEEK, "2004-W53", "2005-W01");
    expect_next(MG_PERIOD_WEEK, "2005-W52", "2006-W01"); /* 2005 has 52 weeks */
    char next[MG_PERIOD_KEY_MAX];
    assert_int_equal(mg_period_next(MG_PERIOD_WEEK, "2005-W53", next), -1);
    assert_int_equal(mg_period_next(MG_PERIOD_YEAR, "9999", next), -1);
    assert_int_equal(mg_period_next(MG_PERIOD_MONTH, "1999-13", next), -1);
    assert_int_equal(mg_period_next(MG_PERIOD_DAY, "1999-12", next), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_iso_weeks),
        cmocka_unit_test(test_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
