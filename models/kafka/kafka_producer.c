/* kafka_producer.c — a Kafka-style producer client and the application in front of it.
 *
 * The application offers messages at the workload's intended times (engine/workload.c).
 * The client appends them to one open batch per partition (key hash, or round robin
 * without key), closes a batch when it is full (batch_size) or has lingered (linger),
 * and sends, per broker connection and wake-up, one request holding at most one batch
 * per partition, with at most max_in_flight requests per connection (K21, K22). A
 * failed or timed-out batch goes back to the head of its partition's queue after an
 * exponential backoff (K20, KIP-580, no jitter) while later batches may already be
 * written: that is how retries reorder and duplicate. A batch whose delivery timeout
 * passes, queued or with a retry still in flight (getExpiredInflightBatches), or whose
 * retries run out, ends `info` if an attempt may have been written, else `fail`.
 * acks=0 completes at send with offset -1 (K19).
 *
 * Cost: the producer wakes once per batch window, not per message. Sends the
 * application will make before the next wake-up are drawn ahead and written into the
 * producer's own history stream at their exact times (engine/history.h); a kill -9
 * cancels the part of that stream that had not happened. */
#include "kafka_producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/history.h"
#include "../../engine/net.h"
#include "../../engine/rng.h"
#include "../../engine/vec.h"
#include "../common/client.h"
#include "kafka_partitioner.h"

#define PRODUCER_MAX_BLOCK_US (60LL * 1000000LL) /* max.block.ms */

enum {
    PRODUCER_TIMER_WAKE = SIM_EVENT_MODEL_BASE,
    PRODUCER_TIMER_REQUEST_TIMEOUT, /* the earliest in-flight deadline passed */
    PRODUCER_TIMER_REQUEST_DONE,    /* sync application requests: token: request id */
};

/* ---- small helpers ---- */

static int64_t min_i64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static uint32_t producer_topic(const kafka_producer *producer)
{
    return producer->config->topic_index;
}

static uint32_t partition_count(const kafka_producer *producer)
{
    return producer->cluster->scenario->topics[producer_topic(producer)].partition_count;
}

/* Batches come from the producer's own free list (at most KAFKA_BATCH_POOL_MAX kept,
 * with their arrays): a steady load allocates nothing per batch. */
static kafka_batch *batch_new(kafka_producer *producer, uint32_t partition, int64_t created_us)
{
    kafka_batch *batch = producer->free_batches;
    if (batch != NULL) {
        producer->free_batches = batch->next;
        producer->free_batch_count--;
        *batch = (kafka_batch){
            .msg_ids = batch->msg_ids, .keys = batch->keys, .capacity = batch->capacity};
    } else {
        batch = calloc(1, sizeof *batch);
        BL_ASSERT(batch != NULL);
    }
    batch->id = ++producer->next_batch_id;
    batch->partition = partition;
    batch->created_us = created_us;
    batch->base_sequence = KAFKA_NO_SEQUENCE;
    batch->producer_epoch = KAFKA_NO_PRODUCER_EPOCH;
    return batch;
}

static void batch_release(kafka_batch *batch)
{
    free(batch->msg_ids);
    free(batch->keys);
    free(batch);
}

static void batch_free(kafka_producer *producer, kafka_batch *batch)
{
    if (producer->free_batch_count >= KAFKA_BATCH_POOL_MAX) {
        batch_release(batch);
        return;
    }
    batch->next = producer->free_batches;
    producer->free_batches = batch;
    producer->free_batch_count++;
}

static void batch_add(kafka_batch *batch, uint64_t msg_id, int32_t key)
{
    if (batch->count == batch->capacity) {
        uint32_t keys_capacity = batch->capacity;
        BL_GROW(batch->msg_ids, batch->capacity, batch->count + 1, KAFKA_BATCH_RECORDS_MAX,
                "records of a producer batch");
        BL_GROW(batch->keys, keys_capacity, batch->count + 1, KAFKA_BATCH_RECORDS_MAX,
                "records of a producer batch");
        BL_ASSERT(keys_capacity == batch->capacity);
    }
    batch->msg_ids[batch->count] = msg_id;
    batch->keys[batch->count] = key;
    batch->count++;
}

static uint64_t batch_bytes(const kafka_producer *producer, const kafka_batch *batch)
{
    return (uint64_t)batch->count * producer->config->message_size_bytes;
}

/* Partition queue: batches closed and waiting to be (re)sent, oldest first. */
static void queue_push_back(kafka_part_queue *queue, kafka_batch *batch)
{
    batch->next = NULL;
    if (queue->tail != NULL)
        queue->tail->next = batch;
    else
        queue->head = batch;
    queue->tail = batch;
}

static void queue_push_front(kafka_part_queue *queue, kafka_batch *batch)
{
    batch->next = queue->head;
    queue->head = batch;
    if (queue->tail == NULL) queue->tail = batch;
}

/* RecordAccumulator.insertInSequenceOrder: a retried batch goes after the queued
 * batches of lower sequence, ahead of every other. */
static void queue_insert_in_sequence_order(kafka_part_queue *queue, kafka_batch *batch)
{
    BL_ASSERT(batch->base_sequence != KAFKA_NO_SEQUENCE);
    kafka_batch *before = NULL;
    for (kafka_batch *at = queue->head; at != NULL && at->base_sequence != KAFKA_NO_SEQUENCE &&
                                        at->base_sequence < batch->base_sequence;
         at = at->next)
        before = at;
    if (before == NULL) {
        queue_push_front(queue, batch);
        return;
    }
    batch->next = before->next;
    before->next = batch;
    if (queue->tail == before) queue->tail = batch;
}

