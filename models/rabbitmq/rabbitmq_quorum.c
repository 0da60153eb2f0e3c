/* rabbitmq_quorum.c — quorum queues (R10; RabbitMQ 3.8+, as 3.12-3.13 run them on Ra
 * 2.x): each queue is a Raft group (rabbitmq_raft.c) of `quorum_size` members, and every
 * operation on it is a command in its log, applied by every member to its copy of the
 * queue (rabbit_fifo, here an rmq_queue with no file), the leader alone carrying out the
 * effects (deliveries, confirms, consume-oks, dead letters).
 *
 * Enqueues and settles (rabbit_fifo_client). A channel numbers its enqueues to each
 * quorum queue from 1 and keeps them pending until the leader tells it they are applied;
 * then the publish is confirmed for that queue. It sends them to the leader it knows
 * of; a member that is not the leader rejects them naming the leader it knows, and the
 * channel resends every pending one there; so it does when a new leader announces
 * itself (rabbit_fifo's leader_change) and every 10 s while some stay pending
 * (?TIMER_TIME). The state machine keeps each enqueuer's next number and takes an
 * enqueue only in order: a resent one it has is applied again as a duplicate (answered,
 * not enqueued), one past a gap is not enqueued (rabbit_fifo:maybe_enqueue). So channel
 * resends never duplicate a message; a client's republish does. With 32 enqueues
 * pending the client is slow and the channel's socket is not read on (credit flow). A
 * consumer's acks are settle commands, kept and resent the same way (send_command keeps
 * every command); its channel passes on each delivery tag once, and a gap in them asks
 * the leader for the deliveries it missed (handle_delivery, get_missing_deliveries). A
 * basic.consume or a channel's close that reaches a follower goes on to its leader.
 *
 * The WAL (ra_log_wal). Every member on a node writes to the node's one WAL: what the
 * wake-up appended is written in one batch and synced (datasync), and only then does a
 * member learn it is written — a follower then answers its leader, the leader counts
 * itself. Kill -9 keeps what reached the page cache; a power loss keeps what was synced.
 * A member snapshots its state machine every 4096 applied commands (or more when the
 * queue holds more messages than that: a snapshot costs what the queue holds) and drops
 * the log below it; the WAL's front is released once every member's snapshot passed it.
 * A member that restarts takes its last snapshot (a simplification: written and synced
 * as it is taken) and its surviving log, and applies again as the commit index reaches
 * it; a follower too far behind gets the leader's snapshot.
 *
 * Failure detection (ra_server_proc). A follower starts an election when its leader's
 * node is seen down: when the distribution sees it go (Erlang's monitor says
 * noconnection: the `short` timeout, 101-600 ms; a killed process's connection resets at
 * once) or when aten stops hearing the node (its heartbeats every 100 ms, polled every
 * second: silence past 1.5 intervals; then the `long` timeout, 1001-2000 ms, unless one
 * is armed already); a message from the leader cancels it. A failed pre-vote waits the
 * `long` timeout, a candidate `short` then `medium` before standing again in a new term;
 * a restarted member `short`. The leader marks the consumers of a node the distribution
 * sees go suspected and returns what they held at once (3.12-3.13: {down, Pid,
 * noconnection}), gives them deliveries again when the node is back (nodeup), and removes
 * those whose channel closed or whose node restarted; a message returned more than
 * delivery_limit times is dead-lettered, or dropped without a dead-letter exchange. A cut
 * shorter than net_ticktime is not seen by the distribution, whose TCP connection would
 * carry what the cut held once it heals: the model's cut drops packets, so the leader
 * sends again, once aten hears the node again, what it delivered through it unsettled,
 * and the channel there passes on only tags it has not passed (TCP's sequence numbers).
 *
 * Not modelled: membership changes (members are fixed at declaration), TTL and length
 * limits on quorum queues, at-least-once dead-lettering, leader transfer on restart,
 * consumer_disconnected_timeout (4.3). */
#include "rabbitmq_quorum.h"

#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/rng.h"
#include "../../engine/vec.h"
#include "rabbitmq_node_internal.h"
#include "rabbitmq_raft.h"

#define QQ_SNAPSHOT_INTERVAL 4096u      /* rabbit_fifo's release cursor interval */
#define QQ_DEDUP_MAX         (1u << 16) /* enqueuers one state machine remembers */
#define QQ_PENDING_MAX       (1u << 20) /* a channel's enqueues awaiting `applied` */
#define QQ_OWED_MAX          (1u << 16) /* detaches a node holds for unknown leaders */
#define QQ_RESEND_US         10000000   /* rabbit_fifo_client ?TIMER_TIME */
#define QQ_SOFT_LIMIT        32u        /* rabbit_fifo_client ?SOFT_LIMIT: pending before slow */
#define QQ_BROADCAST_US      100000     /* ra ?DEFAULT_BROADCAST_TIME */
#define QQ_ATEN_POLL_US      1000000    /* aten poll_interval */
#define QQ_ATEN_HEARTBEAT_US 100000     /* aten heartbeat_interval */
#define QQ_ATEN_SILENCE_US   150000     /* scaling_factor 1.5 x the heartbeat interval */
#define QQ_TICK_US           5000000    /* rabbit_quorum_queue ?TICK_TIMEOUT */

/* One enqueuer the state machine deduplicates (rabbit_fifo #enqueuer{next_seqno}): the
 * channel's client and connection. */
typedef struct qq_dedup {
    uint32_t client, conn;
    uint64_t next_seq;
} qq_dedup;

typedef struct qq_snapshot {
    uint64_t index, term;
    rmq_queue queue;
    qq_dedup *dedup;
    uint32_t dedup_count;
} qq_snapshot;

typedef enum qq_timeout { QQ_SHORT = 0, QQ_MEDIUM, QQ_LONG } qq_timeout;

typedef struct rmq_quorum_member {
    raft_member raft;
    uint64_t applied; /* the state machine (the replica's queue) is at this index */
    qq_dedup *dedup;
    uint32_t dedup_count, dedup_capacity;
    qq_snapshot *snapshot;    /* NULL: none (index 0) */
    uint64_t wal_queued;      /* entries up to here have their record in the WAL */
    uint64_t wal_sync_upto;   /* ... and the WAL's fsync in flight covers up to here */
    uint64_t replied_written; /* a follower: the written index it last told its leader */
    uint64_t commit_sent[SCN_BROKERS_MAX]; /* a leader: the commit index each peer has */
    uint64_t compacted_wal_end;            /* the WAL offset its snapshot covers */
    uint32_t election_token; /* its election timer: events of other tokens are stale */
    bool election_armed;
    uint32_t dedup_last;   /* the enqueuer found last (consecutive enqueues share one) */
    bool election_by_aten; /* armed because aten lost its leader's node */
    int64_t tick_due_us;   /* a leader: its next tick (stale peers resent) */
} rmq_quorum_member;

/* A consumer channel's settle command awaiting `applied` (rabbit_fifo_client's pending:
 * send_command keeps every command it sends, and resends them as it resends enqueues). */
typedef struct qq_settle {
    uint64_t seq, tag;
    uint32_t count;
} qq_settle;

/* A channel's enqueue awaiting `applied` (rabbit_fifo_client's pending). */
typedef struct qq_pending {
    uint64_t enq_seq, confirm_seq, msg_id;
    int32_t key;
    uint32_t origin, size_bytes;
    bool persistent;
} qq_pending;

typedef struct rmq_enqueuer {
    uint32_t queue;
    uint64_t next_seq;
    bl_ring pending; /* qq_pending, by enq_seq */
    int64_t sent_us; /* when it last sent (or resent) */
} rmq_enqueuer;

typedef struct qq_owed {
    uint32_t queue, client, conn;
} qq_owed;

typedef struct rmq_quorum_node {
    bool any; /* the cluster has quorum queues */
    disk_file *wal;
    bool wal_syncing;
    uint64_t wal_sync_bytes;
    gsl_rng *rng;
    int64_t aten_heard_us[SCN_BROKERS_MAX];
    bool aten_down[SCN_BROKERS_MAX];
    uint32_t aten_beats;
    uint64_t leader_term[RMQ_QUEUES_MAX]; /* the newest leader announced, by queue */
    uint32_t guesses[RMQ_QUEUES_MAX];     /* find_leaders' turn, by queue */
    qq_owed *owed;
    uint32_t owed_count, owed_capacity;
    sim_timer aten_timer;
} rmq_quorum_node;

/* ---- small helpers ---- */

static rmq_quorum_member *member_of(const rmq_node *node, uint32_t queue)
{
    const rmq_replica *r = node->replicas[queue];
    return r != NULL ? r->quorum : NULL;
}

static bool leads(const rmq_node *node, uint32_t queue)
{
    const rmq_quorum_member *m = member_of(node, queue);
    return m != NULL && m->raft.role == RAFT_LEADER;
}

static uint32_t wal_record_bytes(const rmq_node *node, uint32_t queue, const raft_entry *e)
{
    return RMQ_RAFT_ENTRY_BYTES +
           (e->op == RAFT_OP_ENQUEUE ? rmq_node_def(node, queue)->size_bytes : 0);
}

