/* kafka_family.c — assembles a Kafka-style cluster for a run: brokers, producers,
 * consumers and the groups' dedup stores; resolves leader(t/p), follower(t/p) and
 * coordinator(g), applies a consumer's stall and says what stopping a node hits, for
 * the fault injector; reports the effective durability settings (see family.h). */
#include "kafka_family.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/units.h"
#include "kafka_broker.h"
#include "kafka_consumer.h"
#include "kafka_controller.h"
#include "kafka_producer.h"
#include "kafka_schema.h"
#include "../common/settings.h"

#define KAFKA_NAMES_LISTED 3 /* partitions or groups a stop's phrase names */

typedef struct kafka_run {
    kafka_cluster cluster;
    kafka_broker *brokers[SCN_BROKERS_MAX];
    kafka_controller *controller;
    kafka_producer **producers;
    uint32_t producer_count;
    kafka_consumer **consumers;
    uint32_t consumer_count;
    dedup_store dedup[SCN_GROUPS_MAX];
    kafka_grants grants[SCN_GROUPS_MAX]; /* one owner per partition per generation */
    uint64_t next_msg_id;
} kafka_run;

static uint32_t kafka_node_count(const scn_scenario *scenario)
{
    uint32_t n = scenario->cluster.broker_count + 1; /* the brokers and the controller */
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
    cluster->next_producer_id_block = 1; /* 0 is KAFKA_NO_PRODUCER_ID */
    cluster->grants = run->grants;
    for (uint32_t t = 0; t < scenario->topic_count; t++)
        cluster->topics[t] = kafka_topic_options_of(&scenario->topics[t]);
    kafka_metadata_init(&cluster->metadata, scenario, cluster->topics, scenario->seed);
    /* __consumer_offsets: cleanup.policy=compact, so no time or size retention; the
     * broker's min.insync.replicas default (1) */
    cluster->topics[kafka_metadata_offsets_topic(&cluster->metadata)] =
        (kafka_topic_options){.replication_factor = cluster->metadata.offsets_replication_factor,
                              .min_insync_replicas = 1,
                              .segment_bytes = 100ull << 20, /* offsets.topic.segment.bytes */
                              .segment_ms_us = 7 * SCN_DAY_US};
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
    for (uint32_t i = 0; i < scenario->consumer_count; i++) {
        uint32_t partitions = scenario->topics[scenario->consumers[i].topic_index].partition_count;
        run->grants[i].lineage = calloc(partitions, sizeof(uint32_t));
        run->grants[i].generation = calloc(partitions, sizeof(uint32_t));
        run->grants[i].member_id = calloc(partitions, sizeof(uint32_t));
        BL_ASSERT(run->grants[i].lineage != NULL && run->grants[i].generation != NULL &&
                  run->grants[i].member_id != NULL);
        for (uint32_t n = 0; n < scenario->consumers[i].count; n++)
            run->consumers[k++] = kafka_consumer_create(cluster, i, n, &run->dedup[i]);
    }
    /* last, so that the brokers and clients keep their node ids */
    run->controller = kafka_controller_create(cluster);
    if (cluster->options.controller_broker >= 0) /* KRaft combined mode */
        sim_set_same_process(run->controller->node,
                             run->brokers[cluster->options.controller_broker]->node);
    return run;
}

/* follower(TOPIC/P): the first in-sync replica after the leader, in replica order; none
 * while the partition has only its leader. */
static int32_t first_follower(const kafka_partition_state *state)
{
    for (uint32_t r = 0; r < state->replica_count; r++) {
        uint16_t broker = state->replicas[r];
        if (broker != state->leader && (state->isr_brokers >> broker & 1u) != 0) return broker;
    }
    return -1;
}

