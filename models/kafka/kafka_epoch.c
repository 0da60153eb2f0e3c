/* kafka_epoch.c — the leader-epoch cache (see kafka_epoch.h), following
 * LeaderEpochFileCache's assign, truncateFromEnd and endOffsetFor. */
#include "kafka_epoch.h"

#include <stdlib.h>

#include "../../engine/bl_assert.h"
#include "../../engine/vec.h"

void kafka_epoch_free(kafka_epoch_cache *cache)
{
    free(cache->entries);
    *cache = (kafka_epoch_cache){0};
}

int32_t kafka_epoch_latest(const kafka_epoch_cache *cache)
{
    return cache->count > 0 ? cache->entries[cache->count - 1].epoch : KAFKA_EPOCH_NONE;
}

static void check_sorted(const kafka_epoch_cache *cache)
{
    for (uint32_t i = 1; i < cache->count; i++)
        BL_ASSERTF(cache->entries[i].epoch > cache->entries[i - 1].epoch &&
                       cache->entries[i].start_offset > cache->entries[i - 1].start_offset,
                   "leader epoch cache out of order at entry %u", i);
}

void kafka_epoch_assign(kafka_epoch_cache *cache, int32_t epoch, int64_t offset)
{
    BL_ASSERT(epoch >= 0 && offset >= 0);
    if (cache->count > 0) {
        const kafka_epoch_entry *last = &cache->entries[cache->count - 1];
        /* isUpdateNeeded: a new epoch, or the latest one starting earlier */
        if (last->epoch == epoch && last->start_offset <= offset) return;
    }
    while (cache->count > 0 && (cache->entries[cache->count - 1].epoch >= epoch ||
                                cache->entries[cache->count - 1].start_offset >= offset))
        cache->count--;
    BL_GROW(cache->entries, cache->capacity, (uint64_t)cache->count + 1, KAFKA_EPOCHS_MAX,
            "leader epoch cache of a replica");
    cache->entries[cache->count++] = (kafka_epoch_entry){.epoch = epoch, .start_offset = offset};
    check_sorted(cache);
}

void kafka_epoch_truncate_from_end(kafka_epoch_cache *cache, int64_t end_offset)
{
    while (cache->count > 0 && cache->entries[cache->count - 1].start_offset >= end_offset)
        cache->count--;
}

kafka_epoch_end kafka_epoch_end_offset_for(const kafka_epoch_cache *cache, int32_t epoch,
                                           int64_t log_end_offset)
{
    kafka_epoch_end undefined = {.epoch = KAFKA_EPOCH_NONE, .end_offset = -1};
    if (epoch == KAFKA_EPOCH_NONE || cache->count == 0) return undefined;
    if (epoch == kafka_epoch_latest(cache))
        return (kafka_epoch_end){.epoch = epoch, .end_offset = log_end_offset};
    /* the first entry with an epoch above the requested one */
    uint32_t higher = 0;
    while (higher < cache->count && cache->entries[higher].epoch <= epoch) higher++;
    if (higher == cache->count) return undefined; /* above the latest */
    int64_t end = cache->entries[higher].start_offset;
    if (higher == 0) return (kafka_epoch_end){.epoch = epoch, .end_offset = end};
    return (kafka_epoch_end){.epoch = cache->entries[higher - 1].epoch, .end_offset = end};
}

kafka_epoch_end kafka_epoch_run_at(const kafka_epoch_cache *cache, int64_t offset,
                                   int64_t log_end_offset)
{
    kafka_epoch_end run = {.epoch = KAFKA_EPOCH_NONE, .end_offset = log_end_offset};
    for (uint32_t i = 0; i < cache->count; i++) {
        if (cache->entries[i].start_offset > offset) {
            run.end_offset = cache->entries[i].start_offset;
            break;
        }
        run.epoch = cache->entries[i].epoch;
    }
    return run;
}
