/* units.c — parsing and formatting of unit-bearing scalars (durations, sizes,
 * bandwidths, rates) for scenario files.
 *
 * Owns: the number syntax `DIGITS[.DIGITS]` (no sign, exponent or spaces), the unit
 * suffix tables, and the exact conversion of a decimal number times an integer unit
 * factor into an integer (no floating point: `1.5s` is 1 * 1000000 + 5 * 100000 us,
 * and a value that is not a whole number of the target unit is rejected). Rates are
 * the exception: they are doubles, converted with strtod on the validated digits. */
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_assert.h"

#define UNITS_FRACTION_DIGITS_MAX 18

/* A parsed decimal number: whole + fraction / scale. */
typedef struct units_decimal {
    uint64_t whole;
    uint64_t fraction; /* significant fraction digits, trailing zeros removed */
    uint64_t scale;    /* 10^(number of digits in fraction) */
    bool negative;
} units_decimal;

typedef struct units_suffix {
    const char *suffix;
    uint64_t factor; /* target units per one unit of the suffix */
} units_suffix;

static const units_suffix units_duration_suffixes[] = {
    {"us", 1ULL},
    {"ms", 1000ULL},
    {"s", 1000000ULL},
    {"m", 60ULL * 1000000ULL},
    {"h", 3600ULL * 1000000ULL},
    {"d", 86400ULL * 1000000ULL},
    {NULL, 0},
};

static const units_suffix units_size_suffixes[] = {
    {"B", 1ULL},
    {"KB", 1000ULL},
    {"KiB", 1024ULL},
    {"MB", 1000ULL * 1000ULL},
    {"MiB", 1024ULL * 1024ULL},
    {"GB", 1000ULL * 1000ULL * 1000ULL},
    {"GiB", 1024ULL * 1024ULL * 1024ULL},
    {"TB", 1000ULL * 1000ULL * 1000ULL * 1000ULL},
    {"TiB", 1024ULL * 1024ULL * 1024ULL * 1024ULL},
    {NULL, 0},
};

static const units_suffix units_bit_rate_suffixes[] = {
    {"bps", 1ULL},
    {"kbps", 1000ULL},
    {"Mbps", 1000ULL * 1000ULL},
    {"Gbps", 1000ULL * 1000ULL * 1000ULL},
    {"Tbps", 1000ULL * 1000ULL * 1000ULL * 1000ULL},
    {NULL, 0},
};

#define UNITS_WHY_DURATION "expected a number followed by us, ms, s, m, h or d (e.g. 250us, 1.5s)"
#define UNITS_WHY_SIZE \
    "expected a number followed by B, KB, KiB, MB, MiB, GB, GiB, TB or TiB (e.g. 64KiB)"
#define UNITS_WHY_BANDWIDTH                                                              \
    "expected a number followed by bps, kbps, Mbps, Gbps or Tbps, or a size per second " \
    "(e.g. 1Gbps, 500MB/s)"
#define UNITS_WHY_RATE "expected a number of messages per s, ms, m or h (e.g. 1000/s)"

static void units_why(char why[UNITS_WHY_LEN], const char *text)
{
    snprintf(why, UNITS_WHY_LEN, "%s", text);
}

/* Parses `[-]DIGITS[.DIGITS]` at the start of text; *end gets the first character after
 * it. Fails (with why) on a missing number, an overflowing whole part or too many
 * significant fraction digits. */
static bool units_decimal_parse(const char *text, units_decimal *out, const char **end,
                                const char *syntax_why, char why[UNITS_WHY_LEN])
{
    const char *c = text;
    units_decimal value = {.whole = 0, .fraction = 0, .scale = 1, .negative = false};
    if (*c == '-') {
        value.negative = true;
        c++;
    }
    if (*c < '0' || *c > '9') {
        units_why(why, syntax_why);
        return false;
    }
    for (; *c >= '0' && *c <= '9'; c++) {
        if (__builtin_mul_overflow(value.whole, 10, &value.whole) ||
            __builtin_add_overflow(value.whole, (uint64_t)(*c - '0'), &value.whole)) {
            units_why(why, "expected a smaller value");
            return false;
        }
    }
    if (*c == '.') {
        c++;
        const char *digits = c;
        while (*c >= '0' && *c <= '9') {
            c++;
        }
        const char *last = c;
        while (last > digits && last[-1] == '0') {
            last--;
        }
        if (c == digits) {
            units_why(why, syntax_why);
            return false;
        }
        if (last - digits > UNITS_FRACTION_DIGITS_MAX) {
            units_why(why, "expected at most 18 digits after the decimal point");
            return false;
        }
        for (const char *d = digits; d < last; d++) {
            value.fraction = value.fraction * 10 + (uint64_t)(*d - '0');
            value.scale *= 10;
        }
    }
    *out = value;
    *end = c;
    return true;
}

