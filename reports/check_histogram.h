/* check_histogram.h — private to the checker: a log-linear latency histogram
 * (HDR-style) with exact count, mean, min and max.
 *
 * Values below 2048 us are counted exactly; above, each power of two [2^k, 2^(k+1)) is
 * split into 1024 buckets of width 2^(k-10). A percentile is reported as the highest
 * value of its bucket, clamped to the exact maximum, so it is never below the true
 * percentile and at most 1/1024 (relative) above it. Bucket arrays are allocated per
 * power of two on first use: a distribution spanning 1 ms .. 1 min costs ~130 KiB. */
#ifndef BL_CHECK_HISTOGRAM_H
#define BL_CHECK_HISTOGRAM_H

#include <stdint.h>

#include "check.h"

#define CHECK_HIST_SUB_BITS 10   /* 1024 buckets per power of two */
#define CHECK_HIST_EXACT_US 2048 /* values below this are exact */
#define CHECK_HIST_SEGMENTS 53   /* [0, 2048), then k = 11 .. 62 */

typedef struct check_hist {
    uint64_t *segments[CHECK_HIST_SEGMENTS]; /* lazily allocated */
    uint64_t count;
    uint64_t sum_us_lo, sum_us_hi; /* exact 128-bit sum */
    int64_t min_us, max_us;        /* valid when count > 0 */
} check_hist;

/* Adds one value (>= 0, asserted). Asserts on out-of-memory. */
void check_hist_add(check_hist *hist, int64_t value_us);
/* The per_mille-th percentile (1..1000) by nearest rank; 0 if empty. */
int64_t check_hist_percentile_us(const check_hist *hist, uint32_t per_mille);
/* count, p50, p99, p999, max, mean in seconds; all zero if empty. */
void check_hist_summary(const check_hist *hist, check_percentiles *out);
void check_hist_free(check_hist *hist);

/* Nearest rank (1-based) of the per_mille-th percentile among count > 0 values:
 * the smallest r with r >= count * per_mille / 1000. */
uint64_t check_rank(uint64_t count, uint32_t per_mille);

#endif