static int64_t timeout_us(rmq_node *node, qq_timeout kind)
{
    gsl_rng *rng = node->quorum->rng;
    switch (kind) { /* ra_server_proc election_timeout_action */
    case QQ_SHORT:
        return (int64_t)(gsl_rng_uniform_int(rng, 5 * QQ_BROADCAST_US) + 1) + QQ_BROADCAST_US;
    case QQ_MEDIUM:
        return (int64_t)(gsl_rng_uniform_int(rng, QQ_ATEN_POLL_US) + 1) + QQ_BROADCAST_US;
    case QQ_LONG:
    default: return (int64_t)(gsl_rng_uniform_int(rng, 10 * QQ_BROADCAST_US) + 1) + QQ_ATEN_POLL_US;
    }
}

/* Arms its election timer; with keep, one already armed stays (ra_server_proc
 * maybe_set_election_timeout). */
static void arm_election(rmq_node *node, uint32_t queue, qq_timeout kind, bool by_aten, bool keep)
{
    rmq_quorum_member *m = member_of(node, queue);
    if (keep && m->election_armed) return;
    m->election_token++;
    m->election_armed = true;
    m->election_by_aten = by_aten;
    sim_schedule(node->node, sim_now_us() + timeout_us(node, kind), NODE_EVENT_ELECTION, queue,
                 (uint64_t)node->app_incarnation << 32 | m->election_token, NULL);
}

static void cancel_election(rmq_quorum_member *m)
{
    m->election_token++;
    m->election_armed = false;
    m->election_by_aten = false;
}

/* ---- the state machine (rabbit_fifo) ---- */

static void state_dead_letter(void *ctx, uint32_t queue, const rmq_entry *e, rmq_death reason)
{
    rmq_node *node = ctx;
    if (leads(node, queue)) rmq_node_dead_letter(node, queue, e, reason); /* an effect */
}

static void state_init(rmq_node *node, uint32_t queue, rmq_queue *q)
{
    const rmq_queue_def *def = rmq_node_def(node, queue);
    rmq_queue_init(q, queue, false, def->size_bytes, NULL); /* its log is its durability */
    q->single_active = def->single_active;
    rmq_queue_set_limits(q, &def->limits, state_dead_letter, node);
}

static qq_dedup *dedup_of(rmq_quorum_member *m, uint32_t client)
{
    if (m->dedup_last < m->dedup_count && m->dedup[m->dedup_last].client == client)
        return &m->dedup[m->dedup_last];
    for (uint32_t i = 0; i < m->dedup_count; i++)
        if (m->dedup[i].client == client) {
            m->dedup_last = i;
            return &m->dedup[i];
        }
    BL_GROW(m->dedup, m->dedup_capacity, (uint64_t)m->dedup_count + 1, QQ_DEDUP_MAX,
            "a quorum queue's enqueuers (one per client)");
    m->dedup_last = m->dedup_count;
    qq_dedup *d = &m->dedup[m->dedup_count++];
    *d = (qq_dedup){.client = client, .conn = 0, .next_seq = 1};
    return d;
}

/* Assigns what the consumers have room for; the leader sends it. */
static void checkout(rmq_node *node, uint32_t queue, rmq_queue *q, bool leader)
{
    if (leader) {
        rmq_node_deliver_ready(node, queue, q);
        return;
    }
    uint32_t slot;
    rmq_entry *entry;
    uint64_t tag;
    while (rmq_queue_next_delivery(q, &slot, &entry, &tag)) {
    }
}

static void apply(rmq_node *node, uint32_t queue, rmq_quorum_member *m, const raft_entry *e)
{
    rmq_queue *q = &node->replicas[queue]->queue;
    bool leader = m->raft.role == RAFT_LEADER;
    switch ((raft_op)e->op) {
    case RAFT_OP_NOOP: break;
    case RAFT_OP_ENQUEUE: {
        bool take = true;
        if (e->client != RAFT_NONE) { /* a tracked enqueuer (not a dead letter) */
            qq_dedup *d = dedup_of(m, e->client);
            if (e->conn > d->conn)
                *d = (qq_dedup){.client = e->client, .conn = e->conn, .next_seq = 1};
            if (e->conn == d->conn) {
                if (e->seq > d->next_seq) break; /* out of sequence: not enqueued, stays pending */
                take = e->seq == d->next_seq;    /* else a duplicate: answered, not enqueued */
#ifdef BROKERLAB_MUTANT_QQ_NO_DEDUP
                take = true; /* mutant: a resent enqueue is enqueued again */
#endif
                if (take) d->next_seq++;
                if (leader) {
                    rmq_outbox *box = rmq_outbox_for(node, e->via, RMQ_NODE_QQ_APPLIED, e->client,
                                                     queue, e->conn);
                    rmq_outbox_add(box, 0, -1, e->seq, 0, 0);
                }
            } /* (an older connection's, still in flight: enqueued as it came) */
        }
        if (!take) break;
        rmq_publish publish = {.msg_id = e->msg_id,
                               .key = e->key,
                               .persistent = (e->flags & RAFT_FLAG_PERSISTENT) != 0,
                               .publisher = (uint16_t)RMQ_ORIGIN_PUBLISHER(e->origin),
                               .death = (uint8_t)RMQ_ORIGIN_DEATH(e->origin),
                               .death_queue = (uint16_t)RMQ_ORIGIN_QUEUE(e->origin)};
        rmq_publish_result result = rmq_queue_publish(q, &publish, 0);
        BL_ASSERT(result != RMQ_PUBLISH_REJECTED); /* no length limit on a quorum queue here */
        break;
    }
    case RAFT_OP_CHECKOUT: {
        uint32_t slot = rmq_queue_consumer_of(q, e->client);
        if (slot != RMQ_NO_CONSUMER) rmq_queue_detach(q, slot); /* its old channel's */
        slot = rmq_queue_attach(q, e->client, e->via, e->origin, (e->flags & RAFT_FLAG_NO_ACK) != 0,
                                e->seq);
        q->consumers[slot].conn = e->conn;
        if (leader) {
            rmq_msg *ok = rmq_msg_new(RMQ_NODE_CONSUME_OK, 0);
            ok->queue = queue;
            ok->client = e->client;
            ok->conn = e->conn;
            rmq_node_send(node, e->via, ok);
        }
        break;
    }
    case RAFT_OP_SETTLE: {
        if (leader && (e->flags & RAFT_FLAG_TRACKED) != 0) {
            rmq_outbox *box =
                rmq_outbox_for(node, e->via, RMQ_NODE_QQ_SETTLED, e->client, queue, e->conn);
            rmq_outbox_add(box, 0, -1, e->msg_id, 0, 0);
        }
        uint32_t slot = rmq_queue_consumer_of(q, e->client);
        if (slot == RMQ_NO_CONSUMER || q->consumers[slot].conn != e->conn) break;
        for (uint32_t i = 0; i < e->origin; i++) {
            uint64_t tag = e->seq + i;
            if (tag <= q->consumers[slot].tag_base) continue;
            (void)rmq_queue_ack(q, slot, tag); /* a tag returned meanwhile is no longer held */
        }
        break;
    }
    case RAFT_OP_DOWN: {
        uint32_t slot = rmq_queue_consumer_of(q, e->client);
        if (slot != RMQ_NO_CONSUMER && q->consumers[slot].conn == e->conn)
            rmq_queue_detach(q, slot);
        break;
    }
    case RAFT_OP_SUSPECT: /* {down, Pid, noconnection}: its node's consumers return all */
    case RAFT_OP_NODEUP:  /* {nodeup, Node}: they are up again */
        for (uint32_t c = 0; c < q->consumer_count; c++) {
            rmq_consumer_slot *slot = &q->consumers[c];
            if (!slot->attached || slot->via != e->via) continue;
            if (e->op == RAFT_OP_SUSPECT) {
                rmq_queue_return_all(q, c);
                slot->suspected = true;
            } else {
                slot->suspected = false;
            }
        }
        break;
    default: BL_ASSERTF(false, "quorum queue %u: command %u", (unsigned)queue, (unsigned)e->op);
    }
    checkout(node, queue, q, leader);
}

/* ---- snapshots ---- */

static void snapshot_free(void *p)
{
    qq_snapshot *s = p;
    if (s == NULL) return;
    rmq_queue_free(&s->queue);
    free(s->dedup);
    free(s);
}

static qq_snapshot *snapshot_copy(const rmq_queue *q, const qq_dedup *dedup, uint32_t count,
                                  uint64_t index, uint64_t term)
{
    qq_snapshot *s = calloc(1, sizeof *s);
    BL_ASSERT(s != NULL);
    s->index = index;
    s->term = term;
    rmq_queue_clone(&s->queue, q);
    s->dedup_count = count;
    if (count > 0) {
        s->dedup = malloc(count * sizeof *s->dedup);
        BL_ASSERT(s->dedup != NULL);
        memcpy(s->dedup, dedup, count * sizeof *dedup);
    }
    return s;
}

