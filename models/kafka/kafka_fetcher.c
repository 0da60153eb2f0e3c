/* kafka_fetcher.c — a follower's fetchers and how it truncates (core/.../server/
 * AbstractFetcherThread.scala, ReplicaFetcherThread.scala, RemoteLeaderEndPoint.scala),
 * and the leader's check of a follower's fetch (Partition.fetchRecords).
 *
 * One fetcher per leader (num.replica.fetchers 1) covers every partition this broker
 * follows there; the next fetch goes out as soon as an answer is applied. A fetch
 * carries the follower's LEO, its current leader epoch and the epoch of its last batch.
 * With leader_epochs (Kafka >= 2.1, KIP-101 and KIP-279) the leader answers a follower
 * whose last epoch ended earlier in the leader's log with that epoch and end offset
 * (DivergingEpoch), and the follower truncates there (getOffsetTruncationState),
 * asking again if it did not know that epoch. Without them (before 0.11) a follower
 * truncates to its high watermark when it starts following
 * (kafka_broker_lifecycle.c), and to the leader's log end when it is above it
 * (OFFSET_OUT_OF_RANGE, fetchOffsetAndTruncate). */
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/net.h"
#include "kafka_broker_internal.h"

/* Whether this broker follows any partition `leader` leads, in its image. */
static bool follows(const kafka_broker *broker, uint32_t leader)
{
    if (!broker->image_ready || leader == broker->index) return false;
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        const kafka_partition *p = broker->partitions[i];
        if (p != NULL && p->state->leader == leader) return true;
    }
    return false;
}

void kafka_fetcher_start_all(kafka_broker *broker)
{
    for (uint32_t leader = 0; leader < broker->cluster->broker_count; leader++) {
        const kafka_fetcher *fetcher = &broker->fetchers[leader];
        if (!fetcher->in_flight && !fetcher->retry_scheduled && follows(broker, leader))
            kafka_fetcher_send(broker, leader);
    }
}

/* Sends the fetch of every partition followed at `leader`. */
void kafka_fetcher_send(kafka_broker *broker, uint32_t leader)
{
    kafka_fetcher *fetcher = &broker->fetchers[leader];
    BL_ASSERT(!fetcher->in_flight && leader != broker->index);
    if (!follows(broker, leader)) return; /* nothing followed there any more */
    const kafka_cluster_options *options = &broker->cluster->options;
    uint32_t count = 0;
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        const kafka_partition *p = broker->partitions[i];
        if (p != NULL && p->state->leader == leader) count++;
    }
    kafka_msg *request = kafka_msg_new(KAFKA_FETCH_REQUEST, count);
    request->correlation_id = ++broker->next_correlation_id;
    request->from_follower = true;
    request->replica_id = (uint16_t)broker->index;
    request->broker_epoch = broker->broker_epoch;
    request->max_wait_us = options->replica_fetch_wait_max_us;
    request->min_bytes = options->replica_fetch_min_bytes;
    uint32_t k = 0;
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        const kafka_partition *p = broker->partitions[i];
        if (p == NULL || p->state->leader != leader) continue;
        request->parts[k++] = (kafka_part){
            .topic = p->topic,
            .partition = p->partition,
            .offset = p->log.end_offset,
            .leader_epoch = p->state->leader_epoch,
            .last_fetched_epoch =
                options->leader_epochs ? kafka_epoch_latest(&p->epochs) : KAFKA_EPOCH_NONE,
            .max_bytes = (uint32_t)options->replica_fetch_max_bytes};
    }
    fetcher->in_flight = true;
    fetcher->correlation_id = request->correlation_id;
    fetcher->sent_us = sim_now_us();
    sim_timer_arm(broker->node, &fetcher->timeout,
                  fetcher->sent_us + options->replica_socket_timeout_us,
                  BROKER_TIMER_FETCHER_TIMEOUT + leader);
    net_send(broker->node, broker->cluster->brokers[leader], kafka_msg_size_bytes(request),
             request);
}

void kafka_fetcher_on_timeout(kafka_broker *broker, uint32_t leader)
{
    kafka_fetcher *fetcher = &broker->fetchers[leader];
    if (!fetcher->in_flight) return;
    int64_t deadline_us = fetcher->sent_us + broker->cluster->options.replica_socket_timeout_us;
    if (sim_now_us() >= deadline_us) {
        kafka_fetcher_back_off(broker, leader);
        return;
    }
    /* an earlier fetch's deadline: wait for this one's */
    sim_timer_arm(broker->node, &fetcher->timeout, deadline_us,
                  BROKER_TIMER_FETCHER_TIMEOUT + leader);
}

/* A fetch that failed (reset, timeout): back off replica.fetch.backoff.ms, then retry. */
void kafka_fetcher_back_off(kafka_broker *broker, uint32_t leader)
{
    kafka_fetcher *fetcher = &broker->fetchers[leader];
    fetcher->in_flight = false;
    if (fetcher->retry_scheduled) return;
    fetcher->retry_scheduled = true;
    sim_schedule(broker->node, sim_now_us() + broker->cluster->options.replica_fetch_backoff_us,
                 BROKER_EVENT_FETCHER_RETRY, leader, 0, NULL);
}

