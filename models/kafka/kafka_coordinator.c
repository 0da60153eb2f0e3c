/* kafka_coordinator.c — the group coordinator a broker runs for the groups whose
 * __consumer_offsets partition it leads (group-coordinator/.../GroupCoordinatorShard on
 * CoordinatorRuntime, classic groups in GroupMetadataManager).
 *
 * A group's coordinator is the leader of partitionFor(group) (K24). Becoming its leader
 * loads the group from the local replica (CoordinatorLoaderImpl; kafka_group_load);
 * losing it unloads the group, failing what it held with NOT_COORDINATOR, and a client
 * then finds the coordinator again. Commits and each GroupMetadata record (an
 * assignment, an emptied group) are appended to the partition, which replicates like
 * any partition's (kafka_fetcher.c), so the coordinator fails over with committed
 * offsets and members intact. A write's answer waits until the high watermark passes
 * it (CoordinatorPartitionWriter appends, then CoordinatorRuntime completes the
 * deferred event on onHighWatermarkUpdated), within offsets.commit.timeout.ms (5 s,
 * else REQUEST_TIMED_OUT): a commit's here, the SyncGroups' in kafka_group.c, so no
 * member acts on an assignment a failover would forget. JoinGroup, SyncGroup,
 * Heartbeat and LeaveGroup go to the group's state machine (kafka_group.c), whose
 * answers this file sends, and one broker timer serves every group's deadlines. */
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/sim.h"
#include "kafka_broker_internal.h"

static int64_t after_change(kafka_broker *broker, kafka_group *group);

static uint32_t offsets_topic(const kafka_broker *broker)
{
    return kafka_metadata_offsets_topic(&broker->image);
}

static bool holds_group(const kafka_broker *broker, const kafka_partition *p, uint32_t g)
{
    return p->topic == offsets_topic(broker) &&
           broker->image.group_offsets_partition[g] == p->partition;
}

static kafka_partition *group_partition(kafka_broker *broker, uint32_t g)
{
    return broker_replica(broker, offsets_topic(broker), broker->image.group_offsets_partition[g]);
}

void kafka_coordinator_on_lead(kafka_broker *broker, kafka_partition *p)
{
    for (uint32_t g = 0; g < broker->image.group_count; g++) {
        if (!holds_group(broker, p, g)) continue;
        BL_ASSERTF(broker->groups[g] == NULL, "broker %u loads group %u twice", broker->index, g);
        kafka_group *group = calloc(1, sizeof *group);
        BL_ASSERT(group != NULL);
        kafka_group_init(group, broker->cluster->scenario, (uint16_t)g,
                         broker->cluster->options.group_initial_rebalance_delay_us);
#ifndef BROKERLAB_MUTANT_COORDINATOR_FORGETS_OFFSETS /* mutant: the log is not replayed */
        kafka_group_load(group, &p->log, p->hw, sim_now_us());
#endif
        /* the ownership check's lineage: an older generation than was granted means the
         * group's committed records were lost, and its generation numbers come again */
        kafka_grants *grants = &broker->cluster->grants[g];
        if (group->generation < grants->max_generation) {
            grants->current_lineage++;
            grants->max_generation = group->generation;
        }
        broker->groups[g] = group;
        after_change(broker, group); /* its members' sessions run from now */
    }
}

static void flush_outbox(kafka_broker *broker, kafka_group *group);

static void unload(kafka_broker *broker, uint32_t g, bool answer)
{
    kafka_group *group = broker->groups[g];
    if (answer) {
        kafka_group_unload(group);
        flush_outbox(broker, group);
    }
    while (answer && bl_ring_count(&group->answers) > 0) {
        kafka_group_answer *held = BL_RING_FRONT(&group->answers, kafka_group_answer);
        held->response->error = KAFKA_NOT_COORDINATOR;
        broker_send(broker, held->destination, held->response);
        bl_ring_pop_front(&group->answers);
    }
    kafka_group_free(group);
    free(group);
    broker->groups[g] = NULL;
}

void kafka_coordinator_on_resign(kafka_broker *broker, kafka_partition *p)
{
    for (uint32_t g = 0; g < broker->image.group_count; g++)
        if (broker->groups[g] != NULL && holds_group(broker, p, g)) unload(broker, g, true);
}

