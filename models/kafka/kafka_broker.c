/* kafka_broker.c — a Kafka-style broker: partition logs it leads, produce with acks and
 * the flush policy, long-polling fetch, group coordination, OS writeback, retention,
 * and what survives a kill -9 versus a power loss.
 *
 * Rules implemented: K1 (append-only log, batch = unit), K3 (consumers read below the
 * high watermark, = LEO with one replica), K4 (no fsync unless the flush policy asks;
 * the OS writes back dirty data), K5 (kill -9 keeps the page cache, power loss cuts the
 * log at the last durable batch), K19 (acks=1 answers after the leader's append), K25-
 * K30 through kafka_group.c, K33 (retention deletes whole old batches). */
#include "kafka_broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/net.h"
#include "../common/host.h"

#define KAFKA_RETENTION_CHECK_US (300LL * 1000000LL)
#define KAFKA_PARKED_FETCHES_MAX 1024

enum {
    BROKER_TIMER_WRITEBACK = SIM_EVENT_MODEL_BASE,
    BROKER_TIMER_FLUSH,
    BROKER_TIMER_FSYNC_DONE, /* data: a pending_reply */
    BROKER_TIMER_FETCH_EXPIRE,
    BROKER_TIMER_GROUP_EXPIRE,
    BROKER_TIMER_RETENTION,
};

/* A produce response held until the fsync that the flush policy asked for completes. */
typedef struct pending_reply {
    kafka_msg *response;  /* NULL for acks=0 */
    uint32_t destination; /* node id */
    uint32_t log_index;
    uint64_t upto_bytes;
} pending_reply;

typedef struct parked_fetch {
    kafka_msg *request;
    uint32_t source; /* node id */
    int64_t deadline_us;
} parked_fetch;

static uint32_t log_index_of(const kafka_broker *broker, uint32_t topic, uint32_t partition)
{
    return broker->topic_log_base[topic] + partition;
}

static kafka_log *led_log(kafka_broker *broker, uint32_t topic, uint32_t partition)
{
    if (topic >= broker->cluster->scenario->topic_count) return NULL;
    if (partition >= broker->cluster->scenario->topics[topic].partition_count) return NULL;
    if (kafka_metadata_leader(&broker->cluster->metadata, topic, partition) != broker->index)
        return NULL;
    return broker->logs[log_index_of(broker, topic, partition)];
}

/* ---- produce ---- */

static void send_reply(kafka_broker *broker, uint32_t destination, kafka_msg *response)
{
    net_send(broker->node, sim_node_by_id(destination), kafka_msg_size_bytes(response), response);
}

static void start_fsync(kafka_broker *broker, uint32_t log_index, kafka_msg *response,
                        uint32_t destination)
{
    kafka_log *log = broker->logs[log_index];
    pending_reply *pending = calloc(1, sizeof *pending);
    BL_ASSERT(pending != NULL);
    pending->response = response;
    pending->destination = destination;
    pending->log_index = log_index;
    pending->upto_bytes = log->file->size_bytes;
    int64_t done_us = disk_fsync_start(&broker->disk, log->file, sim_now_us());
    sim_schedule(broker->node, done_us, BROKER_TIMER_FSYNC_DONE, 0, 0, pending);
    broker->messages_since_flush = 0;
}

