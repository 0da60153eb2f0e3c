/* rabbitmq_publisher.c — a RabbitMQ publisher: the application offering messages at the
 * workload's intended times and the client's one connection and channel (R4, R5).
 *
 * Modes. fire_and_forget: basic.publish and nothing back; a message counts as sent when
 * written to the socket (its `send ok`, offset -1), so a message lost afterwards is lost
 * silently (C18). confirms: the channel is in confirm mode; the application keeps at most
 * max_unconfirmed publishes unconfirmed (1 = waiting for each confirm, as a synchronous
 * client does), republishes a nacked message after recovery_interval and an unconfirmed
 * one after confirm_timeout, and gives a message up (send info, or fail if every attempt
 * was nacked) after delivery_timeout. transactions: tx.select; every tx_size publishes
 * the application calls tx.commit and waits for commit-ok, which is when they count as
 * sent; a failed commit or a lost connection republishes the batch.
 *
 * Connection. The client connects to its first node (connect_to), and after a lost
 * connection (its socket reset, or `heartbeat` of silence from the broker) to the next
 * node after recovery_interval (the Java client's automatic recovery): publishes whose
 * confirm had not come are then republished, which is how confirms duplicate (R4).
 *
 * Flow control (R14). After connection.blocked (a resource alarm somewhere in the
 * cluster) the client writes nothing more, as on a socket the broker stopped reading:
 * the application's publishes wait in the client (and, once its room is used up, the
 * application itself), confirms stop coming, and connection.unblocked lets it go on.
 *
 * Cost: the publisher wakes once per write: the publishes offered within write_coalesce
 * share one TCP write. The application's sends up to the next write are drawn ahead and
 * recorded into the publisher's own history stream at their exact times. */
#include "rabbitmq_publisher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/history.h"
#include "../../engine/net.h"
#include "../../engine/rng.h"
#include "../../engine/vec.h"

enum {
    PUBLISHER_TIMER_WRITE = SIM_EVENT_MODEL_BASE,
    PUBLISHER_TIMER_CONFIRM, /* the oldest unconfirmed publish's confirm_timeout */
    PUBLISHER_TIMER_HEARTBEAT,
    PUBLISHER_TIMER_RECONNECT,
};

#define RMQ_OUTGOING_MAX (1u << 24) /* messages waiting to be (re)published */

/* ---- history ---- */

static void record_invoke(rmq_publisher *pub, int64_t t_us, uint64_t msg_id, int64_t intended_us,
                          int32_t key)
{
    hist_record rec = hist_record_init(HIST_SEND, HIST_INVOKE, pub->node->hist_name, t_us);
    rec.msg = msg_id;
    rec.key = key;
    rec.intended_t_us = intended_us;
    rec.topic = pub->hist_topic;
    rec.seq = pub->key_seq[key >= 0 ? (uint32_t)key : 0]++;
    hist_emit(pub->send_stream, &rec);
}

/* One completion record for `count` messages (in parts of HIST_BATCH_MAX). A confirm is
 * for the exchange's queues together: no partition, no offset. */
static void record_outcome(rmq_publisher *pub, hist_type type, const uint64_t *ids, uint32_t count)
{
    for (uint32_t first = 0; first < count; first += HIST_BATCH_MAX) {
        uint32_t part = count - first < HIST_BATCH_MAX ? count - first : HIST_BATCH_MAX;
        hist_record rec = hist_record_init(HIST_SEND, type, pub->node->hist_name, sim_now_us());
        rec.msg = ids[first];
        rec.count = part;
        rec.msgs = part > 1 ? ids + first : NULL;
        if (type == HIST_OK) {
            rec.partition = -1;
            rec.offset = -1;
        }
        hist_emit(HIST_STREAM_NOW, &rec);
    }
}

/* ---- the outgoing queue: messages offered (or to republish), not yet written ---- */

static void outgoing_push(rmq_publisher *pub, const rmq_publish_item *item)
{
    *BL_RING_PUSH_BACK(&pub->outgoing, rmq_publish_item) = *item;
}

static uint32_t unconfirmed_count(const rmq_publisher *pub)
{
    return bl_ring_count(&pub->unconfirmed);
}

