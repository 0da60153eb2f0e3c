/* sim.c — the event loop: nodes, their event heaps, the node scheduler and the clock.
 *
 * One loop in one thread runs every node's events. Each node keeps its own min-heap of
 * events ordered by (t_us, seq); the scheduler is an indexed min-heap of nodes keyed by
 * their earliest event, so the next activation is always the node holding the globally
 * earliest (time, sequence number) event. An activation advances the clock to that time,
 * runs every event of that node due at that instant (including those it schedules for
 * the same instant), lets the model flush its coalesced output, then re-keys the node.
 * Nothing else can run in between: model code is atomic by construction.
 *
 * SimGrid is not on this path: it builds the platform (hosts, links, routes) and the
 * engine reads route latency and bandwidth from it (DESIGN.md, "Performance budget").
 * With network.model: simgrid, packets are SimGrid flows and SimGrid's clock is
 * advanced before each activation to the activation's time or to the first flow
 * completion before it, whichever comes first.
 * The clock is an integer count of microseconds and never rounded. Stopped processes
 * keep no events; packets for them are dropped by the network layer's delivery check. */
#include "sim.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <simgrid/engine.h>
#include <simgrid/host.h>

#include "bl_assert.h"
#include "net.h"
#include "platform.h"
#include "vec.h"

#define SIM_NOT_SCHEDULED UINT32_MAX

static struct {
    sim_config config;
    sim_node *nodes[SIM_NODES_MAX];
    uint32_t node_count;
    uint64_t next_seq;
    bool running;
    int64_t now_us; /* the clock: time of the activation that runs now */
    void (*tick_hook)(int64_t now_us, void *ctx);
    void *tick_ctx;
    sim_node *current;         /* the node whose model code runs now, or NULL */
    bool halt_current;         /* sim_halt_current: it exits after the event it handles */
    bool in_event;             /* a model's on_event runs */
    int64_t *route_latency_us; /* platform file: [src * n + dst]; NULL for the star */
    uint64_t *route_bandwidth;
    int64_t star_latency_us; /* the star's one route, read back from SimGrid */
    uint64_t star_bandwidth;
    sim_node *ready[SIM_NODES_MAX]; /* scheduler heap: nodes with events, by earliest */
    uint32_t ready_count;
    uint64_t activations;
} g_sim;

/* ---- event heap, ordered by (t_us, seq) ---- */

static bool event_before(const sim_event *a, const sim_event *b)
{
    return a->t_us < b->t_us || (a->t_us == b->t_us && a->seq < b->seq);
}

static void heap_push(sim_event_heap *heap, const sim_event *ev)
{
    BL_GROW(heap->items, heap->capacity, (uint64_t)heap->count + 1, SIM_NODE_EVENTS_MAX,
            "pending events of one node");
    uint32_t i = heap->count++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!event_before(ev, &heap->items[parent])) break;
        heap->items[i] = heap->items[parent];
        i = parent;
    }
    heap->items[i] = *ev;
}

static sim_event heap_pop(sim_event_heap *heap)
{
    BL_ASSERT(heap->count > 0);
    sim_event top = heap->items[0];
    sim_event last = heap->items[--heap->count];
    uint32_t i = 0;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= heap->count) break;
        if (child + 1 < heap->count && event_before(&heap->items[child + 1], &heap->items[child]))
            child++;
        if (!event_before(&heap->items[child], &last)) break;
        heap->items[i] = heap->items[child];
        i = child;
    }
    if (heap->count > 0) heap->items[i] = last;
    return top;
}

/* ---- the scheduler: an indexed heap of nodes keyed by their earliest event ---- */

static bool node_before(const sim_node *a, const sim_node *b)
{
    return event_before(&a->events.items[0], &b->events.items[0]);
}

static void ready_place(uint32_t i, sim_node *node)
{
    g_sim.ready[i] = node;
    node->ready_index = i;
}

static void ready_sift_up(uint32_t i)
{
    sim_node *node = g_sim.ready[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!node_before(node, g_sim.ready[parent])) break;
        ready_place(i, g_sim.ready[parent]);
        i = parent;
    }
    ready_place(i, node);
}

