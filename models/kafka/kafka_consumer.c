/* kafka_consumer.c — a Kafka-style consumer client and the application behind it.
 *
 * Client: the classic group protocol as AbstractCoordinator and ConsumerCoordinator run
 * it (K25-K27): poll() drives the joins (JoinGroup, then SyncGroup; EAGER commits and
 * revokes everything first, COOPERATIVE keeps what it owns and hands over in a second
 * rebalance), heartbeats every heartbeat_interval once joined, and errors reset the
 * generation or the member id. It fetches from each partition leader with one
 * long-polling fetch per broker connection, a partition only once its fetched records
 * were polled, and resolves a missing committed offset by auto_offset_reset (K31).
 * Application: a poll loop returning up to max_poll_records; each record is recorded
 * `deliver` when poll returns it and `process` when a worker finishes it. Without an
 * internal buffer the next poll waits for the batch; with one, polling continues while
 * the buffer has room. Workers take records in order (shared) or by hash(key) (C27).
 * Commits: auto (at poll start every interval, value = position: records returned by
 * poll, processed or not, K28), after processing (the contiguous processed prefix), or
 * before processing (right after poll: at-most-once, K29). The idempotent consumer checks
 * the group's dedup store before processing and records `dedup` instead.
 *
 * Cost: one wake-up per poll, fetch response and heartbeat; processing completions are
 * computed when records are handed to workers and written ahead into each worker's
 * history stream; a kill -9 cancels those not yet reached. */
#include "kafka_consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../engine/bl_assert.h"
#include "../../engine/history.h"
#include "../../engine/net.h"
#include "../../engine/rng.h"
#include "../../engine/vec.h"
#include "../common/client.h"
#include "kafka_epoch.h"
#include "kafka_position.h"

enum {
    CONSUMER_TIMER_POLL = SIM_EVENT_MODEL_BASE,
    CONSUMER_TIMER_HEARTBEAT,
    CONSUMER_TIMER_METADATA,     /* a metadata refresh is due */
    CONSUMER_TIMER_POLL_TIMEOUT, /* max_poll_interval since the last poll */
    CONSUMER_TIMER_COMMIT_SYNC,  /* commitSync: its request timed out, or a retry is due */
    CONSUMER_TIMER_JOIN,         /* a rejoin's backoff ended, or its prepare commit timed out */
};

/* ---- per-partition rings ---- */

static uint32_t fetched_count(const kafka_owned *part)
{
    return bl_ring_count(&part->fetched);
}

static void fetched_push(kafka_owned *part, uint64_t msg_id, int32_t key, int32_t leader_epoch)
{
    *BL_RING_PUSH_BACK(&part->fetched, kafka_fetched) =
        (kafka_fetched){.msg_id = msg_id, .key = key, .leader_epoch = leader_epoch};
}

static uint32_t dispatched_count(const kafka_owned *part)
{
    return bl_ring_count(&part->dispatched);
}

static void dispatched_push(kafka_owned *part, const kafka_dispatched *record)
{
    *BL_RING_PUSH_BACK(&part->dispatched, kafka_dispatched) = *record;
}

static kafka_dispatched *dispatched_at(kafka_owned *part, uint32_t i)
{
    return BL_RING_AT(&part->dispatched, kafka_dispatched, i);
}

/* Forgets records whose processing is over by now_us; returns the offset after the
 * contiguous processed prefix, or -1 if nothing new finished. */
static int64_t dispatched_settle(kafka_owned *part, int64_t now_us)
{
    int64_t done_offset = -1;
    while (dispatched_count(part) > 0 && dispatched_at(part, 0)->done_us <= now_us) {
        done_offset = dispatched_at(part, 0)->offset + 1;
        bl_ring_pop_front(&part->dispatched);
    }
    return done_offset;
}

static void owned_clear(kafka_owned *part)
{
    part->owned = false;
    part->pending_revocation = false;
    bl_ring_clear(&part->fetched);
    bl_ring_clear(&part->dispatched);
    part->position_epoch = part->fetch_epoch = KAFKA_EPOCH_NONE;
    part->awaiting_validation = part->validation_in_flight = false;
    part->validation_retry_us = 0;
}

/* The completed-fetch queue: partitions whose fetched records wait for poll(), in the
 * order their data arrived (Kafka's FetchBuffer). A partition is queued at most once;
 * one that was revoked or reset while queued is dropped when it reaches the head. */
/* A partition given up (revoked, left with the group): its records in the workers' hands
 * run on, and those that put their id in the dedup store move to the orphans, so that a
 * kill before they finish still takes the id out. */
static void release_partition(kafka_consumer *consumer, kafka_owned *part)
{
    int64_t now_us = sim_now_us();
    uint32_t kept = 0;
    for (uint32_t i = 0; i < consumer->orphan_count; i++) /* forget the finished ones */
        if (consumer->orphans[i].done_us > now_us) consumer->orphans[kept++] = consumer->orphans[i];
    consumer->orphan_count = kept;
    for (uint32_t i = 0; i < dispatched_count(part); i++) {
        const kafka_dispatched *record = dispatched_at(part, i);
        if (!record->inserted || record->done_us <= now_us) continue;
        BL_GROW(consumer->orphans, consumer->orphan_capacity, (uint64_t)consumer->orphan_count + 1,
                KAFKA_DISPATCHED_MAX, "records of given-up partitions in the workers' hands");
        consumer->orphans[consumer->orphan_count++] = *record;
    }
    owned_clear(part);
}

static void ready_push(kafka_consumer *consumer, uint32_t partition)
{
    kafka_owned *part = &consumer->partitions[partition];
    if (part->queued) return;
    BL_ASSERT(bl_ring_count(&consumer->ready) < consumer->partition_count);
    *BL_RING_PUSH_BACK(&consumer->ready, uint32_t) = partition;
    part->queued = true;
}

static uint32_t ready_front(const kafka_consumer *consumer)
{
    return *BL_RING_FRONT(&consumer->ready, uint32_t);
}

static void ready_pop(kafka_consumer *consumer)
{
    consumer->partitions[ready_front(consumer)].queued = false;
    bl_ring_pop_front(&consumer->ready);
}

/* ---- commits ---- */

static void record_commit(kafka_consumer *consumer, hist_type type, uint32_t partition,
                          int64_t offset)
{
    hist_record rec = hist_record_init(HIST_COMMIT, type, consumer->node->hist_name, sim_now_us());
    rec.group = consumer->hist_group;
    rec.partition = (int32_t)partition;
    rec.offset = offset;
    hist_emit(HIST_STREAM_NOW, &rec);
}

/* The coordinator it knows and may send to now, or KAFKA_NO_LEADER (it then asks for it:
 * AbstractCoordinator.ensureCoordinatorReady). */
static uint32_t coordinator_index(kafka_consumer *consumer)
{
    uint32_t coordinator = kafka_client_metadata_coordinator(&consumer->coordinator);
    if (coordinator == KAFKA_NO_LEADER ||
        !kafka_client_metadata_can_send(&consumer->coordinator, coordinator, sim_now_us())) {
        kafka_client_metadata_want_update(&consumer->coordinator);
        return KAFKA_NO_LEADER;
    }
    return coordinator;
}

/* The slot of the request of `kind` in flight on `connection` (a fetch, an
 * OffsetsForLeaderEpoch: one at a time each), or REQUEST_NONE. */
static uint32_t slot_of_kind(const kafka_consumer *consumer, uint32_t connection, kafka_api kind)
{
    const request_table *table = &consumer->requests;
    REQUEST_TABLE_EACH(table, connection, slot)
    if (request_table_slot(table, slot)->kind == kind) return slot;
    return REQUEST_NONE;
}

static uint32_t fetch_slot(const kafka_consumer *consumer, uint32_t connection)
{
    return slot_of_kind(consumer, connection, KAFKA_FETCH_REQUEST);
}

static bool fetch_in_flight(const kafka_consumer *consumer, uint32_t connection)
{
    return fetch_slot(consumer, connection) != REQUEST_NONE;
}

static void release_commit(kafka_consumer *consumer, uint32_t slot)
{
    kafka_pending_commit *pending = &consumer->commits[slot];
    free(pending->partitions);
    free(pending->offsets);
    memset(pending, 0, sizeof *pending);
    request_table_remove(&consumer->requests, slot);
}

/* Gives up on the commit whose place in the window correlation_id takes: its outcome
 * is unknown (KAFKA_PENDING_COMMITS_MAX). */
static void commit_window_evict(kafka_consumer *consumer, uint32_t correlation_id)
{
    request_table *table = &consumer->requests;
    /* every connection: the commit went to whichever broker coordinated the group then */
    for (uint32_t connection = 0; connection < table->connection_count; connection++) {
        REQUEST_TABLE_EACH(table, connection, slot)
        {
            const request_slot *request = request_table_slot(table, slot);
            if (request->kind != KAFKA_COMMIT_REQUEST ||
                request->correlation_id % KAFKA_PENDING_COMMITS_MAX !=
                    correlation_id % KAFKA_PENDING_COMMITS_MAX)
                continue;
            const kafka_pending_commit *pending = &consumer->commits[slot];
            for (uint32_t i = 0; i < pending->part_count; i++)
                record_commit(consumer, HIST_INFO, pending->partitions[i], pending->offsets[i]);
            release_commit(consumer, slot);
            return;
        }
    }
}

/* Sends a commit of `count` offsets to the coordinator; returns its correlation id, or 0
 * when none was sent (nothing to commit, or no coordinator known: the commit fails). */
