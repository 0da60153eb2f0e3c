/* kafka_group.c — group membership, assignment, ownership hand-over, committed offsets,
 * and the group's records in the offsets log (see kafka_group.h). */
#include "kafka_group.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"

/* A record's key in the offsets log: its kind, the group (scenario entry) and an index
 * (a partition or a member slot); its value rides in the log's message-id field. */
enum group_record_kind {
    GROUP_RECORD_COMMIT = 1,     /* index: partition; value: offset | (leader epoch + 1) << 40 */
    GROUP_RECORD_HEADER = 2,     /* value: generation << 32 | member count */
    GROUP_RECORD_MEMBER = 3,     /* index: slot; value: member id */
    GROUP_RECORD_ASSIGNMENT = 4, /* index: partition; value: target << 32 | owner */
};
#define GROUP_RECORD_INDEX_BITS  20
#define GROUP_COMMIT_OFFSET_BITS 40

_Static_assert(SCN_PARTITIONS_MAX < (1u << GROUP_RECORD_INDEX_BITS) &&
                   KAFKA_MEMBERS_MAX < (1u << GROUP_RECORD_INDEX_BITS) && SCN_GROUPS_MAX <= 256,
               "an offsets-log key holds a group and a partition or member slot");

static int32_t record_key(enum group_record_kind kind, uint32_t group, uint32_t index)
{
    return (int32_t)((uint32_t)kind << 28 | group << GROUP_RECORD_INDEX_BITS | index);
}

void kafka_group_init(kafka_group *group, const scn_scenario *scenario, uint16_t group_index)
{
    const scn_consumer *consumer = &scenario->consumers[group_index];
    memset(group, 0, sizeof *group);
    group->group_index = group_index;
    group->topic = (uint16_t)consumer->topic_index;
    group->partition_count = scenario->topics[consumer->topic_index].partition_count;
    group->session_timeout_us = kafka_consumer_options_of(consumer).session_timeout_us;
    uint32_t n = group->partition_count;
    group->target = malloc(n * sizeof *group->target);
    group->owner = malloc(n * sizeof *group->owner);
    group->committed_stable = malloc(n * sizeof *group->committed_stable);
    group->committed_epoch = calloc(n, sizeof *group->committed_epoch);
    BL_ASSERT(group->target && group->owner && group->committed_stable && group->committed_epoch);
    for (uint32_t p = 0; p < n; p++) {
        group->target[p] = group->owner[p] = KAFKA_NO_MEMBER;
        group->committed_stable[p] = -1;
    }
    BL_RING_INIT(&group->writes, kafka_offset_write, KAFKA_OFFSET_WRITES_MAX,
                 "offset commits of a consumer group above the high watermark");
    BL_RING_INIT(&group->answers, kafka_group_answer, KAFKA_GROUP_ANSWERS_MAX,
                 "coordinator answers of a consumer group waiting for the high watermark");
}

void kafka_group_free(kafka_group *group)
{
    free(group->target);
    free(group->owner);
    free(group->committed_stable);
    free(group->committed_epoch);
    bl_ring_free(&group->writes);
    while (bl_ring_count(&group->answers) > 0) {
        kafka_msg_free(BL_RING_FRONT(&group->answers, kafka_group_answer)->response);
        bl_ring_pop_front(&group->answers);
    }
    bl_ring_free(&group->answers);
}

/* Range assignment (K26) over members sorted by id: contiguous blocks, the first
 * (P mod C) members get one extra. */
static void assign(kafka_group *group)
{
    group->generation++;
    group->changed = true;
    uint32_t c = group->member_count, n = group->partition_count;
    for (uint32_t p = 0; p < n; p++) group->target[p] = KAFKA_NO_MEMBER;
    if (c == 0) return;
    uint32_t p = 0;
    for (uint32_t m = 0; m < c; m++) {
        uint32_t share = n / c + (m < n % c ? 1 : 0);
        for (uint32_t k = 0; k < share; k++, p++) group->target[p] = group->members[m].member_id;
    }
    BL_ASSERT(p == n);
}

