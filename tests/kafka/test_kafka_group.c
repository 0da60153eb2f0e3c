/* test_kafka_group.c — group coordination without a simulation: range assignment,
 * cooperative hand-over (a partition is never owned twice), zombie commits rejected,
 * session expiry, and which committed offsets survive a power loss, also after many
 * commits and writebacks (the ring of offset writes waiting to become durable). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../test_util.h"
#include "kafka_test_disk.h"

#include "../../models/kafka/kafka_group.h"

#define SECOND S

static scn_scenario *make_scenario(uint32_t partitions)
{
    scn_scenario *scenario = calloc(1, sizeof *scenario);
    scenario->topic_count = 1;
    scenario->topics[0].partition_count = partitions;
    scenario->consumer_count = 1;
    kafka_consumer_options options = {.session_timeout_us = 10 * SECOND,
                                      .heartbeat_interval_us = SECOND,
                                      .max_poll_records = 500,
                                      .commit_interval_us = 5 * SECOND,
                                      .fetch_min_bytes = 1,
                                      .fetch_max_bytes = 1 << 20};
    memcpy(scenario->consumers[0].family.bytes, &options, sizeof options);
    return scenario;
}

/* Sends a heartbeat claiming `owned` (count partitions) and returns the response. */
static kafka_msg *heartbeat(kafka_group *group, uint32_t member, const uint32_t *owned,
                            uint32_t count, int64_t now_us)
{
    kafka_msg *request = kafka_msg_new(KAFKA_HEARTBEAT_REQUEST, count);
    request->member_id = member;
    for (uint32_t i = 0; i < count; i++) request->parts[i].partition = owned[i];
    kafka_msg *response = kafka_msg_new(KAFKA_HEARTBEAT_RESPONSE, 0);
    kafka_group_heartbeat(group, request, member, now_us, response);
    kafka_msg_free(request);
    return response;
}

static uint32_t granted(const kafka_msg *response, uint32_t *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < response->part_count; i++)
        if (response->parts[i].error == KAFKA_OK) out[n++] = response->parts[i].partition;
    return n;
}

static void partitions_move_only_after_release(void **state)
{
    scn_scenario *scenario = make_scenario(4);
    disk d;
    make_disk(&d);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, &d);
    uint32_t owned_a[4], owned_b[4];
    kafka_msg *r = heartbeat(&group, 10, NULL, 0, 0);
    assert_int_equal(granted(r, owned_a), 4); /* alone: everything */
    kafka_msg_free(r);
    r = heartbeat(&group, 20, NULL, 0, 1); /* B joins: range gives it 2 and 3 ... */
    assert_int_equal(r->part_count, 2);
    assert_int_equal(granted(r, owned_b), 0); /* ... but A still holds them */
    kafka_msg_free(r);
    r = heartbeat(&group, 10, owned_a, 4, 2); /* A still claims all four */
    assert_int_equal(r->part_count, 2);
    kafka_msg_free(r);
    uint32_t keep[2] = {0, 1};
    r = heartbeat(&group, 10, keep, 2, 3); /* A released 2 and 3 */
    kafka_msg_free(r);
    r = heartbeat(&group, 20, NULL, 0, 4);
    assert_int_equal(granted(r, owned_b), 2);
    assert_int_equal(owned_b[0], 2);
    assert_int_equal(owned_b[1], 3);
    kafka_msg_free(r);
    kafka_group_free(&group);
    disk_free(&d);
    free(scenario);
}

