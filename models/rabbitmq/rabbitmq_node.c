/* rabbitmq_node.c — a RabbitMQ-style broker node: the channels of the clients connected
 * to it, the classic queues whose home it is, its disk, and its view of the other nodes.
 *
 * Channels (rabbit_channel). A publish is routed on the node the publisher is connected
 * to (exchanges and bindings are cluster-wide metadata) and handed to each target
 * queue's home node: itself, or another node, which costs a hop each way (the classic
 * queue's proxying, R7). In confirm mode the channel numbers publishes from 1 and
 * answers basic.ack once every target queue has accepted a message, basic.nack if one
 * cannot (its home node is down, R7; it went down before confirming, R4), and an
 * unroutable message is acked at once (R1). In tx mode the publishes since the last
 * tx.commit are routed at the commit, which is answered once they are all accepted, as
 * the channel does it by the same confirm bookkeeping (R5). A consumer's basic.consume,
 * acks and its channel's close go to its queue's home; deliveries come back through the
 * channel's node.
 *
 * Queues (rabbit_amqqueue_process over rabbitmq_queue.c). At the end of every wake-up
 * — when its mailbox has emptied — a queue with work hands ready messages to its
 * consumers, round robin under their prefetch, and syncs its index: persistent messages
 * are written, and their confirms go once written (3.13 and later: no fsync, PR #8507)
 * or once the write's fsync completed (up to 3.12). A queue waits for one fsync before
 * starting the next, so a busy queue's fsyncs carry many messages.
 *
 * Mirrored queues (3.x, R8; rabbit_mirror_queue_master, _slave, gm). A mirrored queue
 * has a master, which does everything a classic queue does, and mirrors on other nodes.
 * The master broadcasts each publish (with its body) and each delivery, ack and requeue
 * to its mirrors, which keep a copy in the same order, write persistent messages to
 * their own disks and tell the master how far they have; a publish is confirmed once
 * the master and every mirror it was broadcast to have it (up to 3.12, fsynced). When
 * the master's node goes down, every node promotes the oldest mirror it sees up (with
 * ha_promote_on_failure: when-synced, only a synchronised one): the new master requeues
 * everything its old master had delivered without an ack it saw, and takes over the
 * consumers. A node that comes back discards its copy and rejoins as the youngest
 * mirror, empty, unsynchronised (manual sync, the default) until every older message
 * has been consumed. Broadcasts here go from the master to each mirror, where GM passes
 * them round a ring: the same bytes per mirror, fewer hops.
 *
 * Limits (R11-R13). A queue with a TTL drops or dead-letters expired messages at its
 * head before it delivers and on its TTL timer; max_length applies as each publish
 * arrives; dead letters are republished from the queue's node, without confirms. A
 * metrics scrape of the limited queues' counters goes into the history.
 *
 * Resource alarms (R14; rabbit_disk_monitor, rabbit_alarm). With a finite disk a node
 * checks its free space (every 100 ms to 10 s, sooner the closer it is to the limit) and
 * raises its disk alarm below disk_free_limit; it tells every other node, and while any
 * node it sees is in alarm each node blocks its publishing connections: it sends
 * connection.blocked and stops reading them at their next publish, so their publishes
 * wait (not nacked) and nothing is confirmed, while consumers go on and, by consuming,
 * free the disk. The alarm clears once there is room again.
 *
 * Failure detection. A client connection is closed when the client's socket is reset
 * (its process killed: the kernel closes it) or after `heartbeat` of silence (a host
 * gone: rabbit_heartbeat); closing a consumer's channel requeues what it held. A node
 * sees another down when their distribution connection resets, or after `net_ticktime`
 * of silence (Erlang's net_kernel ticks four times per ticktime), and then cancels its
 * consumers of that node's queues and nacks its publishes waiting there.
 *
 * Partitions (R9; rabbit_node_monitor). Each node keeps its own copy of every mirrored
 * queue's membership (the queue's Mnesia record), changed by the nodes that share its
 * metadata and sent to them: the two sides of a partition change theirs apart. A peer
 * heard again that ran on while it was seen down is a partition; under `ignore` the
 * sides stay apart for mirrored queues until one of them restarts. Under
 * `pause_minority` a node that sees no majority of the cluster connected stops its
 * rabbit application (app_pause: clients closed, queues stopped, the Erlang node ticking
 * on) before anything else sees the peer gone, and starts it again (app_start) once a
 * recheck every second finds a majority. */
#include "rabbitmq_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/history.h"
#include "../../engine/net.h"
#include "../../engine/vec.h"
#include "../common/host.h"
#include "rabbitmq_node_internal.h"
#include "rabbitmq_quorum.h"

#define RMQ_PENDING_MAX \
    (1u << 20) /* publishes one channel has awaiting confirms: the
                                      publisher keeps at most max_unconfirmed (<= 100000)
                                      or tx_size (<= 100000) */
#define RMQ_OUTBOX_MAX            (1u << 16)
#define RMQ_ROUNDS_MAX            64 /* local hand-offs within one wake-up end */
/* Packets a blocked publisher's connection has that the node has not read: what it wrote
 * before connection.blocked reached it (its confirm window, or for fire and forget one
 * round trip of writes), and its heartbeats. */
#define RMQ_UNREAD_MAX            (1u << 20)
/* rabbit_disk_monitor: the check interval is 2 * (free - limit) / FAST_RATE (a disk
 * filling at 250 MB/s), within 100 ms .. 10 s, and 10 s while the alarm is set. */
#define RMQ_DISK_CHECK_MIN_US     100000
#define RMQ_DISK_CHECK_MAX_US     10000000
#define RMQ_DISK_FAST_BYTES_PER_S 250000000ULL
/* rabbit_node_monitor: a paused node looks for a majority this often */
#define RMQ_PAUSE_RECHECK_US      1000000

static void node_handle(rmq_node *node, rmq_msg *msg, uint32_t source);
static bool majority_visible(const rmq_node *node);
static void pause_for_minority(rmq_node *node);
static void app_start(rmq_node *node, bool boot);
static void drop_unread(rmq_channel *ch);

/* ---- small helpers ---- */

static uint32_t self_id(const rmq_node *node)
{
    return node->node->id;
}

static uint32_t node_id(const rmq_node *node, uint32_t index)
{
    return node->cluster->nodes[index]->id;
}

static rmq_queue_def *queue_def(const rmq_node *node, uint32_t queue)
{
    BL_ASSERT(queue < node->cluster->queue_count);
    return &node->cluster->queues[queue];
}

/* Whether this node can reach the queue's master: it knows one, and sees its node up. */
static bool home_up(const rmq_node *node, uint32_t queue)
{
    uint32_t master = node->master_view[queue];
    return master != RMQ_NO_NODE && (master == node->index || !node->peer_down[master]);
}

/* The sim node id of the queue's master in this node's view (home_up holds). */
static uint32_t master_id(const rmq_node *node, uint32_t queue)
{
    BL_ASSERT(node->master_view[queue] != RMQ_NO_NODE);
    return node_id(node, node->master_view[queue]);
}

static rmq_replica *replica_of(const rmq_node *node, uint32_t queue)
{
    return node->replicas[queue];
}

/* Its replica if this node leads the queue now. */
static rmq_replica *led(const rmq_node *node, uint32_t queue)
{
    return node->master_view[queue] == node->index ? node->replicas[queue] : NULL;
}

/* Its copy of a queue's membership (a classic queue's: its home alone). */
static rmq_members *view_of(const rmq_node *node, uint32_t queue)
{
    BL_ASSERT(queue < node->cluster->queue_count);
    return &node->mirror_view[queue];
}

/* Whether `peer` shares this node's metadata now: it sees it up and not across a
 * partition (a Mnesia transaction reaches it). Mirrored queues' membership and
 * promotion go by it. */
static bool metadata_shared(const rmq_node *node, uint32_t peer)
{
    return peer == node->index || (!node->peer_down[peer] && !node->partitioned[peer]);
}

/* This node changed its copy of `queue`'s membership: a Mnesia transaction, which the
 * nodes sharing its metadata receive at the end of this wake (send_views). The version
 * orders copies, ties broken by the writer. */
static void view_changed(rmq_node *node, uint32_t queue)
{
    rmq_members *view = view_of(node, queue);
    view->version = ((view->version / SCN_BROKERS_MAX) + 1) * SCN_BROKERS_MAX + node->index;
    node->view_dirty[queue] = true;
}

uint32_t rmq_node_sim_id(const rmq_node *node, uint32_t index)
{
    return node_id(node, index);
}

rmq_queue_def *rmq_node_def(const rmq_node *node, uint32_t queue)
{
    return queue_def(node, queue);
}

/* ---- the outbox ---- */

rmq_outbox *rmq_outbox_for(rmq_node *node, uint32_t dest, rmq_kind kind, uint32_t client,
                           uint32_t queue, uint32_t conn)
{
    for (uint32_t i = 0; i < node->outbox_count; i++) {
        rmq_outbox *box = &node->outbox[i];
        if (box->dest == dest && box->kind == kind && box->client == client && box->queue == queue)
            return box;
    }
    BL_GROW(node->outbox, node->outbox_capacity, (uint64_t)node->outbox_count + 1, RMQ_OUTBOX_MAX,
            "a node's packets of one wake-up");
    rmq_outbox *box = &node->outbox[node->outbox_count++];
    memset(box, 0, sizeof *box);
    box->dest = dest;
    box->kind = kind;
    box->client = client;
    box->queue = queue;
    box->conn = conn;
    box->via = self_id(node);
    return box;
}

void rmq_outbox_add(rmq_outbox *box, uint64_t id, int32_t key, uint64_t seq, uint8_t flag,
                    uint32_t origin)
{
    if (box->count == box->capacity) {
        uint32_t capacity = box->capacity == 0 ? 16 : box->capacity * 2;
        BL_ASSERTF(capacity <= RMQ_MSG_COUNT_MAX, "a %s of more than %u messages",
                   rmq_kind_name(box->kind), RMQ_MSG_COUNT_MAX);
        box->ids = realloc(box->ids, capacity * sizeof *box->ids);
        box->keys = realloc(box->keys, capacity * sizeof *box->keys);
        box->seqs = realloc(box->seqs, capacity * sizeof *box->seqs);
        box->flags = realloc(box->flags, capacity * sizeof *box->flags);
        box->origins = realloc(box->origins, capacity * sizeof *box->origins);
        BL_ASSERT(box->ids != NULL && box->keys != NULL && box->seqs != NULL &&
                  box->flags != NULL && box->origins != NULL);
        box->capacity = capacity;
    }
    box->ids[box->count] = id;
    box->keys[box->count] = key;
    box->seqs[box->count] = seq;
    box->flags[box->count] = flag;
    box->origins[box->count] = origin;
    box->count++;
}

/* A packet with no messages, at once. */
void rmq_node_send(rmq_node *node, uint32_t dest, rmq_msg *msg)
{
    if (dest == self_id(node)) {
        node_handle(node, msg, dest);
        return;
    }
    uint32_t bytes = rmq_msg_size_bytes(msg);
    net_send(node->node, sim_node_by_id(dest), bytes, msg);
}

/* A packet to a client on its current connection. */
static void to_client(rmq_node *node, const rmq_channel *ch, rmq_msg *msg)
{
    msg->conn = ch->conn;
    rmq_node_send(node, ch->client, msg);
}

static rmq_msg *outbox_take(rmq_outbox *box)
{
    rmq_msg *msg = calloc(1, sizeof *msg);
    BL_ASSERT(msg != NULL);
    msg->kind = box->kind;
    msg->client = box->client;
    msg->queue = box->queue;
    msg->via = box->via;
    msg->conn = box->conn;
    msg->size_bytes = box->size_bytes;
    msg->failed = box->failed;
    msg->persistent = box->persistent;
    msg->count = box->count;
    msg->ids = box->ids;
    msg->keys = box->keys;
    msg->seqs = box->seqs;
    msg->flags = box->flags;
    msg->origins = box->origins;
    return msg;
}

