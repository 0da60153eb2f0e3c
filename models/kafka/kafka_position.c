/* kafka_position.c — KIP-320 position validation (see kafka_position.h). */
#include "kafka_position.h"

#include <stddef.h>

#include "../../engine/bl_assert.h"
#include "kafka_epoch.h"

kafka_position kafka_position_validated(kafka_position at, int32_t end_epoch, int64_t end_offset)
{
    BL_ASSERT(at.offset >= 0 && at.leader_epoch != KAFKA_EPOCH_NONE);
    if (end_epoch == KAFKA_EPOCH_NONE || end_offset < 0)
        return (kafka_position){.offset = -1, .leader_epoch = KAFKA_EPOCH_NONE};
    if (end_offset < at.offset)
        return (kafka_position){.offset = end_offset, .leader_epoch = end_epoch};
    return at;
}
