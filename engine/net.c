/* net.c — arrival-time computation, fault rules and the delivery check (see net.h). */
#include "net.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "bl_assert.h"
#include "platform.h"
#include "rng.h"

typedef struct net_rule {
    bool active;
    net_rule_kind kind;
    bool one_way;
    uint32_t drop_per_million;
    int64_t extra_latency_us;
    uint8_t *in_a; /* node id -> member of side a */
    uint8_t *in_b;
    net_rule_counts counts;
} net_rule;

/* A packet travelling as a SimGrid flow (network.model: simgrid). */
typedef struct net_flow {
    uint32_t src, dst;
    int64_t extra_us; /* slow and lossy links, added after the flow completes */
    int64_t sent_us;
    uint64_t token; /* the connection's (dst incarnation, src incarnation) */
    void *payload;
    struct net_flow *next; /* free list, or the list of flows in the air */
    struct net_flow *prev;
} net_flow;

static struct {
    gsl_rng *rng;
    bool flows;           /* packets are SimGrid flows */
    net_flow *flows_free; /* recycled flow records */
    net_flow *flows_live; /* in the air, for the cleanup at the end */
    uint64_t flows_live_count;
    uint32_t node_count; /* matrices below are node_count x node_count */
    int64_t *connection_last_arrival_us;
    int64_t *nic_free_at_us;
    uint8_t *reset_on_restart;       /* [dst][src]: src sent into dst's power-off silence */
    uint32_t *connected_incarnation; /* [src][dst]: the dst process src's connection
                                        reaches; 0 = none yet (reconnect on next send) */
    net_rule rules[NET_RULES_MAX];
    uint32_t active_rule_count;
    uint64_t packets_delivered;
    uint64_t inter_broker_bytes; /* sent from a broker to a broker */
    uint64_t other_bytes;        /* every other packet's */
} g_net;

void net_init(uint64_t seed)
{
    memset(&g_net, 0, sizeof g_net);
    g_net.rng = rng_stream(seed, "net");
}

static void flow_unlink(net_flow *flow)
{
    if (flow->prev != NULL)
        flow->prev->next = flow->next;
    else
        g_net.flows_live = flow->next;
    if (flow->next != NULL) flow->next->prev = flow->prev;
    g_net.flows_live_count--;
}

void net_shutdown(void)
{
    while (g_net.flows_live != NULL) { /* still in the air when the run ended */
        net_flow *flow = g_net.flows_live;
        flow_unlink(flow);
        sim_node_by_id(flow->dst)->ops->free_data(SIM_EVENT_PACKET, flow->payload);
        free(flow);
    }
    while (g_net.flows_free != NULL) {
        net_flow *flow = g_net.flows_free;
        g_net.flows_free = flow->next;
        free(flow);
    }
    net_remove_all_rules();
    gsl_rng_free(g_net.rng);
    free(g_net.connection_last_arrival_us);
    free(g_net.nic_free_at_us);
    free(g_net.reset_on_restart);
    free(g_net.connected_incarnation);
    memset(&g_net, 0, sizeof g_net);
}

static void ensure_tables(void)
{
    if (g_net.node_count != 0) return;
    uint32_t n = sim_node_count();
    BL_ASSERT(n > 0);
    g_net.node_count = n;
    g_net.connection_last_arrival_us = calloc((size_t)n * n, sizeof(int64_t));
    g_net.nic_free_at_us = calloc(n, sizeof(int64_t));
    g_net.reset_on_restart = calloc((size_t)n * n, 1);
    g_net.connected_incarnation = calloc((size_t)n * n, sizeof(uint32_t));
    BL_ASSERT(g_net.reset_on_restart != NULL && g_net.connected_incarnation != NULL);
    BL_ASSERT(g_net.connection_last_arrival_us != NULL && g_net.nic_free_at_us != NULL);
    BL_ASSERT(n >= 2);
}

/* TCP keeps order: a packet arrives no earlier than the previous one on its connection.
 * Returns the arrival time and makes it the connection's latest. */
static int64_t connection_arrival_us(uint32_t src, uint32_t dst, int64_t arrival_us)
{
    int64_t *last_us = &g_net.connection_last_arrival_us[(size_t)src * g_net.node_count + dst];
    if (arrival_us < *last_us) arrival_us = *last_us;
    *last_us = arrival_us;
    return arrival_us;
}

