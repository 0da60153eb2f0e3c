/* test_kafka_producer_state.c — the broker's idempotent-producer checks
 * (ProducerAppendInfo.checkSequence, ProducerStateEntry.findDuplicateBatch): duplicates
 * among the last five batches, gaps, epochs, an unknown producer; and the state a log
 * rebuilds from its batches after a truncation or a power loss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../test_util.h"
#include "kafka_test_disk.h"

#include "../../models/kafka/kafka_log.h"

static kafka_producer_stamp stamp(uint32_t pid, int16_t epoch, int32_t sequence)
{
    return (kafka_producer_stamp){
        .producer_id = pid, .producer_epoch = epoch, .base_sequence = sequence};
}

static kafka_sequence_verdict check(const kafka_producer_state *state, kafka_producer_stamp s,
                                    uint32_t count, int64_t *base)
{
    *base = -7;
    return kafka_producer_state_check(state, s, count, base);
}

static void an_unknown_producer_may_start_anywhere(void **unused)
{
    kafka_producer_state state;
    kafka_producer_state_init(&state);
    int64_t base;
    assert_int_equal(check(&state, stamp(1, 0, 0), 3, &base), KAFKA_SEQUENCE_APPEND);
    assert_int_equal(check(&state, stamp(1, 0, 40), 3, &base), KAFKA_SEQUENCE_APPEND);
    assert_int_equal(check(&state, stamp(1, 5, 40), 3, &base), KAFKA_SEQUENCE_APPEND);
    kafka_producer_state_free(&state);
}

static void sequences_must_follow_within_an_epoch(void **unused)
{
    kafka_producer_state state;
    kafka_producer_state_init(&state);
    int64_t base;
    kafka_producer_state_update(&state, stamp(1, 0, 0), 3, 100); /* seqs 0..2 at 100..102 */
    assert_int_equal(check(&state, stamp(1, 0, 3), 2, &base), KAFKA_SEQUENCE_APPEND);
    assert_int_equal(check(&state, stamp(1, 0, 4), 2, &base), KAFKA_SEQUENCE_OUT_OF_ORDER);
    assert_int_equal(check(&state, stamp(1, 0, 1), 2, &base), KAFKA_SEQUENCE_OUT_OF_ORDER);
    /* another producer is not affected */
    assert_int_equal(check(&state, stamp(2, 0, 9), 1, &base), KAFKA_SEQUENCE_APPEND);
    kafka_producer_state_free(&state);
}

static void a_duplicate_of_the_last_five_batches_answers_its_offset(void **unused)
{
    kafka_producer_state state;
    kafka_producer_state_init(&state);
    int64_t base;
    for (int32_t b = 0; b < 6; b++) /* batches of 2: seqs 2b, 2b+1 at offset 10 * b */
        kafka_producer_state_update(&state, stamp(1, 0, 2 * b), 2, 10 * b);
    /* the oldest of six is gone: batches 1..5 are kept */
    assert_int_equal(check(&state, stamp(1, 0, 2), 2, &base), KAFKA_SEQUENCE_DUPLICATE);
    assert_int_equal(base, 10);
    assert_int_equal(check(&state, stamp(1, 0, 10), 2, &base), KAFKA_SEQUENCE_DUPLICATE);
    assert_int_equal(base, 50);
    assert_int_equal(check(&state, stamp(1, 0, 0), 2, &base), KAFKA_SEQUENCE_OUT_OF_ORDER);
    /* the same start but another range is no duplicate */
    assert_int_equal(check(&state, stamp(1, 0, 10), 1, &base), KAFKA_SEQUENCE_OUT_OF_ORDER);
    kafka_producer_state_free(&state);
}

static void epochs_fence_and_restart_at_zero(void **unused)
{
    kafka_producer_state state;
    kafka_producer_state_init(&state);
    int64_t base;
    kafka_producer_state_update(&state, stamp(1, 1, 0), 4, 0);
    assert_int_equal(check(&state, stamp(1, 0, 4), 1, &base), KAFKA_SEQUENCE_INVALID_EPOCH);
    assert_int_equal(check(&state, stamp(1, 2, 4), 1, &base), KAFKA_SEQUENCE_OUT_OF_ORDER);
    assert_int_equal(check(&state, stamp(1, 2, 0), 1, &base), KAFKA_SEQUENCE_APPEND);
    /* a new epoch forgets the old epoch's batches */
    kafka_producer_state_update(&state, stamp(1, 2, 0), 1, 4);
    assert_int_equal(check(&state, stamp(1, 1, 0), 4, &base), KAFKA_SEQUENCE_INVALID_EPOCH);
    assert_int_equal(check(&state, stamp(1, 2, 0), 1, &base), KAFKA_SEQUENCE_DUPLICATE);
    assert_int_equal(base, 4);
    kafka_producer_state_free(&state);
}

