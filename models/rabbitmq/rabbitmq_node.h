/* rabbitmq_node.h — a RabbitMQ-style broker node (see rabbitmq_node.c). */
#ifndef BL_RABBITMQ_NODE_H
#define BL_RABBITMQ_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/disk.h"
#include "../../engine/ring.h"
#include "../../engine/sim.h"
#include "rabbitmq_cluster.h"
#include "rabbitmq_proto.h"

/* The per-queue counters a metrics scrape reads (rabbit_global_counters'
 * messages_dead_lettered, by queue here), in the history's stats records. */
typedef enum rmq_stat {
    RMQ_STAT_EXPIRED = 0,   /* left at the head past its TTL (dead-lettered or dropped) */
    RMQ_STAT_MAXLEN,        /* left by max-length: drop-head, or refused with reject-publish-dlx */
    RMQ_STAT_DEAD_LETTERED, /* republished to the dead-letter exchange */
    RMQ_STAT_DROPPED,       /* gone without a dead-letter exchange */
    RMQ_STAT_COUNT
} rmq_stat;

/* One publish of a channel in confirm or tx mode, waiting for its queues (R4): how many
 * answers it waits for from each node (a queue's master answers for it). */
typedef struct rmq_pending {
    uint16_t waiting[SCN_BROKERS_MAX];
    uint16_t left;         /* answers still to come */
    uint8_t nacked;        /* a queue refused it */
    uint8_t confirmed_any; /* a queue accepted it */
    uint8_t done;
} rmq_pending;

/* A client connection with its one channel, on the node it connected to. */
typedef struct rmq_channel {
    bool open;
    bool publisher;
    uint32_t client; /* the client's sim node id */
    uint32_t conn;   /* its connection number */
    uint32_t entry;  /* its producer or consumer entry */
    int64_t last_heard_us;
    /* publisher: publishes awaiting confirmation, by sequence number from first_seq */
    bl_ring pending;
    uint64_t first_seq;
    uint64_t next_seq;
    bool tx;          /* tx.select: publishes take effect at commit */
    uint64_t *tx_ids; /* publishes since the last commit */
    int32_t *tx_keys;
    uint32_t tx_count, tx_capacity;
    bool tx_persistent;
    uint32_t tx_size_bytes;
    bool commit_waiting;  /* a tx.commit waits for its publishes' confirms */
    bool tx_failed;       /* a publish of the waiting commit was nacked */
    uint64_t commit_upto; /* ... up to this seq (exclusive) */
    /* consumer */
    bool consuming;
    uint32_t queue;
    uint32_t prefetch; /* its basic.consume's, for a new master */
    bool no_ack;
    uint32_t consumes; /* basic.consume sent on for it (its own, and each move to a new
                          master): names the tags of each (RMQ_TAG_GENERATION) */
    uint64_t last_tag; /* of a quorum queue: the last delivery tag it passed on, and the
                          tags it asked its leader for again (a gap: gap_from..gap_to) */
    uint64_t gap_from, gap_to;
    /* a blocked publisher's packets the node has not read (rmq_msg *, in order) */
    bl_ring unread;
    bool flow_blocked; /* credit flow: a quorum queue's client has too much pending */
    /* publisher: its enqueues to each quorum queue (rabbitmq_quorum.c) */
    struct rmq_enqueuer *enqueuers;
    uint32_t enqueuer_count, enqueuer_capacity;
    /* consumer of a quorum queue: its settle commands awaiting `applied` (qq_settle) */
    bl_ring settles;
    uint64_t settle_next_seq;
    int64_t settle_sent_us;
} rmq_channel;

/* Confirms waiting for an fsync of one queue's index (up to 3.12). */
typedef struct rmq_fsync_wait {
    bool in_flight;
    uint64_t upto_bytes;
    rmq_confirm *confirms;
    uint32_t count, capacity;
} rmq_fsync_wait;

