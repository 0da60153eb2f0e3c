/* kafka_metadata.c — placement and lookups of the cluster metadata (see
 * kafka_metadata.h). */
#include "kafka_metadata.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/rng.h"
#include "kafka_placement.h"

uint32_t kafka_group_partition_for(const char *group_id, uint32_t partitions)
{
    BL_ASSERT(partitions >= 1);
    uint32_t hash = 0; /* String.hashCode: s[0]*31^(n-1) + ... + s[n-1], in int arithmetic */
    for (const unsigned char *c = (const unsigned char *)group_id; *c != '\0'; c++)
        hash = hash * 31u + *c;
    int32_t signed_hash = (int32_t)hash;
    /* Utils.abs: Integer.MIN_VALUE maps to 0, where Math.abs would stay negative */
    uint32_t magnitude = signed_hash == INT32_MIN ? 0u
                         : signed_hash < 0        ? (uint32_t)(-signed_hash)
                                                  : (uint32_t)signed_hash;
    return magnitude % partitions;
}

/* Writes the placement of one topic into `partitions`. */
static void place(kafka_partition_state *partitions, gsl_rng *rng, uint32_t broker_count,
                  uint32_t partition_count, uint32_t replication_factor)
{
    uint16_t *replicas = calloc((size_t)partition_count * replication_factor, sizeof *replicas);
    BL_ASSERT(replicas != NULL);
    kafka_place_topic(rng, broker_count, partition_count, replication_factor, replicas);
    for (uint32_t p = 0; p < partition_count; p++) {
        kafka_partition_state *state = &partitions[p];
        memcpy(state->replicas, &replicas[(size_t)p * replication_factor],
               replication_factor * sizeof *replicas);
        state->replica_count = (uint16_t)replication_factor;
        /* PartitionChangeBuilder at creation: ISR = the replicas, leader = isr[0],
         * epochs 0 (ReplicationControlManager.buildPartitionRegistration) */
        state->leader = state->replicas[0];
        state->leader_epoch = 0;
        for (uint32_t r = 0; r < replication_factor; r++)
            state->isr_brokers |= 1u << state->replicas[r];
    }
    free(replicas);
}

void kafka_metadata_init(kafka_metadata *metadata, const scn_scenario *scenario,
                         const kafka_topic_options *topics, uint64_t seed)
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
    metadata->offsets_base = metadata->partition_count;
    metadata->topic_base[scenario->topic_count] = metadata->offsets_base;
    kafka_cluster_options options = kafka_cluster_options_of(&scenario->cluster);
    BL_ASSERT(options.offsets_topic_partitions >= 1 &&
              options.offsets_topic_partitions <= KAFKA_OFFSETS_TOPIC_PARTITIONS_MAX &&
              options.offsets_topic_replication_factor >= 1);
    metadata->offsets_partitions = options.offsets_topic_partitions;
    metadata->topic_partitions[scenario->topic_count] = metadata->offsets_partitions;
    metadata->offsets_replication_factor =
        kafka_offsets_replication_factor(&options, metadata->broker_count);
    metadata->partitions = calloc(metadata->partition_count + metadata->offsets_partitions,
                                  sizeof *metadata->partitions);
    BL_ASSERT(metadata->partitions != NULL);
    gsl_rng *rng = rng_stream(seed, "kafka/placement");
    for (uint32_t t = 0; t < scenario->topic_count; t++) {
        uint32_t replication_factor = topics[t].replication_factor;
        BL_ASSERTF(replication_factor >= 1 && replication_factor <= KAFKA_REPLICAS_MAX &&
                       replication_factor <= metadata->broker_count,
                   "replication factor %u of topic %u", replication_factor, t);
        place(&metadata->partitions[metadata->topic_base[t]], rng, metadata->broker_count,
              metadata->topic_partitions[t], replication_factor);
    }
    /* __consumer_offsets: Kafka creates it at the first FindCoordinator; here it exists
     * from the start, placed after the scenario's topics. */
    place(&metadata->partitions[metadata->offsets_base], rng, metadata->broker_count,
          metadata->offsets_partitions, metadata->offsets_replication_factor);
    gsl_rng_free(rng);
    metadata->group_count = scenario->consumer_count;
    for (uint32_t g = 0; g < scenario->consumer_count; g++)
        metadata->group_offsets_partition[g] =
            kafka_group_partition_for(scenario->consumers[g].group, metadata->offsets_partitions);
}

void kafka_metadata_copy(kafka_metadata *copy, const kafka_metadata *source)
{
    *copy = *source;
    size_t bytes =
        ((size_t)source->partition_count + source->offsets_partitions) * sizeof *source->partitions;
    copy->partitions = malloc(bytes);
    BL_ASSERT(copy->partitions != NULL);
    memcpy(copy->partitions, source->partitions, bytes);
}

void kafka_metadata_free(kafka_metadata *metadata)
{
    free(metadata->partitions);
    memset(metadata, 0, sizeof *metadata);
}

const kafka_partition_state *kafka_metadata_partition(const kafka_metadata *metadata,
                                                      uint32_t topic, uint32_t partition)
{
    BL_ASSERTF(topic <= metadata->topic_count, "topic %u of %u", topic, metadata->topic_count);
    BL_ASSERTF(partition < metadata->topic_partitions[topic], "partition %u of %u", partition,
               metadata->topic_partitions[topic]);
    return &metadata->partitions[metadata->topic_base[topic] + partition];
}

void kafka_metadata_set_isr(kafka_metadata *metadata, uint32_t topic, uint32_t partition,
                            uint32_t isr_brokers)
{
    kafka_partition_state *state =
        (kafka_partition_state *)kafka_metadata_partition(metadata, topic, partition);
    uint32_t replicas = 0;
    for (uint32_t r = 0; r < state->replica_count; r++) replicas |= 1u << state->replicas[r];
    BL_ASSERTF((isr_brokers & ~replicas) == 0, "an ISR 0x%x outside the replicas 0x%x", isr_brokers,
               replicas);
    BL_ASSERTF(state->leader == KAFKA_NO_LEADER || (isr_brokers >> state->leader & 1u) != 0,
               "an ISR 0x%x without its leader %u", isr_brokers, state->leader);
    BL_ASSERT(isr_brokers != 0); /* without ELR the ISR never empties */
    state->isr_brokers = isr_brokers;
}

const kafka_partition_state *kafka_metadata_offsets_partition(const kafka_metadata *metadata,
                                                              uint32_t partition)
{
    BL_ASSERTF(partition < metadata->offsets_partitions, "offsets partition %u", partition);
    return &metadata->partitions[metadata->offsets_base + partition];
}

uint32_t kafka_metadata_leader(const kafka_metadata *metadata, uint32_t topic, uint32_t partition)
{
    const kafka_partition_state *state = kafka_metadata_partition(metadata, topic, partition);
    if (state->leader == KAFKA_NO_LEADER) return KAFKA_NO_LEADER;
    BL_ASSERT(state->leader < metadata->broker_count);
    BL_ASSERT((state->isr_brokers >> state->leader & 1u) != 0); /* a leader is in sync */
    return state->leader;
}

uint32_t kafka_metadata_coordinator(const kafka_metadata *metadata, uint32_t group)
{
    BL_ASSERTF(group < metadata->group_count, "group %u of %u", group, metadata->group_count);
    const kafka_partition_state *state =
        kafka_metadata_offsets_partition(metadata, metadata->group_offsets_partition[group]);
    BL_ASSERT(state->leader < metadata->broker_count || state->leader == KAFKA_NO_LEADER);
    return state->leader;
}
