/* kafka_proto.c — message allocation, wire sizes, leaders, coordinators, partitioner. */
#include "kafka_proto.h"

#include <stdlib.h>

#include "../engine/bl_assert.h"

kafka_msg *kafka_msg_new(kafka_api api, uint32_t part_count)
{
    kafka_msg *msg = calloc(1, sizeof *msg);
    BL_ASSERT(msg != NULL);
    msg->api = api;
    msg->part_count = part_count;
    if (part_count > 0) {
        msg->parts = calloc(part_count, sizeof *msg->parts);
        BL_ASSERT(msg->parts != NULL);
    }
    return msg;
}

void kafka_msg_free(void *payload)
{
    kafka_msg *msg = payload;
    for (uint32_t i = 0; i < msg->part_count; i++) {
        free(msg->parts[i].msg_ids);
        free(msg->parts[i].keys);
    }
    free(msg->parts);
    free(msg);
}

void kafka_free_packet(uint32_t kind, void *data)
{
    BL_ASSERTF(kind == SIM_EVENT_PACKET, "a client event of kind %u carries data", kind);
    kafka_msg_free(data);
}

uint32_t kafka_msg_size_bytes(const kafka_msg *msg)
{
    uint64_t size = KAFKA_REQUEST_OVERHEAD_BYTES;
    for (uint32_t i = 0; i < msg->part_count; i++) {
        const kafka_part *part = &msg->parts[i];
        size += 16;
        if (part->count > 0)
            size += KAFKA_BATCH_OVERHEAD_BYTES +
                    (uint64_t)part->count * (part->record_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES);
    }
    BL_ASSERT(size <= UINT32_MAX);
    return (uint32_t)size;
}

uint32_t kafka_leader_of(const kafka_cluster *cluster, uint32_t topic, uint32_t partition)
{
    BL_ASSERT(cluster->broker_count > 0);
    return (topic + partition) % cluster->broker_count;
}

uint32_t kafka_coordinator_of(const kafka_cluster *cluster, uint32_t group)
{
    /* Kafka: the leader of __consumer_offsets partition hash(group.id) mod 50. Here the
     * group's index in the scenario stands for its hash, spread over the brokers. */
    return (group * 7 + 1) % cluster->broker_count;
}

/* murmur2 as in Kafka's Utils.murmur2, over the key's 8 little-endian bytes. */
static uint32_t murmur2(const uint8_t *data, uint32_t length)
{
    const uint32_t m = 0x5bd1e995;
    uint32_t h = 0x9747b28c ^ length;
    uint32_t i = 0;
    for (; i + 4 <= length; i += 4) {
        uint32_t k = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 | (uint32_t)data[i + 2] << 16 |
                     (uint32_t)data[i + 3] << 24;
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

uint32_t kafka_partition_for_key(int64_t key, uint32_t partition_count)
{
    BL_ASSERT(key >= 0 && partition_count > 0);
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)((uint64_t)key >> (8 * i));
    return (murmur2(bytes, 8) & 0x7fffffff) % partition_count;
}