static void sequences_wrap_after_int32_max(void **unused)
{
    assert_int_equal(kafka_sequence_add(INT32_MAX - 1, 1), INT32_MAX);
    assert_int_equal(kafka_sequence_add(INT32_MAX, 1), 0);
    assert_int_equal(kafka_sequence_add(INT32_MAX - 1, 3), 1);
    kafka_producer_state state;
    kafka_producer_state_init(&state);
    int64_t base;
    kafka_producer_state_update(&state, stamp(1, 0, INT32_MAX - 1), 2, 0);
    assert_int_equal(check(&state, stamp(1, 0, 0), 1, &base), KAFKA_SEQUENCE_APPEND);
    kafka_producer_state_free(&state);
}

static void append(kafka_log *log, disk *d, kafka_producer_stamp s, uint32_t count, int64_t now_us)
{
    uint64_t ids[8] = {0};
    int32_t keys[8] = {0};
    assert_true(kafka_log_append(log, d, ids, keys, count, 100 * count, s, now_us) >= 0);
}

static void truncation_and_recovery_rebuild_the_state_from_the_batches(void **unused)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    kafka_log_init(&log, &d, KAFKA_TEST_SEGMENTS);
    int64_t base;
    append(&log, &d, stamp(1, 0, 0), 2, 0);
    append(&log, &d, KAFKA_NO_STAMP, 3, 0); /* a non-idempotent producer's */
    append(&log, &d, stamp(1, 0, 2), 2, 0);
    assert_int_equal(check(&log.producers, stamp(1, 0, 2), 2, &base), KAFKA_SEQUENCE_DUPLICATE);
    assert_int_equal(base, 5);
    kafka_log_truncate(&log, &d, 5); /* the last batch goes */
    assert_int_equal(check(&log.producers, stamp(1, 0, 2), 2, &base), KAFKA_SEQUENCE_APPEND);
    assert_int_equal(check(&log.producers, stamp(1, 0, 0), 2, &base), KAFKA_SEQUENCE_DUPLICATE);
    assert_int_equal(base, 0);
    /* a power loss before writeback: the batches lost, the producer unknown again */
    disk_power_loss(&d);
    kafka_log_recover(&log, &d);
    assert_int_equal(log.end_offset, 0);
    assert_int_equal(check(&log.producers, stamp(1, 0, 7), 1, &base), KAFKA_SEQUENCE_APPEND);
    kafka_log_free(&log);
    disk_free(&d);
}

static void a_follower_run_keeps_the_leaders_batches(void **unused)
{
    disk d;
    make_disk(&d);
    kafka_log log;
    kafka_log_init(&log, &d, KAFKA_TEST_SEGMENTS);
    uint64_t ids[5] = {1, 2, 3, 4, 5};
    int32_t keys[5] = {0};
    kafka_batch_header headers[2] = {{.count = 2, .stamp = stamp(1, 0, 0)},
                                     {.count = 3, .stamp = KAFKA_NO_STAMP}};
    assert_int_equal(kafka_log_append_run(&log, &d, ids, keys, headers, 2, 61, 100, 0), 0);
    assert_int_equal(log.end_offset, 5);
    assert_int_equal(bl_ring_count(&log.batches), 2);
    const kafka_log_batch *first = BL_RING_AT(&log.batches, kafka_log_batch, 0);
    const kafka_log_batch *second = BL_RING_AT(&log.batches, kafka_log_batch, 1);
    assert_int_equal(first->end_bytes, 61 + 200);
    assert_int_equal(second->end_bytes, log.file->size_bytes);
    assert_int_equal(second->base_offset, 2);
    assert_int_equal(kafka_log_batch_at(&log, 4), 1);
    assert_int_equal(kafka_log_batch_at(&log, 1), 0);
    int64_t base;
    assert_int_equal(check(&log.producers, stamp(1, 0, 0), 2, &base), KAFKA_SEQUENCE_DUPLICATE);
    assert_int_equal(base, 0);
    kafka_log_free(&log);
    disk_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_unknown_producer_may_start_anywhere),
        cmocka_unit_test(sequences_must_follow_within_an_epoch),
        cmocka_unit_test(a_duplicate_of_the_last_five_batches_answers_its_offset),
        cmocka_unit_test(epochs_fence_and_restart_at_zero),
        cmocka_unit_test(sequences_wrap_after_int32_max),
        cmocka_unit_test(truncation_and_recovery_rebuild_the_state_from_the_batches),
        cmocka_unit_test(a_follower_run_keeps_the_leaders_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
