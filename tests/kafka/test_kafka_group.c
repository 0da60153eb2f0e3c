/* test_kafka_group.c — the classic group protocol without a simulation: MEMBER_ID_REQUIRED,
 * the initial rebalance delay, an EAGER rebalance waiting for every member (or its
 * session), the SyncGroup answers held until the assignment's record is committed,
 * generation checks on commits and heartbeats, COOPERATIVE's two rebalances, commits
 * visible only below the offsets partition's high watermark, and failover: a
 * coordinator loading the group from a replica of its offsets log gets the members,
 * generation, assignment and committed offsets back, and nothing above the HW. */
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
#define DELAY  (3 * SECOND) /* group.initial.rebalance.delay.ms */

static scn_scenario *make_scenario(uint32_t partitions, kafka_assignor assignor)
{
    scn_scenario *scenario = calloc(1, sizeof *scenario);
    scenario->topic_count = 1;
    scenario->topics[0].partition_count = partitions;
    scenario->consumer_count = 1;
    kafka_consumer_options options = {.session_timeout_us = 10 * SECOND,
                                      .heartbeat_interval_us = SECOND,
                                      .max_poll_records = 500,
                                      .max_poll_interval_us = 30 * SECOND,
                                      .commit_interval_us = 5 * SECOND,
                                      .fetch_min_bytes = 1,
                                      .fetch_max_bytes = 1 << 20,
                                      .assignor = assignor};
    memcpy(scenario->consumers[0].family.bytes, &options, sizeof options);
    return scenario;
}

/* The answer queued for `member` (its node id is the member id), or NULL; the caller
 * frees it. Answers to other members stay queued. */
static kafka_msg *answer_for(kafka_group *group, uint32_t member)
{
    uint32_t count = bl_ring_count(&group->outbox);
    kafka_msg *found = NULL;
    for (uint32_t i = 0; i < count; i++) {
        kafka_group_answer answer = *BL_RING_FRONT(&group->outbox, kafka_group_answer);
        bl_ring_pop_front(&group->outbox);
        if (found == NULL && answer.destination == member)
            found = answer.response;
        else
            *BL_RING_PUSH_BACK(&group->outbox, kafka_group_answer) = answer;
    }
    return found;
}

static kafka_msg *request(kafka_api api, uint32_t member, uint32_t generation,
                          const uint32_t *owned, uint32_t count)
{
    kafka_msg *msg = kafka_msg_new(api, count);
    msg->member_id = member;
    msg->generation = generation;
    for (uint32_t i = 0; i < count; i++) msg->parts[i].partition = owned[i];
    return msg;
}

/* JoinGroup of a member with its id (after MEMBER_ID_REQUIRED, or known). */
static void join(kafka_group *group, uint32_t member, uint32_t generation, const uint32_t *owned,
                 uint32_t count, int64_t now_us)
{
    kafka_msg *msg = request(KAFKA_JOIN_GROUP_REQUEST, member, generation, owned, count);
    kafka_group_join(group, msg, member, now_us);
    kafka_msg_free(msg);
}

/* A new member: JoinGroup without an id (MEMBER_ID_REQUIRED), then with it. */
static void join_new(kafka_group *group, uint32_t member, int64_t now_us)
{
    kafka_msg *msg = request(KAFKA_JOIN_GROUP_REQUEST, member, 0, NULL, 0);
    msg->no_member_id = true;
    kafka_group_join(group, msg, member, now_us);
    kafka_msg_free(msg);
    kafka_msg *r = answer_for(group, member);
    assert_non_null(r);
    assert_int_equal(r->error, KAFKA_MEMBER_ID_REQUIRED);
    assert_int_equal(r->member_id, member);
    kafka_msg_free(r);
    join(group, member, 0, NULL, 0, now_us);
}

/* Takes the member's join answer: OK with the group's generation. */
static void joined(kafka_group *group, uint32_t member)
{
    kafka_msg *r = answer_for(group, member);
    assert_non_null(r);
    assert_int_equal(r->error, KAFKA_OK);
    assert_int_equal(r->generation, group->generation);
    kafka_msg_free(r);
}