/* Sends what the wake-up built: local hand-offs (a queue whose home is this node) are
 * handled at once and may build more, which the caller's next round sends. */
static bool outbox_flush(rmq_node *node)
{
    if (node->outbox_count == 0) return false;
    rmq_outbox *boxes = node->outbox;
    uint32_t count = node->outbox_count;
    node->outbox = NULL;
    node->outbox_count = node->outbox_capacity = 0;
    for (uint32_t i = 0; i < count; i++) rmq_node_send(node, boxes[i].dest, outbox_take(&boxes[i]));
    free(boxes);
    return true;
}

static void outbox_clear(rmq_node *node)
{
    for (uint32_t i = 0; i < node->outbox_count; i++) {
        free(node->outbox[i].ids);
        free(node->outbox[i].keys);
        free(node->outbox[i].seqs);
        free(node->outbox[i].flags);
        free(node->outbox[i].origins);
    }
    node->outbox_count = 0;
}

/* ---- channels ---- */

static void channel_close(rmq_node *node, rmq_channel *ch);

static rmq_channel *channel_of(rmq_node *node, uint32_t client)
{
    BL_ASSERT(client < node->channel_slots);
    return node->channels[client];
}

static rmq_channel *channel_open(rmq_node *node, uint32_t client, const rmq_msg *open)
{
    BL_ASSERT(client < node->channel_slots);
    rmq_channel *ch = node->channels[client];
    if (ch == NULL) {
        ch = calloc(1, sizeof *ch);
        BL_ASSERT(ch != NULL);
        BL_RING_INIT(&ch->pending, rmq_pending, RMQ_PENDING_MAX,
                     "a channel's publishes awaiting confirms");
        BL_RING_INIT(&ch->unread, rmq_msg *, RMQ_UNREAD_MAX,
                     "a blocked publisher's packets not yet read");
        node->channels[client] = ch;
    }
    /* A client opens a new connection after it gave the old one up (its socket reset on
     * its side only, or the broker's heartbeats stopped reaching it): the old one is
     * closed now rather than after its own heartbeat timeout (a simplification: one
     * connection per client). */
    channel_close(node, ch);
    const sim_node *peer = sim_node_by_id(client);
    ch->open = true;
    ch->client = client;
    ch->entry = peer->entry;
    ch->conn = open->conn;
    ch->publisher = open->mode != UINT32_MAX;
    ch->tx = open->mode == RABBITMQ_PUBLISH_TRANSACTIONS;
    ch->last_heard_us = sim_now_us();
    bl_ring_clear(&ch->pending);
    ch->first_seq = ch->next_seq = 1;
    ch->tx_count = 0;
    ch->commit_waiting = false;
    ch->consuming = false;
    ch->consumes = 0;
    ch->last_tag = ch->gap_from = ch->gap_to = 0;
    ch->flow_blocked = false;
    /* rabbit_reader: a connection opened while an alarm is in effect is told at once */
    if (ch->publisher && node->blocking) to_client(node, ch, rmq_msg_new(RMQ_BLOCKED, 0));
    return ch;
}

rmq_channel *rmq_node_channel(rmq_node *node, uint32_t client)
{
    return channel_of(node, client);
}

static rmq_pending *pending_at(rmq_channel *ch, uint64_t seq)
{
    BL_ASSERTF(seq >= ch->first_seq && seq < ch->next_seq, "confirm of seq %llu outside %llu..%llu",
               (unsigned long long)seq, (unsigned long long)ch->first_seq,
               (unsigned long long)ch->next_seq);
    return BL_RING_AT(&ch->pending, rmq_pending, (uint32_t)(seq - ch->first_seq));
}

/* Every publish up to a waiting tx.commit is settled: answer it, failed if one of them
 * was nacked (R5: the commit is not atomic; what was accepted stays). */
static void maybe_commit_ok(rmq_node *node, rmq_channel *ch)
{
    if (!ch->commit_waiting || ch->first_seq < ch->commit_upto) return;
    rmq_msg *ok = rmq_msg_new(RMQ_TX_COMMIT_OK, 0);
    ok->failed = ch->tx_failed;
    ch->tx_failed = false;
    ch->commit_waiting = false;
    to_client(node, ch, ok);
}

/* A publish is settled (acked or nacked): tell the client (confirm mode) and forget the
 * settled prefix. */
static void pending_settle(rmq_node *node, rmq_channel *ch, uint64_t seq, rmq_pending *p)
{
    BL_ASSERT(!p->done);
    p->done = 1;
    if (!ch->tx) {
        rmq_outbox *box = rmq_outbox_for(node, ch->client, RMQ_CONFIRM, 0, 0, ch->conn);
        rmq_outbox_add(box, 0, -1, seq, p->nacked, 0);
    } else if (p->nacked)
        ch->tx_failed = true;
    while (bl_ring_count(&ch->pending) > 0 && BL_RING_FRONT(&ch->pending, rmq_pending)->done) {
        bl_ring_pop_front(&ch->pending);
        ch->first_seq++;
    }
    maybe_commit_ok(node, ch);
}

/* A queue's answer for one publish of the channel, from node `from` (its master). */
static void channel_confirmed(rmq_node *node, rmq_channel *ch, uint32_t from, uint64_t seq,
                              bool nacked)
{
    if (seq < ch->first_seq) return; /* settled already (its queue's node went down) */
    rmq_pending *p = pending_at(ch, seq);
    if (p->done || p->waiting[from] == 0) return; /* an answer for what a node-down settled */
    p->waiting[from]--;
    if (nacked)
        p->nacked = 1;
    else
        p->confirmed_any = 1;
    BL_ASSERT(p->left > 0);
    if (--p->left == 0) pending_settle(node, ch, seq, p);
}

void rmq_node_quorum_confirmed(rmq_node *node, rmq_channel *ch, uint64_t seq)
{
    if (seq < ch->first_seq) return;
    rmq_pending *p = pending_at(ch, seq);
    if (p->done) return;
    p->confirmed_any = 1;
    BL_ASSERT(p->left > 0);
    if (--p->left == 0) pending_settle(node, ch, seq, p);
}

/* Routes publishes (seq 0: fire and forget) to their queues' home nodes (a quorum
 * queue's: its leader, through rabbitmq_quorum.c). */
static void route_publishes(rmq_node *node, rmq_channel *ch, const uint64_t *ids,
                            const int32_t *keys, uint32_t count, uint64_t first_seq,
                            bool persistent, uint32_t size_bytes)
{
    uint32_t targets[RMQ_QUEUES_MAX];
    for (uint32_t i = 0; i < count; i++) {
        uint64_t seq = first_seq == 0 ? 0 : first_seq + i;
        uint32_t n = rmq_cluster_targets(node->cluster, ch->entry, keys[i], targets);
        rmq_pending *p = NULL;
        if (seq != 0) {
            BL_ASSERT(seq == ch->next_seq);
            ch->next_seq++;
            p = BL_RING_PUSH_BACK(&ch->pending, rmq_pending);
            *p = (rmq_pending){.left = (uint16_t)n};
            if (n == 0) { /* unroutable: acked at once (R1) */
                pending_settle(node, ch, seq, p);
                continue;
            }
        }
        for (uint32_t t = 0; t < n; t++) {
            uint32_t queue = targets[t];
            if (queue_def(node, queue)->quorum) { /* held until applied, never nacked here */
                rmq_quorum_route(node, ch, queue, ids[i], keys[i], seq, persistent,
                                 RMQ_ORIGIN(ch->entry, 0, 0), size_bytes);
                continue;
            }
            if (!home_up(node, queue)) { /* R7: not enqueued; nacked, or lost silently */
                if (p != NULL) {
                    p->nacked = 1;
                    if (--p->left == 0) pending_settle(node, ch, seq, p);
                }
                continue;
            }
            if (p != NULL) p->waiting[node->master_view[queue]]++;
            rmq_outbox *box = rmq_outbox_for(node, master_id(node, queue), RMQ_NODE_ENQUEUE,
                                             ch->client, queue, ch->conn);
            box->size_bytes = size_bytes;
            box->persistent = persistent;
            rmq_outbox_add(box, ids[i], keys[i], seq, 0, RMQ_ORIGIN(ch->entry, 0, 0));
        }
    }
}

static void on_publish(rmq_node *node, rmq_channel *ch, const rmq_msg *msg)
{
    BL_ASSERTF(ch->publisher, "%s: a publish on a consumer's channel", node->node->name);
    if (!ch->tx) {
        route_publishes(node, ch, msg->ids, msg->keys, msg->count, msg->first_seq, msg->persistent,
                        msg->size_bytes);
        return;
    }
    /* tx mode: nothing takes effect before the commit (R5) */
    BL_GROW(ch->tx_ids, ch->tx_capacity, (uint64_t)ch->tx_count + msg->count, RABBITMQ_TX_SIZE_MAX,
            "a transaction's publishes");
    uint32_t keys_capacity = ch->tx_capacity;
    BL_ASSERT(keys_capacity >= ch->tx_count + msg->count);
    ch->tx_keys = realloc(ch->tx_keys, keys_capacity * sizeof *ch->tx_keys);
    BL_ASSERT(ch->tx_keys != NULL);
    memcpy(ch->tx_ids + ch->tx_count, msg->ids, msg->count * sizeof *msg->ids);
    memcpy(ch->tx_keys + ch->tx_count, msg->keys, msg->count * sizeof *msg->keys);
    ch->tx_count += msg->count;
    ch->tx_persistent = msg->persistent;
    ch->tx_size_bytes = msg->size_bytes;
}

static void on_tx_commit(rmq_node *node, rmq_channel *ch)
{
    BL_ASSERTF(ch->tx && !ch->commit_waiting, "%s: tx.commit out of place", node->node->name);
    ch->commit_waiting = true;
    ch->commit_upto = ch->next_seq + ch->tx_count;
    route_publishes(node, ch, ch->tx_ids, ch->tx_keys, ch->tx_count, ch->next_seq,
                    ch->tx_persistent, ch->tx_size_bytes);
    ch->tx_count = 0;
    maybe_commit_ok(node, ch);
}

static void on_consume(rmq_node *node, rmq_channel *ch, const rmq_msg *msg)
{
    BL_ASSERTF(!ch->publisher, "%s: basic.consume on a publisher's channel", node->node->name);
    ch->queue = msg->queue;
    ch->prefetch = msg->prefetch;
    ch->no_ack = msg->no_ack;
    rmq_queue_def *def = queue_def(node, msg->queue);
    /* a queue declared mid-run: its consumer's queue.declare and queue.bind come first
     * (cluster-wide metadata from now on, C03) */
    if (!def->bound && !def->deleted) def->bound = true;
    if (!home_up(node, msg->queue) || def->deleted) {
        /* "home node ... is down" (R7): the client retries; a deleted queue: NOT_FOUND */
        rmq_msg *cancel = rmq_msg_new(RMQ_CANCEL, 0);
        cancel->queue = msg->queue;
        to_client(node, ch, cancel);
        return;
    }
    rmq_msg *attach = rmq_msg_new(RMQ_NODE_CONSUME, 0);
    attach->queue = msg->queue;
    attach->client = ch->client;
    attach->conn = ch->conn;
    attach->via = self_id(node);
    attach->prefetch = msg->prefetch;
    attach->no_ack = msg->no_ack;
    attach->first_seq = ch->consumes++; /* a consume again after a cancel: tags go on */
    rmq_node_send(node, master_id(node, msg->queue), attach);
}

/* What a blocked connection had not read is gone with it. */
static void drop_unread(rmq_channel *ch)
{
    while (bl_ring_count(&ch->unread) > 0) {
        rmq_msg_free(*BL_RING_FRONT(&ch->unread, rmq_msg *));
        bl_ring_pop_front(&ch->unread);
    }
}