static void zombie_commit_fails_and_expiry_frees_partitions(void **state)
{
    scn_scenario *scenario = make_scenario(2);
    disk d;
    make_disk(&d);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, &d);
    kafka_msg_free(heartbeat(&group, 10, NULL, 0, 0));
    kafka_msg *commit = kafka_msg_new(KAFKA_COMMIT_REQUEST, 1);
    commit->member_id = 10;
    commit->parts[0].partition = 1;
    commit->parts[0].offset = 42;
    assert_int_equal(kafka_group_commit(&group, &d, commit, 1), KAFKA_OK);
    assert_int_equal(group.committed[1], 42);
    kafka_msg_free(heartbeat(&group, 20, NULL, 0, 2 * SECOND));
    /* Member 10 goes silent: evicted after its 10 s session timeout. */
    kafka_group_expire(&group, 11 * SECOND);
    assert_int_equal(group.member_count, 1);
    assert_int_equal(kafka_group_commit(&group, &d, commit, 11 * SECOND), KAFKA_UNKNOWN_MEMBER);
    kafka_msg *r = heartbeat(&group, 20, NULL, 0, 11 * SECOND);
    uint32_t owned[2];
    assert_int_equal(granted(r, owned), 2); /* the survivor gets everything, from 42 on p1 */
    assert_int_equal(r->parts[1].offset, 42);
    kafka_msg_free(r);
    kafka_msg_free(commit);
    kafka_group_free(&group);
    disk_free(&d);
    free(scenario);
}

static void power_loss_forgets_offsets_not_written_back(void **state)
{
    scn_scenario *scenario = make_scenario(1);
    disk d;
    make_disk(&d);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, &d);
    kafka_msg_free(heartbeat(&group, 10, NULL, 0, 0));
    kafka_msg *commit = kafka_msg_new(KAFKA_COMMIT_REQUEST, 1);
    commit->member_id = 10;
    commit->parts[0].offset = 100;
    assert_int_equal(kafka_group_commit(&group, &d, commit, 0), KAFKA_OK);
    disk_writeback(&d, 31 * SECOND); /* older than dirty_expire: durable */
    kafka_group_sync_durable(&group);
    commit->parts[0].offset = 200;
    assert_int_equal(kafka_group_commit(&group, &d, commit, 32 * SECOND), KAFKA_OK);
    disk_power_loss(&d);
    kafka_group_restart(&group, true);
    assert_int_equal(group.committed[0], 100);
    assert_int_equal(group.member_count, 0);
    kafka_msg_free(commit);
    kafka_group_free(&group);
    disk_free(&d);
    free(scenario);
}

/* Commits of two partitions every second, a writeback every 5 s: the writes ring takes
 * them at the back and gives the durable ones (older than dirty_expire, 30 s) back at the
 * front, wrapping around and growing; a power loss keeps exactly the durable offsets. */
static void durable_offsets_follow_writeback_across_many_commits(void **state)
{
    scn_scenario *scenario = make_scenario(2);
    disk d;
    make_disk(&d);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, &d);
    kafka_msg_free(heartbeat(&group, 10, NULL, 0, 0));
    kafka_msg *commit = kafka_msg_new(KAFKA_COMMIT_REQUEST, 2);
    commit->member_id = 10;
    commit->parts[0].partition = 0;
    commit->parts[1].partition = 1;
    for (int64_t t = 1; t <= 300; t++) {
        if (t % 5 == 0) { /* the broker's writeback timer */
            disk_writeback(&d, t * SECOND);
            kafka_group_sync_durable(&group);
        }
        commit->parts[0].offset = t;
        commit->parts[1].offset = 1000 + t;
        assert_int_equal(kafka_group_commit(&group, &d, commit, t * SECOND), KAFKA_OK);
        assert_int_equal(group.committed[0], t);
        /* Durable: what was committed 30 s or more before the last writeback. */
        int64_t durable = t / 5 * 5 - 30 >= 1 ? t / 5 * 5 - 30 : -1;
        assert_int_equal(group.committed_durable[0], durable);
        assert_int_equal(group.committed_durable[1], durable < 0 ? -1 : 1000 + durable);
        assert_int_equal(bl_ring_count(&group.writes), 2 * (durable < 0 ? t : t - durable));
    }
    disk_power_loss(&d);
    kafka_group_restart(&group, true);
    assert_int_equal(group.committed[0], 270); /* the writeback at 300 s kept up to 270 s */
    assert_int_equal(group.committed[1], 1270);
    assert_int_equal(bl_ring_count(&group.writes), 0);
    kafka_msg_free(commit);
    kafka_group_free(&group);
    disk_free(&d);
    free(scenario);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partitions_move_only_after_release),
        cmocka_unit_test(zombie_commit_fails_and_expiry_frees_partitions),
        cmocka_unit_test(power_loss_forgets_offsets_not_written_back),
        cmocka_unit_test(durable_offsets_follow_writeback_across_many_commits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