static uint32_t send_commit(kafka_consumer *consumer, const uint32_t *partitions,
                            const int64_t *offsets, uint32_t count, int64_t deadline_us,
                            uint32_t *sent_to)
{
    if (count == 0) return 0;
    uint32_t coordinator = coordinator_index(consumer);
    if (coordinator == KAFKA_NO_LEADER) { /* COORDINATOR_NOT_AVAILABLE: the commit fails */
        for (uint32_t i = 0; i < count; i++) {
            record_commit(consumer, HIST_INVOKE, partitions[i], offsets[i]);
            record_commit(consumer, HIST_FAIL, partitions[i], offsets[i]);
        }
        return 0;
    }
    uint32_t correlation_id = ++consumer->next_correlation;
    commit_window_evict(consumer, correlation_id);
    uint32_t slot = request_table_add(&consumer->requests, coordinator, correlation_id,
                                      KAFKA_COMMIT_REQUEST, sim_now_us(), deadline_us);
    kafka_pending_commit *pending = &consumer->commits[slot];
    BL_ASSERT(pending->partitions == NULL);
    kafka_msg *request = kafka_msg_new(KAFKA_COMMIT_REQUEST, count);
    request->correlation_id = correlation_id;
    request->group = (uint16_t)consumer->group_index;
    request->member_id = consumer->member_id;
    request->generation = consumer->generation;
    pending->part_count = count;
    pending->generation = consumer->generation;
    pending->partitions = malloc(count * sizeof *pending->partitions);
    pending->offsets = malloc(count * sizeof *pending->offsets);
    BL_ASSERT(pending->partitions != NULL && pending->offsets != NULL);
    for (uint32_t i = 0; i < count; i++) {
        request->parts[i].topic = (uint16_t)consumer->config->topic_index;
        request->parts[i].partition = partitions[i];
        request->parts[i].offset = offsets[i];
        int32_t epoch = consumer->partitions[partitions[i]].position_epoch;
        request->parts[i].leader_epoch = epoch == KAFKA_EPOCH_NONE ? 0 : (uint32_t)epoch + 1;
        pending->partitions[i] = partitions[i];
        pending->offsets[i] = offsets[i];
        consumer->partitions[partitions[i]].committed_sent = offsets[i];
        record_commit(consumer, HIST_INVOKE, partitions[i], offsets[i]);
    }
    net_send(consumer->node, consumer->cluster->brokers[coordinator], kafka_msg_size_bytes(request),
             request);
    if (sent_to != NULL) *sent_to = coordinator;
    return correlation_id;
}

/* What to commit, for every owned partition (or only `only` if >= 0): the position (auto /
 * before processing) or the processed prefix (after processing), where it moved since
 * the last commit sent. Returns how many. */
static uint32_t collect_commits(kafka_consumer *consumer, int64_t only, uint32_t *partitions,
                                int64_t *offsets)
{
    uint32_t count = 0;
    int64_t now_us = sim_now_us();
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        kafka_owned *part = &consumer->partitions[p];
        if (!part->owned || (only >= 0 && p != (uint32_t)only)) continue;
        int64_t offset = part->position;
        if (consumer->options.commit == KAFKA_COMMIT_AFTER_PROCESSING) {
            dispatched_settle(part, now_us);
            offset = dispatched_count(part) > 0 ? dispatched_at(part, 0)->offset : part->position;
#ifdef BROKERLAB_MUTANT_COMMIT_BEFORE_PROCESSING
            offset = part->position; /* mutant: commits what was polled, processed or not */
#endif
        }
        if (offset < 0 || offset <= part->committed_sent) continue;
        partitions[count] = p;
        offsets[count++] = offset;
    }
    return count;
}

/* An asynchronous commit (auto-commit, after processing): sent and not waited for. */
static void commit_owned(kafka_consumer *consumer, int64_t only)
{
    uint32_t partitions[SCN_PARTITIONS_MAX];
    int64_t offsets[SCN_PARTITIONS_MAX];
    uint32_t count = collect_commits(consumer, only, partitions, offsets);
    send_commit(consumer, partitions, offsets, count, INT64_MAX, NULL);
}

static void commit_sync_answered(kafka_consumer *consumer, kafka_error error);
static void join_prepare_answered(kafka_consumer *consumer, kafka_error error);
static void commit_error_to_membership(kafka_consumer *consumer, kafka_error error,
                                       uint32_t generation);

static void on_commit_response(kafka_consumer *consumer, const kafka_msg *response, uint32_t broker)
{
    uint32_t slot = request_table_find(&consumer->requests, broker, response->correlation_id);
    if (slot == REQUEST_NONE) return; /* given up: its outcome was recorded unknown */
    BL_ASSERT(request_table_slot(&consumer->requests, slot)->kind == KAFKA_COMMIT_REQUEST);
    const kafka_pending_commit *pending = &consumer->commits[slot];
    hist_type type = response->error == KAFKA_OK ? HIST_OK : HIST_FAIL;
    if (response->error == KAFKA_NOT_COORDINATOR)
        kafka_client_metadata_want_update(&consumer->coordinator);
    for (uint32_t i = 0; i < pending->part_count; i++)
        record_commit(consumer, type, pending->partitions[i], pending->offsets[i]);
    uint32_t generation = pending->generation;
    release_commit(consumer, slot);
    if (consumer->join_prepare == KAFKA_JOIN_PREPARE_COMMITTING &&
        consumer->join_prepare_correlation == response->correlation_id)
        join_prepare_answered(consumer, (kafka_error)response->error);
    if (consumer->commit_sync && consumer->commit_sync_correlation == response->correlation_id)
        commit_sync_answered(consumer, (kafka_error)response->error);
    commit_error_to_membership(consumer, (kafka_error)response->error, generation);
}

/* ---- processing ---- */

static uint32_t pick_worker(kafka_consumer *consumer, int32_t key)
{
    uint32_t workers = consumer->config->workers;
    if (consumer->config->routing == SCN_ROUTING_KEY_HASH)
        return key >= 0 ? kafka_partition_for_key(key, workers)
                        : consumer->round_robin_next++ % workers;
    uint32_t best = 0;
#ifdef BROKERLAB_MUTANT_THREAD_POOL_IN_ORDER
    workers = 1; /* mutant: the pool's records run one after another, in order */
#endif
    for (uint32_t w = 1; w < workers; w++)
        if (consumer->worker_free_us[w] < consumer->worker_free_us[best]) best = w;
    return best;
}

static void emit_for_group(kafka_consumer *consumer, uint32_t stream, hist_fn fn, int64_t t_us,
                           uint64_t msg_id)
{
    hist_record rec = hist_record_init(fn, HIST_OK, consumer->node->hist_name, t_us);
    rec.msg = msg_id;
    rec.group = consumer->hist_group;
    hist_emit(stream, &rec);
}

/* One poll's run of `count` records from one partition, from base_offset on: one
 * history record (history.h), in parts of at most HIST_BATCH_MAX. */
static void record_deliver(kafka_consumer *consumer, uint32_t partition, int64_t base_offset,
                           const uint64_t *msg_ids, uint32_t count, int64_t now_us)
{
    BL_ASSERT(count >= 1);
    for (uint32_t first = 0; first < count; first += HIST_BATCH_MAX) {
        uint32_t part = count - first < HIST_BATCH_MAX ? count - first : HIST_BATCH_MAX;
        hist_record rec =
            hist_record_init(HIST_DELIVER, HIST_OK, consumer->node->hist_name, now_us);
        rec.msg = msg_ids[first];
        rec.count = part;
        rec.msgs = part > 1 ? msg_ids + first : NULL;
        rec.group = consumer->hist_group;
        rec.partition = (int32_t)partition;
        rec.offset = base_offset + first;
        hist_emit(HIST_STREAM_NOW, &rec);
    }
}

/* Hands one polled record to a worker; returns when it will be done. */
static int64_t dispatch(kafka_consumer *consumer, uint32_t partition, int64_t offset,
                        uint64_t msg_id, int32_t key, int64_t now_us)
{
    uint32_t w = pick_worker(consumer, key);
    int64_t start_us = consumer->worker_free_us[w];
    if (start_us < now_us) start_us = now_us;
    if (start_us < consumer->stall_until_us) {
        start_us = consumer->stall_until_us;
        consumer->stall_held_records++;
    }
#ifdef BL_PLANT_NONDETERMINISM
    /* Test builds only (tests/tests.cmake, brokerlab_planted): the wall clock leaks into
     * the simulation, which --check-determinism must catch and locate. */
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    start_us += (wall.tv_nsec / 1000) % 2;
#endif
    kafka_dispatched record = {.offset = offset, .start_us = start_us, .msg_id = msg_id};
    if (consumer->dedup != NULL && dedup_store_contains(consumer->dedup, msg_id)) {
        emit_for_group(consumer, consumer->worker_streams[w], HIST_DEDUP, start_us, msg_id);
        record.done_us = start_us;
    } else {
        record.done_us = start_us + client_draw_duration(&consumer->config->processing,
                                                         consumer->rng_processing);
        emit_for_group(consumer, consumer->worker_streams[w], HIST_PROCESS, record.done_us, msg_id);
        if (consumer->dedup != NULL) {
            dedup_store_insert(consumer->dedup, msg_id);
            record.inserted = true;
        }
    }
    consumer->worker_free_us[w] = record.done_us;
    dispatched_push(&consumer->partitions[partition], &record);
    return record.done_us;
}

/* ---- commit: before_processing (poll, commitSync, process) ---- */

/* Keeps one poll's run for after the commit (its `deliver` is recorded: the application
 * has the records). */
static void hold_run(kafka_consumer *consumer, uint32_t partition, int64_t base_offset,
                     const uint64_t *ids, const int32_t *keys, uint32_t count)
{
    uint32_t keys_capacity = consumer->held_capacity;
    BL_GROW(consumer->held_ids, consumer->held_capacity, (uint64_t)consumer->held_count + count,
            KAFKA_POLL_RECORDS_MAX, "records a poll returned, waiting for commitSync");
    BL_GROW(consumer->held_keys, keys_capacity, (uint64_t)consumer->held_count + count,
            KAFKA_POLL_RECORDS_MAX, "records a poll returned, waiting for commitSync");
    BL_ASSERT(keys_capacity == consumer->held_capacity);
    BL_ASSERT(consumer->held_run_count < consumer->partition_count);
    memcpy(consumer->held_ids + consumer->held_count, ids, count * sizeof *ids);
    memcpy(consumer->held_keys + consumer->held_count, keys, count * sizeof *keys);
    consumer->held_runs[consumer->held_run_count++] = (kafka_held_run){.partition = partition,
                                                                       .base_offset = base_offset,
                                                                       .count = count,
                                                                       .at = consumer->held_count};
    consumer->held_count += count;
}

static void schedule_next_poll(kafka_consumer *consumer, int64_t now_us, int64_t last_done_us);

/* No commitSync waits any more; what it held is gone (processed or dropped). */
static void commit_sync_clear(kafka_consumer *consumer)
{
    consumer->held_run_count = consumer->held_count = 0;
    consumer->commit_sync = false;
    consumer->commit_sync_correlation = 0;
    sim_timer_cancel(&consumer->commit_sync_timer);
}

/* commitSync returned: on success the held records go to the workers, else the
 * application drops them (CommitFailedException or a timeout: it never processes what
 * it could not commit first). Then it polls again. */