/* ---- resource alarms (R14) ---- */

/* Reads on what a blocked connection's socket held, until it blocks again. */
static void read_unread(rmq_node *node, rmq_channel *ch)
{
    node->reading_unread = true;
    while (ch->open && !node->blocking && !ch->flow_blocked && bl_ring_count(&ch->unread) > 0) {
        rmq_msg *msg = *BL_RING_FRONT(&ch->unread, rmq_msg *);
        bl_ring_pop_front(&ch->unread);
        node_handle(node, msg, ch->client);
    }
    node->reading_unread = false;
    if (!ch->open) drop_unread(ch);
}

void rmq_node_channel_flow(rmq_node *node, rmq_channel *ch, bool blocked)
{
    if (ch->flow_blocked == blocked) return;
    ch->flow_blocked = blocked;
    if (!blocked && !node->reading_unread) read_unread(node, ch);
}

/* rabbit_alarm: publishers are blocked on every node while any node it sees has an
 * alarm. Blocking tells each publishing connection (connection.blocked) and stops reading
 * its socket at its next publish; unblocking reads on where it stopped. */
static void update_blocking(rmq_node *node)
{
    bool want = node->disk_alarm;
    for (uint32_t n = 0; n < node->cluster->node_count; n++)
        if (n != node->index && node->peer_alarm[n] && !node->peer_down[n]) want = true;
    if (want == node->blocking) return;
    node->blocking = want;
    for (uint32_t id = 0; id < node->channel_slots; id++) {
        rmq_channel *ch = node->channels[id];
        if (ch == NULL || !ch->open || !ch->publisher) continue;
        to_client(node, ch, rmq_msg_new(want ? RMQ_BLOCKED : RMQ_UNBLOCKED, 0));
        if (!want) read_unread(node, ch);
    }
}

/* Tells the other nodes its alarm changed (rabbit_alarm's remote alarms). */
static void announce_alarm(rmq_node *node, uint32_t peer)
{
    rmq_msg *alarm = rmq_msg_new(RMQ_NODE_ALARM, 0);
    alarm->mode = node->disk_alarm ? 1 : 0;
    rmq_node_send(node, node_id(node, peer), alarm);
}

/* rabbit_disk_monitor's check: the alarm is set while the free space is below
 * disk_free_limit. */
static void on_disk_check(rmq_node *node)
{
    const disk *d = &node->disk;
    uint64_t capacity = d->options.capacity_bytes;
    BL_ASSERT(capacity > 0);
    uint64_t free_bytes = capacity > d->used_bytes ? capacity - d->used_bytes : 0;
    uint64_t limit = node->cluster->options.disk_free_limit_bytes;
    bool alarm = free_bytes < limit;
    if (alarm != node->disk_alarm) {
        node->disk_alarm = alarm;
        if (alarm) node->alarms_raised++;
#ifndef BROKERLAB_MUTANT_ALARM_LOCAL_ONLY /* mutant: the other nodes never hear of it */
        for (uint32_t n = 0; n < node->cluster->node_count; n++)
            if (n != node->index) announce_alarm(node, n);
#endif
        update_blocking(node);
    }
    int64_t interval_us = RMQ_DISK_CHECK_MAX_US;
    if (!alarm) {
        double ideal_us =
            2.0 * (double)(free_bytes - limit) * 1e6 / (double)RMQ_DISK_FAST_BYTES_PER_S;
        interval_us = ideal_us < RMQ_DISK_CHECK_MIN_US   ? RMQ_DISK_CHECK_MIN_US
                      : ideal_us > RMQ_DISK_CHECK_MAX_US ? RMQ_DISK_CHECK_MAX_US
                                                         : (int64_t)ideal_us;
    }
    sim_timer_set(node->node, &node->disk_timer, sim_now_us() + interval_us, NODE_TIMER_DISK);
}

/* The channel closed (the client's socket reset, or its heartbeats stopped). */
static void channel_close(rmq_node *node, rmq_channel *ch)
{
    if (!ch->open) return;
    ch->open = false;
    if (ch->publisher || (ch->consuming && queue_def(node, ch->queue)->quorum)) {
        rmq_quorum_channel_closed(node, ch);
        ch->consuming = false;
    }
    if (!ch->publisher && ch->consuming && home_up(node, ch->queue)) {
        rmq_msg *detach = rmq_msg_new(RMQ_NODE_DETACH, 0);
        detach->queue = ch->queue;
        detach->client = ch->client;
        detach->conn = ch->conn;
        rmq_node_send(node, master_id(node, ch->queue), detach);
    }
    ch->consuming = false;
    bl_ring_clear(&ch->pending);
    ch->tx_count = 0;
    ch->commit_waiting = false;
    drop_unread(ch);
}

/* ---- queues on this node ---- */

/* ---- replicas ---- */

static void observe_for_mirrors(void *ctx, uint32_t queue, uint64_t seq, rmq_change change);

/* A fresh replica of `queue` on this node, numbering its messages from base_seq (a
 * mirror joining later starts where its master is). */
static rmq_replica *replica_create(rmq_node *node, uint32_t queue, uint64_t base_seq)
{
    rmq_queue_def *def = queue_def(node, queue);
    BL_ASSERT(node->replicas[queue] == NULL);
    rmq_replica *r = calloc(1, sizeof *r);
    BL_ASSERT(r != NULL);
    if (def->durable && !def->quorum && node->files[queue] == NULL)
        node->files[queue] = disk_open(&node->disk);
    disk_file *file = node->files[queue];
    if (file != NULL && file->size_bytes > file->start_bytes) /* a discarded copy */
        disk_truncate(&node->disk, file, file->start_bytes);
    rmq_queue_init(&r->queue, queue, def->durable, def->size_bytes, file);
    r->queue.single_active = def->single_active;
    /* a mirror stamps expiries (its copy's, from its own arrival) but drops nothing
     * itself: the master's drops reach it as consumptions */
    rmq_queue_limits mirror_limits = {.message_ttl_us = def->limits.message_ttl_us,
                                      .max_length = RMQ_NO_MAX_LENGTH};
    rmq_queue_set_limits(&r->queue, &mirror_limits, NULL, NULL);
    r->ttl_timer_us = SIM_TIME_NEVER;
    memset(r->scraped, 0xff, sizeof r->scraped); /* the first scrape says every counter */
    r->generation = ++node->replica_generations;
    if (base_seq > 1) rmq_queue_start_at(&r->queue, base_seq);
    BL_RING_INIT(&r->unconfirmed, uint8_t, RMQ_QUEUE_MESSAGES_MAX,
                 "a mirror's messages not yet confirmed to its master");
    r->unconfirmed_base = r->sent_upto = base_seq;
    node->replicas[queue] = r;
    if (def->quorum) rmq_quorum_member_init(node, queue, r);
    return r;
}

static void replica_free(rmq_node *node, uint32_t queue)
{
    rmq_replica *r = node->replicas[queue];
    if (r == NULL) return;
    rmq_quorum_member_free(r);
    rmq_queue_free(&r->queue);
    free(r->fsync.confirms);
    free(r->held);
    bl_ring_free(&r->unconfirmed);
    free(r);
    node->replicas[queue] = NULL;
}

/* A message leaves `queue` for its dead-letter exchange (rabbit_dead_letter:publish):
 * republished at once, without a confirm, to the queues the exchange routes it to, its
 * reason and source queue in its x-death header; the source's copy is gone already, so
 * a target whose node is down never gets it (R12: at most once). A dead letter routed
 * back into the queue it died in, with no reject on the way, is dropped (the cycle
 * rule). Enqueues without a confirm are sent per target and persistence: the `client`
 * of the packet (UINT32_MAX or one below, no client's id) only keeps persistent and
 * transient ones apart. */
static void dead_letter(void *ctx, uint32_t queue, const rmq_entry *e, rmq_death reason)
{
    rmq_node *node = ctx;
    const rmq_queue_def *def = queue_def(node, queue);
    uint32_t targets[RMQ_QUEUES_MAX];
    uint32_t n =
        rmq_cluster_dead_letter_targets(node->cluster, queue, e->publisher, e->key, targets);
    bool persistent = (e->flags & RMQ_FLAG_PERSISTENT) != 0;
    for (uint32_t t = 0; t < n; t++) {
        uint32_t target = targets[t];
        /* rabbit_dead_letter's cycle rule, on what this model keeps of x-death: the queue
         * it dies in now and the queue it first died in */
        if (reason != RMQ_DEATH_REJECTED &&
            (target == queue || (e->death != RMQ_DEATH_NONE && target == e->death_queue)))
            continue;
        if (!home_up(node, target)) continue;
        rmq_outbox *box = rmq_outbox_for(node, master_id(node, target), RMQ_NODE_ENQUEUE,
                                         UINT32_MAX - (persistent ? 1u : 0u), target, 0);
        box->size_bytes = def->size_bytes;
        box->persistent = persistent;
        /* a dead letter dying again keeps its first death (x-first-death-reason, -queue) */
        uint32_t origin = e->death != RMQ_DEATH_NONE
                              ? RMQ_ORIGIN(e->publisher, e->death, e->death_queue)
                              : RMQ_ORIGIN(e->publisher, reason, queue);
        rmq_outbox_add(box, e->msg_id, e->key, 0, 0, origin);
    }
}

void rmq_node_dead_letter(rmq_node *node, uint32_t queue, const rmq_entry *e, rmq_death reason)
{
    dead_letter(node, queue, e, reason);
}

/* This node leads `queue` from now on: its changes go to the mirrors. */
static void become_master(rmq_node *node, uint32_t queue)
{
    rmq_replica *r = replica_of(node, queue);
    BL_ASSERT(r != NULL);
    rmq_queue_def *def = queue_def(node, queue);
    node->master_view[queue] = node->index;
    def->master = node->index;
    rmq_queue_set_limits(&r->queue, &def->limits, dead_letter, node);
    if (def->mirrored) {
        r->queue.observer = observe_for_mirrors;
        r->queue.observer_ctx = node;
    }
    for (uint32_t m = 0; m < SCN_BROKERS_MAX; m++) r->mirror_upto[m] = 0;
    node->queue_dirty[queue] = true;
}

/* The mirrors the master broadcasts to: the other members it sees up. */
static bool is_live_mirror(const rmq_node *node, uint32_t member)
{
    return member != node->index && metadata_shared(node, member);
}

/* ---- confirms ---- */

typedef struct confirm_sink {
    rmq_node *node;
    uint32_t queue;
} confirm_sink;

static void confirm_to_channel(rmq_node *node, uint32_t queue, const rmq_confirm *confirm,
                               bool nacked)
{
    rmq_outbox *box =
        rmq_outbox_for(node, confirm->via, RMQ_NODE_CONFIRM, RMQ_CHANNEL_CLIENT(confirm->channel),
                       queue, RMQ_CHANNEL_CONN(confirm->channel));
    rmq_outbox_add(box, 0, -1, confirm->seq, nacked, 0);
}

/* Whether every live mirror that should have the message has confirmed it. */
static bool mirrors_have(const rmq_node *node, uint32_t queue, uint64_t queue_seq)
{
    const rmq_members *view = view_of(node, queue);
    const rmq_replica *r = replica_of(node, queue);
    for (uint32_t m = 0; m < view->count; m++) {
        uint32_t member = view->node[m];
        if (!is_live_mirror(node, member) || view->joined_seq[member] > queue_seq) continue;
        if (r->mirror_upto[member] <= queue_seq) return false;
    }
    return true;
}

/* A mirror's copy of message queue_seq is written (and, up to 3.12, fsynced): the bound
 * it tells its master moves past every message it has confirmed in a row. */