uint16_t kafka_fetcher_check_follower(kafka_broker *broker, const kafka_partition *p,
                                      const kafka_part *want, kafka_part *out)
{
    out->diverging_epoch = KAFKA_EPOCH_NONE;
    /* Partition.getLocalLog's epoch check (KIP-320) */
    if (want->leader_epoch < p->state->leader_epoch) return KAFKA_FENCED_LEADER_EPOCH;
    if (want->leader_epoch > p->state->leader_epoch) return KAFKA_UNKNOWN_LEADER_EPOCH;
    if (!broker->cluster->options.leader_epochs || want->last_fetched_epoch == KAFKA_EPOCH_NONE)
        return KAFKA_OK;
    /* Partition.fetchRecords: where did the follower's last epoch end here? */
    kafka_epoch_end end =
        kafka_epoch_end_offset_for(&p->epochs, want->last_fetched_epoch, p->log.end_offset);
    if (end.epoch == KAFKA_EPOCH_NONE || end.end_offset < p->log.start_offset)
        return KAFKA_OFFSET_OUT_OF_RANGE;
    if (end.epoch < want->last_fetched_epoch || end.end_offset < want->offset) {
        out->diverging_epoch = end.epoch;
        out->diverging_end = end.end_offset;
    }
    return KAFKA_OK;
}

static void truncate_to(kafka_broker *broker, kafka_partition *p, int64_t offset)
{
    if (offset >= p->log.end_offset) return;
    kafka_log_truncate(&p->log, &broker->disk, offset);
    kafka_epoch_truncate_from_end(&p->epochs, p->log.end_offset);
    if (p->hw > p->log.end_offset) p->hw = p->log.end_offset;
}

/* AbstractFetcherThread.getOffsetTruncationState for a DivergingEpoch answer. */
static void truncate_on_divergence(kafka_broker *broker, kafka_partition *p, const kafka_part *got)
{
    int64_t leo = p->log.end_offset;
    kafka_epoch_end mine = kafka_epoch_end_offset_for(&p->epochs, got->diverging_epoch, leo);
    int64_t target;
    if (mine.epoch == KAFKA_EPOCH_NONE) /* no epoch of ours at or below it */
        target = got->diverging_end;
    else if (mine.epoch != got->diverging_epoch) /* KIP-279: ask again from there */
        target = mine.end_offset;
    else
        target = mine.end_offset < got->diverging_end ? mine.end_offset : got->diverging_end;
    truncate_to(broker, p, target < leo ? target : leo);
}

/* ReplicaFetcherThread.processPartitionData for one part from `leader`. */
static void follower_apply(kafka_broker *broker, uint32_t leader, const kafka_msg *response,
                           const kafka_part *got)
{
    kafka_partition *p = broker_replica(broker, got->topic, got->partition);
    if (p == NULL || !broker->image_ready || p->state->leader != leader) return; /* moved */
    if (got->error == KAFKA_OFFSET_OUT_OF_RANGE) {
        /* fetchOffsetAndTruncate: above the leader's end, cut back to it; below its
         * start, start over there */
        if (p->log.end_offset > got->log_end_offset)
            truncate_to(broker, p, got->log_end_offset);
        else if (p->log.end_offset < got->log_start_offset) {
            kafka_log_reset_at(&p->log, &broker->disk, got->log_start_offset);
            kafka_epoch_truncate_from_end(&p->epochs, 0);
            p->hw = got->log_start_offset;
        }
        return;
    }
    if (got->error != KAFKA_OK) return; /* fenced or unknown epoch: wait for metadata */
    if (got->diverging_epoch != KAFKA_EPOCH_NONE) {
        truncate_on_divergence(broker, p, got);
        return;
    }
    if (got->offset != p->log.end_offset) return; /* stale: the log moved meanwhile */
    if (got->count > 0) { /* the leader's batches as they came, in one write */
        BL_ASSERT(got->records_epoch >= 0 && got->batch_count > 0);
        uint64_t records = 0;
        for (uint32_t b = 0; b < got->batch_count; b++)
            records += response->batch_store[got->batches_at + b].count;
        BL_ASSERTF(records == got->count, "a fetch's batches hold %llu of its %u records",
                   (unsigned long long)records, got->count);
        bool flush = false;
        if (broker_append_run(broker, p, got->msg_ids, got->keys,
                              response->batch_store + got->batches_at, got->batch_count,
                              got->record_size_bytes, got->records_epoch, &flush) < 0)
            return; /* the disk refused: the broker halts (log directory failure) */
        if (flush)
            broker_start_fsync(broker, broker_partition_index(broker, p->topic, p->partition), 0);
    }
    /* the follower's HW: the leader's, bounded by its own LEO (not monotonic) */
    p->hw = got->high_watermark < p->log.end_offset ? got->high_watermark : p->log.end_offset;
    if (p->hw < p->log.start_offset) p->hw = p->log.start_offset;
}

void kafka_fetcher_on_response(kafka_broker *broker, const kafka_msg *response, uint32_t source)
{
    uint32_t leader = kafka_broker_index(broker->cluster, source);
    kafka_fetcher *fetcher = &broker->fetchers[leader];
    if (!fetcher->in_flight || fetcher->correlation_id != response->correlation_id) return;
    fetcher->in_flight = false;
    uint32_t served = 0;
    for (uint32_t i = 0; i < response->part_count; i++) {
        follower_apply(broker, leader, response, &response->parts[i]);
        served += response->parts[i].error == KAFKA_OK;
    }
    if (served == 0 && response->part_count > 0) /* every partition failed: back off */
        kafka_fetcher_back_off(broker, leader);
    else
        kafka_fetcher_send(broker, leader); /* the next fetch goes out at once */
}
