/* kafka_broker.c — a Kafka-style broker: the replicas it holds, produce with acks and
 * the flush policy, long-polling fetch for consumers and followers, follower fetchers,
 * the high watermark and the ISR, group coordination, OS writeback, retention, and what
 * survives a kill -9 versus a power loss.
 *
 * Rules implemented: K1 (append-only log, batch = unit), K2/K3 (the HW is the minimum
 * LEO of the ISR; consumers read below it, kafka_partition.c), K4 (no fsync unless the
 * flush policy asks; the OS writes back dirty data), K5 (kill -9 keeps the page cache,
 * power loss cuts the log at the last durable batch), K10 (min.insync.replicas), K19
 * (acks=1 answers after the leader's append, acks=all once the HW passes the records:
 * ReplicaManager.appendRecords and DelayedProduce), K25-K30 through kafka_group.c, K33
 * (retention deletes whole old batches).
 *
 * Replication follows core/.../server/ReplicaManager.scala, AbstractFetcherThread and
 * ReplicaFetcherThread: a follower runs one fetcher per leader, which sends the next
 * fetch as soon as the previous answer is applied; the leader updates the follower's
 * state when the fetch arrives (never when a parked fetch completes), then the ISR and
 * the HW; the follower learns the HW from later answers only.
 *
 * The follower's fetchers are in kafka_fetcher.c; registration, heartbeats, the
 * metadata image and AlterPartition in kafka_broker_lifecycle.c. A broker leads and
 * follows by its own image of the metadata, which the controller updates. */
#include "kafka_broker_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/net.h"
#include "../../engine/vec.h"
#include "../common/host.h"

#define KAFKA_RETENTION_CHECK_US (300LL * 1000000LL)
#define KAFKA_HW_CHECKPOINT_INTERVAL_US \
    (5LL * 1000000LL) /* replica.high.watermark.checkpoint.interval.ms */
#define KAFKA_RECOVERY_CHECKPOINT_INTERVAL_US \
    (60LL * 1000000LL) /* log.flush.offset.checkpoint.interval.ms */
/* Long-polling fetches one broker holds: each consumer and each follower's fetcher
 * keeps at most one per broker (the scenario's node limit is 2,048). */
#define KAFKA_PARKED_FETCHES_MAX 4096
_Static_assert(KAFKA_PARKED_FETCHES_MAX >= SIM_NODES_MAX, "every node's one parked fetch fits");

/* A flush-policy fsync; the produce request that triggered it (produce_id, 0 = none)
 * answers only once it completed. */
typedef struct pending_fsync {
    uint32_t partition_index;
    uint64_t upto_bytes;
    int64_t upto_offset; /* the log end when it began: the recovery point it sets */
    uint64_t produce_id;
} pending_fsync;

/* A produce request whose answer waits: for the HW to pass its records (acks=all) and
 * for the fsync the flush policy started. */
struct delayed_produce {
    uint64_t id;
    kafka_msg *response; /* NULL for acks=0 */
    uint32_t destination;
    int64_t deadline_us; /* the request's timeout */
    int64_t *required;   /* per response part: the offset the HW must reach; -1 = settled */
    bool required_heap;  /* `required` is the entry's own (else the caller's stack) */
    uint32_t open_parts;
    bool fsync_pending;
};

struct parked_fetch {
    kafka_msg *request;
    uint32_t source; /* node id */
    int64_t deadline_us;
};

uint32_t broker_partition_index(const kafka_broker *broker, uint32_t topic, uint32_t partition)
{
    return broker->topic_partition_base[topic] + partition;
}

kafka_partition *broker_replica(kafka_broker *broker, uint32_t topic, uint32_t partition)
{
    if (topic > kafka_metadata_offsets_topic(&broker->image)) return NULL;
    if (partition >= broker->image.topic_partitions[topic]) return NULL;
    return broker->partitions[broker_partition_index(broker, topic, partition)];
}

kafka_partition *broker_led(kafka_broker *broker, uint32_t topic, uint32_t partition)
{
    kafka_partition *p = broker_replica(broker, topic, partition);
    return p != NULL && broker->image_ready && p->state->leader == broker->index ? p : NULL;
}

const kafka_partition *kafka_broker_replica(const kafka_broker *broker, uint32_t topic,
                                            uint32_t partition)
{
    return broker_replica((kafka_broker *)broker, topic, partition);
}

/* min.insync.replicas capped by the replication factor (Partition.effectiveMinIsr). */
static uint32_t effective_min_isr(const kafka_broker *broker, const kafka_partition *p)
{
    uint32_t min_isr = broker->cluster->topics[p->topic].min_insync_replicas;
    return min_isr < p->state->replica_count ? min_isr : p->state->replica_count;
}

static uint32_t isr_size(const kafka_partition *p)
{
    return (uint32_t)__builtin_popcount(p->state->isr_brokers);
}

/* A rise may complete delayed produces and parked consumer fetches (looked at once, at
 * the end of the wake-up). */
void broker_maybe_increment_hw(kafka_broker *broker, kafka_partition *p)
{
    const kafka_cluster_options *options = &broker->cluster->options;
    if (kafka_partition_maybe_increment_hw(
            p, kafka_partition_maximal_isr(p), effective_min_isr(broker, p),
            ~broker->image.fenced_brokers, sim_now_us(), options->replica_lag_time_max_us)) {
        broker->parked_may_answer = true;
        if (p->topic == kafka_metadata_offsets_topic(&broker->image))
            kafka_coordinator_on_high_watermark(broker, p);
    }
}

void broker_send(kafka_broker *broker, uint32_t node_id, kafka_msg *msg)
{
    net_send(broker->node, sim_node_by_id(node_id), kafka_msg_size_bytes(msg), msg);
}

/* ---- produce ---- */