/* The member's state machine and enqueuers become the snapshot's. */
/* The member's state machine and enqueuers become the snapshot's. */
static void restore(rmq_node *node, uint32_t queue, rmq_quorum_member *m, const qq_snapshot *s)
{
    rmq_queue *q = &node->replicas[queue]->queue;
    rmq_queue_free(q);
    m->dedup_count = m->dedup_last = 0;
    if (s == NULL) {
        state_init(node, queue, q);
        m->applied = 0;
        return;
    }
    rmq_queue_clone(q, &s->queue);
    /* the clone's dead letters are this node's (a snapshot may come from the leader) */
    rmq_queue_set_limits(q, &rmq_node_def(node, queue)->limits, state_dead_letter, node);
    if (s->dedup_count > 0) {
        BL_GROW(m->dedup, m->dedup_capacity, s->dedup_count, QQ_DEDUP_MAX,
                "a quorum queue's enqueuers (one per client)");
        memcpy(m->dedup, s->dedup, s->dedup_count * sizeof *s->dedup);
    }
    m->dedup_count = s->dedup_count;
    m->applied = s->index;
}

/* The WAL's front is released once every member's snapshot is past it. */
static void release_wal(rmq_node *node)
{
    uint64_t keep_from = UINT64_MAX;
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        const rmq_quorum_member *m = member_of(node, q);
        if (m != NULL && m->compacted_wal_end < keep_from) keep_from = m->compacted_wal_end;
    }
    disk_file *wal = node->quorum->wal;
    if (keep_from == UINT64_MAX || wal == NULL) return;
    if (keep_from > wal->durable_bytes) keep_from = wal->durable_bytes;
    if (keep_from > wal->start_bytes) disk_release_front(&node->disk, wal, keep_from);
}

static void maybe_snapshot(rmq_node *node, uint32_t queue, rmq_quorum_member *m)
{
    rmq_queue *q = &node->replicas[queue]->queue;
    uint64_t held = bl_ring_count(&q->table);
    uint64_t interval = 2 * held > QQ_SNAPSHOT_INTERVAL ? 2 * held : QQ_SNAPSHOT_INTERVAL;
    if (m->applied - m->raft.snapshot_index < interval) return;
    uint64_t wal_end = raft_entry_at(&m->raft, m->applied)->wal_end;
    snapshot_free(m->snapshot);
    m->snapshot =
        snapshot_copy(q, m->dedup, m->dedup_count, m->applied, raft_term_at(&m->raft, m->applied));
    raft_compact(&m->raft, m->applied);
    if (m->wal_queued < m->applied) m->wal_queued = m->applied;
    if (wal_end > 0) {
        m->compacted_wal_end = wal_end;
        release_wal(node);
    }
}

/* ---- the channel's side (rabbit_fifo_client) ---- */

static rmq_enqueuer *enqueuer_of(rmq_channel *ch, uint32_t queue, bool create)
{
    for (uint32_t i = 0; i < ch->enqueuer_count; i++)
        if (ch->enqueuers[i].queue == queue) return &ch->enqueuers[i];
    if (!create) return NULL;
    BL_GROW(ch->enqueuers, ch->enqueuer_capacity, (uint64_t)ch->enqueuer_count + 1, RMQ_QUEUES_MAX,
            "a channel's quorum queues");
    rmq_enqueuer *enq = &ch->enqueuers[ch->enqueuer_count++];
    if (enq->pending.capacity_max == 0) /* a slot never used: its ring is new */
        BL_RING_INIT(&enq->pending, qq_pending, QQ_PENDING_MAX,
                     "a channel's quorum enqueues pending");
    bl_ring_clear(&enq->pending);
    enq->queue = queue;
    enq->next_seq = 1;
    enq->sent_us = 0;
    return enq;
}

static bool leader_known(const rmq_node *node, uint32_t queue)
{
    uint32_t leader = node->master_view[queue];
    return leader != RMQ_NO_NODE && (leader == node->index || !node->peer_down[leader]);
}

static void send_enqueue(rmq_node *node, rmq_channel *ch, uint32_t queue, const qq_pending *p)
{
    rmq_outbox *box = rmq_outbox_for(node, rmq_node_sim_id(node, node->master_view[queue]),
                                     RMQ_NODE_QQ_ENQUEUE, ch->client, queue, ch->conn);
    box->size_bytes = p->size_bytes;
    box->persistent = p->persistent;
    rmq_outbox_add(box, p->msg_id, p->key, p->enq_seq, 0, p->origin);
}

/* resend_all_pending: every pending enqueue again, in order, to the leader it knows. */
static void resend_all(rmq_node *node, rmq_channel *ch, rmq_enqueuer *enq)
{
    if (!leader_known(node, enq->queue)) return;
    uint32_t count = bl_ring_count(&enq->pending);
    for (uint32_t i = 0; i < count; i++)
        send_enqueue(node, ch, enq->queue, BL_RING_AT(&enq->pending, qq_pending, i));
    enq->sent_us = sim_now_us();
}

void rmq_quorum_route(rmq_node *node, rmq_channel *ch, uint32_t queue, uint64_t msg_id, int32_t key,
                      uint64_t seq, bool persistent, uint32_t origin, uint32_t size_bytes)
{
    rmq_enqueuer *enq = enqueuer_of(ch, queue, true);
    qq_pending *p = BL_RING_PUSH_BACK(&enq->pending, qq_pending);
    *p = (qq_pending){.enq_seq = enq->next_seq++,
                      .confirm_seq = seq,
                      .msg_id = msg_id,
                      .key = key,
                      .origin = origin,
                      .size_bytes = size_bytes,
                      .persistent = persistent};
    /* more than ?SOFT_LIMIT pending: the client is slow and blocks the channel (credit
     * flow), so a publisher's channel has about that many enqueues in flight */
    if (bl_ring_count(&enq->pending) > QQ_SOFT_LIMIT) rmq_node_channel_flow(node, ch, true);
    if (!leader_known(node, queue)) return; /* held until a leader is known */
    if (bl_ring_count(&enq->pending) == 1) enq->sent_us = sim_now_us();
    send_enqueue(node, ch, queue, p);
}

/* No enqueuer of the channel is past the soft limit. */
static bool channel_fast(const rmq_channel *ch)
{
    for (uint32_t i = 0; i < ch->enqueuer_count; i++)
        if (bl_ring_count(&ch->enqueuers[i].pending) >= QQ_SOFT_LIMIT) return false;
    return true;
}

static void on_applied(rmq_node *node, const rmq_msg *msg)
{
    rmq_channel *ch = rmq_node_channel(node, msg->client);
    if (ch == NULL || !ch->open || ch->conn != msg->conn) return;
    rmq_enqueuer *enq = enqueuer_of(ch, msg->queue, false);
    if (enq == NULL) return;
    for (uint32_t i = 0; i < msg->count; i++)
        while (bl_ring_count(&enq->pending) > 0 &&
               BL_RING_FRONT(&enq->pending, qq_pending)->enq_seq <= msg->seqs[i]) {
            uint64_t confirm_seq = BL_RING_FRONT(&enq->pending, qq_pending)->confirm_seq;
            bl_ring_pop_front(&enq->pending);
            enq->sent_us = sim_now_us();
            if (confirm_seq != 0) rmq_node_quorum_confirmed(node, ch, confirm_seq);
            if (!ch->open) return;
        }
    if (ch->flow_blocked && channel_fast(ch)) rmq_node_channel_flow(node, ch, false); /* < 32 */
}

static void send_settles(rmq_node *node, rmq_channel *ch, uint32_t from);

/* A leader is known for `queue` (announced, or named by a reject): what waited for it
 * goes there. */
static void leader_found(rmq_node *node, uint32_t queue)
{
    if (!leader_known(node, queue)) return;
    for (uint32_t id = 0; id < node->channel_slots; id++) {
        rmq_channel *ch = node->channels[id];
        if (ch == NULL || !ch->open) continue;
        if (!ch->publisher) {
            if (ch->queue == queue && ch->settles.capacity_max != 0) send_settles(node, ch, 0);
            continue;
        }
        rmq_enqueuer *enq = enqueuer_of(ch, queue, false);
        if (enq != NULL && bl_ring_count(&enq->pending) > 0) resend_all(node, ch, enq);
    }
    rmq_quorum_node *qn = node->quorum;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < qn->owed_count; i++) {
        qq_owed owed = qn->owed[i];
        if (owed.queue != queue) {
            qn->owed[kept++] = owed;
            continue;
        }
        rmq_msg *detach = rmq_msg_new(RMQ_NODE_DETACH, 0);
        detach->queue = queue;
        detach->client = owed.client;
        detach->conn = owed.conn;
        rmq_node_send(node, rmq_node_sim_id(node, node->master_view[queue]), detach);
    }
    qn->owed_count = kept;
}

/* This node takes `leader` for the queue's leader; what waited for one goes there when it
 * is news, or always with `announced` (rabbit_fifo_client: leader_change resends all). */
static void set_leader_view(rmq_node *node, uint32_t queue, uint32_t leader, bool announced)
{
    if (node->master_view[queue] == leader && !announced) return;
    node->master_view[queue] = leader;
    leader_found(node, queue);
}

void rmq_quorum_channel_closed(rmq_node *node, rmq_channel *ch)
{
    for (uint32_t i = 0; i < ch->enqueuer_count; i++) bl_ring_clear(&ch->enqueuers[i].pending);
    ch->enqueuer_count = 0;
    bl_ring_clear(&ch->settles);
    if (ch->publisher || !ch->consuming) return;
    if (leader_known(node, ch->queue)) {
        rmq_msg *detach = rmq_msg_new(RMQ_NODE_DETACH, 0);
        detach->queue = ch->queue;
        detach->client = ch->client;
        detach->conn = ch->conn;
        rmq_node_send(node, rmq_node_sim_id(node, node->master_view[ch->queue]), detach);
        return;
    }
    rmq_quorum_node *qn = node->quorum;
    BL_GROW(qn->owed, qn->owed_capacity, (uint64_t)qn->owed_count + 1, QQ_OWED_MAX,
            "consumer detaches waiting for a quorum queue's leader");
    qn->owed[qn->owed_count++] =
        (qq_owed){.queue = ch->queue, .client = ch->client, .conn = ch->conn};
}

