/* test_kafka_partition.c — the leader's follower states, high watermark and ISR
 * decisions (kafka_partition.c) against Kafka's Replica and Partition rules, on a
 * partition with replicas {0, 1, 2} led by broker 0, and truncation of the log
 * (kafka_log_truncate) as a follower cuts back to its leader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../models/kafka/kafka_partition.h"
#include "kafka_test_disk.h"

#define LAG (30 * S)

typedef struct fixture {
    disk d;
    kafka_partition_state state;
    kafka_partition p;
} fixture;

static void append(fixture *f, uint32_t count)
{
    uint64_t ids[64];
    int32_t keys[64];
    for (uint32_t i = 0; i < count; i++) {
        ids[i] = (uint64_t)f->p.log.end_offset + i + 1;
        keys[i] = -1;
    }
    assert_true(
        kafka_log_append(&f->p.log, &f->d, ids, keys, count, 100 * count, KAFKA_NO_STAMP, 0) >= 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    make_disk(&f->d);
    f->state = (kafka_partition_state){
        .replicas = {0, 1, 2}, .replica_count = 3, .leader = 0, .isr_brokers = 7};
    f->p.state = &f->state;
    kafka_log_init(&f->p.log, &f->d, KAFKA_TEST_SEGMENTS);
    kafka_partition_lead(&f->p, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kafka_log_free(&f->p.log);
    kafka_epoch_free(&f->p.epochs);
    disk_free(&f->d);
    free(f);
    return 0;
}

/* Replica.updateFetchStateOrThrow: caught up now when fetching the leader's LEO; at its
 * previous fetch when fetching at least what the LEO was then; else unchanged. */
static void test_last_caught_up_three_cases(void **state)
{
    fixture *f = *state;
    append(f, 10);                                        /* LEO 10 */
    kafka_partition_update_follower(&f->p, 1, 10, 1 * S); /* at the LEO */
    assert_int_equal(f->p.followers[1].last_caught_up_us, 1 * S);
    assert_int_equal(f->p.followers[1].last_fetch_leader_leo, 10);
    append(f, 5);                                         /* LEO 15 */
    kafka_partition_update_follower(&f->p, 1, 12, 2 * S); /* >= the LEO of its last fetch */
    assert_int_equal(f->p.followers[1].last_caught_up_us, 1 * S);
    assert_int_equal(f->p.followers[1].last_fetch_leader_leo, 15);
    append(f, 5);                                         /* LEO 20 */
    kafka_partition_update_follower(&f->p, 1, 15, 3 * S); /* = the LEO at its 2 s fetch */
    assert_int_equal(f->p.followers[1].last_caught_up_us, 2 * S);
    kafka_partition_update_follower(&f->p, 1, 14, 4 * S); /* below it: unchanged */
    assert_int_equal(f->p.followers[1].last_caught_up_us, 2 * S);
    assert_int_equal(f->p.followers[1].leo, 14);
}

/* The HW is the leader's LEO lowered to every ISR member's LEO; it waits for each ISR
 * follower's first fetch after the leader took over (K3), and never goes down. */
static void test_hw_is_the_min_leo_of_the_isr(void **state)
{
    fixture *f = *state;
    append(f, 10);
    assert_false(kafka_partition_maybe_increment_hw(&f->p, 7, 1, ~0u, 1 * S, LAG));
    assert_int_equal(f->p.hw, 0); /* no follower fetched yet */
    kafka_partition_update_follower(&f->p, 1, 10, 1 * S);
    assert_false(kafka_partition_maybe_increment_hw(&f->p, 7, 1, ~0u, 1 * S, LAG));
    kafka_partition_update_follower(&f->p, 2, 6, 1 * S);
    assert_true(kafka_partition_maybe_increment_hw(&f->p, 7, 1, ~0u, 1 * S, LAG));
    assert_int_equal(f->p.hw, 6);
    kafka_partition_update_follower(&f->p, 2, 10, 2 * S);
    assert_true(kafka_partition_maybe_increment_hw(&f->p, 7, 1, ~0u, 2 * S, LAG));
    assert_int_equal(f->p.hw, 10);
    /* a follower's LEO going down (it truncated) never lowers the leader's HW */
    kafka_partition_update_follower(&f->p, 2, 4, 3 * S);
    assert_false(kafka_partition_maybe_increment_hw(&f->p, 7, 1, ~0u, 3 * S, LAG));
    assert_int_equal(f->p.hw, 10);
}

/* A replica outside the ISR that is caught up holds the HW back (it is about to join:
 * Partition.maybeIncrementLeaderHW's shouldWaitForReplicaToJoinIsr) until it has not
 * been caught up for longer than the lag. */