static void ready_sift_down(uint32_t i)
{
    sim_node *node = g_sim.ready[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= g_sim.ready_count) break;
        if (child + 1 < g_sim.ready_count &&
            node_before(g_sim.ready[child + 1], g_sim.ready[child]))
            child++;
        if (!node_before(g_sim.ready[child], node)) break;
        ready_place(i, g_sim.ready[child]);
        i = child;
    }
    ready_place(i, node);
}

static void ready_remove(sim_node *node)
{
    uint32_t i = node->ready_index;
    if (i == SIM_NOT_SCHEDULED) return;
    BL_ASSERT(i < g_sim.ready_count && g_sim.ready[i] == node);
    node->ready_index = SIM_NOT_SCHEDULED;
    sim_node *last = g_sim.ready[--g_sim.ready_count];
    if (last == node) return;
    ready_place(i, last);
    ready_sift_up(i);
    ready_sift_down(last->ready_index);
}

/* The node's earliest event changed: put it where that event belongs. */
static void ready_update(sim_node *node)
{
    if (node == g_sim.current) return; /* re-keyed when its activation ends */
    if (node->events.count == 0) {
        ready_remove(node);
        return;
    }
    if (node->ready_index == SIM_NOT_SCHEDULED) {
        BL_ASSERT(g_sim.ready_count < SIM_NODES_MAX);
        node->ready_index = g_sim.ready_count++;
        g_sim.ready[node->ready_index] = node;
    }
    ready_sift_up(node->ready_index);
    ready_sift_down(node->ready_index);
}

/* ---- clock ---- */

int64_t sim_now_us(void)
{
    return g_sim.now_us;
}

uint64_t sim_schedule(sim_node *node, int64_t t_us, uint32_t kind, uint32_t arg, uint64_t token,
                      void *data)
{
    BL_ASSERTF(t_us >= g_sim.now_us, "event in the past on %s: %lld < %lld", node->name,
               (long long)t_us, (long long)g_sim.now_us);
    sim_event ev = {.t_us = t_us,
                    .seq = g_sim.next_seq++,
                    .kind = kind,
                    .arg = arg,
                    .token = token,
                    .data = data};
    bool was_earliest = node->events.count == 0 || event_before(&ev, &node->events.items[0]);
    heap_push(&node->events, &ev);
    if (was_earliest) ready_update(node);
    return ev.seq;
}

/* ---- timers ---- */

bool sim_timer_armed(const sim_node *node, const sim_timer *timer)
{
    return timer->armed && timer->incarnation == node->incarnation;
}

void sim_timer_set(sim_node *node, sim_timer *timer, int64_t at_us, uint32_t kind)
{
    BL_ASSERT(kind >= SIM_EVENT_MODEL_BASE);
    timer->generation++;
    timer->at_us = at_us;
    timer->incarnation = node->incarnation;
    timer->armed = true;
    sim_schedule(node, at_us, SIM_EVENT_TIMER, kind, timer->generation, timer);
}

void sim_timer_arm(sim_node *node, sim_timer *timer, int64_t at_us, uint32_t kind)
{
    if (sim_timer_armed(node, timer) && timer->at_us <= at_us) return;
    sim_timer_set(node, timer, at_us, kind);
}

void sim_timer_cancel(sim_timer *timer)
{
    timer->generation++;
    timer->armed = false;
}

/* A timer event: the model's event if it is the timer's live one, else stale. */
static bool timer_fires(const sim_node *node, sim_event *ev)
{
    sim_timer *timer = ev->data;
    if (!sim_timer_armed(node, timer) || ev->token != timer->generation) return false;
    timer->armed = false;
    ev->kind = ev->arg;
    ev->arg = 0;
    ev->data = NULL;
    return true;
}

/* ---- nodes ---- */