void rmq_quorum_channel_free(rmq_channel *ch)
{
    for (uint32_t i = 0; i < ch->enqueuer_capacity && ch->enqueuers != NULL; i++)
        bl_ring_free(&ch->enqueuers[i].pending);
    free(ch->enqueuers);
    ch->enqueuers = NULL;
    ch->enqueuer_count = ch->enqueuer_capacity = 0;
}

/* ---- commands at the member a channel reached ---- */

static void reject(rmq_node *node, const rmq_msg *msg, uint32_t hint)
{
    rmq_msg *no = rmq_msg_new(RMQ_NODE_QQ_REJECT, 0);
    no->queue = msg->queue;
    no->client = msg->client;
    no->conn = msg->conn;
    no->mode = hint;
    rmq_node_send(node, msg->via, no);
}

static void append(rmq_node *node, uint32_t queue, const raft_entry *e)
{
    rmq_quorum_member *m = member_of(node, queue);
    BL_ASSERT(m != NULL && m->raft.role == RAFT_LEADER);
    raft_append(&m->raft, e);
    node->queue_dirty[queue] = true;
}

static void on_qq_enqueue(rmq_node *node, const rmq_msg *msg)
{
    rmq_quorum_member *m = member_of(node, msg->queue);
    if (m == NULL || m->raft.role != RAFT_LEADER) {
        reject(node, msg, m != NULL ? m->raft.leader : node->master_view[msg->queue]);
        return;
    }
    for (uint32_t i = 0; i < msg->count; i++) {
        raft_entry e = {.op = RAFT_OP_ENQUEUE,
                        .msg_id = msg->ids[i],
                        .key = msg->keys[i],
                        .seq = msg->seqs[i],
                        .client = msg->client,
                        .conn = msg->conn,
                        .via = msg->via,
                        .origin = msg->origins[i],
                        .flags = msg->persistent ? RAFT_FLAG_PERSISTENT : 0};
        append(node, msg->queue, &e);
    }
}

void rmq_quorum_on_enqueue(rmq_node *node, const rmq_msg *msg)
{
    if (!leads(node, msg->queue)) return; /* untracked_enqueue: dropped off the leader */
    for (uint32_t i = 0; i < msg->count; i++) {
        raft_entry e = {.op = RAFT_OP_ENQUEUE,
                        .msg_id = msg->ids[i],
                        .key = msg->keys[i],
                        .client = RAFT_NONE,
                        .origin = msg->origins[i],
                        .flags = msg->persistent ? RAFT_FLAG_PERSISTENT : 0};
        append(node, msg->queue, &e);
    }
}

/* A follower's leader, when it knows one it can reach (what it passes commands on to);
 * RAFT_NONE otherwise. */
static uint32_t leader_to_forward_to(const rmq_node *node, uint32_t queue)
{
    const rmq_quorum_member *m = member_of(node, queue);
    uint32_t leader = m != NULL ? m->raft.leader : RAFT_NONE;
    if (leader == RAFT_NONE || leader == node->index || node->peer_down[leader]) return RAFT_NONE;
    return leader;
}

void rmq_quorum_on_consume(rmq_node *node, const rmq_msg *msg)
{
    if (!leads(node, msg->queue)) {
        /* a follower passes the checkout on to the leader it knows (ra's redirect, and
         * rabbit_fifo_client tries every member); with none, the consumer is cancelled
         * and retries */
        uint32_t leader = leader_to_forward_to(node, msg->queue);
        bool forward = leader != RAFT_NONE;
        rmq_msg *out = rmq_msg_new(forward ? RMQ_NODE_CONSUME : RMQ_NODE_CANCEL, 0);
        out->queue = msg->queue;
        out->client = msg->client;
        out->conn = msg->conn;
        out->via = msg->via;
        out->prefetch = msg->prefetch;
        out->no_ack = msg->no_ack;
        out->first_seq = msg->first_seq;
        rmq_node_send(node, forward ? rmq_node_sim_id(node, leader) : msg->via, out);
        return;
    }
    raft_entry e = {.op = RAFT_OP_CHECKOUT,
                    .client = msg->client,
                    .conn = msg->conn,
                    .via = msg->via,
                    .seq = RMQ_TAG_GENERATION(msg->first_seq),
                    .origin = msg->prefetch,
                    .flags = msg->no_ack ? RAFT_FLAG_NO_ACK : 0};
    append(node, msg->queue, &e);
}

void rmq_quorum_on_ack(rmq_node *node, const rmq_msg *msg)
{
    if (!leads(node, msg->queue)) {
        const rmq_quorum_member *m = member_of(node, msg->queue);
        reject(node, msg, m != NULL ? m->raft.leader : node->master_view[msg->queue]);
        return;
    }
    for (uint32_t i = 0; i < msg->count; i++) { /* rabbit_fifo's #settle{msg_ids} */
        raft_entry e = {.op = RAFT_OP_SETTLE,
                        .client = msg->client,
                        .conn = msg->conn,
                        .via = msg->via,
                        .msg_id = msg->ids[i],
                        .seq = msg->seqs[i],
                        .origin = (uint32_t)msg->keys[i],
                        .flags = RAFT_FLAG_TRACKED};
        append(node, msg->queue, &e);
    }
}

static void send_settles(rmq_node *node, rmq_channel *ch, uint32_t from)
{
    if (!leader_known(node, ch->queue)) return;
    uint32_t count = bl_ring_count(&ch->settles);
    if (from >= count) return;
    rmq_outbox *box = rmq_outbox_for(node, rmq_node_sim_id(node, node->master_view[ch->queue]),
                                     RMQ_NODE_QQ_SETTLE, ch->client, ch->queue, ch->conn);
    for (uint32_t i = from; i < count; i++) {
        const qq_settle *s = BL_RING_AT(&ch->settles, qq_settle, i);
        rmq_outbox_add(box, s->seq, (int32_t)s->count, s->tag, 0, 0);
    }
    ch->settle_sent_us = sim_now_us();
}

void rmq_quorum_settle(rmq_node *node, rmq_channel *ch, const rmq_msg *ack)
{
    if (ch->settles.capacity_max == 0)
        BL_RING_INIT(&ch->settles, qq_settle, QQ_PENDING_MAX,
                     "a consumer channel's quorum settles pending");
    uint32_t from = bl_ring_count(&ch->settles);
    for (uint32_t i = 0; i < ack->count;) { /* one command per run of consecutive tags */
        uint32_t run = 1;
        while (i + run < ack->count && ack->seqs[i + run] == ack->seqs[i] + run) run++;
        *BL_RING_PUSH_BACK(&ch->settles, qq_settle) =
            (qq_settle){.seq = ++ch->settle_next_seq, .tag = ack->seqs[i], .count = run};
        i += run;
    }
    send_settles(node, ch, from);
}

static void on_settled(rmq_node *node, const rmq_msg *msg)
{
    rmq_channel *ch = rmq_node_channel(node, msg->client);
    if (ch == NULL || !ch->open || ch->conn != msg->conn) return;
    for (uint32_t i = 0; i < msg->count; i++)
        while (bl_ring_count(&ch->settles) > 0 &&
               BL_RING_FRONT(&ch->settles, qq_settle)->seq <= msg->seqs[i]) {
            bl_ring_pop_front(&ch->settles);
            ch->settle_sent_us = sim_now_us();
        }
}

void rmq_quorum_on_detach(rmq_node *node, const rmq_msg *msg)
{
    if (!leads(node, msg->queue)) {
        /* the leader's monitor of the channel is what fires: a member passes it on */
        uint32_t leader = leader_to_forward_to(node, msg->queue);
        if (leader == RAFT_NONE) return;
        rmq_msg *out = rmq_msg_new(RMQ_NODE_DETACH, 0);
        out->queue = msg->queue;
        out->client = msg->client;
        out->conn = msg->conn;
        rmq_node_send(node, rmq_node_sim_id(node, leader), out);
        return;
    }
    raft_entry e = {.op = RAFT_OP_DOWN, .client = msg->client, .conn = msg->conn};
    append(node, msg->queue, &e);
}

/* The leader's monitors: consumers whose node it sees down, or whose channel on this
 * node is gone, are returned (rabbit_fifo handle_down). */
/* The leader's monitors (rabbit_fifo handle_down, 3.12-3.13): the consumers on a node
 * the distribution sees go are suspected and return everything at once; they get
 * deliveries again when it is up (nodeup); those whose process is gone (a restarted
 * node, a closed channel here) are removed. */