static kafka_batch *queue_pop_front(kafka_part_queue *queue)
{
    kafka_batch *batch = queue->head;
    if (batch == NULL) return NULL;
    queue->head = batch->next;
    if (queue->head == NULL) queue->tail = NULL;
    batch->next = NULL;
    return batch;
}

/* ---- history ---- */

static void record_send_invoke(kafka_producer *producer, uint32_t stream, int64_t t_us,
                               uint64_t msg_id, int64_t intended_us, int32_t key)
{
    hist_record rec = hist_record_init(HIST_SEND, HIST_INVOKE, producer->node->hist_name, t_us);
    rec.msg = msg_id;
    rec.key = key;
    rec.intended_t_us = intended_us;
    rec.topic = producer->hist_topic;
    uint32_t slot = key >= 0 ? (uint32_t)key : 0;
    rec.seq = producer->key_seq[slot]++;
    hist_emit(stream, &rec);
}

static void record_request(kafka_producer *producer, uint32_t stream, hist_type type, int64_t t_us,
                           uint64_t request_id, int64_t intended_us)
{
    hist_record rec = hist_record_init(HIST_REQUEST, type, producer->node->hist_name, t_us);
    rec.msg = request_id;
    rec.intended_t_us = type == HIST_INVOKE ? intended_us : HIST_NONE;
    hist_emit(stream, &rec);
}

/* The batch's outcome: one history record for the whole batch (history.h). */
static void record_outcome(kafka_producer *producer, const kafka_batch *batch, hist_type type,
                           int64_t base_offset)
{
    BL_ASSERT(batch->count >= 1);
    int64_t now_us = sim_now_us();
    for (uint32_t first = 0; first < batch->count;
         first += HIST_BATCH_MAX) { /* a huge batch: in parts */
        uint32_t count =
            batch->count - first < HIST_BATCH_MAX ? batch->count - first : HIST_BATCH_MAX;
        hist_record rec = hist_record_init(HIST_SEND, type, producer->node->hist_name, now_us);
        rec.msg = batch->msg_ids[first];
        rec.count = count;
        rec.msgs = count > 1 ? batch->msg_ids + first : NULL;
        if (type == HIST_OK) {
            rec.partition = (int32_t)batch->partition;
            rec.offset = base_offset < 0 ? -1 : base_offset + first;
        }
        hist_emit(HIST_STREAM_NOW, &rec);
    }
    if (!producer->config->request.enabled) return;
    for (uint32_t i = 0; i < batch->count; i++)
        record_request(producer, HIST_STREAM_NOW, type, now_us, batch->msg_ids[i], 0);
}

/* ---- the application: offering messages ---- */

/* BuiltInPartitioner.nextPartition over the partitions with a known leader, weighted by
 * their queues (batches waiting, the open one included), as the accumulator's last
 * ready() left the load stats (here: counted at the switch). */
static uint32_t sticky_next(kafka_producer *producer)
{
    uint32_t partitions = partition_count(producer);
    uint32_t candidates[SCN_PARTITIONS_MAX], queues[SCN_PARTITIONS_MAX], count = 0;
    for (uint32_t p = 0; p < partitions; p++) {
        if (kafka_client_metadata_leader(&producer->metadata, p) == KAFKA_NO_LEADER) continue;
        const kafka_part_queue *queue = &producer->queues[p];
        uint32_t batches = queue->open != NULL;
        for (const kafka_batch *b = queue->head; b != NULL; b = b->next) batches++;
        candidates[count] = p;
        queues[count++] = batches;
    }
    uint32_t draw = (uint32_t)gsl_rng_uniform_int(producer->rng_partitioner, 1u << 31);
    return kafka_partitioner_next(candidates, queues, count, partitions, draw);
}

static uint32_t keyless_partition(kafka_producer *producer)
{
    if (producer->options.partitioner == KAFKA_PARTITIONER_ROUND_ROBIN)
        return producer->round_robin_next++ % partition_count(producer);
    if (!producer->sticky_chosen) {
        producer->sticky_partition = sticky_next(producer);
        producer->sticky_chosen = true;
        producer->sticky_bytes = 0;
    }
    return producer->sticky_partition;
}

static uint32_t append_message(kafka_producer *producer, uint64_t msg_id, int32_t key,
                               int64_t intended_us)
{
    uint32_t partitions = partition_count(producer);
    uint32_t partition =
        key >= 0 ? kafka_partition_for_key(key, partitions) : keyless_partition(producer);
#ifdef BROKERLAB_MUTANT_KEY_IGNORED
    partition = keyless_partition(producer); /* mutant: keyed records placed as keyless */
#endif
    kafka_part_queue *queue = &producer->queues[partition];
    if (queue->open == NULL) queue->open = batch_new(producer, partition, intended_us);
    batch_add(queue->open, msg_id, key);
    queue->open->last_us = intended_us;
    producer->buffered_bytes += producer->config->message_size_bytes;
    if (key < 0 && producer->options.partitioner == KAFKA_PARTITIONER_STICKY) {
        /* updatePartitionInfo, with allBatchesFull: the partition's last batch is full */
        producer->sticky_bytes +=
            producer->config->message_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES;
        bool last_full = batch_bytes(producer, queue->open) >= producer->options.batch_size_bytes;
        if (kafka_partitioner_should_switch(producer->sticky_bytes,
                                            producer->options.batch_size_bytes, last_full))
            producer->sticky_chosen = false; /* the next keyless record draws again */
    }
    return partition;
}

