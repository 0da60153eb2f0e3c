/* kafka_proto.c — message allocation (a pool), wire sizes, leaders, coordinators,
 * partitioner. */
#include "kafka_proto.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/vec.h"

/* Freed messages, reused last-in first-out. Reuse never changes behaviour: nothing in
 * the models depends on an address. */
static struct {
    kafka_msg *free[KAFKA_MSG_POOL_MAX];
    uint32_t count;
} g_msg_pool;

kafka_msg *kafka_msg_new(kafka_api api, uint32_t part_count)
{
    kafka_msg *msg =
        g_msg_pool.count > 0 ? g_msg_pool.free[--g_msg_pool.count] : calloc(1, sizeof *msg);
    BL_ASSERT(msg != NULL);
    kafka_msg storage = *msg;
    memset(msg, 0, sizeof *msg);
    msg->parts = storage.parts;
    msg->part_capacity = storage.part_capacity;
    msg->record_ids = storage.record_ids;
    msg->record_keys = storage.record_keys;
    msg->records_capacity = storage.records_capacity;
    msg->batch_store = storage.batch_store;
    msg->batches_capacity = storage.batches_capacity;
    msg->api = api;
    kafka_msg_set_part_count(msg, part_count);
    return msg;
}

void kafka_msg_set_part_count(kafka_msg *msg, uint32_t part_count)
{
    BL_ASSERT(msg->records_used == 0); /* before any part got records */
    msg->part_count = part_count;
    if (part_count > msg->part_capacity) {
        free(msg->parts);
        msg->parts = malloc(part_count * sizeof *msg->parts);
        BL_ASSERT(msg->parts != NULL);
        msg->part_capacity = part_count;
    }
    if (part_count > 0) memset(msg->parts, 0, part_count * sizeof *msg->parts);
}

void kafka_part_records(kafka_msg *msg, uint32_t part_index, uint32_t count)
{
    BL_ASSERT(part_index < msg->part_count && count > 0);
    BL_ASSERT(msg->parts[part_index].msg_ids == NULL); /* once per part */
    uint64_t needed = (uint64_t)msg->records_used + count;
    if (needed > msg->records_capacity) {
        uint32_t keys_capacity = msg->records_capacity;
        BL_GROW(msg->record_ids, msg->records_capacity, needed, KAFKA_MSG_RECORDS_MAX,
                "record store of a Kafka message");
        BL_GROW(msg->record_keys, keys_capacity, needed, KAFKA_MSG_RECORDS_MAX,
                "record store of a Kafka message");
        BL_ASSERT(keys_capacity == msg->records_capacity);
        for (uint32_t i = 0; i < msg->part_count; i++) { /* the store moved */
            kafka_part *part = &msg->parts[i];
            if (part->msg_ids == NULL) continue;
            part->msg_ids = msg->record_ids + part->records_at;
            part->keys = msg->record_keys + part->records_at;
        }
    }
    kafka_part *part = &msg->parts[part_index];
    part->records_at = msg->records_used;
    part->msg_ids = msg->record_ids + msg->records_used;
    part->keys = msg->record_keys + msg->records_used;
    part->count = count;
    msg->records_used += count;
}

void kafka_part_add_batch(kafka_msg *msg, uint32_t part_index, uint32_t count,
                          kafka_producer_stamp stamp)
{
    BL_ASSERT(part_index < msg->part_count && count > 0);
    kafka_part *part = &msg->parts[part_index];
    if (part->batch_count == 0) part->batches_at = msg->batches_used;
    BL_ASSERT(part->batches_at + part->batch_count == msg->batches_used); /* contiguous */
    BL_GROW(msg->batch_store, msg->batches_capacity, (uint64_t)msg->batches_used + 1,
            KAFKA_MSG_RECORDS_MAX, "batch store of a Kafka message");
    msg->batch_store[msg->batches_used++] = (kafka_batch_header){.count = count, .stamp = stamp};
    part->batch_count++;
}

static void msg_release(kafka_msg *msg)
{
    free(msg->batch_store);
    free(msg->parts);
    free(msg->record_ids);
    free(msg->record_keys);
    free(msg);
}

void kafka_msg_free(void *payload)
{
    kafka_msg *msg = payload;
    if (g_msg_pool.count < KAFKA_MSG_POOL_MAX)
        g_msg_pool.free[g_msg_pool.count++] = msg;
    else
        msg_release(msg);
}

void kafka_msg_pool_drain(void)
{
    while (g_msg_pool.count > 0) msg_release(g_msg_pool.free[--g_msg_pool.count]);
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
        if (part->count > 0) /* a batch header per batch */
            size += (uint64_t)(part->batch_count > 0 ? part->batch_count : 1) *
                        KAFKA_BATCH_OVERHEAD_BYTES +
                    (uint64_t)part->count * (part->record_size_bytes + KAFKA_RECORD_OVERHEAD_BYTES);
    }
    BL_ASSERT(size <= UINT32_MAX);
    return (uint32_t)size;
}

uint32_t kafka_broker_index(const kafka_cluster *cluster, uint32_t node_id)
{
    const sim_node *node = sim_node_by_id(node_id);
    BL_ASSERTF(node->role == SIM_ROLE_BROKER, "node %u is not a broker", node_id);
    BL_ASSERT(node->entry < cluster->broker_count && cluster->brokers[node->entry] == node);
    return node->entry;
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