static void monitor_node(rmq_node *node, uint32_t queue, uint32_t peer, raft_op op)
{
    const rmq_queue *q = &node->replicas[queue]->queue;
    uint32_t peer_id = rmq_node_sim_id(node, peer);
    bool any = false;
    for (uint32_t c = 0; c < q->consumer_count; c++) {
        const rmq_consumer_slot *slot = &q->consumers[c];
        if (!slot->attached || slot->via != peer_id) continue;
        if (op == RAFT_OP_DOWN) {
            raft_entry e = {.op = RAFT_OP_DOWN, .client = slot->client, .conn = slot->conn};
            append(node, queue, &e);
        }
        any = any || (op == RAFT_OP_SUSPECT && !slot->suspected) ||
              (op == RAFT_OP_NODEUP && slot->suspected);
    }
    if (!any || op == RAFT_OP_DOWN) return;
    raft_entry e = {.op = op, .via = peer_id};
    append(node, queue, &e);
}

static void down_closed_channels(rmq_node *node, uint32_t queue)
{
    const rmq_queue *q = &node->replicas[queue]->queue;
    for (uint32_t c = 0; c < q->consumer_count; c++) {
        const rmq_consumer_slot *slot = &q->consumers[c];
        if (!slot->attached || slot->via != rmq_node_sim_id(node, node->index)) continue;
        const rmq_channel *ch = rmq_node_channel(node, slot->client);
        if (ch != NULL && ch->open && ch->conn == slot->conn) continue;
        raft_entry e = {.op = RAFT_OP_DOWN, .client = slot->client, .conn = slot->conn};
        append(node, queue, &e);
    }
}

/* ---- Raft's messages ---- */

static void send_vote(rmq_node *node, uint32_t queue, bool pre)
{
    rmq_quorum_member *m = member_of(node, queue);
    for (uint32_t i = 0; i < m->raft.member_count; i++) {
        uint32_t peer = m->raft.members[i];
        if (peer == node->index) continue;
        rmq_msg *vote = rmq_msg_new(RMQ_NODE_RAFT_VOTE, 0);
        vote->queue = queue;
        vote->term = m->raft.term;
        vote->index_a = raft_last_index(&m->raft);
        vote->index_b = raft_last_term(&m->raft);
        vote->mode = pre ? 1 : 0;
        rmq_node_send(node, rmq_node_sim_id(node, peer), vote);
    }
}

static void became_leader(rmq_node *node, uint32_t queue)
{
    rmq_quorum_member *m = member_of(node, queue);
    rmq_queue_def *def = rmq_node_def(node, queue);
    cancel_election(m);
    def->master = node->index; /* the queue record's leader (rabbit_quorum_queue) */
    node->quorum->leader_term[queue] = m->raft.term;
    memset(m->commit_sent, 0, sizeof m->commit_sent);
    m->tick_due_us = sim_now_us() + QQ_TICK_US;
    for (uint32_t n = 0; n < node->cluster->node_count; n++) { /* leader_change */
        if (n == node->index) continue;
        rmq_msg *notice = rmq_msg_new(RMQ_NODE_QQ_LEADER, 0);
        notice->queue = queue;
        notice->term = m->raft.term;
        rmq_node_send(node, rmq_node_sim_id(node, n), notice);
    }
    /* its state machine is as far as it applied: the consumers it holds are monitored
     * again (state_enter leader), the dead ones returned */
    for (uint32_t n = 0; n < node->cluster->node_count; n++)
        if (n != node->index && node->peer_down[n]) monitor_node(node, queue, n, RAFT_OP_SUSPECT);
    down_closed_channels(node, queue);
    node->master_view[queue] = RMQ_NO_NODE;
    set_leader_view(node, queue, node->index, true);
    node->queue_dirty[queue] = true;
}

static void lost_leadership(rmq_node *node, uint32_t queue, bool was_leader)
{
    rmq_quorum_member *m = member_of(node, queue);
    if (!was_leader || m->raft.role == RAFT_LEADER) return;
    if (m->raft.leader != RAFT_NONE)
        set_leader_view(node, queue, m->raft.leader, true);
    else
        node->master_view[queue] = RMQ_NO_NODE;
}

static void on_vote(rmq_node *node, const rmq_msg *msg, uint32_t peer)
{
    rmq_quorum_member *m = member_of(node, msg->queue);
    if (m == NULL || !raft_is_member(&m->raft, peer)) return;
    bool pre = msg->mode == 1;
    bool was_leader = m->raft.role == RAFT_LEADER;
    bool granted;
    if (pre) {                                         /* ra_server process_pre_vote */
        if (was_leader && msg->term <= m->raft.term) { /* it re-asserts itself */
            memset(m->commit_sent, 0, sizeof m->commit_sent);
            raft_rewind_stale(&m->raft);
            node->queue_dirty[msg->queue] = true;
            return;
        }
        if (msg->term > m->raft.term) raft_step_down(&m->raft, msg->term);
        lost_leadership(node, msg->queue, was_leader);
        granted = raft_grant_pre_vote(&m->raft, msg->term, msg->index_a, msg->index_b);
        if (!granted && msg->term >= m->raft.term && m->raft.role == RAFT_FOLLOWER) {
            /* its own log is more up to date: no answer, an election of its own */
            arm_election(node, msg->queue, QQ_LONG, false, true);
            return;
        }
    } else {
        granted = raft_grant_vote(&m->raft, peer, msg->term, msg->index_a, msg->index_b);
        lost_leadership(node, msg->queue, was_leader);
        /* (should the candidate fail, this member stands itself) */
        if (granted) arm_election(node, msg->queue, QQ_LONG, false, false);
    }
    rmq_msg *reply = rmq_msg_new(RMQ_NODE_RAFT_VOTE_REPLY, 0);
    reply->queue = msg->queue;
    reply->term = pre && granted ? msg->term : m->raft.term;
    reply->failed = !granted;
    reply->mode = msg->mode;
    rmq_node_send(node, rmq_node_sim_id(node, peer), reply);
}

static void on_vote_reply(rmq_node *node, const rmq_msg *msg, uint32_t peer)
{
    rmq_quorum_member *m = member_of(node, msg->queue);
    if (m == NULL) return;
    raft_outcome outcome =
        raft_on_vote_reply(&m->raft, peer, msg->term, !msg->failed, msg->mode == 1);
    if (outcome == RAFT_NOW_CANDIDATE) {
        send_vote(node, msg->queue, false);
        arm_election(node, msg->queue, QQ_SHORT, false, false); /* entering candidate */
    } else if (outcome == RAFT_NOW_LEADER) {
        became_leader(node, msg->queue);
    }
}

static void send_append(rmq_node *node, uint32_t queue, uint32_t peer, uint64_t first,
                        uint32_t count)
{
    rmq_quorum_member *m = member_of(node, queue);
    rmq_msg *rpc = rmq_msg_new(RMQ_NODE_RAFT_APPEND, count);
    rpc->queue = queue;
    rpc->term = m->raft.term;
    rpc->index_a = first - 1;
    rpc->index_b = raft_term_at(&m->raft, first - 1);
    rpc->commit = m->raft.commit_index;
    rpc->size_bytes = rmq_node_def(node, queue)->size_bytes;
    for (uint32_t i = 0; i < count; i++) rpc->entries[i] = *raft_entry_at(&m->raft, first + i);
    m->commit_sent[peer] = m->raft.commit_index;
    rmq_node_send(node, rmq_node_sim_id(node, peer), rpc);
}

static uint64_t snapshot_bytes(const qq_snapshot *s, uint32_t size_bytes)
{
    return (uint64_t)bl_ring_count(&s->queue.table) * (size_bytes + RMQ_RAFT_ENTRY_BYTES) +
           (uint64_t)s->dedup_count * 16;
}

static void send_snapshot(rmq_node *node, uint32_t queue, uint32_t peer)
{
    rmq_quorum_member *m = member_of(node, queue);
    const qq_snapshot *s = m->snapshot;
    BL_ASSERT(s != NULL && s->index == m->raft.snapshot_index);
    rmq_msg *rpc = rmq_msg_new(RMQ_NODE_RAFT_SNAPSHOT, 0);
    rpc->queue = queue;
    rpc->term = m->raft.term;
    rpc->index_a = s->index;
    rpc->index_b = s->term;
    rpc->payload = snapshot_copy(&s->queue, s->dedup, s->dedup_count, s->index, s->term);
    rpc->free_payload = snapshot_free;
    rpc->payload_bytes = snapshot_bytes(s, rmq_node_def(node, queue)->size_bytes);
    m->raft.next_index[peer] = s->index + 1;
    m->commit_sent[peer] = m->raft.commit_index;
    rmq_node_send(node, rmq_node_sim_id(node, peer), rpc);
}

static void reply_append(rmq_node *node, uint32_t queue, bool success, uint64_t index)
{
    rmq_quorum_member *m = member_of(node, queue);
    if (m->raft.leader == RAFT_NONE || m->raft.leader == node->index) return;
    rmq_msg *reply = rmq_msg_new(RMQ_NODE_RAFT_APPEND_REPLY, 0);
    reply->queue = queue;
    reply->term = m->raft.term;
    reply->failed = !success;
    /* what it has written of what it knows matches the leader's log */
    if (success && index > m->raft.verified_index) index = m->raft.verified_index;
    reply->index_a = index;
    if (success) m->replied_written = m->raft.written_index;
    rmq_node_send(node, rmq_node_sim_id(node, m->raft.leader), reply);
}

