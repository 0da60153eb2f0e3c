/* test_net.c — the network's fault rules and the engine's tie order, on a real event
 * loop of three nodes (a, b, c) and no broker model: a cut both ways, a one-way cut, a
 * lossy link that drops every transmission until the connection is reset (the sender
 * is told, the receiver gets nothing), and delivery again once each rule is removed;
 * then events of one instant run in the order they were scheduled, across nodes; and a
 * node that halts itself (sim_halt_current) stops with its process mate.
 * SimGrid initialises once per process, so each simulation runs in a child process and
 * reports what its nodes saw through shared memory. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../engine/net.h"
#include "../../engine/sim.h"
#include "../test_util.h"

enum { STEP = SIM_EVENT_MODEL_BASE, MARK };

#define NODES   3
#define LOG_MAX 64

/* What each node saw: packets (by payload tag) and resets (by peer). */
typedef struct seen {
    uint32_t packets[LOG_MAX];
    uint32_t packet_count;
    uint32_t resets[LOG_MAX];
    uint32_t reset_count;
} seen;

typedef struct shared {
    seen seen[NODES];
    uint32_t order[LOG_MAX]; /* MARK events in the order they ran */
    uint32_t order_count;
    uint32_t stops[NODES]; /* on_stop calls */
    uint32_t wake_ends[NODES];
} shared;

static shared *g_shared;       /* in memory shared with the simulation's child process */
static bool g_same_process_bc; /* b and c share a process (sim_set_same_process) */
#define g_seen        (g_shared->seen)
#define g_order       (g_shared->order)
#define g_order_count (g_shared->order_count)
static sim_node *g_nodes[NODES];
static uint32_t g_tags[LOG_MAX]; /* payloads: the address of a tag is the packet */

/* The script, played by node a at 1 s intervals: one action per step. */
typedef enum action { SEND_AB, SEND_BA, SEND_AC, CUT, ONE_WAY, LOSSY, REMOVE } action;
static const action *g_script;
static uint32_t g_script_length;
static uint32_t g_rule;

static void send(uint32_t from, uint32_t to, uint32_t tag)
{
    g_tags[tag] = tag;
    net_send(g_nodes[from], g_nodes[to], 100, &g_tags[tag]);
}

static void add_rule(net_rule_kind kind, bool one_way, uint32_t drop_per_million)
{
    const uint32_t a = g_nodes[0]->id, b = g_nodes[1]->id;
    net_rule_spec spec = {.kind = kind,
                          .side_a = &a,
                          .count_a = 1,
                          .side_b = &b,
                          .count_b = 1,
                          .one_way = one_way,
                          .drop_per_million = drop_per_million};
    g_rule = net_add_rule(&spec);
}

static void play(uint32_t step)
{
    switch (g_script[step]) {
    case SEND_AB: send(0, 1, step); break;
    case SEND_BA: send(1, 0, step); break;
    case SEND_AC: send(0, 2, step); break;
    case CUT: add_rule(NET_RULE_CUT, false, 0); break;
    case ONE_WAY: add_rule(NET_RULE_CUT, true, 0); break;
    case LOSSY: add_rule(NET_RULE_LOSSY, false, NET_PER_MILLION); break;
    case REMOVE: net_remove_rule(g_rule); break;
    }
}

static void on_event(sim_node *node, const sim_event *ev)
{
    seen *s = &g_seen[node->entry];
    if (ev->kind == SIM_EVENT_PACKET) {
        s->packets[s->packet_count++] = *(const uint32_t *)ev->data;
    } else if (ev->kind == SIM_EVENT_NET_RESET) {
        s->resets[s->reset_count++] = ev->arg;
    } else if (ev->kind == STEP) {
        play(ev->arg);
    } else if (ev->kind == MARK) {
        g_order[g_order_count++] = ev->arg;
    }
}

static void on_start(sim_node *node)
{
    if (node->entry != 0) return;
    for (uint32_t step = 0; step < g_script_length; step++)
        sim_schedule(node, (int64_t)(step + 1) * S, STEP, step, 0, NULL);
}

static void free_data(uint32_t kind, void *data)
{
    (void)kind;
    (void)data; /* tags are static */
}

static const sim_node_ops ops = {
    .on_event = on_event, .on_start = on_start, .free_data = free_data};