/* Takes the generator's next arrival into the client at time t_us (its intended time,
 * or later if the application was blocked on buffer memory). Its records go into the
 * producer's own streams: t_us may be ahead of now, and never decreases. Returns the
 * partition the message was appended to, or -1 if none (a synchronous request, or a
 * send that gave up after max.block.ms). */
static int32_t offer_next(kafka_producer *producer, int64_t t_us)
{
    wl_generator *gen = &producer->generator;
    int64_t arrival_us = gen->next_us;
    int32_t key = (int32_t)gen->next_key;
    wl_advance(gen);
    uint64_t msg_id = ++*producer->next_msg_id;
    const scn_request *request = &producer->config->request;
    if (request->enabled) {
        record_request(producer, producer->request_stream, HIST_INVOKE, t_us, msg_id, arrival_us);
        if (!request->publish) {
            int64_t done_us = t_us + request->local_us;
            for (uint32_t c = 0; c < request->call_count; c++)
                done_us += client_draw_duration(&request->calls[c], producer->rng_calls);
            sim_schedule(producer->node, done_us, PRODUCER_TIMER_REQUEST_DONE, 0, msg_id, NULL);
            return -1;
        }
    }
    int64_t send_us = t_us + (request->enabled ? request->local_us : 0);
    int64_t intended_us = arrival_us + (request->enabled ? request->local_us : 0);
    if (send_us - intended_us > PRODUCER_MAX_BLOCK_US) { /* send() threw after max.block.ms */
        record_send_invoke(producer, producer->send_stream, send_us, msg_id, intended_us, key);
        hist_record rec =
            hist_record_init(HIST_SEND, HIST_FAIL, producer->node->hist_name, send_us);
        rec.msg = msg_id;
        hist_emit(producer->send_stream, &rec);
        return -1;
    }
    record_send_invoke(producer, producer->send_stream, send_us, msg_id, intended_us, key);
    return (int32_t)append_message(producer, msg_id, key, send_us);
}

/* The earliest time something is due without new arrivals: an open batch lingered, a
 * retry backoff ended, a delivery deadline. */
/* When an open batch must close: once full, at its last record; else after linger. */
static int64_t open_batch_due_us(const kafka_producer *producer, const kafka_batch *open)
{
    bool full = batch_bytes(producer, open) >= producer->options.batch_size_bytes;
    return full ? open->last_us : open->created_us + producer->options.linger_us;
}

/* The earliest time something is due without new arrivals: an open batch closes, a
 * retry backoff ends, a delivery deadline passes. Queued batches are in creation order
 * (a retried one goes back to the head, and is older than those behind it), so only
 * each queue's head is looked at: O(partitions). */
static int64_t next_due_us(const kafka_producer *producer, int64_t now_us)
{
    const kafka_producer_options *options = &producer->options;
    int64_t due_us = SIM_TIME_NEVER;
    for (uint32_t p = 0; p < partition_count(producer); p++) {
        const kafka_part_queue *queue = &producer->queues[p];
        if (queue->open != NULL) due_us = min_i64(due_us, open_batch_due_us(producer, queue->open));
        const kafka_batch *head = queue->head;
        if (head == NULL) continue;
        due_us = min_i64(due_us, head->created_us + options->delivery_timeout_us);
        if (head->retry_at_us > now_us) due_us = min_i64(due_us, head->retry_at_us);
    }
    return due_us;
}

/* Draws the application's sends up to the next wake-up and writes them ahead. */
static void offer_ahead(kafka_producer *producer, int64_t now_us)
{
    wl_generator *gen = &producer->generator;
    uint64_t buffer_bytes = producer->options.buffer_memory_bytes;
    /* Blocked sends first (buffer memory was full): they happen now, late. */
    while (gen->next_us <= now_us && producer->buffered_bytes < buffer_bytes)
        offer_next(producer, now_us);
    int64_t due_us = next_due_us(producer, now_us);
    while (gen->next_us != INT64_MAX && gen->next_us <= due_us &&
           producer->buffered_bytes < buffer_bytes) {
        int32_t partition = offer_next(producer, gen->next_us);
        if (partition >= 0)
            due_us = min_i64(due_us, open_batch_due_us(producer, producer->queues[partition].open));
    }
}

/* ---- the client: closing, sending, completing batches ---- */

static void complete_batch(kafka_producer *producer, kafka_batch *batch, hist_type type,
                           int64_t base_offset)
{
    record_outcome(producer, batch, type, base_offset);
    BL_ASSERT(producer->buffered_bytes >= batch_bytes(producer, batch));
    producer->buffered_bytes -= batch_bytes(producer, batch);
    batch_free(producer, batch);
}

/* Sender.completeBatch for an error: retried (Sender.canRetry) unless the delivery
 * timeout passed, the retries ran out, or the error is not retriable
 * (INVALID_PRODUCER_EPOCH); else failed (failBatch). */
