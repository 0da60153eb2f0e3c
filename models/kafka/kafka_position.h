/* kafka_position.h — a consumer's fetch position and its validation after a leader
 * change (KIP-320; clients/.../consumer/internals/SubscriptionState.FetchPosition and
 * maybeCompleteValidation), as a pure function the consumer and its tests share. */
#ifndef BL_KAFKA_POSITION_H
#define BL_KAFKA_POSITION_H

#include <stdint.h>

typedef struct kafka_position {
    int64_t offset;       /* -1: none, resolve by auto_offset_reset */
    int32_t leader_epoch; /* of the record before it (offsetEpoch); KAFKA_EPOCH_NONE */
} kafka_position;

/* The position after the leader answered OffsetsForLeaderEpoch with (end_epoch,
 * end_offset) for the position's epoch: undefined (-1) resets by policy; an end below
 * the position means the log was truncated under it, so fetching resumes at the
 * divergence, in that epoch (seekValidated, "Truncation detected"); else it stands. */
kafka_position kafka_position_validated(kafka_position at, int32_t end_epoch, int64_t end_offset);

#endif