/* A message from the leader of its term (record_leader_msg): no election. */
static void heard_leader(rmq_node *node, uint32_t queue, uint32_t leader)
{
    rmq_quorum_member *m = member_of(node, queue);
    cancel_election(m);
    set_leader_view(node, queue, leader, false);
}

/* What a truncation dropped is written again: the WAL goes on from before it. */
static void wal_rewind(rmq_quorum_member *m)
{
    uint64_t from = m->raft.truncated_from;
    m->raft.truncated_from = 0;
    if (from != 0 && m->wal_queued >= from) m->wal_queued = from - 1;
    if (m->wal_queued > raft_last_index(&m->raft)) m->wal_queued = raft_last_index(&m->raft);
    if (m->wal_queued < m->raft.snapshot_index) m->wal_queued = m->raft.snapshot_index;
}

/* An rpc of an older term: its sender hears of the newer one, and steps down. */
static void refuse_stale_leader(rmq_node *node, uint32_t queue, uint32_t peer)
{
    rmq_quorum_member *m = member_of(node, queue);
    rmq_msg *reply = rmq_msg_new(RMQ_NODE_RAFT_APPEND_REPLY, 0);
    reply->queue = queue;
    reply->term = m->raft.term;
    reply->failed = true;
    reply->index_a = raft_last_index(&m->raft);
    rmq_node_send(node, rmq_node_sim_id(node, peer), reply);
}

static void on_append(rmq_node *node, const rmq_msg *msg, uint32_t peer)
{
    rmq_quorum_member *m = member_of(node, msg->queue);
    if (m == NULL || !raft_is_member(&m->raft, peer)) return;
    bool was_leader = m->raft.role == RAFT_LEADER;
    bool ok = raft_on_append(&m->raft, peer, msg->term, msg->index_a, msg->index_b, msg->entries,
                             msg->count, msg->commit);
    lost_leadership(node, msg->queue, was_leader);
    if (msg->term < m->raft.term) {
        refuse_stale_leader(node, msg->queue, peer);
        return;
    }
    heard_leader(node, msg->queue, peer);
    wal_rewind(m);
    if (!ok) {
        reply_append(node, msg->queue, false, m->raft.reject_hint);
        return;
    }
    /* entries it had written already are answered now; new ones once the WAL wrote them */
    if (m->raft.written_index >= msg->index_a + msg->count)
        reply_append(node, msg->queue, true, m->raft.written_index);
    node->queue_dirty[msg->queue] = true;
}

static void on_append_reply(rmq_node *node, const rmq_msg *msg, uint32_t peer)
{
    rmq_quorum_member *m = member_of(node, msg->queue);
    if (m == NULL) return;
    bool was_leader = m->raft.role == RAFT_LEADER;
    raft_on_append_reply(&m->raft, peer, msg->term, !msg->failed, msg->index_a);
    lost_leadership(node, msg->queue, was_leader);
    node->queue_dirty[msg->queue] = true;
}

static void on_snapshot(rmq_node *node, const rmq_msg *msg, uint32_t peer)
{
    rmq_quorum_member *m = member_of(node, msg->queue);
    if (m == NULL || !raft_is_member(&m->raft, peer)) return;
    bool was_leader = m->raft.role == RAFT_LEADER;
    if (msg->term > m->raft.term) raft_step_down(&m->raft, msg->term);
    lost_leadership(node, msg->queue, was_leader);
    if (msg->term < m->raft.term) {
        refuse_stale_leader(node, msg->queue, peer);
        return;
    }
    BL_ASSERTF(m->raft.role != RAFT_LEADER, "%s: two leaders of term %llu", node->node->name,
               (unsigned long long)msg->term);
    m->raft.role = RAFT_FOLLOWER;
    m->raft.leader = peer;
    heard_leader(node, msg->queue, peer);
    const qq_snapshot *s = msg->payload;
    if (s->index > m->applied) {
        raft_install_snapshot(&m->raft, s->index, s->term);
        snapshot_free(m->snapshot);
        m->snapshot = snapshot_copy(&s->queue, s->dedup, s->dedup_count, s->index, s->term);
        restore(node, msg->queue, m, m->snapshot);
        wal_rewind(m);
    }
    if (m->raft.verified_index < s->index) m->raft.verified_index = s->index;
    reply_append(node, msg->queue, true, m->raft.written_index);
    node->queue_dirty[msg->queue] = true;
}

static void on_missing(rmq_node *node, const rmq_msg *msg);

void rmq_quorum_on_packet(rmq_node *node, const rmq_msg *msg, uint32_t source)
{
    int32_t peer = rmq_cluster_node_index(node->cluster, source);
    switch (msg->kind) {
    case RMQ_NODE_QQ_ENQUEUE: on_qq_enqueue(node, msg); return;
    case RMQ_NODE_QQ_APPLIED: on_applied(node, msg); return;
    case RMQ_NODE_QQ_SETTLE: rmq_quorum_on_ack(node, msg); return;
    case RMQ_NODE_QQ_SETTLED: on_settled(node, msg); return;
    case RMQ_NODE_QQ_MISSING: on_missing(node, msg); return;
    case RMQ_NODE_QQ_REJECT: {
        rmq_channel *ch = rmq_node_channel(node, msg->client);
        if (ch == NULL || !ch->open || ch->conn != msg->conn || msg->mode == RMQ_NO_NODE) return;
        /* {rejected, {not_leader, Leader}}: resend all there, unless it is the leader this
         * node went to already (a reject of what it sent before it knew) */
        set_leader_view(node, msg->queue, msg->mode, false);
        return;
    }
    case RMQ_NODE_QQ_LEADER: {
        BL_ASSERT(peer >= 0);
        rmq_quorum_node *qn = node->quorum;
        if (msg->term < qn->leader_term[msg->queue]) return;
        qn->leader_term[msg->queue] = msg->term;
        if (leads(node, msg->queue) && member_of(node, msg->queue)->raft.term >= msg->term) return;
        set_leader_view(node, msg->queue, (uint32_t)peer, true);
        return;
    }
    case RMQ_NODE_RAFT_APPEND: on_append(node, msg, (uint32_t)peer); return;
    case RMQ_NODE_RAFT_APPEND_REPLY: on_append_reply(node, msg, (uint32_t)peer); return;
    case RMQ_NODE_RAFT_VOTE: on_vote(node, msg, (uint32_t)peer); return;
    case RMQ_NODE_RAFT_VOTE_REPLY: on_vote_reply(node, msg, (uint32_t)peer); return;
    case RMQ_NODE_RAFT_SNAPSHOT: on_snapshot(node, msg, (uint32_t)peer); return;
    case RMQ_NODE_ATEN:
        BL_ASSERT(peer >= 0);
        node->quorum->aten_heard_us[peer] = sim_now_us();
        return;
    default:
        BL_ASSERTF(false, "%s: %s is not a quorum queue's", node->node->name,
                   rmq_kind_name(msg->kind));
    }
}

/* ---- work at the end of a wake-up ---- */

static void leader_sends(rmq_node *node, uint32_t queue, rmq_quorum_member *m)
{
    if (sim_now_us() >= m->tick_due_us) { /* ra's tick: stale peers get theirs again */
        raft_rewind_stale(&m->raft);
        memset(m->commit_sent, 0, sizeof m->commit_sent);
        m->tick_due_us = sim_now_us() + QQ_TICK_US;
    }
    for (uint32_t i = 0; i < m->raft.member_count; i++) {
        uint32_t peer = m->raft.members[i];
        if (peer == node->index || node->peer_down[peer]) continue;
        if (m->raft.next_index[peer] <= m->raft.snapshot_index) {
            send_snapshot(node, queue, peer);
            continue;
        }
        uint64_t first;
        uint32_t count;
        bool sent = false;
        while ((count = raft_next_batch(&m->raft, peer, &first)) > 0) {
            send_append(node, queue, peer, first, count);
            sent = true;
        }
        if (!sent && m->commit_sent[peer] < m->raft.commit_index)
            send_append(node, queue, peer, m->raft.next_index[peer], 0);
    }
}

void rmq_quorum_work(rmq_node *node, uint32_t queue)
{
    rmq_quorum_member *m = member_of(node, queue);
    if (m == NULL || !node->node->process_up) return;
    if (m->wal_queued > raft_last_index(&m->raft)) m->wal_queued = raft_last_index(&m->raft);
    if (m->wal_queued < m->raft.snapshot_index) m->wal_queued = m->raft.snapshot_index;
    while (m->applied < m->raft.commit_index) {
        m->applied++;
        apply(node, queue, m, raft_entry_at(&m->raft, m->applied));
    }
    rmq_queue_trim(&node->replicas[queue]->queue);
    maybe_snapshot(node, queue, m);
    if (m->raft.role == RAFT_LEADER)
        leader_sends(node, queue, m);
    else if (m->raft.role == RAFT_FOLLOWER && m->raft.written_index > m->replied_written &&
             m->raft.verified_index > 0)
        reply_append(node, queue, true, m->raft.written_index);
}

