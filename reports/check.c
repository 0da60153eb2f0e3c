/* check.c — the streaming checker: reads history records one at a time, in simulated-
 * time order, and keeps per message only what the definitions of check.h need.
 *
 * It never looks inside a broker (DESIGN.md rule 2). What it remembers per message, and
 * for how long, is in check_internal.h and check_window.c; per consumer group it keeps
 * process counts of live messages, the highest sequence processed per (producer node,
 * key), the highest offset processed per partition, the partition/offset of deliveries
 * not yet processed, the e2e histogram and the backlog peak. Violations of the history's
 * contract (records out of time order, a second completion of one send, a process before
 * its deliver or before its group subscribed, a group subscribing after messages of its
 * topic were forgotten) are programmer errors of the recording side and abort via
 * BL_ASSERT. check_end.c turns the state into check_results. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "check_internal.h"

static const char *name_or_index(const hist_names *names, uint16_t index)
{
    static char buf[16];
    if (names != NULL && index < names->count) return hist_name(names, index);
    snprintf(buf, sizeof buf, "#%u", (unsigned)index);
    return buf;
}

void check_set_run_length(check_state *state, int64_t run_us)
{
    BL_ASSERT(run_us > 0);
    uint64_t seconds = ((uint64_t)run_us + 999999u) / 1000000u; /* [0, 1 s) is second 0 */
    BL_ASSERTF(seconds <= CHECK_SECONDS_MAX, "a run of %llu s", (unsigned long long)seconds);
    if (seconds > state->second_count) state->second_count = (size_t)seconds;
}

void check_set_load_length(check_state *state, int64_t load_us)
{
    BL_ASSERT(load_us > 0);
    BL_ASSERTF(state->records == 0, "the load length is set before the first record");
    state->load_us = load_us;
}

check_state *check_begin(int64_t unavailable_after_us)
{
    BL_ASSERT(unavailable_after_us > 0);
    check_state *state = calloc(1, sizeof *state);
    BL_ASSERTF(state != NULL, "out of memory (checker state)");
    state->unavailable_after_us = unavailable_after_us;
    memset(state->topic_of_name, 0xff, sizeof state->topic_of_name);
    memset(state->group_of_name, 0xff, sizeof state->group_of_name);
    memset(state->producer_of_name, 0xff, sizeof state->producer_of_name);
    BL_IDMAP_INIT(&state->ids, uint64_t, CHECK_MAP_ENTRIES_MAX, "checker: dense index by id");
    BL_IDMAP_INIT(&state->id_of_dense, uint64_t, CHECK_MAP_ENTRIES_MAX,
                  "checker: id by dense index");
    return state;
}

/* ---- shared helpers (also used by check_end.c) ---- */

void check_example_add(check_group_state *group, check_anomaly_kind kind, uint64_t id)
{
    uint64_t *ids = group->examples[kind];
    uint32_t count = group->example_count[kind];
    uint32_t at = 0;
    while (at < count && ids[at] < id) at++;
    if (at < count && ids[at] == id) return;
    if (at >= CHECK_EXAMPLES_MAX) return;
    uint32_t last = count < CHECK_EXAMPLES_MAX ? count : CHECK_EXAMPLES_MAX - 1;
    memmove(&ids[at + 1], &ids[at], (last - at) * sizeof ids[0]);
    ids[at] = id;
    if (count < CHECK_EXAMPLES_MAX) group->example_count[kind] = count + 1;
}

static void series_add(check_state *state, check_series *series, int64_t second, uint64_t n)
{
    BL_ASSERT(second >= 0);
    BL_GROW(series->values, series->capacity, (uint64_t)second + 1, CHECK_SECONDS_MAX,
            "checker: per-second series");
    series->values[second] += n;
    if ((size_t)second + 1 > state->second_count) state->second_count = (size_t)second + 1;
}