void kafka_coordinator_stop(kafka_broker *broker)
{
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++)
        if (broker->groups[g] != NULL) unload(broker, g, false);
}

/* Sends the held answers whose records the high watermark passed, oldest first. */
static void send_committed(kafka_broker *broker, kafka_group *group, int64_t hw)
{
    while (bl_ring_count(&group->answers) > 0) {
        kafka_group_answer *held = BL_RING_FRONT(&group->answers, kafka_group_answer);
        if (held->required_offset > hw) return;
        broker_send(broker, held->destination, held->response);
        bl_ring_pop_front(&group->answers);
    }
}

void kafka_coordinator_on_high_watermark(kafka_broker *broker, kafka_partition *p)
{
    for (uint32_t g = 0; g < broker->image.group_count; g++) {
        kafka_group *group = broker->groups[g];
        if (group == NULL || !holds_group(broker, p, g)) continue;
        kafka_group_on_high_watermark(group, p->hw);
        send_committed(broker, group, p->hw);
        after_change(broker, group); /* the syncs an assignment's commit answers */
    }
}

/* Answers now if nothing is held and the HW passed required_offset; else holds it. */
static void answer_when_committed(kafka_broker *broker, kafka_group *group, kafka_msg *response,
                                  uint32_t destination, int64_t required_offset)
{
    const kafka_partition *p = group_partition(broker, group->group_index);
    if (bl_ring_count(&group->answers) == 0 && required_offset <= p->hw) {
        broker_send(broker, destination, response);
        return;
    }
    *BL_RING_PUSH_BACK(&group->answers, kafka_group_answer) =
        (kafka_group_answer){.response = response,
                             .destination = destination,
                             .required_offset = required_offset,
                             .deadline_us = sim_now_us() + KAFKA_OFFSETS_COMMIT_TIMEOUT_US};
}

/* Appends records to the group's offsets partition as its leader; returns the end
 * offset, or -1 if the disk refused them. */
static int64_t append_records(kafka_broker *broker, kafka_group *group, const uint64_t *msg_ids,
                              const int32_t *keys, uint32_t count)
{
    kafka_partition *p = group_partition(broker, group->group_index);
    BL_ASSERT(p != NULL && broker_led(broker, p->topic, p->partition) == p);
    bool flush = false;
    int64_t base = broker_append(broker, p, msg_ids, keys, count, KAFKA_GROUP_RECORD_BYTES,
                                 (int32_t)p->state->leader_epoch, KAFKA_NO_STAMP, &flush);
    if (base < 0) return -1;
    if (flush)
        broker_start_fsync(broker, broker_partition_index(broker, p->topic, p->partition), 0);
    return base + count;
}

/* The group's GroupMetadata record: an assignment, or the group became empty. */
static void write_snapshot(kafka_broker *broker, kafka_group *group)
{
    uint64_t msg_ids[KAFKA_GROUP_SNAPSHOT_RECORDS_MAX];
    int32_t keys[KAFKA_GROUP_SNAPSHOT_RECORDS_MAX];
    uint32_t count = kafka_group_snapshot_records(group, msg_ids, keys);
    int64_t end = append_records(broker, group, msg_ids, keys, count);
    kafka_group_snapshot_appended(group, end, sim_now_us());
    if (end >= 0) broker_maybe_increment_hw(broker, group_partition(broker, group->group_index));
}

static kafka_msg *new_answer(kafka_api api, const kafka_msg *request)
{
    kafka_msg *response = kafka_msg_new(api, 0);
    response->correlation_id = request->correlation_id;
    response->member_id = request->member_id;
    return response;
}

/* Sends what the group queued to send now. */
static void flush_outbox(kafka_broker *broker, kafka_group *group)
{
    while (bl_ring_count(&group->outbox) > 0) {
        kafka_group_answer *answer = BL_RING_FRONT(&group->outbox, kafka_group_answer);
        broker_send(broker, answer->destination, answer->response);
        bl_ring_pop_front(&group->outbox);
    }
}

/* After the group handled something: its GroupMetadata record if one is due, what it
 * answers, and the group timer at its next deadline (a zero initial delay falls due at
 * once), which it returns. */
