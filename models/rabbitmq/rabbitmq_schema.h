/* rabbitmq_schema.h — the RabbitMQ family's scenario keys and selectors
 * (rabbitmq_schema.c). */
#ifndef BL_RABBITMQ_SCHEMA_H
#define BL_RABBITMQ_SCHEMA_H

#include "../../engine/schema.h"

/* scn_selector.family_kind of RabbitMQ's selectors. */
enum {
    RABBITMQ_SELECTOR_NODE = 0, /* node(N): broker(N) by RabbitMQ's name */
    RABBITMQ_SELECTOR_QUEUE,    /* queue(NAME): the node hosting the queue now */
    RABBITMQ_SELECTOR_MASTER,   /* master(NAME): the queue's leader (a classic queue's home) */
};
/* queue(NAME)'s and master(NAME)'s family_args: the consumer entry, and the instance + 1
 * for a queue of queue_per_consumer (GROUP.N), 0 for the entry's one queue. */
enum { RABBITMQ_QUEUE_ARG_GROUP = 0, RABBITMQ_QUEUE_ARG_INSTANCE = 1 };

extern const scn_family_schema rabbitmq_schema;

#endif