static void handle_produce(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    bool acks0 = request->acks == 0;
    kafka_msg *response = acks0 ? NULL : kafka_msg_new(KAFKA_PRODUCE_RESPONSE, request->part_count);
    int64_t now_us = sim_now_us();
    int64_t fsync_log = -1;
    const kafka_cluster_options *flush = &broker->cluster->options;
    for (uint32_t i = 0; i < request->part_count; i++) {
        const kafka_part *part = &request->parts[i];
        kafka_log *log = led_log(broker, part->topic, part->partition);
        int64_t base = -1;
        uint16_t error = KAFKA_NOT_LEADER;
        if (log != NULL) {
            uint64_t bytes =
                KAFKA_BATCH_OVERHEAD_BYTES +
                (uint64_t)part->count * (part->record_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES);
            base = kafka_log_append(log, &broker->disk, part->msg_ids, part->keys, part->count,
                                    bytes, now_us);
            error = base < 0 ? KAFKA_STORAGE_ERROR : KAFKA_OK;
            if (base >= 0) {
                broker->record_size_bytes = part->record_size_bytes;
                broker->messages_since_flush += part->count;
                if (flush->flush_messages > 0 &&
                    broker->messages_since_flush >= flush->flush_messages)
                    fsync_log = log_index_of(broker, part->topic, part->partition);
            }
        }
        if (response != NULL) {
            response->parts[i] = (kafka_part){.topic = part->topic,
                                              .partition = part->partition,
                                              .offset = base,
                                              .batch_id = part->batch_id,
                                              .error = error};
        }
    }
    if (response != NULL) response->correlation_id = request->correlation_id;
    if (fsync_log >= 0)
        start_fsync(broker, (uint32_t)fsync_log, response, source);
    else if (response != NULL)
        send_reply(broker, source, response);
    broker->appended_since_wake = true;
}

/* ---- fetch ---- */

/* Fills one fetch response part from the log; returns true if it carries records. */
static bool fill_fetch_part(kafka_broker *broker, const kafka_part *want, uint64_t max_bytes,
                            kafka_msg *response, uint32_t part_index)
{
    kafka_part *out = &response->parts[part_index];
    *out = (kafka_part){.topic = want->topic, .partition = want->partition, .offset = want->offset};
    kafka_log *log = led_log(broker, want->topic, want->partition);
    if (log == NULL) {
        out->error = KAFKA_NOT_LEADER;
        return false;
    }
    out->high_watermark = log->end_offset; /* one replica: HW = LEO (K2) */
    if (want->offset < log->start_offset || want->offset > log->end_offset) {
        out->error = KAFKA_OFFSET_OUT_OF_RANGE;
        out->offset = log->start_offset;
        return false;
    }
    int64_t available = log->end_offset - want->offset;
    if (available == 0) return false;
    uint64_t record_bytes = broker->record_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES;
    uint64_t limit = max_bytes / record_bytes;
    if (limit == 0) limit = 1;
    uint32_t count = (uint32_t)((uint64_t)available < limit ? (uint64_t)available : limit);
    BL_ASSERT(want->offset + count <= out->high_watermark); /* never read above the HW */
    out->record_size_bytes = broker->record_size_bytes;
    kafka_part_records(response, part_index, count);
    uint64_t index = (uint64_t)(want->offset - log->array_base);
    memcpy(out->msg_ids, log->msg_ids + index, count * sizeof *out->msg_ids);
    memcpy(out->keys, log->keys + index, count * sizeof *out->keys);
    return true;
}

/* Answers the fetch if a partition has an error, or enough data is available
 * (fetch.min.bytes), or if forced (its wait expired). */
static bool try_answer_fetch(kafka_broker *broker, const kafka_msg *request, uint32_t source,
                             bool force)
{
    bool ready = force;
    uint64_t available_bytes = 0;
    uint64_t record_bytes = broker->record_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES;
    for (uint32_t i = 0; i < request->part_count && !ready; i++) {
        const kafka_part *want = &request->parts[i];
        kafka_log *log = led_log(broker, want->topic, want->partition);
        if (log == NULL || want->offset < log->start_offset || want->offset > log->end_offset) {
            ready = true; /* an error to report */
            break;
        }
        available_bytes += (uint64_t)(log->end_offset - want->offset) * record_bytes;
        ready = available_bytes > 0 && available_bytes >= request->min_bytes;
    }
    if (!ready) return false;
    kafka_msg *response = kafka_msg_new(KAFKA_FETCH_RESPONSE, request->part_count);
    response->correlation_id = request->correlation_id;
    for (uint32_t i = 0; i < request->part_count; i++)
        fill_fetch_part(broker, &request->parts[i], request->parts[i].max_bytes, response, i);
    send_reply(broker, source, response);
    return true;
}