static void commit_sync_end(kafka_consumer *consumer, bool committed)
{
    int64_t now_us = sim_now_us();
    int64_t last_done_us = now_us;
    for (uint32_t r = 0; committed && r < consumer->held_run_count; r++) {
        const kafka_held_run *run = &consumer->held_runs[r];
        for (uint32_t i = 0; i < run->count; i++) {
            int64_t done_us =
                dispatch(consumer, run->partition, run->base_offset + i,
                         consumer->held_ids[run->at + i], consumer->held_keys[run->at + i], now_us);
            if (done_us > last_done_us) last_done_us = done_us;
        }
        /* a partition given up meanwhile: its records run on as orphans */
        kafka_owned *part = &consumer->partitions[run->partition];
        if (!part->owned) release_partition(consumer, part);
    }
    commit_sync_clear(consumer);
    schedule_next_poll(consumer, now_us, last_done_us);
}

/* ConsumerCoordinator.commitOffsetsSync: one attempt, with a request timeout, unless the
 * coordinator is unknown (ensureCoordinatorReady: try again after retry.backoff.ms). */
static void commit_sync_attempt(kafka_consumer *consumer)
{
    int64_t now_us = sim_now_us();
    int64_t wake_us = now_us + KAFKA_CONSUMER_RETRY_BACKOFF_US;
    consumer->commit_sync_correlation = 0;
    if (coordinator_index(consumer) != KAFKA_NO_LEADER) {
        consumer->commit_sync_correlation = send_commit(
            consumer, consumer->sync_partitions, consumer->sync_offsets, consumer->sync_count,
            now_us + KAFKA_REQUEST_TIMEOUT_US, &consumer->commit_sync_broker);
        BL_ASSERT(consumer->commit_sync_correlation != 0);
        wake_us = now_us + KAFKA_REQUEST_TIMEOUT_US;
    }
    if (wake_us > consumer->commit_sync_deadline_us) wake_us = consumer->commit_sync_deadline_us;
    sim_timer_set(consumer->node, &consumer->commit_sync_timer, wake_us,
                  CONSUMER_TIMER_COMMIT_SYNC);
}

/* Retries after retry.backoff.ms while default.api.timeout.ms allows. */
static void commit_sync_retry(kafka_consumer *consumer)
{
    int64_t retry_us = sim_now_us() + KAFKA_CONSUMER_RETRY_BACKOFF_US;
    consumer->commit_sync_correlation = 0;
    if (retry_us >= consumer->commit_sync_deadline_us) {
        commit_sync_end(consumer, false); /* TimeoutException */
        return;
    }
    sim_timer_set(consumer->node, &consumer->commit_sync_timer, retry_us,
                  CONSUMER_TIMER_COMMIT_SYNC);
}

/* OffsetCommitResponseHandler: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE and timeouts
 * are retried (the coordinator looked up again); UNKNOWN_MEMBER_ID and
 * ILLEGAL_GENERATION end it with CommitFailedException, REBALANCE_IN_PROGRESS with
 * RebalanceInProgressException. */
static void commit_sync_answered(kafka_consumer *consumer, kafka_error error)
{
    if (error == KAFKA_OK) {
        commit_sync_end(consumer, true);
        return;
    }
    bool retriable = error == KAFKA_NOT_COORDINATOR || error == KAFKA_REQUEST_TIMED_OUT ||
                     error == KAFKA_COORDINATOR_NOT_AVAILABLE || error == KAFKA_STORAGE_ERROR;
    if (retriable) {
        kafka_client_metadata_want_update(&consumer->coordinator);
        commit_sync_retry(consumer);
    } else {
        commit_sync_end(consumer, false);
    }
}

/* The attempt's request timed out, its connection broke, or a retry is due. */
static void commit_sync_on_timer(kafka_consumer *consumer)
{
    if (!consumer->commit_sync) return;
    int64_t now_us = sim_now_us();
    if (now_us >= consumer->commit_sync_deadline_us) { /* a request may still be answered */
        commit_sync_end(consumer, false);
        return;
    }
    if (consumer->commit_sync_correlation == 0) { /* the backoff ended */
        commit_sync_attempt(consumer);
        return;
    }
    uint32_t slot = request_table_find(&consumer->requests, consumer->commit_sync_broker,
                                       consumer->commit_sync_correlation);
    if (slot != REQUEST_NONE) { /* timed out: its outcome is unknown */
        const kafka_pending_commit *pending = &consumer->commits[slot];
        for (uint32_t i = 0; i < pending->part_count; i++)
            record_commit(consumer, HIST_INFO, pending->partitions[i], pending->offsets[i]);
        release_commit(consumer, slot);
        kafka_client_metadata_on_disconnect(&consumer->coordinator, consumer->commit_sync_broker,
                                            now_us);
    }
    kafka_client_metadata_want_update(&consumer->coordinator);
    commit_sync_retry(consumer);
}

/* poll() returned records: commitSync of the positions, the records held meanwhile. */
static void commit_sync_begin(kafka_consumer *consumer)
{
    BL_ASSERT(!consumer->commit_sync && consumer->held_count > 0);
    consumer->commit_sync = true;
    consumer->commit_sync_deadline_us = sim_now_us() + KAFKA_DEFAULT_API_TIMEOUT_US;
    consumer->sync_count = 0; /* SubscriptionState.allConsumed: every owned position */
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        const kafka_owned *part = &consumer->partitions[p];
        if (!part->owned || part->position < 0) continue;
        consumer->sync_partitions[consumer->sync_count] = p;
        consumer->sync_offsets[consumer->sync_count++] = part->position;
    }
    BL_ASSERT(consumer->sync_count > 0); /* the poll's partitions are owned */
#ifdef BROKERLAB_MUTANT_COMMIT_NOT_AWAITED
    /* mutant (scripts/mutants.sh): the commit is sent and not waited for */
    send_commit(consumer, consumer->sync_partitions, consumer->sync_offsets, consumer->sync_count,
                INT64_MAX, NULL);
    commit_sync_end(consumer, true);
    return;
#endif
    commit_sync_attempt(consumer);
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Records in the internal buffer (handed over, not yet started) at now_us, and the time
 * at which at most `allowed` remain. */
static int64_t buffer_room_at(kafka_consumer *consumer, int64_t now_us, uint32_t allowed,
                              uint32_t *occupancy)
{
    uint32_t count = 0,
             capacity = consumer->config->buffer_messages + consumer->options.max_poll_records + 1;
    int64_t *starts = malloc(capacity * sizeof *starts);
    BL_ASSERT(starts != NULL);
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        kafka_owned *part = &consumer->partitions[p];
        for (uint32_t i = 0; i < dispatched_count(part); i++) {
            int64_t start_us = dispatched_at(part, i)->start_us;
            if (start_us > now_us) {
                BL_ASSERT(count < capacity);
                starts[count++] = start_us;
            }
        }
    }
    *occupancy = count;
    int64_t at_us = now_us;
    if (count > allowed) {
        qsort(starts, count, sizeof *starts, compare_i64);
        at_us = starts[count - allowed - 1];
    }
    free(starts);
    return at_us;
}

static void schedule_poll(kafka_consumer *consumer, int64_t at_us)
{
    if (consumer->poll_scheduled) return;
    consumer->poll_scheduled = true;
    consumer->poll_waiting = false;
    sim_schedule(consumer->node, at_us, CONSUMER_TIMER_POLL, 0, consumer->node->incarnation, NULL);
}

static void ensure_active_group(kafka_consumer *consumer);

static void on_poll(kafka_consumer *consumer)
{
    const scn_consumer *config = consumer->config;
    const kafka_consumer_options *options = &consumer->options;
    int64_t now_us = sim_now_us();
    consumer->poll_scheduled = false;
    BL_ASSERTF(!consumer->commit_sync, "%s polled while waiting in commitSync",
               consumer->node->name);
    ensure_active_group(consumer); /* updateAssignmentMetadataIfNeeded */
    /* one timer at a time: if it is armed, it looks at last_poll_us when it fires */
    consumer->last_poll_us = now_us;
    sim_timer_arm(consumer->node, &consumer->poll_timer, now_us + options->max_poll_interval_us,
                  CONSUMER_TIMER_POLL_TIMEOUT);
    /* Records whose processing is over matter to nothing any more (not to a kill, not to
     * the buffer): forget them in every commit mode, so the ring holds only what is in
     * the workers' hands. */
    for (uint32_t p = 0; p < consumer->partition_count; p++)
        dispatched_settle(&consumer->partitions[p], now_us);
    if (options->commit == KAFKA_COMMIT_AUTO && now_us >= consumer->next_auto_commit_us) {
        commit_owned(consumer, -1);
        consumer->next_auto_commit_us = now_us + options->commit_interval_us;
    }
    if (options->commit == KAFKA_COMMIT_AFTER_PROCESSING) commit_owned(consumer, -1);
    uint32_t room = options->max_poll_records, occupancy = 0;
    if (config->buffer_messages > 0) {
        buffer_room_at(consumer, now_us, config->buffer_messages, &occupancy);
        room = occupancy >= config->buffer_messages ? 0 : config->buffer_messages - occupancy;
        if (room > options->max_poll_records) room = options->max_poll_records;
    }
    uint32_t taken = 0;
    int64_t last_done_us = now_us;
    /* Kafka's FetchCollector.collectFetch: drain the next-in-line completed fetch (one
     * partition) up to the records remaining, then the next one, in arrival order. */
    while (taken < room && bl_ring_count(&consumer->ready) > 0) {
        uint32_t p = ready_front(consumer);
        kafka_owned *part = &consumer->partitions[p];
        uint32_t run = part->owned && !part->pending_revocation ? fetched_count(part) : 0;
        if (run > room - taken) run = room - taken;
        uint32_t keys_capacity = consumer->run_capacity;
        BL_GROW(consumer->run_ids, consumer->run_capacity, run, KAFKA_POLL_RECORDS_MAX,
                "a poll's run of ids");
        BL_GROW(consumer->run_keys, keys_capacity, run, KAFKA_POLL_RECORDS_MAX,
                "a poll's run of keys");
        BL_ASSERT(keys_capacity == consumer->run_capacity);
        int64_t base_offset = part->position;
        for (uint32_t i = 0; i < run; i++) {
            const kafka_fetched *record = BL_RING_FRONT(&part->fetched, kafka_fetched);
            consumer->run_ids[i] = record->msg_id;
            consumer->run_keys[i] = record->key;
            part->position_epoch = record->leader_epoch;
            bl_ring_pop_front(&part->fetched);
        }
        part->position += run;
        BL_ASSERTF(part->position <= part->fetch_offset,
                   "%s: polled past the fetched offset of partition %u", consumer->node->name, p);
        /* The deliveries are recorded before the workers' records, which may fall due now. */
        if (run > 0) record_deliver(consumer, p, base_offset, consumer->run_ids, run, now_us);
        if (options->commit == KAFKA_COMMIT_BEFORE_PROCESSING && run > 0) /* after commitSync */
            hold_run(consumer, p, base_offset, consumer->run_ids, consumer->run_keys, run);
        for (uint32_t i = 0; options->commit != KAFKA_COMMIT_BEFORE_PROCESSING && i < run; i++) {
            int64_t done_us = dispatch(consumer, p, base_offset + i, consumer->run_ids[i],
                                       consumer->run_keys[i], now_us);
            if (done_us > last_done_us) last_done_us = done_us;
        }
        taken += run;
        if (part->owned && fetched_count(part) > 0) break; /* room ran out mid-partition */
        ready_pop(consumer);
    }
    if (options->commit == KAFKA_COMMIT_BEFORE_PROCESSING && taken > 0) {
        commit_sync_begin(consumer); /* the application waits in commitSync */
        return;
    }
    if (taken == 0 && room > 0) {
        consumer->poll_waiting = true;
        return;
    }
    schedule_next_poll(consumer, now_us, last_done_us);
}

