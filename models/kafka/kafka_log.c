/* kafka_log.c — partition log storage, recovery and retention (see kafka_log.h). */
#include "kafka_log.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/vec.h"

void kafka_log_init(kafka_log *log, disk *d, kafka_segment_policy policy)
{
    BL_ASSERT(policy.segment_bytes > 0 && policy.segment_ms_us > 0);
    memset(log, 0, sizeof *log);
    log->policy = policy;
    BL_RING_INIT(&log->segments, kafka_log_segment, KAFKA_LOG_SEGMENTS_MAX,
                 "segments of a partition log");
    log->file = disk_open(d);
    kafka_producer_state_init(&log->producers);
    BL_RING_INIT(&log->batches, kafka_log_batch, KAFKA_LOG_BATCHES_MAX,
                 "batches of a partition log");
}

void kafka_log_free(kafka_log *log)
{
    free(log->msg_ids);
    free(log->keys);
    bl_ring_free(&log->batches);
    bl_ring_free(&log->segments);
    kafka_producer_state_free(&log->producers);
    memset(log, 0, sizeof *log);
}

/* Makes room for `extra` more records, compacting away the retained-out front first. */
static void reserve_records(kafka_log *log, uint32_t extra)
{
    uint64_t used = (uint64_t)(log->end_offset - log->array_base);
    if (used + extra <= log->capacity) return;
    uint64_t dead = (uint64_t)(log->start_offset - log->array_base);
    if (dead > 0 && dead >= used / 2) {
        memmove(log->msg_ids, log->msg_ids + dead, (used - dead) * sizeof *log->msg_ids);
        memmove(log->keys, log->keys + dead, (used - dead) * sizeof *log->keys);
        log->array_base = log->start_offset;
        used -= dead;
        if (used + extra <= log->capacity) return;
    }
    uint32_t keys_capacity = log->capacity;
    BL_GROW(log->msg_ids, log->capacity, used + extra, KAFKA_LOG_RECORDS_MAX,
            "records of a partition log");
    BL_GROW(log->keys, keys_capacity, used + extra, KAFKA_LOG_RECORDS_MAX,
            "records of a partition log");
    BL_ASSERT(keys_capacity == log->capacity);
}

/* UnifiedLog.maybeRoll before a batch of batch_bytes starting at start_bytes in the file
 * at now_us: a new active segment when there is none, or when the active one would pass
 * segment.bytes with it or is older than segment.ms (LogSegment.shouldRoll, no roll
 * jitter; an empty segment never rolls). */
static void maybe_roll(kafka_log *log, uint64_t start_bytes, uint64_t batch_bytes, int64_t now_us)
{
    bl_ring *segments = &log->segments;
    if (bl_ring_count(segments) > 0) {
        const kafka_log_segment *active = BL_RING_BACK(segments, kafka_log_segment);
        if (active->base_offset == log->end_offset) return; /* empty */
        uint64_t size_bytes = start_bytes - active->start_bytes;
        bool full = batch_bytes > log->policy.segment_bytes ||
                    size_bytes > log->policy.segment_bytes - batch_bytes;
        bool old = now_us - active->first_append_us > log->policy.segment_ms_us;
        if (!full && !old) return;
        log->rolled = true;
    }
    *BL_RING_PUSH_BACK(segments, kafka_log_segment) =
        (kafka_log_segment){.base_offset = log->end_offset,
                            .start_bytes = start_bytes,
                            .first_append_us = now_us,
                            .last_append_us = now_us};
}

/* The records of a write the disk took, ending at end_bytes: copied into the arrays; each
 * batch pushed with its end in the file and its stamp into the producer state. */
static int64_t add_records(kafka_log *log, const uint64_t *msg_ids, const int32_t *keys,
                           uint32_t count, uint64_t end_bytes, kafka_producer_stamp stamp,
                           int64_t now_us)
{
    reserve_records(log, count);
    uint64_t index = (uint64_t)(log->end_offset - log->array_base);
    memcpy(log->msg_ids + index, msg_ids, count * sizeof *msg_ids);
    memcpy(log->keys + index, keys, count * sizeof *keys);
    int64_t base = log->end_offset;
    log->end_offset += count;
    *BL_RING_PUSH_BACK(&log->batches, kafka_log_batch) = (kafka_log_batch){
        .base_offset = base, .count = count, .end_bytes = end_bytes, .stamp = stamp};
    BL_RING_BACK(&log->segments, kafka_log_segment)->last_append_us = now_us;
    kafka_producer_state_update(&log->producers, stamp, count, base);
    BL_ASSERT(log->end_offset - log->array_base <= (int64_t)log->capacity);
    return base;
}

