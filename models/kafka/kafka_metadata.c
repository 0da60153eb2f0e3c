/* kafka_metadata.c — placement and lookups of the cluster metadata (see
 * kafka_metadata.h). */
#include "kafka_metadata.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"

void kafka_metadata_init(kafka_metadata *metadata, const scn_scenario *scenario,
                         const kafka_topic_options *topics)
{
    BL_ASSERT(scenario->cluster.broker_count >= 1 &&
              scenario->cluster.broker_count <= SCN_BROKERS_MAX);
    BL_ASSERT(scenario->topic_count >= 1 && scenario->topic_count <= SCN_TOPICS_MAX);
    memset(metadata, 0, sizeof *metadata);
    metadata->broker_count = scenario->cluster.broker_count;
    metadata->topic_count = scenario->topic_count;
    for (uint32_t t = 0; t < scenario->topic_count; t++) {
        metadata->topic_base[t] = metadata->partition_count;
        metadata->topic_partitions[t] = scenario->topics[t].partition_count;
        metadata->partition_count += scenario->topics[t].partition_count;
    }
    metadata->partitions = calloc(metadata->partition_count, sizeof *metadata->partitions);
    BL_ASSERT(metadata->partitions != NULL);
    for (uint32_t t = 0; t < scenario->topic_count; t++) {
        uint32_t replication_factor = topics[t].replication_factor;
        BL_ASSERTF(replication_factor >= 1 && replication_factor <= KAFKA_REPLICAS_MAX &&
                       replication_factor <= metadata->broker_count,
                   "replication factor %u of topic %u", replication_factor, t);
        for (uint32_t p = 0; p < metadata->topic_partitions[t]; p++) {
            kafka_partition_state *state = &metadata->partitions[metadata->topic_base[t] + p];
            for (uint32_t r = 0; r < replication_factor; r++)
                state->replicas[r] = (uint16_t)((t + p + r) % metadata->broker_count);
            state->replica_count = (uint16_t)replication_factor;
            state->leader = state->replicas[0];
            state->isr_brokers = 1u << state->leader;
        }
    }
    metadata->group_count = scenario->consumer_count;
    for (uint32_t g = 0; g < scenario->consumer_count; g++)
        metadata->coordinators[g] = (uint16_t)((g * 7 + 1) % metadata->broker_count);
}

void kafka_metadata_free(kafka_metadata *metadata)
{
    free(metadata->partitions);
    memset(metadata, 0, sizeof *metadata);
}

const kafka_partition_state *kafka_metadata_partition(const kafka_metadata *metadata,
                                                      uint32_t topic, uint32_t partition)
{
    BL_ASSERTF(topic < metadata->topic_count, "topic %u of %u", topic, metadata->topic_count);
    BL_ASSERTF(partition < metadata->topic_partitions[topic], "partition %u of %u", partition,
               metadata->topic_partitions[topic]);
    return &metadata->partitions[metadata->topic_base[topic] + partition];
}

uint32_t kafka_metadata_leader(const kafka_metadata *metadata, uint32_t topic, uint32_t partition)
{
    const kafka_partition_state *state = kafka_metadata_partition(metadata, topic, partition);
    BL_ASSERT(state->leader < metadata->broker_count);
    BL_ASSERT((state->isr_brokers >> state->leader & 1u) != 0); /* a leader is in sync */
    return state->leader;
}

uint32_t kafka_metadata_coordinator(const kafka_metadata *metadata, uint32_t group)
{
    BL_ASSERTF(group < metadata->group_count, "group %u of %u", group, metadata->group_count);
    return metadata->coordinators[group];
}