/* The application's next poll: once its records are processed (no buffer), or once the
 * buffer has room for a poll's worth. */
static void schedule_next_poll(kafka_consumer *consumer, int64_t now_us, int64_t last_done_us)
{
    const scn_consumer *config = consumer->config;
    const kafka_consumer_options *options = &consumer->options;
    uint32_t occupancy = 0;
    if (config->buffer_messages == 0) {
        schedule_poll(consumer, last_done_us);
        return;
    }
    uint32_t allowed = config->buffer_messages > options->max_poll_records
                           ? config->buffer_messages - options->max_poll_records
                           : 0;
    int64_t next_us = buffer_room_at(consumer, now_us, allowed, &occupancy);
    schedule_poll(consumer, next_us > now_us ? next_us : now_us);
}

/* ---- fetching ---- */

static void send_fetches(kafka_consumer *consumer)
{
    uint32_t topic = consumer->config->topic_index;
    for (uint32_t b = 0; b < consumer->cluster->broker_count; b++) {
        if (fetch_in_flight(consumer, b)) continue;
        uint32_t wanted[SCN_PARTITIONS_MAX], count = 0;
        for (uint32_t p = 0; p < consumer->partition_count; p++) {
            kafka_owned *part = &consumer->partitions[p];
            if (!part->owned || kafka_client_metadata_leader(&consumer->metadata, p) != b) continue;
            if (part->awaiting_validation) continue; /* only FETCHING partitions fetch */
            if (part->pending_revocation) continue;  /* EAGER's onJoinPrepare: not fetchable */
            /* AbstractFetch.fetchablePartitions: not while records of it are buffered */
            if (fetched_count(part) > 0) continue;
            wanted[count++] = p;
        }
        if (count == 0) continue;
        kafka_msg *request = kafka_msg_new(KAFKA_FETCH_REQUEST, count);
        request->correlation_id = ++consumer->next_correlation;
        request->max_wait_us = consumer->options.fetch_max_wait_us;
        request->min_bytes = consumer->options.fetch_min_bytes;
        for (uint32_t i = 0; i < count; i++) {
            kafka_owned *part = &consumer->partitions[wanted[i]];
            request->parts[i].topic = (uint16_t)topic;
            request->parts[i].partition = wanted[i];
            request->parts[i].offset = part->fetch_offset;
            request->parts[i].max_bytes = (uint32_t)consumer->options.fetch_max_bytes;
            request->parts[i].leader_epoch = consumer->metadata.leader_epoch[wanted[i]];
        }
        int64_t now_us = sim_now_us();
        int64_t deadline_us =
            now_us + consumer->options.fetch_max_wait_us + KAFKA_REQUEST_TIMEOUT_US;
        request_table_add(&consumer->requests, b, request->correlation_id, KAFKA_FETCH_REQUEST,
                          now_us, deadline_us);
        net_send(consumer->node, consumer->cluster->brokers[b], kafka_msg_size_bytes(request),
                 request);
    }
}

static void on_fetch_response(kafka_consumer *consumer, const kafka_msg *response, uint32_t broker)
{
    uint32_t slot = request_table_find(&consumer->requests, broker, response->correlation_id);
    /* The answer to a fetch the client gave up on (past its deadline) still ends the
     * connection's current fetch and its records are used. This model's simplification:
     * Kafka's NetworkClient closes the connection of a timed-out request, so that answer
     * never arrives; the client rewrite (issue 13) follows it. */
    if (slot == REQUEST_NONE) slot = fetch_slot(consumer, broker);
    if (slot != REQUEST_NONE) {
        BL_ASSERT(request_table_slot(&consumer->requests, slot)->kind == KAFKA_FETCH_REQUEST);
        request_table_remove(&consumer->requests, slot);
    }
    for (uint32_t i = 0; i < response->part_count; i++) {
        const kafka_part *got = &response->parts[i];
        BL_ASSERTF(got->partition < consumer->partition_count, "%s: fetched partition %u of %u",
                   consumer->node->name, got->partition, consumer->partition_count);
        BL_ASSERTF(got->count == 0 || got->offset + got->count <= got->high_watermark,
                   "%s: records %lld..%lld of partition %u above its high watermark %lld",
                   consumer->node->name, (long long)got->offset,
                   (long long)(got->offset + got->count), got->partition,
                   (long long)got->high_watermark);
        kafka_owned *part = &consumer->partitions[got->partition];
        if (got->error == KAFKA_NOT_LEADER || got->error == KAFKA_FENCED_LEADER_EPOCH ||
            got->error == KAFKA_UNKNOWN_LEADER_EPOCH) /* FetchCollector: invalid metadata */
            kafka_client_metadata_want_update(&consumer->metadata);
        if (!part->owned || part->awaiting_validation || part->pending_revocation)
            continue;                                  /* not fetchable: dropped */
        if (got->error == KAFKA_OFFSET_OUT_OF_RANGE) { /* K31: reset by policy */
            int64_t reset = consumer->options.offset_reset == KAFKA_RESET_EARLIEST
                                ? got->offset
                                : got->high_watermark;
            if (part->fetch_offset == -1 || part->fetch_offset < got->offset ||
                part->fetch_offset > got->high_watermark) {
                part->fetch_offset = part->position = reset;
                part->position_epoch = part->fetch_epoch = KAFKA_EPOCH_NONE;
                bl_ring_clear(&part->fetched);
            }
            continue;
        }
        if (got->error != KAFKA_OK || got->offset != part->fetch_offset) continue;
        for (uint32_t k = 0; k < got->count; k++)
            fetched_push(part, got->msg_ids[k], got->keys[k], got->records_epoch);
        part->fetch_offset += got->count;
        if (got->count > 0) part->fetch_epoch = got->records_epoch;
        if (fetched_count(part) > 0) ready_push(consumer, got->partition);
    }
    if (consumer->poll_waiting) schedule_poll(consumer, sim_now_us());
}

/* ---- position validation (KIP-320) ---- */

/* Brokers and clients that know leader epochs (Kafka >= 2.3 for consumers) validate
 * positions; before them (leader_epochs: false) only OFFSET_OUT_OF_RANGE resets. */
static bool validates_positions(const kafka_consumer *consumer)
{
#ifdef BROKERLAB_MUTANT_NO_POSITION_VALIDATION
    return false; /* mutant: no KIP-320 validation after a leader change */
#endif
    return consumer->cluster->options.leader_epochs;
}

/* SubscriptionState.maybeValidatePositionForCurrentLeader and seekUnvalidated: a
 * position with a leader epoch is checked against the partition's current leader before
 * the partition is fetched again (AWAIT_VALIDATION); what was fetched past it is dropped,
 * as FetchCollector drops completed fetches of a partition without a valid position. */
static void await_validation(kafka_consumer *consumer, uint32_t partition)
{
    kafka_owned *part = &consumer->partitions[partition];
    part->checked_leader_epoch = consumer->metadata.leader_epoch[partition];
    part->awaiting_validation = false;
    part->validation_in_flight = false; /* an answer to an earlier request is stale */
    if (!validates_positions(consumer) || part->position < 0 ||
        part->position_epoch == KAFKA_EPOCH_NONE)
        return;
    part->awaiting_validation = true;
    bl_ring_clear(&part->fetched);
    part->fetch_offset = part->position;
    part->fetch_epoch = part->position_epoch;
}

/* OffsetFetcher.validatePositionsOnMetadataChange: a new leader epoch in the metadata. */
static void validate_on_metadata_change(kafka_consumer *consumer)
{
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        kafka_owned *part = &consumer->partitions[p];
        if (part->owned && consumer->metadata.leader_epoch[p] != part->checked_leader_epoch)
            await_validation(consumer, p);
    }
}

/* OffsetFetcher.validatePositionsIfNeeded: one OffsetsForLeaderEpoch per leader for the
 * partitions awaiting validation, with the client's current leader epoch. */
static void send_validations(kafka_consumer *consumer)
{
    int64_t now_us = sim_now_us();
    uint32_t topic = consumer->config->topic_index;
    for (uint32_t b = 0; b < consumer->cluster->broker_count; b++) {
        if (slot_of_kind(consumer, b, KAFKA_OFFSETS_FOR_LEADER_EPOCH_REQUEST) != REQUEST_NONE)
            continue;
        uint32_t wanted[SCN_PARTITIONS_MAX], count = 0;
        for (uint32_t p = 0; p < consumer->partition_count; p++) {
            kafka_owned *part = &consumer->partitions[p];
            if (!part->owned || !part->awaiting_validation || part->validation_in_flight ||
                now_us < part->validation_retry_us ||
                kafka_client_metadata_leader(&consumer->metadata, p) != b)
                continue;
            wanted[count++] = p;
        }
        if (count == 0) continue;
        kafka_msg *request = kafka_msg_new(KAFKA_OFFSETS_FOR_LEADER_EPOCH_REQUEST, count);
        request->correlation_id = ++consumer->next_correlation;
        for (uint32_t i = 0; i < count; i++) {
            kafka_owned *part = &consumer->partitions[wanted[i]];
            request->parts[i] = (kafka_part){.topic = (uint16_t)topic,
                                             .partition = wanted[i],
                                             .leader_epoch = part->checked_leader_epoch,
                                             .records_epoch = part->position_epoch};
            part->validation_in_flight = true;
            part->validation_correlation = request->correlation_id;
        }
        request_table_add(&consumer->requests, b, request->correlation_id,
                          KAFKA_OFFSETS_FOR_LEADER_EPOCH_REQUEST, now_us,
                          now_us + KAFKA_REQUEST_TIMEOUT_US);
        net_send(consumer->node, consumer->cluster->brokers[b], kafka_msg_size_bytes(request),
                 request);
    }
}

