/* sim.c — SimGrid glue: nodes, their event heaps, their actors and the clock.
 *
 * One actor per node runs `node_actor_main`: sleep on the node's semaphore until the
 * earliest event is due (or until someone schedules an earlier one and releases the
 * semaphore), then run every due event through the model, then let the model flush its
 * coalesced output. Stopped processes keep no events; packets for them are dropped by
 * the network layer's delivery check. */
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>

#include "bl_assert.h"
#include "net.h"
#include "platform.h"

static struct {
    sim_config config;
    sim_node *nodes[SIM_NODES_MAX];
    uint32_t node_count;
    uint64_t next_seq;
    bool running;
    void (*tick_hook)(int64_t now_us, void *ctx);
    void *tick_ctx;
    sim_node *current;            /* the node whose model code runs now, or NULL */
    uint32_t wake_list[SIM_NODES_MAX]; /* nodes to wake when `current` is done */
    uint32_t wake_count;
} g_sim;

/* ---- event heap, ordered by (t_us, seq) ---- */

static bool event_before(const sim_event *a, const sim_event *b)
{
    return a->t_us < b->t_us || (a->t_us == b->t_us && a->seq < b->seq);
}

static void heap_push(sim_event_heap *heap, const sim_event *ev)
{
    if (heap->count == heap->capacity) {
        uint32_t capacity = heap->capacity ? heap->capacity * 2 : 64;
        sim_event *items = realloc(heap->items, (size_t)capacity * sizeof *items);
        BL_ASSERTF(items != NULL, "out of memory growing an event heap to %u", capacity);
        heap->items = items;
        heap->capacity = capacity;
    }
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

/* ---- clock ---- */

int64_t sim_now_us(void)
{
    return (int64_t)llround(simgrid_get_clock() * 1e6);
}

uint64_t sim_schedule(sim_node *node, int64_t t_us, uint32_t kind, uint32_t arg, uint64_t token,
                      void *data)
{
    int64_t now_us = g_sim.running ? sim_now_us() : 0;
    BL_ASSERTF(t_us >= now_us, "event in the past on %s: %lld < %lld", node->name,
               (long long)t_us, (long long)now_us);
    sim_event ev = {.t_us = t_us, .seq = g_sim.next_seq++, .kind = kind, .arg = arg,
                    .token = token, .data = data};
    heap_push(&node->events, &ev);
    if (node->sleeping_until_us > t_us && !node->wake_pending) {
        node->wake_pending = true;
        /* A semaphore release is a simcall, and SimGrid may run other actors inside it.
         * Model code must run atomically, so releases wait until it is done. */
        if (g_sim.current != NULL) g_sim.wake_list[g_sim.wake_count++] = node->id;
        else sg_sem_release((sg_sem_t)node->sg_sem);
    }
    return ev.seq;
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
#ifdef BL_SANITIZE_BUILD
    char arg4[] = "--cfg=contexts/factory:thread";
    char *argv[] = {arg0, arg1, arg2, arg3, arg4, NULL};
    argc = 5;
#else
    char *argv[] = {arg0, arg1, arg2, arg3, NULL};
#endif
    simgrid_init(&argc, argv);
}

sim_node *sim_add_node(const char *name, sim_role role, const sim_node_ops *ops, void *model)
{
    BL_ASSERT(!g_sim.running);
    BL_ASSERTF(g_sim.node_count < g_sim.config.node_count, "more nodes than declared (%u)",
               g_sim.config.node_count);
    BL_ASSERT(ops != NULL && ops->on_event != NULL && ops->on_start != NULL && ops->free_data != NULL);
    sim_node *node = calloc(1, sizeof *node);
    BL_ASSERT(node != NULL);
    node->id = g_sim.node_count;
    BL_ASSERT(strlen(name) < sizeof node->name);
    strcpy(node->name, name);
    node->role = role;
    node->ops = ops;
    node->model = model;
    node->sleeping_until_us = -1;
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
        if (ev.data != NULL) node->ops->free_data(ev.kind, ev.data);
    }
}

void sim_stop_node(sim_node *node, bool power_loss)
{
    if (!node->process_up && !(power_loss && node->host_up)) return;
    bool was_up = node->process_up;
    drop_pending_events(node);
    node->process_up = false;
    if (power_loss) node->host_up = false;
    if (was_up && node->ops->on_stop != NULL) node->ops->on_stop(node, power_loss);
}

void sim_start_node(sim_node *node)
{
    if (node->process_up) return;
    node->process_up = true;
    node->host_up = true;
    node->incarnation++;
    net_on_node_start(node);
    node->ops->on_start(node);
}