/* How many more the application may offer now. */
static uint32_t room(const rmq_publisher *pub)
{
    uint32_t held = unconfirmed_count(pub) + bl_ring_count(&pub->outgoing);
    switch (pub->options.mode) {
    case RABBITMQ_PUBLISH_FIRE_AND_FORGET: return held >= 1u << 16 ? 0 : (1u << 16) - held;
    case RABBITMQ_PUBLISH_CONFIRMS:
        return held >= pub->options.max_unconfirmed ? 0 : pub->options.max_unconfirmed - held;
    case RABBITMQ_PUBLISH_TRANSACTIONS:
        if (pub->commit_waiting) return 0;
        return held >= pub->options.tx_size ? 0 : pub->options.tx_size - held;
    }
    BL_ASSERTF(false, "publish mode %d", (int)pub->options.mode);
}

/* Takes the generator's next arrival into the client at t_us (its intended time, or later
 * when the application was blocked). */
static void offer_next(rmq_publisher *pub, int64_t t_us)
{
    wl_generator *gen = &pub->generator;
    int64_t intended_us = gen->next_us;
    int32_t key = (int32_t)gen->next_key;
    wl_advance(gen);
    uint64_t msg_id = ++*pub->next_msg_id;
    record_invoke(pub, t_us, msg_id, intended_us, key);
    outgoing_push(pub, &(rmq_publish_item){.msg_id = msg_id, .key = key, .first_us = t_us});
}

/* ---- writing ---- */

static void schedule_write(rmq_publisher *pub, int64_t at_us)
{
    sim_timer_arm(pub->node, &pub->write_timer, at_us, PUBLISHER_TIMER_WRITE);
}

static void send_to_broker(rmq_publisher *pub, rmq_msg *msg)
{
    msg->conn = pub->connections;
    net_send(pub->node, pub->cluster->nodes[pub->connection], rmq_msg_size_bytes(msg), msg);
}

static void arm_confirm_timer(rmq_publisher *pub)
{
    if (pub->options.mode == RABBITMQ_PUBLISH_FIRE_AND_FORGET || unconfirmed_count(pub) == 0)
        return;
    const rmq_publish_item *oldest = BL_RING_FRONT(&pub->unconfirmed, rmq_publish_item);
    int64_t at_us = oldest->sent_us + (pub->options.mode == RABBITMQ_PUBLISH_CONFIRMS
                                           ? pub->options.confirm_timeout_us
                                           : pub->options.delivery_timeout_us);
    sim_timer_arm(pub->node, &pub->confirm_timer, at_us, PUBLISHER_TIMER_CONFIRM);
}

/* Writes everything due in one basic.publish frame set, in the order offered (a
 * republished message waits out its backoff without holding the others back). */
static void write_outgoing(rmq_publisher *pub, int64_t now_us)
{
    uint32_t total = bl_ring_count(&pub->outgoing), count = 0;
    for (uint32_t i = 0; i < total; i++)
        if (BL_RING_AT(&pub->outgoing, rmq_publish_item, i)->ready_us <= now_us) count++;
    if (count == 0 || !pub->connected || pub->blocked) return;
    rmq_msg *msg = rmq_msg_new(RMQ_PUBLISH, count);
    msg->persistent = pub->options.persistent;
    msg->size_bytes = (uint32_t)pub->config->message_size_bytes;
    msg->publisher = pub->entry;
    bool tracked = pub->options.mode != RABBITMQ_PUBLISH_FIRE_AND_FORGET;
    msg->first_seq = pub->options.mode == RABBITMQ_PUBLISH_CONFIRMS ? pub->next_seq : 0;
    uint32_t written = 0, kept = 0;
    for (uint32_t i = 0; i < total; i++) {
        rmq_publish_item item = *BL_RING_AT(&pub->outgoing, rmq_publish_item, i);
        if (item.ready_us > now_us) {
            *BL_RING_AT(&pub->outgoing, rmq_publish_item, kept++) = item;
            continue;
        }
        msg->ids[written] = item.msg_id;
        msg->keys[written++] = item.key;
        if (!tracked) continue;
        item.sent_us = now_us;
        item.seq = pub->next_seq++;
        *BL_RING_PUSH_BACK(&pub->unconfirmed, rmq_publish_item) = item;
    }
    while (bl_ring_count(&pub->outgoing) > kept) bl_ring_pop_back(&pub->outgoing);
    if (!tracked) record_outcome(pub, HIST_OK, msg->ids, count); /* written = sent */
    send_to_broker(pub, msg);
    arm_confirm_timer(pub);
}