void broker_start_fsync(kafka_broker *broker, uint32_t partition_index, uint64_t produce_id)
{
    kafka_partition *p = broker->partitions[partition_index];
    pending_fsync *pending = calloc(1, sizeof *pending);
    BL_ASSERT(pending != NULL);
    *pending = (pending_fsync){.partition_index = partition_index,
                               .upto_bytes = p->log.file->size_bytes,
                               .upto_offset = p->log.end_offset,
                               .produce_id = produce_id};
    int64_t done_us = disk_fsync_start(&broker->disk, p->log.file, sim_now_us());
    sim_schedule(broker->node, done_us, BROKER_TIMER_FSYNC_DONE, 0, 0, pending);
    p->messages_since_flush = 0;
}

/* A write the disk refused (no space left): the log directory goes offline
 * (LogDirFailureChannel.maybeAddOfflineLogDir, the append answered KAFKA_STORAGE_ERROR),
 * and with its only log directory offline the broker halts
 * (LogManager.handleLogDirFailure: "all log dirs have failed", Exit.halt(1)) once the
 * event at hand is handled. It runs again only when restarted (a restart fault, the
 * drain). */
static void log_dir_failed(void)
{
#ifdef BROKERLAB_MUTANT_LOG_DIR_FAILURE_RETRIABLE
    return; /* mutant (scripts/mutants.sh): a full disk is a retriable error */
#endif
    sim_halt_current();
}

int64_t broker_append_run(kafka_broker *broker, kafka_partition *p, const uint64_t *msg_ids,
                          const int32_t *keys, const kafka_batch_header *headers,
                          uint32_t header_count, uint32_t record_size_bytes, int32_t epoch,
                          bool *flush)
{
    BL_ASSERT(epoch >= 0);
    kafka_epoch_assign(&p->epochs, epoch, p->log.end_offset); /* a no-op within an epoch */
    int64_t base = kafka_log_append_run(
        &p->log, &broker->disk, msg_ids, keys, headers, header_count, KAFKA_BATCH_OVERHEAD_BYTES,
        record_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES, sim_now_us());
    *flush = false;
    if (base < 0) {
        log_dir_failed();
        return -1;
    }
    /* what an append leaves behind (UnifiedLog.append and the flush policy): the record
     * size fetches weigh, the messages since the last flush, whether to flush now */
    p->record_size_bytes = record_size_bytes;
    p->messages_since_flush += p->log.end_offset - base; /* flush.messages counts per log */
    const kafka_cluster_options *options = &broker->cluster->options;
    *flush = options->flush_messages > 0 && p->messages_since_flush >= options->flush_messages;
    if (p->log.rolled) { /* UnifiedLog.roll: the segments before the new one are flushed */
        p->log.rolled = false;
        bool roll_flush = !*flush;
#ifdef BROKERLAB_MUTANT_ROLL_NOT_FLUSHED
        roll_flush = false; /* mutant (scripts/mutants.sh): a roll flushes nothing */
#endif
        if (roll_flush)
            broker_start_fsync(broker, broker_partition_index(broker, p->topic, p->partition), 0);
    }
    broker->parked_may_answer = true;
    return base;
}

int64_t broker_append(kafka_broker *broker, kafka_partition *p, const uint64_t *msg_ids,
                      const int32_t *keys, uint32_t count, uint32_t record_size_bytes,
                      int32_t epoch, kafka_producer_stamp stamp, bool *flush)
{
    const kafka_batch_header header = {.count = count, .stamp = stamp};
    return broker_append_run(broker, p, msg_ids, keys, &header, 1, record_size_bytes, epoch, flush);
}

static void delayed_free(delayed_produce *delayed)
{
    if (delayed->response != NULL) kafka_msg_free(delayed->response);
    if (delayed->required_heap) free(delayed->required);
    delayed->response = NULL;
    delayed->required = NULL;
}

/* DelayedProduce.tryComplete for every open part; answers when nothing is left. Returns
 * whether it answered (the entry is then free). */
static bool delayed_try_complete(kafka_broker *broker, delayed_produce *delayed, bool expired)
{
    for (uint32_t i = 0; delayed->open_parts > 0 && i < delayed->response->part_count; i++) {
        if (delayed->required[i] < 0) continue;
        kafka_part *part = &delayed->response->parts[i];
        kafka_partition *p = broker_led(broker, part->topic, part->partition);
        if (p == NULL) {
            part->error = KAFKA_NOT_LEADER;
        } else if (p->hw >= delayed->required[i]) {
            /* Partition.checkEnoughReplicasReachOffset */
            /* (its maximal ISR: a member being added counts) */
            part->error = (uint32_t)__builtin_popcount(kafka_partition_maximal_isr(p)) >=
                                  effective_min_isr(broker, p)
                              ? KAFKA_OK
                              : KAFKA_NOT_ENOUGH_REPLICAS_AFTER_APPEND;
#ifdef BROKERLAB_MUTANT_NO_MIN_INSYNC
            part->error = KAFKA_OK;
#endif
            BL_ASSERT(part->error != KAFKA_OK || p->hw >= delayed->required[i]);
        } else if (expired) {
            part->error = KAFKA_REQUEST_TIMED_OUT;
        } else {
            continue;
        }
        delayed->required[i] = -1;
        delayed->open_parts--;
    }
    if (delayed->open_parts > 0 || delayed->fsync_pending) return false;
    if (delayed->response != NULL) {
        broker_send(broker, delayed->destination, delayed->response);
        delayed->response = NULL;
    }
    delayed_free(delayed);
    return true;
}

/* Looks at every delayed produce (after an HW rise, an fsync, or at a deadline) and
 * re-arms the expiry timer at the earliest one left. */
static void delayed_sweep(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    int64_t next_us = SIM_TIME_NEVER;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < broker->delayed_count; i++) {
        delayed_produce *delayed = &broker->delayed[i];
        if (delayed_try_complete(broker, delayed, delayed->deadline_us <= now_us)) continue;
        if (delayed->open_parts > 0 && delayed->deadline_us < next_us)
            next_us = delayed->deadline_us;
        broker->delayed[kept++] = *delayed;
    }
    broker->delayed_count = kept;
    if (next_us != SIM_TIME_NEVER)
        sim_timer_arm(broker->node, &broker->produce_expiry, next_us, BROKER_TIMER_PRODUCE_EXPIRE);
}

