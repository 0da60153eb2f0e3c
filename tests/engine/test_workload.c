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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constant_rate_with_a_spike_is_exact),
        cmocka_unit_test(ramp_changes_the_base_rate),
        cmocka_unit_test(poisson_is_deterministic_and_has_the_right_mean),
        cmocka_unit_test(constant_rates_are_exact_at_any_gap),
        cmocka_unit_test(tiny_rates_send_what_the_rate_says),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