static int64_t earliest_ready_us(const rmq_publisher *pub)
{
    int64_t at_us = INT64_MAX;
    for (uint32_t i = 0; i < bl_ring_count(&pub->outgoing); i++) {
        int64_t ready_us = BL_RING_AT(&pub->outgoing, rmq_publish_item, i)->ready_us;
        if (ready_us < at_us) at_us = ready_us;
    }
    return at_us;
}

/* tx.commit once the batch is full, or the load is over and some are uncommitted. */
static void maybe_commit(rmq_publisher *pub)
{
    if (pub->options.mode != RABBITMQ_PUBLISH_TRANSACTIONS || pub->commit_waiting ||
        !pub->connected || pub->blocked || bl_ring_count(&pub->outgoing) > 0)
        return;
    uint32_t batch = unconfirmed_count(pub);
    if (batch == 0) return;
    if (batch < pub->options.tx_size && pub->generator.next_us != INT64_MAX) return;
    pub->commit_waiting = true;
    send_to_broker(pub, rmq_msg_new(RMQ_TX_COMMIT, 0));
}

/* Gives up the messages whose delivery_timeout passed (waiting to be republished). */
static void expire_outgoing(rmq_publisher *pub, int64_t now_us)
{
    uint32_t kept = 0, count = bl_ring_count(&pub->outgoing);
    for (uint32_t i = 0; i < count; i++) {
        rmq_publish_item item = *BL_RING_AT(&pub->outgoing, rmq_publish_item, i);
        if (item.first_us + pub->options.delivery_timeout_us <= now_us &&
            pub->options.mode != RABBITMQ_PUBLISH_FIRE_AND_FORGET) {
            record_outcome(pub, item.maybe_written ? HIST_INFO : HIST_FAIL, &item.msg_id, 1);
            continue;
        }
        *BL_RING_AT(&pub->outgoing, rmq_publish_item, kept++) = item;
    }
    while (bl_ring_count(&pub->outgoing) > kept) bl_ring_pop_back(&pub->outgoing);
}

/* The write: publishes due go out, the application offers what arrives up to the next
 * write (drawn ahead), and the next write is set. */
static void pump(rmq_publisher *pub)
{
    if (!pub->node->process_up) return;
    int64_t now_us = sim_now_us();
    wl_generator *gen = &pub->generator;
    expire_outgoing(pub, now_us); /* first: what it gives up makes room */
    /* arrivals the application was blocked on happen now, late */
    while (gen->next_us <= now_us && room(pub) > 0) offer_next(pub, now_us);
    write_outgoing(pub, now_us);
    maybe_commit(pub);
    if (!pub->connected || pub->blocked)
        return; /* blocked: nothing is written until
                                                    connection.unblocked wakes it */
    /* the next write: at the next arrival plus the coalescing window, with the
     * arrivals up to it drawn ahead (their invokes recorded at their own times) */
    int64_t next_us = earliest_ready_us(pub);
    if (gen->next_us != INT64_MAX && room(pub) > 0) {
        int64_t end_us = gen->next_us + pub->options.write_coalesce_us;
        if (end_us < next_us) {
            while (gen->next_us <= end_us && room(pub) > 0) {
                int64_t at_us = gen->next_us > now_us ? gen->next_us : now_us;
                offer_next(pub, at_us);
                BL_RING_BACK(&pub->outgoing, rmq_publish_item)->ready_us = end_us;
            }
            next_us = end_us;
        }
    }
    if (next_us != INT64_MAX) schedule_write(pub, next_us > now_us ? next_us : now_us);
}

/* ---- confirms ---- */

static rmq_publish_item *unconfirmed_at(rmq_publisher *pub, uint64_t seq)
{
    const rmq_publish_item *front = BL_RING_FRONT(&pub->unconfirmed, rmq_publish_item);
    uint64_t index = seq - front->seq;
    BL_ASSERT(seq >= front->seq && index < unconfirmed_count(pub));
    rmq_publish_item *item = BL_RING_AT(&pub->unconfirmed, rmq_publish_item, (uint32_t)index);
    BL_ASSERT(item->seq == seq);
    return item;
}