void sim_init(const sim_config *config)
{
    BL_ASSERT(config->node_count > 0 && config->node_count <= SIM_NODES_MAX);
    BL_ASSERT(config->end_us > 0);
    memset(&g_sim, 0, sizeof g_sim);
    g_sim.config = *config;
    int argc = 4;
    char arg0[] = "brokerlab", arg1[] = "--cfg=network/latency-factor:1",
         arg2[] = "--cfg=network/bandwidth-factor:1", arg3[] = "--log=root.thres:critical";
    char *argv[] = {arg0, arg1, arg2, arg3, NULL};
    simgrid_init(&argc, argv);
}

sim_node *sim_add_node(const char *name, sim_role role, const sim_node_ops *ops, void *model)
{
    BL_ASSERT(!g_sim.running);
    BL_ASSERTF(g_sim.node_count < g_sim.config.node_count, "more nodes than declared (%u)",
               g_sim.config.node_count);
    BL_ASSERT(ops != NULL && ops->on_event != NULL && ops->on_start != NULL &&
              ops->free_data != NULL);
    sim_node *node = calloc(1, sizeof *node);
    BL_ASSERT(node != NULL);
    node->id = g_sim.node_count;
    BL_ASSERT(strlen(name) < sizeof node->name);
    strcpy(node->name, name);
    node->role = role;
    node->ops = ops;
    node->model = model;
    node->ready_index = SIM_NOT_SCHEDULED;
    g_sim.nodes[g_sim.node_count++] = node;
    return node;
}

sim_node *sim_node_by_id(uint32_t id)
{
    BL_ASSERT(id < g_sim.node_count);
    return g_sim.nodes[id];
}

uint32_t sim_node_count(void)
{
    return g_sim.node_count;
}

static void drop_pending_events(sim_node *node)
{
    while (node->events.count > 0) {
        sim_event ev = heap_pop(&node->events);
        if (ev.data != NULL && ev.kind != SIM_EVENT_TIMER) node->ops->free_data(ev.kind, ev.data);
    }
    ready_update(node);
}

void sim_stop_node(sim_node *node, bool power_loss)
{
    BL_ASSERTF(node != g_sim.current, "%s stops itself", node->name);
    if (!node->process_up && !(power_loss && node->host_up)) return;
    bool was_up = node->process_up;
    drop_pending_events(node);
    node->process_up = false;
    if (power_loss) node->host_up = false;
    if (was_up && node->ops->on_stop != NULL) node->ops->on_stop(node, power_loss);
    if (was_up && !power_loss) net_on_process_killed(node);
}

/* The process is up (its first half: nothing runs yet). */
static void bring_up(sim_node *node)
{
    node->process_up = true;
    node->host_up = true;
    node->incarnation++;
    net_on_node_start(node);
}

void sim_start_node(sim_node *node)
{
    if (node->process_up) return;
    bring_up(node);
    node->ops->on_start(node);
}

/* The most events one activation may run: far above any model's burst (a broker takes
 * at most one request per connection and a few timers per instant), so reaching it means
 * a model re-schedules at the same instant forever, a loop the clock would never leave
 * (nor a signal interrupt, which is looked at between activations). */
#define SIM_ACTIVATION_EVENTS_MAX (1u << 24)

/* Runs every event due at `now_us`; packets pass the network's delivery check first.
 * Returns how many reached the model. */
static uint32_t run_due_events(sim_node *node, int64_t now_us)
{
    uint32_t handled = 0, popped = 0;
    while (node->events.count > 0 && node->events.items[0].t_us <= now_us) {
        BL_ASSERTF(++popped <= SIM_ACTIVATION_EVENTS_MAX,
                   "%s: %u events at %lld us without the clock advancing (a model loop)",
                   node->name, SIM_ACTIVATION_EVENTS_MAX, (long long)now_us);
        sim_event ev = heap_pop(&node->events);
        BL_ASSERT(ev.t_us == now_us);
        if (ev.kind == SIM_EVENT_PACKET && !net_accept_delivery(node, &ev)) continue;
        if (ev.kind == SIM_EVENT_TIMER && !timer_fires(node, &ev)) continue;
        if (!node->process_up) continue;
        g_sim.in_event = true;
        node->ops->on_event(node, &ev);
        g_sim.in_event = false;
        handled++;
        if (g_sim.halt_current) break; /* the rest dies with the process */
    }
    return handled;
}