static void handle_fetch(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    if (try_answer_fetch(broker, request, source, false)) {
        kafka_msg_free(request);
        return;
    }
    BL_ASSERTF(broker->parked_count < KAFKA_PARKED_FETCHES_MAX, "too many parked fetches");
    parked_fetch *parked = &broker->parked[broker->parked_count++];
    parked->request = request;
    parked->source = source;
    parked->deadline_us = sim_now_us() + request->max_wait_us;
    /* One expiry timer at the earliest parked deadline (Kafka's DelayedFetch waits in a
     * purgatory whose timer only matters for operations still pending). */
    sim_timer_arm(broker->node, &broker->fetch_expiry, parked->deadline_us,
                  BROKER_TIMER_FETCH_EXPIRE);
}

/* Answers parked fetches that now have data, or whose wait expired. */
static void answer_parked(kafka_broker *broker, bool expired_only)
{
    int64_t now_us = sim_now_us();
    uint32_t kept = 0;
    for (uint32_t i = 0; i < broker->parked_count; i++) {
        parked_fetch *parked = &broker->parked[i];
        bool expired = parked->deadline_us <= now_us;
        bool answered = (expired_only && !expired)
                            ? false
                            : try_answer_fetch(broker, parked->request, parked->source, expired);
        if (answered)
            kafka_msg_free(parked->request);
        else
            broker->parked[kept++] = *parked;
    }
    broker->parked_count = kept;
    if (!expired_only) return;
    int64_t next_us = SIM_TIME_NEVER;
    for (uint32_t i = 0; i < broker->parked_count; i++)
        if (broker->parked[i].deadline_us < next_us) next_us = broker->parked[i].deadline_us;
    BL_ASSERT(next_us > now_us);
    if (next_us != SIM_TIME_NEVER)
        sim_timer_arm(broker->node, &broker->fetch_expiry, next_us, BROKER_TIMER_FETCH_EXPIRE);
}

/* After all requests of one wake-up: appends may have satisfied parked fetches. */
static void broker_on_wake_end(sim_node *node)
{
    kafka_broker *broker = node->model;
    if (broker->appended_since_wake && broker->parked_count > 0) answer_parked(broker, false);
    broker->appended_since_wake = false;
}

/* ---- group coordination ---- */

static void handle_heartbeat(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    kafka_msg *response = kafka_msg_new(KAFKA_HEARTBEAT_RESPONSE, 0);
    response->correlation_id = request->correlation_id;
    kafka_group *group = broker->groups[request->group];
    BL_ASSERT(group != NULL);
    kafka_group_heartbeat(group, request, source, sim_now_us(), response);
    kafka_msg_free(request);
    send_reply(broker, source, response);
}

static void handle_commit(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    kafka_group *group = broker->groups[request->group];
    BL_ASSERT(group != NULL);
    kafka_msg *response = kafka_msg_new(KAFKA_COMMIT_RESPONSE, 0);
    response->correlation_id = request->correlation_id;
    response->error = (uint16_t)kafka_group_commit(group, &broker->disk, request, sim_now_us());
    kafka_msg_free(request);
    send_reply(broker, source, response);
}

/* ---- timers ---- */

static void on_writeback(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    disk_writeback(&broker->disk, now_us);
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++)
        if (broker->groups[g] != NULL) kafka_group_sync_durable(broker->groups[g]);
    sim_schedule(broker->node, now_us + broker->disk.options.writeback_interval_us,
                 BROKER_TIMER_WRITEBACK, 0, 0, NULL);
}

static void on_flush_interval(kafka_broker *broker)
{
    const kafka_cluster_options *flush = &broker->cluster->options;
    for (uint32_t i = 0; i < broker->log_count; i++) {
        kafka_log *log = broker->logs[i];
        if (log != NULL && log->file->size_bytes > log->file->durable_bytes)
            start_fsync(broker, i, NULL, 0);
    }
    sim_schedule(broker->node, sim_now_us() + flush->flush_interval_us, BROKER_TIMER_FLUSH, 0, 0,
                 NULL);
}

