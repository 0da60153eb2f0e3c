/* kafka_log.h — one partition's append-only log (K1) on a host's disk model.
 *
 * Records are kept as two parallel arrays (message id, key): 12 bytes a message, so a
 * backlog of 10M messages costs ~120 MB. Batches remember their byte range in the
 * partition's disk file and their producer stamp, segments their first and newest
 * append times; recovery after a power loss cuts the log at the last batch that is
 * entirely durable (K5). With a single replica the high
 * watermark is the log end offset. */
#ifndef BL_KAFKA_LOG_H
#define BL_KAFKA_LOG_H

#include <stdint.h>

#include "../../engine/disk.h"
#include "../../engine/ring.h"
#include "kafka_producer_state.h"

/* The most records one partition's arrays hold: those it retains (retention deletes
 * whole segments whose newest batch is more than `retention` old, 7 days by default, or
 * beyond retention_bytes, once durable and below the HW) and the deleted ones ahead of them not compacted away
 * yet. The arrays grow only while the deleted ones are fewer than the retained ones, so
 * they need at most twice the retained records plus one batch. The benchmark's reference
 * run retains 534,000 records in a partition (arrays of 2^20) and its 10x variant 63M
 * over its 12 partitions. Retention may be unlimited or 3650 days, so no smaller bound
 * follows from a valid scenario: the bound is the arrays' index limit (2^31 entries, 24
 * GiB), and memory runs out first. */
#define KAFKA_LOG_RECORDS_MAX (1u << 31)
/* The most batches one log holds: every live batch has at least one of the live records
 * (KAFKA_LOG_RECORDS_MAX), so this bound follows from theirs. The benchmark's reference
 * run holds 244,000 batches in a partition. */
#define KAFKA_LOG_BATCHES_MAX KAFKA_LOG_RECORDS_MAX

typedef struct kafka_log_batch {
    int64_t base_offset;
    uint64_t end_bytes;         /* file offset just after this batch */
    kafka_producer_stamp stamp; /* its producer id, epoch and base sequence (or none) */
    uint32_t count;
} kafka_log_batch;
/* 32 bytes a batch: the stamp's 12 and the count's 4 share the last two words; the
 * append time retention needs is kept per segment (its newest batch's) */
_Static_assert(sizeof(kafka_log_batch) == 32, "a log batch stays at 32 bytes");

/* A segment: the batches from base_offset up to the next segment's base (LogSegment). */
typedef struct kafka_log_segment {
    int64_t base_offset;
    uint64_t start_bytes;    /* where it starts in the partition's file */
    int64_t first_append_us; /* its first batch's time: segment.ms counts from it */
    int64_t last_append_us;  /* its newest batch's (LogSegment.maxTimestampSoFar; a
                                truncation leaves it as it was) */
} kafka_log_segment;
/* The most segments one log holds: each has a batch at least. */
#define KAFKA_LOG_SEGMENTS_MAX KAFKA_LOG_BATCHES_MAX

/* When the active segment rolls (LogSegment.shouldRoll): past segment_bytes with the
 * next batch, or older than segment_ms (segment.bytes 1 GiB, segment.ms 7 days). */
typedef struct kafka_segment_policy {
    uint64_t segment_bytes;
    int64_t segment_ms_us;
} kafka_segment_policy;

/* One batch of a run appended in one write (kafka_log_append_run): its record count and
 * producer stamp. */
typedef struct kafka_batch_header {
    uint32_t count;
    kafka_producer_stamp stamp;
} kafka_batch_header;

typedef struct kafka_log {
    disk_file *file;
    int64_t start_offset; /* log start (retention moves it) */
    int64_t end_offset;   /* LEO: next offset to assign */
    /* Records [array_base, end_offset) by offset, those before start_offset deleted:
     * msg_ids[offset - array_base] and keys[...], capacity entries each, at most
     * KAFKA_LOG_RECORDS_MAX. Not a ring: appends and fetches (kafka_broker.c) copy runs of
     * records with memcpy. */
    uint64_t *msg_ids;
    int32_t *keys;
    int64_t array_base;             /* offset of msg_ids[0] */
    uint32_t capacity;              /* entries allocated in each array */
    bl_ring batches;                /* kafka_log_batch of the live records, oldest first; at most
                                  KAFKA_LOG_BATCHES_MAX */
    kafka_producer_state producers; /* derived from the batches' stamps (ProducerStateManager):
                                       truncation and recovery rebuild it */
    bl_ring segments;               /* kafka_log_segment, oldest first, the last active; at most
                                       KAFKA_LOG_SEGMENTS_MAX */
    kafka_segment_policy policy;    /* the topic's segment.bytes and segment.ms */
    bool rolled; /* an append rolled a segment: its predecessor is due a flush (the owner
                    clears it, UnifiedLog.roll's flushUptoOffsetExclusive) */
} kafka_log;

/* An empty log whose segments roll by `policy`. */
void kafka_log_init(kafka_log *log, disk *d, kafka_segment_policy policy);
void kafka_log_free(kafka_log *log);
/* Appends a batch with its producer stamp (KAFKA_NO_STAMP: none) and updates the
 * producer state; returns its base offset, or -1 if the disk refused it. */
int64_t kafka_log_append(kafka_log *log, disk *d, const uint64_t *msg_ids, const int32_t *keys,
                         uint32_t count, uint64_t size_bytes, kafka_producer_stamp stamp,
                         int64_t now_us);
/* Appends a run of batches in one write, as a follower appends what one fetch brought
 * (UnifiedLog.appendAsFollower: the leader's batches, headers and all): batch i holds
 * headers[i].count records and weighs batch_overhead_bytes + count * record_bytes.
 * Returns the run's base offset, or -1 if the disk refused it (nothing appended). */
int64_t kafka_log_append_run(kafka_log *log, disk *d, const uint64_t *msg_ids, const int32_t *keys,
                             const kafka_batch_header *headers, uint32_t header_count,
                             uint64_t batch_overhead_bytes, uint64_t record_bytes, int64_t now_us);
/* The ring index of the batch holding `offset` (start_offset <= offset < end_offset). */
uint32_t kafka_log_batch_at(const kafka_log *log, int64_t offset);
/* After a power loss: cut to the durable prefix made of whole batches. */
void kafka_log_recover(kafka_log *log, disk *d);
/* What a restart after an unclean shutdown re-reads (LogLoader.recoverLog): every
 * segment from the one holding recovery_point to the log end, in bytes. */
uint64_t kafka_log_recovery_bytes(const kafka_log *log, int64_t recovery_point);
/* Retention deletes whole segments, never the active one, and only those below the high
 * watermark `hw` (UnifiedLog.deleteOldSegments): a segment whose newest batch was
 * appended before cutoff_us (retention.ms), or while the log without it still holds
 * max_bytes (retention.bytes, 0 = no byte limit). Only durable segments are deleted. */
void kafka_log_retain(kafka_log *log, disk *d, int64_t cutoff_us, uint64_t max_bytes, int64_t hw);
/* UnifiedLog.truncateTo: drops the records at and above `offset`, at batch granularity
 * as a segment is cut (a batch holding `offset` goes whole); returns the new LEO. */
int64_t kafka_log_truncate(kafka_log *log, disk *d, int64_t offset);
/* UnifiedLog.truncateFullyAndStartAt: drops every record; the log restarts empty at
 * `offset` (a follower that fell below its leader's log start). */
void kafka_log_reset_at(kafka_log *log, disk *d, int64_t offset);
uint64_t kafka_log_msg(const kafka_log *log, int64_t offset);
int32_t kafka_log_key(const kafka_log *log, int64_t offset);

#endif
