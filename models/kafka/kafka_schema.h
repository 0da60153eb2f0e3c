/* kafka_schema.h — the Kafka family's scenario keys and selectors (kafka_schema.c). */
#ifndef BL_KAFKA_SCHEMA_H
#define BL_KAFKA_SCHEMA_H

#include "../../engine/schema.h"

/* scn_selector.family_kind of Kafka's selectors. */
enum { KAFKA_SELECTOR_LEADER = 0 };
/* leader(TOPIC/PARTITION)'s scn_selector.family_args. */
enum { KAFKA_LEADER_ARG_TOPIC = 0, KAFKA_LEADER_ARG_PARTITION = 1 };

extern const scn_family_schema kafka_schema;

#endif
