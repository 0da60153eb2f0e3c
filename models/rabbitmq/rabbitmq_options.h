/* rabbitmq_options.h — the RabbitMQ family's configuration keys, as its schema
 * (rabbitmq_schema.c) parses them into a scenario's family options, the versions the
 * presets model and what each version changes, and the functions that copy the options
 * out for the models. Field comments give the YAML key, the RabbitMQ argument, policy or
 * client setting it stands for and its range; each default is in rabbitmq_schema.c.
 *
 * How the family-neutral format maps onto RabbitMQ (README, "RabbitMQ presets"):
 *   topics[]     exchanges (their `type`); `partitions` must stay 1
 *   producers[]  publishers: a connection and a channel each, publishing to the exchange
 *   consumers[]  one queue per entry, named after the group and bound to the exchange
 *                (or one queue per instance, `queue_per_consumer`), consumed by the
 *                entry's instances */
#ifndef BL_RABBITMQ_OPTIONS_H
#define BL_RABBITMQ_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/scenario.h"

/* The release lines the presets name. What changes between them (semantics R3, R4, R8):
 *   3.10  CQ v1 index by default; the index journal and the message store fsync before
 *         a persistent message is confirmed; mirrored queues exist
 *   3.12  the same durability; lazy mode ignored (not modelled)
 *   3.13  the message store no longer fsyncs (PR #8507), nor does CQ v2: a confirm means
 *         written to the OS, so it survives kill -9 but not a power loss
 *   4     (4.x) CQ v2 only, no mirrored queues */
typedef enum rabbitmq_version {
    RABBITMQ_3_10 = 0,
    RABBITMQ_3_12,
    RABBITMQ_3_13,
    RABBITMQ_4,
    RABBITMQ_VERSION_COUNT
} rabbitmq_version;

/* The version a preset names ("rabbitmq-3.12"; "rabbitmq" is the current line, 4). */
rabbitmq_version rabbitmq_version_of(const char *preset);
const char *rabbitmq_version_name(rabbitmq_version version); /* "3.12" */
/* Whether a classic queue fsyncs a persistent message's write before confirming it. */
static inline bool rabbitmq_confirm_fsyncs(rabbitmq_version version)
{
    return version <= RABBITMQ_3_12;
}

/* topics[].type: the exchange type (R1). x-consistent-hash is the plugin's
 * (rabbitmq_consistent_hash_exchange): a message goes to one bound queue, chosen by the
 * hash of its routing key (here the message key) on a ring of the bound queues. */
typedef enum rabbitmq_exchange_type {
    RABBITMQ_EXCHANGE_FANOUT = 0,
    RABBITMQ_EXCHANGE_DIRECT,
    RABBITMQ_EXCHANGE_TOPIC,
    RABBITMQ_EXCHANGE_CONSISTENT_HASH,
} rabbitmq_exchange_type;

/* producers[].mode: how the channel learns its publishes arrived (R4, R5). */
typedef enum rabbitmq_publish_mode {
    RABBITMQ_PUBLISH_FIRE_AND_FORGET = 0, /* basic.publish, nothing back */
    RABBITMQ_PUBLISH_CONFIRMS,            /* confirm.select: basic.ack / basic.nack */
    RABBITMQ_PUBLISH_TRANSACTIONS,        /* tx.select: tx.commit per tx_size publishes */
} rabbitmq_publish_mode;

/* consumers[].ha_promote_on_failure: may a mirror that is not synchronised become the
 * master when the master fails (R8; `always` since 3.7.5)? */
typedef enum rabbitmq_promote {
    RABBITMQ_PROMOTE_ALWAYS = 0,
    RABBITMQ_PROMOTE_WHEN_SYNCED
} rabbitmq_promote;

/* cluster.cluster_partition_handling (R9; rabbit_node_monitor, rabbit_autoheal). */
typedef enum rabbitmq_partition_handling {
    RABBITMQ_PARTITIONS_IGNORE = 0,    /* both sides run on; nothing merges after the heal */
    RABBITMQ_PARTITIONS_PAUSE_MINORITY /* a node seeing no majority stops its rabbit */
} rabbitmq_partition_handling;

/* consumers[].queue_type: x-queue-type (R7, R8, R10). */
typedef enum rabbitmq_queue_type {
    RABBITMQ_QUEUE_CLASSIC = 0,
    RABBITMQ_QUEUE_QUORUM, /* 3.8+: a Raft group per queue (Ra, rabbit_fifo) */
} rabbitmq_queue_type;

