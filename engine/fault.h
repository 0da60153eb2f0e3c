/* fault.h — the fault injector ("nemesis"): plays a scenario's fault timeline, for every
 * broker family alike.
 *
 * The injector is a node of its own: each timeline entry is an event at its `at`;
 * targets are resolved when the fault fires, so `leader(orders/0)` names the leader of
 * that moment. Process faults (crash, kill9, restart), network faults (partition, lossy
 * and slow links, heal) and disk faults (slow_disk, disk_full on the node's disk) are
 * the engine's own; what only a broker family knows comes in through `fault_hooks`:
 * its selectors (leader(t/p), later master(q)) and its client faults (a consumer's
 * stall). At `duration` the drain phase begins: every network rule is removed, every
 * stopped process restarted, disks repaired, stalls ended (DESIGN.md rule 3), so what is
 * not consumed by the end was really lost. Every action is a `fault` history record. */
#ifndef BL_FAULT_H
#define BL_FAULT_H

#include <stdint.h>

#include "scenario.h"
#include "sim.h"

/* What a broker family adds to the injector. `ctx` is the family's run state. */
typedef struct fault_hooks {
    void *ctx;
    /* Resolves a selector the engine does not know (a family selector such as
     * leader(t/p)) to at most `max` nodes written to out; returns how many. */
    uint32_t (*resolve)(void *ctx, const scn_selector *selector, sim_node **out, uint32_t max);
    /* A consumer's processing stalls until until_us (its database is down): stalls end
     * by themselves, so there is no undo. */
    void (*stall)(void *ctx, sim_node *consumer, int64_t until_us);
} fault_hooks;

/* Adds the injector's node (call after the family built its nodes: a generic selector
 * is resolved over the nodes by role, entry and instance) and schedules the timeline of
 * `scenario`, which must outlive the run. */
void fault_injector_create(const scn_scenario *scenario, const fault_hooks *hooks);

#endif