static void mirror_confirmed(rmq_node *node, uint32_t queue, uint64_t queue_seq)
{
    rmq_replica *r = replica_of(node, queue);
    BL_ASSERT(queue_seq >= r->unconfirmed_base &&
              queue_seq - r->unconfirmed_base < bl_ring_count(&r->unconfirmed));
    *BL_RING_AT(&r->unconfirmed, uint8_t, (uint32_t)(queue_seq - r->unconfirmed_base)) = 1;
    while (bl_ring_count(&r->unconfirmed) > 0 && *BL_RING_FRONT(&r->unconfirmed, uint8_t)) {
        bl_ring_pop_front(&r->unconfirmed);
        r->unconfirmed_base++;
    }
    node->queue_dirty[queue] = true;
}

/* A message is safe in this replica: a master confirms it to its channel (once its
 * mirrors have it too), a mirror counts it towards what it tells its master. */
static void confirm_done(rmq_node *node, uint32_t queue, const rmq_confirm *confirm)
{
    rmq_replica *r = replica_of(node, queue);
    if (led(node, queue) == NULL) {
        mirror_confirmed(node, queue, confirm->queue_seq);
        return;
    }
    if (confirm->seq == 0 || confirm->channel == 0)
        return; /* no confirm asked, or one it waited for as a mirror (to its old master) */
    if (mirrors_have(node, queue, confirm->queue_seq)) {
        confirm_to_channel(node, queue, confirm, false);
        return;
    }
    BL_GROW(r->held, r->held_capacity, (uint64_t)r->held_count + 1, RMQ_PENDING_MAX * 64u,
            "confirms waiting for a queue's mirrors");
    r->held[r->held_count++] = *confirm;
}

static void release_held_confirms(rmq_node *node, uint32_t queue)
{
    rmq_replica *r = replica_of(node, queue);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < r->held_count; i++) {
        if (mirrors_have(node, queue, r->held[i].queue_seq))
            confirm_to_channel(node, queue, &r->held[i], false);
        else
            r->held[kept++] = r->held[i];
    }
    r->held_count = kept;
}

static void confirm_collect(void *ctx, const rmq_confirm *confirm)
{
    confirm_sink *sink = ctx;
    rmq_fsync_wait *wait = &replica_of(sink->node, sink->queue)->fsync;
    if (!rabbitmq_confirm_fsyncs(sink->node->cluster->version)) {
        confirm_done(sink->node, sink->queue, confirm);
        return;
    }
    BL_GROW(wait->confirms, wait->capacity, (uint64_t)wait->count + 1, RMQ_PENDING_MAX * 64u,
            "confirms waiting for an fsync");
    wait->confirms[wait->count++] = *confirm;
}

static void release_fsync_confirms(rmq_node *node, uint32_t queue)
{
    rmq_fsync_wait *wait = &replica_of(node, queue)->fsync;
    for (uint32_t i = 0; i < wait->count; i++) confirm_done(node, queue, &wait->confirms[i]);
    wait->count = 0;
}

/* ---- the master's broadcasts ---- */

static void broadcast(rmq_node *node, uint32_t queue, uint64_t id, int32_t key, uint64_t seq,
                      uint8_t op, uint32_t origin)
{
    const rmq_queue_def *def = queue_def(node, queue);
    const rmq_members *view = view_of(node, queue);
    for (uint32_t m = 0; m < view->count; m++) {
        uint32_t member = view->node[m];
        if (!is_live_mirror(node, member)) continue;
        rmq_outbox *box = rmq_outbox_for(node, node_id(node, member), RMQ_NODE_GM, 0, queue, 0);
        box->size_bytes = def->size_bytes;
        rmq_outbox_add(box, id, key, seq, op, origin);
    }
}

static void observe_for_mirrors(void *ctx, uint32_t queue, uint64_t seq, rmq_change change)
{
    broadcast(ctx, queue, 0, -1, seq, (uint8_t)change, 0);
}

/* Message i of an enqueue or a GM publish, as its queue takes it in. */
static rmq_publish publish_of(const rmq_msg *msg, uint32_t i, bool persistent,
                              const rmq_confirm *confirm)
{
    uint32_t origin = msg->origins[i];
    return (rmq_publish){.msg_id = msg->ids[i],
                         .key = msg->keys[i],
                         .persistent = persistent,
                         .publisher = (uint16_t)RMQ_ORIGIN_PUBLISHER(origin),
                         .confirm = confirm,
                         .death = (uint8_t)RMQ_ORIGIN_DEATH(origin),
                         .death_queue = (uint16_t)RMQ_ORIGIN_QUEUE(origin)};
}

/* A mirror's side of a broadcast. */
static void on_node_gm(rmq_node *node, const rmq_msg *msg)
{
    rmq_replica *r = replica_of(node, msg->queue);
    for (uint32_t i = 0; i < msg->count; i++) {
        uint8_t op = msg->flags[i];
        if (op == RMQ_GM_JOIN) { /* the master takes this node in as a new mirror */
            replica_free(node, msg->queue);
            r = replica_create(node, msg->queue, msg->seqs[i]);
            node->master_view[msg->queue] = rmq_cluster_node_index(node->cluster, msg->via);
            continue;
        }
        if (r == NULL || led(node, msg->queue) != NULL) continue; /* not (or no longer) a mirror */
        if (rmq_cluster_node_index(node->cluster, msg->via) !=
            (int32_t)node->master_view[msg->queue])
            continue; /* from a master this node has seen go (its last broadcasts in flight) */
        if (op == RMQ_GM_PUBLISH_TRANSIENT || op == RMQ_GM_PUBLISH_PERSISTENT) {
            BL_ASSERTF(msg->seqs[i] == rmq_queue_next_seq(&r->queue),
                       "%s: queue %s: mirror got seq %llu, expected %llu", node->node->name,
                       queue_def(node, msg->queue)->name, (unsigned long long)msg->seqs[i],
                       (unsigned long long)rmq_queue_next_seq(&r->queue));
            *BL_RING_PUSH_BACK(&r->unconfirmed, uint8_t) = 0;
            rmq_confirm confirm = {.channel = 0, .via = 0, .seq = msg->seqs[i]};
            rmq_publish publish = publish_of(msg, i, op == RMQ_GM_PUBLISH_PERSISTENT, &confirm);
            rmq_publish_result result = rmq_queue_publish(&r->queue, &publish, sim_now_us());
            BL_ASSERT(result != RMQ_PUBLISH_REJECTED); /* a mirror has no length limit */
            if (result == RMQ_PUBLISH_CONFIRM_NOW) mirror_confirmed(node, msg->queue, msg->seqs[i]);
            continue;
        }
        rmq_queue_mirror_change(&r->queue, msg->seqs[i], (rmq_change)op);
    }
    node->queue_dirty[msg->queue] = true;
}

static void on_node_gm_ack(rmq_node *node, const rmq_msg *msg, uint32_t source)
{
    rmq_replica *r = led(node, msg->queue);
    int32_t mirror = rmq_cluster_node_index(node->cluster, source);
    if (r == NULL || mirror < 0) return;
    if (msg->first_seq > r->mirror_upto[mirror]) r->mirror_upto[mirror] = msg->first_seq;
    node->queue_dirty[msg->queue] = true;
}

/* ---- queue work at the end of a wake-up ---- */

static uint32_t entry_origin(const rmq_entry *e)
{
    return RMQ_ORIGIN(e->publisher, e->death, e->death_queue);
}

void rmq_node_deliver_ready(rmq_node *node, uint32_t queue, rmq_queue *q)
{
    uint32_t slot;
    rmq_entry *entry;
    uint64_t tag;
#ifdef BROKERLAB_MUTANT_PREFETCH_IGNORED
    for (uint32_t c = 0; c < q->consumer_count; c++) q->consumers[c].prefetch = 0; /* mutant */
#endif
    while (rmq_queue_next_delivery(q, &slot, &entry, &tag)) {
        const rmq_consumer_slot *consumer = &q->consumers[slot];
        bool local = consumer->via == self_id(node);
        rmq_outbox *box = rmq_outbox_for(node, local ? consumer->client : consumer->via,
                                         local ? RMQ_DELIVER : RMQ_NODE_DELIVER, consumer->client,
                                         queue, consumer->conn);
        box->size_bytes = q->message_size_bytes;
        rmq_outbox_add(box, entry->msg_id, entry->key, tag,
                       (entry->flags & RMQ_FLAG_REDELIVERED) != 0, entry_origin(entry));
        if (local && queue_def(node, queue)->quorum) { /* what the channel passed on */
            rmq_channel *ch = channel_of(node, consumer->client);
            if (ch != NULL && ch->conn == consumer->conn && tag > ch->last_tag) ch->last_tag = tag;
        }
    }
}

static void queue_work(rmq_node *node, uint32_t queue)
{
    rmq_replica *r = replica_of(node, queue);
    if (r == NULL) return;
    if (r->quorum != NULL) {
        rmq_quorum_work(node, queue);
        return;
    }
    rmq_queue *q = &r->queue;
    rmq_queue_def *def = queue_def(node, queue);
    bool master = led(node, queue) != NULL;
    if (master) {
        /* drop_expired_msgs before fetching; then its TTL timer for the new head */
        int64_t next_expiry_us = rmq_queue_expire(q, sim_now_us());
        rmq_node_deliver_ready(node, queue, q);
        rmq_queue_drop_head(q);
        if (next_expiry_us != RMQ_NO_TTL && next_expiry_us < r->ttl_timer_us) {
            r->ttl_timer_us = next_expiry_us;
            sim_schedule(node->node, next_expiry_us, NODE_EVENT_TTL, queue,
                         (uint64_t)node->app_incarnation << 32 | r->generation, NULL);
        }
    }
    rmq_fsync_wait *wait = &r->fsync;
    if (rmq_queue_sync_pending(q) && !wait->in_flight) {
        confirm_sink sink = {.node = node, .queue = queue};
        uint64_t bytes = rmq_queue_sync(q, &node->disk, sim_now_us(), confirm_collect, &sink);
        if (rabbitmq_confirm_fsyncs(node->cluster->version) && (bytes > 0 || wait->count > 0)) {
            /* rabbit_queue_index / rabbit_msg_store up to 3.12: file:sync before confirming */
            int64_t done_us = disk_fsync_start(&node->disk, q->file, sim_now_us());
            wait->in_flight = true;
            wait->upto_bytes = q->file->size_bytes;
            sim_schedule(node->node, done_us, NODE_EVENT_FSYNC_DONE, queue,
                         (uint64_t)node->app_incarnation << 32 | r->generation, NULL);
        }
    }
    if (master && def->mirrored) {
        release_held_confirms(node, queue);
        /* rabbit_mirror_queue_misc: a mirror is synchronised once the master holds no
         * message older than the mirror's join */
        uint64_t oldest = rmq_queue_oldest_live(q);
        rmq_members *view = view_of(node, queue);
        for (uint32_t m = 0; m < view->count; m++) {
            uint32_t member = view->node[m];
            if (member == node->index || view->synced[member] || oldest < view->joined_seq[member])
                continue;
            view->synced[member] = true;
            view_changed(node, queue);
        }
    }
    if (!master && r->unconfirmed_base > r->sent_upto && home_up(node, queue)) {
        rmq_msg *ack = rmq_msg_new(RMQ_NODE_GM_ACK, 0);
        ack->queue = queue;
        ack->first_seq = r->unconfirmed_base;
        r->sent_upto = r->unconfirmed_base;
        rmq_node_send(node, master_id(node, queue), ack);
    }
    rmq_queue_trim(q);
}

/* ---- the queue's operations at its master ---- */