static void fail_or_retry(kafka_producer *producer, kafka_batch *batch, bool maybe_written,
                          kafka_error error)
{
    int64_t now_us = sim_now_us();
    const kafka_producer_options *options = &producer->options;
    batch->maybe_written |= maybe_written;
    batch->attempts++;
    bool expired = now_us >= batch->created_us + options->delivery_timeout_us;
    bool exhausted = options->retries != KAFKA_RETRIES_MAX && batch->attempts > options->retries;
#ifdef BROKERLAB_MUTANT_NO_PRODUCER_RETRY
    exhausted = true; /* mutant: a retriable error ends the batch */
#endif
    bool retry = !expired && !exhausted && error != KAFKA_INVALID_PRODUCER_EPOCH &&
                 kafka_idempotence_can_retry(&producer->idempotence, batch, error);
    if (!retry) {
        kafka_idempotence_on_failed(&producer->idempotence, batch, error, !exhausted);
        complete_batch(producer, batch, batch->maybe_written ? HIST_INFO : HIST_FAIL, -1);
        return;
    }
    int64_t backoff_us = options->retry_backoff_us;
    for (uint32_t i = 1; i < batch->attempts && backoff_us < options->retry_backoff_max_us; i++)
        backoff_us *= 2;
    batch->retry_at_us = now_us + min_i64(backoff_us, options->retry_backoff_max_us);
    batch->reenqueued = true;
    if (producer->idempotence.enabled) /* in sequence order */
        queue_insert_in_sequence_order(&producer->queues[batch->partition], batch);
    else
        queue_push_front(&producer->queues[batch->partition], batch); /* K22: back to the head */
}

static void close_due_batches(kafka_producer *producer, int64_t now_us)
{
    const kafka_producer_options *options = &producer->options;
    for (uint32_t p = 0; p < partition_count(producer); p++) {
        kafka_part_queue *queue = &producer->queues[p];
        kafka_batch *open = queue->open;
        if (open == NULL) continue;
        bool full = batch_bytes(producer, open) >= options->batch_size_bytes;
        if ((full && open->last_us <= now_us) || open->created_us + options->linger_us <= now_us) {
            queue_push_back(queue, open);
            queue->open = NULL;
        }
        /* Queued batches past their delivery timeout expire before being sent. */
        while (queue->head != NULL &&
               queue->head->created_us + options->delivery_timeout_us <= now_us) {
            kafka_batch *expired = queue_pop_front(queue);
            kafka_idempotence_on_expired(&producer->idempotence, expired);
            complete_batch(producer, expired, expired->maybe_written ? HIST_INFO : HIST_FAIL, -1);
        }
    }
}

/* Builds and sends one request to `broker` with the head batch of each of its
 * partitions that is ready (`partitions`, ascending), from the broker's drain index on
 * (RecordAccumulator.drainBatchesForOneNode): the drain stops for the whole broker at a
 * partition idempotence holds back, and the next drain starts there. Returns false if
 * nothing was drained. */
static bool send_one_request(kafka_producer *producer, uint32_t broker, const uint32_t *partitions,
                             uint32_t partition_total, int64_t now_us)
{
    const scn_producer *config = producer->config;
    const kafka_producer_options *options = &producer->options;
    uint32_t topic = producer_topic(producer);
    kafka_batch *chosen[SCN_PARTITIONS_MAX];
    uint32_t count = 0;
    uint32_t first = 0;
    while (first < partition_total && partitions[first] < producer->drain_start[broker]) first++;
    for (uint32_t k = 0; k < partition_total; k++) {
        uint32_t partition = partitions[(first + k) % partition_total];
        producer->drain_start[broker] = partition; /* updateDrainIndex */
        kafka_part_queue *queue = &producer->queues[partition];
        if (queue->head == NULL || queue->head->retry_at_us > now_us) continue;
        if (kafka_idempotence_stop_drain(&producer->idempotence, queue->head)) break;
        kafka_batch *batch = queue_pop_front(queue);
        kafka_idempotence_on_drain(&producer->idempotence, batch);
        chosen[count++] = batch;
    }
    if (count == 0) return false;
    kafka_msg *request = kafka_msg_new(KAFKA_PRODUCE_REQUEST, count);
    request->correlation_id = ++producer->next_request_id;
    request->acks = (uint8_t)options->acks;
    request->timeout_us = options->request_timeout_us; /* Sender: timeoutMs = request.timeout.ms */
    for (uint32_t i = 0; i < count; i++) {
        kafka_batch *batch = chosen[i];
        kafka_part *part = &request->parts[i];
        part->topic = (uint16_t)topic;
        part->partition = batch->partition;
        part->batch_id = batch->id;
        part->stamp = kafka_idempotence_stamp(&producer->idempotence, batch);
        part->record_size_bytes = (uint32_t)config->message_size_bytes;
        kafka_part_records(request, i, batch->count);
        memcpy(part->msg_ids, batch->msg_ids, batch->count * sizeof *part->msg_ids);
        memcpy(part->keys, batch->keys, batch->count * sizeof *part->keys);
    }
    uint32_t request_id = request->correlation_id;
    net_send(producer->node, producer->cluster->brokers[broker], kafka_msg_size_bytes(request),
             request);
    if (options->acks == KAFKA_ACKS_0) { /* done once handed to the socket (K19) */
        for (uint32_t i = 0; i < count; i++) complete_batch(producer, chosen[i], HIST_OK, -1);
        return true;
    }
    int64_t deadline_us = now_us + options->request_timeout_us;
    uint32_t slot = request_table_add(&producer->requests, broker, request_id,
                                      KAFKA_PRODUCE_REQUEST, now_us, deadline_us);
    kafka_request_batches *carried = &producer->request_batches[slot];
    BL_ASSERT(carried->batches == NULL);
    carried->batch_count = count;
    carried->batches = malloc(count * sizeof *carried->batches);
    BL_ASSERT(carried->batches != NULL);
    memcpy(carried->batches, chosen, count * sizeof *chosen);
    /* Like NetworkClient.handleTimedOutRequests: deadlines are checked against the
     * oldest in-flight request, with one timer, not one per request; the timer also
     * expires batches whose delivery timeout passes while they are in flight. */
    int64_t wake_us = deadline_us;
    for (uint32_t i = 0; i < count; i++)
        wake_us = min_i64(wake_us, chosen[i]->created_us + options->delivery_timeout_us);
    sim_timer_arm(producer->node, &producer->timeout_timer, wake_us,
                  PRODUCER_TIMER_REQUEST_TIMEOUT);
    return true;
}

