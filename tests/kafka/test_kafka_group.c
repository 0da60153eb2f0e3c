/* test_kafka_group.c — group coordination without a simulation: range assignment,
 * cooperative hand-over (a partition is never owned twice), zombie commits rejected,
 * session expiry, commits visible only below the offsets partition's high watermark, and
 * failover: a coordinator loading the group from a replica of its offsets log gets the
 * members, ownership and committed offsets back, and nothing above the high watermark. */
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

static bool is_member(const kafka_group *group, uint32_t member)
{
    for (uint32_t m = 0; m < group->member_count; m++)
        if (group->members[m].member_id == member) return true;
    return false;
}

/* Sends a heartbeat claiming `owned` (count partitions) and returns the response; a
 * member the group does not have joins with it. */
static kafka_msg *heartbeat(kafka_group *group, uint32_t member, const uint32_t *owned,
                            uint32_t count, int64_t now_us)
{
    kafka_msg *request = kafka_msg_new(KAFKA_HEARTBEAT_REQUEST, count);
    request->member_id = member;
    request->joining = !is_member(group, member);
    for (uint32_t i = 0; i < count; i++) request->parts[i].partition = owned[i];
    kafka_msg *response = kafka_msg_new(KAFKA_HEARTBEAT_RESPONSE, 0);
    kafka_group_heartbeat(group, request, now_us, response);
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

/* A replica of the group's offsets partition, on a disk of its own. */
typedef struct offsets_log {
    disk d;
    kafka_log log;
} offsets_log;

static void offsets_log_open(offsets_log *o)
{
    make_disk(&o->d);
    kafka_log_init(&o->log, &o->d, KAFKA_TEST_SEGMENTS);
}

static void offsets_log_close(offsets_log *o)
{
    kafka_log_free(&o->log);
    disk_free(&o->d);
}

/* The coordinator's side of a commit: checked, encoded, appended to the offsets log. */
static kafka_error commit(kafka_group *group, offsets_log *o, uint32_t member, uint32_t partition,
                          int64_t offset)
{
    kafka_msg *request = kafka_msg_new(KAFKA_COMMIT_REQUEST, 1);
    request->member_id = member;
    request->parts[0].partition = partition;
    request->parts[0].offset = offset;
    kafka_error error = kafka_group_check_commit(group, request);
    if (error == KAFKA_OK) {
        uint64_t msg_ids[1];
        int32_t keys[1];
        uint32_t n = kafka_group_commit_records(group, request, msg_ids, keys);
        int64_t base =
            kafka_log_append(&o->log, &o->d, msg_ids, keys, n, 64 * n, KAFKA_NO_STAMP, 0);
        assert_true(base >= 0);
        kafka_group_commit_appended(group, request, base + n);
    }
    kafka_msg_free(request);
    return error;
}

/* The coordinator's side of a change: the group's snapshot appended to the offsets log. */
static void snapshot(kafka_group *group, offsets_log *o)
{
    static uint64_t msg_ids[KAFKA_GROUP_SNAPSHOT_RECORDS_MAX];
    static int32_t keys[KAFKA_GROUP_SNAPSHOT_RECORDS_MAX];
    assert_true(group->changed);
    uint32_t n = kafka_group_snapshot_records(group, msg_ids, keys);
    assert_false(group->changed);
    assert_true(kafka_log_append(&o->log, &o->d, msg_ids, keys, n, 64 * n, KAFKA_NO_STAMP, 0) >= 0);
}

static void partitions_move_only_after_release(void **state)
{
    scn_scenario *scenario = make_scenario(4);
    kafka_group group;
    kafka_group_init(&group, scenario, 0);
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
    free(scenario);
}

static void zombie_commit_fails_and_expiry_frees_partitions(void **state)
{
    scn_scenario *scenario = make_scenario(2);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group group;
    kafka_group_init(&group, scenario, 0);
    kafka_msg_free(heartbeat(&group, 10, NULL, 0, 0));
    assert_int_equal(commit(&group, &o, 10, 1, 42), KAFKA_OK);
    kafka_group_on_high_watermark(&group, o.log.end_offset);
    assert_int_equal(group.committed_stable[1], 42);
    kafka_msg_free(heartbeat(&group, 20, NULL, 0, 2 * SECOND));
    /* Member 10 goes silent: evicted after its 10 s session timeout. */
    kafka_group_expire(&group, 11 * SECOND);
    assert_int_equal(group.member_count, 1);
    assert_int_equal(commit(&group, &o, 10, 1, 50), KAFKA_UNKNOWN_MEMBER);
    /* its next heartbeat is not a join: UNKNOWN_MEMBER_ID, and the group stays as it is */
    kafka_msg *late = kafka_msg_new(KAFKA_HEARTBEAT_REQUEST, 1);
    late->member_id = 10;
    late->parts[0].partition = 0; /* it still thinks it owns partition 0 */
    kafka_msg *refused = kafka_msg_new(KAFKA_HEARTBEAT_RESPONSE, 0);
    kafka_group_heartbeat(&group, late, 11 * SECOND, refused);
    assert_int_equal(refused->error, KAFKA_UNKNOWN_MEMBER);
    assert_int_equal(refused->part_count, 0);
    assert_int_equal(group.member_count, 1);
    kafka_msg_free(late);
    kafka_msg_free(refused);
    kafka_msg *r = heartbeat(&group, 20, NULL, 0, 11 * SECOND);
    uint32_t owned[2];
    assert_int_equal(granted(r, owned), 2); /* the survivor gets everything, from 42 on p1 */
    assert_int_equal(r->parts[1].offset, 42);
    kafka_msg_free(r);
    kafka_group_free(&group);
    offsets_log_close(&o);
    free(scenario);
}

/* OffsetFetch reads the state at the high watermark: a grant carries an offset only
 * once the commit's record is replicated. */
static void commit_visible_only_below_high_watermark(void **state)
{
    scn_scenario *scenario = make_scenario(1);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group group;
    kafka_group_init(&group, scenario, 0);
    kafka_msg_free(heartbeat(&group, 10, NULL, 0, 0));
    assert_int_equal(commit(&group, &o, 10, 0, 7), KAFKA_OK);
    assert_int_equal(commit(&group, &o, 10, 0, 9), KAFKA_OK);
    assert_int_equal(group.committed_stable[0], -1);
    kafka_group_on_high_watermark(&group, 1); /* the first commit only */
    assert_int_equal(group.committed_stable[0], 7);
    kafka_group_on_high_watermark(&group, 2);
    assert_int_equal(group.committed_stable[0], 9);
    kafka_group_free(&group);
    offsets_log_close(&o);
    free(scenario);
}

/* GroupMetadataManager.onLoaded: a new coordinator replays its replica of the offsets
 * partition: the last snapshot's members (fresh sessions), generation and ownership,
 * and the commits; what lies at or above its high watermark stays invisible until the
 * high watermark passes it. */
static void failover_restores_members_ownership_and_offsets(void **state)
{
    scn_scenario *scenario = make_scenario(4);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group old;
    kafka_group_init(&old, scenario, 0);
    uint32_t all[4] = {0, 1, 2, 3}, keep[2] = {0, 1};
    kafka_msg_free(heartbeat(&old, 10, NULL, 0, 0));
    snapshot(&old, &o);
    kafka_msg_free(heartbeat(&old, 20, NULL, 0, 1));
    snapshot(&old, &o);
    kafka_msg_free(heartbeat(&old, 10, keep, 2, 2)); /* A hands 2 and 3 over */
    snapshot(&old, &o);
    kafka_msg_free(heartbeat(&old, 20, NULL, 0, 3)); /* B takes them */
    snapshot(&old, &o);
    assert_int_equal(commit(&old, &o, 10, 0, 100), KAFKA_OK);
    assert_int_equal(commit(&old, &o, 20, 3, 300), KAFKA_OK);
    int64_t hw = o.log.end_offset;
    assert_int_equal(commit(&old, &o, 20, 3, 333), KAFKA_OK); /* not replicated yet */
    kafka_group loaded;
    kafka_group_init(&loaded, scenario, 0);
    kafka_group_load(&loaded, &o.log, hw, 50 * SECOND);
    assert_int_equal(loaded.member_count, 2);
    assert_int_equal(loaded.generation, old.generation);
    assert_int_equal(loaded.members[0].last_heartbeat_us, 50 * SECOND); /* fresh sessions */
    for (uint32_t p = 0; p < 4; p++) {
        assert_int_equal(loaded.owner[p], old.owner[p]);
        assert_int_equal(loaded.target[p], old.target[p]);
    }
    assert_int_equal(loaded.committed_stable[0], 100);
    assert_int_equal(loaded.committed_stable[3], 300);
    assert_false(loaded.changed);
    /* B keeps 2 and 3 at once: no rebalance, no second owner */
    kafka_msg *r = heartbeat(&loaded, 20, &all[2], 2, 51 * SECOND);
    uint32_t owned[4];
    assert_int_equal(granted(r, owned), 2);
    assert_int_equal(r->parts[1].offset, 300);
    assert_false(loaded.changed);
    kafka_msg_free(r);
    kafka_group_on_high_watermark(&loaded, o.log.end_offset);
    assert_int_equal(loaded.committed_stable[3], 333);
    /* A's session restarted at the load: it expires 10 s later, not earlier */
    kafka_group_expire(&loaded, 59 * SECOND);
    assert_int_equal(loaded.member_count, 2);
    kafka_group_expire(&loaded, 60 * SECOND);
    assert_int_equal(loaded.member_count, 1);
    kafka_group_free(&loaded);
    kafka_group_free(&old);
    offsets_log_close(&o);
    free(scenario);
}

/* group.max.size: a join past KAFKA_MEMBERS_MAX is refused, nothing changes, and the
 * member gets in once a session expired (it used to be an assertion: exit 3). */
static void a_full_group_refuses_new_members(void **state)
{
    scn_scenario *scenario = make_scenario(4);
    kafka_group group;
    kafka_group_init(&group, scenario, 0);
    for (uint32_t m = 0; m < KAFKA_MEMBERS_MAX; m++)
        kafka_msg_free(heartbeat(&group, 100 + m, NULL, 0, m == 0 ? 0 : 5 * SECOND));
    assert_int_equal(group.member_count, KAFKA_MEMBERS_MAX);
    uint32_t generation = group.generation;
    kafka_msg *r = heartbeat(&group, 99999, NULL, 0, 6 * SECOND);
    assert_int_equal(r->error, KAFKA_GROUP_MAX_SIZE_REACHED);
    assert_int_equal(r->part_count, 0);
    assert_int_equal(group.member_count, KAFKA_MEMBERS_MAX);
    assert_int_equal(group.generation, generation);
    kafka_msg_free(r);
    kafka_group_expire(&group, 10 * SECOND); /* member 100's session (10 s) lapsed */
    r = heartbeat(&group, 99999, NULL, 0, 10 * SECOND);
    assert_int_equal(r->error, KAFKA_OK);
    assert_int_equal(group.member_count, KAFKA_MEMBERS_MAX);
    kafka_msg_free(r);
    kafka_group_free(&group);
    free(scenario);
}

/* A follower may hold only the start of the last snapshot: loading keeps the one before. */
static void a_cut_snapshot_is_ignored(void **state)
{
    scn_scenario *scenario = make_scenario(2);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group old;
    kafka_group_init(&old, scenario, 0);
    kafka_msg_free(heartbeat(&old, 10, NULL, 0, 0));
    snapshot(&old, &o);
    uint32_t generation = old.generation;
    kafka_msg_free(heartbeat(&old, 20, NULL, 0, 1)); /* B joins: a second snapshot ... */
    static uint64_t msg_ids[KAFKA_GROUP_SNAPSHOT_RECORDS_MAX];
    static int32_t keys[KAFKA_GROUP_SNAPSHOT_RECORDS_MAX];
    uint32_t n = kafka_group_snapshot_records(&old, msg_ids, keys);
    assert_true(n > 2);
    assert_true(kafka_log_append(&o.log, &o.d, msg_ids, keys, 2, 128, KAFKA_NO_STAMP, 0) >=
                0); /* ... cut */
    kafka_group loaded;
    kafka_group_init(&loaded, scenario, 0);
    kafka_group_load(&loaded, &o.log, o.log.end_offset, 5 * SECOND);
    assert_int_equal(loaded.generation, generation);
    assert_int_equal(loaded.member_count, 1);
    assert_int_equal(loaded.members[0].member_id, 10);
    kafka_group_free(&loaded);
    kafka_group_free(&old);
    offsets_log_close(&o);
    free(scenario);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partitions_move_only_after_release),
        cmocka_unit_test(zombie_commit_fails_and_expiry_frees_partitions),
        cmocka_unit_test(commit_visible_only_below_high_watermark),
        cmocka_unit_test(failover_restores_members_ownership_and_offsets),
        cmocka_unit_test(a_cut_snapshot_is_ignored),
        cmocka_unit_test(a_full_group_refuses_new_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