/* Does rule apply to a packet from src to dst? */
static bool rule_matches(const net_rule *rule, uint32_t src, uint32_t dst)
{
    if (rule->in_a[src] && rule->in_b[dst]) return true;
    return !rule->one_way && rule->in_b[src] && rule->in_a[dst];
}

/* Whether a cut holds between src and dst; a packet it decides for is dropped, so every
 * cut that matches counts it (each one alone would have dropped it). */
static bool is_cut(uint32_t src, uint32_t dst)
{
#ifdef BROKERLAB_MUTANT_CUT_IGNORED
    return false; /* mutant (scripts/mutants.sh): a network partition cuts nothing */
#endif
    if (g_net.active_rule_count == 0) return false;
    bool cut = false;
    for (uint32_t i = 0; i < NET_RULES_MAX; i++) {
        net_rule *rule = &g_net.rules[i];
        if (!rule->active || rule->kind != NET_RULE_CUT || !rule_matches(rule, src, dst)) continue;
        rule->counts.dropped++;
        cut = true;
    }
    return cut;
}

/* Extra delay from slow links plus TCP retransmissions on lossy links. Returns -1 if
 * the connection gives up (too many drops in a row). */
static int64_t fault_delay_us(uint32_t src, uint32_t dst)
{
    if (g_net.active_rule_count == 0) return 0;
    int64_t delay_us = 0;
    for (uint32_t i = 0; i < NET_RULES_MAX; i++) {
        net_rule *rule = &g_net.rules[i];
        if (!rule->active || !rule_matches(rule, src, dst)) continue;
        if (rule->kind == NET_RULE_SLOW) {
            delay_us += rule->extra_latency_us;
            rule->counts.delayed++;
        }
        if (rule->kind != NET_RULE_LOSSY) continue;
        int64_t rto_us = NET_RTO_MIN_US;
        uint32_t drops = 0;
        while (gsl_rng_uniform(g_net.rng) * NET_PER_MILLION < (double)rule->drop_per_million) {
            if (++drops > NET_RETRANSMITS_MAX) {
                rule->counts.lost++;
                return -1;
            }
            delay_us += rto_us;
            rto_us *= 2;
        }
        if (drops > 0) rule->counts.delayed++;
    }
    return delay_us;
}

static void send_reset(sim_node *to, const sim_node *about, int64_t latency_us)
{
    g_net.connected_incarnation[(size_t)to->id * g_net.node_count + about->id] = 0;
    if (!to->process_up) return;
    sim_schedule(to, sim_now_us() + latency_us, SIM_EVENT_NET_RESET, about->id, to->incarnation,
                 NULL);
}

/* ---- SimGrid flows ---- */

/* A flow completed at done_us: the packet arrives then (plus fault delays), never
 * before the previous packet of its connection (TCP keeps order). */
static void flow_done(void *cookie, int64_t done_us)
{
    net_flow *flow = cookie;
    flow_unlink(flow);
    /* as in the engine's model, a packet arrives at least 1 us after it was sent */
    int64_t earliest_us = flow->sent_us + 1 > sim_now_us() ? flow->sent_us + 1 : sim_now_us();
    int64_t done_or_now_us = done_us > earliest_us ? done_us : earliest_us;
    int64_t arrival_us =
        connection_arrival_us(flow->src, flow->dst, done_or_now_us + flow->extra_us);
    sim_schedule(sim_node_by_id(flow->dst), arrival_us, SIM_EVENT_PACKET, flow->src, flow->token,
                 flow->payload);
    flow->next = g_net.flows_free;
    g_net.flows_free = flow;
}

static void send_flow(sim_node *src, sim_node *dst, uint32_t size_bytes, void *payload,
                      int64_t extra_us, uint64_t token, int64_t now_us)
{
    BL_ASSERTF(g_net.flows_live_count < NET_FLOWS_MAX, "more than %u packets in the air",
               NET_FLOWS_MAX);
    net_flow *flow = g_net.flows_free;
    if (flow != NULL)
        g_net.flows_free = flow->next;
    else
        flow = malloc(sizeof *flow);
    BL_ASSERT(flow != NULL);
    *flow = (net_flow){.src = src->id,
                       .dst = dst->id,
                       .extra_us = extra_us,
                       .sent_us = now_us,
                       .token = token,
                       .payload = payload,
                       .next = g_net.flows_live};
    if (g_net.flows_live != NULL) g_net.flows_live->prev = flow;
    g_net.flows_live = flow;
    g_net.flows_live_count++;
    platform_flow_start(src->sg_host, dst->sg_host, size_bytes, flow, now_us);
}

