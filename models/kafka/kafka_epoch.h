/* kafka_epoch.h — one replica's leader-epoch cache: which leader epoch began at which
 * offset of its log (storage/.../epoch/LeaderEpochFileCache.java). Leaders add an entry
 * when they take over, followers when they append a batch of a newer epoch; a follower
 * whose log diverged from its leader's finds, through it, where to truncate (KIP-101,
 * KIP-279). Kafka writes and fsyncs the checkpoint at every assign, so the cache survives
 * a power loss; log recovery then cuts it back to the recovered log end. */
#ifndef BL_KAFKA_EPOCH_H
#define BL_KAFKA_EPOCH_H

#include <stdbool.h>
#include <stdint.h>

/* The most entries one cache holds: one per leader change of the partition that reached
 * this replica's log. Faults are scripted (at most SCN_FAULTS_MAX) or drawn; each moves a
 * partition's leadership a bounded number of times, far below this. */
#define KAFKA_EPOCHS_MAX (1u << 20)
#define KAFKA_EPOCH_NONE (-1)

typedef struct kafka_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
} kafka_epoch_entry;

typedef struct kafka_epoch_cache {
    kafka_epoch_entry *entries; /* epochs and start offsets strictly increasing */
    uint32_t count, capacity;
} kafka_epoch_cache;

/* The result of endOffsetFor: epoch and end offset, both KAFKA_EPOCH_NONE / -1 when
 * undefined. */
typedef struct kafka_epoch_end {
    int32_t epoch;
    int64_t end_offset;
} kafka_epoch_end;

void kafka_epoch_free(kafka_epoch_cache *cache);
/* The newest epoch, or KAFKA_EPOCH_NONE. */
int32_t kafka_epoch_latest(const kafka_epoch_cache *cache);
/* LeaderEpochFileCache.assign: records that `epoch` starts at `offset`, unless it is the
 * latest already with an earlier start; drops entries with an epoch >= it or a start >=
 * offset first. */
void kafka_epoch_assign(kafka_epoch_cache *cache, int32_t epoch, int64_t offset);
/* truncateFromEnd: drops entries that start at or after `end_offset`. */
void kafka_epoch_truncate_from_end(kafka_epoch_cache *cache, int64_t end_offset);
/* endOffsetFor(epoch, logEndOffset): where `epoch` ended in this log. */
kafka_epoch_end kafka_epoch_end_offset_for(const kafka_epoch_cache *cache, int32_t epoch,
                                           int64_t log_end_offset);
/* The epoch of the record at `offset` and the offset where that epoch's run ends (the
 * next entry's start, or log_end_offset); epoch KAFKA_EPOCH_NONE before the first. */
kafka_epoch_end kafka_epoch_run_at(const kafka_epoch_cache *cache, int64_t offset,
                                   int64_t log_end_offset);

#endif
