/* test_kafka_idempotence.c — the idempotent producer's client rules (TransactionManager,
 * RecordAccumulator): sequences assigned at the first drain and kept through retries,
 * retries sent one at a time in sequence order, the epoch bump on a real gap and its
 * rewrite of the batches in flight, unresolved sequences after an expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../test_util.h"

#include "../../models/kafka/kafka_idempotence.h"
#include "../../models/kafka/kafka_producer.h"

static kafka_batch make_batch(uint32_t id, uint32_t partition, uint32_t count)
{
    return (kafka_batch){.id = id,
                         .partition = partition,
                         .count = count,
                         .base_sequence = KAFKA_NO_SEQUENCE,
                         .producer_epoch = KAFKA_NO_PRODUCER_EPOCH};
}

static void nothing_is_drained_without_a_producer_id(void **unused)
{
    kafka_idempotence kid;
    kafka_idempotence_init(&kid, true, 2);
    kafka_batch a = make_batch(1, 0, 3);
    assert_true(kafka_idempotence_stop_drain(&kid, &a));
    kafka_idempotence_set_producer_id(&kid, 42);
    assert_false(kafka_idempotence_stop_drain(&kid, &a));
    kafka_idempotence_free(&kid);
    /* without idempotence nothing is held back and batches carry no stamp */
    kafka_idempotence_init(&kid, false, 2);
    assert_false(kafka_idempotence_stop_drain(&kid, &a));
    kafka_idempotence_on_drain(&kid, &a);
    assert_int_equal(kafka_idempotence_stamp(&kid, &a).producer_id, KAFKA_NO_PRODUCER_ID);
    kafka_idempotence_free(&kid);
}

static void sequences_are_assigned_once_and_retries_go_in_order(void **unused)
{
    kafka_idempotence kid;
    kafka_idempotence_init(&kid, true, 2);
    kafka_idempotence_set_producer_id(&kid, 42);
    kafka_batch a = make_batch(1, 0, 3), b = make_batch(2, 0, 2), c = make_batch(3, 1, 4);
    kafka_idempotence_on_drain(&kid, &a);
    kafka_idempotence_on_drain(&kid, &b);
    kafka_idempotence_on_drain(&kid, &c);
    assert_int_equal(a.base_sequence, 0);
    assert_int_equal(b.base_sequence, 3);
    assert_int_equal(c.base_sequence, 0); /* per partition */
    kafka_producer_stamp s = kafka_idempotence_stamp(&kid, &b);
    assert_int_equal(s.producer_id, 42);
    assert_int_equal(s.producer_epoch, 0);
    assert_int_equal(s.base_sequence, 3);
    /* b failed and is retried: it waits for a, the lowest sequence in flight */
    assert_true(kafka_idempotence_can_retry(&kid, &b, KAFKA_REQUEST_TIMED_OUT));
    assert_true(kafka_idempotence_stop_drain(&kid, &b));  /* not the lowest in flight */
    assert_false(kafka_idempotence_stop_drain(&kid, &a)); /* the lowest goes */
    kafka_idempotence_on_drain(&kid, &a);
    assert_int_equal(a.base_sequence, 0); /* kept */
    kafka_idempotence_on_success(&kid, &a);
    assert_false(kafka_idempotence_stop_drain(&kid, &b));
    kafka_idempotence_on_success(&kid, &b);
    assert_int_equal(kid.partitions[0].last_acked_sequence, 4);
    kafka_idempotence_free(&kid);
}