void check_mark_unavailable(check_state *state, check_topic *topic, int64_t second)
{
    BL_ASSERT(second >= 0);
    size_t word = (size_t)second / 64;
    BL_GROW(topic->unavailable_bits, topic->unavailable_words, (uint64_t)word + 1,
            CHECK_SECONDS_MAX / 64 + 1, "checker: unavailable seconds");
    topic->unavailable_bits[word] |= (uint64_t)1 << ((uint64_t)second % 64);
    if ((size_t)second + 1 > state->second_count) state->second_count = (size_t)second + 1;
}

/* ---- slots: topics, groups, producers, streams, messages ---- */

static check_topic *topic_for(check_state *state, uint16_t name)
{
    BL_ASSERT(name < HIST_NAMES_MAX);
    if (state->topic_of_name[name] < 0) {
        BL_GROW(state->topics, state->topic_capacity, state->topic_count + 1, HIST_NAMES_MAX,
                "checker: topics");
        check_topic *topic = &state->topics[state->topic_count];
        memset(topic, 0, sizeof *topic);
        topic->name = name;
        state->topic_of_name[name] = (int16_t)state->topic_count++;
    }
    return &state->topics[state->topic_of_name[name]];
}

static check_producer_state *producer_for(check_state *state, uint16_t node)
{
    BL_ASSERT(node < HIST_NAMES_MAX);
    if (state->producer_of_name[node] < 0) {
        BL_ASSERTF(state->producer_count < CHECK_PRODUCERS_MAX, "more than %d producer nodes",
                   CHECK_PRODUCERS_MAX);
        BL_GROW(state->producers, state->producer_capacity, state->producer_count + 1,
                CHECK_PRODUCERS_MAX, "checker: producers");
        check_producer_state *producer = &state->producers[state->producer_count];
        memset(producer, 0, sizeof *producer);
        producer->node = node;
        BL_IDMAP_INIT(&producer->streams, uint32_t, CHECK_STREAMS_MAX,
                      "checker: a producer's streams by key");
        BL_IDMAP_INIT(&producer->pending_requests, int64_t, CHECK_MAP_ENTRIES_MAX,
                      "checker: a producer's pending requests");
        state->producer_of_name[node] = (int16_t)state->producer_count++;
    }
    return &state->producers[state->producer_of_name[node]];
}

static uint32_t stream_for(check_state *state, check_producer_state *producer, int64_t key)
{
    BL_ASSERTF(key >= 0 || key == HIST_NONE, "send key %lld", (long long)key);
    const uint32_t *known = BL_IDMAP_FIND(&producer->streams, uint32_t, (uint64_t)key + 2u);
    if (known != NULL) return *known;
    BL_GROW(state->streams, state->stream_capacity, (uint64_t)state->stream_count + 1,
            CHECK_STREAMS_MAX, "checker: streams");
    uint32_t stream = state->stream_count++;
    state->streams[stream] = (check_stream){
        .producer = (uint16_t)state->producer_of_name[producer->node],
        .keyed = key != HIST_NONE,
    };
    *BL_IDMAP_PUT(&producer->streams, uint32_t, (uint64_t)key + 2u, NULL) = stream;
    return stream;
}

/* Dense index of message `id`, or -1 if no send invoke introduced it; *live says where
 * it lives. A natural id in the window costs no hash lookup. */
static int64_t message_find(const check_state *state, uint64_t id, check_live *live)
{
    if (id >= 1 && id <= state->msg_count) {
        *live = check_window_find(state, id - 1);
        bool natural = live->msg != NULL ? check_msg_natural(live->msg)
                                         : check_forgotten_natural(state, id - 1);
        if (natural) return (int64_t)(id - 1);
    }
    const uint64_t *dense = BL_IDMAP_FIND(&state->ids, uint64_t, id);
    if (dense == NULL) return -1;
    *live = check_window_find(state, *dense);
    return (int64_t)*dense;
}

static uint64_t message_of(const check_state *state, const hist_record *rec,
                           const hist_names *names, check_live *live)
{
    BL_ASSERT(rec->msg >= 1);
    int64_t dense = message_find(state, rec->msg, live);
    BL_ASSERTF(dense >= 0, "%s %s of msg %llu by %s without a send invoke",
               hist_fn_name((hist_fn)rec->fn), hist_type_name((hist_type)rec->type),
               (unsigned long long)rec->msg, name_or_index(names, rec->node));
    return (uint64_t)dense;
}

