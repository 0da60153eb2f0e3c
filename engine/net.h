/* net.h — the simulated network between nodes: latency, NIC bandwidth, per-connection
 * FIFO order, partitions (two-way and one-way), lossy and slow links.
 *
 * A send computes the packet's arrival time itself (serialisation behind earlier
 * packets on the sender's NIC at the platform's bandwidth, then the route latency read
 * from the SimGrid platform, never earlier than the previous packet on the same
 * connection: TCP keeps order) and schedules it as an event on the receiver. This is
 * DESIGN.md's "network layer of the engine's own": one event per delivery instead of a
 * SimGrid comm, at the price of SimGrid's bandwidth sharing (a NIC here is FIFO, and a
 * receiver's link is not shared). network.model: simgrid trades speed for that sharing
 * (net_use_simgrid_flows).
 *
 * Faults: a cut between two nodes drops packets sent while it holds and packets that
 * arrive while it holds (silence: the sender only learns through its own timeouts). A
 * lossy link drops each transmission with a probability drawn from the network's RNG
 * stream; TCP retransmits after an RTO (200 ms, doubling), so a drop is a delay; after
 * NET_RETRANSMITS_MAX drops in a row the connection is reset and the packet is lost, and
 * the sender is told (SIM_EVENT_NET_RESET). A packet for a process that is down on a
 * powered host, or for an older incarnation of it, is answered by a reset; a powered-off
 * host answers nothing. */
#ifndef BL_NET_H
#define BL_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "sim.h"

#define NET_RETRANSMITS_MAX 6
#define NET_RTO_MIN_US      200000
#define NET_RULES_MAX       256

typedef enum net_rule_kind { NET_RULE_CUT = 0, NET_RULE_LOSSY, NET_RULE_SLOW } net_rule_kind;

#define NET_PER_MILLION 1000000u /* the unit of a drop probability */

/* A fault rule between two node sets (arrays of node ids, each id < the node count). */
typedef struct net_rule_spec {
    net_rule_kind kind;
    const uint32_t *side_a;
    uint32_t count_a;
    const uint32_t *side_b;
    uint32_t count_b;
    bool one_way;              /* only packets from side a to side b */
    uint32_t drop_per_million; /* NET_RULE_LOSSY: each transmission is dropped with
                                   probability drop_per_million / NET_PER_MILLION, 1..10^6 */
    int64_t extra_latency_us;  /* NET_RULE_SLOW: added to every packet, > 0 */
} net_rule_spec;

#define NET_FLOWS_MAX (1u << 20) /* packets in the air as SimGrid flows */

void net_init(uint64_t seed);
void net_shutdown(void);
/* network.model: simgrid. Packets become SimGrid flows between their hosts, sharing
 * link bandwidth with every concurrent flow (SimGrid's flow-level model, LV08 with
 * latency and bandwidth factors 1), instead of the engine's per-sender NIC FIFO. The
 * faults, per-connection order and delivery checks are the same in both models. Call
 * before the run starts. */
void net_use_simgrid_flows(void);

/* Sends `payload` (size_bytes on the wire) from src to dst. Payload ownership passes to
 * the network: it reaches dst's on_event or is freed with dst's free_data. */
void net_send(sim_node *src, sim_node *dst, uint32_t size_bytes, void *payload);

/* What a rule did to the packets it matched while it held (results.json faults[i]
 * .effect): counted by the mechanism that acted, at the moment it acted. */
typedef struct net_rule_counts {
    uint64_t dropped; /* NET_RULE_CUT: packets cut when sent or on arrival */
    uint64_t delayed; /* NET_RULE_SLOW: packets it slowed; NET_RULE_LOSSY: packets that
                         got through after at least one dropped transmission */
    uint64_t lost;    /* NET_RULE_LOSSY: packets whose connection gave up (reset) */
} net_rule_counts;

/* Adds a fault rule; it holds until removed. Returns its id (< NET_RULES_MAX). */
uint32_t net_add_rule(const net_rule_spec *spec);
/* The counts of a rule that holds (read them before removing it). */
net_rule_counts net_rule_counts_of(uint32_t rule_id);
void net_remove_rule(uint32_t rule_id);
void net_remove_all_rules(void);

/* Called by sim.c for every packet event before the model sees it: false = dropped
 * (and freed; a reset is sent back where a real host would send one). */
bool net_accept_delivery(sim_node *dst, const sim_event *ev);

/* Called by sim.c when a node's process starts: peers that sent into its power-off
 * silence get their connection reset. */
void net_on_node_start(sim_node *node);
/* Called by sim.c when a process is killed on a host that stays up (kill -9): its kernel
 * closes its sockets, so every live peer with a connection to or from it gets a reset
 * one route latency later (unless a cut holds the FIN back). A power loss closes
 * nothing: peers learn through their own timeouts. */
void net_on_process_killed(sim_node *node);

uint64_t net_packets_delivered(void);
/* Bytes handed to net_send so far (dropped packets included: what the senders put on the
 * wire): from a broker to a broker (replication, mirroring, proxying: the cost C12
 * measures), and every other packet's (clients, control planes). */
void net_bytes_sent(uint64_t *inter_broker, uint64_t *other);

#endif
