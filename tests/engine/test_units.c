/* test_units.c — unit-bearing scalars: exact conversion, rejection of bare numbers,
 * negative, fractional-below-unit and overflowing values, and duration formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../engine/units.h"

typedef struct duration_case {
    const char *text;
    int64_t us;
} duration_case;

static void test_duration_valid(void **state)
{
    (void)state;
    static const duration_case cases[] = {
        {"0s", 0},
        {"0us", 0},
        {"250us", 250},
        {"5ms", 5000},
        {"1.5s", 1500000},
        {"0.5ms", 500},
        {"0.000001s", 1},
        {"1.250000s", 1250000},
        {"2m", 120000000},
        {"1h", 3600000000LL},
        {"7d", 604800000000LL},
        {"30d", 2592000000000LL},
        {"1.5h", 5400000000LL},
        {"9223372036854775807us", INT64_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[UNITS_WHY_LEN] = "";
        int64_t us = -1;
        assert_true(units_parse_duration_us(cases[i].text, &us, why));
        assert_int_equal(us, cases[i].us);
    }
}

static void test_duration_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *why;
    } cases[] = {
        {"5", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"ms", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"5 ms", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"5MS", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"5sec", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {".5s", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"5.s", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"+5s", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"1e3ms", "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"},
        {"-5s", "expected a non-negative value"},
        {"0.5us", "expected a whole number of microseconds"},
        {"1.0000001s", "expected a whole number of microseconds"},
        {"9223372036854775808us", "expected a smaller value"},
        {"99999999999999999999us", "expected a smaller value"},
        {"200000000d", "expected a smaller value"},
        {"300000000d", "expected a smaller value"},
        {"0.0000000000000000001s", "expected at most 18 digits after the decimal point"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[UNITS_WHY_LEN] = "";
        int64_t us = 42;
        assert_false(units_parse_duration_us(cases[i].text, &us, why));
        assert_int_equal(us, 42); /* untouched */
        assert_string_equal(why, cases[i].why);
    }
}

static void test_size(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes;
    } valid[] = {
        {"0B", 0},
        {"512B", 512},
        {"64KiB", 65536},
        {"64KB", 64000},
        {"1MiB", 1048576},
        {"1MB", 1000000},
        {"2GiB", 2147483648ULL},
        {"2GB", 2000000000ULL},
        {"1TiB", 1099511627776ULL},
        {"1TB", 1000000000000ULL},
        {"1.5KiB", 1536},
        {"0.5MiB", 524288},
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char why[UNITS_WHY_LEN] = "";
        uint64_t bytes = 7;
        assert_true(units_parse_size_bytes(valid[i].text, &bytes, why));
        assert_true(bytes == valid[i].bytes);
    }
    static const char *const invalid[] = {"512",    "1kb",   "1KIB",        "-1KiB", "0.5B",
                                          "1.1KiB", "1 MiB", "16777216TiB", "1PiB"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        char why[UNITS_WHY_LEN] = "";
        uint64_t bytes = 7;
        assert_false(units_parse_size_bytes(invalid[i], &bytes, why));
        assert_true(bytes == 7);
        assert_true(strncmp(why, "expected ", 9) == 0);
    }
}

static void test_bandwidth(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes_per_s;
    } valid[] = {
        {"1Gbps", 125000000ULL},
        {"100Mbps", 12500000ULL},
        {"10kbps", 1250},
        {"800bps", 100},
        {"12bps", 1}, /* rounded down */
        {"500MB/s", 500000000ULL},
        {"64KiB/s", 65536},
        {"1GiB/s", 1073741824ULL},
        {"100B/s", 100},
        {"2.5Gbps", 312500000ULL},
        {"1Tbps", 125000000000ULL},
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char why[UNITS_WHY_LEN] = "";
        uint64_t value = 7;
        assert_true(units_parse_bandwidth_bytes_per_s(valid[i].text, &value, why));
        assert_true(value == valid[i].bytes_per_s);
    }
    static const char *const invalid[] = {"1G",   "1Gb",  "100",    "500MB", "500MB/ms", "0Gbps",
                                          "7bps", "0B/s", "-1Gbps", "1gbps", "0.5bps",   "bps"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        char why[UNITS_WHY_LEN] = "";
        uint64_t value = 7;
        assert_false(units_parse_bandwidth_bytes_per_s(invalid[i], &value, why));
        assert_true(value == 7);
        assert_true(strncmp(why, "expected ", 9) == 0);
    }
}

static void test_rate(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double per_s;
    } valid[] = {
        {"10000/s", 10000.0}, {"50/ms", 50000.0}, {"3600/h", 1.0},
        {"60/m", 1.0},        {"0.5/s", 0.5},     {"0/s", 0.0},
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char why[UNITS_WHY_LEN] = "";
        double value = -1.0;
        assert_true(units_parse_rate_per_s(valid[i].text, &value, why));
        assert_float_equal(value, valid[i].per_s, 1e-9);
    }
    static const char *const invalid[] = {"1000",    "1000/d", "-1/s",  "1e3/s",    "/s",
                                          "1000 /s", "inf/s",  "nan/s", "1000/sec", "1000/S"};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        char why[UNITS_WHY_LEN] = "";
        double value = -1.0;
        assert_false(units_parse_rate_per_s(invalid[i], &value, why));
        assert_float_equal(value, -1.0, 0.0);
        assert_true(strncmp(why, "expected ", 9) == 0);
    }
}

static void test_format_duration(void **state)
{
    (void)state;
    static const duration_case cases[] = {
        {"0s", 0},         {"42us", 42},           {"250ms", 250000},
        {"1.5s", 1500000}, {"1.234567s", 1234567}, {"1.5ms", 1500},
        {"2m", 120000000}, {"1h", 3600000000LL},   {"30d", 2592000000000LL},
        {"90s", 90000000}, {"-5ms", -5000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        assert_string_equal(units_format_duration(cases[i].us, buf, sizeof buf), cases[i].text);
    }
    /* Round trip: what is formatted parses back to the same value. */
    static const int64_t values[] = {1,       999,      1000,          1001,     999999,
                                     1000001, 59999999, 86400000001LL, INT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char buf[32];
        char why[UNITS_WHY_LEN];
        int64_t back = -1;
        assert_true(
            units_parse_duration_us(units_format_duration(values[i], buf, sizeof buf), &back, why));
        assert_int_equal(back, values[i]);
    }
    char small[4];
    assert_string_equal(units_format_duration(1500000, small, sizeof small), "1.5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_valid), cmocka_unit_test(test_duration_invalid),
        cmocka_unit_test(test_size),           cmocka_unit_test(test_bandwidth),
        cmocka_unit_test(test_rate),           cmocka_unit_test(test_format_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
