/* kafka_controller.h — the KRaft controller: broker registration, heartbeats and
 * fencing, leader elections and ISR changes, and the metadata image it pushes to the
 * brokers (see kafka_controller.c). */
#ifndef BL_KAFKA_CONTROLLER_H
#define BL_KAFKA_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka_proto.h"

/* What the controller knows of one broker (ClusterControlManager's BrokerRegistration
 * and BrokerHeartbeatManager's BrokerHeartbeatState). */
typedef struct kafka_broker_registration {
    bool registered;
    uint32_t incarnation;    /* of the process that registered */
    uint32_t epoch;          /* broker epoch: a new one at every registration */
    int64_t last_contact_us; /* its last heartbeat or registration */
} kafka_broker_registration;

typedef struct kafka_controller {
    kafka_cluster *cluster; /* cluster->metadata is the controller's image */
    sim_node *node;
    kafka_broker_registration brokers[SCN_BROKERS_MAX];
    uint32_t next_broker_epoch;
    bool changed_since_wake; /* the image changed: push it at the end of the wake-up */
    sim_timer stale_timer;   /* the earliest session to lapse */
    sim_timer balance_timer; /* the next preferred-leader check, while one is scheduled */
    bool balance_scheduled;
    uint64_t elections, fencings; /* counters, for tests and fault effects */
    uint64_t unclean_elections;   /* leaders elected from outside the ISR */
} kafka_controller;

/* Adds the controller's node ("controller"). Every broker starts registered and
 * unfenced with epoch index + 1, every partition led by its first replica. */
kafka_controller *kafka_controller_create(kafka_cluster *cluster);
void kafka_controller_free(kafka_controller *controller);

/* The election rule (PartitionChangeBuilder.electAnyLeader without ELR): the current
 * leader if it is still acceptable, else the first replica in replica order that is in
 * `isr` and active (registered, unfenced); with `unclean` and none of those, the first
 * active replica at all (Election.UNCLEAN), whose ISR becomes itself alone (*isr_out;
 * else *isr_out = isr); KAFKA_NO_LEADER if none. */
uint16_t kafka_controller_elect(const kafka_partition_state *state, uint32_t isr,
                                uint32_t active_brokers, bool unclean, uint32_t *isr_out);

#endif