/* The group slot of a deliver/dedup/process record; it must have subscribed to the topic
 * of the message. A message that left the window settled no longer has its topic, so
 * for it that cross-check is skipped (it was made for its earlier records). */
static uint32_t group_of(const check_state *state, const hist_record *rec, const check_live *live,
                         const hist_names *names)
{
    BL_ASSERT(rec->group < HIST_NAMES_MAX);
    int16_t slot = state->group_of_name[rec->group];
    BL_ASSERTF(slot >= 0, "%s of msg %llu by group %s, which has no subscribe record",
               hist_fn_name((hist_fn)rec->fn), (unsigned long long)rec->msg,
               name_or_index(names, rec->group));
    const check_group_state *group = &state->groups[slot];
    if (live->msg == NULL) return (uint32_t)slot;
    uint16_t topic = check_msg_topic(live->msg);
    BL_ASSERTF(topic == group->topic, "%s of msg %llu (topic %s) by group %s (subscribed to %s)",
               hist_fn_name((hist_fn)rec->fn), (unsigned long long)rec->msg,
               name_or_index(names, state->topics[topic].name), name_or_index(names, rec->group),
               name_or_index(names, state->topics[group->topic].name));
    return (uint32_t)slot;
}

/* ---- backlog ---- */

static uint64_t group_backlog(const check_state *state, const check_group_state *group)
{
    (void)state;
    uint64_t acked = group->acked_expected;
    uint64_t gone = group->consumed + group->dead_lettered;
    return acked > gone ? acked - gone : 0;
}

/* Called whenever the backlog may have changed at t_us: tracks the peak and the first
 * time after it that the backlog is <= max(1, peak / 1000). */
static void backlog_changed(const check_state *state, check_group_state *group, int64_t t_us)
{
    uint64_t backlog = group_backlog(state, group);
    if (backlog > group->peak_backlog) {
        group->peak_backlog = backlog;
        group->peak_backlog_at_us = t_us;
        group->drained_at_us = -1;
    }
    if (group->drained_at_us < 0 && (backlog <= 1 || backlog <= group->peak_backlog / 1000)) {
        group->drained_at_us = t_us;
    }
}

/* ---- per-second e2e ---- */

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static check_group_second *group_second(check_group_state *group, int64_t second)
{
    BL_ASSERT(second >= 0);
    BL_GROW(group->seconds, group->seconds_capacity, (uint64_t)second + 1, CHECK_SECONDS_MAX,
            "checker: a group's seconds");
    return &group->seconds[second];
}

/* Exact p50/p99/max of the first processes of the group in `second` (a sort of that
 * second's values). */
static void group_second_close(check_group_state *group, int64_t second)
{
    if (group->second_e2e_count == 0) return;
    int64_t *values = group->second_e2e_us;
    size_t count = group->second_e2e_count;
    qsort(values, count, sizeof values[0], compare_i64);
    check_group_second *slot = group_second(group, second);
    slot->e2e_p50_us = values[check_rank(count, 500) - 1];
    slot->e2e_p99_us = values[check_rank(count, 990) - 1];
    slot->e2e_max_us = values[count - 1];
    group->second_e2e_count = 0;
}

void check_close_second(check_state *state)
{
    for (uint32_t g = 0; g < state->group_count; g++) {
        group_second_close(&state->groups[g], state->second_now);
    }
}

static void advance_to(check_state *state, int64_t t_us)
{
    BL_ASSERTF(t_us >= state->last_t_us, "history record out of time order: t=%lld after %lld",
               (long long)t_us, (long long)state->last_t_us);
    int64_t second = t_us / CHECK_US_PER_S;
    if (second != state->second_now) {
        check_close_second(state);
        state->second_now = second;
    }
    if ((size_t)second + 1 > state->second_count) state->second_count = (size_t)second + 1;
    state->last_t_us = t_us;
}

/* ---- sends ---- */