static void on_node_enqueue(rmq_node *node, const rmq_msg *msg)
{
    if (queue_def(node, msg->queue)->quorum) { /* a dead letter (at most once) */
        rmq_quorum_on_enqueue(node, msg);
        return;
    }
    rmq_replica *r = led(node, msg->queue);
    for (uint32_t i = 0; i < msg->count; i++) {
        rmq_confirm confirm = {
            .channel = RMQ_CHANNEL(msg->client, msg->conn), .via = msg->via, .seq = msg->seqs[i]};
        if (r == NULL) { /* no longer its master (R4: nacked) */
            if (msg->seqs[i] != 0) confirm_to_channel(node, msg->queue, &confirm, true);
            continue;
        }
        rmq_queue *q = &r->queue;
        confirm.queue_seq = rmq_queue_next_seq(q);
        rmq_publish publish =
            publish_of(msg, i, msg->persistent, msg->seqs[i] != 0 ? &confirm : NULL);
        if (rmq_queue_would_reject(q)) { /* overflow reject-publish: nacked (R13) */
            rmq_publish_result rejected = rmq_queue_publish(q, &publish, sim_now_us());
            BL_ASSERT(rejected == RMQ_PUBLISH_REJECTED);
            if (msg->seqs[i] != 0) confirm_to_channel(node, msg->queue, &confirm, true);
            continue;
        }
        if (queue_def(node, msg->queue)->mirrored) /* gm:broadcast of the publish, body included */
            broadcast(node, msg->queue, msg->ids[i], msg->keys[i], confirm.queue_seq,
                      msg->persistent ? RMQ_GM_PUBLISH_PERSISTENT : RMQ_GM_PUBLISH_TRANSIENT,
                      msg->origins[i]);
        rmq_publish_result result = rmq_queue_publish(q, &publish, sim_now_us());
        BL_ASSERT(result != RMQ_PUBLISH_REJECTED);
        if (result == RMQ_PUBLISH_CONFIRM_NOW && msg->seqs[i] != 0)
            confirm_done(node, msg->queue, &confirm);
    }
    node->queue_dirty[msg->queue] = true;
}

static void on_node_consume(rmq_node *node, const rmq_msg *msg)
{
    if (queue_def(node, msg->queue)->quorum) {
        rmq_quorum_on_consume(node, msg);
        return;
    }
    rmq_replica *r = led(node, msg->queue);
    if (r == NULL) { /* not its master (any more): the consumer is cancelled, and retries */
        rmq_msg *cancel = rmq_msg_new(RMQ_NODE_CANCEL, 0);
        cancel->queue = msg->queue;
        cancel->client = msg->client;
        cancel->conn = msg->conn;
        rmq_node_send(node, msg->via, cancel);
        return;
    }
    rmq_queue *q = &r->queue;
    uint32_t slot = rmq_queue_consumer_of(q, msg->client);
    if (slot != RMQ_NO_CONSUMER) rmq_queue_detach(q, slot); /* its old channel's leftovers */
    slot = rmq_queue_attach(q, msg->client, msg->via, msg->prefetch, msg->no_ack,
                            RMQ_TAG_GENERATION(msg->first_seq));
    q->consumers[slot].conn = msg->conn;
    node->queue_dirty[msg->queue] = true;
    rmq_msg *ok = rmq_msg_new(RMQ_NODE_CONSUME_OK, 0);
    ok->queue = msg->queue;
    ok->client = msg->client;
    ok->conn = msg->conn;
    rmq_node_send(node, msg->via, ok);
}

static void on_node_ack(rmq_node *node, const rmq_msg *msg)
{
    if (queue_def(node, msg->queue)->quorum) {
        rmq_quorum_on_ack(node, msg);
        return;
    }
    rmq_replica *r = led(node, msg->queue);
    if (r == NULL) return; /* acks for an old master: its successor requeued everything */
    rmq_queue *q = &r->queue;
    uint32_t slot = rmq_queue_consumer_of(q, msg->client);
    if (slot == RMQ_NO_CONSUMER || q->consumers[slot].conn != msg->conn)
        return; /* acks of a channel the queue no longer has */
    for (uint32_t i = 0; i < msg->count; i++) {
        if (msg->seqs[i] <= q->consumers[slot].tag_base)
            continue; /* a delivery of a master that is gone: its successor requeued it */
        bool known = rmq_queue_ack(q, slot, msg->seqs[i]);
        BL_ASSERTF(known, "%s: queue %s: ack of delivery tag %llu the consumer does not hold",
                   node->node->name, queue_def(node, msg->queue)->name,
                   (unsigned long long)msg->seqs[i]);
    }
    node->queue_dirty[msg->queue] = true;
}

/* rabbit_amqqueue:delete at the queue's master: its messages go, its consumers are
 * cancelled (basic.cancel to their channels). */
static void delete_queue(rmq_node *node, uint32_t queue)
{
    rmq_replica *r = led(node, queue);
    if (r == NULL) return;
    rmq_queue *q = &r->queue;
    for (uint32_t c = 0; c < q->consumer_count; c++) {
        const rmq_consumer_slot *slot = &q->consumers[c];
        if (!slot->attached) continue;
        rmq_msg *cancel = rmq_msg_new(RMQ_NODE_CANCEL, 0);
        cancel->queue = queue;
        cancel->client = slot->client;
        cancel->conn = slot->conn;
        rmq_node_send(node, slot->via, cancel);
    }
    /* a deleted queue settles what its publishers wait for (it is gone for good, as an
     * eol queue is to rabbit_confirms): their confirms go now */
    uint32_t count = bl_ring_count(&q->table);
    for (uint32_t i = 0; i < count; i++) {
        rmq_entry *e = BL_RING_AT(&q->table, rmq_entry, i);
        if ((e->flags & RMQ_FLAG_CONFIRM_WAITS) == 0) continue;
        e->flags &= (uint8_t)~RMQ_FLAG_CONFIRM_WAITS;
        rmq_confirm confirm = {.channel = e->channel,
                               .via = e->via,
                               .seq = e->confirm_seq,
                               .queue_seq = q->base_seq + i};
        confirm_done(node, queue, &confirm);
    }
    rmq_queue_recover(q, 0); /* nothing of it is kept */
    node->queue_dirty[queue] = true;
}

static void on_node_detach(rmq_node *node, const rmq_msg *msg)
{
    if (queue_def(node, msg->queue)->quorum) {
        rmq_quorum_on_detach(node, msg);
        return;
    }
    rmq_replica *r = led(node, msg->queue);
    if (r == NULL) return;
    uint32_t slot = rmq_queue_consumer_of(&r->queue, msg->client);
    if (slot == RMQ_NO_CONSUMER || r->queue.consumers[slot].conn != msg->conn) return;
    rmq_queue_detach(&r->queue, slot);
    node->queue_dirty[msg->queue] = true;
}

/* ---- the view of other nodes ---- */

static void top_up_mirrors(rmq_node *node, int32_t booted);

/* The member this node takes for the new master of `queue` when its master is gone: the
 * oldest member it sees up (rabbit_mirror_queue_coordinator: the oldest mirror is
 * promoted), if ha_promote_on_failure allows it; RMQ_NO_NODE if none. */
static uint32_t successor(const rmq_node *node, uint32_t queue)
{
    const rmq_queue_def *def = queue_def(node, queue);
    const rmq_members *view = view_of(node, queue);
    for (uint32_t m = 0; m < view->count; m++) {
        uint32_t member = view->node[m];
        if (!metadata_shared(node, member)) continue;
        if (def->promote == RABBITMQ_PROMOTE_WHEN_SYNCED && !view->synced[member])
            return RMQ_NO_NODE; /* the oldest is not synchronised: the queue stays down */
        return member;
    }
    return RMQ_NO_NODE;
}

/* Node `peer` is down as this node sees it. Mirrored queues it led get a new master (this
 * node, if it is the oldest mirror up); the consumers here of queues it led follow the
 * new master or are cancelled, publishes waiting for it are nacked, or acked if another
 * queue already confirmed them (R4, PR #1893); consumers of this node's queues connected
 * through it are gone. */
static void peer_went_down(rmq_node *node, uint32_t peer)
{
    if (node->peer_down[peer] || node->paused) {
        node->peer_down[peer] = true;
        return;
    }
    node->peer_down[peer] = true;
    /* pause_minority: the node pauses before anything else sees the peer gone, so no
     * confirm leaves once the minority is known (rabbit_node_monitor:
     * pause_partition_guard, checked by channels before confirming) */
    if (node->cluster->options.partition_handling == RABBITMQ_PARTITIONS_PAUSE_MINORITY &&
        !majority_visible(node)) {
        pause_for_minority(node);
        return;
    }
    node->peer_alarm[peer] = false; /* rabbit_alarm drops a down node's alarms */
    uint32_t peer_id = node_id(node, peer);
    bool moved[RMQ_QUEUES_MAX] = {false}, promoted[RMQ_QUEUES_MAX] = {false};
    rmq_quorum_peer_down(node, peer, node->peer_reset[peer]);
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_queue_def *def = queue_def(node, q);
        if (def->quorum) continue; /* rabbitmq_quorum.c */
        if (def->mirrored && node->master_view[q] == peer) {
            uint32_t next = successor(node, q);
            node->master_view[q] = next;
            moved[q] = next != RMQ_NO_NODE;
            if (next == node->index && replica_of(node, q) != NULL) {
                /* The surviving mirrors may have had more or fewer of the old master's last
                 * broadcasts than this node (GM's ring delivers them to all or none; the
                 * model's direct sends do not): they restart their copies from here, taken
                 * in again at once. */
                rmq_members *view = view_of(node, q);
                for (uint32_t m = view->count; m-- > 0;)
                    if (view->node[m] != node->index) rmq_members_remove(view, view->node[m]);
                view_changed(node, q);
                become_master(node, q);
                rmq_queue_promote(&replica_of(node, q)->queue);
                promoted[q] = true;
            }
        }
        if (def->mirrored && led(node, q) != NULL && rmq_members_has(view_of(node, q), peer)) {
            rmq_members_remove(view_of(node, q), peer); /* the master drops a member it saw go */
            view_changed(node, q);
            node->queue_dirty[q] = true; /* confirms held for it may go */
        }
        rmq_replica *r = led(node, q);
        if (r == NULL) continue;
        for (uint32_t c = 0; c < r->queue.consumer_count; c++)
            if (r->queue.consumers[c].attached && r->queue.consumers[c].via == peer_id) {
                rmq_queue_detach(&r->queue, c);
                node->queue_dirty[q] = true;
            }
    }
    for (uint32_t q = 0; q < node->cluster->queue_count; q++)
        if (promoted[q]) {
            top_up_mirrors(node, -1);
            break;
        }
    for (uint32_t id = 0; id < node->channel_slots; id++) {
        rmq_channel *ch = node->channels[id];
        if (ch == NULL || !ch->open) continue;
        if (!ch->publisher) {
            if (!ch->consuming || queue_def(node, ch->queue)->quorum) continue;
            if (moved[ch->queue]) { /* it consumes from the new master */
                ch->consuming = false;
                rmq_msg *attach = rmq_msg_new(RMQ_NODE_CONSUME, 0);
                attach->first_seq = ch->consumes++;
                attach->queue = ch->queue;
                attach->client = ch->client;
                attach->conn = ch->conn;
                attach->via = self_id(node);
                attach->prefetch = ch->prefetch;
                attach->no_ack = ch->no_ack;
                rmq_node_send(node, master_id(node, ch->queue), attach);
            } else if (!home_up(node, ch->queue)) {
                ch->consuming = false;
                rmq_msg *cancel = rmq_msg_new(RMQ_CANCEL, 0);
                cancel->queue = ch->queue;
                to_client(node, ch, cancel);
            }
            continue;
        }
        uint64_t end_seq = ch->next_seq;
        for (uint64_t seq = ch->first_seq; seq < end_seq; seq++) {
            if (seq < ch->first_seq) continue; /* settled and forgotten meanwhile */
            rmq_pending *p = pending_at(ch, seq);
            while (!p->done && p->waiting[peer] > 0)
                channel_confirmed(node, ch, peer, seq, p->confirmed_any == 0);
        }
    }
    update_blocking(node); /* after the promotions: what it reads on goes to new masters */
}