/* The family's selectors, read from the cluster metadata when the fault fires. */
static uint32_t kafka_resolve(void *state, const scn_selector *selector, sim_node **out,
                              uint32_t max)
{
    kafka_run *run = state;
    const kafka_metadata *metadata = &run->cluster.metadata;
    BL_ASSERTF(selector->kind == SCN_SEL_FAMILY, "selector kind %d is not Kafka's",
               (int)selector->kind);
    BL_ASSERT(max >= 1);
    int32_t broker = -1;
    switch (selector->family_kind) {
    case KAFKA_SELECTOR_LEADER:
    case KAFKA_SELECTOR_FOLLOWER: {
        uint32_t topic = selector->family_args[KAFKA_PARTITION_ARG_TOPIC];
        uint32_t partition = selector->family_args[KAFKA_PARTITION_ARG_PARTITION];
        if (selector->family_kind == KAFKA_SELECTOR_LEADER) {
            uint32_t leader = kafka_metadata_leader(metadata, topic, partition);
            broker = leader == KAFKA_NO_LEADER ? -1 : (int32_t)leader;
        } else
            broker = first_follower(kafka_metadata_partition(metadata, topic, partition));
        break;
    }
    case KAFKA_SELECTOR_COORDINATOR: {
        uint32_t coordinator =
            kafka_metadata_coordinator(metadata, selector->family_args[KAFKA_GROUP_ARG_GROUP]);
        broker = coordinator == KAFKA_NO_LEADER ? -1 : (int32_t)coordinator;
        break;
    }
    case KAFKA_SELECTOR_CONTROLLER: out[0] = run->controller->node; return 1;
    default: BL_ASSERTF(false, "Kafka selector kind %u", selector->family_kind);
    }
    if (broker < 0) return 0;
    BL_ASSERT((uint32_t)broker < run->cluster.broker_count);
    out[0] = run->brokers[broker]->node;
    return 1;
}

static void kafka_stall(void *state, sim_node *node, int64_t until_us)
{
    BL_ASSERTF(node->role == SIM_ROLE_CONSUMER, "a stall of %s, which is no consumer", node->name);
    kafka_consumer *consumer = node->model;
    BL_ASSERT(consumer->node == node);
    kafka_consumer_stall(consumer, until_us);
}

static uint64_t kafka_stall_held(void *state, const sim_node *node)
{
    BL_ASSERTF(node->role == SIM_ROLE_CONSUMER, "%s is no consumer", node->name);
    const kafka_consumer *consumer = node->model;
    BL_ASSERT(consumer->node == node);
    return consumer->stall_held_records;
}

/* "2 partitions (orders/0, orders/3)", "no partition". */
static void phrase_names(char *buf, size_t buf_len, uint32_t count, const char *one,
                         const char *many, const char listed[][2 * SCN_NAME_LEN])
{
    if (count == 0) {
        snprintf(buf, buf_len, "no %s", one);
        return;
    }
    size_t used =
        (size_t)snprintf(buf, buf_len, "%u %s (", (unsigned)count, count == 1 ? one : many);
    for (uint32_t i = 0; i < count && i < KAFKA_NAMES_LISTED && used < buf_len; i++)
        used += (size_t)snprintf(buf + used, buf_len - used, "%s%s", i ? ", " : "", listed[i]);
    if (used < buf_len)
        snprintf(buf + used, buf_len - used, "%s)", count > KAFKA_NAMES_LISTED ? ", ..." : "");
}

/* A broker's stop hits the partitions it leads (their leader in the cluster metadata,
 * Kafka's MetadataCache: with one replica nobody takes over) and the groups it
 * coordinates (the leader of the group's __consumer_offsets partition hosts its
 * GroupCoordinator). */
static void describe_broker(const kafka_run *run, uint32_t index, fault_hit *hit)
{
    const kafka_metadata *metadata = &run->cluster.metadata;
    const scn_scenario *scenario = run->cluster.scenario;
    char partitions[KAFKA_NAMES_LISTED][2 * SCN_NAME_LEN],
        groups[KAFKA_NAMES_LISTED][2 * SCN_NAME_LEN];
    uint32_t led = 0, coordinated = 0;
    for (uint32_t t = 0; t < metadata->topic_count; t++) {
        for (uint32_t p = 0; p < metadata->topic_partitions[t]; p++) {
            if (kafka_metadata_leader(metadata, t, p) != index) continue;
            if (led < KAFKA_NAMES_LISTED)
                snprintf(partitions[led], sizeof partitions[led], "%s/%u", scenario->topics[t].name,
                         (unsigned)p);
            led++;
        }
    }
    for (uint32_t g = 0; g < metadata->group_count; g++) {
        if (kafka_metadata_coordinator(metadata, g) != index) continue;
        if (coordinated < KAFKA_NAMES_LISTED)
            snprintf(groups[coordinated], sizeof groups[coordinated], "%s",
                     scenario->consumers[g].group);
        coordinated++;
    }
    hit->counters[0] = (fault_counter){.name = "partitions_led", .value = led};
    hit->counters[1] = (fault_counter){.name = "groups_coordinated", .value = coordinated};
    hit->counter_count = 2;
    char led_text[(FAULT_PHRASE_LEN - 24) / 2], coordinated_text[(FAULT_PHRASE_LEN - 24) / 2];
    phrase_names(led_text, sizeof led_text, led, "partition", "partitions", partitions);
    phrase_names(coordinated_text, sizeof coordinated_text, coordinated, "group", "groups", groups);
    snprintf(hit->phrase, sizeof hit->phrase, "led %s and coordinated %s", led_text,
             coordinated_text);
}

