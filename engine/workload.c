/* workload.c — rate schedules and arrival/key draws (see workload.h). */
#include "workload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bl_assert.h"
#include "rng.h"

/* The rate at t_us, and how it changes per microsecond until the next edge: a ramp's
 * slope, else 0 (within a spike or between ramps the rate is constant). */
static double rate_and_slope(const scn_rate *rate, int64_t t_us, double *slope_per_us)
{
    *slope_per_us = 0;
    uint32_t spike_count = rate->spike_count;
#ifdef BROKERLAB_MUTANT_SPIKES_IGNORED
    spike_count = 0; /* mutant (scripts/mutants.sh): no spike applies */
#endif
    for (uint32_t i = 0; i < spike_count; i++) {
        const scn_spike *spike = &rate->spikes[i];
        if (t_us >= spike->at_us && t_us < spike->at_us + spike->for_us) return spike->rate_per_s;
    }
    double base = rate->base_per_s;
    for (uint32_t i = 0; i < rate->ramp_count; i++) { /* ramps are sorted and disjoint */
        const scn_ramp *ramp = &rate->ramps[i];
        if (t_us < ramp->at_us) break;
        if (t_us >= ramp->at_us + ramp->for_us) {
            base = ramp->to_per_s;
            continue;
        }
        double progress = (double)(t_us - ramp->at_us) / (double)ramp->for_us;
        *slope_per_us = (ramp->to_per_s - base) / (double)ramp->for_us;
        return base + (ramp->to_per_s - base) * progress;
    }
    return base;
}

double wl_rate_at(const scn_rate *rate, int64_t t_us)
{
    double slope_per_us;
    return rate_and_slope(rate, t_us, &slope_per_us);
}

/* The earliest time >= t_us at which the rate changes (a spike or ramp edge). */
static int64_t next_rate_edge(const scn_rate *rate, int64_t t_us)
{
    int64_t edge = INT64_MAX;
    for (uint32_t i = 0; i < rate->spike_count; i++) {
        int64_t a = rate->spikes[i].at_us, b = a + rate->spikes[i].for_us;
        if (a > t_us && a < edge) edge = a;
        if (b > t_us && b < edge) edge = b;
    }
    for (uint32_t i = 0; i < rate->ramp_count; i++) {
        int64_t a = rate->ramps[i].at_us, b = a + rate->ramps[i].for_us;
        if (a > t_us && a < edge) edge = a;
        if (b > t_us && b < edge) edge = b;
    }
    return edge;
}

double wl_expected_count(const scn_rate *rate, int64_t end_us)
{
    BL_ASSERT(end_us > 0);
    /* Piece by piece, from one rate edge to the next (next_rate_edge walks them in
     * order): within a piece the rate is constant or linear (a ramp), so the integral
     * there is the length times the rate at the middle. */
    double messages = 0;
    for (int64_t from_us = 0; from_us < end_us;) {
        int64_t edge_us = next_rate_edge(rate, from_us);
        int64_t to_us = edge_us < end_us ? edge_us : end_us;
        double slope_per_us, length_us = (double)(to_us - from_us);
        double rate_per_s = rate_and_slope(rate, from_us, &slope_per_us);
        messages += (rate_per_s + slope_per_us * length_us / 2) * length_us / 1e6;
        from_us = to_us;
    }
    BL_ASSERT(messages >= 0);
    return messages;
}

static int64_t draw_key(wl_generator *gen)
{
    switch (gen->keys.kind) {
    case SCN_KEYS_NONE: return -1;
    case SCN_KEYS_UNIFORM: return (int64_t)gsl_rng_uniform_int(gen->rng_keys, gen->keys.count);
    case SCN_KEYS_SEQUENTIAL: return (int64_t)(gen->sequential_next++ % gen->keys.count);
    case SCN_KEYS_ZIPF: return (int64_t)gsl_ran_discrete(gen->rng_keys, gen->zipf_table);
    }
    BL_ASSERT(false);
    return -1;
}