static void sync(kafka_group *group, uint32_t member, int64_t now_us)
{
    kafka_msg *msg = request(KAFKA_SYNC_GROUP_REQUEST, member, group->generation, NULL, 0);
    kafka_group_sync(group, msg, member, now_us);
    kafka_msg_free(msg);
}

static kafka_error heartbeat(kafka_group *group, uint32_t member, uint32_t generation,
                             int64_t now_us)
{
    kafka_msg *msg = request(KAFKA_HEARTBEAT_REQUEST, member, generation, NULL, 0);
    kafka_group_heartbeat(group, msg, member, now_us);
    kafka_msg_free(msg);
    kafka_msg *r = answer_for(group, member);
    assert_non_null(r);
    kafka_error error = (kafka_error)r->error;
    kafka_msg_free(r);
    return error;
}

/* Takes the member's sync answer: OK; its partitions go to `out`; returns how many. */
static uint32_t assigned(kafka_group *group, uint32_t member, uint32_t *out, int64_t *offsets)
{
    kafka_msg *r = answer_for(group, member);
    assert_non_null(r);
    assert_int_equal(r->error, KAFKA_OK);
    uint32_t n = r->part_count;
    for (uint32_t i = 0; i < n; i++) {
        out[i] = r->parts[i].partition;
        if (offsets != NULL) offsets[i] = r->parts[i].offset;
    }
    kafka_msg_free(r);
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
static kafka_error commit(kafka_group *group, offsets_log *o, uint32_t member, uint32_t generation,
                          uint32_t partition, int64_t offset)
{
    kafka_msg *request = kafka_msg_new(KAFKA_COMMIT_REQUEST, 1);
    request->member_id = member;
    request->generation = generation;
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
    int64_t base = kafka_log_append(&o->log, &o->d, msg_ids, keys, n, 64 * n, KAFKA_NO_STAMP, 0);
    assert_true(base >= 0);
    kafka_group_snapshot_appended(group, base + n, 0);
}

/* A stable group of members 10 and 20 (joined together at 0), generation 1, range
 * assignment {0,1} / {2,3} written to the log and committed. */
static void stable_pair(kafka_group *group, offsets_log *o)
{
    join_new(group, 10, 0);
    join_new(group, 20, 0);
    assert_int_equal(group->state, KAFKA_GROUP_PREPARING_REBALANCE);
    kafka_group_tick(group, DELAY); /* 20 arrived during the delay: it is extended */
    assert_int_equal(group->state, KAFKA_GROUP_PREPARING_REBALANCE);
    kafka_group_tick(group, 2 * DELAY);
    assert_int_equal(group->state, KAFKA_GROUP_COMPLETING_REBALANCE);
    assert_int_equal(group->generation, 1);
    assert_int_equal(group->leader_id, 10); /* the first to join */
    joined(group, 10);
    joined(group, 20);
    sync(group, 20, 2 * DELAY); /* a follower waits for the leader's assignment */
    assert_null(answer_for(group, 20));
    assert_false(group->changed);
    sync(group, 10, 2 * DELAY);
    assert_true(group->changed);
    snapshot(group, o);
    assert_null(answer_for(group, 10)); /* held until the record is committed */
    kafka_group_on_high_watermark(group, o->log.end_offset);
    assert_int_equal(group->state, KAFKA_GROUP_STABLE);
}

/* The initial delay, the held syncs, then an EAGER rebalance: a new member's join
 * starts it, heartbeats say REBALANCE_IN_PROGRESS, and it completes only once every
 * member rejoined or, for one that does not, when its session expires. */
static void eager_rebalance_waits_for_every_member(void **state)
{
    scn_scenario *scenario = make_scenario(4, KAFKA_ASSIGNOR_RANGE);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, DELAY);
    stable_pair(&group, &o);
    uint32_t parts[4];
    assert_int_equal(assigned(&group, 10, parts, NULL), 2);
    assert_int_equal(parts[0], 0);
    assert_int_equal(parts[1], 1);
    assert_int_equal(assigned(&group, 20, parts, NULL), 2);
    assert_int_equal(parts[0], 2);
    int64_t t = 7 * SECOND;
    assert_int_equal(heartbeat(&group, 10, 1, t), KAFKA_OK);
    assert_int_equal(heartbeat(&group, 20, 1, t), KAFKA_OK);
    join_new(&group, 30, t + 1); /* a third member */
    assert_int_equal(group.state, KAFKA_GROUP_PREPARING_REBALANCE);
    assert_int_equal(heartbeat(&group, 10, 1, t + 2), KAFKA_REBALANCE_IN_PROGRESS);
    join(&group, 10, 1, NULL, 0, t + 3); /* 10 rejoins, 20 never does */
    kafka_group_tick(&group, t + 9 * SECOND);
    assert_int_equal(group.state, KAFKA_GROUP_PREPARING_REBALANCE); /* waits for 20 */
    kafka_group_tick(&group, t + 10 * SECOND);                      /* 20's session (10 s) ends */
    assert_int_equal(group.state, KAFKA_GROUP_COMPLETING_REBALANCE);
    assert_int_equal(group.generation, 2);
    assert_int_equal(kafka_group_size(&group), 2);
    joined(&group, 10);
    joined(&group, 30);
    /* the old generation is fenced */
    assert_int_equal(heartbeat(&group, 10, 1, t + 10 * SECOND), KAFKA_ILLEGAL_GENERATION);
    assert_int_equal(heartbeat(&group, 20, 1, t + 10 * SECOND), KAFKA_UNKNOWN_MEMBER);
    kafka_group_free(&group);
    offsets_log_close(&o);
    free(scenario);
}

