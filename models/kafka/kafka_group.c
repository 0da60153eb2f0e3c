/* kafka_group.c — group membership, assignment, ownership hand-over and offset storage
 * (see kafka_group.h). */
#include "kafka_group.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"

#define KAFKA_OFFSET_RECORD_BYTES 64

void kafka_group_init(kafka_group *group, const scn_scenario *scenario, uint16_t group_index,
                      disk *d)
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
    group->committed = malloc(n * sizeof *group->committed);
    group->committed_durable = malloc(n * sizeof *group->committed_durable);
    BL_ASSERT(group->target && group->owner && group->committed && group->committed_durable);
    for (uint32_t p = 0; p < n; p++) {
        group->target[p] = group->owner[p] = KAFKA_NO_MEMBER;
        group->committed[p] = group->committed_durable[p] = -1;
    }
    group->offsets_file = disk_open(d);
    BL_RING_INIT(&group->writes, kafka_offset_write, KAFKA_OFFSET_WRITES_MAX,
                 "offset writes of a consumer group");
}

void kafka_group_free(kafka_group *group)
{
    free(group->target);
    free(group->owner);
    free(group->committed);
    free(group->committed_durable);
    bl_ring_free(&group->writes);
}

/* Range assignment (K26) over members sorted by id: contiguous blocks, the first
 * (P mod C) members get one extra. */
static void assign(kafka_group *group)
{
    group->generation++;
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
    memmove(&group->members[m], &group->members[m + 1],
            (group->member_count - m - 1) * sizeof group->members[0]);
    group->member_count--;
}

static void add_member(kafka_group *group, uint32_t member_id, uint32_t node_id, int64_t now_us)
{
    BL_ASSERTF(group->member_count < KAFKA_MEMBERS_MAX, "group has more than %d members",
               KAFKA_MEMBERS_MAX);
    BL_ASSERTF(member_index(group, member_id) < 0, "member %u joins twice", member_id);
    uint32_t m = group->member_count;
    while (m > 0 && group->members[m - 1].member_id > member_id) {
        group->members[m] = group->members[m - 1];
        m--;
    }
    group->members[m] =
        (kafka_member){.member_id = member_id, .node_id = node_id, .last_heartbeat_us = now_us};
    group->member_count++;
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

void kafka_group_restart(kafka_group *group, bool power_loss)
{
    group->member_count = 0;
    for (uint32_t p = 0; p < group->partition_count; p++) {
        group->owner[p] = group->target[p] = KAFKA_NO_MEMBER;
        if (power_loss) group->committed[p] = group->committed_durable[p];
    }
    if (power_loss) bl_ring_clear(&group->writes);
}

static bool claims(const kafka_msg *request, uint32_t partition)
{
    for (uint32_t i = 0; i < request->part_count; i++)
        if (request->parts[i].partition == partition) return true;
    return false;
}

void kafka_group_heartbeat(kafka_group *group, const kafka_msg *request, uint32_t node_id,
                           int64_t now_us, kafka_msg *response)
{
    uint32_t member_id = request->member_id;
    int32_t m = member_index(group, member_id);
    if (m < 0) {
        add_member(group, member_id, node_id, now_us);
        assign(group);
        m = member_index(group, member_id);
    }
    group->members[m].last_heartbeat_us = now_us;
    uint32_t targeted = 0;
    for (uint32_t p = 0; p < group->partition_count; p++) {
        if (group->owner[p] == member_id && !claims(request, p)) group->owner[p] = KAFKA_NO_MEMBER;
        if (group->target[p] == member_id) targeted++;
    }
    response->generation = group->generation;
    response->member_id = member_id;
    kafka_msg_set_part_count(response, targeted);
    uint32_t i = 0;
    for (uint32_t p = 0; p < group->partition_count; p++) {
        if (group->target[p] != member_id) continue;
        if (group->owner[p] == KAFKA_NO_MEMBER) group->owner[p] = member_id;
        kafka_part *part = &response->parts[i++];
        part->topic = group->topic;
        part->partition = p;
        part->offset = group->committed[p];
        part->error = group->owner[p] == member_id ? KAFKA_OK : KAFKA_NOT_OWNER;
    }
    BL_ASSERT(i == targeted);
    assert_invariants(group);
}

kafka_error kafka_group_commit(kafka_group *group, disk *d, const kafka_msg *request,
                               int64_t now_us)
{
    if (member_index(group, request->member_id) < 0) return KAFKA_UNKNOWN_MEMBER;
    for (uint32_t i = 0; i < request->part_count; i++) {
        uint32_t p = request->parts[i].partition;
        BL_ASSERT(p < group->partition_count);
        if (group->owner[p] != request->member_id) return KAFKA_NOT_OWNER;
    }
    if (!disk_append(d, group->offsets_file,
                     (uint64_t)request->part_count * KAFKA_OFFSET_RECORD_BYTES, now_us))
        return KAFKA_STORAGE_ERROR;
    for (uint32_t i = 0; i < request->part_count; i++) {
        uint32_t p = request->parts[i].partition;
        group->committed[p] = request->parts[i].offset;
        kafka_offset_write write = {.end_bytes = group->offsets_file->size_bytes,
                                    .partition = p,
                                    .offset = request->parts[i].offset};
        *BL_RING_PUSH_BACK(&group->writes, kafka_offset_write) = write;
    }
    kafka_group_sync_durable(group);
    return KAFKA_OK;
}

void kafka_group_sync_durable(kafka_group *group)
{
    while (bl_ring_count(&group->writes) > 0) {
        const kafka_offset_write *write = BL_RING_FRONT(&group->writes, kafka_offset_write);
        if (write->end_bytes > group->offsets_file->durable_bytes) break;
        group->committed_durable[write->partition] = write->offset;
        bl_ring_pop_front(&group->writes);
    }
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