/* Adds `gap_us` (>= 0, less than what is left of the int64 range after t) to an instant. */
static wl_instant instant_add(wl_instant t, double gap_us)
{
    double whole_us = floor(gap_us);
    wl_instant next = {t.us + (int64_t)whole_us, t.frac_us + (gap_us - whole_us)};
    if (next.frac_us >= 1) {
        next.us += 1;
        next.frac_us -= 1;
    }
    return next;
}

/* The next arrival instant after `t` (exact, not rounded): where the rate's integral
 * from t reaches `need` messages, or `none` when it does not before the end. Constant
 * arrivals need 1 message each, Poisson ones a unit exponential draw: both are the time
 * change of a unit-rate process by the integral of the rate (exact for any schedule, and
 * for Poisson the exact non-homogeneous process), so a schedule's edges carry what was
 * accumulated towards the next arrival: a spike after a 100 s gap at 0.01/s starts at
 * once instead of after the gap. The integral is exact per piece: constant (base,
 * spike) or linear (ramp; the crossing is the root of a quadratic, in its stable form).
 * An instant is a whole microsecond plus a fraction in [0, 1): the fraction carries
 * what a gap adds below a microsecond, so the rate holds exactly over a run whatever
 * the gap (700000/s gives 700000 arrivals a second, not one per µs; each sum of fractions
 * errs by about 1e-16 µs, 1e-7 µs after 1e9 arrivals), and no sum can overflow: a gap is
 * added only when it ends inside the piece, so a gap of 1e19 µs ends the schedule
 * instead of wrapping an int64. Plain doubles, not long double: valgrind emulates x87
 * arithmetic at 64 bits, and the arrivals must be the same under it. */
static wl_instant draw_arrival_after(const wl_generator *gen, wl_instant t, double need)
{
    const wl_instant none = {INT64_MAX, 0};
    if (need < 1e-300) need = 1e-300; /* a draw of exactly 0 */
    for (;;) {
        BL_ASSERT(t.frac_us >= 0 && t.frac_us < 1 && need > 0);
        if (t.us >= gen->end_us) return none;
        double slope_per_us; /* of the rate in messages/s */
        double rate_per_s =
            rate_and_slope(gen->rate, t.us, &slope_per_us) + slope_per_us * t.frac_us;
        if (rate_per_s < 0) rate_per_s = 0;
        int64_t edge = next_rate_edge(gen->rate, t.us);
        int64_t stop = edge < gen->end_us ? edge : gen->end_us;
        double span_us = (double)(stop - t.us) - t.frac_us;
        double messages = (rate_per_s * span_us + 0.5 * slope_per_us * span_us * span_us) / 1e6;
        if (messages < need) { /* not in this piece: carry the rest to the next one */
            if (stop == gen->end_us) return none;
            need -= messages;
            t = (wl_instant){edge, 0};
            continue;
        }
        double need_us = need * 1e6; /* in (messages/s) x µs */
        double gap_us =
            slope_per_us == 0
                ? need_us / rate_per_s
                : 2 * need_us /
                      (rate_per_s +
                       sqrt(fmax(0, rate_per_s * rate_per_s + 2 * slope_per_us * need_us)));
        if (!(gap_us < span_us)) gap_us = span_us; /* rounding: it ends the piece */
        wl_instant next = instant_add(t, gap_us);
        return next.us < gen->end_us ? next : none;
    }
}

/* What the next arrival needs: one message, or a unit exponential draw for Poisson. */
static double draw_need(wl_generator *gen)
{
    return gen->arrival == SCN_ARRIVAL_POISSON ? gsl_ran_exponential(gen->rng_arrivals, 1.0) : 1.0;
}

