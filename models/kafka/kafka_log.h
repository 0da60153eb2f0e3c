/* kafka_log.h — one partition's append-only log (K1) on a host's disk model.
 *
 * Records are kept as two parallel arrays (message id, key): 12 bytes a message, so a
 * backlog of 10M messages costs ~120 MB. Batches remember their byte range in the
 * partition's disk file and their append time; recovery after a power loss cuts the log
 * at the last batch that is entirely durable (K5). With a single replica the high
 * watermark is the log end offset. */
#ifndef BL_KAFKA_LOG_H
#define BL_KAFKA_LOG_H

#include <stdint.h>

#include "../../engine/disk.h"

typedef struct kafka_log_batch {
    int64_t base_offset;
    uint32_t count;
    uint64_t end_bytes;    /* file offset just after this batch */
    int64_t append_us;
} kafka_log_batch;

typedef struct kafka_log {
    disk_file *file;
    int64_t start_offset;      /* log start (retention moves it) */
    int64_t end_offset;        /* LEO: next offset to assign */
    uint64_t *msg_ids;         /* index = offset - array_base */
    int32_t *keys;
    int64_t array_base;        /* offset of msg_ids[0] */
    uint64_t capacity;         /* entries allocated */
    kafka_log_batch *batches;  /* batches[batch_head ..] are live */
    uint64_t batch_head, batch_count, batch_capacity;
} kafka_log;

void kafka_log_init(kafka_log *log, disk *d);
void kafka_log_free(kafka_log *log);
/* Appends a batch; returns its base offset, or -1 if the disk refused it. */
int64_t kafka_log_append(kafka_log *log, disk *d, const uint64_t *msg_ids, const int32_t *keys,
                         uint32_t count, uint64_t size_bytes, int64_t now_us);
/* After a power loss: cut to the durable prefix made of whole batches. */
void kafka_log_recover(kafka_log *log, disk *d);
/* Retention: drop whole batches appended before cutoff_us, or while the log exceeds
 * max_bytes (0 = no byte limit). Only durable batches are deleted. */
void kafka_log_retain(kafka_log *log, disk *d, int64_t cutoff_us, uint64_t max_bytes);
uint64_t kafka_log_msg(const kafka_log *log, int64_t offset);
int32_t kafka_log_key(const kafka_log *log, int64_t offset);

#endif