void rmq_quorum_wal_flush(rmq_node *node)
{
    rmq_quorum_node *qn = node->quorum;
    if (!qn->any) return;
    bool pending = false;
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_quorum_member *m = member_of(node, q);
        if (m == NULL) continue;
        uint64_t last = raft_last_index(&m->raft);
        while (m->wal_queued < last) {
            raft_entry *e = raft_entry_at(&m->raft, m->wal_queued + 1);
            if (!disk_append(&node->disk, qn->wal, wal_record_bytes(node, q, e), sim_now_us()))
                break; /* a full disk: the rest waits */
            e->wal_end = qn->wal->size_bytes;
            m->wal_queued++;
        }
        if (m->wal_queued > m->raft.written_index) pending = true;
    }
    if (!pending || qn->wal_syncing) return;
    /* gen_batch_server's batch: one write and one datasync for all of it */
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_quorum_member *m = member_of(node, q);
        if (m != NULL) m->wal_sync_upto = m->wal_queued;
    }
    qn->wal_syncing = true;
    qn->wal_sync_bytes = qn->wal->size_bytes;
    int64_t done_us = disk_fsync_start(&node->disk, qn->wal, sim_now_us());
    sim_schedule(node->node, done_us, NODE_EVENT_WAL_SYNCED, 0,
                 (uint64_t)node->app_incarnation << 32, NULL);
}

static void on_wal_synced(rmq_node *node)
{
    rmq_quorum_node *qn = node->quorum;
    BL_ASSERT(qn->wal_syncing);
    disk_fsync_done(&node->disk, qn->wal, qn->wal_sync_bytes);
    qn->wal_syncing = false;
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_quorum_member *m = member_of(node, q);
        if (m == NULL) continue;
        /* written: the run of entries from its last written whose records this sync
         * covered (a truncation's replacements wait for their own) */
        uint64_t upto = m->wal_sync_upto < raft_last_index(&m->raft) ? m->wal_sync_upto
                                                                     : raft_last_index(&m->raft);
        uint64_t index = m->raft.written_index;
        if (index < m->raft.snapshot_index) index = m->raft.snapshot_index;
        while (index < upto) {
            const raft_entry *e = raft_entry_at(&m->raft, index + 1);
            if (e->wal_end == 0 || e->wal_end > qn->wal_sync_bytes) break;
            index++;
        }
        raft_on_written(&m->raft, index);
        node->queue_dirty[q] = true;
    }
}

/* ---- failure detection and elections ---- */

/* Its election timeout (ra_server_proc): a follower or a pre-vote runs a pre-vote (the
 * `long` timeout again if it fails); a candidate stands again in a new term. */
static void on_election(rmq_node *node, uint32_t queue, uint32_t token)
{
    rmq_quorum_member *m = member_of(node, queue);
    if (m == NULL || token != m->election_token || m->raft.role == RAFT_LEADER) return;
    m->election_armed = false;
    if (node->master_view[queue] != RMQ_NO_NODE && node->master_view[queue] != node->index)
        node->master_view[queue] = RMQ_NO_NODE; /* it follows no one now */
    raft_outcome outcome;
    if (m->raft.role == RAFT_CANDIDATE) {
        outcome = raft_start_candidacy(&m->raft);
        if (outcome == RAFT_NOW_CANDIDATE) send_vote(node, queue, false);
        arm_election(node, queue, QQ_MEDIUM, false, false);
    } else {
        raft_start_pre_vote(&m->raft);
        outcome = raft_on_vote_reply(&m->raft, node->index, m->raft.term, true, true);
        if (outcome == RAFT_NOTHING) {
            send_vote(node, queue, true);
            arm_election(node, queue, QQ_LONG, false, false);
        } else if (outcome == RAFT_NOW_CANDIDATE) { /* a majority of one and its vote */
            send_vote(node, queue, false);
            arm_election(node, queue, QQ_SHORT, false, false);
        }
    }
    if (outcome == RAFT_NOW_LEADER) became_leader(node, queue);
}

/* The distribution's TCP connection outlives a cut shorter than net_ticktime and
 * retransmits what it held; the model's cut drops packets instead. So a leader that hears
 * a node again sends again what it delivered through it and was not settled, and the
 * channel there passes on only tags past the last it passed (TCP's sequence numbers). */
/* The deliveries a consumer holds with tags from_tag..to_tag, sent again to its channel. */
static void send_held(rmq_node *node, uint32_t queue, const rmq_consumer_slot *slot,
                      uint64_t from_tag, uint64_t to_tag)
{
    rmq_queue *q = &node->replicas[queue]->queue;
    rmq_outbox *box =
        rmq_outbox_for(node, slot->via, RMQ_NODE_DELIVER, slot->client, queue, slot->conn);
    box->size_bytes = q->message_size_bytes;
    for (uint32_t i = 0; i < bl_ring_count(&slot->held); i++) {
        uint64_t seq = *BL_RING_AT(&slot->held, uint64_t, i);
        uint64_t tag = slot->first_tag + i;
        if (seq == 0 || tag < from_tag || tag > to_tag) continue;
        const rmq_entry *e = rmq_queue_entry(q, seq);
        rmq_outbox_add(box, e->msg_id, e->key, tag, (e->flags & RMQ_FLAG_REDELIVERED) != 0,
                       RMQ_ORIGIN(e->publisher, e->death, e->death_queue));
    }
}

static void resend_deliveries(rmq_node *node, uint32_t queue, uint32_t peer)
{
    rmq_queue *q = &node->replicas[queue]->queue;
    uint32_t peer_id = rmq_node_sim_id(node, peer);
    for (uint32_t c = 0; c < q->consumer_count; c++) {
        const rmq_consumer_slot *slot = &q->consumers[c];
        if (!slot->attached || slot->suspected || slot->via != peer_id) continue;
        send_held(node, queue, slot, 0, UINT64_MAX);
    }
}

uint32_t rmq_quorum_filter_deliveries(rmq_node *node, rmq_channel *ch, rmq_msg *msg)
{
    uint32_t kept = 0;
    bool gap_answer = ch->gap_to != 0; /* a leader's packet: the gap's answer, or later */
    for (uint32_t i = 0; i < msg->count; i++) {
        uint64_t tag = msg->seqs[i];
        bool filling = ch->gap_to != 0 && tag >= ch->gap_from && tag <= ch->gap_to;
        if (tag <= ch->last_tag && !filling) continue; /* passed on before */
        if (tag > ch->last_tag) {
            bool same_generation = (tag >> 32) == (ch->last_tag >> 32) && ch->last_tag != 0;
            if (same_generation && tag > ch->last_tag + 1 && ch->gap_to == 0) {
                ch->gap_from = ch->last_tag + 1;
                ch->gap_to = tag - 1;
                gap_answer = false;
                rmq_msg *ask = rmq_msg_new(RMQ_NODE_QQ_MISSING, 0);
                ask->queue = msg->queue;
                ask->client = ch->client;
                ask->conn = ch->conn;
                ask->first_seq = ch->gap_from;
                ask->first_tag = ch->gap_to;
                rmq_node_send(node, msg->via, ask);
            }
            ch->last_tag = tag;
        }
        msg->ids[kept] = msg->ids[i];
        msg->keys[kept] = msg->keys[i];
        msg->seqs[kept] = msg->seqs[i];
        msg->flags[kept] = msg->flags[i];
        msg->origins[kept] = msg->origins[i];
        kept++;
    }
    if (gap_answer && msg->failed) ch->gap_from = ch->gap_to = 0; /* the answer came */
    msg->count = kept;
    return kept;
}

/* The leader's answer to a channel's gap: what the consumer still holds of it, again,
 * in a packet of its own marked as the answer (the channel takes that range in until it
 * comes; one of nothing closes the gap too). */
/* The leader's answer to a channel's gap: what the consumer still holds of it, again,
 * in a packet of its own marked as the answer (the channel takes that range in until it
 * comes; one of nothing closes the gap too). */
static void on_missing(rmq_node *node, const rmq_msg *msg)
{
    if (!leads(node, msg->queue)) return;
    rmq_queue *q = &node->replicas[msg->queue]->queue;
    uint32_t c = rmq_queue_consumer_of(q, msg->client);
    if (c == RMQ_NO_CONSUMER || q->consumers[c].conn != msg->conn) return;
    const rmq_consumer_slot *slot = &q->consumers[c];
    uint32_t n = 0;
    for (uint32_t i = 0; i < bl_ring_count(&slot->held); i++) {
        uint64_t tag = slot->first_tag + i;
        n += *BL_RING_AT(&slot->held, uint64_t, i) != 0 && tag >= msg->first_seq &&
             tag <= msg->first_tag;
    }
    rmq_msg *answer = rmq_msg_new(RMQ_NODE_DELIVER, n);
    answer->queue = msg->queue;
    answer->client = slot->client;
    answer->conn = slot->conn;
    answer->via = rmq_node_sim_id(node, node->index);
    answer->failed = true; /* marks the answer */
    answer->size_bytes = q->message_size_bytes;
    uint32_t k = 0;
    for (uint32_t i = 0; i < bl_ring_count(&slot->held); i++) {
        uint64_t seq = *BL_RING_AT(&slot->held, uint64_t, i);
        uint64_t tag = slot->first_tag + i;
        if (seq == 0 || tag < msg->first_seq || tag > msg->first_tag) continue;
        const rmq_entry *e = rmq_queue_entry(q, seq);
        answer->ids[k] = e->msg_id;
        answer->keys[k] = e->key;
        answer->seqs[k] = tag;
        answer->flags[k] = (e->flags & RMQ_FLAG_REDELIVERED) != 0;
        answer->origins[k] = RMQ_ORIGIN(e->publisher, e->death, e->death_queue);
        k++;
    }
    BL_ASSERT(k == n);
    rmq_node_send(node, slot->via, answer);
}