int64_t kafka_log_append_run(kafka_log *log, disk *d, const uint64_t *msg_ids, const int32_t *keys,
                             const kafka_batch_header *headers, uint32_t header_count,
                             uint64_t batch_overhead_bytes, uint64_t record_bytes, int64_t now_us)
{
    BL_ASSERT(header_count > 0);
    uint64_t total_bytes = 0;
    for (uint32_t i = 0; i < header_count; i++) {
        BL_ASSERT(headers[i].count > 0);
        total_bytes += batch_overhead_bytes + headers[i].count * record_bytes;
    }
    uint64_t end_bytes = log->file->size_bytes;
    if (!disk_append(d, log->file, total_bytes, now_us)) return -1;
    int64_t base = log->end_offset;
    uint32_t done = 0;
    for (uint32_t i = 0; i < header_count; i++) {
        uint64_t batch_bytes = batch_overhead_bytes + headers[i].count * record_bytes;
        maybe_roll(log, end_bytes, batch_bytes, now_us);
        end_bytes += batch_bytes;
        add_records(log, msg_ids + done, keys + done, headers[i].count, end_bytes, headers[i].stamp,
                    now_us);
        done += headers[i].count;
    }
    BL_ASSERT(end_bytes == log->file->size_bytes);
    return base;
}

int64_t kafka_log_append(kafka_log *log, disk *d, const uint64_t *msg_ids, const int32_t *keys,
                         uint32_t count, uint64_t size_bytes, kafka_producer_stamp stamp,
                         int64_t now_us)
{
    const kafka_batch_header header = {.count = count, .stamp = stamp};
    return kafka_log_append_run(log, d, msg_ids, keys, &header, 1, size_bytes, 0, now_us);
}

uint32_t kafka_log_batch_at(const kafka_log *log, int64_t offset)
{
    BL_ASSERTF(offset >= log->start_offset && offset < log->end_offset,
               "batch of offset %lld outside [%lld, %lld)", (long long)offset,
               (long long)log->start_offset, (long long)log->end_offset);
    const bl_ring *batches = &log->batches;
    /* The last batch with base <= offset. Fetches read near the end (a follower asks from
     * its LEO), so the search gallops back from the last batch before it bisects. */
    uint32_t count = bl_ring_count(batches), low = 0, high = count, step = 1;
    while (step < count) {
        uint32_t probe = count - step;
        if (BL_RING_AT(batches, kafka_log_batch, probe)->base_offset <= offset) {
            low = probe;
            break;
        }
        high = probe;
        step *= 2;
    }
    while (high - low > 1) {
        uint32_t mid = low + (high - low) / 2;
        if (BL_RING_AT(batches, kafka_log_batch, mid)->base_offset <= offset)
            low = mid;
        else
            high = mid;
    }
    const kafka_log_batch *found = BL_RING_AT(batches, kafka_log_batch, low);
    BL_ASSERT(found->base_offset <= offset && offset < found->base_offset + found->count);
    return low;
}

/* ProducerStateManager.truncateAndReload: the state of the batches left. */
static void rebuild_producer_state(kafka_log *log)
{
    kafka_producer_state_clear(&log->producers);
    const bl_ring *batches = &log->batches;
    for (uint32_t i = 0; i < bl_ring_count(batches); i++) {
        const kafka_log_batch *batch = BL_RING_AT(batches, kafka_log_batch, i);
        kafka_producer_state_update(&log->producers, batch->stamp, batch->count,
                                    batch->base_offset);
    }
}

/* After batches were dropped from the end (`dropped` of them): the file ends where the
 * last one left does, and the producer state is that of the batches left. */
static void cut_file_to_batches(kafka_log *log, disk *d, uint32_t dropped)
{
    const bl_ring *batches = &log->batches;
    uint64_t end_bytes = bl_ring_count(batches) > 0
                             ? BL_RING_BACK(batches, kafka_log_batch)->end_bytes
                             : log->file->start_bytes;
    if (end_bytes < log->file->size_bytes) disk_truncate(d, log->file, end_bytes);
    if (log->end_offset < log->start_offset) log->start_offset = log->end_offset;
    /* segments left empty go (UnifiedLog.truncateTo deletes those above the cut) */
    bl_ring *segments = &log->segments;
    while (bl_ring_count(segments) > 0 &&
           BL_RING_BACK(segments, kafka_log_segment)->base_offset >= log->end_offset)
        bl_ring_pop_back(segments);
    BL_ASSERT(log->end_offset >= log->start_offset);
    if (dropped > 0) rebuild_producer_state(log);
}