static void on_send_invoke(check_state *state, const hist_record *rec, const hist_names *names)
{
    BL_ASSERT(rec->msg >= 1 && rec->intended_t_us >= 0);
    check_live unused;
    BL_ASSERTF(message_find(state, rec->msg, &unused) < 0, "second send invoke of msg %llu (by %s)",
               (unsigned long long)rec->msg, name_or_index(names, rec->node));
    check_producer_state *producer = producer_for(state, rec->node);
    check_topic *topic = topic_for(state, rec->topic);
    uint32_t stream = stream_for(state, producer, rec->key);
    bool natural = rec->msg == state->msg_count + 1;
    check_msg msg = check_msg_pack(rec->intended_t_us, (uint16_t)state->topic_of_name[rec->topic],
                                   stream, rec->seq, natural);
    uint64_t dense = check_window_append(state, msg);
    if (!natural) {
        *BL_IDMAP_PUT(&state->ids, uint64_t, rec->msg, NULL) = dense;
        *BL_IDMAP_PUT(&state->id_of_dense, uint64_t, dense + 1, NULL) = rec->msg;
    }
    producer->sent++;
    topic->produced++;
    state->produced++;
    series_add(state, &topic->sent_by_second, rec->intended_t_us / CHECK_US_PER_S, 1);
}

static void on_send_ok(check_state *state, check_producer_state *producer, const check_msg *msg,
                       uint64_t dense, const hist_record *rec)
{
    uint16_t topic_slot = check_msg_topic(msg);
    int64_t intended_t_us = check_msg_intended_us(msg);
    check_topic *topic = &state->topics[topic_slot];
    int64_t latency_us = rec->t_us - intended_t_us;
    BL_ASSERTF(latency_us >= 0, "send ok of msg %llu before its intended time",
               (unsigned long long)rec->msg);
    producer->acked++;
    state->acked++;
    topic->acked++;
    topic->last_ack_t_us = rec->t_us;
    check_hist_add(&topic->latency_ack, latency_us);
    check_hist_add(&producer->latency_ack, latency_us);
    series_add(state, &topic->acked_by_second, rec->t_us / CHECK_US_PER_S, 1);
    if (latency_us > state->unavailable_after_us) {
        check_mark_unavailable(state, topic, intended_t_us / CHECK_US_PER_S);
    }
    for (uint32_t g = 0; g < state->group_count; g++) {
        check_group_state *group = &state->groups[g];
        if (group->topic != topic_slot || !check_expects(group, dense)) continue;
        group->acked_expected++;
        backlog_changed(state, group, rec->t_us);
    }
}

static void on_send_completion(check_state *state, const hist_record *rec, const hist_names *names)
{
    check_live live;
    uint64_t dense = message_of(state, rec, names, &live);
    check_msg *msg = live.msg;
    /* a message leaves the window only once its send completed */
    BL_ASSERTF(msg != NULL, "second completion of send msg %llu (already settled)",
               (unsigned long long)rec->msg);
    check_producer_state *producer = producer_for(state, rec->node);
    BL_ASSERTF(state->streams[msg->stream].producer == state->producer_of_name[rec->node],
               "send %s of msg %llu by %s, which did not invoke it",
               hist_type_name((hist_type)rec->type), (unsigned long long)rec->msg,
               name_or_index(names, rec->node));
    BL_ASSERTF(check_msg_outcome(msg) == CHECK_OUTCOME_NONE, "second completion of send msg %llu",
               (unsigned long long)rec->msg);
    check_topic *topic = &state->topics[check_msg_topic(msg)];
    int64_t intended_second = check_msg_intended_us(msg) / CHECK_US_PER_S;
    if (rec->type == HIST_OK) {
        check_msg_set_outcome(msg, CHECK_OUTCOME_OK);
        on_send_ok(state, producer, msg, dense, rec);
    } else if (rec->type == HIST_FAIL) {
        check_msg_set_outcome(msg, CHECK_OUTCOME_FAIL);
        producer->failed++;
        state->failed++;
        check_mark_unavailable(state, topic, intended_second);
    } else {
        BL_ASSERT(rec->type == HIST_INFO);
        check_msg_set_outcome(msg, CHECK_OUTCOME_INFO);
        producer->unknown++;
        state->unknown++;
        check_mark_unavailable(state, topic, intended_second);
    }
}

