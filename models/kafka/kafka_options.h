/* kafka_options.h — the Kafka family's configuration keys, as its schema
 * (kafka_schema.c) parses them into a scenario's family options, and the functions
 * that copy them out for the models. Field comments give the YAML key, the Kafka
 * property it stands for and its range; each default is in kafka_schema.c's tables. */
#ifndef BL_KAFKA_OPTIONS_H
#define BL_KAFKA_OPTIONS_H

#include <stdint.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/scenario.h"

/* acks: 0, 1 or all (K19). */
typedef enum kafka_acks { KAFKA_ACKS_0 = 0, KAFKA_ACKS_1 = 1, KAFKA_ACKS_ALL = 2 } kafka_acks;

#define KAFKA_RETRIES_MAX UINT32_MAX /* `retries: max` */

typedef enum kafka_commit {
    KAFKA_COMMIT_AUTO = 0,          /* enable.auto.commit, at poll start every interval (K28) */
    KAFKA_COMMIT_AFTER_PROCESSING,  /* commit processed offsets (at-least-once) */
    KAFKA_COMMIT_BEFORE_PROCESSING, /* commit right after poll, then process (at-most-once) */
} kafka_commit;

typedef enum kafka_offset_reset { KAFKA_RESET_LATEST = 0, KAFKA_RESET_EARLIEST } kafka_offset_reset;
/* assignor: partition.assignment.strategy. The default list [RangeAssignor,
 * CooperativeStickyAssignor] runs Range, which supports EAGER only (ConsumerCoordinator
 * picks the protocol every assignor supports). */
typedef enum kafka_assignor {
    KAFKA_ASSIGNOR_RANGE = 0,          /* RangeAssignor: EAGER */
    KAFKA_ASSIGNOR_COOPERATIVE_STICKY, /* CooperativeStickyAssignor: COOPERATIVE (KIP-429) */
} kafka_assignor;
/* partitioner: keyless records (BuiltInPartitioner, KIP-794) or per record in turn */
typedef enum kafka_partitioner {
    KAFKA_PARTITIONER_STICKY = 0,
    KAFKA_PARTITIONER_ROUND_ROBIN
} kafka_partitioner;

/* __consumer_offsets: at most this many partitions (offsets_topic_partitions, Kafka's
 * offsets.topic.num.partitions, default 50); its replication factor
 * (offsets_topic_replication_factor, default 3) is capped by the broker count when left
 * at its default. */
#define KAFKA_OFFSETS_TOPIC_PARTITIONS_MAX 1000

/* cluster: the broker flush policy (K4), log.flush.interval.messages / .ms; 0 = off
 * (leave it to the OS, Kafka's default). */
typedef struct kafka_cluster_options {
    uint64_t flush_messages;   /* flush.messages: fsync every N appended messages */
    int64_t flush_interval_us; /* flush.interval: fsync every T */
    /* Replication (ReplicationConfigs), brokerlab's key then Kafka's property: */
    int64_t replica_lag_time_max_us;   /* replica_lag_time_max (replica.lag.time.max.ms) */
    int64_t replica_fetch_wait_max_us; /* replica_fetch_wait_max (replica.fetch.wait.max.ms) */
    uint64_t replica_fetch_min_bytes;  /* replica_fetch_min_bytes (replica.fetch.min.bytes) */
    uint64_t replica_fetch_max_bytes;  /* replica_fetch_max_bytes (replica.fetch.max.bytes),
                                            per partition */
    int64_t replica_fetch_backoff_us;  /* replica_fetch_backoff (replica.fetch.backoff.ms) */
    int64_t replica_socket_timeout_us; /* replica_socket_timeout (replica.socket.timeout.ms) */
    /* The KRaft controller (KRaftConfigs, BrokerLifecycleManager): */
    int64_t broker_heartbeat_interval_us;       /* broker_heartbeat_interval
                                             (broker.heartbeat.interval.ms) */
    int64_t broker_session_timeout_us;          /* broker_session_timeout
                                             (broker.session.timeout.ms), > the interval */
    bool auto_leader_rebalance;                 /* auto_leader_rebalance
                                               (auto.leader.rebalance.enable) */
    int64_t leader_imbalance_check_interval_us; /* leader_imbalance_check_interval
                                               (leader.imbalance.check.interval.seconds) */
    bool leader_epochs;            /* leader_epochs: truncate by leader epoch (KIP-101/279, Kafka >=
                           2.1), or to the high watermark as before 0.11 */
    int32_t controller_broker;     /* controller: -1 = dedicated (its own process and host,
                                  process.roles=controller), else the broker whose process
                                  it runs in (process.roles=broker,controller) */
    bool eligible_leader_replicas; /* eligible_leader_replicas (KIP-966, metadata version
                                      4.0-IV1; Kafka 4.0's production version 4.0-IV0 has it
                                      off) */
    uint32_t offsets_topic_partitions;         /* offsets_topic_partitions
                                                  (offsets.topic.num.partitions) */
    uint32_t offsets_topic_replication_factor; /* offsets_topic_replication_factor
                                                  (offsets.topic.replication.factor): the
                                                  default 3 is capped by the broker count */
    int64_t group_initial_rebalance_delay_us;  /* group_initial_rebalance_delay
                                                 (group.initial.rebalance.delay.ms) */
} kafka_cluster_options;