/* ClassicGroup.validateOffsetCommit: another generation, an unknown member and the
 * sync phase are refused; a commit during PREPARING_REBALANCE (EAGER's pre-join
 * commit) is accepted. */
static void commits_are_fenced_by_generation(void **state)
{
    scn_scenario *scenario = make_scenario(2, KAFKA_ASSIGNOR_RANGE);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, DELAY);
    stable_pair(&group, &o);
    assert_int_equal(commit(&group, &o, 10, 1, 0, 42), KAFKA_OK);
    assert_int_equal(commit(&group, &o, 10, 0, 0, 43), KAFKA_ILLEGAL_GENERATION);
    assert_int_equal(commit(&group, &o, 99, 1, 0, 44), KAFKA_UNKNOWN_MEMBER);
    kafka_group_leave(&group, 20, 8 * SECOND); /* a rebalance */
    assert_int_equal(group.state, KAFKA_GROUP_PREPARING_REBALANCE);
    assert_int_equal(commit(&group, &o, 10, 1, 0, 45), KAFKA_OK);
    join(&group, 10, 1, NULL, 0, 8 * SECOND); /* the only member: complete at once */
    assert_int_equal(group.state, KAFKA_GROUP_COMPLETING_REBALANCE);
    assert_int_equal(commit(&group, &o, 10, 2, 0, 46), KAFKA_REBALANCE_IN_PROGRESS);
    kafka_group_on_high_watermark(&group, o.log.end_offset);
    assert_int_equal(group.committed_stable[0], 45);
    kafka_group_free(&group);
    offsets_log_close(&o);
    free(scenario);
}

/* COOPERATIVE (KIP-429): a partition moving to a new member is withheld for one
 * generation; its owner revokes it and rejoins, and the next generation gives it out. */
