/* test_kafka_partitioner.c — the sticky partitioner's rules (kafka_partitioner.c) against
 * BuiltInPartitioner: when it switches (batch.size produced and the last batch full, or
 * twice batch.size), and which partition the next draw picks: uniform over the leaders
 * known when their queues are equal, weighted by maxQueue + 1 - queue otherwise, any
 * partition when no leader is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../models/kafka/kafka_partitioner.h"

static void test_switch_rule(void **unused)
{
    (void)unused;
    assert_false(kafka_partitioner_should_switch(1000, 16384, true));   /* too little yet */
    assert_false(kafka_partitioner_should_switch(16384, 16384, false)); /* last batch open */
    assert_true(kafka_partitioner_should_switch(16384, 16384, true));
    assert_true(kafka_partitioner_should_switch(32768, 16384, false)); /* twice: anyway */
}

static void test_next_partition(void **unused)
{
    (void)unused;
    uint32_t partitions[3] = {0, 2, 5}, equal[3] = {1, 1, 1}, uneven[3] = {0, 2, 1};
    /* equal queues: uniform over the candidates */
    assert_int_equal(kafka_partitioner_next(partitions, equal, 3, 6, 0), 0);
    assert_int_equal(kafka_partitioner_next(partitions, equal, 3, 6, 4), 2);
    assert_int_equal(kafka_partitioner_next(partitions, equal, 3, 6, 8), 5);
    /* queues 0, 2, 1 batches: max 2, weights 3, 1, 2 of 6 */
    uint32_t picked[6] = {0};
    for (uint32_t draw = 0; draw < 6; draw++)
        picked[kafka_partitioner_next(partitions, uneven, 3, 6, draw)]++;
    assert_int_equal(picked[0], 3);
    assert_int_equal(picked[2], 1);
    assert_int_equal(picked[5], 2);
    /* no leader known: any of the topic's partitions */
    assert_int_equal(kafka_partitioner_next(partitions, equal, 0, 6, 11), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_switch_rule),
        cmocka_unit_test(test_next_partition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
