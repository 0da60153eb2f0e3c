/* check_window.c — the checker's per-message storage, bounded by what is in flight or
 * anomalous rather than by the run's length.
 *
 * Messages are dense indices in send-invoke order. The newest ones live in a ring, the
 * window [window_base, msg_count), with one process-count ring per group beside it. A
 * message is *settled* once its send outcome is known and every group subscribed to its
 * topic processed it: nothing it could still receive changes what check_end would count
 * for it except a later duplicate process, so it is classified (duplicated or not) and
 * forgotten when it reaches the head of the window. Whether a process of a forgotten
 * message is a new duplicate is remembered per group only for duplicated messages.
 *
 * An unsettled head (a lost message, a send that never completes, a lagging group) would
 * pin every later message. When the window is full and most of it is settled, the
 * unsettled entries of its older half move to the exception list (sorted by dense, since
 * they leave the head in order; binary search); otherwise, when most of it is still
 * unsettled (in flight), the window grows. Exceptions that settle later are classified
 * and dropped when the list fills up. A topic no group subscribed to never settles: a
 * group may still subscribe and must then see all of its messages. */
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "check_internal.h"

#define WINDOW_INITIAL 64 /* ring slots at first; small runs stay small */

check_msg check_msg_pack(int64_t intended_t_us, uint16_t topic, uint32_t stream, uint32_t seq,
                         bool natural)
{
    BL_ASSERTF(intended_t_us >= 0 && intended_t_us <= CHECK_INTENDED_MAX_US,
               "intended_t %lld us is outside the checker's %d-bit range (0 .. ~8.9 years)",
               (long long)intended_t_us, CHECK_INTENDED_BITS);
    BL_ASSERTF(topic < (1u << CHECK_TOPIC_BITS), "topic slot %u beyond %d bits", (unsigned)topic,
               CHECK_TOPIC_BITS);
    check_msg msg = {
        .packed = (uint64_t)intended_t_us | (uint64_t)topic << CHECK_TOPIC_SHIFT |
                  (uint64_t)CHECK_OUTCOME_NONE << CHECK_OUTCOME_SHIFT |
                  (uint64_t)(natural ? 1 : 0) << CHECK_NATURAL_SHIFT,
        .stream = stream,
        .seq = seq,
    };
    return msg;
}

static size_t window_slot(const check_state *state, uint64_t dense)
{
    return (size_t)(dense & (state->window_capacity - 1));
}

static uint64_t window_size(const check_state *state)
{
    return state->msg_count - state->window_base;
}

check_live check_exception_live(const check_state *state, size_t i)
{
    BL_ASSERT(i < state->exception_count);
    check_exception *exception = &state->exceptions[i];
    return (check_live){.msg = &exception->msg, .counts = exception->counts, .slot = 0};
}

static check_exception *exception_find(const check_state *state, uint64_t dense)
{
    size_t count = state->exception_count;
    /* most records of forgotten messages miss the list entirely */
    if (count == 0 || dense < state->exceptions[0].dense) return NULL;
    if (dense > state->exceptions[count - 1].dense) return NULL;
    size_t low = 0, high = count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        if (state->exceptions[mid].dense < dense)
            low = mid + 1;
        else
            high = mid;
    }
    if (low < state->exception_count && state->exceptions[low].dense == dense) {
        return &state->exceptions[low];
    }
    return NULL;
}

check_live check_window_find_old(const check_state *state, uint64_t dense)
{
    BL_ASSERT(dense < state->window_base);
    check_exception *exception = exception_find(state, dense);
    if (exception != NULL) {
        return (check_live){.msg = &exception->msg, .counts = exception->counts, .slot = 0};
    }
    return (check_live){.msg = NULL, .counts = NULL, .slot = 0};
}

bool check_forgotten_natural(const check_state *state, uint64_t dense)
{
    BL_ASSERT(dense < state->window_base);
    /* only the ids that are not dense + 1 were recorded */
    return !bl_idmap_contains(&state->id_of_dense, dense + 1);
}

uint64_t check_msg_id(const check_state *state, const check_msg *msg, uint64_t dense)
{
    if (check_msg_natural(msg)) return dense + 1;
    const uint64_t *id = BL_IDMAP_FIND(&state->id_of_dense, uint64_t, dense + 1);
    BL_ASSERTF(id != NULL, "message %llu (dense) has no recorded id", (unsigned long long)dense);
    return *id;
}

