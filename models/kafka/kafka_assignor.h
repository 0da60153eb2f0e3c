/* kafka_assignor.h — the consumer group's partition assignors (partition.assignment.strategy)
 * for one topic: RangeAssignor (EAGER) and CooperativeStickyAssignor (COOPERATIVE,
 * KIP-429). In Kafka the group leader runs them client-side on the members' subscriptions
 * from its JoinGroup answer and sends the result in its SyncGroup; brokerlab's coordinator
 * runs the same function on the same inputs when the leader's SyncGroup arrives. */
#ifndef BL_KAFKA_ASSIGNOR_H
#define BL_KAFKA_ASSIGNOR_H

#include <stdint.h>

#define KAFKA_ASSIGNOR_NONE UINT32_MAX /* a partition assigned to no member */

/* RangeAssignor for one topic: members sorted by member id take contiguous blocks, the
 * first (partitions mod members) one more. assignment[p] = member id. Members must be
 * sorted by id. */
void kafka_assign_range(const uint32_t *member_ids, uint32_t member_count, uint32_t partition_count,
                        uint32_t *assignment);

/* CooperativeStickyAssignor for one topic (AbstractStickyAssignor's
 * ConstrainedAssignmentBuilder, then CooperativeStickyAssignor.adjustAssignment):
 * claimed_by[p] is the index into member_ids of the member whose subscription claims p (or
 * KAFKA_ASSIGNOR_NONE); doubly_claimed[p] marks a partition two members claimed at the
 * highest generation claimed (ConsumerProtocolSubscription's ownedPartitions and
 * generationId: a claim of an older generation is dropped before). A balanced assignment that keeps owned partitions up to the quota;
 * a partition that would move from a current owner to another member is withheld
 * (KAFKA_ASSIGNOR_NONE) for this generation: its owner revokes it and rejoins, and the
 * next rebalance gives it out. Members must be sorted by id. */
void kafka_assign_cooperative_sticky(const uint32_t *member_ids, uint32_t member_count,
                                     uint32_t partition_count, const uint32_t *claimed_by,
                                     const uint8_t *doubly_claimed, uint32_t *assignment);

#endif
