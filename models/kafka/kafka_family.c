/* kafka_family.c — assembles a Kafka-style cluster for a run: brokers, producers,
 * consumers and the groups' dedup stores; resolves leader(t/p) and applies a consumer's
 * stall for the fault injector (see family.h). */
#include "kafka_family.h"

#include <stdlib.h>

#include "../../engine/bl_assert.h"
#include "kafka_broker.h"
#include "kafka_consumer.h"
#include "kafka_producer.h"
#include "kafka_schema.h"

typedef struct kafka_run {
    kafka_cluster cluster;
    kafka_broker *brokers[SCN_BROKERS_MAX];
    kafka_producer **producers;
    uint32_t producer_count;
    kafka_consumer **consumers;
    uint32_t consumer_count;
    dedup_store dedup[SCN_GROUPS_MAX];
    uint64_t next_msg_id;
} kafka_run;

static uint32_t kafka_node_count(const scn_scenario *scenario)
{
    uint32_t n = scenario->cluster.broker_count;
    for (uint32_t i = 0; i < scenario->producer_count; i++) n += scenario->producers[i].count;
    for (uint32_t i = 0; i < scenario->consumer_count; i++) n += scenario->consumers[i].count;
    return n;
}

static void *kafka_build(const scn_scenario *scenario)
{
    kafka_run *run = calloc(1, sizeof *run);
    BL_ASSERT(run != NULL);
    kafka_cluster *cluster = &run->cluster;
    cluster->scenario = scenario;
    cluster->options = kafka_cluster_options_of(&scenario->cluster);
    for (uint32_t t = 0; t < scenario->topic_count; t++)
        cluster->topics[t] = kafka_topic_options_of(&scenario->topics[t]);
    kafka_metadata_init(&cluster->metadata, scenario, cluster->topics);
    cluster->broker_count = scenario->cluster.broker_count;
    for (uint32_t b = 0; b < cluster->broker_count; b++) {
        run->brokers[b] = kafka_broker_create(cluster, b);
        cluster->brokers[b] = run->brokers[b]->node;
    }
    for (uint32_t i = 0; i < scenario->producer_count; i++)
        run->producer_count += scenario->producers[i].count;
    for (uint32_t i = 0; i < scenario->consumer_count; i++)
        run->consumer_count += scenario->consumers[i].count;
    run->producers = calloc(run->producer_count + 1, sizeof *run->producers);
    run->consumers = calloc(run->consumer_count + 1, sizeof *run->consumers);
    BL_ASSERT(run->producers != NULL && run->consumers != NULL);
    uint32_t k = 0;
    for (uint32_t i = 0; i < scenario->producer_count; i++)
        for (uint32_t n = 0; n < scenario->producers[i].count; n++)
            run->producers[k++] = kafka_producer_create(cluster, i, n, &run->next_msg_id);
    k = 0;
    for (uint32_t i = 0; i < scenario->consumer_count; i++)
        for (uint32_t n = 0; n < scenario->consumers[i].count; n++)
            run->consumers[k++] = kafka_consumer_create(cluster, i, n, &run->dedup[i]);
    return run;
}

static uint32_t kafka_resolve(void *state, const scn_selector *selector, sim_node **out,
                              uint32_t max)
{
    kafka_run *run = state;
    BL_ASSERTF(selector->kind == SCN_SEL_FAMILY, "selector kind %d is not Kafka's",
               (int)selector->kind);
    BL_ASSERT(max >= 1);
    BL_ASSERTF(selector->family_kind == KAFKA_SELECTOR_LEADER, "Kafka selector kind %u",
               selector->family_kind);
    uint32_t topic = selector->family_args[KAFKA_LEADER_ARG_TOPIC];
    uint32_t partition = selector->family_args[KAFKA_LEADER_ARG_PARTITION];
    out[0] = run->brokers[kafka_metadata_leader(&run->cluster.metadata, topic, partition)]->node;
    return 1;
}

static void kafka_stall(void *state, sim_node *node, int64_t until_us)
{
    BL_ASSERTF(node->role == SIM_ROLE_CONSUMER, "a stall of %s, which is no consumer", node->name);
    kafka_consumer *consumer = node->model;
    BL_ASSERT(consumer->node == node);
    kafka_consumer_stall(consumer, until_us);
}

static uint64_t kafka_messages(const void *state)
{
    const kafka_run *run = state;
    return run->next_msg_id;
}

static void kafka_free(void *state)
{
    kafka_run *run = state;
    for (uint32_t i = 0; i < run->producer_count; i++) kafka_producer_free(run->producers[i]);
    for (uint32_t i = 0; i < run->consumer_count; i++) kafka_consumer_free(run->consumers[i]);
    for (uint32_t b = 0; b < run->cluster.broker_count; b++) kafka_broker_free(run->brokers[b]);
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++) dedup_store_free(&run->dedup[g]);
    kafka_metadata_free(&run->cluster.metadata);
    kafka_msg_pool_drain();
    free(run->producers);
    free(run->consumers);
    free(run);
}

const broker_family kafka_family = {
    .name = "kafka",
    .schema = &kafka_schema,
    .node_count = kafka_node_count,
    .build = kafka_build,
    .resolve = kafka_resolve,
    .stall = kafka_stall,
    .messages = kafka_messages,
    .free = kafka_free,
};