void sim_halt_current(void)
{
    BL_ASSERTF(g_sim.current != NULL && g_sim.in_event, "sim_halt_current outside a node's event");
    g_sim.halt_current = true;
}

/* The node halted itself during this activation: stopped now, with its process mate. */
static void halt(sim_node *node)
{
    g_sim.halt_current = false;
    g_sim.current = NULL;
    sim_stop_node(node, false);
    if (node->same_process != NULL) sim_stop_node(node->same_process, false);
}

/* One activation: the node holding the earliest event handles all it has due now. An
 * activation in which nothing reached the model (stale timers, dropped packets) is not
 * one: the model is not woken and it is not counted. */
static void activate(sim_node *node)
{
    int64_t now_us = node->events.items[0].t_us;
    BL_ASSERTF(now_us >= g_sim.now_us, "clock would go back: %lld < %lld", (long long)now_us,
               (long long)g_sim.now_us);
    g_sim.now_us = now_us;
    ready_remove(node);
    g_sim.current = node;
    uint32_t handled = run_due_events(node, now_us);
    if (handled == 0) {
        g_sim.current = NULL;
        ready_update(node);
        return;
    }
    node->wakes++;
    g_sim.activations++;
    if (g_sim.halt_current) {
        halt(node);
        if (g_sim.tick_hook != NULL) g_sim.tick_hook(now_us, g_sim.tick_ctx);
        ready_update(node);
        return;
    }
    if (node->process_up && node->ops->on_wake_end != NULL) node->ops->on_wake_end(node);
    if (g_sim.tick_hook != NULL) g_sim.tick_hook(now_us, g_sim.tick_ctx);
    g_sim.current = NULL;
    ready_update(node);
}

/* Set by a signal handler (sim_request_stop): the loop ends at the next activation. */
static volatile sig_atomic_t g_stop_requested;

void sim_request_stop(void)
{
    g_stop_requested = 1;
}

static void stop_on_signal(int signal_number)
{
    (void)signal_number;
    sim_request_stop();
}

/* The progress hook lives outside g_sim: it is set before sim_init and outlives runs. */
static sim_progress_hook g_progress_hook;
static void *g_progress_ctx;

void sim_set_progress_hook(sim_progress_hook hook, void *ctx)
{
    g_progress_hook = hook;
    g_progress_ctx = ctx;
}

void sim_set_same_process(sim_node *a, sim_node *b)
{
    BL_ASSERT(a != b && a->same_process == NULL && b->same_process == NULL && !g_sim.running);
    a->same_process = b;
    b->same_process = a;
}