/* Sends, per broker connection, requests of ready batches while max.in.flight allows.
 * The partitions with a ready head batch are grouped by leader in one pass. */
static void send_ready(kafka_producer *producer, int64_t now_us)
{
    static uint32_t by_leader[SCN_BROKERS_MAX][SCN_PARTITIONS_MAX];
    uint32_t counts[SCN_BROKERS_MAX] = {0};
    for (uint32_t p = 0; p < partition_count(producer); p++) {
        const kafka_batch *head = producer->queues[p].head;
        if (head == NULL || head->retry_at_us > now_us) continue;
        uint16_t leader = kafka_client_metadata_leader(&producer->metadata, p);
        if (leader == KAFKA_NO_LEADER) continue; /* not sendable until a leader is known */
        if (!kafka_client_metadata_can_send(&producer->metadata, leader, now_us)) continue;
        by_leader[leader][counts[leader]++] = p;
    }
    for (uint32_t b = 0; b < producer->cluster->broker_count; b++) {
        while (counts[b] > 0 &&
               request_table_in_flight(&producer->requests, b) < producer->options.max_in_flight &&
               send_one_request(producer, b, by_leader[b], counts[b], now_us)) {
        }
    }
}

static void schedule_wake(kafka_producer *producer, int64_t now_us)
{
    int64_t due_us = next_due_us(producer, now_us);
    int64_t metadata_us = kafka_client_metadata_next_due(&producer->metadata);
    if (metadata_us > now_us) due_us = min_i64(due_us, metadata_us);
    /* a connection in reconnect backoff: batches for it wait until it ends */
    due_us = min_i64(due_us, kafka_client_metadata_next_reconnect(&producer->metadata, now_us));
    if (producer->idempotence.enabled &&
        producer->idempotence.producer_id == KAFKA_NO_PRODUCER_ID) /* InitProducerId */
        due_us = min_i64(due_us, producer->init_in_flight ? producer->init_deadline_us
                                                          : producer->init_next_attempt_us);
    BL_ASSERT(due_us > now_us);
    if (producer->generator.next_us != INT64_MAX &&
        producer->buffered_bytes < producer->options.buffer_memory_bytes)
        due_us = min_i64(due_us, producer->generator.next_us);
    sim_timer *wake = &producer->wake_timer;
    if (due_us == SIM_TIME_NEVER) {
        sim_timer_cancel(wake);
        return;
    }
    if (!sim_timer_armed(producer->node, wake) || wake->at_us != due_us)
        sim_timer_set(producer->node, wake, due_us, PRODUCER_TIMER_WAKE);
}

static void fail_request(kafka_producer *producer, uint32_t slot);

/* ---- InitProducerId ---- */

static void init_attempt_failed(kafka_producer *producer, int64_t now_us)
{
    producer->init_in_flight = false;
    /* the handler is re-enqueued after retry.backoff.ms */
    producer->init_next_attempt_us = now_us + producer->options.retry_backoff_us;
}

/* The connection to `broker` closed (a reset, or processTimeoutDisconnection): what it
 * carried fails, an InitProducerId too. */
static void close_connection(kafka_producer *producer, uint32_t broker, int64_t now_us)
{
    kafka_client_metadata_on_disconnect(&producer->metadata, broker, now_us);
    if (producer->init_in_flight && producer->init_broker == broker)
        init_attempt_failed(producer, now_us);
    request_table *table = &producer->requests;
    REQUEST_TABLE_EACH(table, broker, slot)
    fail_request(producer, slot);
}

/* TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded: without a producer id, ask
 * the least loaded broker for one (Sender.maybeSendAndPollTransactionalRequest); it
 * fails after request.timeout.ms and is tried again after retry.backoff.ms. */
static void maybe_init_producer_id(kafka_producer *producer, int64_t now_us)
{
    kafka_idempotence *kid = &producer->idempotence;
    if (!kid->enabled || kid->producer_id != KAFKA_NO_PRODUCER_ID) return;
    if (producer->init_in_flight && now_us >= producer->init_deadline_us)
        close_connection(producer, producer->init_broker, now_us); /* its request timed out */
    if (producer->init_in_flight || now_us < producer->init_next_attempt_us) return;
    uint32_t in_flight[SCN_BROKERS_MAX];
    for (uint32_t b = 0; b < producer->cluster->broker_count; b++)
        in_flight[b] = request_table_in_flight(&producer->requests, b);
    int64_t wait_until_us = 0;
    uint32_t broker =
        kafka_client_metadata_least_loaded(&producer->metadata, now_us, in_flight, &wait_until_us);
    if (broker == KAFKA_NO_NODE) {
        producer->init_next_attempt_us = wait_until_us;
        return;
    }
    kafka_msg *request = kafka_msg_new(KAFKA_INIT_PRODUCER_ID_REQUEST, 0);
    request->correlation_id = ++producer->next_request_id;
    producer->init_in_flight = true;
    producer->init_broker = broker;
    producer->init_correlation_id = request->correlation_id;
    producer->init_deadline_us = now_us + producer->options.request_timeout_us;
    net_send(producer->node, producer->cluster->brokers[broker], kafka_msg_size_bytes(request),
             request);
}