static uint64_t units_gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* value * factor as an exact integer; fails if not whole or if it overflows. */
static bool units_decimal_scale(const units_decimal *value, uint64_t factor, uint64_t *out,
                                const char *unit_name, char why[UNITS_WHY_LEN])
{
    BL_ASSERT(factor > 0);
    BL_ASSERT(value->scale > 0);
    uint64_t gcd = units_gcd(factor, value->scale);
    uint64_t divisor = value->scale / gcd;
    if (value->fraction % divisor != 0) {
        snprintf(why, UNITS_WHY_LEN, "expected a whole number of %s", unit_name);
        return false;
    }
    uint64_t whole_part = 0;
    uint64_t fraction_part = 0;
    uint64_t total = 0;
    if (__builtin_mul_overflow(value->whole, factor, &whole_part) ||
        __builtin_mul_overflow(value->fraction / divisor, factor / gcd, &fraction_part) ||
        __builtin_add_overflow(whole_part, fraction_part, &total)) {
        units_why(why, "expected a smaller value");
        return false;
    }
    *out = total;
    return true;
}

static const units_suffix *units_suffix_find(const units_suffix *table, const char *text)
{
    for (const units_suffix *s = table; s->suffix != NULL; s++) {
        if (strcmp(s->suffix, text) == 0) {
            return s;
        }
    }
    return NULL;
}

/* A number followed by exactly one suffix of table, scaled to an integer. */
static bool units_parse_scaled(const char *text, const units_suffix *table, const char *syntax_why,
                               const char *unit_name, uint64_t *out, char why[UNITS_WHY_LEN])
{
    BL_ASSERT(text != NULL);
    units_decimal value;
    const char *end = NULL;
    if (!units_decimal_parse(text, &value, &end, syntax_why, why)) {
        return false;
    }
    const units_suffix *suffix = units_suffix_find(table, end);
    if (suffix == NULL) {
        units_why(why, syntax_why);
        return false;
    }
    if (value.negative) {
        units_why(why, "expected a non-negative value");
        return false;
    }
    return units_decimal_scale(&value, suffix->factor, out, unit_name, why);
}

bool units_parse_duration_us(const char *text, int64_t *out_us, char why[UNITS_WHY_LEN])
{
    uint64_t us = 0;
    if (!units_parse_scaled(text, units_duration_suffixes, UNITS_WHY_DURATION, "microseconds", &us,
                            why)) {
        return false;
    }
    if (us > (uint64_t)INT64_MAX) {
        units_why(why, "expected a smaller value");
        return false;
    }
    *out_us = (int64_t)us;
    return true;
}

bool units_parse_size_bytes(const char *text, uint64_t *out_bytes, char why[UNITS_WHY_LEN])
{
    return units_parse_scaled(text, units_size_suffixes, UNITS_WHY_SIZE, "bytes", out_bytes, why);
}

/* `<size>/s`: a size suffix followed by "/s". */
static bool units_parse_bytes_per_s(const char *text, uint64_t *out, char why[UNITS_WHY_LEN])
{
    size_t length = strlen(text);
    char size_text[64];
    if (length < 3 || length >= sizeof size_text || strcmp(text + length - 2, "/s") != 0) {
        units_why(why, UNITS_WHY_BANDWIDTH);
        return false;
    }
    memcpy(size_text, text, length - 2);
    size_text[length - 2] = '\0';
    return units_parse_scaled(size_text, units_size_suffixes, UNITS_WHY_BANDWIDTH, "bytes", out,
                              why);
}

bool units_parse_bandwidth_bytes_per_s(const char *text, uint64_t *out_bytes_per_s,
                                       char why[UNITS_WHY_LEN])
{
    BL_ASSERT(text != NULL);
    uint64_t value = 0;
    size_t length = strlen(text);
    bool bits = length > 3 && strcmp(text + length - 3, "bps") == 0;
    if (bits) {
        if (!units_parse_scaled(text, units_bit_rate_suffixes, UNITS_WHY_BANDWIDTH,
                                "bits per second", &value, why)) {
            return false;
        }
        value /= 8;
    } else if (!units_parse_bytes_per_s(text, &value, why)) {
        return false;
    }
    if (value == 0) {
        units_why(why, "expected a bandwidth of at least 1 byte per second (8bps, 1B/s)");
        return false;
    }
    *out_bytes_per_s = value;
    return true;
}