static void handle_produce(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    bool acks0 = request->acks == KAFKA_ACKS_0;
    bool acks_all = request->acks == KAFKA_ACKS_ALL;
    kafka_msg *response = acks0 ? NULL : kafka_msg_new(KAFKA_PRODUCE_RESPONSE, request->part_count);
    /* on the stack unless the request must wait (one replica, acks=1: the common case) */
    int64_t required_local[64];
    int64_t *required =
        request->part_count <= 64 ? required_local : malloc(request->part_count * sizeof *required);
    BL_ASSERT(required != NULL);
    uint32_t open_parts = 0;
    int64_t fsync_partition = -1;
    for (uint32_t i = 0; i < request->part_count; i++) {
        const kafka_part *part = &request->parts[i];
        kafka_partition *p = broker_led(broker, part->topic, part->partition);
        int64_t base = -1;
        uint16_t error = KAFKA_NOT_LEADER;
        required[i] = -1;
        bool enough_isr = p == NULL || !acks_all || isr_size(p) >= effective_min_isr(broker, p);
#ifdef BROKERLAB_MUTANT_NO_MIN_INSYNC
        enough_isr = true; /* mutant (scripts/mutants.sh): min.insync.replicas not enforced */
#endif
        if (!enough_isr) {
            error = KAFKA_NOT_ENOUGH_REPLICAS; /* Partition.appendRecordsToLeader: not appended */
        } else if (p != NULL) {
            bool flush = false;
            kafka_sequence_verdict verdict = KAFKA_SEQUENCE_APPEND;
#ifdef BROKERLAB_MUTANT_ACK_BEFORE_APPEND
            /* mutant: the answer is made as if the records were appended; they are not */
            base = p->log.end_offset;
            acks_all = false;
#else
            if (part->stamp.producer_id != KAFKA_NO_PRODUCER_ID) /* UnifiedLog.append, CLIENT */
                verdict =
                    kafka_producer_state_check(&p->log.producers, part->stamp, part->count, &base);
            if (verdict == KAFKA_SEQUENCE_APPEND)
                base = broker_append(broker, p, part->msg_ids, part->keys, part->count,
                                     part->record_size_bytes, (int32_t)p->state->leader_epoch,
                                     part->stamp, &flush);
#endif
            error = base < 0 ? KAFKA_STORAGE_ERROR : KAFKA_OK;
            if (verdict == KAFKA_SEQUENCE_OUT_OF_ORDER) error = KAFKA_OUT_OF_ORDER_SEQUENCE;
            if (verdict == KAFKA_SEQUENCE_INVALID_EPOCH) error = KAFKA_INVALID_PRODUCER_EPOCH;
            if (error != KAFKA_OK) base = -1;
            if (flush)
                fsync_partition = broker_partition_index(broker, part->topic, part->partition);
            if (base >= 0) broker_maybe_increment_hw(broker, p);
#ifdef BROKERLAB_MUTANT_ACKS_ALL_LEADER_ONLY
            acks_all = false; /* mutant: acks=all answered once the leader has appended */
#endif
            if (base >= 0 && acks_all && response != NULL) { /* DelayedProduce */
                required[i] = base + part->count;
                open_parts++;
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
    delayed_produce delayed = {.id = ++broker->next_produce_id,
                               .response = response,
                               .destination = source,
                               .deadline_us = sim_now_us() + request->timeout_us,
                               .required = required,
                               .required_heap = required != required_local,
                               .open_parts = open_parts,
                               .fsync_pending = fsync_partition >= 0};
    if (fsync_partition >= 0) broker_start_fsync(broker, (uint32_t)fsync_partition, delayed.id);
    /* answered now when nothing waits (acks=1, or acks=all with the HW already past the
     * records: a single replica); else into the purgatory */
    if (delayed_try_complete(broker, &delayed, false)) return; /* freed `required` */
    if (required == required_local) {                          /* it waits: its own copy */
        delayed.required = malloc(request->part_count * sizeof *delayed.required);
        BL_ASSERT(delayed.required != NULL);
        memcpy(delayed.required, required_local, request->part_count * sizeof *required);
        delayed.required_heap = true;
    }
    BL_GROW(broker->delayed, broker->delayed_capacity, (uint64_t)broker->delayed_count + 1,
            KAFKA_DELAYED_PRODUCES_MAX, "delayed produces of a broker");
    broker->delayed[broker->delayed_count++] = delayed;
    if (delayed.open_parts > 0)
        sim_timer_arm(broker->node, &broker->produce_expiry, delayed.deadline_us,
                      BROKER_TIMER_PRODUCE_EXPIRE);
}

/* ---- fetch: consumers and followers ---- */

/* The offset a fetch may read up to: followers read the whole log, consumers only what
 * the ISR has (UnifiedLog.read with FetchIsolation LOG_END or HIGH_WATERMARK). */
static int64_t fetch_upper(const kafka_msg *request, const kafka_partition *p)
{
#ifdef BROKERLAB_MUTANT_DELIVER_ABOVE_HW
    return p->log.end_offset; /* mutant: consumers read what the ISR does not have yet */
#endif
    return request->from_follower ? p->log.end_offset : p->hw;
}

/* Partition.localLogWithEpochOrThrow for a client naming its current leader epoch. */
static uint16_t consumer_epoch_error(const kafka_partition *p, const kafka_part *want)
{
    if (want->leader_epoch < p->state->leader_epoch) return KAFKA_FENCED_LEADER_EPOCH;
    if (want->leader_epoch > p->state->leader_epoch) return KAFKA_UNKNOWN_LEADER_EPOCH;
    return KAFKA_OK;
}

/* A follower's records come as the leader's batches, each with its producer stamp: whole
 * batches from its fetch offset on (a fetch offset inside a batch: its tail, the
 * stamp's sequence moved on), at least one, and no more records than `limit` after the
 * first (the fetch returns whole batches, KIP-74). Returns the records added. */
static uint32_t add_follower_batches(const kafka_log *log, kafka_msg *response, uint32_t part_index,
                                     int64_t from, int64_t upper, uint64_t limit)
{
    uint32_t count = 0;
    const bl_ring *batches = &log->batches;
    for (uint32_t i = kafka_log_batch_at(log, from); i < bl_ring_count(batches); i++) {
        const kafka_log_batch *batch = BL_RING_AT(batches, kafka_log_batch, i);
        int64_t start = batch->base_offset > from ? batch->base_offset : from;
        int64_t end =
            batch->base_offset + batch->count < upper ? batch->base_offset + batch->count : upper;
        if (start >= end) break;
        uint32_t n = (uint32_t)(end - start);
        if (count > 0 && (uint64_t)count + n > limit) break;
        kafka_producer_stamp stamp = batch->stamp;
        if (stamp.producer_id != KAFKA_NO_PRODUCER_ID && start > batch->base_offset)
            stamp.base_sequence =
                kafka_sequence_add(stamp.base_sequence, (uint32_t)(start - batch->base_offset));
        kafka_part_add_batch(response, part_index, n, stamp);
        count += n;
    }
    BL_ASSERT(count > 0);
    return count;
}

/* Fills one fetch response part from the log; returns true if it carries records. */
static bool fill_fetch_part(kafka_broker *broker, const kafka_msg *request, const kafka_part *want,
                            kafka_msg *response, uint32_t part_index)
{
    kafka_part *out = &response->parts[part_index];
    *out = (kafka_part){.topic = want->topic,
                        .partition = want->partition,
                        .offset = want->offset,
                        .records_epoch = KAFKA_EPOCH_NONE,
                        .diverging_epoch = KAFKA_EPOCH_NONE};
    kafka_partition *p = broker_led(broker, want->topic, want->partition);
    if (p == NULL) {
        out->error = KAFKA_NOT_LEADER;
        return false;
    }
    kafka_log *log = &p->log;
    out->high_watermark = p->hw;
    out->log_start_offset = log->start_offset;
    out->log_end_offset = log->end_offset;
    if (want->offset < log->start_offset || want->offset > log->end_offset) {
        out->error = KAFKA_OFFSET_OUT_OF_RANGE;
        out->offset = log->start_offset;
        return false;
    }
    int64_t upper = fetch_upper(request, p);
    if (request->from_follower) {
        out->error = kafka_fetcher_check_follower(broker, p, want, out);
        if (out->error != KAFKA_OK || out->diverging_epoch != KAFKA_EPOCH_NONE) return false;
        /* a follower's batch holds records of one leader epoch: stop where it ends */
        kafka_epoch_end run = kafka_epoch_run_at(&p->epochs, want->offset, log->end_offset);
        out->records_epoch = run.epoch;
        if (run.end_offset < upper) upper = run.end_offset;
    } else if (broker->cluster->options.leader_epochs) {
        /* a consumer's fetch names its current leader epoch (KIP-320) */
        out->error = consumer_epoch_error(p, want);
        if (out->error != KAFKA_OK) return false;
        /* its records carry their leader epoch: one epoch a part */
        kafka_epoch_end run = kafka_epoch_run_at(&p->epochs, want->offset, log->end_offset);
        out->records_epoch = run.epoch;
        if (run.end_offset < upper) upper = run.end_offset;
    }
    if (want->offset >= upper) return false; /* nothing yet (a consumer: nothing committed) */
    int64_t available = upper - want->offset;
    uint64_t record_bytes = p->record_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES;
    uint64_t limit = want->max_bytes / record_bytes;
    if (limit == 0) limit = 1;
    uint32_t count =
        request->from_follower
            ? add_follower_batches(log, response, part_index, want->offset, upper, limit)
            : (uint32_t)((uint64_t)available < limit ? (uint64_t)available : limit);
    /* K3: a consumer never gets a record at or above the high watermark */
    BL_ASSERTF(request->from_follower || want->offset + count <= p->hw,
               "a consumer read [%lld, %lld) above the high watermark %lld",
               (long long)want->offset, (long long)(want->offset + count), (long long)p->hw);
    out->record_size_bytes = p->record_size_bytes;
    kafka_part_records(response, part_index, count);
    uint64_t index = (uint64_t)(want->offset - log->array_base);
    memcpy(out->msg_ids, log->msg_ids + index, count * sizeof *out->msg_ids);
    memcpy(out->keys, log->keys + index, count * sizeof *out->keys);
    return true;
}

/* Answers the fetch if a partition has an error, or enough data is available
 * (fetch.min.bytes, replica.fetch.min.bytes), or if forced (its wait expired). A
 * follower's epochs are checked when its fetch arrives: a parked one passed the check,
 * and only a leadership change (no longer led here: an error) can undo that. */
static bool try_answer_fetch(kafka_broker *broker, const kafka_msg *request, uint32_t source,
                             bool force, bool arrival)
{
    bool ready = force;
    uint64_t available_bytes = 0;
    for (uint32_t i = 0; i < request->part_count && !ready; i++) {
        const kafka_part *want = &request->parts[i];
        kafka_partition *p = broker_led(broker, want->topic, want->partition);
        bool report = p == NULL || want->offset < p->log.start_offset ||
                      want->offset > p->log.end_offset ||
                      (!request->from_follower && broker->cluster->options.leader_epochs &&
                       consumer_epoch_error(p, want) != KAFKA_OK);
        if (!report && request->from_follower && arrival) { /* (a parked fetch: checked) */
            kafka_part check;
            report = kafka_fetcher_check_follower(broker, p, want, &check) != KAFKA_OK ||
                     check.diverging_epoch != KAFKA_EPOCH_NONE;
        }
        if (report) {
            ready = true; /* an error or a divergence to report */
            break;
        }
        int64_t upper = fetch_upper(request, p);
        if (upper > want->offset)
            available_bytes += (uint64_t)(upper - want->offset) *
                               (p->record_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES);
        ready = available_bytes > 0 && available_bytes >= request->min_bytes;
    }
    if (!ready) return false;
    kafka_msg *response = kafka_msg_new(KAFKA_FETCH_RESPONSE, request->part_count);
    response->correlation_id = request->correlation_id;
    response->from_follower = request->from_follower;
    response->replica_id = (uint16_t)broker->index;
    for (uint32_t i = 0; i < request->part_count; i++)
        fill_fetch_part(broker, request, &request->parts[i], response, i);
    broker_send(broker, source, response);
    return true;
}

/* A follower's fetch, as the leader sees it arrive (Partition.fetchRecords ->
 * updateFollowerFetchState): the follower's state, then ISR expansion and the HW. */
static void follower_fetch_arrived(kafka_broker *broker, const kafka_msg *request)
{
    int64_t now_us = sim_now_us();
    for (uint32_t i = 0; i < request->part_count; i++) {
        const kafka_part *want = &request->parts[i];
        kafka_partition *p = broker_led(broker, want->topic, want->partition);
        if (p == NULL || want->offset < p->log.start_offset || want->offset > p->log.end_offset)
            continue;     /* answered with an error, no state change */
        kafka_part check; /* kafka_fetcher_check_follower sets what is read */
        if (kafka_fetcher_check_follower(broker, p, want, &check) != KAFKA_OK ||
            check.diverging_epoch != KAFKA_EPOCH_NONE)
            continue; /* fenced, or diverged: no state change either */
        int32_t slot = kafka_partition_slot(p, request->replica_id);
        BL_ASSERTF(slot >= 0, "broker %u fetched %u/%u as a follower without a replica",
                   request->replica_id, want->topic, want->partition);
        kafka_partition_update_follower(p, (uint32_t)slot, want->offset, now_us);
        /* Partition.maybeExpandIsr: not pending, not fenced in this broker's image */
        uint32_t bit = 1u << request->replica_id;
        if ((p->state->isr_brokers & bit) == 0 && !p->alter_pending &&
            (broker->image.fenced_brokers & bit) == 0 &&
            kafka_partition_may_join_isr(p, (uint32_t)slot))
            kafka_lifecycle_propose_isr(broker, p, p->state->isr_brokers | bit);
        broker_maybe_increment_hw(broker, p);
    }
}

static void handle_fetch(kafka_broker *broker, kafka_msg *request, uint32_t source)
{
    if (request->from_follower) follower_fetch_arrived(broker, request);
    if (try_answer_fetch(broker, request, source, false, true)) {
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
        bool answered =
            (expired_only && !expired)
                ? false
                : try_answer_fetch(broker, parked->request, parked->source, expired, false);
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

/* ---- OffsetsForLeaderEpoch for consumers (KIP-320) ---- */

/* KafkaApis.handleOffsetForLeaderEpochRequest -> Partition.lastOffsetForLeaderEpoch:
 * for each part, as the leader, after the current-epoch check, where the asked epoch
 * ends in its log (endOffsetFor: (-1, -1) when undefined). */
static void handle_offsets_for_leader_epoch(kafka_broker *broker, const kafka_msg *request,
                                            uint32_t source)
{
    kafka_msg *response =
        kafka_msg_new(KAFKA_OFFSETS_FOR_LEADER_EPOCH_RESPONSE, request->part_count);
    response->correlation_id = request->correlation_id;
    for (uint32_t i = 0; i < request->part_count; i++) {
        const kafka_part *want = &request->parts[i];
        kafka_part *out = &response->parts[i];
        *out = (kafka_part){.topic = want->topic,
                            .partition = want->partition,
                            .diverging_epoch = KAFKA_EPOCH_NONE,
                            .diverging_end = -1};
        const kafka_partition *p = broker_led(broker, want->topic, want->partition);
        out->error = p == NULL ? KAFKA_NOT_LEADER : consumer_epoch_error(p, want);
        if (out->error != KAFKA_OK) continue;
        kafka_epoch_end end =
            kafka_epoch_end_offset_for(&p->epochs, want->records_epoch, p->log.end_offset);
        out->diverging_epoch = end.epoch;
        out->diverging_end = end.end_offset;
    }
    broker_send(broker, source, response);
}

/* ---- metadata for clients ---- */

/* InitProducerId without a transactional id (TransactionCoordinator.handleInitProducerId
 * -> ProducerIdManager.generateProducerId): the next id of the broker's block. A block
 * of KAFKA_PRODUCER_ID_BLOCK_SIZE comes from the controller (AllocateProducerIds,
 * ProducerIdControlManager); it is taken here at once, as RPCProducerIdManager fetches
 * the next block before the current one runs out. A broker not registered since its
 * start gets none and answers COORDINATOR_LOAD_IN_PROGRESS. */
static void handle_init_producer_id(kafka_broker *broker, const kafka_msg *request, uint32_t source)
{
    kafka_msg *response = kafka_msg_new(KAFKA_INIT_PRODUCER_ID_RESPONSE, 0);
    response->correlation_id = request->correlation_id;
    if (broker->broker_epoch == 0) {
        response->error = KAFKA_COORDINATOR_LOAD_IN_PROGRESS;
    } else {
        kafka_cluster *cluster = broker->cluster;
        if (broker->producer_id_next == broker->producer_id_block_end) {
            BL_ASSERTF(cluster->next_producer_id_block <= UINT32_MAX - KAFKA_PRODUCER_ID_BLOCK_SIZE,
                       "producer ids used up");
            broker->producer_id_next = cluster->next_producer_id_block;
            cluster->next_producer_id_block += KAFKA_PRODUCER_ID_BLOCK_SIZE;
            broker->producer_id_block_end = cluster->next_producer_id_block;
        }
        response->producer_id = broker->producer_id_next++;
    }
    broker_send(broker, source, response);
}

/* MetadataRequest, answered from this broker's image (KafkaApis.handleTopicMetadataRequest):
 * every partition of the topic the client names in parts[0].topic, with its leader and
 * leader epoch as this broker knows them. */
static void handle_metadata(kafka_broker *broker, const kafka_msg *request, uint32_t source)
{
    BL_ASSERT(request->part_count == 1);
    uint32_t topic = request->parts[0].topic;
    BL_ASSERT(topic <= kafka_metadata_offsets_topic(&broker->image));
    /* __consumer_offsets: FindCoordinator, the one partition named */
    bool find_coordinator = topic == kafka_metadata_offsets_topic(&broker->image);
    uint32_t first = find_coordinator ? request->parts[0].partition : 0;
    uint32_t partitions = find_coordinator ? 1 : broker->image.topic_partitions[topic];
    kafka_msg *response = kafka_msg_new(KAFKA_METADATA_RESPONSE, partitions);
    response->correlation_id = request->correlation_id;
    for (uint32_t i = 0; i < partitions; i++) {
        uint32_t p = first + i;
        const kafka_partition_state *state = kafka_metadata_partition(&broker->image, topic, p);
        response->parts[i] = (kafka_part){.topic = (uint16_t)topic,
                                          .partition = p,
                                          .leader = state->leader,
                                          .leader_epoch = state->leader_epoch};
    }
    broker_send(broker, source, response);
}

/* ---- timers ---- */

static void on_writeback(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    disk_writeback(&broker->disk, now_us);
    sim_schedule(broker->node, now_us + broker->disk.options.writeback_interval_us,
                 BROKER_TIMER_WRITEBACK, 0, 0, NULL);
}

static void on_flush_interval(kafka_broker *broker)
{
    const kafka_cluster_options *flush = &broker->cluster->options;
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        kafka_partition *p = broker->partitions[i];
        if (p != NULL && p->log.file->size_bytes > p->log.file->durable_bytes)
            broker_start_fsync(broker, i, 0);
    }
    sim_schedule(broker->node, sim_now_us() + flush->flush_interval_us, BROKER_TIMER_FLUSH, 0, 0,
                 NULL);
}

static void on_fsync_done(kafka_broker *broker, pending_fsync *pending)
{
    kafka_partition *p = broker->partitions[pending->partition_index];
    disk_fsync_done(&broker->disk, p->log.file, pending->upto_bytes);
    int64_t flushed =
        pending->upto_offset < p->log.end_offset ? pending->upto_offset : p->log.end_offset;
    if (flushed > p->recovery_point) p->recovery_point = flushed; /* updateRecoveryPoint */
    for (uint32_t i = 0; pending->produce_id != 0 && i < broker->delayed_count; i++) {
        if (broker->delayed[i].id != pending->produce_id) continue;
        broker->delayed[i].fsync_pending = false;
        broker->parked_may_answer = true;
    }
    free(pending);
}

static void on_group_expire(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    int64_t next_us = kafka_coordinator_expire(broker, now_us);
    if (next_us != INT64_MAX)
        sim_timer_arm(broker->node, &broker->group_timer, next_us, BROKER_TIMER_GROUP_EXPIRE);
}

static void on_retention(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        kafka_partition *p = broker->partitions[i];
        if (p == NULL) continue;
        const kafka_topic_options *retention = &broker->cluster->topics[p->topic];
        int64_t cutoff_us =
            retention->retention_us > 0 ? now_us - retention->retention_us : INT64_MIN;
        kafka_log_retain(&p->log, &broker->disk, cutoff_us, retention->retention_bytes, p->hw);
        if (p->hw < p->log.start_offset) p->hw = p->log.start_offset;
    }
    sim_schedule(broker->node, now_us + KAFKA_RETENTION_CHECK_US, BROKER_TIMER_RETENTION, 0, 0,
                 NULL);
}

/* ReplicaManager.maybeShrinkIsr, every replica.lag.time.max.ms / 2: followers that have
 * not caught up for longer than the lag leave the ISR of every partition led here. */
static void on_isr_expiration(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    int64_t lag_us = broker->cluster->options.replica_lag_time_max_us;
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        kafka_partition *p = broker->partitions[i];
        if (p == NULL || broker_led(broker, p->topic, p->partition) == NULL || p->alter_pending)
            continue;
        uint32_t out = kafka_partition_out_of_sync(p, p->state->isr_brokers, now_us, lag_us);
#ifdef BROKERLAB_MUTANT_NO_ISR_SHRINK
        out = 0; /* mutant: a follower that stopped fetching stays in the ISR */
#endif
        if (out != 0) kafka_lifecycle_propose_isr(broker, p, p->state->isr_brokers & ~out);
    }
    kafka_lifecycle_retry_alters(broker);
    int64_t period_us = lag_us / 2 > 0 ? lag_us / 2 : 1;
    sim_schedule(broker->node, now_us + period_us, BROKER_TIMER_ISR_EXPIRATION, 0, 0, NULL);
}

/* After all requests of one wake-up: appends and HW rises may complete delayed produces
 * and parked fetches. */
static void broker_on_wake_end(sim_node *node)
{
    kafka_broker *broker = node->model;
    if (!broker->parked_may_answer) return;
    broker->parked_may_answer = false;
    if (broker->delayed_count > 0) delayed_sweep(broker);
    if (broker->parked_count > 0) answer_parked(broker, false);
}

/* ---- node callbacks ---- */

/* Every replica's HW, as Kafka checkpoints it (replication-offset-checkpoint): what a
 * restarted broker starts from. */
static void on_hw_checkpoint(kafka_broker *broker)
{
    for (uint32_t i = 0; i < broker->partition_count; i++)
        if (broker->partitions[i] != NULL)
            broker->partitions[i]->hw_checkpoint = broker->partitions[i]->hw;
    sim_schedule(broker->node, sim_now_us() + KAFKA_HW_CHECKPOINT_INTERVAL_US,
                 BROKER_TIMER_HW_CHECKPOINT, 0, 0, NULL);
}

/* LogManager's checkpointLogRecoveryOffsets, every log.flush.offset.checkpoint.interval.ms
 * (60 s). */
static void on_recovery_checkpoint(kafka_broker *broker)
{
    for (uint32_t i = 0; i < broker->partition_count; i++)
        if (broker->partitions[i] != NULL)
            broker->partitions[i]->recovery_point_checkpoint =
                broker->partitions[i]->recovery_point;
    sim_schedule(broker->node, sim_now_us() + KAFKA_RECOVERY_CHECKPOINT_INTERVAL_US,
                 BROKER_TIMER_RECOVERY_CHECKPOINT, 0, 0, NULL);
}

/* LogManager.loadLogs after an unclean shutdown (every stop here is one: a kill -9 or
 * a power loss; no clean-shutdown file): LogLoader.recoverLog re-reads each log from
 * the segment of its checkpointed recovery point, read sequentially at the disk's rate
 * (a simplification: a kill -9 leaves the bytes in the page cache, where Kafka reads
 * them faster). The broker registers at once and asks to be unfenced only when that is
 * done (BrokerLifecycleManager.setReadyToUnfence); the logs then count as recovered. */
static int64_t recover_logs(kafka_broker *broker)
{
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        kafka_partition *p = broker->partitions[i];
        if (p == NULL) continue;
        bytes += kafka_log_recovery_bytes(&p->log, p->recovery_point_checkpoint);
        p->recovery_point = p->log.end_offset; /* checkpointed at the next interval */
    }
    uint64_t bytes_per_s = disk_bandwidth_bytes_per_s(&broker->disk);
#ifdef BROKERLAB_MUTANT_LOG_RECOVERY_FREE
    return 0; /* mutant (scripts/mutants.sh): a restart recovers its logs in no time */
#endif
    return (int64_t)((double)bytes * 1e6 / (double)bytes_per_s);
}

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
        case KAFKA_FETCH_RESPONSE:
            BL_ASSERT(msg->from_follower);
            kafka_fetcher_on_response(broker, msg, ev->arg);
            kafka_msg_free(msg);
            return;
        case KAFKA_METADATA_REQUEST:
            handle_metadata(broker, msg, ev->arg);
            kafka_msg_free(msg);
            return;
        case KAFKA_INIT_PRODUCER_ID_REQUEST:
            handle_init_producer_id(broker, msg, ev->arg);
            kafka_msg_free(msg);
            return;
        case KAFKA_JOIN_GROUP_REQUEST: kafka_coordinator_handle_join(broker, msg, ev->arg); return;
        case KAFKA_SYNC_GROUP_REQUEST: kafka_coordinator_handle_sync(broker, msg, ev->arg); return;
        case KAFKA_HEARTBEAT_REQUEST:
            kafka_coordinator_handle_heartbeat(broker, msg, ev->arg);
            return;
        case KAFKA_COMMIT_REQUEST: kafka_coordinator_handle_commit(broker, msg, ev->arg); return;
        case KAFKA_LEAVE_GROUP_REQUEST:
            kafka_coordinator_handle_leave(broker, msg, ev->arg);
            return;
        case KAFKA_OFFSETS_FOR_LEADER_EPOCH_REQUEST:
            handle_offsets_for_leader_epoch(broker, msg, ev->arg);
            kafka_msg_free(msg);
            return;
        default:
            BL_ASSERTF(kafka_lifecycle_on_packet(broker, msg), "broker got api %d", msg->api);
            kafka_msg_free(msg);
            return;
        }
    }
    case SIM_EVENT_NET_RESET: { /* a client or the controller went away, or a leader */
        sim_node *peer = sim_node_by_id(ev->arg);
        if (peer->role != SIM_ROLE_BROKER) return;
        uint32_t leader = kafka_broker_index(broker->cluster, ev->arg);
        if (broker->fetchers[leader].in_flight) kafka_fetcher_back_off(broker, leader);
        return;
    }
    case BROKER_EVENT_FETCHER_RETRY:
        broker->fetchers[ev->arg].retry_scheduled = false;
        if (!broker->fetchers[ev->arg].in_flight) kafka_fetcher_send(broker, ev->arg);
        return;
    case BROKER_TIMER_WRITEBACK: on_writeback(broker); return;
    case BROKER_TIMER_FLUSH: on_flush_interval(broker); return;
    case BROKER_TIMER_FSYNC_DONE: on_fsync_done(broker, ev->data); return;
    case BROKER_TIMER_FETCH_EXPIRE: answer_parked(broker, true); return;
    case BROKER_TIMER_PRODUCE_EXPIRE: delayed_sweep(broker); return;
    case BROKER_TIMER_GROUP_EXPIRE: on_group_expire(broker); return;
    case BROKER_TIMER_RETENTION: on_retention(broker); return;
    case BROKER_TIMER_ISR_EXPIRATION: on_isr_expiration(broker); return;
    case BROKER_TIMER_HW_CHECKPOINT: on_hw_checkpoint(broker); return;
    case BROKER_TIMER_RECOVERY_CHECKPOINT: on_recovery_checkpoint(broker); return;
    case BROKER_TIMER_RECOVERY_DONE: kafka_lifecycle_ready_to_unfence(broker); return;
    case BROKER_TIMER_LIFECYCLE: kafka_lifecycle_on_timer(broker); return;
    default: {
        BL_ASSERTF(ev->kind >= BROKER_TIMER_FETCHER_TIMEOUT &&
                       ev->kind < BROKER_TIMER_FETCHER_TIMEOUT + broker->cluster->broker_count,
                   "broker event kind %u", ev->kind);
        kafka_fetcher_on_timeout(broker, ev->kind - BROKER_TIMER_FETCHER_TIMEOUT);
    }
    }
}