static int32_t member_index(const kafka_group *group, uint32_t member_id)
{
    for (uint32_t m = 0; m < group->member_count; m++)
        if (group->members[m].member_id == member_id) return (int32_t)m;
    return -1;
}

static void remove_member(kafka_group *group, uint32_t m)
{
    uint32_t member_id = group->members[m].member_id;
    for (uint32_t p = 0; p < group->partition_count; p++)
        if (group->owner[p] == member_id) group->owner[p] = KAFKA_NO_MEMBER;
    group->changed = true;
    memmove(&group->members[m], &group->members[m + 1],
            (group->member_count - m - 1) * sizeof group->members[0]);
    group->member_count--;
}

static void add_member(kafka_group *group, uint32_t member_id, int64_t now_us)
{
    BL_ASSERTF(group->member_count < KAFKA_MEMBERS_MAX, "group has more than %d members",
               KAFKA_MEMBERS_MAX);
    BL_ASSERTF(member_index(group, member_id) < 0, "member %u joins twice", member_id);
    uint32_t m = group->member_count;
    while (m > 0 && group->members[m - 1].member_id > member_id) {
        group->members[m] = group->members[m - 1];
        m--;
    }
    group->members[m] = (kafka_member){.member_id = member_id, .last_heartbeat_us = now_us};
    group->member_count++;
    group->changed = true;
}

/* What the coordinator promises (kafka_group.h): members sorted by id, each once; a
 * partition is targeted at and held by at most one member, a live one; a partition is
 * held only by its target or by a previous target that has not released it yet. */
static void assert_invariants(const kafka_group *group)
{
    for (uint32_t m = 1; m < group->member_count; m++)
        BL_ASSERTF(group->members[m - 1].member_id < group->members[m].member_id,
                   "group %u: members out of order", group->group_index);
    for (uint32_t p = 0; p < group->partition_count; p++) {
        uint32_t owner = group->owner[p], target = group->target[p];
        BL_ASSERTF(owner == KAFKA_NO_MEMBER || member_index(group, owner) >= 0,
                   "group %u: partition %u held by member %u, which is not in the group",
                   group->group_index, p, owner);
        BL_ASSERTF(target == KAFKA_NO_MEMBER || member_index(group, target) >= 0,
                   "group %u: partition %u assigned to member %u, which is not in the group",
                   group->group_index, p, target);
        BL_ASSERTF(target != KAFKA_NO_MEMBER || group->member_count == 0,
                   "group %u: partition %u assigned to nobody with %u members", group->group_index,
                   p, group->member_count);
    }
}

static bool claims(const kafka_msg *request, uint32_t partition)
{
    for (uint32_t i = 0; i < request->part_count; i++)
        if (request->parts[i].partition == partition) return true;
    return false;
}

void kafka_group_heartbeat(kafka_group *group, const kafka_msg *request, int64_t now_us,
                           kafka_msg *response)
{
    uint32_t member_id = request->member_id;
    int32_t m = member_index(group, member_id);
    response->generation = group->generation;
    response->member_id = member_id;
    bool refuse_unknown = !request->joining;
#ifdef BROKERLAB_MUTANT_UNKNOWN_MEMBER_READMITTED
    refuse_unknown = false; /* mutant: any heartbeat of an unknown member joins it again */
#endif
    if (m < 0 && refuse_unknown) {
        /* a member the group no longer has (its session expired, or a new coordinator
         * loaded a snapshot without it): UNKNOWN_MEMBER_ID, and it joins again */
        response->error = KAFKA_UNKNOWN_MEMBER;
        kafka_msg_set_part_count(response, 0);
        return;
    }
    if (m < 0 && group->member_count == KAFKA_MEMBERS_MAX) {
        /* GroupMetadataManager: GROUP_MAX_SIZE_REACHED */
        response->error = KAFKA_GROUP_MAX_SIZE_REACHED;
        kafka_msg_set_part_count(response, 0);
        return;
    }
    if (m < 0) {
        add_member(group, member_id, now_us);
        assign(group);
        m = member_index(group, member_id);
    }
    group->members[m].last_heartbeat_us = now_us;
    uint32_t targeted = 0;
    for (uint32_t p = 0; p < group->partition_count; p++) {
        if (group->owner[p] == member_id && !claims(request, p)) {
            group->owner[p] = KAFKA_NO_MEMBER;
            group->changed = true;
        }
        if (group->target[p] == member_id) targeted++;
    }
    response->generation = group->generation;
    response->member_id = member_id;
    kafka_msg_set_part_count(response, targeted);
    uint32_t i = 0;
    for (uint32_t p = 0; p < group->partition_count; p++) {
        if (group->target[p] != member_id) continue;
        if (group->owner[p] == KAFKA_NO_MEMBER) {
            group->owner[p] = member_id;
            group->changed = true;
        }
        kafka_part *part = &response->parts[i++];
        part->topic = group->topic;
        part->partition = p;
        part->offset = group->committed_stable[p];
        part->leader_epoch = group->committed_epoch[p];
        part->error = group->owner[p] == member_id ? KAFKA_OK : KAFKA_NOT_OWNER;
    }
    BL_ASSERT(i == targeted);
    assert_invariants(group);
}