/* SubscriptionState.maybeCompleteValidation (kafka_position_validated). Answers for a
 * position that moved since are stale. */
static void on_validation_response(kafka_consumer *consumer, const kafka_msg *response,
                                   uint32_t broker)
{
    uint32_t slot = request_table_find(&consumer->requests, broker, response->correlation_id);
    if (slot == REQUEST_NONE) return; /* given up on */
    request_table_remove(&consumer->requests, slot);
    int64_t now_us = sim_now_us();
    for (uint32_t i = 0; i < response->part_count; i++) {
        const kafka_part *got = &response->parts[i];
        BL_ASSERT(got->partition < consumer->partition_count);
        kafka_owned *part = &consumer->partitions[got->partition];
        if (!part->owned || !part->awaiting_validation || !part->validation_in_flight ||
            part->validation_correlation != response->correlation_id)
            continue;
        part->validation_in_flight = false;
        if (got->error != KAFKA_OK) { /* NOT_LEADER, FENCED or UNKNOWN_LEADER_EPOCH */
            kafka_client_metadata_want_update(&consumer->metadata);
            part->validation_retry_us = now_us + KAFKA_CONSUMER_RETRY_BACKOFF_US;
            sim_schedule(consumer->node, part->validation_retry_us, CONSUMER_TIMER_METADATA, 0, 0,
                         NULL);
            continue;
        }
        part->awaiting_validation = false;
        BL_ASSERT(part->fetch_offset == part->position && fetched_count(part) == 0);
        kafka_position now = kafka_position_validated(
            (kafka_position){.offset = part->position, .leader_epoch = part->position_epoch},
            got->diverging_epoch, got->diverging_end);
        part->position = part->fetch_offset = now.offset; /* -1: auto_offset_reset */
        part->position_epoch = part->fetch_epoch = now.leader_epoch;
    }
}

/* Gives up on the requests on `connection` whose deadline is before now_us (every one
 * when the connection was reset: now_us = INT64_MAX). A fetch's outcome does not
 * matter to the application: its records are fetched again. */
static void rebalance_failed(kafka_consumer *consumer, kafka_error error);

static void abandon_requests(kafka_consumer *consumer, uint32_t connection, int64_t now_us)
{
    request_table *table = &consumer->requests;
    REQUEST_TABLE_EACH(table, connection, slot)
    {
        const request_slot *request = request_table_slot(table, slot);
        if (request->kind == KAFKA_COMMIT_REQUEST) continue; /* commits wait in their window */
        if (request->deadline_us >= now_us) continue;
        bool rebalance = (request->kind == KAFKA_JOIN_GROUP_REQUEST &&
                          request->correlation_id == consumer->join_correlation) ||
                         (request->kind == KAFKA_SYNC_GROUP_REQUEST &&
                          request->correlation_id == consumer->sync_correlation);
        if (request->kind == KAFKA_OFFSETS_FOR_LEADER_EPOCH_REQUEST) /* asked again */
            for (uint32_t p = 0; p < consumer->partition_count; p++)
                if (consumer->partitions[p].validation_in_flight &&
                    consumer->partitions[p].validation_correlation == request->correlation_id)
                    consumer->partitions[p].validation_in_flight = false;
        request_table_remove(table, slot);
        if (rebalance) rebalance_failed(consumer, KAFKA_REQUEST_TIMED_OUT);
        /* a timed-out request closes the connection (processTimeoutDisconnection) */
        if (now_us != INT64_MAX)
            kafka_client_metadata_on_disconnect(&consumer->metadata, connection, now_us);
    }
}

/* ---- membership (AbstractCoordinator, ConsumerCoordinator: the classic protocol) ---- */

/* Moves the member to `to`, asserting the transition is one AbstractCoordinator makes. */
static void member_become(kafka_consumer *consumer, kafka_member_state to)
{
    kafka_member_state from = consumer->member_state;
    bool allowed =
        to == KAFKA_MEMBER_STOPPED ||
        (to == KAFKA_MEMBER_UNJOINED) || /* a start, a failed rebalance, a reset */
        (to == KAFKA_MEMBER_PREPARING_REBALANCE && from != KAFKA_MEMBER_STOPPED) ||
        (to == KAFKA_MEMBER_COMPLETING_REBALANCE && from == KAFKA_MEMBER_PREPARING_REBALANCE) ||
        (to == KAFKA_MEMBER_STABLE && from == KAFKA_MEMBER_COMPLETING_REBALANCE);
    BL_ASSERTF(allowed, "%s: member state %d -> %d", consumer->node->name, (int)from, (int)to);
    consumer->member_state = to;
}

/* The heartbeat thread runs once the member has joined (COMPLETING_REBALANCE, STABLE). */
static void send_heartbeat(kafka_consumer *consumer)
{
    if (consumer->member_state != KAFKA_MEMBER_COMPLETING_REBALANCE &&
        consumer->member_state != KAFKA_MEMBER_STABLE)
        return;
    uint32_t coordinator = coordinator_index(consumer);
    if (coordinator == KAFKA_NO_LEADER) return; /* the next one, once it is found */
    kafka_msg *request = kafka_msg_new(KAFKA_HEARTBEAT_REQUEST, 0);
    request->correlation_id = ++consumer->next_correlation;
    request->group = (uint16_t)consumer->group_index;
    request->member_id = consumer->member_id;
    request->generation = consumer->generation;
    net_send(consumer->node, consumer->cluster->brokers[coordinator], kafka_msg_size_bytes(request),
             request);
}

/* Every owned partition released, none committed (the generation is gone), and the
 * completed fetches dropped (onPartitionsLost). */
static void give_up_partitions(kafka_consumer *consumer)
{
    for (uint32_t p = 0; p < consumer->partition_count; p++)
        if (consumer->partitions[p].owned) release_partition(consumer, &consumer->partitions[p]);
    while (bl_ring_count(&consumer->ready) > 0) ready_pop(consumer);
}

/* A member's id: one per process start (the node and its incarnation), and a new one at
 * each reset of the member id (Kafka's coordinator hands out clientId-UUID; brokerlab's
 * client proposes a deterministic one, which the coordinator hands back). */
static uint32_t new_member_id(const kafka_consumer *consumer)
{
    BL_ASSERT(consumer->node->id < (1u << 11));
    return consumer->node->id << 12 | (consumer->node->incarnation & 0xfffu) |
           (consumer->rejoins & 0x1ffu) << 23;
}

/* resetStateAndRejoin: back to UNJOINED without a generation (and without a member id
 * after UNKNOWN_MEMBER_ID or a leave); the next join prepares again, and a member
 * without a generation treats what it owns as lost. */
static void reset_generation(kafka_consumer *consumer, bool reset_member_id)
{
    consumer->generation = 0;
    if (reset_member_id) {
        consumer->rejoins++;
        consumer->member_id = new_member_id(consumer);
        consumer->has_member_id = false;
    }
    consumer->join_correlation = consumer->sync_correlation = 0;
    consumer->rejoin_needed = true;
    consumer->join_prepare = KAFKA_JOIN_PREPARE_NONE;
    consumer->join_prepare_correlation = 0;
    member_become(consumer, KAFKA_MEMBER_UNJOINED);
}

/* A JoinGroup or SyncGroup that failed with a retriable error (the coordinator moved or
 * is unavailable, a timeout, a broken connection): the coordinator is looked up again
 * and the member joins again after retry.backoff.ms. */
static void rebalance_failed(kafka_consumer *consumer, kafka_error error)
{
    if (error != KAFKA_COORDINATOR_LOAD_IN_PROGRESS && error != KAFKA_GROUP_MAX_SIZE_REACHED)
        kafka_client_metadata_want_update(&consumer->coordinator);
    consumer->join_correlation = consumer->sync_correlation = 0;
    consumer->rejoin_needed = true;
    consumer->join_retry_us = sim_now_us() + KAFKA_CONSUMER_RETRY_BACKOFF_US;
    sim_timer_arm(consumer->node, &consumer->join_timer, consumer->join_retry_us,
                  CONSUMER_TIMER_JOIN);
    member_become(consumer, KAFKA_MEMBER_UNJOINED);
}

/* JoinGroup, with the owned partitions as the subscription's ownedPartitions (empty
 * under EAGER: it revoked them first). Its timeout is the rebalance timeout plus 5 s
 * (AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE): the coordinator parks it for the
 * whole join phase. */
static void send_join(kafka_consumer *consumer, uint32_t coordinator)
{
    uint32_t owned = 0;
    for (uint32_t p = 0; p < consumer->partition_count; p++) owned += consumer->partitions[p].owned;
    BL_ASSERT(owned == 0 || consumer->options.assignor == KAFKA_ASSIGNOR_COOPERATIVE_STICKY);
    kafka_msg *request = kafka_msg_new(KAFKA_JOIN_GROUP_REQUEST, owned);
    request->correlation_id = ++consumer->next_correlation;
    request->group = (uint16_t)consumer->group_index;
    request->member_id = consumer->member_id;
    request->no_member_id = !consumer->has_member_id;
    request->generation = consumer->generation;
    uint32_t i = 0;
    for (uint32_t p = 0; p < consumer->partition_count; p++)
        if (consumer->partitions[p].owned) request->parts[i++].partition = p;
    int64_t now_us = sim_now_us(), timeout_us = consumer->options.max_poll_interval_us + 5000000;
    if (timeout_us < KAFKA_REQUEST_TIMEOUT_US) timeout_us = KAFKA_REQUEST_TIMEOUT_US;
    request_table_add(&consumer->requests, coordinator, request->correlation_id,
                      KAFKA_JOIN_GROUP_REQUEST, now_us, now_us + timeout_us);
    consumer->join_correlation = request->correlation_id;
    member_become(consumer, KAFKA_MEMBER_PREPARING_REBALANCE);
    net_send(consumer->node, consumer->cluster->brokers[coordinator], kafka_msg_size_bytes(request),
             request);
}

