/* check_end.c — the end of a check: counts what is only known once the history is
 * complete (lost, unacked-lost, duplicated, sends that never completed) for the messages
 * still live (in the window or the exception list; those that left settled were
 * classified then, see check_window.c), builds the per-second series and fills
 * check_results, then frees the streaming state.
 *
 * Groups and producers come out sorted by name (digit runs compared as numbers, so
 * producer/x/2 precedes producer/x/10): the order depends on the names only, not on
 * the order they were interned, so `brokerlab run` and `brokerlab check` of the same
 * history give the same results. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "check_internal.h"

_Static_assert(sizeof(check_msg) == 16, "check_msg is the per-message cost: keep it compact");
_Static_assert(sizeof(check_exception) == 40, "an exception is a parked anomaly: keep it small");

typedef void live_fn(check_state *state, const check_live *live, uint64_t dense);

/* Calls fn for every message still live: the window, then the exception list. */
static void for_each_live(check_state *state, live_fn *fn)
{
    for (uint64_t dense = state->window_base; dense < state->msg_count; dense++) {
        check_live live = check_window_find(state, dense);
        fn(state, &live, dense);
    }
    for (size_t i = 0; i < state->exception_count; i++) {
        check_live live = check_exception_live(state, i);
        fn(state, &live, state->exceptions[i].dense);
    }
}

/* Sends without any completion by the end of the history count as unknown. (They never
 * settled, so they are all live.) */
static void count_pending_send(check_state *state, const check_live *live, uint64_t dense)
{
    (void)dense;
    const check_msg *msg = live->msg;
    if (check_msg_outcome(msg) != CHECK_OUTCOME_NONE) return;
    state->producers[state->streams[msg->stream].producer].unknown++;
    state->unknown++;
    check_mark_unavailable(state, &state->topics[check_msg_topic(msg)],
                           check_msg_intended_us(msg) / CHECK_US_PER_S);
}

static void classify_message(check_state *state, const check_live *live, uint64_t dense)
{
    const check_msg *msg = live->msg;
    uint64_t id = check_msg_id(state, msg, dense);
    for (uint32_t g = 0; g < state->group_count; g++) {
        check_group_state *group = &state->groups[g];
        if (group->topic != check_msg_topic(msg) || !check_expects(group, dense)) continue;
        uint8_t count = *check_live_count(state, live, g);
        if (count == 0 && check_msg_outcome(msg) == CHECK_OUTCOME_OK) {
            group->lost++;
            check_example_add(group, CHECK_LOST, id);
        } else if (count == 0) {
            group->unacked_lost++;
            check_example_add(group, CHECK_UNACKED_LOST, id);
        } else if (count >= 2) {
            /* a live message was never classified, so this counts it once */
            group->duplicated++;
            check_example_add(group, CHECK_DUPLICATED, id);
        }
    }
}

/* ---- ordering by name ---- */

static int natural_compare(const char *a, const char *b)
{
    while (*a != '\0' && *b != '\0') {
        bool digit_a = *a >= '0' && *a <= '9', digit_b = *b >= '0' && *b <= '9';
        if (!digit_a || !digit_b) {
            if (*a != *b) return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++, b++;
            continue;
        }
        while (*a == '0' && a[1] >= '0' && a[1] <= '9') a++;
        while (*b == '0' && b[1] >= '0' && b[1] <= '9') b++;
        size_t len_a = strspn(a, "0123456789"), len_b = strspn(b, "0123456789");
        if (len_a != len_b) return len_a < len_b ? -1 : 1;
        int order = memcmp(a, b, len_a);
        if (order != 0) return order < 0 ? -1 : 1;
        a += len_a, b += len_b;
    }
    return (*a != '\0') - (*b != '\0');
}

typedef struct named_slot {
    const char *name;
    uint32_t slot;
} named_slot;

static int compare_named_slots(const void *x, const void *y)
{
    const named_slot *a = x, *b = y;
    int order = natural_compare(a->name, b->name);
    return order != 0 ? order : strcmp(a->name, b->name);
}