/* ---- consumers ---- */

static void on_subscribe(check_state *state, const hist_record *rec, const hist_names *names)
{
    BL_ASSERT(rec->group < HIST_NAMES_MAX);
    check_topic *topic = topic_for(state, rec->topic);
    uint16_t topic_slot = (uint16_t)state->topic_of_name[rec->topic];
    int16_t slot = state->group_of_name[rec->group];
    if (slot >= 0) {
        BL_ASSERTF(state->groups[slot].topic == topic_slot,
                   "group %s subscribes to %s after %s: one topic per group",
                   name_or_index(names, rec->group), name_or_index(names, rec->topic),
                   name_or_index(names, state->topics[state->groups[slot].topic].name));
        return;
    }
    BL_ASSERTF(state->group_count < CHECK_GROUPS_MAX, "more than %d consumer groups",
               CHECK_GROUPS_MAX);
    check_group_state *group = &state->groups[state->group_count];
    memset(group, 0, sizeof *group);
    group->name = rec->group;
    group->topic = topic_slot;
    group->drained_at_us = -1;
    /* from_now (a queue bound mid-run): only what is sent from now on is its; else
     * everything of the topic, what was acknowledged before it came included */
    group->since_dense = rec->from_now ? state->msg_count : 0;
    group->until_dense = UINT64_MAX;
    group->acked_expected = rec->from_now ? 0 : topic->acked;
    bl_idmap_init(&group->evicted_duplicates, 0, CHECK_MAP_ENTRIES_MAX,
                  "checker: a group's duplicates already counted");
    BL_IDMAP_INIT(&group->delivered, check_delivery, CHECK_MAP_ENTRIES_MAX,
                  "checker: a group's deliveries awaiting a process");
    state->group_of_name[rec->group] = (int16_t)state->group_count++;
    check_window_group_added(state, state->group_count - 1, name_or_index(names, rec->group),
                             name_or_index(names, rec->topic));
    /* Before it subscribed the group had consumed nothing: its backlog was the topic's
     * acked count, which last grew at the topic's latest ack. */
    if (group->acked_expected > 0) backlog_changed(state, group, topic->last_ack_t_us);
}

/* The group leaves its topic: messages sent from now on are not its. */
static void on_unsubscribe(check_state *state, const hist_record *rec, const hist_names *names)
{
    BL_ASSERT(rec->group < HIST_NAMES_MAX);
    int16_t slot = state->group_of_name[rec->group];
    BL_ASSERTF(slot >= 0, "unsubscribe of group %s, which never subscribed",
               name_or_index(names, rec->group));
    check_group_state *group = &state->groups[slot];
    if (group->until_dense == UINT64_MAX) group->until_dense = state->msg_count;
}

static void on_deliver(check_state *state, const hist_record *rec, const hist_names *names)
{
    check_live live;
    uint64_t dense = message_of(state, rec, names, &live);
    uint32_t slot = group_of(state, rec, &live, names);
    check_group_state *group = &state->groups[slot];
    BL_ASSERTF(rec->partition >= 0 && rec->partition < CHECK_PARTITIONS_MAX,
               "deliver of msg %llu with partition %d", (unsigned long long)rec->msg,
               (int)rec->partition);
    if (!check_expects(group, dense)) { /* sent before it subscribed, or after it left */
        group->unexpected++;
        return;
    }
    if (rec->redelivered) group->redelivered++;
    /* Only a first process needs its delivery's position; a message that left the
     * window was processed by every group. */
    if (live.msg == NULL || *check_live_count(state, &live, slot) > 0) return;
    check_delivery *delivery = BL_IDMAP_PUT(&group->delivered, check_delivery, dense + 1, NULL);
    delivery->partition = rec->partition;
    delivery->offset = rec->offset;
}

/* ---- dead letters (RabbitMQ, R12) ---- */

