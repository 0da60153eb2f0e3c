/* test_kafka_epoch.c — the leader-epoch cache (kafka_epoch.c) against
 * LeaderEpochFileCache: assign's rules, truncateFromEnd, every endOffsetFor case, and
 * the divergence the leader reports to a follower and where the follower truncates
 * (KIP-101's scenarios on two in-memory caches), and the controller's election rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../models/kafka/kafka_controller.h"
#include "../../models/kafka/kafka_epoch.h"

static uint16_t elect_clean(const kafka_partition_state *state, uint32_t isr, uint32_t active)
{
    uint32_t isr_out = 0, elr_out = 0;
    uint16_t leader = kafka_controller_elect(state, isr, 0, active, false, &isr_out, &elr_out);
    assert_int_equal(isr_out, isr);
    return leader;
}

static void assert_end(kafka_epoch_end end, int32_t epoch, int64_t offset)
{
    assert_int_equal(end.epoch, epoch);
    assert_int_equal(end.end_offset, offset);
}

static void test_assign_rules(void **unused)
{
    (void)unused;
    kafka_epoch_cache cache = {0};
    assert_int_equal(kafka_epoch_latest(&cache), KAFKA_EPOCH_NONE);
    kafka_epoch_assign(&cache, 0, 0);
    kafka_epoch_assign(&cache, 0, 5); /* same epoch, later start: nothing */
    assert_int_equal(cache.count, 1);
    kafka_epoch_assign(&cache, 2, 10);
    kafka_epoch_assign(&cache, 4, 20);
    assert_int_equal(cache.count, 3);
    /* a lower epoch, or an earlier start, drops what it overlaps */
    kafka_epoch_assign(&cache, 3, 15);
    assert_int_equal(cache.count, 3);
    assert_int_equal(kafka_epoch_latest(&cache), 3);
    assert_int_equal(cache.entries[2].start_offset, 15);
    kafka_epoch_truncate_from_end(&cache, 10);
    assert_int_equal(cache.count, 1);
    assert_int_equal(kafka_epoch_latest(&cache), 0);
    kafka_epoch_free(&cache);
}

/* endOffsetFor: undefined, the latest (LEO), between entries, below the first. */
static void test_end_offset_for(void **unused)
{
    (void)unused;
    kafka_epoch_cache cache = {0};
    assert_end(kafka_epoch_end_offset_for(&cache, 0, 7), KAFKA_EPOCH_NONE, -1);
    kafka_epoch_assign(&cache, 2, 10);
    kafka_epoch_assign(&cache, 4, 20);
    kafka_epoch_assign(&cache, 5, 30);
    assert_end(kafka_epoch_end_offset_for(&cache, KAFKA_EPOCH_NONE, 40), KAFKA_EPOCH_NONE, -1);
    assert_end(kafka_epoch_end_offset_for(&cache, 5, 40), 5, 40); /* latest: the LEO */
    assert_end(kafka_epoch_end_offset_for(&cache, 4, 40), 4, 30);
    assert_end(kafka_epoch_end_offset_for(&cache, 3, 40), 2, 20); /* floor 2, ends at 20 */
    assert_end(kafka_epoch_end_offset_for(&cache, 1, 40), 1, 10); /* below the first */
    assert_end(kafka_epoch_end_offset_for(&cache, 6, 40), KAFKA_EPOCH_NONE, -1); /* above */
    assert_end(kafka_epoch_run_at(&cache, 25, 40), 4, 30);
    assert_end(kafka_epoch_run_at(&cache, 35, 40), 5, 40);
    assert_end(kafka_epoch_run_at(&cache, 5, 40), KAFKA_EPOCH_NONE, 10);
    kafka_epoch_free(&cache);
}

/* KIP-101 scenario 2 (divergence): A led epoch 0 and wrote offsets 0..2; B copied
 * 0..1. A dies; B leads epoch 1 from offset 2 and writes 2..3. A returns as a
 * follower with last epoch 0, offset 3: B answers "epoch 0 ended at 2", and A
 * truncates to min(its end for epoch 0, 2) = 2, dropping its own offset 2, where B has
 * a different record. */
static void test_divergence_truncation_point(void **unused)
{
    (void)unused;
    kafka_epoch_cache a = {0}, b = {0};
    kafka_epoch_assign(&a, 0, 0); /* A: epoch 0 from 0, LEO 3 */
    kafka_epoch_assign(&b, 0, 0); /* B: epoch 0 from 0 */
    kafka_epoch_assign(&b, 1, 2); /* B: epoch 1 from 2, LEO 4 */
    kafka_epoch_end leader = kafka_epoch_end_offset_for(&b, kafka_epoch_latest(&a), 4);
    assert_end(leader, 0, 2); /* diverging: epoch 0 ended at 2, below A's offset 3 */
    kafka_epoch_end mine = kafka_epoch_end_offset_for(&a, leader.epoch, 3);
    assert_end(mine, 0, 3);
    int64_t target = mine.end_offset < leader.end_offset ? mine.end_offset : leader.end_offset;
    assert_int_equal(target, 2);
    /* KIP-279: a follower that never saw the leader's epoch truncates to its own end
     * for it and asks again */
    kafka_epoch_cache c = {0};
    kafka_epoch_assign(&c, 0, 0);
    kafka_epoch_assign(&c, 3, 5); /* C: epochs 0 and 3 */
    kafka_epoch_end c_for_2 = kafka_epoch_end_offset_for(&c, 2, 9);
    assert_end(c_for_2, 0, 5); /* C has no epoch 2: floor 0, which it ends at 5 */
    kafka_epoch_free(&a);
    kafka_epoch_free(&b);
    kafka_epoch_free(&c);
}