void kafka_log_recover(kafka_log *log, disk *d)
{
    uint64_t durable = log->file->size_bytes; /* after disk_power_loss: the durable end */
    bl_ring *batches = &log->batches;
    uint32_t dropped = 0;
    while (bl_ring_count(batches) > 0) {
        const kafka_log_batch *last = BL_RING_BACK(batches, kafka_log_batch);
        if (last->end_bytes <= durable) break;
        log->end_offset = last->base_offset;
        bl_ring_pop_back(batches);
        dropped++;
    }
    cut_file_to_batches(log, d, dropped);
}

void kafka_log_retain(kafka_log *log, disk *d, int64_t cutoff_us, uint64_t max_bytes, int64_t hw)
{
    bl_ring *batches = &log->batches;
    bl_ring *segments = &log->segments;
    uint64_t deleted_to_bytes = log->file->start_bytes;
    while (bl_ring_count(segments) > 1) { /* the active (last) segment is never deleted */
        const kafka_log_segment *front = BL_RING_FRONT(segments, kafka_log_segment);
        const kafka_log_segment *next = BL_RING_AT(segments, kafka_log_segment, 1);
        /* deleteRetentionMsBreachedSegments: by its largest timestamp (here its newest
         * batch's append time); deleteRetentionSizeBreachedSegments: while the log
         * without it still holds retention.bytes */
        bool too_old = front->last_append_us < cutoff_us;
        bool too_big = max_bytes > 0 && log->file->size_bytes - next->start_bytes >= max_bytes;
        bool below_hw = next->base_offset <= hw; /* deletableSegments: upper bound the HW */
        if (!(too_old || too_big) || !below_hw || next->start_bytes > log->file->durable_bytes)
            break;
        while (BL_RING_FRONT(batches, kafka_log_batch)->base_offset < next->base_offset)
            bl_ring_pop_front(batches);
        log->start_offset = next->base_offset;
        deleted_to_bytes = next->start_bytes;
        bl_ring_pop_front(segments);
    }
    if (deleted_to_bytes != log->file->start_bytes)
        disk_release_front(d, log->file, deleted_to_bytes);
}

int64_t kafka_log_truncate(kafka_log *log, disk *d, int64_t offset)
{
    BL_ASSERT(offset >= 0);
    bl_ring *batches = &log->batches;
    uint32_t dropped = 0;
    while (bl_ring_count(batches) > 0) {
        const kafka_log_batch *last = BL_RING_BACK(batches, kafka_log_batch);
        if (last->base_offset + last->count <= offset) break;
        log->end_offset = last->base_offset;
        bl_ring_pop_back(batches);
        dropped++;
    }
    cut_file_to_batches(log, d, dropped);
    BL_ASSERT(log->end_offset <= offset || bl_ring_count(batches) == 0);
    return log->end_offset;
}

void kafka_log_reset_at(kafka_log *log, disk *d, int64_t offset)
{
    BL_ASSERT(offset >= 0);
    kafka_log_truncate(log, d, 0);
    BL_ASSERT(bl_ring_count(&log->batches) == 0);
    log->start_offset = log->end_offset = log->array_base = offset;
}

uint64_t kafka_log_msg(const kafka_log *log, int64_t offset)
{
    BL_ASSERTF(offset >= log->start_offset && offset < log->end_offset,
               "read of offset %lld outside [%lld, %lld)", (long long)offset,
               (long long)log->start_offset, (long long)log->end_offset);
    return log->msg_ids[offset - log->array_base];
}

int32_t kafka_log_key(const kafka_log *log, int64_t offset)
{
    BL_ASSERT(offset >= log->start_offset && offset < log->end_offset);
    return log->keys[offset - log->array_base];
}

uint64_t kafka_log_recovery_bytes(const kafka_log *log, int64_t recovery_point)
{
    uint32_t count = bl_ring_count(&log->segments);
    if (count == 0) return 0;
    /* LogSegments.values(recoveryPoint, MAX): from the segment holding it (floor) */
    uint32_t from = 0;
    for (uint32_t i = 0; i < count; i++)
        if (BL_RING_AT(&log->segments, kafka_log_segment, i)->base_offset <= recovery_point)
            from = i;
    uint64_t start_bytes = BL_RING_AT(&log->segments, kafka_log_segment, from)->start_bytes;
    BL_ASSERT(log->file->size_bytes >= start_bytes);
    return log->file->size_bytes - start_bytes;
}