/* A dead letter's deliver, dedup or process by a consumer of a dead-letter queue: its
 * group subscribed to the dead-letter exchange, the message belongs to the group it died
 * in (death_group), whose topic it was published to. Its first process by such a
 * consumer settles it for that group: it reached an application, so it is not lost. */
static void on_dead_letter(check_state *state, const hist_record *rec, const hist_names *names)
{
    check_live live;
    uint64_t dense = message_of(state, rec, names, &live);
    BL_ASSERT(rec->group < HIST_NAMES_MAX && rec->death_group < HIST_NAMES_MAX);
    int16_t slot = state->group_of_name[rec->group];
    int16_t source_slot = state->group_of_name[rec->death_group];
    BL_ASSERTF(slot >= 0 && source_slot >= 0,
               "dead letter %s of msg %llu by group %s, from group %s: a group without a "
               "subscribe record",
               hist_fn_name((hist_fn)rec->fn), (unsigned long long)rec->msg,
               name_or_index(names, rec->group), name_or_index(names, rec->death_group));
    check_group_state *group = &state->groups[slot];
    check_group_state *source = &state->groups[source_slot];
    if (live.msg != NULL) {
        uint16_t topic = check_msg_topic(live.msg);
        BL_ASSERTF(topic == source->topic,
                   "dead letter of msg %llu (topic %s) from group %s (subscribed to %s)",
                   (unsigned long long)rec->msg, name_or_index(names, state->topics[topic].name),
                   name_or_index(names, rec->death_group),
                   name_or_index(names, state->topics[source->topic].name));
    }
    switch ((hist_fn)rec->fn) {
    case HIST_DELIVER: group->dead_letters_delivered++; return;
    case HIST_DEDUP: group->deduplicated++; return;
    case HIST_PROCESS: {
        group->dead_letters_processed++;
        if (live.msg == NULL) return; /* settled already: its group had processed it */
        if (!check_expects(source, dense)) return;
        uint8_t *count = check_live_count(state, &live, (uint32_t)source_slot);
        if (*count > 0) return;
        *count = 1;
        source->dead_lettered++;
        backlog_changed(state, source, rec->t_us);
        return;
    }
    default: break;
    }
    BL_ASSERTF(false, "a dead letter's %s record", hist_fn_name((hist_fn)rec->fn));
}

/* ---- broker metrics (stats records) ---- */

const char *check_broker_counter_name(check_broker_counter counter)
{
    static const char *const names[CHECK_BROKER_COUNTERS] = {
        [CHECK_BROKER_EXPIRED] = "expired",
        [CHECK_BROKER_MAXLEN] = "maxlen",
        [CHECK_BROKER_DEAD_LETTERED] = "dead_lettered",
        [CHECK_BROKER_DROPPED] = "dropped",
    };
    BL_ASSERT((unsigned)counter < CHECK_BROKER_COUNTERS);
    return names[counter];
}

/* A scrape's value of one counter: its increase since the series' last value goes to
 * the group's total; a value below the last means the broker restarted (its counters
 * start from 0), so all of it is new. Counters of other names are not the checker's. */
static void on_stats(check_state *state, const hist_record *rec, const hist_names *names)
{
    BL_ASSERT(rec->group < HIST_NAMES_MAX && rec->counter < names->count);
    int16_t slot = state->group_of_name[rec->group];
    BL_ASSERTF(slot >= 0, "stats of group %s, which has no subscribe record",
               name_or_index(names, rec->group));
    check_group_state *group = &state->groups[slot];
    group->broker_stats = true;
    int counter = -1;
    for (int c = 0; c < CHECK_BROKER_COUNTERS; c++)
        if (strcmp(hist_name(names, rec->counter),
                   check_broker_counter_name((check_broker_counter)c)) == 0)
            counter = c;
    if (counter < 0) return;
    check_stats_series *series = NULL;
    for (uint32_t i = 0; i < state->stats_series_count && series == NULL; i++) {
        check_stats_series *s = &state->stats_series[i];
        if (s->group == rec->group && s->source == rec->source && s->counter == rec->counter &&
            s->partition == rec->partition)
            series = s;
    }
    if (series == NULL) {
        BL_GROW(state->stats_series, state->stats_series_capacity,
                (uint64_t)state->stats_series_count + 1, CHECK_STATS_SERIES_MAX,
                "checker: scraped counter series");
        series = &state->stats_series[state->stats_series_count++];
        *series = (check_stats_series){.group = rec->group,
                                       .source = rec->source,
                                       .counter = rec->counter,
                                       .partition = rec->partition};
    }
    group->broker_counts[counter] +=
        rec->value >= series->last ? rec->value - series->last : rec->value;
    series->last = rec->value;
}