static void copy_name(char dst[HIST_NAME_LEN], const char *src)
{
    size_t length = strnlen(src, HIST_NAME_LEN - 1);
    memcpy(dst, src, length);
    dst[length] = '\0';
}

/* ---- results ---- */

static uint64_t series_at(const check_series *series, size_t second)
{
    return second < series->capacity ? series->values[second] : 0;
}

static void fill_seconds(const check_state *state, const check_group_state *group, check_group *out)
{
    const check_topic *topic = &state->topics[group->topic];
    out->second_count = (uint32_t)state->second_count;
    if (state->second_count == 0) return;
    out->seconds = calloc(state->second_count, sizeof out->seconds[0]);
    BL_ASSERTF(out->seconds != NULL, "out of memory (time series)");
    uint64_t acked_total = 0, consumed_total = 0;
    for (size_t s = 0; s < state->second_count; s++) {
        check_second *second = &out->seconds[s];
        second->sent = series_at(&topic->sent_by_second, s);
        second->acked = series_at(&topic->acked_by_second, s);
        acked_total += second->acked;
        if (s < group->seconds_capacity) {
            const check_group_second *own = &group->seconds[s];
            second->consumed = own->consumed;
            second->e2e_p50_s = (double)own->e2e_p50_us / 1e6;
            second->e2e_p99_s = (double)own->e2e_p99_us / 1e6;
            second->e2e_max_s = (double)own->e2e_max_us / 1e6;
        }
        consumed_total += second->consumed;
        second->backlog = acked_total > consumed_total ? acked_total - consumed_total : 0;
    }
    BL_ASSERT(acked_total == topic->acked && consumed_total == group->consumed);
}

static double unavailable_seconds(const check_topic *topic)
{
    uint64_t seconds = 0;
    for (size_t w = 0; w < topic->unavailable_words; w++) {
        seconds += (uint64_t)__builtin_popcountll(topic->unavailable_bits[w]);
    }
    return (double)seconds;
}

static void fill_group(const check_state *state, const check_group_state *group,
                       const hist_names *names, check_group *out)
{
    const check_topic *topic = &state->topics[group->topic];
    copy_name(out->name, hist_name(names, group->name));
    copy_name(out->topic, hist_name(names, topic->name));
    out->produced = topic->produced;
    out->acked = topic->acked;
    out->consumed = group->consumed;
    out->lost = group->lost;
    out->unacked_lost = group->unacked_lost;
    out->duplicated = group->duplicated;
    out->deduplicated = group->deduplicated;
    out->reordered = group->reordered;
    out->reordered_partition = group->reordered_partition;
    out->redelivered = group->redelivered;
    out->dead_lettered = group->dead_lettered;
    out->dead_letters_processed = group->dead_letters_processed;
    memcpy(out->broker_counts, group->broker_counts, sizeof out->broker_counts);
    out->broker_stats = group->broker_stats;
    /* what the broker's policies removed with no processed copy: dropped outright, or
     * dead-lettered with no consumer of the dead-letter queue processing it */
    uint64_t dead_lettered = group->broker_counts[CHECK_BROKER_DEAD_LETTERED];
    uint64_t removed =
        group->broker_counts[CHECK_BROKER_DROPPED] +
        (dead_lettered > group->dead_lettered ? dead_lettered - group->dead_lettered : 0);
    out->lost_beyond_policy = group->lost > removed ? group->lost - removed : 0;
    check_hist_summary(&topic->latency_ack, &out->latency_ack);
    check_hist_summary(&group->latency_e2e, &out->latency_e2e);
    out->unavailable_s = unavailable_seconds(topic);
    out->peak_backlog = group->peak_backlog;
    out->peak_backlog_at_s = (double)group->peak_backlog_at_us / 1e6;
    out->drained = group->peak_backlog == 0 || group->drained_at_us >= 0;
    if (group->peak_backlog == 0)
        out->drain_s = 0;
    else if (group->drained_at_us < 0)
        out->drain_s = NAN; /* it never drained: no data */
    else
        out->drain_s = (double)(group->drained_at_us - group->peak_backlog_at_us) / 1e6;
    out->throughput_per_s = state->load_us > 0 && topic->produced > 0
                                ? (double)group->consumed_in_load * 1e6 / (double)state->load_us
                                : NAN;
    memcpy(out->examples, group->examples, sizeof out->examples);
    memcpy(out->example_count, group->example_count, sizeof out->example_count);
    fill_seconds(state, group, out);
}

