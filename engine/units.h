/* units.h — parsing of unit-bearing scalar values used in scenario files and
 * expectations: durations (`5ms`, `1.5s`, `2m`, `1h`, `7d`, `250us`), sizes (`512B`,
 * `64KiB`, `1MB`, `2GiB`), bandwidths (`1Gbps`, `100Mbps`, `500MB/s`, `64KiB/s`), and
 * rates (`10000/s`, `50/ms`, `3600/h`).
 *
 * Every function returns true and writes the value on success; on failure it returns
 * false, leaves the output untouched and writes a short "expected ..." text into `why`
 * (callers prefix it with file:line:column). Values are converted to the integer unit
 * named in the output parameter; a value that does not fit, is negative, or is not a
 * whole number of that unit after conversion (e.g. `0.5us`) is rejected. */
#ifndef BL_UNITS_H
#define BL_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNITS_WHY_LEN 160

/* `250us`, `5ms`, `1.5s`, `2m`, `1h`, `7d`. A bare number is rejected (units are
 * explicit). Result in microseconds, >= 0. */
bool units_parse_duration_us(const char *text, int64_t *out_us, char why[UNITS_WHY_LEN]);

/* `512B`, `64KiB`, `64KB` (1000-based), `1MiB`, `1MB`, `2GiB`, `2GB`, `1TiB`, `1TB`.
 * Result in bytes, >= 0. */
bool units_parse_size_bytes(const char *text, uint64_t *out_bytes, char why[UNITS_WHY_LEN]);

/* Bits per second: `1Gbps`, `100Mbps`, `10kbps`, `800bps`; bytes per second: `500MB/s`,
 * `64KiB/s`, `1GiB/s`, `100B/s`. Result in bytes per second (bits / 8, rounded down),
 * > 0. */
bool units_parse_bandwidth_bytes_per_s(const char *text, uint64_t *out_bytes_per_s,
                                       char why[UNITS_WHY_LEN]);

/* `10000/s`, `50/ms`, `3600/h`, `60/m`, `0.5/s`. Result in messages per second, >= 0,
 * finite. */
bool units_parse_rate_per_s(const char *text, double *out_per_s, char why[UNITS_WHY_LEN]);

/* Formats a duration for humans (`1.5s`, `250ms`, `42us`) into buf. Returns buf. */
const char *units_format_duration(int64_t us, char *buf, size_t buf_len);

/* Formats a size as a scenario writes it, exactly (units_parse_size_bytes reads it back):
 * the largest binary unit that divides it (`16KiB`, `32MiB`), else the largest decimal
 * one (`1500KB`), else bytes (`0B`, `1000001B`). Returns buf. */
const char *units_format_size(uint64_t bytes, char *buf, size_t buf_len);

#endif