/* The memberships this node changed in this wake go to the nodes that share its
 * metadata (Mnesia's transaction on the queue's record). */
static void send_views(rmq_node *node)
{
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        if (!node->view_dirty[q]) continue;
        node->view_dirty[q] = false;
        for (uint32_t peer = 0; peer < node->cluster->node_count; peer++) {
            if (peer == node->index || !metadata_shared(node, peer)) continue;
            rmq_msg *copy = rmq_msg_new(RMQ_NODE_MEMBERS, 0);
            copy->queue = q;
            rmq_members *payload = malloc(sizeof *payload);
            BL_ASSERT(payload != NULL);
            *payload = *view_of(node, q);
            copy->payload = payload;
            copy->free_payload = free;
            copy->payload_bytes = 16 + (uint64_t)payload->count * 12;
            rmq_node_send(node, node_id(node, peer), copy);
        }
    }
}

/* Another node's newer copy of a membership replaces this node's (not across a
 * partition: the two sides' records went apart, and nothing merges them, R9). */
static void on_node_members(rmq_node *node, const rmq_msg *msg, uint32_t peer)
{
    const rmq_members *copy = msg->payload;
    rmq_members *view = view_of(node, msg->queue);
    if (!metadata_shared(node, peer) || copy->version <= view->version) return;
    *view = *copy;
}

/* A master takes `peer` in as a new mirror of `queue` (an empty one, unsynchronised
 * until the older messages are consumed: ha-sync-mode manual, the default). */
static void take_in_mirror(rmq_node *node, uint32_t queue, uint32_t peer)
{
    rmq_queue_def *def = queue_def(node, queue);
    rmq_replica *r = led(node, queue);
    rmq_members *view = view_of(node, queue);
    BL_ASSERT(def->mirrored && r != NULL && view->count < def->wanted);
    uint64_t from = rmq_queue_next_seq(&r->queue);
    rmq_members_add(view, peer, from);
    view_changed(node, queue);
    r->mirror_upto[peer] = from;
    rmq_outbox *box = rmq_outbox_for(node, node_id(node, peer), RMQ_NODE_GM, 0, queue, 0);
    box->size_bytes = def->size_bytes;
    rmq_outbox_add(box, 0, -1, from, RMQ_GM_JOIN, 0);
    node->queue_dirty[queue] = true;
}

/* Mirrored queues this node leads with fewer members than their policy wants take in the
 * nodes it sees up (rabbit_mirror_queue_misc:update_mirrors); a booted peer's old copy is
 * gone, so it is taken in afresh. */
static void top_up_mirrors(rmq_node *node, int32_t booted)
{
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_queue_def *def = queue_def(node, q);
        if (!def->mirrored || led(node, q) == NULL) continue;
        rmq_members *view = view_of(node, q);
        if (booted >= 0 && rmq_members_has(view, (uint32_t)booted)) {
            rmq_members_remove(view, (uint32_t)booted);
            view_changed(node, q);
        }
        for (uint32_t n = 0; n < node->cluster->node_count && view->count < def->wanted; n++) {
            uint32_t peer = (node->index + n) % node->cluster->node_count;
            if (peer == node->index || !metadata_shared(node, peer)) continue;
            if (!rmq_members_has(view, peer)) take_in_mirror(node, q, peer);
        }
    }
}

/* Whether node `n` has been silent for longer than net_ticktime. */
static bool peer_silent(const rmq_node *node, uint32_t n)
{
    return sim_now_us() - node->peer_heard_us[n] > node->cluster->options.net_ticktime_us;
}

/* Whether this node's Erlang distribution is connected to node `n` now (the nodes
 * rabbit_node_monitor:majority/0 counts: paused ones included). */
static bool distribution_up(const rmq_node *node, uint32_t n)
{
    if (n == node->index) return true;
    if (node->peer_reset[n]) return false;
    if (!node->paused) return !node->peer_down[n] || node->peer_paused[n];
    return !peer_silent(node, n);
}

/* rabbit_node_monitor:majority/0: more than half of the cluster's nodes connected. */
static bool majority_visible(const rmq_node *node)
{
    uint32_t up = 0;
    for (uint32_t n = 0; n < node->cluster->node_count; n++) up += distribution_up(node, n);
    return up * 2 > node->cluster->node_count;
}

static void app_pause(rmq_node *node);

/* pause_minority: the node stops its rabbit and rechecks every second
 * (rabbit_node_monitor's await_cluster_recovery). */
static void pause_for_minority(rmq_node *node)
{
    app_pause(node);
    sim_timer_set(node->node, &node->pause_timer, sim_now_us() + RMQ_PAUSE_RECHECK_US,
                  NODE_TIMER_PAUSE);
}

/* A peer heard again that ran on while this node had it down: a partition
 * (Mnesia's running_partitioned_network). Their metadata went apart and stays so; the
 * peer learns it too, as the connection this node closed reaches it. */
static void partition_detected(rmq_node *node, uint32_t peer)
{
    if (node->partitioned[peer]) return;
    node->partitioned[peer] = true;
    rmq_msg *tick = rmq_msg_new(RMQ_NODE_TICK, 0);
    tick->mode = RMQ_TICK_DISCONNECTED;
    rmq_node_send(node, node_id(node, peer), tick);
}

/* A packet from `peer`; `mode` is what its tick says (RMQ_TICK_ALIVE for any other). */
static void peer_heard(rmq_node *node, uint32_t peer, rmq_tick_mode mode)
{
    node->peer_heard_us[peer] = sim_now_us();
    bool was_reset = node->peer_reset[peer];
    node->peer_reset[peer] = false;
    if (mode == RMQ_TICK_PAUSED || mode == RMQ_TICK_STARTED)
        node->peer_paused[peer] = mode == RMQ_TICK_PAUSED;
    if (node->paused) return;      /* its distribution's view only */
    if (mode == RMQ_TICK_PAUSED) { /* its rabbit went: the monitors of its processes fire */
        peer_went_down(node, peer);
        return;
    }
    if (node->peer_paused[peer]) return; /* sent before it paused */
    bool booted = mode == RMQ_TICK_STARTED;
    bool was_down = node->peer_down[peer];
    if (mode == RMQ_TICK_DISCONNECTED && !was_down) {
        peer_went_down(node, peer);
        if (node->paused) return;
        was_down = true;
    }
    if (booted)
        node->partitioned[peer] = false;
    else if (was_down && !was_reset)
        partition_detected(node, peer);
    node->peer_down[peer] = false;
    if (was_down || booted) top_up_mirrors(node, booted ? (int32_t)peer : -1);
    if (was_down || booted) rmq_quorum_peer_up(node, peer, booted);
    if ((was_down || booted) && node->disk_alarm) announce_alarm(node, peer);
    if (booted && node->peer_alarm[peer]) { /* its alarm died with its old process */
        node->peer_alarm[peer] = false;
        update_blocking(node);
    }
}

/* ---- packets ---- */

static void node_handle(rmq_node *node, rmq_msg *msg, uint32_t source)
{
    int32_t peer = rmq_cluster_node_index(node->cluster, source);
    if (peer >= 0 && (uint32_t)peer != node->index)
        peer_heard(node, (uint32_t)peer,
                   msg->kind == RMQ_NODE_TICK ? (rmq_tick_mode)msg->mode : RMQ_TICK_ALIVE);
    if (node->paused) { /* only its Erlang node runs: rabbit's packets find no process */
        if (peer < 0 && msg->kind != RMQ_CLOSE) { /* its listeners are closed */
            rmq_msg *close = rmq_msg_new(RMQ_CLOSE, 0);
            close->conn = msg->conn;
            rmq_node_send(node, source, close);
        }
        rmq_msg_free(msg);
        return;
    }
    rmq_channel *ch = peer < 0 && msg->kind != RMQ_OPEN ? channel_of(node, source) : NULL;
    if (peer < 0 && msg->kind != RMQ_OPEN) {
        if (ch != NULL && msg->conn < ch->conn) { /* of a connection the client gave up */
            rmq_msg_free(msg);
            return;
        }
        if (ch == NULL || !ch->open) { /* on a connection the broker closed: closed again */
            rmq_msg *close = rmq_msg_new(RMQ_CLOSE, 0);
            close->conn = msg->conn;
            rmq_msg_free(msg);
            rmq_node_send(node, source, close);
            return;
        }
        BL_ASSERT(msg->conn == ch->conn);
        ch->last_heard_us = sim_now_us();
        /* blocked (R14; or by credit flow, a quorum queue's client slow): the reader
         * stops at the connection's first publish and reads nothing more of it until the
         * alarm clears */
        if (ch->publisher && !node->reading_unread &&
            (bl_ring_count(&ch->unread) > 0 ||
             ((node->blocking || ch->flow_blocked) &&
              (msg->kind == RMQ_PUBLISH || msg->kind == RMQ_TX_COMMIT)))) {
            *BL_RING_PUSH_BACK(&ch->unread, rmq_msg *) = msg;
            return;
        }
    }
    switch (msg->kind) {
    case RMQ_OPEN: channel_open(node, source, msg); break;
    case RMQ_PUBLISH: on_publish(node, ch, msg); break;
    case RMQ_TX_COMMIT: on_tx_commit(node, ch); break;
    case RMQ_CONSUME: on_consume(node, ch, msg); break;
    case RMQ_ACK:
        if (ch->consuming && queue_def(node, ch->queue)->quorum) {
            rmq_quorum_settle(node, ch, msg); /* kept until applied */
            break;
        }
        if (ch->consuming && home_up(node, ch->queue)) {
            msg->kind = RMQ_NODE_ACK;
            msg->queue = ch->queue;
            msg->client = ch->client;
            rmq_node_send(node, master_id(node, ch->queue), msg);
            return; /* passed on */
        }
        break;
    case RMQ_HEARTBEAT: break;
    case RMQ_NODE_ENQUEUE: on_node_enqueue(node, msg); break;
    case RMQ_NODE_CONFIRM: {
        rmq_channel *publisher = channel_of(node, msg->client);
        if (publisher == NULL || !publisher->open || publisher->conn != msg->conn)
            break; /* its connection closed */
        uint32_t from = (uint32_t)rmq_cluster_node_index(node->cluster, source);
        for (uint32_t i = 0; i < msg->count; i++)
            channel_confirmed(node, publisher, from, msg->seqs[i], msg->flags[i] != 0);
        break;
    }
    case RMQ_NODE_CONSUME: on_node_consume(node, msg); break;
    case RMQ_NODE_CONSUME_OK: {
        rmq_channel *consumer = channel_of(node, msg->client);
        if (consumer == NULL || !consumer->open || consumer->conn != msg->conn) {
            /* the channel closed meanwhile: let the queue requeue what it will send */
            rmq_msg *detach = rmq_msg_new(RMQ_NODE_DETACH, 0);
            detach->queue = msg->queue;
            detach->client = msg->client;
            detach->conn = msg->conn;
            rmq_node_send(node, source, detach);
            break;
        }
        consumer->consuming = true;
        rmq_msg *ok = rmq_msg_new(RMQ_CONSUME_OK, 0);
        ok->queue = msg->queue;
        to_client(node, consumer, ok);
        break;
    }
    case RMQ_NODE_DELIVER: {
        rmq_channel *consumer = channel_of(node, msg->client);
        if (consumer == NULL || !consumer->open || !consumer->consuming ||
            consumer->conn != msg->conn)
            break; /* requeued when the queue learns of the close */
        if (queue_def(node, msg->queue)->quorum &&
            rmq_quorum_filter_deliveries(node, consumer, msg) == 0)
            break; /* all of them passed on before */
        msg->kind = RMQ_DELIVER;
        to_client(node, consumer, msg);
        return; /* passed on */
    }
    case RMQ_NODE_ACK: on_node_ack(node, msg); break;
    case RMQ_NODE_DETACH: on_node_detach(node, msg); break;
    case RMQ_NODE_TICK: /* a tick carries the sender's alarm too: one lost in a cut is not
                           lost for good (the distribution's TCP would deliver it) */
        if (node->peer_alarm[peer] != msg->alarm) {
            node->peer_alarm[peer] = msg->alarm;
            update_blocking(node);
        }
        break;
    case RMQ_NODE_ALARM:
        node->peer_alarm[peer] = msg->mode == 1;
        update_blocking(node);
        break;
    case RMQ_QUEUE_DELETE: {
        /* queue.delete: exchanges stop routing to it at once; its master drops it */
        rmq_queue_def *def = queue_def(node, msg->queue);
        def->bound = false;
        def->deleted = true;
        if (home_up(node, msg->queue)) {
            rmq_msg *drop = rmq_msg_new(RMQ_NODE_DELETE, 0);
            drop->queue = msg->queue;
            rmq_node_send(node, master_id(node, msg->queue), drop);
        }
        break;
    }
    case RMQ_NODE_DELETE: delete_queue(node, msg->queue); break;
    case RMQ_NODE_QQ_ENQUEUE:
    case RMQ_NODE_QQ_APPLIED:
    case RMQ_NODE_QQ_REJECT:
    case RMQ_NODE_QQ_LEADER:
    case RMQ_NODE_QQ_SETTLE:
    case RMQ_NODE_QQ_SETTLED:
    case RMQ_NODE_QQ_MISSING:
    case RMQ_NODE_RAFT_APPEND:
    case RMQ_NODE_RAFT_APPEND_REPLY:
    case RMQ_NODE_RAFT_VOTE:
    case RMQ_NODE_RAFT_VOTE_REPLY:
    case RMQ_NODE_RAFT_SNAPSHOT:
    case RMQ_NODE_ATEN: rmq_quorum_on_packet(node, msg, source); break;
    case RMQ_NODE_GM: on_node_gm(node, msg); break;
    case RMQ_NODE_GM_ACK: on_node_gm_ack(node, msg, source); break;
    case RMQ_NODE_MEMBERS: on_node_members(node, msg, (uint32_t)peer); break;
    case RMQ_NODE_CANCEL: {
        rmq_channel *consumer = channel_of(node, msg->client);
        if (consumer == NULL || !consumer->open || consumer->conn != msg->conn) break;
        consumer->consuming = false;
        rmq_msg *cancel = rmq_msg_new(RMQ_CANCEL, 0);
        cancel->queue = msg->queue;
        to_client(node, consumer, cancel);
        break;
    }
    default:
        BL_ASSERTF(false, "%s: %s from %s", node->node->name, rmq_kind_name(msg->kind),
                   sim_node_by_id(source)->name);
    }
    rmq_msg_free(msg);
}