int sim_run(char error[SIM_ERROR_LEN])
{
    BL_ASSERT(g_sim.node_count == g_sim.config.node_count);
    const char *names[SIM_NODES_MAX];
    static void *hosts[SIM_NODES_MAX];
    for (uint32_t i = 0; i < g_sim.node_count; i++) names[i] = g_sim.nodes[i]->name;
    if (g_sim.config.platform_file != NULL) {
        /* a node in another's process sits on the host named after that one (the one
         * built first: the broker) */
        for (uint32_t i = 0; i < g_sim.node_count; i++) {
            const sim_node *other = g_sim.nodes[i]->same_process;
            if (other != NULL && other->id < i) names[i] = other->name;
        }
        size_t pairs = (size_t)g_sim.node_count * g_sim.node_count;
        g_sim.route_latency_us = malloc(pairs * sizeof *g_sim.route_latency_us);
        g_sim.route_bandwidth = malloc(pairs * sizeof *g_sim.route_bandwidth);
        BL_ASSERT(g_sim.route_latency_us != NULL && g_sim.route_bandwidth != NULL);
        if (platform_load(g_sim.config.platform_file, g_sim.node_count, names, hosts,
                          g_sim.route_latency_us, g_sim.route_bandwidth, error, SIM_ERROR_LEN) != 0)
            return -1;
    } else {
        platform_build(g_sim.node_count, names, (double)g_sim.config.latency_us / 1e6,
                       (double)g_sim.config.bandwidth_bytes_per_s, hosts);
        /* Every pair of the star has the same route: read it once. */
        BL_ASSERT(g_sim.node_count >= 2);
        g_sim.star_latency_us = (int64_t)llround(
            sg_host_get_route_latency((sg_host_t)hosts[0], (sg_host_t)hosts[1]) * 1e6);
        g_sim.star_bandwidth =
            (uint64_t)sg_host_get_route_bandwidth((sg_host_t)hosts[0], (sg_host_t)hosts[1]);
        BL_ASSERT(g_sim.star_latency_us >= 0 && g_sim.star_bandwidth > 0);
    }
    /* SIGINT and SIGTERM stop the loop at the next activation (SimGrid's own SIGINT
     * handler, installed by its initialisation, would exit(1) mid-run). */
    struct sigaction on_signal = {.sa_handler = stop_on_signal}, old_int, old_term;
    sigemptyset(&on_signal.sa_mask);
    sigaction(SIGINT, &on_signal, &old_int);
    sigaction(SIGTERM, &on_signal, &old_term);
    g_sim.running = true;
    g_sim.now_us = 0;
    for (uint32_t i = 0; i < g_sim.node_count; i++) g_sim.nodes[i]->sg_host = hosts[i];
    /* Every process is up before any starts working: what one sends at 0 reaches the
     * others (started in node order, a message to a node not yet up was reset). */
    for (uint32_t i = 0; i < g_sim.node_count; i++) bring_up(g_sim.nodes[i]);
    for (uint32_t i = 0; i < g_sim.node_count; i++) g_sim.nodes[i]->ops->on_start(g_sim.nodes[i]);
    int64_t end_us = g_sim.config.end_us;
    for (;;) {
        int64_t next_us = g_sim.ready_count > 0 ? g_sim.ready[0]->events.items[0].t_us : end_us;
        if (next_us > end_us) next_us = end_us;
        /* Flows in the air may complete first: SimGrid runs up to the next event or to
         * its first completion, which schedules a delivery; then look again. */
        if (g_sim.config.simgrid_flows && platform_flows_in_flight() > 0 &&
            platform_flows_advance(next_us) < next_us)
            continue;
        if (next_us >= end_us) break;
        if (g_stop_requested) break;
        activate(g_sim.ready[0]);
        if (g_progress_hook != NULL && (g_sim.activations & (SIM_PROGRESS_EVERY - 1)) == 0)
            g_progress_hook(g_sim.now_us, end_us, g_progress_ctx);
    }
    if (g_sim.config.simgrid_flows) platform_flows_shutdown();
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    g_sim.running = false;
    if (g_stop_requested) return SIM_STOPPED; /* the clock stays where it stopped */
    g_sim.now_us = end_us;
    return 0;
}

void sim_shutdown(void)
{
    for (uint32_t i = 0; i < g_sim.node_count; i++) {
        sim_node *node = g_sim.nodes[i];
        drop_pending_events(node);
        free(node->events.items);
        free(node);
        g_sim.nodes[i] = NULL;
    }
    g_sim.node_count = 0;
    g_sim.ready_count = 0;
    free(g_sim.route_latency_us);
    free(g_sim.route_bandwidth);
    g_sim.route_latency_us = NULL;
    g_sim.route_bandwidth = NULL;
}

int64_t sim_route_latency_us(const sim_node *src, const sim_node *dst)
{
    if (src == dst) return 0;
    if (g_sim.route_latency_us != NULL)
        return g_sim.route_latency_us[(size_t)src->id * g_sim.node_count + dst->id];
    return g_sim.star_latency_us;
}

uint64_t sim_route_bandwidth_bytes_per_s(const sim_node *src, const sim_node *dst)
{
    if (g_sim.route_bandwidth != NULL)
        return g_sim.route_bandwidth[(size_t)src->id * g_sim.node_count + dst->id];
    return g_sim.star_bandwidth;
}

uint64_t sim_total_wakes(void)
{
    return g_sim.activations;
}

void sim_set_tick_hook(void (*hook)(int64_t now_us, void *ctx), void *ctx)
{
    g_sim.tick_hook = hook;
    g_sim.tick_ctx = ctx;
}
