/* rabbitmq_proto.h — the frames RabbitMQ-style clients and nodes exchange: AMQP 0-9-1
 * methods between a client and the node its connection is on (basic.publish, basic.ack
 * and basic.nack of confirms, tx.commit, basic.consume, basic.deliver, basic.ack of a
 * consumer, heartbeats), and the messages between nodes of a cluster: a channel on one
 * node handing a publish or an ack to a queue whose home is another (the classic queue's
 * proxying, R7), the queue's answers and deliveries, and the distribution's ticks.
 *
 * Every packet is one `rmq_msg` with its per-message arrays allocated alongside; its size
 * on the wire is the payload plus a fixed frame overhead per message and per method, so
 * inter-node bytes count what mirroring or proxying really sends (C12). */
#ifndef BL_RABBITMQ_PROTO_H
#define BL_RABBITMQ_PROTO_H

#include <stdbool.h>
#include <stdint.h>

/* AMQP 0-9-1 framing: a publish or a delivery is a method frame, a content header frame
 * and a body frame, each with 8 bytes of frame header and end; basic.deliver carries the
 * consumer tag, delivery tag, exchange and routing key. */
#define RMQ_PUBLISH_OVERHEAD_BYTES 80
#define RMQ_DELIVER_OVERHEAD_BYTES 100
#define RMQ_METHOD_BYTES           21         /* basic.ack / basic.nack / tx.commit / heartbeat */
#define RMQ_MSG_COUNT_MAX          (1u << 20) /* messages one packet carries */

typedef enum rmq_kind {
    /* client <-> its connection's node */
    RMQ_OPEN = 0,     /* connection.open + channel.open (+ confirm.select / tx.select: mode) */
    RMQ_PUBLISH,      /* ids, keys; first_seq: the channel's publish sequence number of the
                          first (confirm mode), persistent */
    RMQ_TX_COMMIT,    /* the publishes since the last commit take effect */
    RMQ_TX_COMMIT_OK, /* failed: a publish of the batch was nacked (the commit failed) */
    RMQ_CONFIRM,      /* seqs acked (flags[i] = 1: nacked) */
    RMQ_CONSUME,      /* queue, prefetch, no_ack */
    RMQ_CONSUME_OK,   /* queue */
    RMQ_CANCEL,       /* the broker cancelled the consumer (its queue is unavailable) */
    RMQ_DELIVER,      /* queue, ids, keys, first_tag (tags consecutive), flags = redelivered */
    RMQ_ACK,          /* tags (seqs[]) the consumer acknowledges */
    RMQ_HEARTBEAT,    /* either way, every heartbeat / 2 */
    RMQ_CLOSE,        /* node -> client: the broker closed the connection (connection.close,
                         then the socket FIN) */
    /* node <-> node */
    RMQ_NODE_ENQUEUE, /* channel (client) -> queue: ids, keys, seqs (0 = no confirm) */
    RMQ_NODE_CONFIRM, /* queue -> channel: seqs (flags: nacked) */
    RMQ_NODE_CONSUME, /* channel -> queue: a consumer (client) attaches */
    RMQ_NODE_CONSUME_OK,
    RMQ_NODE_CANCEL,  /* queue -> channel: the consumer is cancelled */
    RMQ_NODE_DELIVER, /* queue -> channel: as RMQ_DELIVER */
    RMQ_NODE_ACK,     /* channel -> queue: tags */
    RMQ_NODE_DETACH,  /* channel -> queue: the consumer's channel closed: requeue */
    RMQ_NODE_TICK,    /* the Erlang distribution's keepalive (mode: rmq_tick_mode) */
    RMQ_NODE_GM,      /* a mirrored queue's master -> a mirror: ops (flags: rmq_gm_op) on
                          messages by queue seq (seqs); publishes carry ids, keys, a body */
    RMQ_NODE_GM_ACK,  /* a mirror -> its master: it has written every message below
                          first_seq */
    RMQ_BLOCKED,      /* node -> publisher: connection.blocked (a resource alarm is in
                         effect somewhere in the cluster: the node stops reading the
                         publisher's socket) */
    RMQ_UNBLOCKED,    /* connection.unblocked */
    RMQ_NODE_ALARM,   /* rabbit_alarm: the sender's disk alarm is set (mode 1) or cleared */
    RMQ_QUEUE_DELETE, /* client -> its node: queue.delete of `queue` (C03) */
    RMQ_NODE_DELETE,  /* that node -> the queue's master: drop it and cancel its consumers */
    /* quorum queues (R10): a channel's enqueues and the member's answers
     * (rabbit_fifo_client), Ra's messages between members, aten's heartbeats */
    RMQ_NODE_QQ_ENQUEUE,        /* channel -> leader: ids, keys, origins; seqs: the enqueuer's
                            sequence numbers (client, conn, via: the enqueuer) */
    RMQ_NODE_QQ_APPLIED,        /* leader -> channel: seqs of its enqueues now applied */
    RMQ_NODE_QQ_REJECT,         /* a member that is not the leader -> channel: mode = the leader it
                            knows (node index, RMQ_NO_NODE: none) */
    RMQ_NODE_QQ_LEADER,         /* a new leader -> every node: term (rabbit_fifo's leader_change) */
    RMQ_NODE_QQ_SETTLE,         /* consumer's channel -> leader: per run of tags, ids: the
                            command's sequence number, seqs: the first tag, keys: the run */
    RMQ_NODE_QQ_SETTLED,        /* leader -> channel: seqs of its settle commands now applied */
    RMQ_NODE_QQ_MISSING,        /* channel -> leader: deliveries first_seq..first_tag it missed */
    RMQ_NODE_RAFT_APPEND,       /* term; index_a, index_b: prev index and term; commit;
                                   entries (count) */
    RMQ_NODE_RAFT_APPEND_REPLY, /* term; failed; index_a: its written (or last) index */
    RMQ_NODE_RAFT_VOTE,         /* term; index_a, index_b: last index and term; mode 1: pre */
    RMQ_NODE_RAFT_VOTE_REPLY,   /* term; failed: refused; mode 1: pre */
    RMQ_NODE_RAFT_SNAPSHOT,     /* term; index_a, index_b: its index and term; payload */
    RMQ_NODE_ATEN,              /* aten_emitter's heartbeat */
    /* a node -> the nodes sharing its metadata: its copy of a mirrored queue's
     * membership (payload: an rmq_members), a Mnesia write */
    RMQ_NODE_MEMBERS,
    RMQ_KIND_COUNT
} rmq_kind;