static void cooperative_takes_two_rebalances(void **state)
{
    scn_scenario *scenario = make_scenario(4, KAFKA_ASSIGNOR_COOPERATIVE_STICKY);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, 0);
    join_new(&group, 10, 0);
    kafka_group_tick(&group, 0); /* no delay */
    joined(&group, 10);
    sync(&group, 10, 0);
    snapshot(&group, &o);
    kafka_group_on_high_watermark(&group, o.log.end_offset);
    uint32_t parts[4];
    assert_int_equal(assigned(&group, 10, parts, NULL), 4);
    uint32_t all[4] = {0, 1, 2, 3}, half[2] = {0, 1};
    join_new(&group, 20, SECOND);
    join(&group, 10, 1, all, 4, SECOND); /* 10 keeps fetching all four meanwhile */
    assert_int_equal(group.generation, 2);
    joined(&group, 10);
    joined(&group, 20);
    sync(&group, 20, SECOND);
    sync(&group, 10, SECOND);
    snapshot(&group, &o);
    kafka_group_on_high_watermark(&group, o.log.end_offset);
    assert_int_equal(assigned(&group, 10, parts, NULL), 2); /* keeps 0 and 1 */
    assert_int_equal(assigned(&group, 20, parts, NULL), 0); /* 2 and 3 withheld */
    join(&group, 10, 2, half, 2, 2 * SECOND); /* 10 revoked 2 and 3: a second rebalance */
    assert_int_equal(heartbeat(&group, 20, 2, 2 * SECOND), KAFKA_REBALANCE_IN_PROGRESS);
    join(&group, 20, 2, NULL, 0, 2 * SECOND);
    assert_int_equal(group.generation, 3);
    joined(&group, 10);
    joined(&group, 20);
    sync(&group, 10, 2 * SECOND);
    sync(&group, 20, 2 * SECOND);
    snapshot(&group, &o);
    kafka_group_on_high_watermark(&group, o.log.end_offset);
    assert_int_equal(assigned(&group, 10, parts, NULL), 2);
    assert_int_equal(parts[0], 0);
    assert_int_equal(assigned(&group, 20, parts, NULL), 2);
    assert_int_equal(parts[0], 2);
    assert_int_equal(parts[1], 3);
    kafka_group_free(&group);
    offsets_log_close(&o);
    free(scenario);
}

/* OffsetFetch reads the state at the high watermark: a commit is visible only once its
 * record is replicated. */
static void commit_visible_only_below_high_watermark(void **state)
{
    scn_scenario *scenario = make_scenario(2, KAFKA_ASSIGNOR_RANGE);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, DELAY);
    stable_pair(&group, &o);
    int64_t base = o.log.end_offset;
    assert_int_equal(commit(&group, &o, 10, 1, 0, 7), KAFKA_OK);
    assert_int_equal(commit(&group, &o, 10, 1, 0, 9), KAFKA_OK);
    assert_int_equal(group.committed_stable[0], -1);
    kafka_group_on_high_watermark(&group, base + 1); /* the first commit only */
    assert_int_equal(group.committed_stable[0], 7);
    kafka_group_on_high_watermark(&group, base + 2);
    assert_int_equal(group.committed_stable[0], 9);
    kafka_group_free(&group);
    offsets_log_close(&o);
    free(scenario);
}

/* GroupMetadataManager.onLoaded: a new coordinator replays its replica of the offsets
 * partition: the last GroupMetadata record's members (fresh sessions), generation,
 * leader and assignment, STABLE, and the commits; what lies at or above its high
 * watermark stays invisible until the high watermark passes it. */
static void failover_restores_members_assignment_and_offsets(void **state)
{
    scn_scenario *scenario = make_scenario(4, KAFKA_ASSIGNOR_RANGE);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group old;
    kafka_group_init(&old, scenario, 0, DELAY);
    stable_pair(&old, &o);
    assert_int_equal(commit(&old, &o, 10, 1, 0, 100), KAFKA_OK);
    assert_int_equal(commit(&old, &o, 20, 1, 3, 300), KAFKA_OK);
    int64_t hw = o.log.end_offset;
    assert_int_equal(commit(&old, &o, 20, 1, 3, 333), KAFKA_OK); /* not replicated yet */
    kafka_group loaded;
    kafka_group_init(&loaded, scenario, 0, DELAY);
    kafka_group_load(&loaded, &o.log, hw, 50 * SECOND);
    assert_int_equal(loaded.state, KAFKA_GROUP_STABLE);
    assert_int_equal(kafka_group_size(&loaded), 2);
    assert_int_equal(loaded.generation, 1);
    assert_int_equal(loaded.leader_id, 10);
    for (uint32_t p = 0; p < 4; p++) assert_int_equal(loaded.assignment[p], old.assignment[p]);
    assert_int_equal(loaded.committed_stable[0], 100);
    assert_int_equal(loaded.committed_stable[3], 300);
    assert_false(loaded.changed);
    /* the members carry on in their generation: no rebalance */
    assert_int_equal(heartbeat(&loaded, 20, 1, 51 * SECOND), KAFKA_OK);
    kafka_group_on_high_watermark(&loaded, o.log.end_offset);
    assert_int_equal(loaded.committed_stable[3], 333);
    /* 10's session restarted at the load: it expires 10 s later, not earlier */
    kafka_group_tick(&loaded, 59 * SECOND);
    assert_int_equal(kafka_group_size(&loaded), 2);
    kafka_group_tick(&loaded, 60 * SECOND);
    assert_int_equal(kafka_group_size(&loaded), 1);
    assert_int_equal(loaded.state, KAFKA_GROUP_PREPARING_REBALANCE);
    kafka_group_free(&loaded);
    kafka_group_free(&old);
    offsets_log_close(&o);
    free(scenario);
}