/* aten: a node silent past the threshold at a poll is down; heard again, up. */
static void aten_poll(rmq_node *node)
{
    rmq_quorum_node *qn = node->quorum;
    int64_t now_us = sim_now_us();
    for (uint32_t n = 0; n < node->cluster->node_count; n++) {
        if (n == node->index) continue;
        bool down = now_us - qn->aten_heard_us[n] > QQ_ATEN_SILENCE_US;
        if (down == qn->aten_down[n]) continue;
        qn->aten_down[n] = down;
        for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
            rmq_quorum_member *m = member_of(node, q);
            if (m != NULL && m->raft.role == RAFT_LEADER && !down) resend_deliveries(node, q, n);
            if (m == NULL || m->raft.role != RAFT_FOLLOWER || m->raft.leader != n) continue;
            if (down)
                arm_election(node, q, QQ_LONG, true, true);
            else if (m->election_by_aten)
                cancel_election(m);
        }
    }
}

/* A queue whose leader this node does not know (a leader_change it missed, its leader
 * seen down): ask a live member in turn, every rabbit_fifo_client timer (find_leader: a
 * member that is not the leader rejects, naming the one it knows). */
static void find_leaders(rmq_node *node)
{
    rmq_quorum_node *qn = node->quorum;
    uint32_t tries = (uint32_t)(QQ_RESEND_US / QQ_ATEN_POLL_US);
    if ((qn->aten_beats / (QQ_ATEN_POLL_US / QQ_ATEN_HEARTBEAT_US)) % tries != 0) return;
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        const rmq_queue_def *def = rmq_node_def(node, q);
        if (!def->quorum || leader_known(node, q) || member_of(node, q) != NULL) continue;
        for (uint32_t i = 0; i < def->members.count; i++) {
            uint32_t guess = def->members.node[(qn->guesses[q] + i) % def->members.count];
            if (node->peer_down[guess]) continue;
            qn->guesses[q] += i + 1;
            set_leader_view(node, q, guess, true);
            break;
        }
    }
}

static void on_aten(rmq_node *node)
{
    rmq_quorum_node *qn = node->quorum;
    for (uint32_t n = 0; n < node->cluster->node_count; n++)
        if (n != node->index)
            rmq_node_send(node, rmq_node_sim_id(node, n), rmq_msg_new(RMQ_NODE_ATEN, 0));
    if (++qn->aten_beats % (QQ_ATEN_POLL_US / QQ_ATEN_HEARTBEAT_US) == 0) {
        aten_poll(node);
        find_leaders(node);
        /* rabbit_fifo_client's timer: what stays pending is resent */
        int64_t now_us = sim_now_us();
        for (uint32_t id = 0; id < node->channel_slots; id++) {
            rmq_channel *ch = node->channels[id];
            if (ch == NULL || !ch->open) continue;
            if (!ch->publisher) {
                if (bl_ring_count(&ch->settles) > 0 && now_us - ch->settle_sent_us >= QQ_RESEND_US)
                    send_settles(node, ch, 0);
                continue;
            }
            for (uint32_t i = 0; i < ch->enqueuer_count; i++) {
                rmq_enqueuer *enq = &ch->enqueuers[i];
                if (bl_ring_count(&enq->pending) > 0 && now_us - enq->sent_us >= QQ_RESEND_US)
                    resend_all(node, ch, enq);
            }
        }
        for (uint32_t q = 0; q < node->cluster->queue_count; q++)
            if (leads(node, q) && now_us >= member_of(node, q)->tick_due_us)
                node->queue_dirty[q] = true;
    }
    sim_timer_set(node->node, &qn->aten_timer, sim_now_us() + QQ_ATEN_HEARTBEAT_US,
                  NODE_TIMER_ATEN);
}

void rmq_quorum_on_event(rmq_node *node, const sim_event *ev)
{
    switch (ev->kind) {
    case NODE_TIMER_ATEN: on_aten(node); return;
    case NODE_EVENT_ELECTION:
        if (ev->token >> 32 == node->app_incarnation)
            on_election(node, ev->arg, (uint32_t)(ev->token & 0xffffffffu));
        return;
    case NODE_EVENT_WAL_SYNCED:
        if (ev->token >> 32 == node->app_incarnation) on_wal_synced(node);
        return;
    default: BL_ASSERTF(false, "%s: event kind %u", node->node->name, ev->kind);
    }
}

void rmq_quorum_peer_down(rmq_node *node, uint32_t peer, bool reset)
{
    (void)reset; /* reset or ticks missed, the monitor says noconnection: `short` */
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_quorum_member *m = member_of(node, q);
        if (m == NULL) continue;
        if (m->raft.role == RAFT_FOLLOWER && m->raft.leader == peer)
            arm_election(node, q, QQ_SHORT, false, false);
        if (m->raft.role == RAFT_LEADER) monitor_node(node, q, peer, RAFT_OP_SUSPECT);
    }
}

void rmq_quorum_peer_up(rmq_node *node, uint32_t peer, bool booted)
{
    for (uint32_t q = 0; q < node->cluster->queue_count; q++)
        if (leads(node, q)) monitor_node(node, q, peer, booted ? RAFT_OP_DOWN : RAFT_OP_NODEUP);
}

/* ---- lifecycle ---- */

void rmq_quorum_node_init(rmq_node *node)
{
    rmq_quorum_node *qn = calloc(1, sizeof *qn);
    BL_ASSERT(qn != NULL);
    node->quorum = qn;
    for (uint32_t q = 0; q < node->cluster->queue_count; q++)
        if (node->cluster->queues[q].quorum) qn->any = true;
    if (!qn->any) return;
    qn->wal = disk_open(&node->disk);
    char name[48];
    snprintf(name, sizeof name, "rabbitmq/node/%u/ra", (unsigned)node->index);
    qn->rng = rng_stream(node->cluster->scenario->seed, name);
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) qn->leader_term[q] = 1;
}

void rmq_quorum_node_free(rmq_node *node)
{
    rmq_quorum_node *qn = node->quorum;
    if (qn == NULL) return;
    if (qn->rng != NULL) gsl_rng_free(qn->rng);
    free(qn->owed);
    free(qn);
    node->quorum = NULL;
}

void rmq_quorum_member_init(rmq_node *node, uint32_t queue, rmq_replica *r)
{
    const rmq_queue_def *def = rmq_node_def(node, queue);
    BL_ASSERT(def->quorum && r->quorum == NULL);
    rmq_quorum_member *m = calloc(1, sizeof *m);
    BL_ASSERT(m != NULL);
    raft_init(&m->raft, node->index, def->members.node, def->members.count);
    /* declared: its first leader is its home, in term 1 (the declaring node triggers
     * the group's first election) */
    m->raft.term = 1;
    m->raft.voted_for = def->home;
    m->raft.leader = def->home;
    r->quorum = m;
    rmq_queue_free(&r->queue);
    state_init(node, queue, &r->queue);
    if (def->home == node->index) raft_become_leader(&m->raft);
}

void rmq_quorum_member_free(rmq_replica *r)
{
    rmq_quorum_member *m = r->quorum;
    if (m == NULL) return;
    raft_free(&m->raft);
    free(m->dedup);
    snapshot_free(m->snapshot);
    free(m);
    r->quorum = NULL;
}

void rmq_quorum_on_stop(rmq_node *node)
{
    rmq_quorum_node *qn = node->quorum;
    qn->wal_syncing = false; /* its fsync dies with the process */
    qn->owed_count = 0;
    sim_timer_cancel(&qn->aten_timer);
}

/* The node boots: each member takes its snapshot and what its WAL kept (everything
 * written survives a kill -9 in the page cache; a power loss kept the synced part),
 * follows no one, and waits for a leader before its election timeout. */
void rmq_quorum_on_start(rmq_node *node)
{
    rmq_quorum_node *qn = node->quorum;
    if (!qn->any) return;
    int64_t now_us = sim_now_us();
    for (uint32_t n = 0; n < node->cluster->node_count; n++) {
        qn->aten_heard_us[n] = now_us;
        qn->aten_down[n] = false;
    }
    sim_timer_set(node->node, &qn->aten_timer, now_us + QQ_ATEN_HEARTBEAT_US, NODE_TIMER_ATEN);
    if (node->app_incarnation == 1) return; /* its first boot: as declared */
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_quorum_member *m = member_of(node, q);
        if (m == NULL) {
            const rmq_queue_def *def = rmq_node_def(node, q);
            if (def->quorum) node->master_view[q] = def->master;
            continue;
        }
        uint64_t kept = m->raft.snapshot_index;
        for (uint64_t i = m->raft.snapshot_index + 1; i <= raft_last_index(&m->raft); i++) {
            const raft_entry *e = raft_entry_at(&m->raft, i);
            if (e->wal_end == 0 || e->wal_end > qn->wal->size_bytes) break;
            kept = i;
        }
        raft_restart(&m->raft, kept);
        m->wal_queued = m->wal_sync_upto = kept;
        m->replied_written = 0;
        restore(node, q, m, m->snapshot);
        node->master_view[q] = RMQ_NO_NODE;
        arm_election(node, q, QQ_SHORT, false, false); /* recovered: `short` */
    }
}