/* What a tick says besides "alive". */
typedef enum rmq_tick_mode {
    RMQ_TICK_ALIVE = 0,
    RMQ_TICK_STARTED = 1,      /* the sender's rabbit application started (booted, or resumed) */
    RMQ_TICK_PAUSED = 2,       /* its rabbit application is stopped, the Erlang node runs */
    RMQ_TICK_DISCONNECTED = 3, /* it saw this node down while this node ran: it closed their
                                  connection, which this node learns now (a partition) */
} rmq_tick_mode;

/* A broadcast's operations: 1..3 are rmq_change (rabbitmq_queue.h). */
enum {
    RMQ_GM_JOIN = 8,                /* seqs: the new mirror starts at this seq */
    RMQ_GM_PUBLISH_TRANSIENT = 9,   /* a message to add, delivery_mode 1 */
    RMQ_GM_PUBLISH_PERSISTENT = 10, /* ... delivery_mode 2 */
};
#define RMQ_GM_OP_BYTES      16 /* an operation without a body on the GM wire */
/* A Ra command on the wire or in the WAL besides an enqueue's body: the entry's index,
 * term and the command's fields (ra_log_wal's record header is 8 + 8 + 4 + checksum). */
#define RMQ_RAFT_ENTRY_BYTES 48

typedef struct rmq_msg {
    rmq_kind kind;
    uint32_t queue;      /* the run's queue index, for queue-related kinds */
    uint32_t client;     /* the client node id the channel belongs to */
    uint32_t via;        /* the node id of the client's connection (node kinds) */
    uint32_t conn;       /* the client's connection number: packets of an older one are
                            stale (a client numbers its connections from 1) */
    uint32_t count;      /* entries of the arrays */
    uint32_t prefetch;   /* RMQ_CONSUME */
    bool no_ack;         /* RMQ_CONSUME */
    bool persistent;     /* RMQ_PUBLISH, RMQ_NODE_ENQUEUE */
    bool failed;         /* RMQ_TX_COMMIT_OK */
    bool alarm;          /* RMQ_NODE_TICK: the sender's disk alarm is set */
    uint32_t mode;       /* RMQ_OPEN: rabbitmq_publish_mode, or UINT32_MAX for a consumer */
    uint32_t publisher;  /* RMQ_PUBLISH / ENQUEUE: the producer entry (its routing key) */
    uint64_t first_seq;  /* RMQ_PUBLISH: seq of ids[0] (0 = not in confirm mode) */
    uint64_t first_tag;  /* RMQ_DELIVER: delivery tag of ids[0] */
    uint32_t size_bytes; /* one message's body */
    uint64_t *ids;       /* message ids */
    int32_t *keys;       /* message keys (-1 none) */
    uint64_t *seqs;      /* publish seqs, or delivery tags (RMQ_ACK) */
    uint8_t *flags;      /* per entry: nacked (confirms), redelivered (deliveries) */
    uint32_t *origins;   /* per message of an enqueue, a GM broadcast or a delivery:
                            RMQ_ORIGIN (NULL elsewhere) */
    /* Ra's messages (RMQ_NODE_RAFT_*, RMQ_NODE_QQ_LEADER) */
    uint64_t term, index_a, index_b, commit;
    struct raft_entry *entries; /* RMQ_NODE_RAFT_APPEND: count of them (owned) */
    void *payload;              /* RMQ_NODE_RAFT_SNAPSHOT: the snapshot (owned) ... */
    void (*free_payload)(void *payload);
    uint64_t payload_bytes; /* ... and its size on the wire */
} rmq_msg;

/* Where a message comes from, as the queue that holds it keeps it: its producer entry
 * (the routing key it was published with), and for a dead letter the rmq_death it died
 * of and the queue it died in (its x-death header, R12). */
#define RMQ_ORIGIN(publisher, death, queue) \
    ((uint32_t)(publisher) << 24 | (uint32_t)(death) << 16 | (uint32_t)(queue))
#define RMQ_ORIGIN_PUBLISHER(origin) ((origin) >> 24)
#define RMQ_ORIGIN_DEATH(origin)     (((origin) >> 16) & 0xffu)
#define RMQ_ORIGIN_QUEUE(origin)     ((origin)&0xffffu)

/* A message of `kind` with room for `count` entries in the arrays it uses. */
rmq_msg *rmq_msg_new(rmq_kind kind, uint32_t count);
void rmq_msg_free(rmq_msg *msg);
/* sim_node_ops.free_data for every RabbitMQ node. */
void rmq_free_packet(uint32_t kind, void *data);
/* Bytes on the wire. */
uint32_t rmq_msg_size_bytes(const rmq_msg *msg);
const char *rmq_kind_name(rmq_kind kind);

#endif