static void a_real_gap_bumps_the_epoch_and_rewrites_the_batches_in_flight(void **unused)
{
    kafka_idempotence kid;
    kafka_idempotence_init(&kid, true, 2);
    kafka_idempotence_set_producer_id(&kid, 7);
    kafka_batch a = make_batch(1, 0, 3), b = make_batch(2, 0, 2), c = make_batch(3, 1, 1);
    kafka_idempotence_on_drain(&kid, &a);
    kafka_idempotence_on_drain(&kid, &b);
    kafka_idempotence_on_drain(&kid, &c);
    /* b is out of order but not next (a is not acknowledged): retried, no bump */
    assert_true(kafka_idempotence_can_retry(&kid, &b, KAFKA_OUT_OF_ORDER_SEQUENCE));
    assert_false(kid.bump_required);
    /* a is the next one and out of order: a gap in the log, so bump */
    assert_true(kafka_idempotence_can_retry(&kid, &a, KAFKA_OUT_OF_ORDER_SEQUENCE));
    assert_true(kid.bump_required);
    kafka_idempotence_on_run(&kid);
    assert_int_equal(kid.epoch, 1);
    assert_int_equal(a.base_sequence, 0);
    assert_int_equal(b.base_sequence, 3);
    assert_int_equal(a.producer_epoch, 1);
    assert_true(a.reopened);
    assert_int_equal(kid.partitions[0].next_sequence, 5);
    /* partition 1 keeps its old epoch while c is in flight: new batches wait */
    kafka_batch d = make_batch(4, 1, 1);
    assert_true(kafka_idempotence_stop_drain(&kid, &d));
    kafka_idempotence_on_success(&kid, &c);
    assert_false(kafka_idempotence_stop_drain(&kid, &d));
    kafka_idempotence_on_drain(&kid, &d);
    assert_int_equal(d.base_sequence, 0); /* restarted at 0 in epoch 1 */
    assert_int_equal(d.producer_epoch, 1);
    kafka_idempotence_free(&kid);
}

static void an_expired_retry_leaves_its_partition_unresolved(void **unused)
{
    kafka_idempotence kid;
    kafka_idempotence_init(&kid, true, 1);
    kafka_idempotence_set_producer_id(&kid, 7);
    kafka_batch a = make_batch(1, 0, 2), b = make_batch(2, 0, 2);
    kafka_idempotence_on_drain(&kid, &a);
    kafka_idempotence_on_drain(&kid, &b);
    a.reenqueued = true;
    kafka_idempotence_on_expired(&kid, &a); /* it may have been written */
    kafka_batch c = make_batch(3, 0, 1);
    assert_true(kafka_idempotence_stop_drain(&kid, &c)); /* unresolved */
    kafka_idempotence_on_run(&kid);                      /* b still in flight: wait */
    assert_false(kid.bump_required);
    assert_true(kafka_idempotence_stop_drain(&kid, &c));
    /* b was acknowledged: a's records arrived, so the sequence resolves without a bump */
    kafka_idempotence_on_success(&kid, &b);
    kafka_idempotence_on_run(&kid);
    assert_int_equal(kid.epoch, 0);
    assert_false(kafka_idempotence_stop_drain(&kid, &c));
    /* the same, but b fails for good too: nothing proves a arrived, so bump */
    kafka_idempotence_on_drain(&kid, &c);
    c.reenqueued = true;
    kafka_idempotence_on_expired(&kid, &c);
    kafka_idempotence_on_run(&kid);
    assert_int_equal(kid.epoch, 1);
    assert_int_equal(kid.partitions[0].next_sequence, 0);
    kafka_idempotence_free(&kid);
}

static void a_batch_failing_with_retries_left_bumps_the_epoch(void **unused)
{
    kafka_idempotence kid;
    kafka_idempotence_init(&kid, true, 1);
    kafka_idempotence_set_producer_id(&kid, 7);
    kafka_batch a = make_batch(1, 0, 2);
    kafka_idempotence_on_drain(&kid, &a);
    kafka_idempotence_on_failed(&kid, &a, KAFKA_REQUEST_TIMED_OUT, false); /* retries out */
    kafka_idempotence_on_run(&kid);
    assert_int_equal(kid.epoch, 0);
    kafka_batch b = make_batch(2, 0, 2);
    kafka_idempotence_on_drain(&kid, &b);
    kafka_idempotence_on_failed(&kid, &b, KAFKA_REQUEST_TIMED_OUT, true); /* delivery timeout */
    kafka_idempotence_on_run(&kid);
    assert_int_equal(kid.epoch, 1);
    kafka_idempotence_free(&kid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nothing_is_drained_without_a_producer_id),
        cmocka_unit_test(sequences_are_assigned_once_and_retries_go_in_order),
        cmocka_unit_test(a_real_gap_bumps_the_epoch_and_rewrites_the_batches_in_flight),
        cmocka_unit_test(an_expired_retry_leaves_its_partition_unresolved),
        cmocka_unit_test(a_batch_failing_with_retries_left_bumps_the_epoch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