static void kafka_describe_stop(void *state, const sim_node *node, fault_hit *hit)
{
    const kafka_run *run = state;
    BL_ASSERT(node->process_up);
    int64_t now_us = sim_now_us();
    if (node->role == SIM_ROLE_BROKER) {
        BL_ASSERT(node->entry < run->cluster.broker_count);
        describe_broker(run, node->entry, hit);
    } else if (node->role == SIM_ROLE_CONTROLLER) {
        /* while it is down nothing is fenced, elected or altered */
        const kafka_metadata *metadata = &run->cluster.metadata;
        uint32_t fenced = (uint32_t)__builtin_popcount(metadata->fenced_brokers);
        hit->counters[0] = (fault_counter){.name = "brokers_fenced", .value = fenced};
        hit->counters[1] =
            (fault_counter){.name = "elections_so_far", .value = run->controller->elections};
        hit->counter_count = 2;
        snprintf(hit->phrase, sizeof hit->phrase,
                 "controlled %u broker%s (%u fenced) and %u partition%s",
                 (unsigned)run->cluster.broker_count, run->cluster.broker_count == 1 ? "" : "s",
                 (unsigned)fenced, (unsigned)metadata->partition_count,
                 metadata->partition_count == 1 ? "" : "s");
    } else if (node->role == SIM_ROLE_PRODUCER) {
        const kafka_producer *producer = node->model;
        BL_ASSERT(producer->node == node);
        uint64_t unacked = kafka_producer_unacked(producer, now_us);
        hit->counters[0] = (fault_counter){.name = "unacked_messages", .value = unacked};
        hit->counter_count = 1;
        if (unacked > 0)
            snprintf(hit->phrase, sizeof hit->phrase,
                     "had %llu message%s sent and not acknowledged", (unsigned long long)unacked,
                     unacked == 1 ? "" : "s");
        else
            snprintf(hit->phrase, sizeof hit->phrase,
                     "had no message waiting for its acknowledgement");
    } else {
        BL_ASSERTF(node->role == SIM_ROLE_CONSUMER, "a stop of %s", node->name);
        const kafka_consumer *consumer = node->model;
        BL_ASSERT(consumer->node == node);
        uint32_t partitions = 0;
        uint64_t records = 0;
        kafka_consumer_holding(consumer, now_us, &partitions, &records);
        hit->counters[0] = (fault_counter){.name = "partitions_assigned", .value = partitions};
        hit->counters[1] = (fault_counter){.name = "records_unprocessed", .value = records};
        hit->counter_count = 2;
        char owned[48];
        if (partitions > 0)
            snprintf(owned, sizeof owned, "owned %u partition%s", (unsigned)partitions,
                     partitions == 1 ? "" : "s");
        else
            snprintf(owned, sizeof owned, "owned no partition");
        if (records > 0)
            snprintf(hit->phrase, sizeof hit->phrase, "%s, %llu polled record%s not processed yet",
                     owned, (unsigned long long)records, records == 1 ? "" : "s");
        else
            snprintf(hit->phrase, sizeof hit->phrase, "%s, every polled record processed", owned);
    }
}

/* ---- durability settings ---- */

static const char *duration_text(int64_t us, char *buf)
{
    return units_format_duration(us, buf, SCN_SETTING_VALUE_LEN);
}