void check_count_duplicated(check_group_state *group, uint64_t dense, uint64_t id)
{
    bool created;
    bl_idmap_put(&group->evicted_duplicates, dense + 1, &created);
    if (!created) return; /* counted already */
    group->duplicated++;
    check_example_add(group, CHECK_DUPLICATED, id);
}

/* ---- settling ---- */

static bool live_settled(const check_state *state, const check_live *live, uint64_t dense)
{
    if (check_msg_outcome(live->msg) == CHECK_OUTCOME_NONE) return false;
    uint32_t mask = state->topics[check_msg_topic(live->msg)].group_mask;
    if (mask == 0) return false; /* nobody reads the topic (yet): keep it */
    for (; mask != 0; mask &= mask - 1) {
        uint32_t g = (uint32_t)__builtin_ctz(mask);
        if (!check_expects(&state->groups[g], dense)) continue;
        if (*check_live_count(state, live, g) == 0) return false;
    }
    return true;
}

/* A settled message leaves (callers checked live_settled): it was processed by every
 * group of its topic, so the only thing check_end would have counted for it is a
 * duplicate (two or more processes). */
static void evict(check_state *state, const check_live *live, uint64_t dense)
{
    BL_ASSERT(check_msg_outcome(live->msg) != CHECK_OUTCOME_NONE);
    check_topic *topic = &state->topics[check_msg_topic(live->msg)];
    for (uint32_t mask = topic->group_mask; mask != 0; mask &= mask - 1) {
        uint32_t group = (uint32_t)__builtin_ctz(mask);
        if (*check_live_count(state, live, group) < 2) continue;
        check_count_duplicated(&state->groups[group], dense, check_msg_id(state, live->msg, dense));
    }
    topic->evicted++;
    state->evicted++;
}

/* Classifies and drops the exceptions that settled since they were parked. */
static void exceptions_sweep(check_state *state)
{
    size_t kept = 0;
    for (size_t i = 0; i < state->exception_count; i++) {
        check_live live = check_exception_live(state, i);
        if (live_settled(state, &live, state->exceptions[i].dense)) {
            evict(state, &live, state->exceptions[i].dense);
            state->exceptions_settled++;
            continue;
        }
        if (kept != i) state->exceptions[kept] = state->exceptions[i];
        kept++;
    }
    state->exception_count = kept;
}

static void exception_add(check_state *state, const check_live *live, uint64_t dense)
{
    if (state->exception_count == state->exception_capacity) {
        exceptions_sweep(state);
        /* double once more than half is still unsettled, so sweeps stay amortized */
        uint64_t needed = (uint64_t)state->exception_count + 1;
        if (state->exception_count * 2 > state->exception_capacity &&
            state->exception_capacity < CHECK_EXCEPTIONS_MAX) { /* both powers of two */
            needed = (uint64_t)state->exception_capacity * 2;
        }
        BL_GROW(state->exceptions, state->exception_capacity, needed, CHECK_EXCEPTIONS_MAX,
                "checker: exceptions");
    }
    BL_ASSERT(state->exception_count == 0 ||
              state->exceptions[state->exception_count - 1].dense < dense);
    check_exception *exception = &state->exceptions[state->exception_count++];
    memset(exception, 0, sizeof *exception);
    exception->dense = dense;
    exception->msg = *live->msg;
    for (uint32_t g = 0; g < state->group_count; g++) {
        exception->counts[g] = *check_live_count(state, live, g);
    }
}

static void window_pop_settled(check_state *state)
{
    while (state->window_base < state->msg_count) {
        check_live head = check_window_find(state, state->window_base);
        if (!live_settled(state, &head, state->window_base)) return;
        evict(state, &head, state->window_base);
        state->window_base++;
    }
}

/* ---- growing ---- */

static void *ring_realloc(const void *old_ring, size_t old_capacity, size_t capacity,
                          size_t element_size, uint64_t base, uint64_t end)
{
    BL_ASSERT(end - base <= old_capacity && old_capacity < capacity);
    char *ring = calloc(capacity, element_size);
    BL_ASSERTF(ring != NULL, "out of memory (checker window of %zu slots)", capacity);
    /* [base, end) is at most two runs in the old ring and two in the new one */
    for (uint64_t dense = base; dense < end;) {
        size_t from = (size_t)(dense & (old_capacity - 1)), to = (size_t)(dense & (capacity - 1));
        size_t run = (size_t)(end - dense);
        if (run > old_capacity - from) run = old_capacity - from;
        if (run > capacity - to) run = capacity - to;
        memcpy(ring + to * element_size, (const char *)old_ring + from * element_size,
               run * element_size);
        dense += run;
    }
    return ring;
}

