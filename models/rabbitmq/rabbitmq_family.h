/* rabbitmq_family.h — the RabbitMQ-style family behind the broker-family interface. */
#ifndef BL_RABBITMQ_FAMILY_H
#define BL_RABBITMQ_FAMILY_H

#include "../family.h"

extern const broker_family rabbitmq_family;

#endif