static void test_caught_up_non_isr_replica_holds_the_hw(void **state)
{
    fixture *f = *state;
    append(f, 10);
    kafka_partition_update_follower(&f->p, 1, 10, 1 * S);
    kafka_partition_update_follower(&f->p, 2, 4, 1 * S); /* last caught up at 0 (lead) */
    uint32_t isr = 1u | 2u;                              /* broker 2 outside */
    assert_true(kafka_partition_maybe_increment_hw(&f->p, isr, 1, ~0u, 1 * S, LAG));
    assert_int_equal(f->p.hw, 4); /* held by broker 2, caught up within the lag */
    assert_true(kafka_partition_maybe_increment_hw(&f->p, isr, 1, ~0u, LAG + 1, LAG));
    assert_int_equal(f->p.hw, 10); /* past the lag: no longer waited for */
}

/* K2 (Kafka >= 3.7): under min ISR the HW does not move. */
static void test_hw_frozen_under_min_isr(void **state)
{
    fixture *f = *state;
    append(f, 10);
    kafka_partition_update_follower(&f->p, 1, 10, 1 * S);
    kafka_partition_update_follower(&f->p, 2, 10, 1 * S);
    assert_false(kafka_partition_maybe_increment_hw(&f->p, 1u, 2, ~0u, 1 * S, LAG)); /* ISR {0} */
    assert_int_equal(f->p.hw, 0);
    assert_true(kafka_partition_maybe_increment_hw(&f->p, 3u, 2, ~0u, 1 * S, LAG));
    assert_int_equal(f->p.hw, 10);
}

/* Out of sync strictly after the lag (Replica.isCaughtUp: <= lag is caught up); a
 * follower at the leader's LEO is caught up however long ago it fetched. */
static void test_out_of_sync_after_the_lag(void **state)
{
    fixture *f = *state;
    append(f, 10);
    kafka_partition_update_follower(&f->p, 1, 10, 0);
    kafka_partition_update_follower(&f->p, 2, 5, 0);
    assert_int_equal(kafka_partition_out_of_sync(&f->p, 7, LAG, LAG), 0);
    assert_int_equal(kafka_partition_out_of_sync(&f->p, 7, LAG + 1, LAG), 1u << 2);
    /* only ISR members are candidates, and never the leader */
    assert_int_equal(kafka_partition_out_of_sync(&f->p, 3, LAG + 1, LAG), 0);
}

/* Partition.isFollowerInSync: LEO >= HW and >= the leader epoch's start offset. */
static void test_may_join_isr(void **state)
{
    fixture *f = *state;
    append(f, 10);
    kafka_partition_update_follower(&f->p, 1, 10, 1 * S);
    kafka_partition_update_follower(&f->p, 2, 10, 1 * S);
    assert_true(kafka_partition_maybe_increment_hw(&f->p, 7, 1, ~0u, 1 * S, LAG));
    kafka_partition_update_follower(&f->p, 2, 9, 2 * S);
    assert_false(kafka_partition_may_join_isr(&f->p, 2)); /* below the HW */
    kafka_partition_update_follower(&f->p, 2, 10, 3 * S);
    assert_true(kafka_partition_may_join_isr(&f->p, 2));
    f->p.epoch_start_offset = 11; /* a leader that took over at 11 */
    assert_false(kafka_partition_may_join_isr(&f->p, 2));
}

/* kafka_log_truncate cuts at batch granularity (a batch holding the offset goes whole)
 * and kafka_log_reset_at restarts an empty log at a later offset. */
static void test_log_truncate(void **state)
{
    fixture *f = *state;
    append(f, 4); /* [0, 4) */
    append(f, 4); /* [4, 8) */
    append(f, 4); /* [8, 12) */
    assert_int_equal(kafka_log_truncate(&f->p.log, &f->d, 12), 12);
    assert_int_equal(kafka_log_truncate(&f->p.log, &f->d, 6), 4);
    assert_int_equal(f->p.log.file->size_bytes, 400); /* one batch of 4 x 100 bytes */
    assert_int_equal(f->d.dirty_bytes, 400);
    append(f, 2);
    assert_int_equal(f->p.log.end_offset, 6);
    assert_int_equal(kafka_log_msg(&f->p.log, 5), 6);
    kafka_log_reset_at(&f->p.log, &f->d, 40);
    assert_int_equal(f->p.log.start_offset, 40);
    assert_int_equal(f->p.log.end_offset, 40);
    assert_int_equal(f->d.dirty_bytes, 0);
    append(f, 1);
    assert_int_equal(kafka_log_msg(&f->p.log, 40), 41);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_last_caught_up_three_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hw_is_the_min_leo_of_the_isr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_caught_up_non_isr_replica_holds_the_hw, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hw_frozen_under_min_isr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_sync_after_the_lag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_may_join_isr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_truncate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