static void unconfirmed_trim(rmq_publisher *pub)
{
    while (unconfirmed_count(pub) > 0 && BL_RING_FRONT(&pub->unconfirmed, rmq_publish_item)->done)
        bl_ring_pop_front(&pub->unconfirmed);
}

/* A message to publish again: now (lost connection, confirm timeout) or after a backoff
 * (nacked). */
static void republish(rmq_publisher *pub, rmq_publish_item item, int64_t at_us, bool maybe_written)
{
    item.done = 0;
    item.maybe_written = item.maybe_written || maybe_written;
    item.ready_us = at_us;
    outgoing_push(pub, &item);
}

static void on_confirm(rmq_publisher *pub, const rmq_msg *msg)
{
    int64_t now_us = sim_now_us();
    BL_GROW(pub->acked_ids, pub->acked_capacity, msg->count, RMQ_MSG_COUNT_MAX,
            "a confirm's messages");
    uint32_t acked = 0;
    for (uint32_t i = 0; i < msg->count; i++) {
        if (unconfirmed_count(pub) == 0 ||
            msg->seqs[i] < BL_RING_FRONT(&pub->unconfirmed, rmq_publish_item)->seq)
            continue; /* abandoned: republished after a timeout */
        rmq_publish_item *item = unconfirmed_at(pub, msg->seqs[i]);
        if (item->done) continue;
        item->done = 1;
        if (msg->flags[i]) /* basic.nack: the broker did not take it */
            republish(pub, *item, now_us + pub->options.recovery_interval_us, false);
        else
            pub->acked_ids[acked++] = item->msg_id;
    }
    if (acked > 0) record_outcome(pub, HIST_OK, pub->acked_ids, acked);
    unconfirmed_trim(pub);
    arm_confirm_timer(pub);
}

static void on_commit_ok(rmq_publisher *pub, const rmq_msg *msg)
{
    BL_ASSERT(pub->commit_waiting);
    pub->commit_waiting = false;
    uint32_t count = unconfirmed_count(pub);
    BL_GROW(pub->acked_ids, pub->acked_capacity, count, RMQ_MSG_COUNT_MAX, "a commit's messages");
    for (uint32_t i = 0; i < count; i++) {
        rmq_publish_item item = *BL_RING_AT(&pub->unconfirmed, rmq_publish_item, i);
        pub->acked_ids[i] = item.msg_id;
        /* a failed commit may have applied part of the batch (R5): all may be written */
        if (msg->failed)
            republish(pub, item, sim_now_us() + pub->options.recovery_interval_us, true);
    }
    if (!msg->failed && count > 0) record_outcome(pub, HIST_OK, pub->acked_ids, count);
    bl_ring_clear(&pub->unconfirmed);
}

/* confirm_timeout passed for the oldest publishes (confirm mode): republish them; in tx
 * mode a commit unanswered for delivery_timeout is given up the same way. */
static void connection_lost(rmq_publisher *pub);

static void on_confirm_timer(rmq_publisher *pub)
{
    int64_t now_us = sim_now_us();
    int64_t timeout_us = pub->options.mode == RABBITMQ_PUBLISH_CONFIRMS
                             ? pub->options.confirm_timeout_us
                             : pub->options.delivery_timeout_us;
    while (unconfirmed_count(pub) > 0) {
        rmq_publish_item *item = BL_RING_FRONT(&pub->unconfirmed, rmq_publish_item);
        if (!item->done && item->sent_us + timeout_us > now_us) break;
        if (!item->done) republish(pub, *item, now_us, true);
        bl_ring_pop_front(&pub->unconfirmed);
    }
    if (pub->options.mode == RABBITMQ_PUBLISH_TRANSACTIONS && pub->commit_waiting &&
        unconfirmed_count(pub) == 0) {
        /* a commit unanswered for delivery_timeout: the application gives the channel up
         * (its broker side still waits on that commit) and opens a new connection */
        connection_lost(pub);
        return;
    }
    arm_confirm_timer(pub);
}

/* ---- the connection ---- */