static void fill_producer(const check_producer_state *producer, const hist_names *names,
                          check_producer *out)
{
    copy_name(out->name, hist_name(names, producer->node));
    out->sent = producer->sent;
    out->acked = producer->acked;
    out->failed = producer->failed;
    out->unknown = producer->unknown;
    out->requests = producer->requests;
    check_hist_summary(&producer->latency_ack, &out->latency_ack);
    check_hist_summary(&producer->latency_request, &out->latency_request);
}

static void fill_results(const check_state *state, const hist_names *names, check_results *out)
{
    named_slot order[CHECK_GROUPS_MAX];
    for (uint32_t g = 0; g < state->group_count; g++) {
        order[g] = (named_slot){hist_name(names, state->groups[g].name), g};
    }
    qsort(order, state->group_count, sizeof order[0], compare_named_slots);
    for (uint32_t g = 0; g < state->group_count; g++) {
        fill_group(state, &state->groups[order[g].slot], names, &out->groups[g]);
    }
    out->group_count = state->group_count;
    if (state->producer_count > 0) {
        named_slot *producers = calloc(state->producer_count, sizeof producers[0]);
        out->producers = calloc(state->producer_count, sizeof out->producers[0]);
        BL_ASSERTF(producers != NULL && out->producers != NULL, "out of memory (producers)");
        for (uint32_t p = 0; p < state->producer_count; p++) {
            producers[p] = (named_slot){hist_name(names, state->producers[p].node), p};
        }
        qsort(producers, state->producer_count, sizeof producers[0], compare_named_slots);
        for (uint32_t p = 0; p < state->producer_count; p++) {
            fill_producer(&state->producers[producers[p].slot], names, &out->producers[p]);
        }
        free(producers);
    }
    out->producer_count = state->producer_count;
    out->produced = state->produced;
    out->acked = state->acked;
    out->failed = state->failed;
    out->unknown = state->unknown;
    out->records = state->records;
    out->end_s = (double)state->last_t_us / 1e6;
}

static void state_free(check_state *state)
{
    for (uint32_t t = 0; t < state->topic_count; t++) {
        check_topic *topic = &state->topics[t];
        check_hist_free(&topic->latency_ack);
        free(topic->sent_by_second.values);
        free(topic->acked_by_second.values);
        free(topic->unavailable_bits);
    }
    for (uint32_t g = 0; g < state->group_count; g++) {
        check_group_state *group = &state->groups[g];
        free(group->stream_next_seq);
        free(group->partition_max_offset);
        bl_idmap_free(&group->delivered);
        check_hist_free(&group->latency_e2e);
        free(group->second_e2e_us);
        free(group->seconds);
    }
    for (uint32_t p = 0; p < state->producer_count; p++) {
        check_producer_state *producer = &state->producers[p];
        check_hist_free(&producer->latency_ack);
        check_hist_free(&producer->latency_request);
        bl_idmap_free(&producer->streams);
        bl_idmap_free(&producer->pending_requests);
    }
    free(state->topics);
    free(state->producers);
    check_window_free(state);
    free(state->streams);
    free(state->stats_series);
    bl_idmap_free(&state->ids);
    free(state);
}

void check_end(check_state *state, const hist_names *names, check_results *out)
{
    BL_ASSERT(state != NULL && names != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    check_close_second(state); /* the e2e values of the last second are still open */
    for_each_live(state, count_pending_send);
    for_each_live(state, classify_message);
    fill_results(state, names, out);
    state_free(state);
}

void check_results_free(check_results *results)
{
    for (uint32_t g = 0; g < results->group_count; g++) {
        free(results->groups[g].seconds);
        results->groups[g].seconds = NULL;
    }
    free(results->producers);
    results->producers = NULL;
    results->producer_count = 0;
}
