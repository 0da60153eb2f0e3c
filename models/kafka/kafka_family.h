/* kafka_family.h — the Kafka-style family behind the broker-family interface. */
#ifndef BL_KAFKA_FAMILY_H
#define BL_KAFKA_FAMILY_H

#include "../family.h"

extern const broker_family kafka_family;

#endif