static void open_connection(rmq_publisher *pub)
{
    uint32_t nodes = pub->cluster->node_count;
    pub->connection =
        (rabbitmq_first_node(pub->options.connect_to, pub->instance, nodes) + pub->attempts) %
        nodes;
    pub->connected = true;
    pub->blocked = false;
    pub->connections++;
    BL_ASSERTF(pub->connections < 65536, "%s: more than 65535 connections", pub->node->name);
    pub->last_heard_us = sim_now_us();
    pub->next_seq = 1; /* a new channel numbers its publishes from 1 */
    rmq_msg *open = rmq_msg_new(RMQ_OPEN, 0);
    open->mode = (uint32_t)pub->options.mode;
    send_to_broker(pub, open);
    sim_timer_set(pub->node, &pub->heartbeat_timer,
                  sim_now_us() + pub->cluster->options.heartbeat_us / 2, PUBLISHER_TIMER_HEARTBEAT);
}

/* The connection is gone: what was unconfirmed may or may not have arrived; it goes out
 * again on the next connection (at the front: it is the oldest). */
static void connection_lost(rmq_publisher *pub)
{
    if (!pub->connected) return;
    pub->connected = false;
    pub->blocked = false;
    pub->attempts++;
    int64_t now_us = sim_now_us();
    bl_ring others = pub->outgoing;
    BL_RING_INIT(&pub->outgoing, rmq_publish_item, RMQ_OUTGOING_MAX,
                 "a publisher's messages waiting to be written");
    bool committing = pub->commit_waiting;
    for (uint32_t i = 0; i < unconfirmed_count(pub); i++) {
        rmq_publish_item item = *BL_RING_AT(&pub->unconfirmed, rmq_publish_item, i);
        if (item.done) continue;
        /* tx publishes not yet committed were not applied; everything else may have been */
        bool maybe = pub->options.mode != RABBITMQ_PUBLISH_TRANSACTIONS || committing;
        republish(pub, item, now_us, maybe);
    }
    for (uint32_t i = 0; i < bl_ring_count(&others); i++)
        outgoing_push(pub, BL_RING_AT(&others, rmq_publish_item, i));
    bl_ring_free(&others);
    bl_ring_clear(&pub->unconfirmed);
    pub->commit_waiting = false;
    sim_timer_cancel(&pub->confirm_timer);
    sim_timer_cancel(&pub->heartbeat_timer);
    sim_timer_set(pub->node, &pub->reconnect_timer, now_us + pub->options.recovery_interval_us,
                  PUBLISHER_TIMER_RECONNECT);
}

static void on_heartbeat_timer(rmq_publisher *pub)
{
    int64_t now_us = sim_now_us();
    if (!pub->connected) return;
    if (now_us - pub->last_heard_us > pub->cluster->options.heartbeat_us) {
        connection_lost(pub); /* missed heartbeats: the broker is gone */
        return;
    }
    send_to_broker(pub, rmq_msg_new(RMQ_HEARTBEAT, 0));
    sim_timer_set(pub->node, &pub->heartbeat_timer, now_us + pub->cluster->options.heartbeat_us / 2,
                  PUBLISHER_TIMER_HEARTBEAT);
}

/* ---- sim_node_ops ---- */

static void publisher_on_event(sim_node *node, const sim_event *ev)
{
    rmq_publisher *pub = node->model;
    switch (ev->kind) {
    case SIM_EVENT_PACKET: {
        rmq_msg *msg = ev->data;
        if (pub->connected && ev->arg == pub->cluster->nodes[pub->connection]->id &&
            msg->conn == pub->connections) {
            pub->last_heard_us = sim_now_us();
            switch (msg->kind) {
            case RMQ_CONFIRM: on_confirm(pub, msg); break;
            case RMQ_TX_COMMIT_OK: on_commit_ok(pub, msg); break;
            case RMQ_CLOSE: connection_lost(pub); break;
            case RMQ_HEARTBEAT: break;
            case RMQ_BLOCKED: pub->blocked = true; break;
            case RMQ_UNBLOCKED: pub->blocked = false; break; /* the pump writes on */
            default: BL_ASSERTF(false, "%s: %s", node->name, rmq_kind_name(msg->kind));
            }
        }
        rmq_msg_free(msg);
        return;
    }
    case SIM_EVENT_NET_RESET:
        if (pub->connected && ev->arg == pub->cluster->nodes[pub->connection]->id)
            connection_lost(pub);
        return;
    case PUBLISHER_TIMER_WRITE: return; /* the pump at the end of the wake-up writes */
    case PUBLISHER_TIMER_CONFIRM: on_confirm_timer(pub); return;
    case PUBLISHER_TIMER_HEARTBEAT: on_heartbeat_timer(pub); return;
    case PUBLISHER_TIMER_RECONNECT: open_connection(pub); return;
    default: BL_ASSERTF(false, "%s: event kind %u", node->name, ev->kind);
    }
}

