/* disk.h — a host's storage: page cache in front of a disk, fsync, writeback, capacity.
 *
 * A write (append) lands in the page cache and is durable only once written back: by an
 * fsync the model asks for (K4 flush policy), or by the OS flusher, which every
 * writeback_interval writes back, whole, each file that became dirty longer than
 * dirty_expire ago (the inode's dirtied_when; Linux defaults 5 s and 30 s), and early,
 * oldest data first, when dirty data exceeds 10% of the page cache. Power loss drops
 * everything not yet durable (each file is cut back to its durable size); kill -9 keeps
 * the page cache. Files only grow at the end and shrink at the front (retention), like
 * log segments. */
#ifndef BL_DISK_H
#define BL_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"

#define DISK_FILES_MAX        4096
/* The most dirty chunks one file holds. A chunk is one append instant (appends in the
 * same microsecond merge), and the flusher forgets chunks once they are dirty_expire old,
 * checking every writeback_interval: a file holds the append instants of about
 * dirty_expire + writeback_interval (35 s at the Linux defaults; a little longer while a
 * restarted broker's flusher waits for its first interval). The scenarios here and the
 * benchmark's reference run stay below 16,384 chunks per file. The scenario format lets
 * dirty data stay 30 days (os.dirty_expire, os.writeback_interval) in a page cache of up
 * to 1024 TiB, so no smaller bound follows from a valid scenario: the bound is the ring's
 * index limit (2^31, 32 GiB of chunks), and memory runs out first. */
#define DISK_DIRTY_CHUNKS_MAX (1u << 31)

typedef struct disk_chunk {
    uint64_t end_bytes; /* file size after this append */
    int64_t written_us; /* when it entered the page cache */
} disk_chunk;

typedef struct disk_file {
    uint64_t start_bytes;   /* bytes deleted from the front (retention) */
    uint64_t size_bytes;    /* end of the file, page cache included */
    uint64_t durable_bytes; /* end of what is on the disk */
    bl_ring dirty;          /* disk_chunks of appends not yet durable, oldest first */
} disk_file;

/* A host's disk and page cache. */
typedef struct disk_options {
    uint64_t write_bandwidth_bytes_per_s; /* the device's sequential write rate, > 0 */
    int64_t fsync_latency_us;             /* one fsync's fixed cost, >= 0 */
    uint64_t capacity_bytes;              /* 0 = unlimited */
    uint64_t page_cache_bytes;            /* > 0; dirty data beyond 10% of it is written
                                             back early */
    int64_t dirty_expire_us;              /* vm.dirty_expire_centisecs, > 0 */
    int64_t writeback_interval_us;        /* vm.dirty_writeback_centisecs, > 0 */
} disk_options;

typedef struct disk {
    disk_options options;
    uint64_t used_bytes;           /* live file bytes, against capacity */
    uint64_t dirty_bytes;          /* in the page cache, not yet durable */
    bool full;                     /* disk_full fault */
    uint32_t slow_factor;          /* slow_disk fault: 1 = normal */
    uint64_t fsyncs_slowed;        /* fsyncs started while slow_factor > 1 (fault effects) */
    uint64_t appends_refused_full; /* appends refused because of a disk_full fault */
    int64_t busy_until_us;         /* the device serialises fsyncs */
    disk_file *files[DISK_FILES_MAX];
    uint32_t file_count;
} disk;

void disk_init(disk *d, const disk_options *options);
void disk_free(disk *d);
disk_file *disk_open(disk *d);

/* Appends size_bytes at now. Returns false (nothing written) if the disk is full. */
bool disk_append(disk *d, disk_file *file, uint64_t size_bytes, int64_t now_us);
/* Starts an fsync of everything appended so far; returns when it completes. The caller
 * calls disk_fsync_done(file, size_at_start) then (a power loss before that loses it). */
/* The device's sequential rate now (write_bandwidth, divided by a slow_disk factor), at
 * least 1 byte/s. Reads go at it too: the model has one figure per device. */
uint64_t disk_bandwidth_bytes_per_s(const disk *d);
int64_t disk_fsync_start(disk *d, disk_file *file, int64_t now_us);
void disk_fsync_done(disk *d, disk_file *file, uint64_t upto_bytes);
/* The OS flusher; call every os.writeback_interval. */
void disk_writeback(disk *d, int64_t now_us);
/* Power loss: every file is cut to its durable size. */
void disk_power_loss(disk *d);
/* Retention: drop bytes at the front of a file. */
void disk_release_front(disk *d, disk_file *file, uint64_t new_start_bytes);
/* Truncates the end of a file, durable or still in the page cache: log recovery after a
 * power loss cuts back to the last whole batch, and a follower cuts back to where its
 * leader's log ends. */
void disk_truncate(disk *d, disk_file *file, uint64_t new_size_bytes);

#endif
