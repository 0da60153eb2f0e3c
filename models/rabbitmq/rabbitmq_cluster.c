/* rabbitmq_cluster.c — the queues and routes of a run (see rabbitmq_cluster.h). */
#include "rabbitmq_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "rabbitmq_routing.h"

/* The queues a message with `routing_key` reaches through `exchange` (rabbit_exchange:
 * route over the bindings). */
static void route_through(const rmq_cluster *cluster, uint32_t exchange, const char *routing_key,
                          rmq_route *route)
{
    const scn_scenario *scenario = cluster->scenario;
    rabbitmq_topic_options type = rabbitmq_topic_options_of(&scenario->topics[exchange]);
    route->by_key = type.type == RABBITMQ_EXCHANGE_CONSISTENT_HASH;
    route->count = 0;
    for (uint32_t q = 0; q < cluster->queue_count; q++) {
        const rmq_queue_def *def = &cluster->queues[q];
        if (def->exchange != exchange) continue;
        rabbitmq_consumer_options bound =
            rabbitmq_consumer_options_of(&scenario->consumers[def->group]);
        if (rabbitmq_binding_matches(type.type, bound.binding_key, routing_key))
            route->queues[route->count++] = q;
    }
}

void rmq_cluster_init(rmq_cluster *cluster, const scn_scenario *scenario)
{
    memset(cluster, 0, sizeof *cluster);
    cluster->scenario = scenario;
    cluster->version = rabbitmq_version_of(scenario->cluster.preset);
    cluster->options = rabbitmq_cluster_options_of(&scenario->cluster);
    cluster->node_count = scenario->cluster.broker_count;
    uint32_t total = 0;
    for (uint32_t g = 0; g < scenario->consumer_count; g++) {
        rabbitmq_consumer_options options = rabbitmq_consumer_options_of(&scenario->consumers[g]);
        total += options.queue_per_consumer ? scenario->consumers[g].count : 1;
    }
    BL_ASSERT(total <= RMQ_QUEUES_MAX);
    cluster->queues = calloc(total + 1, sizeof *cluster->queues);
    cluster->routes = calloc(scenario->producer_count + 1, sizeof *cluster->routes);
    BL_ASSERT(cluster->queues != NULL && cluster->routes != NULL);
    for (uint32_t g = 0; g < scenario->consumer_count; g++) {
        const scn_consumer *consumer = &scenario->consumers[g];
        rabbitmq_consumer_options options = rabbitmq_consumer_options_of(consumer);
        uint32_t count = options.queue_per_consumer ? consumer->count : 1;
        cluster->first_queue[g] = cluster->queue_count;
        for (uint32_t n = 0; n < count; n++) {
            rmq_queue_def *def = &cluster->queues[cluster->queue_count++];
            if (options.queue_per_consumer)
                snprintf(def->name, sizeof def->name, "%s.%u", consumer->group, (unsigned)n);
            else
                snprintf(def->name, sizeof def->name, "%s", consumer->group);
            def->group = g;
            def->position = n;
            def->exchange = consumer->topic_index;
            def->durable = options.durable;
            /* declared by the entry's instance (n for its own queue) on its first node
             * (queue_leader_locator client-local), or where queue_node says */
            def->home = options.queue_node >= 0
                            ? (uint32_t)options.queue_node
                            : rabbitmq_first_node(options.connect_to, n, cluster->node_count);
            def->mirrored = options.mirrors != 0;
            def->quorum = options.queue_type == RABBITMQ_QUEUE_QUORUM;
            def->wanted = options.mirrors == RABBITMQ_MIRRORS_ALL ? cluster->node_count
                          : def->quorum                           ? options.quorum_size
                          : options.mirrors == 0                  ? 1
                                                                  : options.mirrors;
            def->promote = options.promote;
            /* rabbit_mirror_queue_misc: the master on its home, mirrors on the next nodes;
             * a quorum queue's members likewise (rabbit_queue_location: the declaring node
             * and the nodes with the fewest replicas, here the next ones), its first
             * leader on its home (queue-leader-locator client-local) */
            for (uint32_t m = 0; m < def->wanted; m++)
                rmq_members_add(&def->members, (def->home + m) % cluster->node_count, 1);
            def->master = def->home;
            for (uint32_t p = 0; p < scenario->producer_count; p++)
                if (scenario->producers[p].topic_index == def->exchange &&
                    scenario->producers[p].message_size_bytes > def->size_bytes)
                    def->size_bytes = (uint32_t)scenario->producers[p].message_size_bytes;
        }
    }
    for (uint32_t p = 0; p < scenario->producer_count; p++) {
        const scn_producer *producer = &scenario->producers[p];
        rabbitmq_producer_options options = rabbitmq_producer_options_of(producer);
        route_through(cluster, producer->topic_index, options.routing_key, &cluster->routes[p]);
    }
    for (uint32_t q = 0; q < cluster->queue_count; q++) {
        rmq_queue_def *def = &cluster->queues[q];
        rabbitmq_consumer_options options =
            rabbitmq_consumer_options_of(&scenario->consumers[def->group]);
        def->declared_later = options.declare_at_us > 0;
        def->single_active = options.single_active_consumer;
        def->bound = !def->declared_later;
        def->limits = (rmq_queue_limits){
            .message_ttl_us = options.message_ttl_us < 0 ? RMQ_NO_TTL : options.message_ttl_us,
            .max_length = options.max_length,
            .overflow = (rmq_overflow)options.overflow,
            .dead_letter = options.dead_letter_exchange >= 0,
            .delivery_limited =
                def->quorum && options.delivery_limit != RABBITMQ_DELIVERY_LIMIT_NONE,
            .delivery_limit = options.delivery_limit};
        if (!def->limits.dead_letter) continue;
        uint32_t exchange = (uint32_t)options.dead_letter_exchange;
        def->dead_letter_route_count =
            options.dead_letter_routing_key_set ? 1 : scenario->producer_count;
        def->dead_letter_routes = calloc(def->dead_letter_route_count + 1, sizeof(rmq_route));
        BL_ASSERT(def->dead_letter_routes != NULL);
        for (uint32_t r = 0; r < def->dead_letter_route_count; r++) {
            const char *key =
                options.dead_letter_routing_key_set
                    ? options.dead_letter_routing_key
                    : rabbitmq_producer_options_of(&scenario->producers[r]).routing_key;
            route_through(cluster, exchange, key, &def->dead_letter_routes[r]);
        }
        /* its dead letters are the size of its own messages */
        for (uint32_t t = 0; t < cluster->queue_count; t++)
            if (cluster->queues[t].exchange == exchange &&
                cluster->queues[t].size_bytes < def->size_bytes)
                cluster->queues[t].size_bytes = def->size_bytes;
    }
}