/* This node's replica of a queue: the queue's state, and what mirroring adds to it. */
typedef struct rmq_replica {
    rmq_queue queue;
    uint32_t generation; /* a new replica per (re)join: an fsync of an older one is stale */
    rmq_fsync_wait fsync;
    /* as a mirrored queue's master: what each mirror confirmed (sequence numbers below
     * it, by node), and the confirms to channels that wait for the mirrors */
    uint64_t mirror_upto[SCN_BROKERS_MAX];
    rmq_confirm *held;
    uint32_t held_count, held_capacity;
    /* as a mirror: which of the master's messages from unconfirmed_base it has written
     * (uint8_t each), and the bound it last told the master */
    bl_ring unconfirmed;
    uint64_t unconfirmed_base, sent_upto;
    /* as a master: when its TTL timer fires (ensure_ttl_timer; SIM_TIME_NEVER: none),
     * and what the last metrics scrape saw of its counters */
    int64_t ttl_timer_us;
    uint64_t scraped[RMQ_STAT_COUNT];
    /* a quorum queue's member (rabbitmq_quorum.c): `queue` is its state machine */
    struct rmq_quorum_member *quorum;
} rmq_replica;

typedef struct rmq_node {
    rmq_cluster *cluster;
    uint32_t index;
    sim_node *node;
    disk disk;
    rmq_channel **channels; /* by client sim node id; NULL where none ever connected */
    uint32_t channel_slots;
    /* its view of the other nodes: down (their rabbit is gone as it sees it: silent for
     * net_ticktime, reset, or paused), when it last heard their distribution, whether
     * that closed (the process is gone), whether they said they are paused
     * (pause_minority), and whether it saw them down while they ran on (a partition,
     * rabbit_node_monitor's `partitions`: their metadata and its own went apart) */
    bool peer_down[SCN_BROKERS_MAX];
    int64_t peer_heard_us[SCN_BROKERS_MAX];
    bool peer_reset[SCN_BROKERS_MAX];
    bool peer_paused[SCN_BROKERS_MAX];
    bool partitioned[SCN_BROKERS_MAX];
    /* cluster_partition_handling (R9): paused by pause_minority (its rabbit application
     * stopped, the Erlang node running on) */
    bool paused;
    uint32_t app_incarnation; /* +1 at every start of its rabbit application: an event of
                                 an older one is stale */
    /* resource alarms (R14, rabbit_disk_monitor, rabbit_alarm): its own disk alarm, the
     * alarms other nodes told it of, and whether its publishers are blocked */
    bool disk_alarm;
    bool peer_alarm[SCN_BROKERS_MAX];
    bool blocking;
    bool reading_unread;    /* update_blocking is reading a blocked connection's packets */
    uint64_t alarms_raised; /* times its disk alarm was set */
    bool queue_dirty[RMQ_QUEUES_MAX];      /* its queues with work for the end of the wake */
    rmq_replica *replicas[RMQ_QUEUES_MAX]; /* of the queues it is a member of, else NULL */
    uint32_t master_view[RMQ_QUEUES_MAX];  /* the node it takes for each queue's master */
    rmq_members *mirror_view;              /* queue_count: its copy of each mirrored queue's
                                              membership (its metadata store) */
    bool view_dirty[RMQ_QUEUES_MAX];       /* changed in this wake: sent at its end */
    disk_file *files[RMQ_QUEUES_MAX];      /* each durable queue's index on its disk, kept
                                              across its replicas */
    uint32_t replica_generations;
    struct rmq_outbox *outbox; /* packets built during the wake, sent at its end */
    uint32_t outbox_count, outbox_capacity;
    struct rmq_quorum_node *quorum; /* its WAL, aten, elections (rabbitmq_quorum.c) */
    sim_timer writeback_timer, tick_timer, heartbeat_timer, stats_timer, disk_timer, pause_timer;
} rmq_node;

rmq_node *rmq_node_create(rmq_cluster *cluster, uint32_t index, uint32_t sim_nodes_max);
void rmq_node_free(rmq_node *node);
/* Its replica of `queue` if it leads it now, else NULL (faults, the stop's phrase). */
const rmq_queue *rmq_node_led_queue(const rmq_node *node, uint32_t queue);

#endif