/* SyncGroup; the leader's carries the assignment (one entry per partition). */
static void send_sync(kafka_consumer *consumer, uint32_t coordinator, bool leader)
{
    kafka_msg *request =
        kafka_msg_new(KAFKA_SYNC_GROUP_REQUEST, leader ? consumer->partition_count : 0);
    request->correlation_id = ++consumer->next_correlation;
    request->group = (uint16_t)consumer->group_index;
    request->member_id = consumer->member_id;
    request->generation = consumer->generation;
    int64_t now_us = sim_now_us();
    request_table_add(&consumer->requests, coordinator, request->correlation_id,
                      KAFKA_SYNC_GROUP_REQUEST, now_us, now_us + KAFKA_REQUEST_TIMEOUT_US);
    consumer->sync_correlation = request->correlation_id;
    member_become(consumer, KAFKA_MEMBER_COMPLETING_REBALANCE);
    net_send(consumer->node, consumer->cluster->brokers[coordinator], kafka_msg_size_bytes(request),
             request);
}

/* onJoinPrepare's commit (auto-commit's maybeAutoCommitOffsetsAsync, or the
 * application's commit in onPartitionsRevoked) was answered, failed or timed out. A
 * retriable failure tries again while the rebalance timeout allows; then the join goes
 * on whatever happened. */
static void join_prepare_answered(kafka_consumer *consumer, kafka_error error)
{
    BL_ASSERT(consumer->join_prepare == KAFKA_JOIN_PREPARE_COMMITTING);
    consumer->join_prepare_correlation = 0;
    bool retriable = error == KAFKA_NOT_COORDINATOR || error == KAFKA_REQUEST_TIMED_OUT ||
                     error == KAFKA_COORDINATOR_NOT_AVAILABLE || error == KAFKA_STORAGE_ERROR;
    int64_t now_us = sim_now_us();
    if (retriable &&
        now_us + KAFKA_CONSUMER_RETRY_BACKOFF_US < consumer->join_prepare_deadline_us) {
        consumer->join_prepare = KAFKA_JOIN_PREPARE_RETRY;
        consumer->join_retry_us = now_us + KAFKA_CONSUMER_RETRY_BACKOFF_US;
        sim_timer_arm(consumer->node, &consumer->join_timer, consumer->join_retry_us,
                      CONSUMER_TIMER_JOIN);
        return;
    }
    consumer->join_prepare = KAFKA_JOIN_PREPARE_DONE;
}

/* onJoinPrepare's commit of every owned position; returns whether one was sent. */
static bool join_prepare_commit(kafka_consumer *consumer, bool again)
{
    if (consumer->options.commit == KAFKA_COMMIT_BEFORE_PROCESSING) return false;
    uint32_t partitions[SCN_PARTITIONS_MAX];
    int64_t offsets[SCN_PARTITIONS_MAX];
    if (again) /* resend what failed: every owned position */
        for (uint32_t p = 0; p < consumer->partition_count; p++)
            consumer->partitions[p].committed_sent = -1;
    uint32_t count = collect_commits(consumer, -1, partitions, offsets);
    int64_t now_us = sim_now_us();
    uint32_t correlation =
        send_commit(consumer, partitions, offsets, count, now_us + KAFKA_REQUEST_TIMEOUT_US, NULL);
    if (correlation == 0) return false;
    consumer->join_prepare_correlation = correlation;
    consumer->join_prepare = KAFKA_JOIN_PREPARE_COMMITTING;
    int64_t wake_us = now_us + KAFKA_REQUEST_TIMEOUT_US;
    if (wake_us > consumer->join_prepare_deadline_us) wake_us = consumer->join_prepare_deadline_us;
    sim_timer_set(consumer->node, &consumer->join_timer, wake_us, CONSUMER_TIMER_JOIN);
    return true;
}

/* AbstractCoordinator.ensureActiveGroup / joinGroupIfNeeded, driven by the application's
 * poll(): when a rejoin is needed, onJoinPrepare once per rebalance (under EAGER the
 * owned partitions stop being fetched or returned, markPendingRevocation; the owned
 * positions are committed and the commit waited for; then EAGER revokes everything; a
 * member without a generation gives up what it owns as lost), then JoinGroup. */
static void ensure_active_group(kafka_consumer *consumer)
{
    if (!consumer->rejoin_needed || (consumer->member_state != KAFKA_MEMBER_UNJOINED &&
                                     consumer->member_state != KAFKA_MEMBER_STABLE))
        return;
    int64_t now_us = sim_now_us();
    if (now_us < consumer->join_retry_us) return; /* the join timer wakes it */
    uint32_t coordinator = coordinator_index(consumer);
    if (coordinator == KAFKA_NO_LEADER) return; /* FindCoordinator first */
    bool eager = consumer->options.assignor == KAFKA_ASSIGNOR_RANGE;
    if (consumer->join_prepare == KAFKA_JOIN_PREPARE_NONE ||
        consumer->join_prepare == KAFKA_JOIN_PREPARE_RETRY) {
        bool again = consumer->join_prepare == KAFKA_JOIN_PREPARE_RETRY;
        if (!again)
            consumer->join_prepare_deadline_us = now_us + consumer->options.max_poll_interval_us;
        consumer->join_prepare = KAFKA_JOIN_PREPARE_DONE;
        if (consumer->generation == 0) {
            give_up_partitions(consumer); /* onPartitionsLost */
        } else {
            if (eager)
                for (uint32_t p = 0; p < consumer->partition_count; p++)
                    if (consumer->partitions[p].owned) {
                        consumer->partitions[p].pending_revocation = true;
                        bl_ring_clear(&consumer->partitions[p].fetched);
                        consumer->partitions[p].fetch_offset = consumer->partitions[p].position;
                    }
            if (join_prepare_commit(consumer, again)) return;
        }
    }
    if (consumer->join_prepare == KAFKA_JOIN_PREPARE_COMMITTING) return;
    if (eager) give_up_partitions(consumer); /* EAGER: invokePartitionsRevoked(all) */
    send_join(consumer, coordinator);
}

/* The answer to the JoinGroup or SyncGroup the member waits for in `state` (with
 * *correlation), taken off the request table; false for one it gave up on. */
static bool take_rebalance_answer(kafka_consumer *consumer, const kafka_msg *response,
                                  uint32_t broker, kafka_member_state state, uint32_t *correlation)
{
    uint32_t slot = request_table_find(&consumer->requests, broker, response->correlation_id);
    if (slot == REQUEST_NONE) return false; /* timed out or reset: given up on */
    request_table_remove(&consumer->requests, slot);
    if (consumer->member_state != state || response->correlation_id != *correlation) return false;
    *correlation = 0;
    return true;
}

static void on_join_response(kafka_consumer *consumer, const kafka_msg *response, uint32_t broker)
{
    if (!take_rebalance_answer(consumer, response, broker, KAFKA_MEMBER_PREPARING_REBALANCE,
                               &consumer->join_correlation))
        return;
    switch ((kafka_error)response->error) {
    case KAFKA_OK: {
        consumer->generation = response->generation;
        BL_ASSERT(response->member_id == consumer->member_id);
        bool leader = response->leader_member_id == consumer->member_id;
        send_sync(consumer, broker, leader); /* onJoinLeader / onJoinFollower */
        return;
    }
    case KAFKA_MEMBER_ID_REQUIRED: /* join again at once, with the id */
        consumer->member_id = response->member_id;
        consumer->has_member_id = true;
        send_join(consumer, broker);
        return;
    case KAFKA_UNKNOWN_MEMBER: reset_generation(consumer, true); return;
    case KAFKA_ILLEGAL_GENERATION: reset_generation(consumer, false); return;
    default: rebalance_failed(consumer, (kafka_error)response->error); return;
    }
}

/* onJoinComplete: the assignment. COOPERATIVE revokes what it owned and was not
 * assigned (committing it first when the application commits after processing, as its
 * onPartitionsRevoked would) and rejoins; what is newly assigned starts from its
 * committed offset, validated against the leader (KIP-320). No partition is granted to
 * two members in one generation. */
static void join_complete(kafka_consumer *consumer, const kafka_msg *response)
{
    int64_t now_us = sim_now_us();
    bool revoked = false;
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        kafka_owned *part = &consumer->partitions[p];
        if (!part->owned) continue;
        BL_ASSERTF(consumer->options.assignor == KAFKA_ASSIGNOR_COOPERATIVE_STICKY,
                   "%s: an EAGER member still owns partition %u at its SyncGroup answer",
                   consumer->node->name, p);
        bool assigned = false;
        for (uint32_t i = 0; i < response->part_count; i++)
            assigned |= response->parts[i].partition == p;
        if (assigned) continue;
        if (consumer->options.commit == KAFKA_COMMIT_AFTER_PROCESSING) commit_owned(consumer, p);
        release_partition(consumer, part);
        revoked = true;
    }
    kafka_grants *grants = &consumer->cluster->grants[consumer->group_index];
    for (uint32_t i = 0; i < response->part_count; i++) {
        const kafka_part *grant = &response->parts[i];
        BL_ASSERT(grant->partition < consumer->partition_count);
        uint32_t p = grant->partition;
        BL_ASSERTF(grants->lineage[p] != grants->current_lineage ||
                       grants->generation[p] != consumer->generation ||
                       grants->member_id[p] == consumer->member_id,
                   "group %s: partition %u granted to members %u and %u in generation %u",
                   consumer->config->group, p, grants->member_id[p], consumer->member_id,
                   consumer->generation);
        grants->lineage[p] = grants->current_lineage;
        grants->generation[p] = consumer->generation;
        grants->member_id[p] = consumer->member_id;
        if (consumer->generation > grants->max_generation)
            grants->max_generation = consumer->generation;
        kafka_owned *part = &consumer->partitions[p];
        if (part->owned) continue; /* kept (COOPERATIVE) */
        owned_clear(part);
        part->owned = true;
        part->position = part->fetch_offset = grant->offset; /* -1: resolve by reset policy */
        part->committed_sent = grant->offset;
        /* the committed offset's leader epoch: checked before fetching (seekUnvalidated) */
        if (grant->offset >= 0 && grant->leader_epoch > 0)
            part->position_epoch = part->fetch_epoch = (int32_t)grant->leader_epoch - 1;
        await_validation(consumer, p);
    }
    member_become(consumer, KAFKA_MEMBER_STABLE);
    consumer->rejoin_needed = revoked;                /* COOPERATIVE's second rebalance */
    consumer->join_prepare = KAFKA_JOIN_PREPARE_NONE; /* needsJoinPrepare */
    if (consumer->options.commit == KAFKA_COMMIT_AUTO)
        consumer->next_auto_commit_us = now_us + consumer->options.commit_interval_us;
}