static void on_fsync_done(kafka_broker *broker, pending_reply *pending)
{
    kafka_log *log = broker->logs[pending->log_index];
    disk_fsync_done(&broker->disk, log->file, pending->upto_bytes);
    if (pending->response != NULL) send_reply(broker, pending->destination, pending->response);
    free(pending);
}

static void on_group_expire(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    int64_t next_us = INT64_MAX;
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++) {
        if (broker->groups[g] == NULL) continue;
        int64_t group_next = kafka_group_expire(broker->groups[g], now_us);
        if (group_next < next_us) next_us = group_next;
    }
    /* Check at least every second: new members may join with earlier expiries. */
    int64_t check_us = now_us + 1000000;
    sim_schedule(broker->node, next_us < check_us ? next_us : check_us, BROKER_TIMER_GROUP_EXPIRE,
                 0, 0, NULL);
}

static void on_retention(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    const scn_scenario *scenario = broker->cluster->scenario;
    for (uint32_t t = 0; t < scenario->topic_count; t++) {
        const scn_topic *topic = &scenario->topics[t];
        const kafka_topic_options *retention = &broker->cluster->topics[t];
        int64_t cutoff_us =
            retention->retention_us > 0 ? now_us - retention->retention_us : INT64_MIN;
        for (uint32_t p = 0; p < topic->partition_count; p++) {
            kafka_log *log = led_log(broker, t, p);
            if (log != NULL)
                kafka_log_retain(log, &broker->disk, cutoff_us, retention->retention_bytes);
        }
    }
    sim_schedule(broker->node, now_us + KAFKA_RETENTION_CHECK_US, BROKER_TIMER_RETENTION, 0, 0,
                 NULL);
}

/* ---- node callbacks ---- */

static void broker_on_event(sim_node *node, const sim_event *ev)
{
    kafka_broker *broker = node->model;
    switch (ev->kind) {
    case SIM_EVENT_PACKET: {
        kafka_msg *msg = ev->data;
        switch (msg->api) {
        case KAFKA_PRODUCE_REQUEST:
            handle_produce(broker, msg, ev->arg);
            kafka_msg_free(msg);
            return;
        case KAFKA_FETCH_REQUEST: handle_fetch(broker, msg, ev->arg); return;
        case KAFKA_HEARTBEAT_REQUEST: handle_heartbeat(broker, msg, ev->arg); return;
        case KAFKA_COMMIT_REQUEST: handle_commit(broker, msg, ev->arg); return;
        default: BL_ASSERTF(false, "broker got api %d", msg->api);
        }
        return;
    }
    case SIM_EVENT_NET_RESET: return; /* a client went away; nothing to clean up */
    case BROKER_TIMER_WRITEBACK: on_writeback(broker); return;
    case BROKER_TIMER_FLUSH: on_flush_interval(broker); return;
    case BROKER_TIMER_FSYNC_DONE: on_fsync_done(broker, ev->data); return;
    case BROKER_TIMER_FETCH_EXPIRE: answer_parked(broker, true); return;
    case BROKER_TIMER_GROUP_EXPIRE: on_group_expire(broker); return;
    case BROKER_TIMER_RETENTION: on_retention(broker); return;
    default: BL_ASSERTF(false, "broker event kind %u", ev->kind);
    }
}

static void broker_on_stop(sim_node *node, bool power_loss)
{
    kafka_broker *broker = node->model;
    for (uint32_t i = 0; i < broker->parked_count; i++) kafka_msg_free(broker->parked[i].request);
    broker->parked_count = 0;
    broker->messages_since_flush = 0;
    broker->disk.busy_until_us = 0;
    if (power_loss) {
        disk_power_loss(&broker->disk);
        for (uint32_t i = 0; i < broker->log_count; i++)
            if (broker->logs[i] != NULL) kafka_log_recover(broker->logs[i], &broker->disk);
    }
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++)
        if (broker->groups[g] != NULL) kafka_group_restart(broker->groups[g], power_loss);
}

