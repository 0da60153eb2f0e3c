/* rabbitmq_routing.h — exchanges and bindings (R1): which queues a publish reaches.
 *
 * A fanout exchange reaches every bound queue, a direct one those whose binding key
 * equals the routing key, a topic one those whose binding pattern matches it (words
 * separated by dots, `*` one word, `#` zero or more: rabbit_exchange_type_topic), and
 * x-consistent-hash (the rabbitmq_consistent_hash_exchange plugin) exactly one, chosen
 * by hashing the routing key onto the bound queues. Routing yields a set: a queue bound
 * twice gets a message once. Pure functions, unit-tested (tests/rabbitmq). */
#ifndef BL_RABBITMQ_ROUTING_H
#define BL_RABBITMQ_ROUTING_H

#include <stdbool.h>
#include <stdint.h>

#include "rabbitmq_options.h"

/* Whether a topic exchange's binding pattern matches the routing key. */
bool rabbitmq_topic_matches(const char *pattern, const char *routing_key);
/* Whether a binding of an exchange of `type` takes a message with this routing key
 * (x-consistent-hash: every binding is a candidate; rabbitmq_hash_pick chooses). */
bool rabbitmq_binding_matches(rabbitmq_exchange_type type, const char *binding_key,
                              const char *routing_key);
/* x-consistent-hash: the candidate (0..count-1) a message of this key goes to. The plugin
 * hashes the routing key onto a ring of the bindings' points; with equal weights that
 * spreads keys evenly and keeps a key on one queue while the bindings stay. */
uint32_t rabbitmq_hash_pick(int32_t key, uint32_t count);

#endif