static void on_sync_response(kafka_consumer *consumer, const kafka_msg *response, uint32_t broker)
{
    if (!take_rebalance_answer(consumer, response, broker, KAFKA_MEMBER_COMPLETING_REBALANCE,
                               &consumer->sync_correlation))
        return;
    switch ((kafka_error)response->error) {
    case KAFKA_OK: join_complete(consumer, response); return;
    case KAFKA_REBALANCE_IN_PROGRESS: /* requestRejoin: join again at once */
        consumer->rejoin_needed = true;
        member_become(consumer, KAFKA_MEMBER_UNJOINED);
        return;
    case KAFKA_UNKNOWN_MEMBER: reset_generation(consumer, true); return;
    case KAFKA_ILLEGAL_GENERATION: reset_generation(consumer, false); return;
    default: rebalance_failed(consumer, (kafka_error)response->error); return;
    }
}

/* HeartbeatResponseHandler. */
static void on_heartbeat_response(kafka_consumer *consumer, const kafka_msg *response)
{
    BL_ASSERT(consumer->member_state != KAFKA_MEMBER_STOPPED);
    if (response->member_id != consumer->member_id) return; /* to a member id it gave up */
    switch ((kafka_error)response->error) {
    case KAFKA_OK: return;
    case KAFKA_REBALANCE_IN_PROGRESS: /* requestRejoinIfNecessary */
        if (consumer->member_state == KAFKA_MEMBER_STABLE) consumer->rejoin_needed = true;
        return;
    case KAFKA_ILLEGAL_GENERATION:
    case KAFKA_UNKNOWN_MEMBER:
        /* of the generation it is still in (generationUnchanged): the group moved on
         * without it */
        if (response->generation != consumer->generation) return;
        if (consumer->member_state != KAFKA_MEMBER_STABLE &&
            consumer->member_state != KAFKA_MEMBER_COMPLETING_REBALANCE)
            return; /* it is rejoining already */
        reset_generation(consumer, response->error == KAFKA_UNKNOWN_MEMBER);
        return;
    case KAFKA_NOT_COORDINATOR:
    case KAFKA_COORDINATOR_NOT_AVAILABLE:
        kafka_client_metadata_want_update(&consumer->coordinator); /* markCoordinatorUnknown */
        return;
    default: return;
    }
}

/* OffsetCommitResponseHandler: a commit of the generation the member is in that comes
 * back UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION resets it; REBALANCE_IN_PROGRESS asks
 * for a rejoin. */
static void commit_error_to_membership(kafka_consumer *consumer, kafka_error error,
                                       uint32_t generation)
{
    if (consumer->member_state == KAFKA_MEMBER_STOPPED) return;
    if ((error == KAFKA_UNKNOWN_MEMBER || error == KAFKA_ILLEGAL_GENERATION) &&
        generation == consumer->generation && consumer->generation != 0)
        reset_generation(consumer, error == KAFKA_UNKNOWN_MEMBER);
    else if (error == KAFKA_REBALANCE_IN_PROGRESS)
        consumer->rejoin_needed = true;
}

/* AbstractCoordinator.HeartbeatThread: "consumer poll timeout has expired" (the time
 * between polls passed max.poll.interval.ms), so maybeLeaveGroup: LeaveGroup to the
 * coordinator, and the member resets its generation and member id
 * (resetGenerationOnLeaveGroup); what it owns is lost (not committed). The records its
 * workers hold go on; the next poll joins again. */
static void leave_group(kafka_consumer *consumer)
{
    uint32_t coordinator = coordinator_index(consumer);
    if (coordinator != KAFKA_NO_LEADER && consumer->has_member_id) {
        kafka_msg *request = kafka_msg_new(KAFKA_LEAVE_GROUP_REQUEST, 0);
        request->correlation_id = ++consumer->next_correlation;
        request->group = (uint16_t)consumer->group_index;
        request->member_id = consumer->member_id;
        net_send(consumer->node, consumer->cluster->brokers[coordinator],
                 kafka_msg_size_bytes(request), request);
    } /* else its session ends it */
    give_up_partitions(consumer);
    reset_generation(consumer, true);
}

static void on_poll_timeout(kafka_consumer *consumer)
{
#ifdef BROKERLAB_MUTANT_POLL_TIMEOUT_IGNORED
    return; /* mutant (scripts/mutants.sh): max.poll.interval.ms never ends a membership */
#endif
    if (consumer->member_state == KAFKA_MEMBER_UNJOINED && !consumer->has_member_id) return;
    int64_t now_us = sim_now_us(), interval_us = consumer->options.max_poll_interval_us;
    int64_t due_us = consumer->last_poll_us + interval_us;
    if (consumer->poll_waiting) due_us = now_us + interval_us; /* inside poll(): not late */
    if (due_us > now_us) {                                     /* polled since it was armed */
        sim_timer_arm(consumer->node, &consumer->poll_timer, due_us, CONSUMER_TIMER_POLL_TIMEOUT);
        return;
    }
    leave_group(consumer);
}

/* The join timer: a retry's backoff ended, or onJoinPrepare's commit timed out (its
 * outcome unknown) or ran out of the rebalance timeout. */
static void on_join_timer(kafka_consumer *consumer)
{
    if (consumer->join_prepare != KAFKA_JOIN_PREPARE_COMMITTING) return;
    int64_t now_us = sim_now_us();
    uint32_t slot = REQUEST_NONE, connection = 0;
    for (; connection < consumer->requests.connection_count && slot == REQUEST_NONE; connection++)
        slot =
            request_table_find(&consumer->requests, connection, consumer->join_prepare_correlation);
    if (slot != REQUEST_NONE) {
        const request_slot *request = request_table_slot(&consumer->requests, slot);
        if (request->deadline_us > now_us && now_us < consumer->join_prepare_deadline_us) {
            sim_timer_set(consumer->node, &consumer->join_timer, request->deadline_us,
                          CONSUMER_TIMER_JOIN);
            return;
        }
        const kafka_pending_commit *pending = &consumer->commits[slot];
        for (uint32_t i = 0; i < pending->part_count; i++)
            record_commit(consumer, HIST_INFO, pending->partitions[i], pending->offsets[i]);
        release_commit(consumer, slot);
    }
    join_prepare_answered(consumer, KAFKA_REQUEST_TIMED_OUT);
}

/* ---- node callbacks ---- */

static void consumer_on_event(sim_node *node, const sim_event *ev)
{
    kafka_consumer *consumer = node->model;
    switch (ev->kind) {
    case SIM_EVENT_PACKET: {
        kafka_msg *msg = ev->data;
        uint32_t broker = kafka_broker_index(consumer->cluster, ev->arg);
        kafka_client_metadata_on_reply(&consumer->metadata, broker);
        kafka_client_metadata_on_reply(&consumer->coordinator, broker);
        if (msg->api == KAFKA_FETCH_RESPONSE) {
            on_fetch_response(consumer, msg, broker);
        } else if (msg->api == KAFKA_METADATA_RESPONSE) {
            bool find_coordinator =
                msg->part_count > 0 && msg->parts[0].topic == consumer->coordinator.topic;
            kafka_client_metadata_on_response(find_coordinator ? &consumer->coordinator
                                                               : &consumer->metadata,
                                              msg, broker, sim_now_us());
            if (!find_coordinator) validate_on_metadata_change(consumer);
        } else if (msg->api == KAFKA_OFFSETS_FOR_LEADER_EPOCH_RESPONSE) {
            on_validation_response(consumer, msg, broker);
        } else if (msg->api == KAFKA_HEARTBEAT_RESPONSE) {
            on_heartbeat_response(consumer, msg);
        } else if (msg->api == KAFKA_JOIN_GROUP_RESPONSE) {
            on_join_response(consumer, msg, broker);
        } else if (msg->api == KAFKA_SYNC_GROUP_RESPONSE) {
            on_sync_response(consumer, msg, broker);
        } else if (msg->api == KAFKA_LEAVE_GROUP_RESPONSE) {
            /* nothing waits for it: the member already let go */
        } else {
            BL_ASSERT(msg->api == KAFKA_COMMIT_RESPONSE);
            on_commit_response(consumer, msg, kafka_broker_index(consumer->cluster, ev->arg));
        }
        kafka_msg_free(msg);
        return;
    }
    case SIM_EVENT_NET_RESET: {
        uint32_t broker = kafka_broker_index(consumer->cluster, ev->arg);
        abandon_requests(consumer, broker, INT64_MAX);
        /* commitSync's attempt there failed (a disconnect): retried */
        if (consumer->commit_sync && consumer->commit_sync_correlation != 0 &&
            consumer->commit_sync_broker == broker) {
            sim_timer_set(node, &consumer->commit_sync_timer, sim_now_us(),
                          CONSUMER_TIMER_COMMIT_SYNC);
        }
        kafka_client_metadata_on_disconnect(&consumer->metadata, broker, sim_now_us());
        kafka_client_metadata_on_disconnect(&consumer->coordinator, broker, sim_now_us());
        return;
    }
    case CONSUMER_TIMER_METADATA: return; /* the wake-up's end does the work */
    case CONSUMER_TIMER_POLL: on_poll(consumer); return;
    case CONSUMER_TIMER_POLL_TIMEOUT: on_poll_timeout(consumer); return;
    case CONSUMER_TIMER_COMMIT_SYNC: commit_sync_on_timer(consumer); return;
    case CONSUMER_TIMER_JOIN: on_join_timer(consumer); return; /* the wake-up's end joins */
    case CONSUMER_TIMER_HEARTBEAT:
        send_heartbeat(consumer);
        /* a fetch unanswered past max wait + request timeout is lost: send another */
        for (uint32_t b = 0; b < consumer->cluster->broker_count; b++)
            abandon_requests(consumer, b, sim_now_us());
        sim_schedule(node, sim_now_us() + consumer->options.heartbeat_interval_us,
                     CONSUMER_TIMER_HEARTBEAT, 0, 0, NULL);
        return;
    default: BL_ASSERTF(false, "consumer event kind %u", ev->kind);
    }
}

/* A metadata refresh, if one is due, and the timer for the next. */
static void refresh_metadata(kafka_consumer *consumer)
{
    int64_t now_us = sim_now_us();
    kafka_client_metadata_send_due(&consumer->metadata, consumer->node, &consumer->requests,
                                   now_us);
    kafka_client_metadata_send_due(&consumer->coordinator, consumer->node, &consumer->requests,
                                   now_us);
    int64_t due_us = kafka_client_metadata_next_due(&consumer->metadata);
    int64_t coordinator_due_us = kafka_client_metadata_next_due(&consumer->coordinator);
    if (coordinator_due_us < due_us) due_us = coordinator_due_us;
    sim_timer *timer = &consumer->metadata_timer;
    if (due_us != SIM_TIME_NEVER && due_us > now_us &&
        (!sim_timer_armed(consumer->node, timer) || timer->at_us != due_us))
        sim_timer_set(consumer->node, timer, due_us, CONSUMER_TIMER_METADATA);
}