static void on_init_producer_id_response(kafka_producer *producer, const kafka_msg *response,
                                         uint32_t broker)
{
    if (!producer->init_in_flight || producer->init_correlation_id != response->correlation_id ||
        producer->init_broker != broker)
        return;                        /* an attempt that already failed */
    if (response->error != KAFKA_OK) { /* COORDINATOR_LOAD_IN_PROGRESS: re-enqueued */
        init_attempt_failed(producer, sim_now_us());
        return;
    }
    producer->init_in_flight = false;
    kafka_idempotence_set_producer_id(&producer->idempotence, response->producer_id);
}

/* One pass of the client after any event: offer, close, send, sleep. */
static void producer_pump(sim_node *node)
{
    kafka_producer *producer = node->model;
    int64_t now_us = sim_now_us();
    offer_ahead(producer, now_us);
    close_due_batches(producer, now_us);
    kafka_client_metadata_send_due(&producer->metadata, producer->node, &producer->requests,
                                   now_us);
    /* Sender.runOnce: sequences first, then the producer id, then the data */
    kafka_idempotence_on_run(&producer->idempotence);
    maybe_init_producer_id(producer, now_us);
    send_ready(producer, now_us);
    offer_ahead(producer, now_us);
    schedule_wake(producer, now_us);
}

/* ---- responses and failures ---- */

static void release_request(kafka_producer *producer, uint32_t slot)
{
    kafka_request_batches *carried = &producer->request_batches[slot];
    free(carried->batches);
    free(carried->expired_ids);
    memset(carried, 0, sizeof *carried);
    request_table_remove(&producer->requests, slot);
}

static void on_produce_response(kafka_producer *producer, kafka_msg *response, uint32_t source)
{
    uint32_t broker = kafka_broker_index(producer->cluster, source);
    uint32_t slot = request_table_find(&producer->requests, broker, response->correlation_id);
    if (slot == REQUEST_NONE) return; /* already timed out: its batches were retried */
    kafka_request_batches *carried = &producer->request_batches[slot];
    for (uint32_t i = 0; i < response->part_count; i++) {
        const kafka_part *part = &response->parts[i];
        kafka_batch *batch = NULL;
        for (uint32_t k = 0; k < carried->batch_count && batch == NULL; k++) {
            if (carried->batches[k] == NULL || carried->batches[k]->id != part->batch_id) continue;
            batch = carried->batches[k];
            carried->batches[k] = NULL; /* answered: completed or requeued below */
        }
        bool expired = false;
        for (uint32_t k = 0; batch == NULL && k < carried->expired; k++)
            expired |= carried->expired_ids[k] == part->batch_id;
        if (expired) {
            /* expired in flight (getExpiredInflightBatches): its outcome was given; a late
             * success does not move lastAckedSequence here (the batch is gone), so its
             * partition's unresolved sequence may bump the epoch where Kafka would not */
            continue;
        }
        BL_ASSERTF(batch != NULL, "response for batch %u that request %u did not carry",
                   part->batch_id, response->correlation_id);
        if (part->error == KAFKA_NOT_LEADER || part->error == KAFKA_FENCED_LEADER_EPOCH ||
            part->error == KAFKA_UNKNOWN_LEADER_EPOCH) /* Sender: invalid metadata */
            kafka_client_metadata_want_update(&producer->metadata);
        if (part->error == KAFKA_OK) { /* a duplicate too: the original's offset */
            kafka_idempotence_on_success(&producer->idempotence, batch);
            complete_batch(producer, batch, HIST_OK, part->offset);
        } else { /* the leader appended these, but the ISR did not confirm them: maybe
                  * written; any other error left them unwritten */
            fail_or_retry(producer, batch,
                          part->error == KAFKA_REQUEST_TIMED_OUT ||
                              part->error == KAFKA_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                          (kafka_error)part->error);
        }
    }
    release_request(producer, slot);
}

/* A request that timed out or whose connection broke: written or not, nobody knows. */
static void fail_request(kafka_producer *producer, uint32_t slot)
{
    kafka_client_metadata_want_update(&producer->metadata); /* handleServerDisconnect */
    const kafka_request_batches *carried = &producer->request_batches[slot];
    for (uint32_t k = carried->batch_count; k-- > 0;)
        if (carried->batches[k] != NULL) /* NETWORK_EXCEPTION or REQUEST_TIMED_OUT */
            fail_or_retry(producer, carried->batches[k], true, KAFKA_REQUEST_TIMED_OUT);
    release_request(producer, slot);
}

/* Sender.getExpiredInflightBatches: the batches of a request in flight whose delivery
 * timeout passed end now (maybe written), the request itself still waiting; returns the
 * earliest delivery deadline left among its batches. */
static int64_t expire_in_flight(kafka_producer *producer, uint32_t slot, int64_t now_us)
{
    kafka_request_batches *carried = &producer->request_batches[slot];
    int64_t next_us = SIM_TIME_NEVER;
    for (uint32_t k = 0; k < carried->batch_count; k++) {
        kafka_batch *batch = carried->batches[k];
        if (batch == NULL) continue;
        int64_t due_us = batch->created_us + producer->options.delivery_timeout_us;
        if (due_us > now_us) {
            next_us = min_i64(next_us, due_us);
            continue;
        }
        batch->maybe_written = true;
        if (carried->expired_ids == NULL) {
            carried->expired_ids = malloc(carried->batch_count * sizeof *carried->expired_ids);
            BL_ASSERT(carried->expired_ids != NULL);
        }
        carried->expired_ids[carried->expired] = batch->id;
        kafka_idempotence_on_expired(&producer->idempotence, batch);
        complete_batch(producer, batch, HIST_INFO, -1);
        carried->batches[k] = NULL;
        carried->expired++;
    }
    return next_us;
}

