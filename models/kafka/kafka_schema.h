/* kafka_schema.h — the Kafka family's scenario keys and selectors (kafka_schema.c). */
#ifndef BL_KAFKA_SCHEMA_H
#define BL_KAFKA_SCHEMA_H

#include "../../engine/schema.h"

/* scn_selector.family_kind of Kafka's selectors. */
enum {
    KAFKA_SELECTOR_LEADER = 0,
    KAFKA_SELECTOR_FOLLOWER,
    KAFKA_SELECTOR_COORDINATOR,
    KAFKA_SELECTOR_CONTROLLER,
};
/* leader(TOPIC/PARTITION)'s and follower(TOPIC/PARTITION)'s scn_selector.family_args. */
enum { KAFKA_PARTITION_ARG_TOPIC = 0, KAFKA_PARTITION_ARG_PARTITION = 1 };
/* coordinator(GROUP)'s scn_selector.family_args: the group's consumer entry. */
enum { KAFKA_GROUP_ARG_GROUP = 0 };

extern const scn_family_schema kafka_schema;

#endif