static void consumer_on_wake_end(sim_node *node)
{
    kafka_consumer *consumer = node->model;
    if (consumer->poll_waiting) ensure_active_group(consumer); /* poll() drives the join */
    refresh_metadata(consumer);
    send_validations(consumer);
    send_fetches(consumer);
    if (consumer->poll_waiting) {
        for (uint32_t p = 0; p < consumer->partition_count; p++)
            if (consumer->partitions[p].owned && fetched_count(&consumer->partitions[p]) > 0) {
                schedule_poll(consumer, sim_now_us());
                break;
            }
    }
}

/* Forgets what every commit in flight carries (the process stopped or is freed). */
static void free_commits(kafka_consumer *consumer)
{
    uint32_t slots = consumer->requests.connection_count * consumer->requests.per_connection_max;
    for (uint32_t slot = 0; slot < slots; slot++) {
        free(consumer->commits[slot].partitions);
        free(consumer->commits[slot].offsets);
        memset(&consumer->commits[slot], 0, sizeof consumer->commits[slot]);
    }
}

static void consumer_on_stop(sim_node *node, bool power_loss)
{
    kafka_consumer *consumer = node->model;
    int64_t now_us = sim_now_us();
    for (uint32_t w = 0; w < consumer->config->workers; w++) {
        hist_cancel_after(consumer->worker_streams[w], now_us);
        consumer->worker_free_us[w] = 0;
    }
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        kafka_owned *part = &consumer->partitions[p];
        for (uint32_t i = 0; i < dispatched_count(part); i++) {
            kafka_dispatched *record = dispatched_at(part, i);
            bool cut_short = record->done_us > now_us && record->inserted;
#ifdef BROKERLAB_MUTANT_DEDUP_KEEPS_CUT_SHORT
            cut_short = false; /* mutant (scripts/mutants.sh): its id stays in the store */
#endif
            if (cut_short) dedup_store_remove(consumer->dedup, record->msg_id);
        }
        owned_clear(part);
    }
    for (uint32_t i = 0; i < consumer->orphan_count; i++) {
        const kafka_dispatched *record = &consumer->orphans[i];
        if (record->done_us > now_us && record->inserted)
            dedup_store_remove(consumer->dedup, record->msg_id);
    }
    consumer->orphan_count = 0;
    commit_sync_clear(consumer); /* what waited for it dies with the process, unprocessed */
    free_commits(consumer);
    request_table_clear(&consumer->requests);
    while (bl_ring_count(&consumer->ready) > 0) ready_pop(consumer);
    consumer->poll_waiting = consumer->poll_scheduled = false;
    consumer->join_correlation = consumer->sync_correlation = 0;
    consumer->join_prepare_correlation = 0;
    member_become(consumer, KAFKA_MEMBER_STOPPED);
    BL_MAYBE(power_loss);
}

static void consumer_on_start(sim_node *node)
{
    kafka_consumer *consumer = node->model;
    int64_t now_us = sim_now_us();
    member_become(consumer, KAFKA_MEMBER_UNJOINED);
    consumer->rejoin_needed = true; /* its first poll joins */
    consumer->join_prepare = KAFKA_JOIN_PREPARE_NONE;
    consumer->join_retry_us = 0;
    kafka_client_metadata_want_update(&consumer->metadata); /* a new process asks first */
    consumer->metadata.in_flight = false;
    kafka_client_metadata_want_update(&consumer->coordinator);
    consumer->coordinator.in_flight = false;
    consumer->rejoins = 0;
    consumer->member_id = new_member_id(consumer); /* a new member per process */
    consumer->has_member_id = false;
    consumer->generation = 0;
    consumer->next_auto_commit_us = now_us + consumer->options.commit_interval_us;
    hist_record rec = hist_record_init(HIST_SUBSCRIBE, HIST_OK, node->hist_name, now_us);
    rec.group = consumer->hist_group;
    rec.topic = consumer->hist_topic;
    hist_emit(HIST_STREAM_NOW, &rec);
    sim_schedule(node, now_us + consumer->options.heartbeat_interval_us, CONSUMER_TIMER_HEARTBEAT,
                 0, 0, NULL);
    consumer->poll_waiting = true;
    ensure_active_group(consumer); /* the first poll() joins */
}

static const sim_node_ops consumer_ops = {
    .on_event = consumer_on_event,
    .on_wake_end = consumer_on_wake_end,
    .on_stop = consumer_on_stop,
    .on_start = consumer_on_start,
    .free_data = kafka_free_packet,
};

kafka_consumer *kafka_consumer_create(const kafka_cluster *cluster, uint32_t group_index,
                                      uint32_t instance, dedup_store *dedup)
{
    const scn_scenario *scenario = cluster->scenario;
    const scn_consumer *config = &scenario->consumers[group_index];
    kafka_consumer *consumer = calloc(1, sizeof *consumer);
    BL_ASSERT(consumer != NULL);
    consumer->cluster = cluster;
    consumer->config = config;
    consumer->options = kafka_consumer_options_of(config);
    consumer->group_index = group_index;
    consumer->instance = instance;
    consumer->dedup = config->dedup ? dedup : NULL;
    consumer->partition_count = scenario->topics[config->topic_index].partition_count;
    consumer->partitions = calloc(consumer->partition_count, sizeof *consumer->partitions);
    consumer->worker_free_us = calloc(config->workers, sizeof *consumer->worker_free_us);
    consumer->worker_streams = calloc(config->workers, sizeof *consumer->worker_streams);
    BL_ASSERT(consumer->partitions && consumer->worker_free_us && consumer->worker_streams);
    request_table_init(&consumer->requests, cluster->broker_count, KAFKA_CONSUMER_REQUESTS_MAX);
    consumer->commits = calloc((size_t)cluster->broker_count * KAFKA_CONSUMER_REQUESTS_MAX,
                               sizeof *consumer->commits);
    consumer->held_runs = calloc(consumer->partition_count, sizeof *consumer->held_runs);
    consumer->sync_partitions =
        calloc(consumer->partition_count, sizeof *consumer->sync_partitions);
    consumer->sync_offsets = calloc(consumer->partition_count, sizeof *consumer->sync_offsets);
    BL_ASSERT(consumer->commits != NULL && consumer->held_runs != NULL &&
              consumer->sync_partitions != NULL && consumer->sync_offsets != NULL);
    uint32_t ready_max = 1;
    while (ready_max < consumer->partition_count) ready_max *= 2;
    BL_RING_INIT(&consumer->ready, uint32_t, ready_max, "the completed-fetch queue");
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        BL_RING_INIT(&consumer->partitions[p].fetched, kafka_fetched, KAFKA_FETCHED_MAX,
                     "a partition's fetched records");
        BL_RING_INIT(&consumer->partitions[p].dispatched, kafka_dispatched, KAFKA_DISPATCHED_MAX,
                     "a partition's records in processing");
    }
    char name[96];
    snprintf(name, sizeof name, "consumer/%s/%u", config->group, instance);
    char rng_name[128];
    snprintf(rng_name, sizeof rng_name, "%s/processing", name);
    consumer->rng_processing = rng_stream(scenario->seed, rng_name);
    kafka_client_metadata_init(&consumer->metadata, cluster, config->topic_index,
                               KAFKA_REQUEST_TIMEOUT_US, KAFKA_CONSUMER_RETRY_BACKOFF_US,
                               KAFKA_CONSUMER_RETRY_BACKOFF_MAX_US, 0);
    kafka_client_metadata_init_coordinator(
        &consumer->coordinator, cluster, group_index, KAFKA_REQUEST_TIMEOUT_US,
        KAFKA_CONSUMER_RETRY_BACKOFF_US, KAFKA_CONSUMER_RETRY_BACKOFF_MAX_US);
    consumer->node = sim_add_node(name, SIM_ROLE_CONSUMER, &consumer_ops, consumer);
    consumer->node->entry = group_index;
    consumer->node->instance = instance;
    consumer->node->hist_name = hist_names_intern(hist_names_table(), name);
    consumer->hist_group = hist_names_intern(hist_names_table(), config->group);
    consumer->hist_topic =
        hist_names_intern(hist_names_table(), scenario->topics[config->topic_index].name);
    for (uint32_t w = 0; w < config->workers; w++) consumer->worker_streams[w] = hist_stream_open();
    return consumer;
}

void kafka_consumer_free(kafka_consumer *consumer)
{
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        bl_ring_free(&consumer->partitions[p].fetched);
        bl_ring_free(&consumer->partitions[p].dispatched);
    }
    free_commits(consumer);
    free(consumer->commits);
    gsl_rng_free(consumer->rng_processing);
    free(consumer->partitions);
    free(consumer->worker_free_us);
    free(consumer->worker_streams);
    free(consumer->orphans);
    bl_ring_free(&consumer->ready);
    request_table_free(&consumer->requests);
    kafka_client_metadata_free(&consumer->metadata);
    kafka_client_metadata_free(&consumer->coordinator);
    free(consumer->run_ids);
    free(consumer->run_keys);
    free(consumer->held_runs);
    free(consumer->held_ids);
    free(consumer->held_keys);
    free(consumer->sync_partitions);
    free(consumer->sync_offsets);
    free(consumer);
}

void kafka_consumer_stall(kafka_consumer *consumer, int64_t until_us)
{
    if (until_us > consumer->stall_until_us) consumer->stall_until_us = until_us;
}

/* The assignment the group coordinator granted it (Kafka's SubscriptionState
 * .assignedPartitions) and the records handed to its workers (the application's, polled
 * and so recorded `deliver`) whose processing is not over: a stop cancels them, to be
 * delivered again after the rebalance, or lost if their offsets were committed (K28). */
void kafka_consumer_holding(const kafka_consumer *consumer, int64_t now_us, uint32_t *partitions,
                            uint64_t *records)
{
    *partitions = 0;
    *records = 0;
    for (uint32_t p = 0; p < consumer->partition_count; p++) {
        const kafka_owned *part = &consumer->partitions[p];
        if (part->owned) (*partitions)++;
        for (uint32_t i = 0; i < bl_ring_count(&part->dispatched); i++)
            if (BL_RING_AT(&part->dispatched, kafka_dispatched, i)->done_us > now_us) (*records)++;
    }
    *records += consumer->held_count; /* polled, waiting for commitSync */
}