void net_use_simgrid_flows(void)
{
    g_net.flows = true;
    platform_flows_init(flow_done);
}

void net_send(sim_node *src, sim_node *dst, uint32_t size_bytes, void *payload)
{
    BL_ASSERT(src != dst && payload != NULL);
    BL_ASSERT(src->process_up);
    ensure_tables();
    if (src->role == SIM_ROLE_BROKER && dst->role == SIM_ROLE_BROKER)
        g_net.inter_broker_bytes += size_bytes;
    else
        g_net.other_bytes += size_bytes;
    int64_t now_us = sim_now_us();
    if (src->same_process == dst) { /* within one process: no network, no network fault */
        uint32_t *connected =
            &g_net.connected_incarnation[(size_t)src->id * g_net.node_count + dst->id];
        if (*connected == 0) *connected = dst->incarnation;
        uint64_t token = ((uint64_t)*connected << 32) | src->incarnation;
        sim_schedule(dst, connection_arrival_us(src->id, dst->id, now_us + 1), SIM_EVENT_PACKET,
                     src->id, token, payload);
        return;
    }
    int64_t latency_us = sim_route_latency_us(src, dst);
    if (is_cut(src->id, dst->id)) {
        dst->ops->free_data(SIM_EVENT_PACKET, payload);
        return;
    }
    int64_t extra_us = fault_delay_us(src->id, dst->id);
    if (extra_us < 0) {
        dst->ops->free_data(SIM_EVENT_PACKET, payload);
        send_reset(src, dst, 0);
        return;
    }
    uint32_t *connected =
        &g_net.connected_incarnation[(size_t)src->id * g_net.node_count + dst->id];
    if (*connected == 0) *connected = dst->incarnation; /* (re)connect */
    uint64_t token = ((uint64_t)*connected << 32) | src->incarnation;
    if (g_net.flows) {
        send_flow(src, dst, size_bytes, payload, extra_us, token, now_us);
        return;
    }
    uint64_t bandwidth = sim_route_bandwidth_bytes_per_s(src, dst);
    int64_t *nic_free_us = &g_net.nic_free_at_us[src->id];
    int64_t tx_start_us = *nic_free_us > now_us ? *nic_free_us : now_us;
    int64_t tx_end_us = tx_start_us + (int64_t)(((uint64_t)size_bytes * 1000000ULL) / bandwidth);
    *nic_free_us = tx_end_us;
    int64_t arrival_us = tx_end_us + latency_us + extra_us;
    /* At least 1 us after it was sent: without latency, sending rounded down to 0 us,
     * two nodes answering each other at once (a fetch that waits for nothing) would
     * repeat at one instant and never move the clock (issue 16, defect 5). */
    if (arrival_us <= now_us) arrival_us = now_us + 1;
    arrival_us = connection_arrival_us(src->id, dst->id, arrival_us);
    sim_schedule(dst, arrival_us, SIM_EVENT_PACKET, src->id, token, payload);
}

bool net_accept_delivery(sim_node *dst, const sim_event *ev)
{
    BL_ASSERT(ev->kind == SIM_EVENT_PACKET);
    sim_node *src = sim_node_by_id(ev->arg);
    uint32_t incarnation = (uint32_t)(ev->token >> 32);
    bool cut = src->same_process != dst && is_cut(src->id, dst->id);
    if (!cut && dst->process_up && incarnation == dst->incarnation) {
        /* Replies travel back on the connection the request came in on. */
        g_net.connected_incarnation[(size_t)dst->id * g_net.node_count + src->id] =
            (uint32_t)ev->token;
        g_net.packets_delivered++;
        return true;
    }
    dst->ops->free_data(SIM_EVENT_PACKET, ev->data);
    /* A powered host whose process is gone (or restarted) answers with a reset. A host
     * without power answers nothing; the sender's TCP keeps retransmitting, and the
     * first retransmission to reach the host once it is back draws the reset. */
    if (!cut && dst->host_up) send_reset(src, dst, sim_route_latency_us(dst, src));
    if (!cut && !dst->host_up)
        g_net.reset_on_restart[(size_t)dst->id * g_net.node_count + src->id] = 1;
    return false;
}