/* kill -9 or power loss. What the process held in memory is gone: parked and delayed
 * requests, fetchers, its registration and its image (it re-registers and gets the
 * controller's). The logs keep their page cache after a kill -9; a power loss cuts them
 * to what was durable and the epoch cache to the recovered logs. Either way the HW
 * restarts from its last checkpoint (LogManager + ReplicaManager startup). */
static void broker_on_stop(sim_node *node, bool power_loss)
{
    kafka_broker *broker = node->model;
    for (uint32_t i = 0; i < broker->parked_count; i++) kafka_msg_free(broker->parked[i].request);
    broker->parked_count = 0;
    for (uint32_t i = 0; i < broker->delayed_count; i++) delayed_free(&broker->delayed[i]);
    broker->delayed_count = 0;
    memset(broker->fetchers, 0, sizeof broker->fetchers);
    broker->parked_may_answer = false;
    broker->image_ready = false;
    broker->broker_epoch = 0;
    broker->producer_id_next = broker->producer_id_block_end = 0; /* the block was in memory */
    broker->disk.busy_until_us = 0;
    if (power_loss) disk_power_loss(&broker->disk);
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        kafka_partition *p = broker->partitions[i];
        if (p == NULL) continue;
        if (power_loss) kafka_log_recover(&p->log, &broker->disk);
        kafka_epoch_truncate_from_end(&p->epochs, p->log.end_offset);
        p->hw = p->hw_checkpoint < p->log.end_offset ? p->hw_checkpoint : p->log.end_offset;
        if (p->hw < p->log.start_offset) p->hw = p->log.start_offset;
        p->alter_pending = false;
        p->messages_since_flush = 0; /* recovery sets the recovery point to the log end */
    }
    kafka_coordinator_stop(broker); /* the groups' state is in memory, and in the log */
}