/* Fails every request past its deadline, expires the batches in flight past their
 * delivery timeout, and re-arms the timer for the earliest deadline left. */
static void on_request_timeouts(kafka_producer *producer)
{
    int64_t now_us = sim_now_us(), next_us = SIM_TIME_NEVER;
    request_table *table = &producer->requests;
    for (uint32_t b = 0; b < producer->cluster->broker_count; b++) {
        bool timed_out = false;
        REQUEST_TABLE_EACH(table, b, slot)
        {
            next_us = min_i64(next_us, expire_in_flight(producer, slot, now_us));
            int64_t deadline_us = request_table_slot(table, slot)->deadline_us;
            if (deadline_us <= now_us) {
                timed_out = true;
                fail_request(producer, slot);
            } else
                next_us = min_i64(next_us, deadline_us);
        }
        /* NetworkClient.processTimeoutDisconnection: the connection is closed (once) */
        if (timed_out) kafka_client_metadata_on_disconnect(&producer->metadata, b, now_us);
    }
    if (next_us != SIM_TIME_NEVER)
        sim_timer_arm(producer->node, &producer->timeout_timer, next_us,
                      PRODUCER_TIMER_REQUEST_TIMEOUT);
}

static void producer_on_event(sim_node *node, const sim_event *ev)
{
    kafka_producer *producer = node->model;
    switch (ev->kind) {
    case SIM_EVENT_PACKET: {
        kafka_msg *msg = ev->data;
        kafka_client_metadata_on_reply(&producer->metadata,
                                       kafka_broker_index(producer->cluster, ev->arg));
        if (msg->api == KAFKA_METADATA_RESPONSE) {
            kafka_client_metadata_on_response(&producer->metadata, msg,
                                              kafka_broker_index(producer->cluster, ev->arg),
                                              sim_now_us());
        } else if (msg->api == KAFKA_INIT_PRODUCER_ID_RESPONSE) {
            on_init_producer_id_response(producer, msg,
                                         kafka_broker_index(producer->cluster, ev->arg));
        } else {
            BL_ASSERT(msg->api == KAFKA_PRODUCE_RESPONSE);
            on_produce_response(producer, msg, ev->arg);
        }
        kafka_msg_free(msg);
        return;
    }
    case SIM_EVENT_NET_RESET: {
        close_connection(producer, kafka_broker_index(producer->cluster, ev->arg), sim_now_us());
        return;
    }
    case PRODUCER_TIMER_WAKE: return; /* the pump at the end of the activation does the work */
    case PRODUCER_TIMER_REQUEST_TIMEOUT: on_request_timeouts(producer); return;
    case PRODUCER_TIMER_REQUEST_DONE:
        record_request(producer, HIST_STREAM_NOW, HIST_OK, sim_now_us(), ev->token, 0);
        return;
    default: BL_ASSERTF(false, "producer event kind %u", ev->kind);
    }
}

/* ---- what a stop hits ---- */

/* The records of the batches the client holds: open and queued ones (Kafka's
 * RecordAccumulator, its per-partition deques of ProducerBatch) and those in requests
 * in flight (Sender's inFlightBatches), minus the sends drawn ahead of now_us, which sit
 * in the batches already but whose `send invoke` records are still to come in the send
 * stream (a stop now cancels them: they never happened). */
uint64_t kafka_producer_unacked(const kafka_producer *producer, int64_t now_us)
{
    uint64_t held = 0;
    for (uint32_t p = 0; p < partition_count(producer); p++) {
        const kafka_part_queue *queue = &producer->queues[p];
        if (queue->open != NULL) held += queue->open->count;
        for (const kafka_batch *batch = queue->head; batch != NULL; batch = batch->next)
            held += batch->count;
    }
    uint32_t slots = producer->requests.connection_count * producer->requests.per_connection_max;
    for (uint32_t slot = 0; slot < slots; slot++) {
        const kafka_request_batches *carried = &producer->request_batches[slot];
        for (uint32_t k = 0; k < carried->batch_count; k++)
            if (carried->batches[k] != NULL) held += carried->batches[k]->count;
    }
    /* A send drawn ahead is an invoke to come, and a send that will throw (max.block.ms)
     * an invoke and a fail to come, not in any batch. */
    uint32_t invokes = hist_count_after(producer->send_stream, now_us, HIST_SEND, HIST_INVOKE);
    uint32_t throws = hist_count_after(producer->send_stream, now_us, HIST_SEND, HIST_FAIL);
    BL_ASSERT(invokes >= throws && held >= invokes - throws);
    return held - (invokes - throws);
}

/* ---- process life ---- */