/* consumers[].delivery_limit's default: none up to 3.13, 20 from 4.0 (rabbit_quorum_queue
 * ?DEFAULT_DELIVERY_LIMIT) */
#define RABBITMQ_DELIVERY_LIMIT_NONE    UINT32_MAX
#define RABBITMQ_DELIVERY_LIMIT_VERSION (UINT32_MAX - 1) /* the version's default */
#define RABBITMQ_DELIVERY_LIMIT_MAX     65534u
#define RABBITMQ_QUORUM_SIZE_DEFAULT    3u /* rabbit quorum_cluster_size */
static inline uint32_t rabbitmq_default_delivery_limit(rabbitmq_version version)
{
    return version >= RABBITMQ_4 ? 20u : RABBITMQ_DELIVERY_LIMIT_NONE;
}

/* consumers[].ack: basic.consume's no_ack (R6). */
typedef enum rabbitmq_ack_mode { RABBITMQ_ACK_MANUAL = 0, RABBITMQ_ACK_AUTO } rabbitmq_ack_mode;

#define RABBITMQ_ROUTING_KEY_LEN SCN_NAME_LEN
#define RABBITMQ_PREFETCH_MAX    65535u /* basic.qos prefetch_count is a short */
#define RABBITMQ_UNCONFIRMED_MAX 100000u
#define RABBITMQ_TX_SIZE_MAX     100000u
#define RABBITMQ_MIRRORS_ALL     UINT32_MAX /* mirrors: all */

typedef struct rabbitmq_cluster_options {
    int64_t heartbeat_us;           /* heartbeat (rabbit heartbeat, 60 s): a client connection
                                    whose peer fell silent is closed after it */
    int64_t net_ticktime_us;        /* net_ticktime (Erlang kernel net_ticktime, 60 s): a node
                                    that fell silent is declared down after it */
    uint64_t disk_free_limit_bytes; /* disk_free_limit (50 MB, rabbit_disk_monitor's
                                    default): a node whose disk has less free space raises
                                    the disk alarm (only with a finite cluster.disk
                                    capacity) */
    rabbitmq_partition_handling partition_handling; /* cluster_partition_handling */
    int64_t stats_interval_us; /* stats_interval (15 s, Prometheus' default scrape
                                    interval): how often the queues' limit counters are
                                    scraped into the history */
} rabbitmq_cluster_options;

typedef struct rabbitmq_topic_options {
    rabbitmq_exchange_type type; /* type: fanout | direct | topic | x-consistent-hash */
} rabbitmq_topic_options;

typedef struct rabbitmq_producer_options {
    rabbitmq_publish_mode mode; /* mode: fire_and_forget | confirms | transactions */
    bool persistent;            /* persistent: delivery_mode 2 */
    char routing_key[RABBITMQ_ROUTING_KEY_LEN]; /* routing_key: the publishes' key ("" ok) */
    uint32_t max_unconfirmed;                   /* max_unconfirmed: confirms in flight before the
                                        application waits, 1..100000 */
    uint32_t tx_size;                           /* tx_size: publishes per tx.commit, 1..100000 */
    int64_t confirm_timeout_us;   /* confirm_timeout: republish what is unconfirmed this
                                        long (and after a nack or a lost connection) */
    int64_t delivery_timeout_us;  /* delivery_timeout: give a message up (send info)
                                        this long after its first publish */
    int64_t write_coalesce_us;    /* write_coalesce: publishes made within it share one
                                        TCP write (0 = one write each) */
    int64_t recovery_interval_us; /* recovery_interval (the Java client's
                                        networkRecoveryInterval, 5 s): wait before
                                        reconnecting */
    int32_t connect_to;           /* connect_to: the node of instance 0's connection,
                                        instance i on (connect_to + i) mod nodes; -1 = the
                                        instance's index mod nodes */
} rabbitmq_producer_options;