static void broker_on_start(sim_node *node)
{
    kafka_broker *broker = node->model;
    int64_t now_us = sim_now_us();
    sim_schedule(node, now_us + broker->disk.options.writeback_interval_us, BROKER_TIMER_WRITEBACK,
                 0, 0, NULL);
    if (broker->cluster->options.flush_interval_us > 0)
        sim_schedule(node, now_us + broker->cluster->options.flush_interval_us, BROKER_TIMER_FLUSH,
                     0, 0, NULL);
    sim_schedule(node, now_us + 1000000, BROKER_TIMER_GROUP_EXPIRE, 0, 0, NULL);
    sim_schedule(node, now_us + KAFKA_RETENTION_CHECK_US, BROKER_TIMER_RETENTION, 0, 0, NULL);
}

static void broker_free_data(uint32_t kind, void *data)
{
    if (kind == BROKER_TIMER_FSYNC_DONE) { /* the fsync never completed: nor does its reply */
        pending_reply *pending = data;
        if (pending->response != NULL) kafka_msg_free(pending->response);
        free(pending);
        return;
    }
    BL_ASSERT(kind == SIM_EVENT_PACKET);
    kafka_msg_free(data);
}

static const sim_node_ops broker_ops = {
    .on_event = broker_on_event,
    .on_wake_end = broker_on_wake_end,
    .on_stop = broker_on_stop,
    .on_start = broker_on_start,
    .free_data = broker_free_data,
};

kafka_broker *kafka_broker_create(const kafka_cluster *cluster, uint32_t index)
{
    const scn_scenario *scenario = cluster->scenario;
    kafka_broker *broker = calloc(1, sizeof *broker);
    BL_ASSERT(broker != NULL);
    broker->cluster = cluster;
    broker->index = index;
    disk_options host_disk = host_disk_options(&scenario->cluster);
    disk_init(&broker->disk, &host_disk);
    uint32_t logs = 0;
    for (uint32_t t = 0; t < scenario->topic_count; t++) {
        broker->topic_log_base[t] = logs;
        logs += scenario->topics[t].partition_count;
    }
    broker->log_count = logs;
    broker->logs = calloc(logs, sizeof *broker->logs);
    broker->parked = calloc(KAFKA_PARKED_FETCHES_MAX, sizeof *broker->parked);
    BL_ASSERT(broker->logs != NULL && broker->parked != NULL);
    for (uint32_t t = 0; t < scenario->topic_count; t++) {
        for (uint32_t p = 0; p < scenario->topics[t].partition_count; p++) {
            if (kafka_metadata_leader(&cluster->metadata, t, p) != index) continue;
            kafka_log *log = calloc(1, sizeof *log);
            BL_ASSERT(log != NULL);
            kafka_log_init(log, &broker->disk);
            broker->logs[log_index_of(broker, t, p)] = log;
        }
    }
    for (uint32_t g = 0; g < scenario->consumer_count; g++) {
        if (kafka_metadata_coordinator(&cluster->metadata, g) != index) continue;
        broker->groups[g] = calloc(1, sizeof *broker->groups[g]);
        BL_ASSERT(broker->groups[g] != NULL);
        kafka_group_init(broker->groups[g], scenario, (uint16_t)g, &broker->disk);
    }
    char name[64];
    snprintf(name, sizeof name, "broker/%u", index);
    broker->node = sim_add_node(name, SIM_ROLE_BROKER, &broker_ops, broker);
    broker->node->entry = index;
    broker->node->disk = &broker->disk;
    return broker;
}

void kafka_broker_free(kafka_broker *broker)
{
    for (uint32_t i = 0; i < broker->parked_count; i++) kafka_msg_free(broker->parked[i].request);
    for (uint32_t i = 0; i < broker->log_count; i++) {
        if (broker->logs[i] == NULL) continue;
        kafka_log_free(broker->logs[i]);
        free(broker->logs[i]);
    }
    free(broker->logs);
    free(broker->parked);
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++) {
        if (broker->groups[g] == NULL) continue;
        kafka_group_free(broker->groups[g]);
        free(broker->groups[g]);
    }
    disk_free(&broker->disk);
    free(broker);
}
