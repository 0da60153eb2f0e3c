/* test_workload.c — rate schedules (spikes, ramps) and arrivals: exact counts for
 * constant arrivals at any rate, tiny rates, determinism and the right mean for
 * Poisson, key ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "../test_util.h"

#include "../../engine/workload.h"

#define SECOND S

static scn_producer make_producer(double base_per_s)
{
    scn_producer producer;
    memset(&producer, 0, sizeof producer);
    producer.rate.base_per_s = base_per_s;
    producer.keys.kind = SCN_KEYS_UNIFORM;
    producer.keys.count = 10;
    return producer;
}

static uint64_t count_arrivals(wl_generator *gen, int64_t from_us, int64_t to_us)
{
    uint64_t n = 0;
    while (gen->next_us < to_us) {
        if (gen->next_us >= from_us) n++;
        assert_true(gen->next_key >= 0 && gen->next_key < 10);
        wl_advance(gen);
    }
    return n;
}

static void constant_rate_with_a_spike_is_exact(void **state)
{
    scn_producer producer = make_producer(100);
    producer.rate.spikes[0] =
        (scn_spike){.at_us = 10 * SECOND, .for_us = 10 * SECOND, .rate_per_s = 10000};
    producer.rate.spike_count = 1;
    wl_generator gen;
    wl_init(&gen, &(wl_options){.rate = &producer.rate,
                                .arrival = producer.arrival,
                                .keys = producer.keys,
                                .end_us = 30 * SECOND,
                                .seed = 1,
                                .stream_name = "test"});
    assert_int_equal(count_arrivals(&gen, 0, 10 * SECOND), 1000);
    assert_int_equal(count_arrivals(&gen, 10 * SECOND, 20 * SECOND), 100000);
    assert_int_equal(count_arrivals(&gen, 20 * SECOND, 30 * SECOND), 1000);
    assert_int_equal(gen.next_us, INT64_MAX); /* nothing at or after the end */
    wl_free(&gen);
}

static void ramp_changes_the_base_rate(void **state)
{
    scn_producer producer = make_producer(0);
    producer.rate.ramps[0] = (scn_ramp){.at_us = 0, .for_us = 10 * SECOND, .to_per_s = 1000};
    producer.rate.ramp_count = 1;
    assert_true(wl_rate_at(&producer.rate, 5 * SECOND) == 500);
    assert_true(wl_rate_at(&producer.rate, 20 * SECOND) == 1000);
    wl_generator gen;
    wl_init(&gen, &(wl_options){.rate = &producer.rate,
                                .arrival = producer.arrival,
                                .keys = producer.keys,
                                .end_us = 20 * SECOND,
                                .seed = 1,
                                .stream_name = "test"});
    uint64_t after = count_arrivals(&gen, 10 * SECOND, 20 * SECOND);
    assert_true(after >= 9990 && after <= 10010);
    wl_free(&gen);
}

static void poisson_is_deterministic_and_has_the_right_mean(void **state)
{
    scn_producer producer = make_producer(1000);
    producer.arrival = SCN_ARRIVAL_POISSON;
    wl_generator a, b;
    wl_init(&a, &(wl_options){.rate = &producer.rate,
                              .arrival = producer.arrival,
                              .keys = producer.keys,
                              .end_us = 100 * SECOND,
                              .seed = 7,
                              .stream_name = "p"});
    wl_init(&b, &(wl_options){.rate = &producer.rate,
                              .arrival = producer.arrival,
                              .keys = producer.keys,
                              .end_us = 100 * SECOND,
                              .seed = 7,
                              .stream_name = "p"});
    uint64_t n = 0;
    while (a.next_us != INT64_MAX) {
        assert_int_equal(a.next_us, b.next_us);
        assert_int_equal(a.next_key, b.next_key);
        wl_advance(&a);
        wl_advance(&b);
        n++;
    }
    assert_true(n > 99000 && n < 101000); /* 100,000 expected, sd ~316 */
    wl_free(&a);
    wl_free(&b);
}

static uint64_t count_constant(double rate_per_s, int64_t end_us)
{
    scn_producer producer = make_producer(rate_per_s);
    wl_generator gen;
    wl_init(&gen, &(wl_options){.rate = &producer.rate,
                                .arrival = producer.arrival,
                                .keys = producer.keys,
                                .end_us = end_us,
                                .seed = 1,
                                .stream_name = "exact"});
    uint64_t n = count_arrivals(&gen, 0, end_us);
    assert_int_equal(gen.next_us, INT64_MAX);
    wl_free(&gen);
    return n;
}

/* Issue 16 defect 4: the rate holds over a run whatever the gap; no 1 µs floor, no
 * rounding of each gap (700000/s gave 1,000,000, 400000/s gave 333,334). */
static void constant_rates_are_exact_at_any_gap(void **state)
{
    static const double rates[] = {700000, 400000, 3000000, 1e9, 333333, 7, 0.5};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        int64_t end_us = rates[i] >= 1e8 ? SECOND / 100 : 10 * SECOND;
        double expected = rates[i] * (double)end_us / 1e6;
        uint64_t n = count_constant(rates[i], end_us);
        /* k arrivals at k/rate, k = 0, 1, ...: ceil(expected) of them before the end */
        assert_true(fabs((double)n - ceil(expected)) <= 1);
    }
}