/* ---- timers ---- */

static bool queue_has_limits(const rmq_queue_def *def)
{
    return def->limits.message_ttl_us != RMQ_NO_TTL ||
           def->limits.max_length != RMQ_NO_MAX_LENGTH || def->limits.dead_letter;
}

/* The next scrape: the next multiple of stats_interval, or the run's last microsecond. */
static void arm_stats(rmq_node *node, int64_t now_us)
{
    const scn_scenario *scenario = node->cluster->scenario;
    int64_t interval_us = node->cluster->options.stats_interval_us;
    int64_t last_us = scenario->duration_us + scenario->drain_us - 1;
    int64_t next_us = (now_us / interval_us + 1) * interval_us;
    if (next_us > last_us) next_us = last_us;
    if (next_us <= now_us) return;
    sim_timer_set(node->node, &node->stats_timer, next_us, NODE_TIMER_STATS);
}

static void on_fsync_done(rmq_node *node, uint32_t queue, uint32_t generation)
{
    rmq_replica *r = replica_of(node, queue);
    if (r == NULL || r->generation != generation) return; /* its replica was discarded */
    BL_ASSERT(r->fsync.in_flight);
    disk_fsync_done(&node->disk, r->queue.file, r->fsync.upto_bytes);
    r->fsync.in_flight = false;
    release_fsync_confirms(node, queue);
    node->queue_dirty[queue] = true;
}

/* The queue's TTL timer (ensure_ttl_timer): an earlier one replaced it, or its replica
 * was discarded, when the time is not the one it waits for. */
static void on_ttl(rmq_node *node, uint32_t queue, uint32_t generation)
{
    rmq_replica *r = replica_of(node, queue);
    if (r == NULL || r->generation != generation || r->ttl_timer_us != sim_now_us()) return;
    r->ttl_timer_us = SIM_TIME_NEVER;
    node->queue_dirty[queue] = true;
}

/* What a metrics scrape of this node reads every stats_interval, and once more just
 * before the run's end: each queue it leads, each counter that changed since the last
 * scrape, as a stats record of the history (counters start from 0 at every boot and on
 * every new master, as rabbit_global_counters do). */
static void on_stats(rmq_node *node)
{
    static const char *const names[RMQ_STAT_COUNT] = {
        [RMQ_STAT_EXPIRED] = "expired",
        [RMQ_STAT_MAXLEN] = "maxlen",
        [RMQ_STAT_DEAD_LETTERED] = "dead_lettered",
        [RMQ_STAT_DROPPED] = "dropped",
    };
    int64_t now_us = sim_now_us();
    hist_names *table = hist_names_table();
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_replica *r = led(node, q);
        const rmq_queue_def *limited = queue_def(node, q);
        if (r == NULL || !queue_has_limits(limited) || !limited->bound) continue;
        const rmq_queue_counters *c = &r->queue.counters;
        uint64_t values[RMQ_STAT_COUNT] = {
            [RMQ_STAT_EXPIRED] = c->died[RMQ_DEATH_EXPIRED],
            [RMQ_STAT_MAXLEN] = c->died[RMQ_DEATH_MAXLEN],
            [RMQ_STAT_DEAD_LETTERED] = c->dead_lettered,
            [RMQ_STAT_DROPPED] = c->dropped,
        };
        const rmq_queue_def *def = queue_def(node, q);
        for (uint32_t k = 0; k < RMQ_STAT_COUNT; k++) {
            if (values[k] == r->scraped[k]) continue;
            r->scraped[k] = values[k];
            hist_record rec =
                hist_record_init(HIST_STATS, HIST_OK, hist_names_intern(table, "monitor"), now_us);
            rec.group =
                hist_names_intern(table, node->cluster->scenario->consumers[def->group].group);
            rec.partition = (int32_t)def->position;
            rec.source = hist_names_intern(table, node->node->name);
            rec.counter = hist_names_intern(table, names[k]);
            rec.value = values[k];
            hist_emit(HIST_STREAM_NOW, &rec);
        }
    }
    arm_stats(node, now_us);
}

static void on_tick(rmq_node *node)
{
    int64_t now_us = sim_now_us();
    int64_t ticktime_us = node->cluster->options.net_ticktime_us;
    for (uint32_t n = 0; n < node->cluster->node_count; n++) {
        if (n == node->index) continue;
        bool silent = peer_silent(node, n);
        if (silent && node->peer_paused[n]) node->peer_paused[n] = false; /* and now gone */
        if (!node->peer_down[n] && silent) peer_went_down(node, n);
        /* to a node that fell silent too (net_kernel keeps trying to connect, so a healed
         * partition is noticed); not to one whose process is gone (its connection reset):
         * it connects again when it boots */
        if (!node->peer_down[n] || !node->peer_reset[n]) {
            rmq_msg *tick = rmq_msg_new(RMQ_NODE_TICK, 0);
            tick->alarm = node->disk_alarm;
            tick->mode = node->paused ? RMQ_TICK_PAUSED : RMQ_TICK_ALIVE;
#ifdef BROKERLAB_MUTANT_ALARM_LOCAL_ONLY
            tick->alarm = false;
#endif
            rmq_node_send(node, node_id(node, n), tick);
        }
    }
    if (!node->paused) top_up_mirrors(node, -1);
    sim_timer_set(node->node, &node->tick_timer, now_us + ticktime_us / 4, NODE_TIMER_TICK);
}

static void on_heartbeat(rmq_node *node)
{
    int64_t now_us = sim_now_us();
    int64_t heartbeat_us = node->cluster->options.heartbeat_us;
    for (uint32_t id = 0; id < node->channel_slots; id++) {
        rmq_channel *ch = node->channels[id];
        if (ch == NULL || !ch->open) continue;
        if (now_us - ch->last_heard_us > heartbeat_us) {
            channel_close(node, ch); /* rabbit_heartbeat: missed heartbeats */
            to_client(node, ch, rmq_msg_new(RMQ_CLOSE, 0));
            continue;
        }
        to_client(node, ch, rmq_msg_new(RMQ_HEARTBEAT, 0));
    }
    sim_timer_set(node->node, &node->heartbeat_timer, now_us + heartbeat_us / 2,
                  NODE_TIMER_HEARTBEAT);
}

static void on_writeback(rmq_node *node)
{
    int64_t now_us = sim_now_us();
    disk_writeback(&node->disk, now_us);
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_replica *r = replica_of(node, q);
        if (r == NULL) continue;
        rmq_queue_trim(&r->queue);
        /* the index's segments whose messages are all acked (durably) are deleted */
        disk_file *file = r->queue.file;
        if (file == NULL) continue; /* (below what is durable: an fsync in flight is past it) */
        uint64_t keep_from = rmq_queue_live_from_bytes(&r->queue);
        if (keep_from > file->durable_bytes) keep_from = file->durable_bytes;
        if (keep_from > file->start_bytes) disk_release_front(&node->disk, file, keep_from);
    }
    sim_timer_set(node->node, &node->writeback_timer,
                  now_us + node->cluster->scenario->cluster.os.writeback_interval_us,
                  NODE_TIMER_WRITEBACK);
}

/* ---- sim_node_ops ---- */

static void node_on_event(sim_node *sn, const sim_event *ev)
{
    rmq_node *node = sn->model;
    if (node->paused && ev->kind >= SIM_EVENT_MODEL_BASE && ev->kind != NODE_TIMER_TICK &&
        ev->kind != NODE_TIMER_WRITEBACK && ev->kind != NODE_TIMER_PAUSE)
        return; /* its rabbit's timers and disk completions: the application is stopped */
    switch (ev->kind) {
    case SIM_EVENT_PACKET: node_handle(node, ev->data, ev->arg); return;
    case SIM_EVENT_NET_RESET: {
        int32_t peer = rmq_cluster_node_index(node->cluster, ev->arg);
        if (peer >= 0) {
            bool was_down = node->peer_down[peer];
            node->peer_reset[peer] = true;
            if (!was_down) peer_went_down(node, (uint32_t)peer); /* the distribution closed */
            return;
        }
        rmq_channel *ch = channel_of(node, ev->arg);
        if (ch != NULL) channel_close(node, ch);
        return;
    }
    case NODE_TIMER_WRITEBACK: on_writeback(node); return;
    case NODE_TIMER_TICK: on_tick(node); return;
    case NODE_TIMER_PAUSE:
        if (!node->paused) return;
        if (majority_visible(node)) {
            app_start(node, false); /* rabbit_node_monitor: a majority again, start */
            return;
        }
        sim_timer_set(sn, &node->pause_timer, sim_now_us() + RMQ_PAUSE_RECHECK_US,
                      NODE_TIMER_PAUSE);
        return;
    case NODE_TIMER_HEARTBEAT: on_heartbeat(node); return;
    case NODE_EVENT_FSYNC_DONE:
        if (ev->token >> 32 == node->app_incarnation)
            on_fsync_done(node, ev->arg, (uint32_t)(ev->token & 0xffffffffu));
        return;
    case NODE_EVENT_TTL:
        if (ev->token >> 32 == node->app_incarnation)
            on_ttl(node, ev->arg, (uint32_t)(ev->token & 0xffffffffu));
        return;
    case NODE_TIMER_STATS: on_stats(node); return;
    case NODE_TIMER_DISK: on_disk_check(node); return;
    case NODE_TIMER_ATEN:
    case NODE_EVENT_ELECTION:
    case NODE_EVENT_WAL_SYNCED: rmq_quorum_on_event(node, ev); return;
    default: BL_ASSERTF(false, "%s: event kind %u", sn->name, ev->kind);
    }
}

