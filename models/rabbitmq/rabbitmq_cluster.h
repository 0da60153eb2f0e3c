/* rabbitmq_cluster.h — what every node and client of a RabbitMQ-style run shares: the
 * scenario and version, the queues (their names, home nodes, bindings and state) and each
 * publisher's route through its exchange. The cluster's definitions are the metadata a
 * RabbitMQ cluster replicates to every node (Mnesia / Khepri): exchanges, queues,
 * bindings; a queue's messages live on its home node only (R7).
 *
 * Queues, in the run's order (their index): one per consumer entry, named after its
 * group, or with queue_per_consumer one per instance, GROUP.N. The history's `partition`
 * of a delivery is the queue's index within its entry (0, or N). */
#ifndef BL_RABBITMQ_CLUSTER_H
#define BL_RABBITMQ_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/scenario.h"
#include "../../engine/sim.h"
#include "rabbitmq_options.h"
#include "rabbitmq_queue.h"

#define RMQ_QUEUES_MAX     (SCN_GROUPS_MAX * SCN_INSTANCES_MAX)
#define RMQ_QUEUE_NAME_LEN (SCN_NAME_LEN + 12) /* GROUP "." N: a dot, 10 digits */

#define RMQ_NO_NODE UINT32_MAX

/* A mirrored queue's membership as one node's metadata store holds it (rabbit_amqqueue's
 * pid, slave_pids and sync_slave_pids: a Mnesia record, which each side of a partition
 * changes on its own): the members in the order they joined, the oldest first
 * (rabbit_mirror_queue_misc), what the master had when each joined, and whether it holds
 * every message the master has. A quorum queue's members are fixed at declaration. */
typedef struct rmq_members {
    uint32_t node[SCN_BROKERS_MAX]; /* node indices, oldest first */
    uint32_t count;
    uint64_t joined_seq[SCN_BROKERS_MAX]; /* by node: the master's next sequence number
                                             when it joined (it has every message from it) */
    bool synced[SCN_BROKERS_MAX];         /* by node: it has every message the master has */
    uint64_t version; /* every change raises it: a copy received replaces an older one */
} rmq_members;

bool rmq_members_has(const rmq_members *members, uint32_t node);
void rmq_members_remove(rmq_members *members, uint32_t node);
/* Appends `node` as the youngest member, holding the master's messages from joined_seq. */
void rmq_members_add(rmq_members *members, uint32_t node, uint64_t joined_seq);

/* A queue's cluster-wide metadata (rabbit_amqqueue's record in the metadata store). Its
 * messages are in the replicas of its member nodes (rmq_node.replicas): a classic queue
 * has one member, its home; a mirrored one (3.x `mirrors`) a master and mirrors, each
 * node's view of them in rmq_node.mirror_view, declared as `members` here. */
typedef struct rmq_queue_def {
    char name[RMQ_QUEUE_NAME_LEN]; /* GROUP or GROUP.N */
    uint32_t group;                /* its consumer entry */
    uint32_t position;             /* its index within the entry: the history's partition */
    uint32_t exchange;             /* the topic it is bound to */
    uint32_t home;                 /* the node it was declared on (client-local) */
    bool durable;
    uint32_t size_bytes;      /* the largest message published to its exchange */
    bool mirrored;            /* mirrors other than none */
    bool quorum;              /* queue_type quorum: its members form a Raft group */
    uint32_t wanted;          /* replicas its policy asks for (all: every node) */
    rabbitmq_promote promote; /* ha_promote_on_failure */
    rmq_members members;      /* as declared: members.node[0] leads */
    uint32_t master;          /* the node leading it now (RMQ_NO_NODE: none) */
    rmq_queue_limits limits;  /* TTL, max length, overflow, DLX (R11-R13) */
    /* with a dead-letter exchange: where its dead letters go (rabbit_dead_letter:publish
     * routes them through it by dead_letter_routing_key, or by the routing key they were
     * published with): one route, or one per producer entry without the key */
    struct rmq_route *dead_letter_routes;
    uint32_t dead_letter_route_count;
    /* its life (C03): bound = declared and bound now, so exchanges route to it (set when
     * its declaring consumer's basic.consume reaches a node after declare_at, cleared by
     * its deletion: cluster-wide metadata, as Mnesia's transactions make it) */
    bool declared_later; /* declare_at > 0 */
    bool single_active;  /* x-single-active-consumer */
    bool bound, deleted;
} rmq_queue_def;

/* Where one publisher entry's messages go: the queues its routing key reaches through its
 * exchange (fanout, direct, topic), or the candidates one of which each message's key
 * picks (x-consistent-hash). */
typedef struct rmq_route {
    uint32_t queues[RMQ_QUEUES_MAX];
    uint32_t count;
    bool by_key; /* x-consistent-hash: one of `queues` per message */
} rmq_route;

typedef struct rmq_cluster {
    const scn_scenario *scenario;
    rabbitmq_version version;
    rabbitmq_cluster_options options;
    uint32_t node_count;
    sim_node *nodes[SCN_BROKERS_MAX];
    rmq_queue_def *queues; /* queue_count, owned */
    uint32_t queue_count;
    rmq_route *routes;                    /* one per producer entry, owned */
    uint32_t first_queue[SCN_GROUPS_MAX]; /* index of each consumer entry's first queue */
} rmq_cluster;

/* The queues and routes of `scenario` (homes are set by the family once the nodes are). */
void rmq_cluster_init(rmq_cluster *cluster, const scn_scenario *scenario);
void rmq_cluster_free(rmq_cluster *cluster);
/* The queue a message of `key` published by `entry` goes to when the route is by key;
 * else every queue of the route. Writes at most RMQ_QUEUES_MAX indices, returns how
 * many. */
uint32_t rmq_cluster_targets(const rmq_cluster *cluster, uint32_t entry, int32_t key,
                             uint32_t *out);
/* Where a dead letter of `queue` (published by producer entry `publisher`, with `key`)
 * goes through the queue's dead-letter exchange; as rmq_cluster_targets. */
uint32_t rmq_cluster_dead_letter_targets(const rmq_cluster *cluster, uint32_t queue,
                                         uint32_t publisher, int32_t key, uint32_t *out);
/* The node index of a broker sim node id, or -1 if it is no broker. */
int32_t rmq_cluster_node_index(const rmq_cluster *cluster, uint32_t sim_id);

#endif