typedef struct rabbitmq_consumer_options {
    rabbitmq_ack_mode ack; /* ack: manual | auto */
    uint32_t prefetch;     /* prefetch (basic.qos prefetch_count, per consumer):
                                      0 = unlimited */
    bool durable;          /* durable: the queue's definition survives a restart */
    char binding_key[RABBITMQ_ROUTING_KEY_LEN]; /* binding: the binding key ("#" and "*"
                                                   in topic exchanges) */
    bool queue_per_consumer;                    /* queue_per_consumer: each instance its own queue
                                      (GROUP.N), bound alone */
    int64_t ack_coalesce_us;                    /* ack_coalesce: acks of messages finished within it
                                      share one write (0 = one each) */
    int64_t recovery_interval_us;               /* recovery_interval: as for producers */
    int32_t connect_to;                         /* connect_to: as for producers */
    int32_t queue_node;       /* queue_node: the node the queue is declared on, its home (-1 =
                           `each`: the first node of the instance declaring it, instance 0
                           or the queue's own, as queue_leader_locator client-local
                           places it) */
    uint32_t mirrors;         /* mirrors (the ha-mode policy of classic mirrored queues, 3.x):
                         0 = none, RABBITMQ_MIRRORS_ALL = every node (ha-mode all), N =
                         N replicas, the master included (ha-mode exactly, ha-params N) */
    rabbitmq_promote promote; /* ha_promote_on_failure: always | when-synced */
    /* limits (R11-R13), the queue's x-arguments */
    int64_t message_ttl_us;       /* message_ttl (x-message-ttl): none (-1) or a duration */
    uint32_t max_length;          /* max_length (x-max-length): ready messages, none =
                                   UINT32_MAX */
    int overflow;                 /* overflow (x-overflow): drop-head | reject-publish |
                                   reject-publish-dlx (rmq_overflow) */
    int32_t dead_letter_exchange; /* dead_letter_exchange (x-dead-letter-exchange): a topic
                                     index, -1 = none */
    char dead_letter_routing_key[RABBITMQ_ROUTING_KEY_LEN]; /* dead_letter_routing_key
                                     (x-dead-letter-routing-key): "" = the message's own */
    bool dead_letter_routing_key_set;
    /* the queue's life (C03): declared and bound at declare_at (0 = before the run's
     * first publish), deleted at delete_at (-1 = never) */
    int64_t declare_at_us;
    int64_t delete_at_us;
    bool single_active_consumer;    /* single_active_consumer (x-single-active-consumer) */
    rabbitmq_queue_type queue_type; /* queue_type (x-queue-type): classic | quorum */
    uint32_t quorum_size;           /* quorum_size (x-quorum-initial-group-size): members, 1..nodes,
                                3 by default (or every node of a smaller cluster) */
    uint32_t delivery_limit;        /* delivery_limit (x-delivery-limit): returns before a quorum
                                queue dead-letters a message, none or 0..65534 */
} rabbitmq_consumer_options;

_Static_assert(sizeof(rabbitmq_cluster_options) <= SCN_FAMILY_OPTIONS_BYTES, "fits");
_Static_assert(sizeof(rabbitmq_topic_options) <= SCN_FAMILY_OPTIONS_BYTES, "fits");
_Static_assert(sizeof(rabbitmq_producer_options) <= SCN_FAMILY_OPTIONS_BYTES, "fits");
_Static_assert(sizeof(rabbitmq_consumer_options) <= SCN_FAMILY_OPTIONS_BYTES, "fits");

static inline rabbitmq_cluster_options rabbitmq_cluster_options_of(const scn_cluster *cluster)
{
    rabbitmq_cluster_options out;
    memcpy(&out, cluster->family.bytes, sizeof out);
    return out;
}
static inline rabbitmq_topic_options rabbitmq_topic_options_of(const scn_topic *topic)
{
    rabbitmq_topic_options out;
    memcpy(&out, topic->family.bytes, sizeof out);
    return out;
}
static inline rabbitmq_producer_options rabbitmq_producer_options_of(const scn_producer *producer)
{
    rabbitmq_producer_options out;
    memcpy(&out, producer->family.bytes, sizeof out);
    return out;
}
static inline rabbitmq_consumer_options rabbitmq_consumer_options_of(const scn_consumer *consumer)
{
    rabbitmq_consumer_options out;
    memcpy(&out, consumer->family.bytes, sizeof out);
    return out;
}

/* The node a client instance connects to first. */
static inline uint32_t rabbitmq_first_node(int32_t connect_to, uint32_t instance, uint32_t nodes)
{
    BL_ASSERT(nodes >= 1);
    uint32_t base = connect_to < 0 ? 0 : (uint32_t)connect_to;
    return (base + instance) % nodes;
}

#endif