/* The mailbox emptied: queues with work deliver and sync, then the wake-up's packets go. */
static void node_on_wake_end(sim_node *sn)
{
    rmq_node *node = sn->model;
    for (uint32_t round = 0;; round++) {
        BL_ASSERTF(round < RMQ_ROUNDS_MAX, "%s: local hand-offs did not settle", sn->name);
        bool worked = false;
        for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
            if (!node->queue_dirty[q]) continue;
            node->queue_dirty[q] = false;
            queue_work(node, q);
            worked = true;
        }
        if (!worked) rmq_quorum_wal_flush(node); /* the WAL's batch, once all is appended */
        if (!worked) send_views(node);
        if (outbox_flush(node)) worked = true;
        if (!worked) break;
    }
}

/* ---- its rabbit application's life: stop, start, pause (R9) ---- */

/* Whether node `index`'s rabbit application runs (its process up, not paused). */
static bool rabbit_runs(const rmq_node *node, uint32_t index)
{
    const sim_node *sn = node->cluster->nodes[index];
    return sn->process_up && !((const rmq_node *)sn->model)->paused;
}

/* The rabbit application stops: with the process (kill -9, a power loss) or alone
 * (pause_minority, autoheal). What it held in memory is gone. */
static void app_stop(rmq_node *node)
{
    for (uint32_t id = 0; id < node->channel_slots; id++)
        if (node->channels[id] != NULL) {
            node->channels[id]->open = false;
            node->channels[id]->consuming = false;
        }
    outbox_clear(node);
    for (uint32_t id = 0; id < node->channel_slots; id++)
        if (node->channels[id] != NULL) {
            drop_unread(node->channels[id]);
            node->channels[id]->enqueuer_count = 0;
            bl_ring_clear(&node->channels[id]->settles);
        }
    rmq_quorum_on_stop(node);
    node->disk_alarm = node->blocking = false; /* alarms live in the process */
    memset(node->peer_alarm, 0, sizeof node->peer_alarm);
    memset(node->queue_dirty, 0, sizeof node->queue_dirty);
    memset(node->view_dirty, 0, sizeof node->view_dirty);
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_replica *r = replica_of(node, q);
        if (r == NULL) continue;
        r->fsync.in_flight = false; /* what waited for the fsync dies with the process */
        r->fsync.count = 0;
        r->held_count = 0;
    }
}

static void node_on_stop(sim_node *sn, bool power_loss)
{
    rmq_node *node = sn->model;
    app_stop(node);
    node->paused = false; /* (its timers, the pause's too, die with the process) */
    if (power_loss) disk_power_loss(&node->disk);
}

/* A tick saying `mode` to every peer whose process it has not seen go (a booting node
 * has seen none go). */
static void announce_rabbit(rmq_node *node, rmq_tick_mode mode)
{
    for (uint32_t n = 0; n < node->cluster->node_count; n++) {
        if (n == node->index || node->peer_reset[n]) continue;
        rmq_msg *tick = rmq_msg_new(RMQ_NODE_TICK, 0);
        tick->mode = mode;
        rmq_node_send(node, node_id(node, n), tick);
    }
}

/* Whether any queue has a limit whose counters a scrape reads. */
static bool node_has_limits(const rmq_node *node)
{
    for (uint32_t q = 0; q < node->cluster->queue_count; q++)
        if (queue_has_limits(&node->cluster->queues[q])) return true;
    return false;
}

/* A starting rabbit loads a queue's membership from the metadata of a node whose
 * rabbit runs (its Mnesia tables load from there) and returns the queue's master there,
 * else the master last recorded anywhere (a node that booted alone). */
static uint32_t load_metadata_at_start(rmq_node *node, uint32_t queue)
{
    const rmq_queue_def *def = queue_def(node, queue);
    if (node->app_incarnation > 1)
        for (uint32_t n = 0; n < node->cluster->node_count; n++) {
            if (n == node->index || !rabbit_runs(node, n)) continue;
            const rmq_node *running = node->cluster->nodes[n]->model;
            node->mirror_view[queue] = running->mirror_view[queue];
            /* no master there (none could be promoted): the record still names the
             * last one, whose node recovers it */
            if (running->master_view[queue] != RMQ_NO_NODE) return running->master_view[queue];
            break;
        }
    return def->mirrored ? def->master : def->home;
}

/* The rabbit application starts: at the process's boot, or when a pause ends. A classic
 * queue's home recovers it from its index (rabbit_variable_queue; a transient queue is
 * deleted at boot and declared again by its clients). A mirrored queue's member whose
 * master runs elsewhere discards its copy and waits for the master to take it in again
 * (R8: a rejoining mirror discards its contents); with no master running, the node that
 * led it last recovers it from its own index and leads it. */
static void app_start(rmq_node *node, bool boot)
{
    sim_node *sn = node->node;
    int64_t now_us = sim_now_us();
    node->app_incarnation++;
    node->paused = false;
    memset(node->partitioned, 0, sizeof node->partitioned); /* a new node monitor */
    for (uint32_t n = 0; n < node->cluster->node_count; n++) {
        if (boot) {
            node->peer_reset[n] = node->peer_paused[n] = false;
            node->peer_heard_us[n] = now_us;
        }
        /* what its distribution tells it now (a pause ends with the others heard) */
        node->peer_down[n] = n != node->index &&
                             (node->peer_reset[n] || node->peer_paused[n] || peer_silent(node, n));
    }
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) {
        rmq_queue_def *def = queue_def(node, q);
        if (def->quorum) continue; /* rmq_quorum_on_start */
        uint32_t master = load_metadata_at_start(node, q);
        bool master_elsewhere =
            master != RMQ_NO_NODE && master != node->index && rabbit_runs(node, master);
        if (def->mirrored && master_elsewhere && node->app_incarnation > 1) replica_free(node, q);
        node->master_view[q] = master;
        if (master != node->index ||
            (def->mirrored && node->app_incarnation == 1 && master_elsewhere))
            continue;
        rmq_replica *r = replica_of(node, q);
        BL_ASSERT(r != NULL);
        rmq_queue_recover(&r->queue, r->queue.file != NULL ? r->queue.file->size_bytes : 0);
        memset(r->scraped, 0xff, sizeof r->scraped); /* its counters start again */
        r->ttl_timer_us = SIM_TIME_NEVER;
        if (def->mirrored) { /* the others rejoin as it hears them */
            rmq_members *view = view_of(node, q);
            uint64_t version = view->version;
            *view = (rmq_members){.version = version};
            rmq_members_add(view, node->index, 1);
            view_changed(node, q);
        }
        become_master(node, q);
    }
    if (boot)
        sim_timer_set(sn, &node->writeback_timer,
                      now_us + node->cluster->scenario->cluster.os.writeback_interval_us,
                      NODE_TIMER_WRITEBACK);
    /* a starting rabbit announces itself to its cluster's peers at once
     * (rabbit_node_monitor), so they see it up again without waiting for a tick */
    announce_rabbit(node, RMQ_TICK_STARTED);
    if (boot && node->cluster->node_count > 1)
        sim_timer_set(sn, &node->tick_timer, now_us + node->cluster->options.net_ticktime_us / 4,
                      NODE_TIMER_TICK);
    sim_timer_set(sn, &node->heartbeat_timer, now_us + node->cluster->options.heartbeat_us / 2,
                  NODE_TIMER_HEARTBEAT);
    rmq_quorum_on_start(node);
    if (node_has_limits(node)) arm_stats(node, now_us);
    if (node->disk.options.capacity_bytes > 0)
        sim_timer_set(sn, &node->disk_timer, now_us, NODE_TIMER_DISK);
}

static void node_on_start(sim_node *sn)
{
    app_start(sn->model, true);
}

/* Its rabbit application stops while the Erlang node runs on (rabbit_node_monitor's
 * pause, or an autoheal loser's restart): its clients' connections are closed (they
 * reconnect elsewhere), what their channels held is given back, its queues stop, and the
 * other nodes see its rabbit go (a tick saying so: their monitors of its processes fire
 * while the distribution stays up). */
static void app_pause(rmq_node *node)
{
    BL_ASSERT(!node->paused);
    for (uint32_t id = 0; id < node->channel_slots; id++) {
        rmq_channel *ch = node->channels[id];
        if (ch == NULL || !ch->open) continue;
        channel_close(node, ch);
        to_client(node, ch, rmq_msg_new(RMQ_CLOSE, 0));
    }
    outbox_flush(node); /* the detaches go before the queues stop */
    app_stop(node);
    node->paused = true;
    sim_timer_cancel(&node->heartbeat_timer);
    sim_timer_cancel(&node->stats_timer);
    sim_timer_cancel(&node->disk_timer);
    announce_rabbit(node, RMQ_TICK_PAUSED);
}

static const sim_node_ops node_ops = {
    .on_event = node_on_event,
    .on_wake_end = node_on_wake_end,
    .on_stop = node_on_stop,
    .on_start = node_on_start,
    .free_data = rmq_free_packet,
};

rmq_node *rmq_node_create(rmq_cluster *cluster, uint32_t index, uint32_t sim_nodes_max)
{
    rmq_node *node = calloc(1, sizeof *node);
    BL_ASSERT(node != NULL);
    node->cluster = cluster;
    node->mirror_view =
        calloc(cluster->queue_count > 0 ? cluster->queue_count : 1, sizeof *node->mirror_view);
    BL_ASSERT(node->mirror_view != NULL);
    node->index = index;
    disk_options host_disk = host_disk_options(&cluster->scenario->cluster);
    disk_init(&node->disk, &host_disk);
    node->channel_slots = sim_nodes_max;
    node->channels = calloc(sim_nodes_max, sizeof *node->channels);
    BL_ASSERT(node->channels != NULL);
    char name[32];
    snprintf(name, sizeof name, "broker/%u", (unsigned)index);
    node->node = sim_add_node(name, SIM_ROLE_BROKER, &node_ops, node);
    node->node->entry = index;
    node->node->disk = &node->disk;
    node->node->hist_name = 0;
    cluster->nodes[index] = node->node;
    rmq_quorum_node_init(node);
    for (uint32_t q = 0; q < cluster->queue_count; q++) {
        const rmq_queue_def *def = &cluster->queues[q];
        node->master_view[q] = def->master;
        node->mirror_view[q] = def->members;
        if (rmq_members_has(&def->members, index)) replica_create(node, q, 1);
    }
    return node;
}

void rmq_node_free(rmq_node *node)
{
    outbox_clear(node);
    free(node->outbox);
    for (uint32_t id = 0; id < node->channel_slots; id++) {
        rmq_channel *ch = node->channels[id];
        if (ch == NULL) continue;
        bl_ring_free(&ch->pending);
        drop_unread(ch);
        bl_ring_free(&ch->unread);
        bl_ring_free(&ch->settles);
        rmq_quorum_channel_free(ch);
        free(ch->tx_ids);
        free(ch->tx_keys);
        free(ch);
    }
    free(node->channels);
    for (uint32_t q = 0; q < node->cluster->queue_count; q++) replica_free(node, q);
    free(node->mirror_view);
    rmq_quorum_node_free(node);
    disk_free(&node->disk);
    free(node);
}

const rmq_queue *rmq_node_led_queue(const rmq_node *node, uint32_t queue)
{
    const rmq_replica *r = led(node, queue);
    return r != NULL && rabbit_runs(node, node->index) ? &r->queue : NULL;
}