static void publisher_on_wake_end(sim_node *node)
{
    pump(node->model);
}

uint64_t rmq_publisher_unacked(const rmq_publisher *pub, int64_t now_us)
{
    uint64_t held = 0;
    for (uint32_t i = 0; i < unconfirmed_count(pub); i++)
        if (!BL_RING_AT(&pub->unconfirmed, rmq_publish_item, i)->done) held++;
    for (uint32_t i = 0; i < bl_ring_count(&pub->outgoing); i++)
        if (BL_RING_AT(&pub->outgoing, rmq_publish_item, i)->first_us <= now_us) held++;
    return held;
}

static void publisher_reset(rmq_publisher *pub)
{
    bl_ring_clear(&pub->outgoing);
    bl_ring_clear(&pub->unconfirmed);
    pub->connected = false;
    pub->commit_waiting = false;
    sim_timer_cancel(&pub->write_timer);
    sim_timer_cancel(&pub->confirm_timer);
    sim_timer_cancel(&pub->heartbeat_timer);
    sim_timer_cancel(&pub->reconnect_timer);
}

static void publisher_on_stop(sim_node *node, bool power_loss)
{
    rmq_publisher *pub = node->model;
    hist_cancel_after(pub->send_stream, sim_now_us()); /* sends drawn ahead never happen */
    publisher_reset(pub);
    BL_MAYBE(power_loss);
}

static void publisher_on_start(sim_node *node)
{
    rmq_publisher *pub = node->model;
    int64_t now_us = sim_now_us();
    while (pub->generator.next_us < now_us) wl_advance(&pub->generator); /* never offered */
    open_connection(pub);
    pump(pub);
}

static const sim_node_ops publisher_ops = {
    .on_event = publisher_on_event,
    .on_wake_end = publisher_on_wake_end,
    .on_stop = publisher_on_stop,
    .on_start = publisher_on_start,
    .free_data = rmq_free_packet,
};

rmq_publisher *rmq_publisher_create(rmq_cluster *cluster, uint32_t entry, uint32_t instance,
                                    uint64_t *next_msg_id)
{
    const scn_scenario *scenario = cluster->scenario;
    const scn_producer *config = &scenario->producers[entry];
    rmq_publisher *pub = calloc(1, sizeof *pub);
    BL_ASSERT(pub != NULL);
    pub->cluster = cluster;
    pub->config = config;
    pub->options = rabbitmq_producer_options_of(config);
    pub->entry = entry;
    pub->instance = instance;
    pub->next_msg_id = next_msg_id;
    char name[96];
    snprintf(name, sizeof name, "producer/%s/%u", config->name, instance);
    wl_options workload = {.rate = &config->rate,
                           .arrival = config->arrival,
                           .keys = config->keys,
                           .end_us = scenario->duration_us,
                           .seed = scenario->seed,
                           .stream_name = name};
    wl_init(&pub->generator, &workload);
    uint32_t slots = config->keys.kind == SCN_KEYS_NONE ? 1 : config->keys.count;
    pub->key_seq = calloc(slots, sizeof *pub->key_seq);
    BL_ASSERT(pub->key_seq != NULL);
    BL_RING_INIT(&pub->outgoing, rmq_publish_item, RMQ_OUTGOING_MAX,
                 "a publisher's messages waiting to be written");
    BL_RING_INIT(&pub->unconfirmed, rmq_publish_item, RMQ_OUTGOING_MAX,
                 "a publisher's unconfirmed messages");
    pub->node = sim_add_node(name, SIM_ROLE_PRODUCER, &publisher_ops, pub);
    pub->node->entry = entry;
    pub->node->instance = instance;
    pub->node->hist_name = hist_names_intern(hist_names_table(), name);
    pub->hist_topic =
        hist_names_intern(hist_names_table(), scenario->topics[config->topic_index].name);
    pub->send_stream = hist_stream_open();
    return pub;
}

void rmq_publisher_free(rmq_publisher *pub)
{
    wl_free(&pub->generator);
    bl_ring_free(&pub->outgoing);
    bl_ring_free(&pub->unconfirmed);
    free(pub->key_seq);
    free(pub->acked_ids);
    free(pub);
}
