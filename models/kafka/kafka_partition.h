/* kafka_partition.h — one broker's replica of one partition: its log, its high
 * watermark and, while it leads, what it knows of each follower (Kafka's
 * core/.../cluster/Partition.scala and Replica.scala).
 *
 * The functions are pure functions of their arguments and `now_us`, so the rules can be
 * unit-tested without a simulation:
 * - a follower's fetch updates its state only when the fetch arrives
 *   (Replica.updateFetchStateOrThrow): its LEO is the fetch offset, and it was caught up
 *   at this fetch if it asked for the leader's LEO, or at its previous fetch if it asked
 *   for at least what the leader's LEO was then;
 * - the HW is the leader's LEO lowered to the LEO of every ISR member and of every
 *   caught-up replica that could join it (Partition.maybeIncrementLeaderHW), and only
 *   ever rises while this replica leads (UnifiedLog.maybeIncrementHighWatermark);
 * - a follower is out of sync when it has not been caught up for longer than
 *   replica.lag.time.max.ms (Replica.isCaughtUp, Partition.getOutOfSyncReplicas), and
 *   may join the ISR once its LEO reaches the HW and the leader epoch's start offset
 *   (Partition.isFollowerInSync).
 * Rules K2 and K3 of semantics/kafka.md. */
#ifndef BL_KAFKA_PARTITION_H
#define BL_KAFKA_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka_epoch.h"
#include "kafka_log.h"
#include "kafka_metadata.h"

/* Replica.ReplicaState: the leader's view of one follower. */
typedef struct kafka_follower_state {
    int64_t leo;                   /* the offset of its last fetch; -1 = not fetched yet */
    int64_t last_fetch_leader_leo; /* the leader's LEO at its previous fetch */
    int64_t last_fetch_us;         /* when its last fetch arrived */
    int64_t last_caught_up_us;     /* the last time it had everything the leader had */
} kafka_follower_state;

typedef struct kafka_partition {
    uint16_t topic;
    uint32_t partition;
    const kafka_partition_state *state; /* this broker's image of it: replicas, leader, ISR */
    kafka_log log;
    kafka_epoch_cache epochs;          /* which leader epoch wrote which offsets (durable) */
    int64_t hw;                        /* high watermark: consumers read below it */
    int64_t hw_checkpoint;             /* the HW as last checkpointed: what a restart starts from */
    int64_t recovery_point;            /* flushed up to here (UnifiedLog.recoveryPoint) */
    int64_t recovery_point_checkpoint; /* as last written to recovery-point-offset-checkpoint
                                          (every 60 s): where a restart's recovery begins */
    uint64_t messages_since_flush;     /* appended since its last fsync (flush.messages) */
    uint32_t record_size_bytes;        /* of its last appended records: what a fetch's records
                                   weigh (the model keeps no per-record size) */
    int64_t epoch_start_offset;        /* the LEO when this replica last became leader */
    kafka_follower_state followers[KAFKA_REPLICAS_MAX]; /* by replica slot, leader only */
    /* AlterPartition in flight (Partition's PendingExpandIsr / PendingShrinkIsr): while it
     * is, no other ISR change is proposed, and the HW counts the maximal ISR */
    bool alter_pending;
    uint32_t pending_isr;
    int64_t alter_sent_us;
} kafka_partition;

/* The replica slot of `broker` in the partition's replica list, or -1. */
int32_t kafka_partition_slot(const kafka_partition *p, uint32_t broker);
/* Partition.makeLeader on a new leader epoch: the epoch starts at the LEO (and goes into
 * the epoch cache), every ISR follower counts as caught up now, the others as never
 * (resetReplicaState), no AlterPartition pending. */
void kafka_partition_lead(kafka_partition *p, int64_t now_us);
/* The ISR the HW and acks=all count: the committed one, plus a member being added
 * (Partition's maximalIsr). */
uint32_t kafka_partition_maximal_isr(const kafka_partition *p);
/* Replica.updateFetchStateOrThrow for the follower at `slot`, fetching from
 * `fetch_offset` at now_us. */
void kafka_partition_update_follower(kafka_partition *p, uint32_t slot, int64_t fetch_offset,
                                     int64_t now_us);
/* Replica.isCaughtUp. */
bool kafka_partition_caught_up(const kafka_partition *p, uint32_t slot, int64_t now_us,
                               int64_t lag_max_us);
/* Partition.maybeIncrementLeaderHW with min ISR `effective_min_isr` (min.insync.replicas
 * capped by RF); a caught-up replica outside the ISR holds the HW back only if it is
 * in `eligible_brokers` (isReplicaIsrEligible: not fenced). Returns whether the HW rose. */
bool kafka_partition_maybe_increment_hw(kafka_partition *p, uint32_t isr_brokers,
                                        uint32_t effective_min_isr, uint32_t eligible_brokers,
                                        int64_t now_us, int64_t lag_max_us);
/* Partition.getOutOfSyncReplicas: the ISR followers (a broker bit set) not caught up. */
uint32_t kafka_partition_out_of_sync(const kafka_partition *p, uint32_t isr_brokers, int64_t now_us,
                                     int64_t lag_max_us);
/* Partition.isFollowerInSync for a follower outside the ISR. */
bool kafka_partition_may_join_isr(const kafka_partition *p, uint32_t slot);

#endif