/* GroupMetadataManager's LeaveGroup (classic protocol): the member goes at once, without
 * waiting for its session; what it owned goes to the others. */
void kafka_group_leave(kafka_group *group, uint32_t member_id)
{
    int32_t m = member_index(group, member_id);
    if (m < 0) return; /* already gone (its session ended, or a retry) */
    remove_member(group, (uint32_t)m);
    assign(group);
    assert_invariants(group);
}

int64_t kafka_group_expire(kafka_group *group, int64_t now_us)
{
    bool changed = false;
    int64_t next_us = INT64_MAX;
    for (uint32_t m = 0; m < group->member_count;) {
        int64_t expiry_us = group->members[m].last_heartbeat_us + group->session_timeout_us;
        if (expiry_us <= now_us) {
            remove_member(group, m);
            changed = true;
            continue;
        }
        if (expiry_us < next_us) next_us = expiry_us;
        m++;
    }
    if (changed) assign(group);
    assert_invariants(group);
    return next_us;
}

kafka_error kafka_group_check_commit(const kafka_group *group, const kafka_msg *request)
{
    if (member_index(group, request->member_id) < 0) return KAFKA_UNKNOWN_MEMBER;
    for (uint32_t i = 0; i < request->part_count; i++) {
        uint32_t p = request->parts[i].partition;
        BL_ASSERT(p < group->partition_count);
        if (group->owner[p] != request->member_id) return KAFKA_NOT_OWNER;
    }
    return KAFKA_OK;
}

uint32_t kafka_group_commit_records(const kafka_group *group, const kafka_msg *request,
                                    uint64_t *msg_ids, int32_t *keys)
{
    for (uint32_t i = 0; i < request->part_count; i++) {
        const kafka_part *part = &request->parts[i];
        BL_ASSERTF(part->offset >= 0 && part->offset < (1ll << GROUP_COMMIT_OFFSET_BITS) &&
                       part->leader_epoch < (1u << (64 - GROUP_COMMIT_OFFSET_BITS)),
                   "a commit of offset %lld, epoch %u", (long long)part->offset,
                   part->leader_epoch);
        keys[i] = record_key(GROUP_RECORD_COMMIT, group->group_index, part->partition);
        msg_ids[i] = (uint64_t)part->offset | (uint64_t)part->leader_epoch
                                                  << GROUP_COMMIT_OFFSET_BITS;
    }
    return request->part_count;
}

void kafka_group_commit_appended(kafka_group *group, const kafka_msg *request, int64_t end_offset)
{
    for (uint32_t i = 0; i < request->part_count; i++) {
        kafka_offset_write write = {.end_offset = end_offset,
                                    .partition = request->parts[i].partition,
                                    .leader_epoch = request->parts[i].leader_epoch,
                                    .offset = request->parts[i].offset};
        *BL_RING_PUSH_BACK(&group->writes, kafka_offset_write) = write;
    }
}