static void producer_settings(settings_out *out, const scn_producer *entry)
{
    static const char *const acks[] = {
        [KAFKA_ACKS_0] = "0", [KAFKA_ACKS_1] = "1", [KAFKA_ACKS_ALL] = "all"};
    kafka_producer_options options = kafka_producer_options_of(entry);
    char a[SCN_SETTING_VALUE_LEN], b[SCN_SETTING_VALUE_LEN];
    const char *name = entry->name;
    setting_add(out, SCN_SCOPE_PRODUCER, name, "acks", "%s", acks[options.acks]);
    if (options.retries == KAFKA_RETRIES_MAX)
        setting_add(out, SCN_SCOPE_PRODUCER, name, "retries", "max");
    else
        setting_add(out, SCN_SCOPE_PRODUCER, name, "retries", "%u", (unsigned)options.retries);
    setting_add(out, SCN_SCOPE_PRODUCER, name, "max_in_flight", "%u",
                (unsigned)options.max_in_flight);
    setting_add(out, SCN_SCOPE_PRODUCER, name, "linger", "%s", duration_text(options.linger_us, a));
    setting_add(out, SCN_SCOPE_PRODUCER, name, "batch_size", "%s",
                units_format_size(options.batch_size_bytes, b, sizeof b));
    setting_add(out, SCN_SCOPE_PRODUCER, name, "request_timeout", "%s",
                duration_text(options.request_timeout_us, a));
    setting_add(out, SCN_SCOPE_PRODUCER, name, "delivery_timeout", "%s",
                duration_text(options.delivery_timeout_us, a));
    /* as in effect: off where Kafka turned it off (kafka_idempotence_check) */
    setting_add(out, SCN_SCOPE_PRODUCER, name, "idempotence", "%s",
                options.idempotence ? "true" : "false");
}

static void topic_settings(settings_out *out, const scn_topic *topic)
{
    kafka_topic_options options = kafka_topic_options_of(topic);
    char a[SCN_SETTING_VALUE_LEN];
    setting_add(out, SCN_SCOPE_TOPIC, topic->name, "partitions", "%u",
                (unsigned)topic->partition_count);
    setting_add(out, SCN_SCOPE_TOPIC, topic->name, "replication_factor", "%u",
                (unsigned)options.replication_factor);
    /* as the broker counts it: capped by the replication factor (effectiveMinIsr) */
    uint32_t min_isr = options.min_insync_replicas < options.replication_factor
                           ? options.min_insync_replicas
                           : options.replication_factor;
    setting_add(out, SCN_SCOPE_TOPIC, topic->name, "min_insync_replicas", "%u", (unsigned)min_isr);
    setting_add(out, SCN_SCOPE_TOPIC, topic->name, "retention", "%s",
                duration_text(options.retention_us, a));
    setting_add(out, SCN_SCOPE_TOPIC, topic->name, "retention_bytes", "%s",
                units_format_size(options.retention_bytes, a, sizeof a));
    setting_add(out, SCN_SCOPE_TOPIC, topic->name, "segment_bytes", "%s",
                units_format_size(options.segment_bytes, a, sizeof a));
    setting_add(out, SCN_SCOPE_TOPIC, topic->name, "segment_ms", "%s",
                duration_text(options.segment_ms_us, a));
    setting_add(out, SCN_SCOPE_TOPIC, topic->name, "unclean_leader_election", "%s",
                options.unclean_leader_election ? "true" : "false");
}

static void group_settings(settings_out *out, const scn_consumer *consumer)
{
    static const char *const commits[] = {[KAFKA_COMMIT_AUTO] = "auto",
                                          [KAFKA_COMMIT_AFTER_PROCESSING] = "after_processing",
                                          [KAFKA_COMMIT_BEFORE_PROCESSING] = "before_processing"};
    static const char *const resets[] = {
        [KAFKA_RESET_LATEST] = "latest", [KAFKA_RESET_EARLIEST] = "earliest"};
    kafka_consumer_options options = kafka_consumer_options_of(consumer);
    char a[SCN_SETTING_VALUE_LEN];
    const char *group = consumer->group;
    setting_add(out, SCN_SCOPE_GROUP, group, "commit", "%s", commits[options.commit]);
    if (options.commit == KAFKA_COMMIT_AUTO)
        setting_add(out, SCN_SCOPE_GROUP, group, "commit_interval", "%s",
                    duration_text(options.commit_interval_us, a));
    else
        setting_add(out, SCN_SCOPE_GROUP, group, "commit_interval", NULL);
    setting_add(out, SCN_SCOPE_GROUP, group, "session_timeout", "%s",
                duration_text(options.session_timeout_us, a));
    setting_add(out, SCN_SCOPE_GROUP, group, "auto_offset_reset", "%s",
                resets[options.offset_reset]);
    setting_add(out, SCN_SCOPE_GROUP, group, "dedup", "%s", consumer->dedup ? "true" : "false");
    setting_add(out, SCN_SCOPE_GROUP, group, "assignor", "%s",
                options.assignor == KAFKA_ASSIGNOR_RANGE ? "range" : "cooperative-sticky");
}

