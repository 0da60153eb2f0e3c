/* rabbitmq_quorum.h — quorum queues (R10) on a node: its members' Raft groups over one
 * WAL, the rabbit_fifo state machine each member applies, and the channels' side of an
 * enqueue (rabbit_fifo_client). See rabbitmq_quorum.c. */
#ifndef BL_RABBITMQ_QUORUM_H
#define BL_RABBITMQ_QUORUM_H

#include <stdbool.h>
#include <stdint.h>

#include "rabbitmq_node.h"

void rmq_quorum_node_init(rmq_node *node);
void rmq_quorum_node_free(rmq_node *node);
/* The member of `queue` this node's replica is (its state machine is r->queue). */
void rmq_quorum_member_init(rmq_node *node, uint32_t queue, rmq_replica *r);
void rmq_quorum_member_free(rmq_replica *r);
void rmq_quorum_channel_free(rmq_channel *ch);

/* A channel's publish to a quorum queue (seq 0: no confirm asked). */
void rmq_quorum_route(rmq_node *node, rmq_channel *ch, uint32_t queue, uint64_t msg_id, int32_t key,
                      uint64_t seq, bool persistent, uint32_t origin, uint32_t size_bytes);
/* A consumer's basic.ack on its channel: settle commands, kept until applied. */
void rmq_quorum_settle(rmq_node *node, rmq_channel *ch, const rmq_msg *ack);
/* The queue's commands from channels, at the member they reach: a dead letter
 * (untracked enqueue), a consumer's checkout, its settles, its channel's close. */
void rmq_quorum_on_enqueue(rmq_node *node, const rmq_msg *msg);
void rmq_quorum_on_consume(rmq_node *node, const rmq_msg *msg);
void rmq_quorum_on_ack(rmq_node *node, const rmq_msg *msg);
void rmq_quorum_on_detach(rmq_node *node, const rmq_msg *msg);
/* A leader's deliveries reaching the consumer's channel: what it passed on already is
 * dropped, a gap asks the leader for what is missing (rabbit_fifo_client
 * handle_delivery, get_missing_deliveries). Returns how many are left to pass on. */
uint32_t rmq_quorum_filter_deliveries(rmq_node *node, rmq_channel *ch, rmq_msg *msg);
/* The quorum queues' own packets (RMQ_NODE_QQ_*, RMQ_NODE_RAFT_*, RMQ_NODE_ATEN). */
void rmq_quorum_on_packet(rmq_node *node, const rmq_msg *msg, uint32_t source);
/* A consumer's channel closed (its detach waits for a leader if none is known). */
void rmq_quorum_channel_closed(rmq_node *node, rmq_channel *ch);

/* End of a wake-up: a member's replication, commit and apply; then the WAL's batch. */
void rmq_quorum_work(rmq_node *node, uint32_t queue);
void rmq_quorum_wal_flush(rmq_node *node);
/* Timers and events: aten's, elections, the WAL's fsync. */
void rmq_quorum_on_event(rmq_node *node, const sim_event *ev);
/* The distribution saw `peer` go (reset: its connection was reset, its process gone). */
void rmq_quorum_peer_down(rmq_node *node, uint32_t peer, bool reset);
/* ... and speak again (booted: a new process, its old channels gone). */
void rmq_quorum_peer_up(rmq_node *node, uint32_t peer, bool booted);
void rmq_quorum_on_stop(rmq_node *node);
void rmq_quorum_on_start(rmq_node *node);

#endif
