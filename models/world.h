/* world.h — one run: the cluster, clients and fault injector built from a scenario,
 * simulated to the end of the drain phase. The history goes to the recorder opened by
 * the caller (engine/history.h). */
#ifndef BL_WORLD_H
#define BL_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/fault.h"
#include "../engine/scenario.h"
#include "../engine/sim.h"

typedef struct world_stats {
    double sim_time_s;
    uint64_t wakes;          /* node activations */
    uint64_t packets;        /* packets delivered */
    uint64_t inter_broker_bytes, other_bytes; /* sent (net_bytes_sent) */
    uint64_t messages;       /* message ids handed out */
    uint32_t nodes;          /* simulated processes: brokers, clients, the fault injector */
    fault_effects faults;    /* what each timeline entry hit (engine/fault.h) */
    scn_settings durability; /* the family's effective durability settings */
    bool interrupted;        /* sim_request_stop ended the run at sim_time_s: no results */
} world_stats;

/* 0 if the scenario's simulated processes (brokers, the family's control nodes, producer
 * and consumer instances, the fault injector) fit the engine's SIM_NODES_MAX; else -1,
 * with `PATH:LINE:COL: ...` at the entry that crosses it in error. */
int world_check_node_limit(const scn_scenario *scenario, const char *path,
                           char error[SCN_ERROR_LEN]);

/* Runs the scenario with `seed` (overriding scenario->seed). Call once per process
 * (SimGrid initialises once). Returns 0, or -1 with the reason in error when the
 * platform file cannot be used (nothing was simulated), or SIM_STOPPED when
 * sim_request_stop ended it (stats->interrupted, stats->sim_time_s where it stopped). The faults and durability of
 * *stats stay valid until the next world_run (the durability rows name the entries of
 * `scenario`, which must outlive them). */
int world_run(const scn_scenario *scenario, uint64_t seed, world_stats *stats,
              char error[SIM_ERROR_LEN]);

#endif