static void window_grow(check_state *state)
{
    size_t old_capacity = state->window_capacity;
    size_t capacity = old_capacity ? old_capacity * 2 : WINDOW_INITIAL;
    BL_ASSERTF(capacity > old_capacity, "checker window overflow");
    uint64_t base = state->window_base, end = state->msg_count;
    check_msg *window =
        ring_realloc(state->window, old_capacity, capacity, sizeof state->window[0], base, end);
    free(state->window);
    state->window = window;
    for (uint32_t g = 0; g < state->group_count; g++) {
        check_group_state *group = &state->groups[g];
        uint8_t *counts = ring_realloc(group->window_counts, old_capacity, capacity, 1, base, end);
        free(group->window_counts);
        group->window_counts = counts;
    }
    state->window_capacity = capacity;
}

/* The window is full (its head is unsettled, window_pop_settled ran). If most of it is
 * settled, it is held only by older unsettled messages: park those of the older half
 * in the exception list and let the settled ones go. Otherwise it is in flight: grow. */
static void window_make_room(check_state *state)
{
    size_t capacity = state->window_capacity;
    uint64_t unsettled = 0;
    for (uint64_t dense = state->window_base; dense < state->msg_count; dense++) {
        check_live live = check_window_find(state, dense);
        if (!live_settled(state, &live, dense) && ++unsettled * 2 >= capacity)
            break; /* in flight */
    }
    if (capacity == 0 || unsettled * 2 >= capacity) {
        window_grow(state);
        return;
    }
    while (window_size(state) > capacity / 2) {
        check_live head = check_window_find(state, state->window_base);
        if (live_settled(state, &head, state->window_base))
            evict(state, &head, state->window_base);
        else
            exception_add(state, &head, state->window_base);
        state->window_base++;
    }
}

uint64_t check_window_append(check_state *state, check_msg msg)
{
    window_pop_settled(state);
    if (window_size(state) == state->window_capacity) window_make_room(state);
    BL_ASSERT(window_size(state) < state->window_capacity);
    uint64_t dense = state->msg_count++;
    size_t slot = window_slot(state, dense);
    state->window[slot] = msg;
    for (uint32_t g = 0; g < state->group_count; g++) state->groups[g].window_counts[slot] = 0;
    uint64_t live = window_size(state) + state->exception_count;
    if (live > state->live_peak) state->live_peak = live;
    return dense;
}

void check_window_group_added(check_state *state, uint32_t group, const char *group_name,
                              const char *topic_name)
{
    BL_ASSERT(group < state->group_count && group < CHECK_GROUPS_MAX);
    check_group_state *slot = &state->groups[group];
    check_topic *topic = &state->topics[slot->topic];
    BL_ASSERTF(topic->evicted == 0 || slot->since_dense > 0, /* from_now: evicted are older */
               "group %s subscribes to %s after %llu of its messages were processed by every "
               "other group and forgotten: the checker needs every group's subscribe before "
               "that (the simulator subscribes all at time 0)",
               group_name, topic_name, (unsigned long long)topic->evicted);
    topic->group_mask |= (uint16_t)(1u << group);
    slot->window_counts = NULL;
    if (state->window_capacity == 0) return;
    slot->window_counts = calloc(state->window_capacity, 1);
    BL_ASSERTF(slot->window_counts != NULL, "out of memory (checker window counts)");
}

void check_window_free(check_state *state)
{
    for (uint32_t g = 0; g < state->group_count; g++) {
        free(state->groups[g].window_counts);
        bl_idmap_free(&state->groups[g].evicted_duplicates);
    }
    free(state->window);
    free(state->exceptions);
    bl_idmap_free(&state->id_of_dense);
}

check_window_stats check_window_stats_of(const check_state *state)
{
    return (check_window_stats){
        .live = window_size(state) + state->exception_count,
        .live_peak = state->live_peak,
        .exceptions = state->exception_count,
        .exceptions_settled = state->exceptions_settled,
        .evicted = state->evicted,
        .window_capacity = state->window_capacity,
    };
}