static void producer_reset(kafka_producer *producer)
{
    producer->sticky_chosen = false; /* a new process draws its first partition again */
    for (uint32_t p = 0; p < partition_count(producer); p++) {
        kafka_part_queue *queue = &producer->queues[p];
        if (queue->open != NULL) batch_free(producer, queue->open);
        kafka_batch *batch;
        while ((batch = queue_pop_front(queue)) != NULL) batch_free(producer, batch);
        queue->open = NULL;
    }
    uint32_t slots = producer->requests.connection_count * producer->requests.per_connection_max;
    for (uint32_t slot = 0; slot < slots; slot++) {
        kafka_request_batches *carried = &producer->request_batches[slot];
        for (uint32_t k = 0; k < carried->batch_count; k++)
            if (carried->batches[k] != NULL) batch_free(producer, carried->batches[k]);
        free(carried->batches);
        free(carried->expired_ids);
        memset(carried, 0, sizeof *carried);
    }
    request_table_clear(&producer->requests);
    kafka_idempotence_reset(&producer->idempotence); /* a new process gets a new id */
    producer->init_in_flight = false;
    producer->init_next_attempt_us = 0;
    memset(producer->drain_start, 0, sizeof producer->drain_start);
    producer->buffered_bytes = 0;
    sim_timer_cancel(&producer->wake_timer);
    sim_timer_cancel(&producer->timeout_timer);
}

static void producer_on_stop(sim_node *node, bool power_loss)
{
    kafka_producer *producer = node->model;
    int64_t now_us = sim_now_us();
    hist_cancel_after(producer->send_stream, now_us);
    hist_cancel_after(producer->request_stream, now_us);
    producer_reset(producer);
    BL_MAYBE(power_loss);
}

static void producer_on_start(sim_node *node)
{
    kafka_producer *producer = node->model;
    int64_t now_us = sim_now_us();
    /* A new process: it asks for metadata before its first send (its copy stands in for
     * the bootstrap's) */
    kafka_client_metadata_want_update(&producer->metadata);
    producer->metadata.in_flight = false;
    /* Arrivals while the process was down were never offered. */
    while (producer->generator.next_us < now_us) wl_advance(&producer->generator);
    producer_pump(node);
}

static const sim_node_ops producer_ops = {
    .on_event = producer_on_event,
    .on_wake_end = producer_pump,
    .on_stop = producer_on_stop,
    .on_start = producer_on_start,
    .free_data = kafka_free_packet,
};

kafka_producer *kafka_producer_create(const kafka_cluster *cluster, uint32_t entry,
                                      uint32_t instance, uint64_t *next_msg_id)
{
    const scn_scenario *scenario = cluster->scenario;
    const scn_producer *config = &scenario->producers[entry];
    kafka_producer *producer = calloc(1, sizeof *producer);
    BL_ASSERT(producer != NULL);
    producer->cluster = cluster;
    producer->config = config;
    producer->options = kafka_producer_options_of(config);
    producer->entry = entry;
    producer->instance = instance;
    producer->next_msg_id = next_msg_id;
    char name[96];
    snprintf(name, sizeof name, "producer/%s/%u", config->name, instance);
    wl_options workload = {.rate = &config->rate,
                           .arrival = config->arrival,
                           .keys = config->keys,
                           .end_us = scenario->duration_us,
                           .seed = scenario->seed,
                           .stream_name = name};
    wl_init(&producer->generator, &workload);
    char rng_name[128];
    snprintf(rng_name, sizeof rng_name, "%s/calls", name);
    producer->rng_calls = rng_stream(scenario->seed, rng_name);
    snprintf(rng_name, sizeof rng_name, "%s/partitioner", name);
    producer->rng_partitioner = rng_stream(scenario->seed, rng_name);
    uint32_t partitions = scenario->topics[config->topic_index].partition_count;
    producer->queues = calloc(partitions, sizeof *producer->queues);
    BL_ASSERT(producer->options.max_in_flight <= KAFKA_IN_FLIGHT_MAX);
    request_table_init(&producer->requests, cluster->broker_count, producer->options.max_in_flight);
    producer->request_batches =
        calloc((size_t)cluster->broker_count * producer->options.max_in_flight,
               sizeof *producer->request_batches);
    BL_ASSERT(producer->request_batches != NULL);
    kafka_idempotence_init(&producer->idempotence, producer->options.idempotence, partitions);
    uint32_t slots = config->keys.kind == SCN_KEYS_NONE ? 1 : config->keys.count;
    producer->key_seq = calloc(slots, sizeof *producer->key_seq);
    BL_ASSERT(producer->queues != NULL && producer->key_seq != NULL);
    producer->node = sim_add_node(name, SIM_ROLE_PRODUCER, &producer_ops, producer);
    producer->node->entry = entry;
    producer->node->instance = instance;
    producer->node->hist_name = hist_names_intern(hist_names_table(), name);
    producer->hist_topic =
        hist_names_intern(hist_names_table(), scenario->topics[config->topic_index].name);
    producer->send_stream = hist_stream_open();
    producer->request_stream = hist_stream_open();
    kafka_client_metadata_init(
        &producer->metadata, cluster, config->topic_index, producer->options.request_timeout_us,
        producer->options.retry_backoff_us, producer->options.retry_backoff_max_us, 0);
    return producer;
}

void kafka_producer_free(kafka_producer *producer)
{
    producer_reset(producer);
    while (producer->free_batches != NULL) {
        kafka_batch *batch = producer->free_batches;
        producer->free_batches = batch->next;
        batch_release(batch);
    }
    wl_free(&producer->generator);
    gsl_rng_free(producer->rng_calls);
    gsl_rng_free(producer->rng_partitioner);
    free(producer->queues);
    request_table_free(&producer->requests);
    kafka_idempotence_free(&producer->idempotence);
    kafka_client_metadata_free(&producer->metadata);
    free(producer->request_batches);
    free(producer->key_seq);
    free(producer);
}