/* PartitionChangeBuilder.electLeader without ELR or unclean: keep the current leader if
 * acceptable, else the first acceptable ISR replica in replica order, else none. */
static void test_election_rule(void **unused)
{
    (void)unused;
    kafka_partition_state state = {.replicas = {2, 0, 1}, .replica_count = 3, .leader = 2};
    assert_int_equal(elect_clean(&state, 7, 7), 2);               /* keep */
    assert_int_equal(elect_clean(&state, 7, 3), 0);               /* 2 fenced: 0 first */
    assert_int_equal(elect_clean(&state, 2, 3), 1);               /* ISR {1} */
    assert_int_equal(elect_clean(&state, 4, 3), KAFKA_NO_LEADER); /* ISR {2} */
    state.leader = KAFKA_NO_LEADER;
    assert_int_equal(elect_clean(&state, 4, 7), 2); /* unfenced again */
}

/* Election.UNCLEAN: only when no in-sync replica is acceptable, the first active replica
 * in replica order, whose ISR becomes itself alone. */
static void test_unclean_election(void **unused)
{
    (void)unused;
    kafka_partition_state state = {
        .replicas = {2, 0, 1}, .replica_count = 3, .leader = KAFKA_NO_LEADER};
    uint32_t isr = 0, elr = 0;
    /* an in-sync replica is active: a clean election, unclean allowed or not */
    assert_int_equal(kafka_controller_elect(&state, 1u << 1, 0, 3, true, &isr, &elr), 1);
    assert_int_equal(isr, 1u << 1);
    /* ISR {2}, fenced; 0 and 1 active: 0 (replica order), ISR {0} */
    assert_int_equal(kafka_controller_elect(&state, 1u << 2, 0, 3, true, &isr, &elr), 0);
    assert_int_equal(isr, 1u << 0);
    /* without it: offline, the ISR kept */
    assert_int_equal(kafka_controller_elect(&state, 1u << 2, 0, 3, false, &isr, &elr),
                     KAFKA_NO_LEADER);
    assert_int_equal(isr, 1u << 2);
    /* nobody active: offline either way */
    assert_int_equal(kafka_controller_elect(&state, 1u << 2, 0, 0, true, &isr, &elr),
                     KAFKA_NO_LEADER);
    assert_int_equal(isr, 1u << 2);
}

/* KIP-966: an ISR that falls below min.insync.replicas leaves its members eligible;
 * with the ISR empty an eligible replica is elected cleanly (the ISR becomes it), and
 * an uncleanly restarted broker is not eligible; at or above min ISR the ELR is empty. */
static void test_eligible_leader_replicas(void **unused)
{
    (void)unused;
    kafka_partition_state state = {
        .replicas = {0, 1, 2}, .replica_count = 3, .leader = 0, .isr_brokers = 0x7};
    /* ISR {0,1,2} -> {0,1}: still at min ISR 2, no ELR */
    assert_int_equal(kafka_controller_target_elr(&state, 0x3, 2, true, 0), 0);
    state.isr_brokers = 0x3;
    /* -> {0}: 1 becomes eligible; ELR off: none */
    assert_int_equal(kafka_controller_target_elr(&state, 0x1, 2, true, 0), 0x2);
    assert_int_equal(kafka_controller_target_elr(&state, 0x1, 2, false, 0), 0);
    state.isr_brokers = 0x1;
    state.elr_brokers = 0x2;
    /* the leader 0 is fenced: ISR empty, ELR {0,1}; 1 is active and elected from the ELR */
    uint32_t elr = kafka_controller_target_elr(&state, 0, 2, true, 0);
    assert_int_equal(elr, 0x3);
    uint32_t isr_out = 0, elr_out = 0;
    assert_int_equal(kafka_controller_elect(&state, 0, elr, 0x2 | 0x4, false, &isr_out, &elr_out),
                     1);
    assert_int_equal(isr_out, 0x2);
    assert_int_equal(elr_out, 0x1);
    /* 2 was never in the ISR when it fell below min: not eligible, no leader */
    assert_int_equal(kafka_controller_elect(&state, 0, 0x1, 0x4, false, &isr_out, &elr_out),
                     KAFKA_NO_LEADER);
    /* an unclean restart of 1 takes it out */
    assert_int_equal(kafka_controller_target_elr(&state, 0, 2, true, 0x2), 0x1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assign_rules),
        cmocka_unit_test(test_end_offset_for),
        cmocka_unit_test(test_divergence_truncation_point),
        cmocka_unit_test(test_election_rule),
        cmocka_unit_test(test_unclean_election),
        cmocka_unit_test(test_eligible_leader_replicas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