static int64_t after_change(kafka_broker *broker, kafka_group *group)
{
    int64_t now_us = sim_now_us();
    for (uint32_t round = 0;; round++) { /* a deadline due now may queue more */
        BL_ASSERTF(round < 8, "group %u: no rest at one instant", group->group_index);
        if (group->changed) write_snapshot(broker, group);
        flush_outbox(broker, group);
        int64_t next_us = kafka_group_tick(group, now_us);
        if (group->changed || bl_ring_count(&group->outbox) > 0) continue;
        if (next_us != INT64_MAX)
            sim_timer_arm(broker->node, &broker->group_timer, next_us, BROKER_TIMER_GROUP_EXPIRE);
        return next_us;
    }
}

/* A group request: `handle` applies it to the loaded group, which queues the answers;
 * without the group: NOT_COORDINATOR. */
static void handle_group_request(kafka_broker *broker, kafka_msg *request, uint32_t source,
                                 kafka_api response_api,
                                 void (*handle)(kafka_group *, const kafka_msg *, uint32_t,
                                                int64_t))
{
    kafka_group *group = broker->groups[request->group];
    if (group == NULL) {
        kafka_msg *response = new_answer(response_api, request);
        response->error = KAFKA_NOT_COORDINATOR;
        broker_send(broker, source, response);
    } else {
        handle(group, request, source, sim_now_us());
        after_change(broker, group);
    }
    kafka_msg_free(request);
}

static void leave(kafka_group *group, const kafka_msg *request, uint32_t source, int64_t now_us)
{
    BL_MAYBE(source); /* nothing waits for the answer: the member already let go */
    kafka_group_leave(group, request->member_id, now_us);
}

void kafka_coordinator_handle_join(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    handle_group_request(broker, request, source, KAFKA_JOIN_GROUP_RESPONSE, kafka_group_join);
}

void kafka_coordinator_handle_sync(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    handle_group_request(broker, request, source, KAFKA_SYNC_GROUP_RESPONSE, kafka_group_sync);
}

void kafka_coordinator_handle_heartbeat(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    handle_group_request(broker, request, source, KAFKA_HEARTBEAT_RESPONSE, kafka_group_heartbeat);
}

void kafka_coordinator_handle_leave(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    handle_group_request(broker, request, source, KAFKA_LEAVE_GROUP_RESPONSE, leave);
}

void kafka_coordinator_handle_commit(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    kafka_msg *response = new_answer(KAFKA_COMMIT_RESPONSE, request);
    kafka_group *group = broker->groups[request->group];
    kafka_error error =
        group == NULL ? KAFKA_NOT_COORDINATOR : kafka_group_check_commit(group, request);
    if (error == KAFKA_OK) {
        uint64_t msg_ids[SCN_PARTITIONS_MAX];
        int32_t keys[SCN_PARTITIONS_MAX];
        BL_ASSERT(request->part_count <= SCN_PARTITIONS_MAX);
        uint32_t count = kafka_group_commit_records(group, request, msg_ids, keys);
        int64_t end = append_records(broker, group, msg_ids, keys, count);
        if (end >= 0) {
            kafka_group_commit_appended(group, request, end);
            answer_when_committed(broker, group, response, source, end);
            broker_maybe_increment_hw(broker, group_partition(broker, group->group_index));
            kafka_msg_free(request);
            return;
        }
        error = KAFKA_STORAGE_ERROR;
    }
    response->error = (uint16_t)error;
    broker_send(broker, source, response);
    kafka_msg_free(request);
}

int64_t kafka_coordinator_expire(kafka_broker *broker, int64_t now_us)
{
    int64_t next_us = INT64_MAX;
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++) {
        kafka_group *group = broker->groups[g];
        if (group == NULL) continue;
        int64_t group_next = after_change(broker, group);
        /* held answers share one timeout, so the oldest expires first */
        while (bl_ring_count(&group->answers) > 0) {
            kafka_group_answer *held = BL_RING_FRONT(&group->answers, kafka_group_answer);
            if (held->deadline_us > now_us) {
                if (held->deadline_us < group_next) group_next = held->deadline_us;
                break;
            }
            held->response->error = KAFKA_REQUEST_TIMED_OUT;
            broker_send(broker, held->destination, held->response);
            bl_ring_pop_front(&group->answers);
        }
        if (group_next < next_us) next_us = group_next;
    }
    return next_us;
}