/* The relations the scenario's schema checks, one property per assert. */
static void assert_options(const wl_options *options)
{
    const scn_rate *rate = options->rate;
    BL_ASSERT(options->end_us > 0);
    BL_ASSERT(options->stream_name != NULL);
    BL_ASSERT(rate->base_per_s >= 0);
    BL_ASSERT(rate->spike_count <= SCN_SPIKES_MAX);
    BL_ASSERT(rate->ramp_count <= SCN_RAMPS_MAX);
    for (uint32_t i = 0; i < rate->spike_count; i++) {
        BL_ASSERT(rate->spikes[i].for_us > 0);
        BL_ASSERT(rate->spikes[i].rate_per_s >= 0);
    }
    for (uint32_t i = 0; i < rate->ramp_count; i++) {
        BL_ASSERT(rate->ramps[i].for_us > 0);
        BL_ASSERT(rate->ramps[i].to_per_s >= 0);
        for (uint32_t j = 0; j < i; j++) /* ramps do not overlap */
            BL_ASSERT(rate->ramps[i].at_us >= rate->ramps[j].at_us + rate->ramps[j].for_us ||
                      rate->ramps[j].at_us >= rate->ramps[i].at_us + rate->ramps[i].for_us);
    }
    BL_ASSERT(options->keys.kind == SCN_KEYS_NONE || options->keys.count >= 1);
    BL_ASSERT(options->keys.kind != SCN_KEYS_ZIPF || options->keys.zipf_s > 0);
}

void wl_init(wl_generator *gen, const wl_options *options)
{
    char name[160];
    assert_options(options);
    const char *stream_name = options->stream_name;
    uint64_t seed = options->seed;
    gen->rate = options->rate;
    gen->arrival = options->arrival;
    gen->keys = options->keys;
    gen->end_us = options->end_us;
    gen->sequential_next = 0;
    gen->zipf_table = NULL;
    snprintf(name, sizeof name, "%s/arrivals", stream_name);
    gen->rng_arrivals = rng_stream(seed, name);
    snprintf(name, sizeof name, "%s/keys", stream_name);
    gen->rng_keys = rng_stream(seed, name);
    if (gen->keys.kind == SCN_KEYS_ZIPF) {
        double *weights = malloc(gen->keys.count * sizeof *weights);
        BL_ASSERT(weights != NULL);
        for (uint32_t k = 0; k < gen->keys.count; k++)
            weights[k] = 1.0 / pow(k + 1.0, gen->keys.zipf_s);
        gen->zipf_table = gsl_ran_discrete_preproc(gen->keys.count, weights);
        free(weights);
        BL_ASSERT(gen->zipf_table != NULL);
    }
    /* The first arrival: at 0 if the rate is positive there (constant arrivals), else
     * the first one drawn. */
    const wl_instant zero = {0, 0};
    gen->next_exact = gen->arrival != SCN_ARRIVAL_POISSON && wl_rate_at(gen->rate, 0) > 0
                          ? zero
                          : draw_arrival_after(gen, zero, draw_need(gen));
    gen->next_us = gen->next_exact.us; /* the microsecond it falls in, or INT64_MAX */
    gen->next_key = gen->next_us == INT64_MAX ? -1 : draw_key(gen);
}

void wl_advance(wl_generator *gen)
{
    BL_ASSERT(gen->next_us != INT64_MAX);
    int64_t previous_us = gen->next_us;
    gen->next_exact = draw_arrival_after(gen, gen->next_exact, draw_need(gen));
    gen->next_us = gen->next_exact.us;
    BL_ASSERT(gen->next_us >= previous_us); /* intended times never go back */
    gen->next_key = gen->next_us == INT64_MAX ? -1 : draw_key(gen);
}

void wl_free(wl_generator *gen)
{
    gsl_rng_free(gen->rng_arrivals);
    gsl_rng_free(gen->rng_keys);
    if (gen->zipf_table != NULL) gsl_ran_discrete_free(gen->zipf_table);
}