typedef struct kafka_topic_options {
    uint32_t replication_factor;  /* replication_factor (replication.factor): 1..brokers */
    uint32_t min_insync_replicas; /* min_insync_replicas (min.insync.replicas): acks=all
                                     needs this many in sync, capped by the replication
                                     factor as Kafka caps it (Partition.effectiveMinIsr) */
    int64_t retention_us;         /* retention (retention.ms): 0 = unlimited */
    uint64_t retention_bytes; /* retention_bytes (retention.bytes): per partition, 0 = unlimited */
    bool unclean_leader_election; /* unclean_leader_election (unclean.leader.election.enable):
                                     with no in-sync replica left to lead, an out-of-sync
                                     one may (losing what only the ISR had) */
    uint64_t segment_bytes;       /* segment_bytes (segment.bytes): the active segment rolls
                                     before it would pass this */
    int64_t segment_ms_us;        /* segment_ms (segment.ms): ... or once this old; retention
                                     deletes whole segments, never the active one */
} kafka_topic_options;

typedef struct kafka_producer_options {
    kafka_acks acks;              /* acks */
    uint32_t retries;             /* retries: an integer or `max` */
    int64_t retry_backoff_us;     /* retry_backoff (retry.backoff.ms) */
    int64_t retry_backoff_max_us; /* retry_backoff_max (retry.backoff.max.ms, KIP-580) */
    int64_t request_timeout_us;   /* request_timeout (request.timeout.ms), > 0 */
    int64_t
        delivery_timeout_us; /* delivery_timeout (delivery.timeout.ms), >= linger + request_timeout */
    uint32_t max_in_flight;    /* max_in_flight (max.in.flight.requests.per.connection), 1..100 */
    int64_t linger_us;         /* linger (linger.ms) */
    uint64_t batch_size_bytes; /* batch_size (batch.size): per partition batch */
    uint64_t buffer_memory_bytes;  /* buffer_memory (buffer.memory) */
    kafka_partitioner partitioner; /* partitioner: sticky (Kafka's default for keyless
                                      records since 3.3) or round_robin */
    bool idempotence; /* idempotence (enable.idempotence, default true since 3.0): as in
                         effect, off when not set and acks, retries or max_in_flight
                         conflict (ProducerConfig.postProcessAndValidateIdempotenceConfigs) */
} kafka_producer_options;

typedef struct kafka_consumer_options {
    kafka_commit commit;        /* commit: auto | after_processing | before_processing */
    int64_t commit_interval_us; /* commit_interval (auto.commit.interval.ms), > 0, auto only */
    int64_t session_timeout_us; /* session_timeout (session.timeout.ms, K25) */
    int64_t
        heartbeat_interval_us; /* heartbeat_interval (heartbeat.interval.ms), < session_timeout */
    uint32_t max_poll_records; /* max_poll_records (max.poll.records), 1..100000 */
    int64_t max_poll_interval_us;    /* max_poll_interval (max.poll.interval.ms): longer between
                                     polls and the member leaves its group */
    int64_t fetch_max_wait_us;       /* fetch_max_wait (fetch.max.wait.ms) */
    uint64_t fetch_min_bytes;        /* fetch_min_bytes (fetch.min.bytes): the broker holds a
                                       fetch until this much is available or fetch_max_wait passes */
    uint64_t fetch_max_bytes;        /* fetch_max_bytes (max.partition.fetch.bytes): per
                                       partition per fetch */
    kafka_offset_reset offset_reset; /* auto_offset_reset: latest | earliest */
    kafka_assignor assignor;         /* assignor: range | cooperative-sticky */
} kafka_consumer_options;

