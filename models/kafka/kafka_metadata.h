/* kafka_metadata.h — the cluster metadata every Kafka-style node reads: for each
 * partition its replicas, leader, leader epoch and in-sync replicas, and for each
 * consumer group its coordinator, behind one API (what Kafka keeps in the broker's
 * MetadataCache and the client's Metadata). Brokers and clients ask it; nobody
 * computes a placement of their own.
 *
 * Placement: every topic in file order, then the internal __consumer_offsets topic,
 * placed as KRaft's StripedReplicaPlacer places a new topic (kafka_placement.c), from
 * the run's seed; the first replica is the preferred leader and leads at the start.
 * A group's coordinator is the leader of its __consumer_offsets partition,
 * abs(groupId.hashCode()) % offsets.topic.num.partitions
 * (GroupCoordinatorService.partitionFor). Until replication lands every data topic has
 * one replica and the leader never changes (epoch 0, ISR = the leader). */
#ifndef BL_KAFKA_METADATA_H
#define BL_KAFKA_METADATA_H

#include <stdint.h>

#include "../../engine/scenario.h"
#include "kafka_options.h"

/* a partition has at most one replica a broker */
#define KAFKA_REPLICAS_MAX SCN_BROKERS_MAX
#define KAFKA_NO_LEADER    UINT16_MAX /* leader -1: nobody can lead */

typedef struct kafka_partition_state {
    uint16_t replicas[KAFKA_REPLICAS_MAX]; /* broker indices, preferred leader first */
    uint16_t replica_count;
    uint16_t leader;          /* broker index, or KAFKA_NO_LEADER */
    uint32_t leader_epoch;    /* +1 at every leader change (PartitionRegistration) */
    uint32_t partition_epoch; /* +1 at every change of the partition */
    uint32_t isr_brokers;     /* bit b: broker b is in sync (SCN_BROKERS_MAX <= 32) */
    uint32_t elr_brokers;     /* eligible leader replicas (KIP-966): out of an ISR that
                                 fell below min.insync.replicas, so they hold every
                                 committed record; 0 without ELR */
} kafka_partition_state;

typedef struct kafka_metadata {
    uint32_t broker_count;
    uint32_t topic_count; /* the scenario's topics; __consumer_offsets comes after them,
                             as topic index topic_count (kafka_metadata_offsets_topic) */
    uint32_t topic_partitions[SCN_TOPICS_MAX + 1];
    uint32_t topic_base[SCN_TOPICS_MAX + 1]; /* index of the topic's partition 0 */
    kafka_partition_state *partitions;       /* every topic's, topic by topic, then the offsets
                                            topic's */
    uint32_t partition_count;                /* of the scenario's topics */
    uint32_t offsets_base;                   /* index of __consumer_offsets partition 0 */
    uint32_t offsets_partitions;             /* offsets.topic.num.partitions */
    uint32_t offsets_replication_factor;
    uint32_t group_offsets_partition[SCN_GROUPS_MAX]; /* partitionFor(group) */
    uint32_t group_count;
    uint32_t fenced_brokers; /* bit b: broker b is fenced (its session lapsed) */
    uint64_t offset;         /* changes applied: a copy with a lower one is older */
} kafka_metadata;

_Static_assert(SCN_BROKERS_MAX <= 32, "the ISR is a 32-bit set of brokers");

/* Places every topic from `seed` (stream kafka/placement). */
void kafka_metadata_init(kafka_metadata *metadata, const scn_scenario *scenario,
                         const kafka_topic_options *topics, uint64_t seed);
void kafka_metadata_free(kafka_metadata *metadata);
/* A node's own copy of `source` (a broker's MetadataCache); freed with
 * kafka_metadata_free. */
void kafka_metadata_copy(kafka_metadata *copy, const kafka_metadata *source);
/* Any topic's partition: a scenario topic's, or with topic = kafka_metadata_offsets_topic
 * an offsets partition's. */
const kafka_partition_state *kafka_metadata_partition(const kafka_metadata *metadata,
                                                      uint32_t topic, uint32_t partition);
/* __consumer_offsets' topic index: after the scenario's topics. Brokers replicate it like
 * any topic; clients never fetch it. */
static inline uint32_t kafka_metadata_offsets_topic(const kafka_metadata *metadata)
{
    return metadata->topic_count;
}
/* Partitions of every topic, __consumer_offsets' included: what the controller keeps. */
static inline uint32_t kafka_metadata_all_partitions(const kafka_metadata *metadata)
{
    return metadata->partition_count + metadata->offsets_partitions;
}
/* The broker index leading partition `partition` of topic `topic`, or KAFKA_NO_LEADER. */
uint32_t kafka_metadata_leader(const kafka_metadata *metadata, uint32_t topic, uint32_t partition);
/* The broker index coordinating consumer group `group` (its scenario entry): the leader
 * of its __consumer_offsets partition, or KAFKA_NO_LEADER. */
uint32_t kafka_metadata_coordinator(const kafka_metadata *metadata, uint32_t group);
/* An ISR change the controller committed. The new ISR is a subset of the replicas and
 * holds the leader, if there is one. */
void kafka_metadata_set_isr(kafka_metadata *metadata, uint32_t topic, uint32_t partition,
                            uint32_t isr_brokers);
/* A __consumer_offsets partition's state. */
const kafka_partition_state *kafka_metadata_offsets_partition(const kafka_metadata *metadata,
                                                              uint32_t partition);
/* GroupCoordinatorService.partitionFor: Utils.abs(groupId.hashCode()) % partitions, with
 * Java's String.hashCode over the name's characters (ASCII: one UTF-16 unit each). */
uint32_t kafka_group_partition_for(const char *group_id, uint32_t partitions);

#endif
