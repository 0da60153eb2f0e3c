/* test_kafka_position.c — KIP-320 position validation (kafka_position.c) on the answers a
 * leader gives from its epoch cache: every branch of maybeCompleteValidation, and the RF 1
 * power loss the issue names: position 5,000 in epoch 0, the log recovered to 3,000 and
 * re-filled to 4,000 in epoch 2 by the re-elected leader: fetching resumes at 3,000 (not
 * at auto_offset_reset, not at 5,000 past 1,000 new records). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../models/kafka/kafka_epoch.h"
#include "../../models/kafka/kafka_position.h"

static void assert_position(kafka_position at, int64_t offset, int32_t epoch)
{
    assert_int_equal(at.offset, offset);
    assert_int_equal(at.leader_epoch, epoch);
}

static void test_branches(void **unused)
{
    (void)unused;
    kafka_position at = {.offset = 100, .leader_epoch = 3};
    /* the epoch is unknown to the leader: reset by policy */
    assert_position(kafka_position_validated(at, KAFKA_EPOCH_NONE, -1), -1, KAFKA_EPOCH_NONE);
    /* the epoch ended below the position: truncated under it, resume at the end */
    assert_position(kafka_position_validated(at, 2, 80), 80, 2);
    /* it ended at or above: the position stands */
    assert_position(kafka_position_validated(at, 3, 100), 100, 3);
    assert_position(kafka_position_validated(at, 3, 150), 100, 3);
}

static void test_rf1_power_loss_resumes_at_the_recovered_end(void **unused)
{
    (void)unused;
    kafka_epoch_cache leader = {0};
    kafka_epoch_assign(&leader, 0, 0);
    /* power loss: the log recovers to 3,000; fenced (epoch 1, no leader), re-elected in
     * epoch 2, which starts at the recovered end; producers re-fill it to 4,000 */
    kafka_epoch_truncate_from_end(&leader, 3000);
    kafka_epoch_assign(&leader, 2, 3000);
    kafka_position at = {.offset = 5000, .leader_epoch = 0};
    kafka_epoch_end end = kafka_epoch_end_offset_for(&leader, at.leader_epoch, 4000);
    assert_position(kafka_position_validated(at, end.epoch, end.end_offset), 3000, 0);
    /* a consumer already in epoch 2 keeps its position */
    kafka_position current = {.offset = 3500, .leader_epoch = 2};
    end = kafka_epoch_end_offset_for(&leader, current.leader_epoch, 4000);
    assert_position(kafka_position_validated(current, end.epoch, end.end_offset), 3500, 2);
    kafka_epoch_free(&leader);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_branches),
        cmocka_unit_test(test_rf1_power_loss_resumes_at_the_recovered_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