_Static_assert(sizeof(kafka_cluster_options) <= SCN_FAMILY_OPTIONS_BYTES,
               "fits the scenario's options");
_Static_assert(sizeof(kafka_topic_options) <= SCN_FAMILY_OPTIONS_BYTES,
               "fits the scenario's options");
_Static_assert(sizeof(kafka_producer_options) <= SCN_FAMILY_OPTIONS_BYTES,
               "fits the scenario's options");
_Static_assert(sizeof(kafka_consumer_options) <= SCN_FAMILY_OPTIONS_BYTES,
               "fits the scenario's options");

/* __consumer_offsets' replication factor in effect: offsets_topic_replication_factor,
 * capped by the broker count (the schema refuses it above the count only when set). */
static inline uint32_t kafka_offsets_replication_factor(const kafka_cluster_options *options,
                                                        uint32_t broker_count)
{
    return options->offsets_topic_replication_factor < broker_count
               ? options->offsets_topic_replication_factor
               : broker_count;
}

static inline kafka_cluster_options kafka_cluster_options_of(const scn_cluster *cluster)
{
    kafka_cluster_options options;
    memcpy(&options, cluster->family.bytes, sizeof options);
    BL_ASSERT(options.flush_interval_us >= 0);
    BL_ASSERT(options.replica_lag_time_max_us > 0);
    BL_ASSERT(options.replica_fetch_wait_max_us >= 0);
    BL_ASSERT(options.replica_fetch_min_bytes >= 1 && options.replica_fetch_max_bytes >= 1);
    BL_ASSERT(options.replica_fetch_backoff_us > 0 && options.replica_socket_timeout_us > 0);
    BL_ASSERT(options.leader_imbalance_check_interval_us > 0);
    BL_ASSERT(options.broker_heartbeat_interval_us > 0 &&
              options.broker_heartbeat_interval_us < options.broker_session_timeout_us);
    return options;
}

static inline kafka_topic_options kafka_topic_options_of(const scn_topic *topic)
{
    kafka_topic_options options;
    memcpy(&options, topic->family.bytes, sizeof options);
    BL_ASSERT(options.replication_factor >= 1 && options.replication_factor <= SCN_BROKERS_MAX);
    BL_ASSERT(options.min_insync_replicas >= 1);
    BL_ASSERT(options.retention_us >= 0);
    return options;
}

static inline kafka_producer_options kafka_producer_options_of(const scn_producer *producer)
{
    kafka_producer_options options;
    memcpy(&options, producer->family.bytes, sizeof options);
    BL_ASSERT(options.acks == KAFKA_ACKS_0 || options.acks == KAFKA_ACKS_1 ||
              options.acks == KAFKA_ACKS_ALL);
    BL_ASSERT(options.max_in_flight >= 1);
    BL_ASSERT(options.max_in_flight <= 100);
    BL_ASSERT(options.request_timeout_us > 0);
    BL_ASSERT(options.delivery_timeout_us >= options.linger_us + options.request_timeout_us);
    BL_ASSERT(options.retry_backoff_us >= 0);
    BL_ASSERT(options.retry_backoff_max_us >= 0);
    BL_ASSERT(options.batch_size_bytes >= 1);
    BL_ASSERT(options.buffer_memory_bytes >= 1);
    return options;
}

static inline kafka_consumer_options kafka_consumer_options_of(const scn_consumer *consumer)
{
    kafka_consumer_options options;
    memcpy(&options, consumer->family.bytes, sizeof options);
    BL_ASSERT(options.max_poll_records >= 1);
    BL_ASSERT(options.max_poll_records <= 100000);
    BL_ASSERT(options.heartbeat_interval_us > 0);
    BL_ASSERT(options.heartbeat_interval_us < options.session_timeout_us);
    BL_ASSERT(options.commit_interval_us > 0);
    BL_ASSERT(options.fetch_max_wait_us >= 0);
    BL_ASSERT(options.fetch_min_bytes >= 1);
    BL_ASSERT(options.fetch_max_bytes >= 1);
    return options;
}

#endif
