/* test_workload.c — rate schedules (spikes, ramps) and arrivals: exact counts for
 * constant arrivals, determinism and the right mean for Poisson, key ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constant_rate_with_a_spike_is_exact),
        cmocka_unit_test(ramp_changes_the_base_rate),
        cmocka_unit_test(poisson_is_deterministic_and_has_the_right_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