/* group.max.size: a join past KAFKA_MEMBERS_MAX is refused and nothing changes. */
static void a_full_group_refuses_new_members(void **state)
{
    scn_scenario *scenario = make_scenario(4, KAFKA_ASSIGNOR_RANGE);
    kafka_group group;
    kafka_group_init(&group, scenario, 0, DELAY);
    for (uint32_t m = 0; m < KAFKA_MEMBERS_MAX; m++) {
        join_new(&group, 100 + m, 0);
    }
    assert_int_equal(group.member_count, KAFKA_MEMBERS_MAX);
    kafka_msg *msg = request(KAFKA_JOIN_GROUP_REQUEST, 99999, 0, NULL, 0);
    msg->no_member_id = true;
    kafka_group_join(&group, msg, 99999, SECOND);
    kafka_msg_free(msg);
    kafka_msg *r = answer_for(&group, 99999);
    assert_int_equal(r->error, KAFKA_GROUP_MAX_SIZE_REACHED);
    assert_int_equal(group.member_count, KAFKA_MEMBERS_MAX);
    kafka_msg_free(r);
    kafka_group_free(&group);
    free(scenario);
}

/* A follower may hold only the start of the last snapshot: loading keeps the one before. */
static void a_cut_snapshot_is_ignored(void **state)
{
    scn_scenario *scenario = make_scenario(2, KAFKA_ASSIGNOR_RANGE);
    offsets_log o;
    offsets_log_open(&o);
    kafka_group old;
    kafka_group_init(&old, scenario, 0, DELAY);
    stable_pair(&old, &o);
    kafka_group_leave(&old, 20, 8 * SECOND);
    join(&old, 10, 1, NULL, 0, 8 * SECOND);
    sync(&old, 10, 8 * SECOND); /* generation 2's record ... */
    static uint64_t msg_ids[KAFKA_GROUP_SNAPSHOT_RECORDS_MAX];
    static int32_t keys[KAFKA_GROUP_SNAPSHOT_RECORDS_MAX];
    uint32_t n = kafka_group_snapshot_records(&old, msg_ids, keys);
    assert_true(n > 2);
    assert_true(kafka_log_append(&o.log, &o.d, msg_ids, keys, 2, 128, KAFKA_NO_STAMP, 0) >=
                0); /* ... cut */
    kafka_group loaded;
    kafka_group_init(&loaded, scenario, 0, DELAY);
    kafka_group_load(&loaded, &o.log, o.log.end_offset, 9 * SECOND);
    assert_int_equal(loaded.generation, 1);
    assert_int_equal(kafka_group_size(&loaded), 2);
    kafka_group_free(&loaded);
    kafka_group_free(&old);
    offsets_log_close(&o);
    free(scenario);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eager_rebalance_waits_for_every_member),
        cmocka_unit_test(commits_are_fenced_by_generation),
        cmocka_unit_test(cooperative_takes_two_rebalances),
        cmocka_unit_test(commit_visible_only_below_high_watermark),
        cmocka_unit_test(failover_restores_members_assignment_and_offsets),
        cmocka_unit_test(a_cut_snapshot_is_ignored),
        cmocka_unit_test(a_full_group_refuses_new_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