static void on_dedup(check_state *state, const hist_record *rec, const hist_names *names)
{
    check_live live;
    uint64_t dense = message_of(state, rec, names, &live);
    check_group_state *group = &state->groups[group_of(state, rec, &live, names)];
    if (!check_expects(group, dense)) {
        group->unexpected++;
        return;
    }
    group->deduplicated++;
}

/* Per-key and per-partition order of a first process; returns whether it is reordered
 * in either (counting each in its own counter). */
static bool check_order(check_state *state, check_group_state *group, const check_msg *msg,
                        int32_t partition, int64_t offset)
{
    bool reordered = false;
    if (state->streams[msg->stream].keyed) {
        BL_GROW(group->stream_next_seq, group->stream_capacity, (uint64_t)msg->stream + 1,
                CHECK_STREAMS_MAX, "checker: a group's stream sequences");
        uint64_t *next_seq = &group->stream_next_seq[msg->stream];
        if ((uint64_t)msg->seq + 1 < *next_seq) {
            group->reordered++;
            reordered = true;
        } else {
            *next_seq = (uint64_t)msg->seq + 1;
        }
    }
    uint32_t old_capacity = group->partition_capacity;
    BL_GROW(group->partition_max_offset, group->partition_capacity, (uint64_t)partition + 1,
            CHECK_PARTITIONS_MAX, "checker: a group's partition offsets");
    for (uint32_t p = old_capacity; p < group->partition_capacity; p++) {
        group->partition_max_offset[p] = INT64_MIN;
    }
    int64_t *max_offset = &group->partition_max_offset[partition];
    if (offset < *max_offset) {
        group->reordered_partition++;
        reordered = true;
    } else {
        *max_offset = offset;
    }
    return reordered;
}

static void first_process(check_state *state, check_group_state *group, const check_msg *msg,
                          uint64_t dense, const hist_record *rec)
{
    const check_delivery *delivery = BL_IDMAP_FIND(&group->delivered, check_delivery, dense + 1);
    BL_ASSERTF(delivery != NULL, "first process of msg %llu without a deliver to its group",
               (unsigned long long)rec->msg);
    int32_t partition = delivery->partition;
    int64_t offset = delivery->offset;
    bl_idmap_remove(&group->delivered, dense + 1);
    int64_t e2e_us = rec->t_us - check_msg_intended_us(msg);
    BL_ASSERTF(e2e_us >= 0, "process of msg %llu before its intended send time",
               (unsigned long long)rec->msg);
    group->consumed++;
    if (rec->t_us < state->load_us) group->consumed_in_load++;
    group_second(group, rec->t_us / CHECK_US_PER_S)->consumed++;
    check_hist_add(&group->latency_e2e, e2e_us);
    BL_GROW(group->second_e2e_us, group->second_e2e_capacity, (uint64_t)group->second_e2e_count + 1,
            CHECK_SECOND_PROCESSES_MAX, "checker: a group's first processes in one second");
    group->second_e2e_us[group->second_e2e_count++] = e2e_us;
    if (check_order(state, group, msg, partition, offset)) {
        check_example_add(group, CHECK_REORDERED, rec->msg);
    }
    backlog_changed(state, group, rec->t_us);
}

