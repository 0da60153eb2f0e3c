/* kafka_partitioner.h — where a producer puts records without a key: Kafka's
 * BuiltInPartitioner (clients/.../producer/internals/BuiltInPartitioner.java, KIP-480
 * then KIP-794 in 3.3). Records stick to one partition until batch.size bytes went to
 * it and its last batch is full, or 2 x batch.size went to it; the next partition is
 * drawn at random, weighted to favour short queues (partitioner.adaptive.partitioning
 * .enable, the default): weight maxQueue + 1 - queue, in batches, over the partitions
 * with a known leader; uniform when every queue is as long. */
#ifndef BL_KAFKA_PARTITIONER_H
#define BL_KAFKA_PARTITIONER_H

#include <stdbool.h>
#include <stdint.h>

/* updatePartitionInfo's test after an append: switch to another partition now. */
bool kafka_partitioner_should_switch(uint64_t produced_bytes, uint64_t batch_size_bytes,
                                     bool last_batch_full);
/* nextPartition: the partition a uniform draw `draw` (0 <= draw < 2^31) picks among the
 * `count` candidates `partitions` whose queues hold `queue_batches` batches each (the
 * load stats), or among all `partition_total` if there is no candidate. */
uint32_t kafka_partitioner_next(const uint32_t *partitions, const uint32_t *queue_batches,
                                uint32_t count, uint32_t partition_total, uint32_t draw);

#endif