/* What decides whether an acknowledged write survives, as the scenario resolved it:
 * the producers' acks and retries (ProducerConfig), the topics' partitions and
 * replication (TopicConfig), the brokers' flush policy (log.flush.interval.messages
 * and .ms, LogConfig) over the OS writeback the page cache waits for, and the groups'
 * commit policy (ConsumerConfig enable.auto.commit / auto.commit.interval.ms), and
 * whether followers truncate by leader epoch. Kafka's enable.idempotence is not
 * modelled yet (no key), so not listed. */
static uint32_t kafka_durability(const scn_scenario *scenario, scn_setting *rows, uint32_t max)
{
    settings_out out = {.rows = rows, .max = max};
    for (uint32_t i = 0; i < scenario->producer_count; i++)
        producer_settings(&out, &scenario->producers[i]);
    for (uint32_t t = 0; t < scenario->topic_count; t++) topic_settings(&out, &scenario->topics[t]);
    for (uint32_t g = 0; g < scenario->consumer_count; g++)
        group_settings(&out, &scenario->consumers[g]);
    kafka_cluster_options flush = kafka_cluster_options_of(&scenario->cluster);
    char a[SCN_SETTING_VALUE_LEN];
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "flush.messages", "%llu",
                (unsigned long long)flush.flush_messages);
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "flush.interval", "%s",
                duration_text(flush.flush_interval_us, a));
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "os.dirty_expire", "%s",
                duration_text(scenario->cluster.os.dirty_expire_us, a));
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "os.writeback_interval", "%s",
                duration_text(scenario->cluster.os.writeback_interval_us, a));
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "leader_epochs", "%s",
                flush.leader_epochs ? "true" : "false");
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "eligible_leader_replicas", "%s",
                flush.eligible_leader_replicas ? "true" : "false");
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "offsets_topic_replication_factor", "%u",
                (unsigned)kafka_offsets_replication_factor(&flush, scenario->cluster.broker_count));
    return out.count;
}

/* A retained record costs its id and key in each replica's log arrays (kafka_log.h),
 * which grow by doubling: twice that at worst. Retention deletes whole segments, the
 * active one never: time retention keeps the share of the run that retention plus one
 * segment.ms spans; size retention (per partition) at most what fits of the smallest
 * message sent to the topic in retention.bytes plus one segment.bytes. */
static double kafka_retained_bytes(const scn_scenario *scenario, const double *messages_per_topic)
{
    const double record_bytes = 2.0 * (sizeof(uint64_t) + sizeof(int32_t));
    double bytes = 0;
    for (uint32_t t = 0; t < scenario->topic_count; t++) {
        kafka_topic_options options = kafka_topic_options_of(&scenario->topics[t]);
        double records = messages_per_topic[t];
        int64_t run_us = scenario->duration_us + scenario->drain_us;
        double kept_us = (double)options.retention_us + (double)options.segment_ms_us;
        if (options.retention_us > 0 && kept_us < (double)run_us)
            records *= kept_us / (double)run_us;
        uint64_t smallest_bytes = UINT64_MAX;
        for (uint32_t i = 0; i < scenario->producer_count; i++)
            if (scenario->producers[i].topic_index == t &&
                scenario->producers[i].message_size_bytes < smallest_bytes)
                smallest_bytes = scenario->producers[i].message_size_bytes;
        if (options.retention_bytes > 0 && smallest_bytes != UINT64_MAX) {
            double fit = ((double)options.retention_bytes + (double)options.segment_bytes) /
                         (double)(smallest_bytes + KAFKA_RECORD_OVERHEAD_BYTES) *
                         scenario->topics[t].partition_count;
            if (fit < records) records = fit;
        }
        bytes += records * options.replication_factor * record_bytes;
    }
    return bytes;
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
    kafka_controller_free(run->controller);
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++) {
        dedup_store_free(&run->dedup[g]);
        free(run->grants[g].lineage);
        free(run->grants[g].generation);
        free(run->grants[g].member_id);
    }
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
    .stall_held = kafka_stall_held,
    .describe_stop = kafka_describe_stop,
    .durability = kafka_durability,
    .retained_bytes = kafka_retained_bytes,
    .messages = kafka_messages,
    .free = kafka_free,
};
