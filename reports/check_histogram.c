/* check_histogram.c — log-linear latency histogram of the checker (check_histogram.h):
 * relative error <= 1/1024, exact below 2048 us, exact count/mean/max. */
#include "check_histogram.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "../engine/bl_assert.h"

#define SUB_COUNT (1u << CHECK_HIST_SUB_BITS)

static uint32_t segment_size(uint32_t segment)
{
    return segment == 0 ? CHECK_HIST_EXACT_US : SUB_COUNT;
}

/* Segment and bucket of a value; segment s >= 1 covers [2^(s+10), 2^(s+11)). */
static void locate(int64_t value_us, uint32_t *segment, uint32_t *bucket)
{
    uint64_t v = (uint64_t)value_us;
    if (v < CHECK_HIST_EXACT_US) {
        *segment = 0;
        *bucket = (uint32_t)v;
        return;
    }
    uint32_t k = 63u - (uint32_t)__builtin_clzll(v);
    uint32_t shift = k - CHECK_HIST_SUB_BITS;
    *segment = shift;
    *bucket = (uint32_t)(v >> shift) - SUB_COUNT;
    BL_ASSERT(*segment < CHECK_HIST_SEGMENTS && *bucket < SUB_COUNT);
}

/* The largest value that falls into (segment, bucket). */
static int64_t bucket_high_us(uint32_t segment, uint32_t bucket)
{
    if (segment == 0) return (int64_t)bucket;
    uint64_t next = ((uint64_t)SUB_COUNT + bucket + 1u) << segment;
    return (int64_t)(next - 1u);
}

void check_hist_add(check_hist *hist, int64_t value_us)
{
    BL_ASSERTF(value_us >= 0, "negative latency %lld us", (long long)value_us);
    uint32_t segment, bucket;
    locate(value_us, &segment, &bucket);
    if (hist->segments[segment] == NULL) {
        hist->segments[segment] = calloc(segment_size(segment), sizeof(uint64_t));
        BL_ASSERTF(hist->segments[segment] != NULL, "out of memory (latency histogram)");
    }
    hist->segments[segment][bucket]++;
    if (hist->count == 0 || value_us < hist->min_us) hist->min_us = value_us;
    if (hist->count == 0 || value_us > hist->max_us) hist->max_us = value_us;
    hist->count++;
    uint64_t lo = hist->sum_us_lo + (uint64_t)value_us;
    if (lo < hist->sum_us_lo) hist->sum_us_hi++;
    hist->sum_us_lo = lo;
}

uint64_t check_rank(uint64_t count, uint32_t per_mille)
{
    BL_ASSERT(count > 0 && per_mille >= 1 && per_mille <= 1000);
    BL_ASSERT(count <= UINT64_MAX / 1000u);
    uint64_t rank = (count * per_mille + 999u) / 1000u;
    return rank == 0 ? 1 : rank;
}

int64_t check_hist_percentile_us(const check_hist *hist, uint32_t per_mille)
{
    if (hist->count == 0) return 0;
    uint64_t rank = check_rank(hist->count, per_mille);
    uint64_t seen = 0;
    for (uint32_t segment = 0; segment < CHECK_HIST_SEGMENTS; segment++) {
        const uint64_t *counts = hist->segments[segment];
        if (counts == NULL) continue;
        for (uint32_t bucket = 0; bucket < segment_size(segment); bucket++) {
            seen += counts[bucket];
            if (seen < rank) continue;
            int64_t high_us = bucket_high_us(segment, bucket);
            return high_us < hist->max_us ? high_us : hist->max_us;
        }
    }
    BL_ASSERTF(false, "histogram counts do not add up to %llu", (unsigned long long)hist->count);
    return 0;
}

static double mean_us(const check_hist *hist)
{
    if (hist->sum_us_hi == 0) {
        uint64_t whole = hist->sum_us_lo / hist->count;
        uint64_t rest = hist->sum_us_lo % hist->count;
        return (double)whole + (double)rest / (double)hist->count;
    }
    double sum = (double)hist->sum_us_hi * 18446744073709551616.0 + (double)hist->sum_us_lo;
    return sum / (double)hist->count;
}

void check_hist_summary(const check_hist *hist, check_percentiles *out)
{
    memset(out, 0, sizeof *out);
    out->count = hist->count;
    if (hist->count == 0) { /* no sample: no data, not 0 */
        out->p50_s = out->p99_s = out->p999_s = out->max_s = out->mean_s = NAN;
        return;
    }
    out->p50_s = (double)check_hist_percentile_us(hist, 500) / 1e6;
    out->p99_s = (double)check_hist_percentile_us(hist, 990) / 1e6;
    out->p999_s = (double)check_hist_percentile_us(hist, 999) / 1e6;
    out->max_s = (double)hist->max_us / 1e6;
    out->mean_s = mean_us(hist) / 1e6;
}

void check_hist_free(check_hist *hist)
{
    for (uint32_t segment = 0; segment < CHECK_HIST_SEGMENTS; segment++) {
        free(hist->segments[segment]);
    }
    memset(hist, 0, sizeof *hist);
}