/* Runs every event due at `now_us`; packets pass the network's delivery check first. */
static void run_due_events(sim_node *node, int64_t now_us)
{
    while (node->events.count > 0 && node->events.items[0].t_us <= now_us) {
        sim_event ev = heap_pop(&node->events);
        BL_ASSERT(ev.t_us == now_us);
        if (ev.kind == SIM_EVENT_PACKET && !net_accept_delivery(node, &ev)) continue;
        if (!node->process_up) continue;
        node->ops->on_event(node, &ev);
    }
}

/* Wakes the nodes the finished activation scheduled earlier events on. Other actors
 * may run during each release; the model state they see is consistent. */
static void release_wake_list(void)
{
    uint32_t count = g_sim.wake_count;
    uint32_t ids[SIM_NODES_MAX];
    memcpy(ids, g_sim.wake_list, count * sizeof ids[0]);
    g_sim.wake_count = 0;
    for (uint32_t i = 0; i < count; i++) sg_sem_release((sg_sem_t)g_sim.nodes[ids[i]]->sg_sem);
}

static void node_actor_main(int argc, char **argv)
{
    sim_node *node = sg_actor_self_get_data();
    int64_t end_us = g_sim.config.end_us;
    for (;;) {
        int64_t now_us = sim_now_us();
        if (now_us >= end_us) break;
        int64_t next_us = node->events.count > 0 ? node->events.items[0].t_us : SIM_TIME_NEVER;
        if (next_us > now_us) {
            int64_t target_us = next_us < end_us ? next_us : end_us;
            node->sleeping_until_us = target_us;
            sg_sem_acquire_timeout((sg_sem_t)node->sg_sem, (double)(target_us - now_us) / 1e6);
            node->sleeping_until_us = -1;
            node->wake_pending = false;
            continue;
        }
        node->wakes++;
        BL_ASSERT(g_sim.current == NULL && g_sim.wake_count == 0);
        g_sim.current = node;
        run_due_events(node, now_us);
        if (node->process_up && node->ops->on_wake_end != NULL) node->ops->on_wake_end(node);
        if (g_sim.tick_hook != NULL) g_sim.tick_hook(now_us, g_sim.tick_ctx);
        g_sim.current = NULL;
        release_wake_list();
    }
}

void sim_run(void)
{
    BL_ASSERT(g_sim.node_count == g_sim.config.node_count);
    const char *names[SIM_NODES_MAX];
    void *hosts[SIM_NODES_MAX];
    for (uint32_t i = 0; i < g_sim.node_count; i++) names[i] = g_sim.nodes[i]->name;
    platform_build(g_sim.node_count, names, (double)g_sim.config.latency_us / 1e6,
                   (double)g_sim.config.bandwidth_bytes_per_s, hosts);
    g_sim.running = true;
    for (uint32_t i = 0; i < g_sim.node_count; i++) {
        sim_node *node = g_sim.nodes[i];
        node->sg_host = hosts[i];
        node->sg_sem = sg_sem_init(0);
        sim_start_node(node);
    }
    for (uint32_t i = 0; i < g_sim.node_count; i++) {
        sim_node *node = g_sim.nodes[i];
        sg_actor_t actor = sg_actor_init(node->name, (sg_host_t)node->sg_host);
        sg_actor_set_data(actor, node);
        sg_actor_start(actor, node_actor_main, 0, NULL);
    }
    simgrid_run();
    g_sim.running = false;
}

void sim_shutdown(void)
{
    for (uint32_t i = 0; i < g_sim.node_count; i++) {
        sim_node *node = g_sim.nodes[i];
        drop_pending_events(node);
        free(node->events.items);
        if (node->sg_sem != NULL) sg_sem_destroy((sg_sem_t)node->sg_sem);
        free(node);
        g_sim.nodes[i] = NULL;
    }
    g_sim.node_count = 0;
}

int64_t sim_route_latency_us(const sim_node *src, const sim_node *dst)
{
    if (src == dst) return 0;
    return (int64_t)llround(
        sg_host_get_route_latency((sg_host_t)src->sg_host, (sg_host_t)dst->sg_host) * 1e6);
}

uint64_t sim_route_bandwidth_bytes_per_s(const sim_node *src, const sim_node *dst)
{
    return (uint64_t)sg_host_get_route_bandwidth((sg_host_t)src->sg_host, (sg_host_t)dst->sg_host);
}

uint64_t sim_total_wakes(void)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < g_sim.node_count; i++) total += g_sim.nodes[i]->wakes;
    return total;
}

void sim_set_tick_hook(void (*hook)(int64_t now_us, void *ctx), void *ctx)
{
    g_sim.tick_hook = hook;
    g_sim.tick_ctx = ctx;
}
