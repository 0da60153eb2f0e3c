/* kafka_partitioner.c — the sticky partitioner's rules (see kafka_partitioner.h). */
#include "kafka_partitioner.h"

#include <stddef.h>

#include "../../engine/bl_assert.h"

bool kafka_partitioner_should_switch(uint64_t produced_bytes, uint64_t batch_size_bytes,
                                     bool last_batch_full)
{
    return (produced_bytes >= batch_size_bytes && last_batch_full) ||
           produced_bytes >= 2 * batch_size_bytes;
}

uint32_t kafka_partitioner_next(const uint32_t *partitions, const uint32_t *queue_batches,
                                uint32_t count, uint32_t partition_total, uint32_t draw)
{
    BL_ASSERT(partition_total > 0);
    if (count == 0) return draw % partition_total; /* no leader known: any partition */
    /* updatePartitionLoadStats: equal queues over every partition mean no stats */
    uint32_t max_queue = 0;
    bool all_equal = true;
    for (uint32_t i = 0; i < count; i++) {
        if (queue_batches[i] != queue_batches[0]) all_equal = false;
        if (queue_batches[i] > max_queue) max_queue = queue_batches[i];
    }
    if (all_equal) return partitions[draw % count];
    uint64_t total = 0;
    for (uint32_t i = 0; i < count; i++) total += (uint64_t)max_queue + 1 - queue_batches[i];
    uint64_t weighted = draw % total; /* Kafka searches its cumulative table; a scan here */
    for (uint32_t i = 0; i < count; i++) {
        uint64_t weight = (uint64_t)max_queue + 1 - queue_batches[i];
        if (weighted < weight) return partitions[i];
        weighted -= weight;
    }
    BL_ASSERT(false);
    return partitions[0];
}
