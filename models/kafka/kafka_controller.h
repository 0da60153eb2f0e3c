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

/* The election rule (PartitionChangeBuilder.electAnyLeader, isValidNewLeader,
 * tryElection): the current leader if it is still acceptable, else the first replica in
 * replica order that is active (registered, unfenced) and in `isr`, or, with the ISR
 * empty, in `elr` (the ISR becomes it alone and it leaves the ELR); with `unclean` and
 * none of those, the first active replica at all (Election.UNCLEAN), whose ISR becomes
 * itself alone and the ELR empty. *isr_out and *elr_out get the partition's new sets;
 * KAFKA_NO_LEADER if none. */
uint16_t kafka_controller_elect(const kafka_partition_state *state, uint32_t isr, uint32_t elr,
                                uint32_t active_brokers, bool unclean, uint32_t *isr_out,
                                uint32_t *elr_out);
/* maybePopulateTargetElr: with ELR on and the target ISR below min_isr, the ELR gains
 * the members of the current ISR that leave it (but an uncleanly restarted broker's
 * replicas); at or above min_isr, and with ELR off, it is empty. */
uint32_t kafka_controller_target_elr(const kafka_partition_state *state, uint32_t target_isr,
                                     uint32_t min_isr, bool elr_enabled,
                                     uint32_t unclean_shutdown_brokers);

#endif