static void broker_on_start(sim_node *node)
{
    kafka_broker *broker = node->model;
    int64_t now_us = sim_now_us();
    const kafka_cluster_options *options = &broker->cluster->options;
    sim_schedule(node, now_us + broker->disk.options.writeback_interval_us, BROKER_TIMER_WRITEBACK,
                 0, 0, NULL);
    if (options->flush_interval_us > 0)
        sim_schedule(node, now_us + options->flush_interval_us, BROKER_TIMER_FLUSH, 0, 0, NULL);
    sim_schedule(node, now_us + KAFKA_RETENTION_CHECK_US, BROKER_TIMER_RETENTION, 0, 0, NULL);
    int64_t period_us =
        options->replica_lag_time_max_us / 2 > 0 ? options->replica_lag_time_max_us / 2 : 1;
    sim_schedule(node, now_us + period_us, BROKER_TIMER_ISR_EXPIRATION, 0, 0, NULL);
    sim_schedule(node, now_us + KAFKA_HW_CHECKPOINT_INTERVAL_US, BROKER_TIMER_HW_CHECKPOINT, 0, 0,
                 NULL);
    sim_schedule(node, now_us + KAFKA_RECOVERY_CHECKPOINT_INTERVAL_US,
                 BROKER_TIMER_RECOVERY_CHECKPOINT, 0, 0, NULL);
    int64_t recovery_us = node->incarnation > 1 ? recover_logs(broker) : 0;
    kafka_lifecycle_start(broker, recovery_us > 0);
    if (recovery_us > 0)
        sim_schedule(node, now_us + recovery_us, BROKER_TIMER_RECOVERY_DONE, 0, 0, NULL);
}