bool units_parse_rate_per_s(const char *text, double *out_per_s, char why[UNITS_WHY_LEN])
{
    static const struct {
        const char *suffix;
        double per_s;
    } rate_units[] = {
        {"/ms", 1000.0},
        {"/s", 1.0},
        {"/m", 1.0 / 60.0},
        {"/h", 1.0 / 3600.0},
    };
    BL_ASSERT(text != NULL);
    units_decimal value;
    const char *end = NULL;
    if (!units_decimal_parse(text, &value, &end, UNITS_WHY_RATE, why)) {
        return false;
    }
    for (size_t i = 0; i < sizeof rate_units / sizeof rate_units[0]; i++) {
        if (strcmp(end, rate_units[i].suffix) != 0) {
            continue;
        }
        if (value.negative) {
            units_why(why, "expected a non-negative value");
            return false;
        }
        /* The digits were validated above, so strtod reads exactly them. */
        double number = strtod(text, NULL);
        double per_s = number * rate_units[i].per_s;
        if (!(per_s >= 0.0 && per_s <= 1e300)) {
            units_why(why, "expected a smaller value");
            return false;
        }
        *out_per_s = per_s;
        return true;
    }
    units_why(why, UNITS_WHY_RATE);
    return false;
}

const char *units_format_duration(int64_t us, char *buf, size_t buf_len)
{
    static const struct {
        const char *suffix;
        int64_t us;
    } whole_units[] = {
        {"d", 86400LL * 1000000LL},
        {"h", 3600LL * 1000000LL},
        {"m", 60LL * 1000000LL},
    };
    BL_ASSERT(buf != NULL && buf_len > 0);
    const char *sign = us < 0 ? "-" : "";
    uint64_t magnitude = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
    for (size_t i = 0; i < sizeof whole_units / sizeof whole_units[0]; i++) {
        uint64_t unit = (uint64_t)whole_units[i].us;
        if (magnitude >= unit && magnitude % unit == 0) {
            snprintf(buf, buf_len, "%s%llu%s", sign, (unsigned long long)(magnitude / unit),
                     whole_units[i].suffix);
            return buf;
        }
    }
    uint64_t unit = magnitude >= 1000000 ? 1000000 : magnitude >= 1000 ? 1000 : 1;
    const char *suffix = unit == 1000000 ? "s" : unit == 1000 ? "ms" : "us";
    if (magnitude == 0) {
        unit = 1000000;
        suffix = "s";
    }
    uint64_t fraction = magnitude % unit;
    int digits = unit == 1000000 ? 6 : unit == 1000 ? 3 : 0;
    char fraction_text[24] = "";
    if (fraction != 0) {
        snprintf(fraction_text, sizeof fraction_text, ".%0*llu", digits,
                 (unsigned long long)fraction);
        size_t end = strlen(fraction_text);
        while (fraction_text[end - 1] == '0') {
            fraction_text[--end] = '\0';
        }
    }
    snprintf(buf, buf_len, "%s%llu%s%s", sign, (unsigned long long)(magnitude / unit),
             fraction_text, suffix);
    return buf;
}

const char *units_format_size(uint64_t bytes, char *buf, size_t buf_len)
{
    static const struct {
        const char *suffix;
        uint64_t bytes;
    } whole_units[] = {
        {"TiB", 1ULL << 40},      {"GiB", 1ULL << 30},   {"MiB", 1ULL << 20}, {"KiB", 1ULL << 10},
        {"TB", 1000000000000ULL}, {"GB", 1000000000ULL}, {"MB", 1000000ULL},  {"KB", 1000ULL},
    };
    BL_ASSERT(buf != NULL && buf_len > 0);
    for (size_t i = 0; i < sizeof whole_units / sizeof whole_units[0]; i++) {
        uint64_t unit = whole_units[i].bytes;
        if (bytes >= unit && bytes % unit == 0) {
            snprintf(buf, buf_len, "%llu%s", (unsigned long long)(bytes / unit),
                     whole_units[i].suffix);
            return buf;
        }
    }
    snprintf(buf, buf_len, "%lluB", (unsigned long long)bytes);
    return buf;
}