uint32_t kafka_group_snapshot_records(kafka_group *group, uint64_t *msg_ids, int32_t *keys)
{
    uint32_t g = group->group_index, n = 0;
    keys[n] = record_key(GROUP_RECORD_HEADER, g, 0);
    msg_ids[n++] = (uint64_t)group->generation << 32 | group->member_count;
    for (uint32_t m = 0; m < group->member_count; m++) {
        keys[n] = record_key(GROUP_RECORD_MEMBER, g, m);
        msg_ids[n++] = group->members[m].member_id;
    }
    for (uint32_t p = 0; p < group->partition_count; p++) {
        keys[n] = record_key(GROUP_RECORD_ASSIGNMENT, g, p);
        msg_ids[n++] = (uint64_t)group->target[p] << 32 | group->owner[p];
    }
    BL_ASSERT(n <= KAFKA_GROUP_SNAPSHOT_RECORDS_MAX);
    group->changed = false;
    return n;
}

void kafka_group_on_high_watermark(kafka_group *group, int64_t hw)
{
    while (bl_ring_count(&group->writes) > 0) {
        const kafka_offset_write *write = BL_RING_FRONT(&group->writes, kafka_offset_write);
        if (write->end_offset > hw) break;
        group->committed_stable[write->partition] = write->offset;
        group->committed_epoch[write->partition] = write->leader_epoch;
        bl_ring_pop_front(&group->writes);
    }
}

void kafka_group_load(kafka_group *group, const kafka_log *log, int64_t hw, int64_t now_us)
{
    BL_ASSERT(group->member_count == 0 && bl_ring_count(&group->writes) == 0);
    uint32_t g = group->group_index, expected_members = 0;
    for (int64_t offset = log->start_offset; offset < log->end_offset; offset++) {
        uint32_t key = (uint32_t)kafka_log_key(log, offset);
        if ((key >> GROUP_RECORD_INDEX_BITS & 0xffu) != g) continue;
        uint32_t index = key & ((1u << GROUP_RECORD_INDEX_BITS) - 1);
        uint64_t value = kafka_log_msg(log, offset);
        switch ((enum group_record_kind)(key >> 28)) {
        case GROUP_RECORD_COMMIT: {
            BL_ASSERT(index < group->partition_count);
            kafka_offset_write write = {
                .end_offset = offset + 1,
                .partition = index,
                .leader_epoch = (uint32_t)(value >> GROUP_COMMIT_OFFSET_BITS),
                .offset = (int64_t)(value & ((1ull << GROUP_COMMIT_OFFSET_BITS) - 1))};
            *BL_RING_PUSH_BACK(&group->writes, kafka_offset_write) = write;
            break;
        }
        case GROUP_RECORD_HEADER: {
            int64_t end = offset + 1 + (uint32_t)value + group->partition_count;
            /* A follower may hold the start of a snapshot only (its fetch cut the
             * leader's batch, then a power loss cut the rest): the log's last records;
             * the state stays the previous snapshot's. */
            if (end > log->end_offset) {
                offset = log->end_offset;
                break;
            }
            group->generation = (uint32_t)(value >> 32);
            expected_members = (uint32_t)value;
            group->member_count = 0;
            group->snapshot_end = end;
            break;
        }
        case GROUP_RECORD_MEMBER:
            BL_ASSERT(index == group->member_count && index < expected_members);
            group->members[group->member_count++] =
                (kafka_member){.member_id = (uint32_t)value, .last_heartbeat_us = now_us};
            break;
        case GROUP_RECORD_ASSIGNMENT:
            BL_ASSERT(index < group->partition_count);
            group->target[index] = (uint32_t)(value >> 32);
            group->owner[index] = (uint32_t)value;
            break;
        default: BL_ASSERTF(false, "offsets-log record kind %u", key >> 28);
        }
    }
    BL_ASSERTF(group->member_count == expected_members, "group %u: a snapshot of %u members has %u",
               g, expected_members, group->member_count);
    kafka_group_on_high_watermark(group, hw);
    group->changed = false;
    assert_invariants(group);
}