static void on_process(check_state *state, const hist_record *rec, const hist_names *names)
{
    check_live live;
    uint64_t dense = message_of(state, rec, names, &live);
    uint32_t slot = group_of(state, rec, &live, names);
    check_group_state *group = &state->groups[slot];
    if (!check_expects(group, dense)) {
        group->unexpected++;
        return;
    }
    if (live.msg == NULL) { /* it left the window settled: processed before, a duplicate */
        check_count_duplicated(group, dense, rec->msg);
        return;
    }
    uint8_t *count = check_live_count(state, &live, slot);
    uint8_t before = *count;
    if (before < UINT8_MAX) *count = (uint8_t)(before + 1);
    if (before == 0) first_process(state, group, live.msg, dense, rec);
}

/* ---- requests (the producer application, C01) ---- */

static void on_request(check_state *state, const hist_record *rec, const hist_names *names)
{
    check_producer_state *producer = producer_for(state, rec->node);
    BL_ASSERT(rec->msg >= 1);
    if (rec->type == HIST_INVOKE) {
        BL_ASSERT(rec->intended_t_us >= 0);
        BL_ASSERTF(!bl_idmap_contains(&producer->pending_requests, rec->msg),
                   "second invoke of request %llu by %s", (unsigned long long)rec->msg,
                   name_or_index(names, rec->node));
        producer->requests++;
        *BL_IDMAP_PUT(&producer->pending_requests, int64_t, rec->msg, NULL) = rec->intended_t_us;
        return;
    }
    const int64_t *pending = BL_IDMAP_FIND(&producer->pending_requests, int64_t, rec->msg);
    BL_ASSERTF(pending != NULL, "request %s of request %llu by %s without an invoke",
               hist_type_name((hist_type)rec->type), (unsigned long long)rec->msg,
               name_or_index(names, rec->node));
    if (rec->type == HIST_OK) {
        int64_t latency_us = rec->t_us - *pending;
        BL_ASSERT(latency_us >= 0);
        check_hist_add(&producer->latency_request, latency_us);
    }
    bl_idmap_remove(&producer->pending_requests, rec->msg);
}

static void feed_one(check_state *state, const hist_record *rec, const hist_names *names);

void check_feed(check_state *state, const hist_record *rec, const hist_names *names)
{
    BL_ASSERT(state != NULL && rec != NULL);
    BL_ASSERT(rec->count >= 1 && rec->count <= HIST_BATCH_MAX);
    advance_to(state, rec->t_us);
    if (rec->count == 1) {
        feed_one(state, rec, names);
        return;
    }
    BL_ASSERTF((rec->fn == HIST_SEND && rec->type != HIST_INVOKE) || rec->fn == HIST_DELIVER,
               "a batch record of %s %s", hist_fn_name((hist_fn)rec->fn),
               hist_type_name((hist_type)rec->type));
    for (uint32_t i = 0; i < rec->count; i++) {
        hist_record one = hist_expand(rec, i);
        feed_one(state, &one, names);
    }
}

/* One per-message record (a batch's are fed one by one). */
static void feed_one(check_state *state, const hist_record *rec, const hist_names *names)
{
    state->records++;
    switch ((hist_fn)rec->fn) {
    case HIST_SEND:
        if (rec->type == HIST_INVOKE)
            on_send_invoke(state, rec, names);
        else
            on_send_completion(state, rec, names);
        return;
    case HIST_DELIVER:
    case HIST_DEDUP:
    case HIST_PROCESS:
        if (rec->death_reason != HIST_DEATH_NONE) {
            on_dead_letter(state, rec, names);
            return;
        }
        if (rec->fn == HIST_DELIVER) on_deliver(state, rec, names);
        if (rec->fn == HIST_DEDUP) on_dedup(state, rec, names);
        if (rec->fn == HIST_PROCESS) on_process(state, rec, names);
        return;
    case HIST_STATS: on_stats(state, rec, names); return;
    case HIST_UNSUBSCRIBE: on_unsubscribe(state, rec, names); return;
    case HIST_REQUEST: on_request(state, rec, names); return;
    case HIST_SUBSCRIBE: on_subscribe(state, rec, names); return;
    case HIST_COMMIT:
    case HIST_FAULT: return; /* for timelines and explanations, not for the checker */
    case HIST_FN_COUNT: break;
    }
    BL_ASSERTF(false, "history record with unknown f %u", (unsigned)rec->fn);
}