static void broker_free_data(uint32_t kind, void *data)
{
    if (kind == BROKER_TIMER_FSYNC_DONE) { /* the fsync never completed */
        free(data);
        return;
    }
    if (kind == BROKER_EVENT_FETCHER_RETRY) return;
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

kafka_broker *kafka_broker_create(kafka_cluster *cluster, uint32_t index)
{
    const scn_scenario *scenario = cluster->scenario;
    kafka_broker *broker = calloc(1, sizeof *broker);
    BL_ASSERT(broker != NULL);
    broker->cluster = cluster;
    broker->index = index;
    kafka_metadata_copy(&broker->image, &cluster->metadata);
    disk_options host_disk = host_disk_options(&scenario->cluster);
    disk_init(&broker->disk, &host_disk);
    /* every topic's partitions, then __consumer_offsets' */
    uint32_t offsets_topic = kafka_metadata_offsets_topic(&broker->image), count = 0;
    for (uint32_t t = 0; t <= offsets_topic; t++) {
        broker->topic_partition_base[t] = count;
        count += broker->image.topic_partitions[t];
    }
    broker->partition_count = count;
    broker->partitions = calloc(count, sizeof *broker->partitions);
    broker->parked = calloc(KAFKA_PARKED_FETCHES_MAX, sizeof *broker->parked);
    BL_ASSERT(broker->partitions != NULL && broker->parked != NULL);
    for (uint32_t t = 0; t <= offsets_topic; t++) {
        for (uint32_t q = 0; q < broker->image.topic_partitions[t]; q++) {
            /* An offsets partition no group maps to holds no record: it is placed and
             * elected, but has no replica logs (no fetches to make). */
            bool hosts_group = t < offsets_topic;
            for (uint32_t g = 0; g < broker->image.group_count; g++)
                hosts_group |= broker->image.group_offsets_partition[g] == q;
            if (!hosts_group) continue;
            const kafka_partition_state *state = kafka_metadata_partition(&broker->image, t, q);
            bool replica = false;
            for (uint32_t r = 0; r < state->replica_count; r++)
                replica |= state->replicas[r] == index;
            if (!replica) continue;
            kafka_partition *p = calloc(1, sizeof *p);
            BL_ASSERT(p != NULL);
            p->topic = (uint16_t)t;
            p->partition = q;
            p->state = state;
            const kafka_topic_options *topic = &broker->cluster->topics[t];
            kafka_log_init(&p->log, &broker->disk,
                           (kafka_segment_policy){.segment_bytes = topic->segment_bytes,
                                                  .segment_ms_us = topic->segment_ms_us});
            broker->partitions[broker_partition_index(broker, t, q)] = p;
        }
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
    for (uint32_t i = 0; i < broker->delayed_count; i++) delayed_free(&broker->delayed[i]);
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        kafka_partition *p = broker->partitions[i];
        if (p == NULL) continue;
        kafka_log_free(&p->log);
        kafka_epoch_free(&p->epochs);
        free(p);
    }
    free(broker->partitions);
    free(broker->parked);
    free(broker->delayed);
    kafka_coordinator_stop(broker);
    kafka_metadata_free(&broker->image);
    disk_free(&broker->disk);
    free(broker);
}
