/* world.c — assembles one run: the simulation and network from the scenario's cluster,
 * the nodes of the broker family its preset chooses (family.h), the fault injector
 * (engine/fault.h) with the family's hooks; then runs it to the end of the drain. */
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "../engine/fault.h"
#include "../engine/history.h"
#include "../engine/net.h"
#include "../engine/sim.h"
#include "family.h"

static void history_tick(int64_t now_us, void *ctx)
{
    hist_maybe_flush(now_us);
}

/* The last run's durability rows (world_stats.durability points here). */
static scn_setting g_durability[SCN_SETTINGS_MAX];

int world_run(const scn_scenario *scenario, uint64_t seed, world_stats *stats,
              char error[SIM_ERROR_LEN])
{
    scn_scenario *seeded = malloc(sizeof *seeded);
    BL_ASSERT(seeded != NULL);
    memcpy(seeded, scenario, sizeof *seeded);
    seeded->seed = seed;
    const broker_family *family = family_for(seeded->cluster.preset);
    const char *platform = seeded->cluster.network.platform;
    sim_config config = {.node_count = family->node_count(seeded) + 1, /* + the fault injector */
                         .platform_file = platform[0] != '\0' ? platform : NULL,
                         .latency_us = seeded->cluster.network.latency_us,
                         .bandwidth_bytes_per_s = seeded->cluster.network.bandwidth_bytes_per_s,
                         .end_us = seeded->duration_us + seeded->drain_us,
                         .simgrid_flows = seeded->cluster.network.model == SCN_NETWORK_SIMGRID};
    sim_init(&config);
    net_init(seed);
    if (config.simgrid_flows) net_use_simgrid_flows();
    void *run = family->build(seeded);
    fault_hooks hooks = {.ctx = run,
                         .schema = family->schema,
                         .resolve = family->resolve,
                         .stall = family->stall,
                         .stall_held = family->stall_held,
                         .describe_stop = family->describe_stop};
    fault_injector_create(seeded, &hooks);
    BL_ASSERTF(sim_node_count() == config.node_count, "%u nodes built, %u announced",
               sim_node_count(), config.node_count);
    sim_set_tick_hook(history_tick, NULL);
    int rc = sim_run(error);
    memset(stats, 0, sizeof *stats);
    if (rc == 0) {
        stats->sim_time_s = (double)config.end_us / 1e6;
        stats->wakes = sim_total_wakes();
        stats->packets = net_packets_delivered();
        net_bytes_sent(&stats->inter_broker_bytes, &stats->other_bytes);
        stats->messages = family->messages(run);
        stats->nodes = config.node_count;
        stats->faults = fault_injector_finish(); /* reads the network's rules: before its end */
        /* The rows name the caller's scenario, not the seeded copy freed below. */
        uint32_t rows = family->durability != NULL
                            ? family->durability(scenario, g_durability, SCN_SETTINGS_MAX)
                            : 0;
        BL_ASSERT(rows <= SCN_SETTINGS_MAX);
        stats->durability = (scn_settings){.rows = g_durability, .count = rows};
    } else if (rc == SIM_STOPPED) {
        stats->interrupted = true;
        stats->sim_time_s = (double)sim_now_us() / 1e6;
    }
    net_shutdown(); /* packets still in the air go back to their receivers' models */
    sim_shutdown();
    family->free(run);
    free(seeded);
    return rc;
}

/* The engine simulates at most SIM_NODES_MAX processes: brokers, every producer and
 * consumer instance, the fault injector. Counted in 64 bits, entry by entry, so the
 * error points at the entry that crosses the limit. */
int world_check_node_limit(const scn_scenario *scenario, const char *path,
                           char error[SCN_ERROR_LEN])
{
    uint64_t nodes = 1 + (uint64_t)scenario->cluster.broker_count;
    const scn_mark *at = &scenario->cluster.mark;
    for (uint32_t i = 0; i < scenario->producer_count && nodes <= SIM_NODES_MAX; i++) {
        nodes += scenario->producers[i].count;
        at = &scenario->producers[i].mark;
    }
    for (uint32_t i = 0; i < scenario->consumer_count && nodes <= SIM_NODES_MAX; i++) {
        nodes += scenario->consumers[i].count;
        at = &scenario->consumers[i].mark;
    }
    if (nodes <= SIM_NODES_MAX)
        nodes = 1 + (uint64_t)family_for(scenario->cluster.preset)->node_count(scenario);
    if (nodes <= SIM_NODES_MAX) return 0;
    snprintf(error, SCN_ERROR_LEN,
             "%s:%u:%u: the scenario needs %llu simulated processes here or more (brokers, "
             "the family's control nodes, producer and consumer instances, the fault "
             "injector), expected at most %u "
             "(the engine's limit)",
             path, (unsigned)at->line, (unsigned)at->column, (unsigned long long)nodes,
             (unsigned)SIM_NODES_MAX);
    return -1;
}