/* Runs a simulation of nodes a, b, c with `node_ops` in a child process. */
static void simulate(const sim_node_ops *node_ops, int64_t end_us)
{
    memset(g_shared, 0, sizeof *g_shared);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        sim_config config = {.node_count = NODES,
                             .latency_us = 500,
                             .bandwidth_bytes_per_s = 125000000,
                             .end_us = end_us};
        sim_init(&config);
        net_init(1);
        static const char *const names[NODES] = {"a", "b", "c"};
        for (uint32_t i = 0; i < NODES; i++) {
            g_nodes[i] = sim_add_node(names[i], SIM_ROLE_BROKER, node_ops, NULL);
            g_nodes[i]->entry = i;
        }
        if (g_same_process_bc) sim_set_same_process(g_nodes[1], g_nodes[2]);
        char error[SIM_ERROR_LEN];
        int rc = sim_run(error);
        net_shutdown();
        sim_shutdown();
        _exit(rc == 0 ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void run_script(const action *script, uint32_t length)
{
    g_script = script;
    g_script_length = length;
    simulate(&ops, (int64_t)(length + 120) * S);
}

static void test_cut_both_ways_then_removed(void **state)
{
    (void)state;
    static const action script[] = {CUT, SEND_AB, SEND_BA, SEND_AC, REMOVE, SEND_AB, SEND_BA};
    run_script(script, sizeof script / sizeof script[0]);
    assert_int_equal(g_seen[1].packet_count, 1); /* b: only the send after the removal */
    assert_int_equal(g_seen[1].packets[0], 5);
    assert_int_equal(g_seen[0].packet_count, 1);
    assert_int_equal(g_seen[0].packets[0], 6);
    assert_int_equal(g_seen[2].packet_count, 1);                        /* c is outside the cut */
    assert_int_equal(g_seen[0].reset_count + g_seen[1].reset_count, 0); /* a cut is silence */
}

static void test_one_way_cut(void **state)
{
    (void)state;
    static const action script[] = {ONE_WAY, SEND_AB, SEND_BA};
    run_script(script, sizeof script / sizeof script[0]);
    assert_int_equal(g_seen[1].packet_count, 0); /* a -> b dropped */
    assert_int_equal(g_seen[0].packet_count, 1); /* b -> a delivered */
    assert_int_equal(g_seen[0].packets[0], 2);
}

static void test_lossy_link_resets_then_recovers(void **state)
{
    (void)state;
    static const action script[] = {LOSSY, SEND_AB, REMOVE, SEND_AB};
    run_script(script, sizeof script / sizeof script[0]);
    /* Every transmission dropped: after NET_RETRANSMITS_MAX retransmissions the
     * connection is reset; the sender learns it, the receiver never sees the packet. */
    assert_int_equal(g_seen[0].reset_count, 1);
    assert_int_equal(g_seen[0].resets[0], 1); /* node b: ids follow the order of sim_add_node */
    assert_int_equal(g_seen[1].packet_count, 1);
    assert_int_equal(g_seen[1].packets[0], 3);
}

/* Tie order: events of one instant run in the order they were scheduled, whichever node
 * holds them; each node's activation takes all of its due events at once, in order. */
static void tie_on_start(sim_node *node)
{
    if (node->entry != 0) return;
    static const uint32_t targets[] = {2, 1, 2, 0, 1};
    for (uint32_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        sim_schedule(g_nodes[targets[i]], 5 * S, MARK, i, 0, NULL);
}

static const sim_node_ops tie_ops = {
    .on_event = on_event, .on_start = tie_on_start, .free_data = free_data};

static void test_tie_order(void **state)
{
    (void)state;
    simulate(&tie_ops, 10 * S);
    /* c holds the earliest sequence number (0), so c runs first with both of its
     * events (0, 2); then b (1, 4), whose earliest is 1; then a (3). */
    static const uint32_t expected[] = {0, 2, 1, 4, 3};
    assert_int_equal(g_order_count, 5);
    for (uint32_t i = 0; i < 5; i++) assert_int_equal(g_order[i], expected[i]);
}

/* c halts itself at its first mark (5 s): the mark after it at the same instant, its
 * wake end and everything later are gone, and b, in c's process, stops with it. */
static void halt_on_event(sim_node *node, const sim_event *ev)
{
    on_event(node, ev);
    if (ev->kind == MARK && ev->arg == 0) sim_halt_current();
}

static void halt_on_start(sim_node *node)
{
    if (node->entry != 0) return;
    sim_schedule(g_nodes[2], 5 * S, MARK, 0, 0, NULL);
    sim_schedule(g_nodes[2], 5 * S, MARK, 1, 0, NULL);
    sim_schedule(g_nodes[2], 6 * S, MARK, 2, 0, NULL);
    sim_schedule(g_nodes[1], 6 * S, MARK, 3, 0, NULL);
    sim_schedule(g_nodes[0], 6 * S, MARK, 4, 0, NULL);
}

static void halt_on_stop(sim_node *node, bool power_loss)
{
    assert_false(power_loss);
    g_shared->stops[node->entry]++;
}

static void halt_on_wake_end(sim_node *node)
{
    g_shared->wake_ends[node->entry]++;
}

static const sim_node_ops halt_ops = {.on_event = halt_on_event,
                                      .on_start = halt_on_start,
                                      .on_stop = halt_on_stop,
                                      .on_wake_end = halt_on_wake_end,
                                      .free_data = free_data};

static void test_a_halt_stops_the_process_and_its_mate(void **state)
{
    (void)state;
    g_same_process_bc = true;
    simulate(&halt_ops, 10 * S);
    g_same_process_bc = false;
    assert_int_equal(g_order_count, 2); /* c's first mark, then a's */
    assert_int_equal(g_order[0], 0);
    assert_int_equal(g_order[1], 4);
    assert_int_equal(g_shared->stops[2], 1);
    assert_int_equal(g_shared->stops[1], 1);
    assert_int_equal(g_shared->stops[0], 0);
    assert_int_equal(g_shared->wake_ends[2], 0); /* no wake end after the halt */
    assert_int_equal(g_shared->wake_ends[0], 1);
}

int main(void)
{
    g_shared =
        mmap(NULL, sizeof *g_shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (g_shared == MAP_FAILED) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_both_ways_then_removed),
        cmocka_unit_test(test_one_way_cut),
        cmocka_unit_test(test_lossy_link_resets_then_recovers),
        cmocka_unit_test(test_tie_order),
        cmocka_unit_test(test_a_halt_stops_the_process_and_its_mate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
