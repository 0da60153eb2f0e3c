/* kafka_test_disk.h — the disk the Kafka unit tests put their logs and offsets on:
 * 100 MB/s, 1 ms fsync, 1 GiB of page cache, Linux's writeback timings. */
#ifndef BL_KAFKA_TEST_DISK_H
#define BL_KAFKA_TEST_DISK_H

#include "../../engine/disk.h"
#include "../../models/kafka/kafka_log.h"
#include "../test_util.h"

/* Kafka's segment defaults (segment.bytes 1 GiB, segment.ms 7 days): a log of one
 * segment in these tests, unless a test rolls its own. */
#define KAFKA_TEST_SEGMENTS \
    ((kafka_segment_policy){.segment_bytes = 1ull << 30, .segment_ms_us = 7 * 86400 * S})

static inline void make_disk(disk *d)
{
    disk_options options = {.write_bandwidth_bytes_per_s = 100000000,
                            .fsync_latency_us = 1000,
                            .page_cache_bytes = 1ULL << 30,
                            .dirty_expire_us = 30 * S,
                            .writeback_interval_us = 5 * S};
    disk_init(d, &options);
}

#endif