/* Defects 2 and 3: a tiny rate (after a spike) neither overflows the clock nor floods
 * the run: 1e-13/s sends the one arrival at 0 and nothing else. */
static void tiny_rates_send_what_the_rate_says(void **state)
{
    assert_int_equal(count_constant(1e-13, 2 * SECOND), 1);
    scn_producer producer = make_producer(1e-18);
    producer.rate.spikes[0] = (scn_spike){.at_us = 0, .for_us = SECOND, .rate_per_s = 1000};
    producer.rate.spike_count = 1;
    wl_generator gen;
    wl_init(&gen, &(wl_options){.rate = &producer.rate,
                                .arrival = SCN_ARRIVAL_POISSON,
                                .keys = producer.keys,
                                .end_us = 3600 * SECOND,
                                .seed = 3,
                                .stream_name = "tiny"});
    uint64_t n = count_arrivals(&gen, 0, 3600 * SECOND);
    assert_true(n > 900 && n < 1100); /* the spike's second, then nothing */
    wl_free(&gen);
}

/* A rate across the format's whole range, 0/s..1e9/s, log-uniform (and 0 at times). */
static double draw_rate(gsl_rng *rng)
{
    return gsl_rng_uniform(rng) < 0.1 ? 0 : pow(10, -3 + 12 * gsl_rng_uniform(rng));
}

/* The time and rates class (issue 16): schedules drawn across the documented ranges
 * (rates 0..1e9/s, durations 1 µs..30 d, up to 32 spikes and 32 ramps anywhere), both
 * arrival kinds. The count matches the rate's integral: constant arrivals within 1 (and
 * 1e-9 of it, the sum of fractions), Poisson within 6 standard deviations; the clock
 * never goes back, and the microsecond of every arrival is before the end. Durations
 * are cut so a schedule asks for at most 2e5 messages (the test's cost, not a limit). */
static void counts_match_the_rate_integral(void **state)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 16);
    for (uint32_t round = 0; round < 400; round++) {
        scn_producer producer = make_producer(draw_rate(rng));
        scn_rate *rate = &producer.rate;
        int64_t end_us = 1 + (int64_t)pow(10, 12.4 * gsl_rng_uniform(rng)); /* up to ~30 d */
        rate->spike_count = gsl_rng_uniform_int(rng, 4) == 0 ? gsl_rng_uniform_int(rng, 33) : 0;
        for (uint32_t i = 0; i < rate->spike_count; i++) {
            int64_t at_us = (int64_t)(gsl_rng_uniform(rng) * (double)end_us);
            int64_t for_us = 1 + (int64_t)(gsl_rng_uniform(rng) * (double)end_us);
            rate->spikes[i] = (scn_spike){at_us, for_us, draw_rate(rng)};
        }
        rate->ramp_count = gsl_rng_uniform_int(rng, 3) == 0 ? gsl_rng_uniform_int(rng, 33) : 0;
        int64_t from_us = 0;
        for (uint32_t i = 0; i < rate->ramp_count; i++) { /* disjoint, in order */
            int64_t at_us = from_us + (int64_t)(gsl_rng_uniform(rng) * (double)end_us / 32);
            int64_t for_us = 1 + (int64_t)(gsl_rng_uniform(rng) * (double)end_us / 32);
            rate->ramps[i] = (scn_ramp){at_us, for_us, draw_rate(rng)};
            from_us = at_us + for_us;
        }
        /* the test's cost: scale the whole schedule's time down until it asks for 2e5 */
        while (wl_expected_count(rate, end_us) > 2e5 && end_us > 1) end_us /= 2;
        double expected = wl_expected_count(rate, end_us);
        if (expected > 2e5) continue; /* 1e9/s in its first µs: nothing to scale */
        scn_arrival arrival = round % 2 ? SCN_ARRIVAL_POISSON : SCN_ARRIVAL_CONSTANT;
        wl_generator gen;
        wl_init(&gen, &(wl_options){.rate = rate,
                                    .arrival = arrival,
                                    .keys = producer.keys,
                                    .end_us = end_us,
                                    .seed = round,
                                    .stream_name = "property"});
        uint64_t n = 0;
        int64_t previous_us = 0;
        while (gen.next_us != INT64_MAX) {
            assert_true(gen.next_us >= previous_us && gen.next_us < end_us);
            previous_us = gen.next_us;
            n++;
            wl_advance(&gen);
        }
        wl_free(&gen);
        /* constant: arrivals where the integral reaches 0 (if the rate is positive at 0),
         * 1, 2, ...: floor or floor + 1 of the integral */
        double tolerance =
            arrival == SCN_ARRIVAL_CONSTANT ? 1 + 1e-9 * expected : 6 * sqrt(expected) + 1;
        if (fabs((double)n - expected) > tolerance)
            fail_msg("round %u (%s): %llu arrivals for an integral of %.3f over %lld us", round,
                     arrival == SCN_ARRIVAL_CONSTANT ? "constant" : "poisson",
                     (unsigned long long)n, expected, (long long)end_us);
    }
    gsl_rng_free(rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constant_rate_with_a_spike_is_exact),
        cmocka_unit_test(ramp_changes_the_base_rate),
        cmocka_unit_test(poisson_is_deterministic_and_has_the_right_mean),
        cmocka_unit_test(constant_rates_are_exact_at_any_gap),
        cmocka_unit_test(tiny_rates_send_what_the_rate_says),
        cmocka_unit_test(counts_match_the_rate_integral),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