void rmq_cluster_free(rmq_cluster *cluster)
{
    for (uint32_t q = 0; q < cluster->queue_count; q++) free(cluster->queues[q].dead_letter_routes);
    free(cluster->queues);
    free(cluster->routes);
    memset(cluster, 0, sizeof *cluster);
}

/* The route's queues that are bound now (a queue declared later, or deleted, is not). */
static uint32_t route_targets(const rmq_cluster *cluster, const rmq_route *route, int32_t key,
                              uint32_t *out)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < route->count; i++)
        if (cluster->queues[route->queues[i]].bound) out[count++] = route->queues[i];
    if (count == 0 || !route->by_key) return count;
    out[0] = out[rabbitmq_hash_pick(key < 0 ? 0 : key, count)];
    return 1;
}

uint32_t rmq_cluster_targets(const rmq_cluster *cluster, uint32_t entry, int32_t key, uint32_t *out)
{
    BL_ASSERT(entry < cluster->scenario->producer_count);
    return route_targets(cluster, &cluster->routes[entry], key, out);
}

uint32_t rmq_cluster_dead_letter_targets(const rmq_cluster *cluster, uint32_t queue,
                                         uint32_t publisher, int32_t key, uint32_t *out)
{
    BL_ASSERT(queue < cluster->queue_count);
    const rmq_queue_def *def = &cluster->queues[queue];
    BL_ASSERT(def->limits.dead_letter && def->dead_letter_route_count >= 1);
    uint32_t r = def->dead_letter_route_count == 1 ? 0 : publisher;
    BL_ASSERT(r < def->dead_letter_route_count);
    return route_targets(cluster, &def->dead_letter_routes[r], key, out);
}

int32_t rmq_cluster_node_index(const rmq_cluster *cluster, uint32_t sim_id)
{
    for (uint32_t n = 0; n < cluster->node_count; n++)
        if (cluster->nodes[n] != NULL && cluster->nodes[n]->id == sim_id) return (int32_t)n;
    return -1;
}

bool rmq_members_has(const rmq_members *members, uint32_t node)
{
    for (uint32_t m = 0; m < members->count; m++)
        if (members->node[m] == node) return true;
    return false;
}

void rmq_members_remove(rmq_members *members, uint32_t node)
{
    uint32_t kept = 0;
    for (uint32_t m = 0; m < members->count; m++)
        if (members->node[m] != node) members->node[kept++] = members->node[m];
    members->count = kept;
    members->synced[node] = false;
}

void rmq_members_add(rmq_members *members, uint32_t node, uint64_t joined_seq)
{
    BL_ASSERT(node < SCN_BROKERS_MAX && !rmq_members_has(members, node));
    BL_ASSERT(members->count < SCN_BROKERS_MAX);
    members->node[members->count++] = node;
    members->joined_seq[node] = joined_seq;
    members->synced[node] = joined_seq == 1;
}