uint32_t net_add_rule(const net_rule_spec *spec)
{
    BL_ASSERT(spec->kind == NET_RULE_CUT || spec->kind == NET_RULE_LOSSY ||
              spec->kind == NET_RULE_SLOW);
    BL_ASSERTF(spec->kind != NET_RULE_LOSSY ||
                   (spec->drop_per_million >= 1 && spec->drop_per_million <= NET_PER_MILLION),
               "drop %u per million", spec->drop_per_million);
    BL_ASSERTF(spec->kind != NET_RULE_SLOW || spec->extra_latency_us > 0, "slow link of %lld us",
               (long long)spec->extra_latency_us);
    ensure_tables();
    for (uint32_t i = 0; i < NET_RULES_MAX; i++) {
        net_rule *rule = &g_net.rules[i];
        if (rule->active) continue;
        rule->in_a = calloc(g_net.node_count, 1);
        rule->in_b = calloc(g_net.node_count, 1);
        BL_ASSERT(rule->in_a != NULL && rule->in_b != NULL);
        for (uint32_t k = 0; k < spec->count_a; k++) {
            BL_ASSERT(spec->side_a[k] < g_net.node_count);
            rule->in_a[spec->side_a[k]] = 1;
        }
        for (uint32_t k = 0; k < spec->count_b; k++) {
            BL_ASSERT(spec->side_b[k] < g_net.node_count);
            rule->in_b[spec->side_b[k]] = 1;
        }
        rule->active = true;
        rule->kind = spec->kind;
        rule->one_way = spec->one_way;
        rule->drop_per_million = spec->drop_per_million;
        rule->extra_latency_us = spec->extra_latency_us;
        rule->counts = (net_rule_counts){0};
        g_net.active_rule_count++;
        return i;
    }
    BL_ASSERTF(false, "more than %d simultaneous network fault rules", NET_RULES_MAX);
    return 0;
}

net_rule_counts net_rule_counts_of(uint32_t rule_id)
{
    BL_ASSERT(rule_id < NET_RULES_MAX && g_net.rules[rule_id].active);
    return g_net.rules[rule_id].counts;
}

void net_remove_rule(uint32_t rule_id)
{
    BL_ASSERT(rule_id < NET_RULES_MAX);
    net_rule *rule = &g_net.rules[rule_id];
    if (!rule->active) return;
    free(rule->in_a);
    free(rule->in_b);
    memset(rule, 0, sizeof *rule);
    g_net.active_rule_count--;
}

void net_remove_all_rules(void)
{
    for (uint32_t i = 0; i < NET_RULES_MAX; i++) net_remove_rule(i);
}

void net_on_process_killed(sim_node *node)
{
    if (g_net.node_count == 0) return;
    uint32_t n = g_net.node_count;
    for (uint32_t id = 0; id < n; id++) {
        sim_node *peer = sim_node_by_id(id);
        if (peer == node || !peer->process_up) continue;
        bool connected = g_net.connected_incarnation[(size_t)id * n + node->id] != 0 ||
                         g_net.connected_incarnation[(size_t)node->id * n + id] != 0;
        if (!connected || is_cut(node->id, id)) continue;
        g_net.connected_incarnation[(size_t)node->id * n + id] = 0;
        send_reset(peer, node, sim_route_latency_us(node, peer));
    }
}

void net_on_node_start(sim_node *node)
{
    if (g_net.node_count == 0) return;
    /* A new process has no connections of its own yet. */
    memset(&g_net.connected_incarnation[(size_t)node->id * g_net.node_count], 0,
           g_net.node_count * sizeof(uint32_t));
    uint8_t *row = &g_net.reset_on_restart[(size_t)node->id * g_net.node_count];
    for (uint32_t src = 0; src < g_net.node_count; src++) {
        if (!row[src]) continue;
        row[src] = 0;
        send_reset(sim_node_by_id(src), node, sim_route_latency_us(node, sim_node_by_id(src)));
    }
}

void net_bytes_sent(uint64_t *inter_broker, uint64_t *other)
{
    *inter_broker = g_net.inter_broker_bytes;
    *other = g_net.other_bytes;
}

uint64_t net_packets_delivered(void)
{
    return g_net.packets_delivered;
}
