/* kafka_group.c — the classic rebalance protocol of one consumer group, its committed
 * offsets and its records in the offsets log (see kafka_group.h). Each handler follows
 * the GroupMetadataManager method named in its comment. */
#include "kafka_group.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "kafka_assignor.h"
#include "kafka_options.h"

_Static_assert(KAFKA_ASSIGNOR_NONE == KAFKA_NO_MEMBER, "an unassigned partition has no member");

/* A record's key in the offsets log: its kind, the group (scenario entry) and an index
 * (a partition or a member slot); its value rides in the log's message-id field. */
enum group_record_kind {
    GROUP_RECORD_COMMIT = 1,     /* index: partition; value: offset | (leader epoch + 1) << 40 */
    GROUP_RECORD_HEADER = 2,     /* value: generation << 32 | member count */
    GROUP_RECORD_MEMBER = 3,     /* index: slot; value: member id */
    GROUP_RECORD_ASSIGNMENT = 4, /* index: partition; value: member id */
    GROUP_RECORD_LEADER = 5,     /* value: the leader's member id */
};
#define GROUP_RECORD_INDEX_BITS  20
#define GROUP_COMMIT_OFFSET_BITS 40

_Static_assert(SCN_PARTITIONS_MAX < (1u << GROUP_RECORD_INDEX_BITS) &&
                   KAFKA_MEMBERS_MAX < (1u << GROUP_RECORD_INDEX_BITS) && SCN_GROUPS_MAX <= 256,
               "an offsets-log key holds a group and a partition or member slot");

static int32_t record_key(enum group_record_kind kind, uint32_t group, uint32_t index)
{
    return (int32_t)((uint32_t)kind << 28 | group << GROUP_RECORD_INDEX_BITS | index);
}

void kafka_group_init(kafka_group *group, const scn_scenario *scenario, uint16_t group_index,
                      int64_t initial_delay_us)
{
    const scn_consumer *consumer = &scenario->consumers[group_index];
    kafka_consumer_options options = kafka_consumer_options_of(consumer);
    memset(group, 0, sizeof *group);
    group->group_index = group_index;
    group->topic = (uint16_t)consumer->topic_index;
    group->partition_count = scenario->topics[consumer->topic_index].partition_count;
    group->protocol = options.assignor == KAFKA_ASSIGNOR_COOPERATIVE_STICKY
                          ? KAFKA_PROTOCOL_COOPERATIVE
                          : KAFKA_PROTOCOL_EAGER;
    group->session_timeout_us = options.session_timeout_us;
    group->rebalance_timeout_us = options.max_poll_interval_us;
    group->initial_delay_us = initial_delay_us;
    group->state = KAFKA_GROUP_EMPTY;
    group->leader_id = KAFKA_NO_MEMBER;
    group->join_deadline_us = group->sync_deadline_us = group->assignment_deadline_us = INT64_MAX;
    uint32_t n = group->partition_count;
    group->assignment = malloc(n * sizeof *group->assignment);
    group->committed_stable = malloc(n * sizeof *group->committed_stable);
    group->committed_epoch = calloc(n, sizeof *group->committed_epoch);
    BL_ASSERT(group->assignment && group->committed_stable && group->committed_epoch);
    for (uint32_t p = 0; p < n; p++) {
        group->assignment[p] = KAFKA_NO_MEMBER;
        group->committed_stable[p] = -1;
    }
    BL_RING_INIT(&group->writes, kafka_offset_write, KAFKA_OFFSET_WRITES_MAX,
                 "offset commits of a consumer group above the high watermark");
    BL_RING_INIT(&group->answers, kafka_group_answer, KAFKA_GROUP_ANSWERS_MAX,
                 "coordinator answers of a consumer group waiting for the high watermark");
    BL_RING_INIT(&group->outbox, kafka_group_answer, KAFKA_GROUP_ANSWERS_MAX,
                 "coordinator answers of a consumer group to send");
}

static void free_answers(bl_ring *ring)
{
    while (bl_ring_count(ring) > 0) {
        kafka_msg_free(BL_RING_FRONT(ring, kafka_group_answer)->response);
        bl_ring_pop_front(ring);
    }
    bl_ring_free(ring);
}

void kafka_group_free(kafka_group *group)
{
    for (uint32_t m = 0; m < group->member_count; m++) free(group->members[m].owned);
    free(group->assignment);
    free(group->committed_stable);
    free(group->committed_epoch);
    bl_ring_free(&group->writes);
    free_answers(&group->answers);
    free_answers(&group->outbox);
}

/* ---- members ---- */

static int32_t member_index(const kafka_group *group, uint32_t member_id)
{
    for (uint32_t m = 0; m < group->member_count; m++)
        if (group->members[m].member_id == member_id) return (int32_t)m;
    return -1;
}

uint32_t kafka_group_size(const kafka_group *group)
{
    uint32_t size = 0;
    for (uint32_t m = 0; m < group->member_count; m++) size += !group->members[m].pending;
    return size;
}

static kafka_member *add_member(kafka_group *group, uint32_t member_id)
{
    BL_ASSERTF(group->member_count < KAFKA_MEMBERS_MAX, "group has more than %d members",
               KAFKA_MEMBERS_MAX);
    BL_ASSERTF(member_index(group, member_id) < 0, "member %u joins twice", member_id);
    uint32_t m = group->member_count;
    while (m > 0 && group->members[m - 1].member_id > member_id) {
        group->members[m] = group->members[m - 1];
        m--;
    }
    group->members[m] = (kafka_member){.member_id = member_id, .session_deadline_us = INT64_MAX};
    group->member_count++;
    return &group->members[m];
}

/* The first member (pending ones aside) leads, or nobody. */
static void lead_by_first_member(kafka_group *group)
{
    group->leader_id = KAFKA_NO_MEMBER;
    for (uint32_t m = 0; m < group->member_count; m++)
        if (!group->members[m].pending) {
            group->leader_id = group->members[m].member_id;
            return;
        }
}

/* Takes member m out: its partitions unassigned, another member leads if it did
 * (ClassicGroup.remove). */
static void drop_member(kafka_group *group, uint32_t m)
{
    kafka_member *member = &group->members[m];
    uint32_t member_id = member->member_id;
    free(member->owned);
    memmove(member, member + 1, (group->member_count - m - 1) * sizeof *member);
    group->member_count--;
    for (uint32_t p = 0; p < group->partition_count; p++)
        if (group->assignment[p] == member_id) group->assignment[p] = KAFKA_NO_MEMBER;
    if (group->leader_id == member_id) lead_by_first_member(group);
}

/* ---- answers ---- */

static kafka_msg *new_answer(kafka_api api, uint32_t correlation_id, uint32_t member_id,
                             kafka_error error)
{
    kafka_msg *response = kafka_msg_new(api, 0);
    response->correlation_id = correlation_id;
    response->member_id = member_id;
    response->error = (uint16_t)error;
    return response;
}

static void send_now(kafka_group *group, kafka_msg *response, uint32_t destination)
{
    *BL_RING_PUSH_BACK(&group->outbox, kafka_group_answer) =
        (kafka_group_answer){.response = response, .destination = destination};
}

/* A held JoinGroup's answer: the generation, the leader, and for the leader every
 * member (the subscriptions it would run the assignor on). */
static void answer_join(kafka_group *group, kafka_member *member, kafka_error error)
{
    BL_ASSERT(member->join.held);
    kafka_msg *response = new_answer(KAFKA_JOIN_GROUP_RESPONSE, member->join.correlation_id,
                                     member->member_id, error);
    if (error == KAFKA_OK) {
        response->generation = group->generation;
        response->leader_member_id = group->leader_id;
        if (member->member_id == group->leader_id) {
            kafka_msg_set_part_count(response, kafka_group_size(group));
            uint32_t i = 0;
            for (uint32_t m = 0; m < group->member_count; m++)
                if (!group->members[m].pending)
                    response->parts[i++].offset = group->members[m].member_id;
        }
    }
    send_now(group, response, member->join.source);
    member->join.held = false;
}

/* A SyncGroup's answer: the member's partitions with their committed offsets (the
 * OffsetFetch the consumer sends next, folded in: both read the state at the high
 * watermark, which has passed every commit made before this generation). */
static void answer_sync(kafka_group *group, kafka_member *member, kafka_error error)
{
    BL_ASSERT(member->sync.held);
    kafka_msg *response = new_answer(KAFKA_SYNC_GROUP_RESPONSE, member->sync.correlation_id,
                                     member->member_id, error);
    response->generation = group->generation;
    if (error == KAFKA_OK) {
        uint32_t count = 0;
        for (uint32_t p = 0; p < group->partition_count; p++)
            count += group->assignment[p] == member->member_id;
        kafka_msg_set_part_count(response, count);
        uint32_t i = 0;
        for (uint32_t p = 0; p < group->partition_count; p++) {
            if (group->assignment[p] != member->member_id) continue;
            kafka_part *part = &response->parts[i++];
            part->topic = group->topic;
            part->partition = p;
            part->offset = group->committed_stable[p];
            part->leader_epoch = group->committed_epoch[p];
        }
    }
    send_now(group, response, member->sync.source);
    member->sync.held = false;
}

/* ---- the state machine ---- */

/* What the coordinator promises: members sorted by id, each once; a leader among the
 * joined members whenever the group is past its join phase; the assignment names
 * members only. */
static void assert_invariants(const kafka_group *group)
{
    for (uint32_t m = 1; m < group->member_count; m++)
        BL_ASSERTF(group->members[m - 1].member_id < group->members[m].member_id,
                   "group %u: members out of order", group->group_index);
    uint32_t size = kafka_group_size(group);
    BL_ASSERTF((group->state == KAFKA_GROUP_EMPTY) == (size == 0) ||
                   group->state == KAFKA_GROUP_PREPARING_REBALANCE,
               "group %u: state %d with %u members", group->group_index, (int)group->state, size);
    if (group->state == KAFKA_GROUP_COMPLETING_REBALANCE || group->state == KAFKA_GROUP_STABLE) {
        int32_t leader = member_index(group, group->leader_id);
        BL_ASSERTF(leader >= 0 && !group->members[leader].pending,
                   "group %u: no leader in state %d", group->group_index, (int)group->state);
    }
    for (uint32_t p = 0; p < group->partition_count; p++) {
        uint32_t member = group->assignment[p];
        BL_ASSERTF(member == KAFKA_NO_MEMBER || member_index(group, member) >= 0,
                   "group %u: partition %u assigned to member %u, which is not in the group",
                   group->group_index, p, member);
    }
}

static bool all_members_joined(const kafka_group *group)
{
#ifdef BROKERLAB_MUTANT_REBALANCE_NOT_AWAITING_MEMBERS
    return true; /* mutant (scripts/mutants.sh): the join phase ends without the others */
#endif
    for (uint32_t m = 0; m < group->member_count; m++)
        if (group->members[m].pending || !group->members[m].join.held) return false;
    return true;
}

/* resetAndPropagateAssignmentWithError: every held SyncGroup fails with `error`. */
static void fail_syncs(kafka_group *group, kafka_error error)
{
    for (uint32_t m = 0; m < group->member_count; m++)
        if (group->members[m].sync.held) answer_sync(group, &group->members[m], error);
    group->assignment_writing = false;
    group->assignment_deadline_us = INT64_MAX;
}

/* completeClassicGroupJoin: members that did not rejoin are removed, the generation
 * moves on, every joiner is answered (the leader with the members) and has the
 * rebalance timeout to send its SyncGroup. An empty group writes its empty record. */
static void complete_join(kafka_group *group, int64_t now_us)
{
    BL_ASSERT(group->state == KAFKA_GROUP_PREPARING_REBALANCE);
    group->join_deadline_us = INT64_MAX;
    group->initial_rebalance = false;
    for (uint32_t m = 0; m < group->member_count;) {
        if (group->members[m].pending || group->members[m].join.held)
            m++;
        else
            drop_member(group, m);
    }
    /* maybeElectNewJoinedLeader: every member left has joined */
    int32_t leader = member_index(group, group->leader_id);
    if (leader < 0 || group->members[leader].pending) lead_by_first_member(group);
    for (uint32_t p = 0; p < group->partition_count; p++) group->assignment[p] = KAFKA_NO_MEMBER;
    group->generation++; /* initNextGeneration */
    if (kafka_group_size(group) == 0) {
        group->state = KAFKA_GROUP_EMPTY;
        group->changed = true;
        return;
    }
    group->state = KAFKA_GROUP_COMPLETING_REBALANCE;
    for (uint32_t m = 0; m < group->member_count; m++) {
        kafka_member *member = &group->members[m];
        if (member->pending) continue;
        answer_join(group, member, KAFKA_OK);
        member->session_deadline_us = now_us + group->session_timeout_us;
        member->is_new = false;
        member->pending_sync = true;
    }
    group->sync_deadline_us = now_us + group->rebalance_timeout_us; /* schedulePendingSync */
}

/* prepareRebalance: held SyncGroups fail with REBALANCE_IN_PROGRESS; a new group waits
 * group.initial.rebalance.delay.ms, any other completes once everyone rejoined or at
 * the rebalance timeout (maybeCompleteJoinElseSchedule). */
static void prepare_rebalance(kafka_group *group, int64_t now_us)
{
    if (group->state == KAFKA_GROUP_COMPLETING_REBALANCE)
        fail_syncs(group, KAFKA_REBALANCE_IN_PROGRESS);
    group->sync_deadline_us = INT64_MAX;
    bool initial = group->state == KAFKA_GROUP_EMPTY;
    group->state = KAFKA_GROUP_PREPARING_REBALANCE;
    if (initial) {
        group->initial_rebalance = true;
        group->new_member_added = false;
        group->initial_delay_step_us = group->initial_delay_us;
        group->initial_remaining_us = group->rebalance_timeout_us > group->initial_delay_us
                                          ? group->rebalance_timeout_us - group->initial_delay_us
                                          : 0;
        group->join_deadline_us = now_us + group->initial_delay_us;
        return;
    }
    if (all_members_joined(group)) {
        complete_join(group, now_us);
        return;
    }
    group->join_deadline_us = now_us + group->rebalance_timeout_us;
}

/* maybePrepareRebalanceOrCompleteJoin (and maybeCompleteJoinPhase: not during a new
 * group's initial delay). */
static void rebalance_or_complete_join(kafka_group *group, int64_t now_us)
{
    if (group->state != KAFKA_GROUP_PREPARING_REBALANCE) {
        prepare_rebalance(group, now_us);
        return;
    }
    if (!group->initial_rebalance && all_members_joined(group)) complete_join(group, now_us);
}

/* removeMemberAndUpdateClassicGroup / removePendingMemberAndUpdateClassicGroup. */
static void remove_member(kafka_group *group, uint32_t m, int64_t now_us)
{
    kafka_member *member = &group->members[m];
    bool pending = member->pending;
    if (member->join.held) answer_join(group, member, KAFKA_UNKNOWN_MEMBER);
    if (member->sync.held) answer_sync(group, member, KAFKA_UNKNOWN_MEMBER);
    drop_member(group, m);
    if (!pending &&
        (group->state == KAFKA_GROUP_STABLE || group->state == KAFKA_GROUP_COMPLETING_REBALANCE)) {
        rebalance_or_complete_join(group, now_us);
    } else if (group->state == KAFKA_GROUP_PREPARING_REBALANCE && all_members_joined(group)) {
        complete_join(group, now_us);
    }
}

/* The member's JoinGroup subscription: its owned partitions and their generation. */
static bool subscription_matches(const kafka_member *member, const kafka_msg *request)
{
    if (member->owned_count != request->part_count) return false;
    for (uint32_t i = 0; i < request->part_count; i++)
        if (member->owned[i] != request->parts[i].partition) return false;
    return true;
}

static void set_subscription(kafka_group *group, kafka_member *member, const kafka_msg *request)
{
    free(member->owned);
    member->owned = NULL;
    member->owned_count = 0;
    member->owned_generation = request->generation;
    if (request->part_count == 0) return;
    member->owned = malloc(request->part_count * sizeof *member->owned);
    BL_ASSERT(member->owned != NULL);
    for (uint32_t i = 0; i < request->part_count; i++) {
        BL_ASSERT(request->parts[i].partition < group->partition_count);
        BL_ASSERT(i == 0 || request->parts[i - 1].partition < request->parts[i].partition);
        member->owned[member->owned_count++] = request->parts[i].partition;
    }
}

/* updateMember: the join is held until the join phase completes. */
static void hold_join(kafka_group *group, kafka_member *member, const kafka_msg *request,
                      uint32_t source)
{
    set_subscription(group, member, request);
    member->join = (kafka_held_request){
        .held = true, .correlation_id = request->correlation_id, .source = source};
}

/* classicGroupJoin: a new member is given its id (classicGroupJoinNewDynamicMember with
 * MEMBER_ID_REQUIRED), a pending member joins (addMemberThenRebalanceOrCompleteJoin),
 * a known member rejoins (classicGroupJoinExistingMember). */
void kafka_group_join(kafka_group *group, const kafka_msg *request, uint32_t source, int64_t now_us)
{
    uint32_t member_id = request->member_id;
    int32_t m = member_index(group, member_id);
    kafka_error refusal = KAFKA_OK;
    if (m < 0 && !request->no_member_id) {
        refusal = KAFKA_UNKNOWN_MEMBER;
    } else if (m < 0 && group->member_count == KAFKA_MEMBERS_MAX) {
        refusal = KAFKA_GROUP_MAX_SIZE_REACHED; /* group.max.size */
    } else if (m < 0 || (request->no_member_id && group->members[m].pending)) {
        if (m < 0) { /* classicGroupJoinNewDynamicMember: pending until it joins with it */
            kafka_member *member = add_member(group, member_id);
            member->pending = true;
            member->session_deadline_us = now_us + group->session_timeout_us;
        }
        refusal = KAFKA_MEMBER_ID_REQUIRED;
    }
    if (refusal != KAFKA_OK) {
        send_now(group,
                 new_answer(KAFKA_JOIN_GROUP_RESPONSE, request->correlation_id, member_id, refusal),
                 source);
        assert_invariants(group);
        return;
    }
    kafka_member *member = &group->members[m];
    if (member->pending) { /* a pending member joins with its id */
        member->pending = false;
        member->is_new = true;
        if (group->state == KAFKA_GROUP_PREPARING_REBALANCE && group->initial_rebalance)
            group->new_member_added = true;
        if (group->leader_id == KAFKA_NO_MEMBER) group->leader_id = member_id;
        hold_join(group, member, request, source);
        member->session_deadline_us = now_us + KAFKA_NEW_MEMBER_JOIN_TIMEOUT_US;
        rebalance_or_complete_join(group, now_us);
        assert_invariants(group);
        return;
    }
    bool matches = subscription_matches(member, request);
    bool rebalance = true;
    switch (group->state) {
    case KAFKA_GROUP_EMPTY: /* no members: unreachable with m >= 0 */
        BL_ASSERTF(false, "group %u: a member in an empty group", group->group_index);
        break;
    case KAFKA_GROUP_PREPARING_REBALANCE: break;
    case KAFKA_GROUP_COMPLETING_REBALANCE: rebalance = !matches; break;
    case KAFKA_GROUP_STABLE: rebalance = member_id == group->leader_id || !matches; break;
    }
    hold_join(group, member, request, source);
    if (rebalance) {
        rebalance_or_complete_join(group, now_us);
    } else { /* the same metadata: this generation's answer again */
        answer_join(group, member, KAFKA_OK);
    }
    assert_invariants(group);
}

/* The leader's assignment, from the subscriptions of this generation's members. */
static void assign(kafka_group *group)
{
    uint32_t ids[KAFKA_MEMBERS_MAX], c = 0, n = group->partition_count;
    for (uint32_t m = 0; m < group->member_count; m++)
        if (!group->members[m].pending) ids[c++] = group->members[m].member_id;
    if (group->protocol == KAFKA_PROTOCOL_EAGER) {
        kafka_assign_range(ids, c, n, group->assignment);
        return;
    }
    /* ownedPartitions by generation: the newest claim wins, two at the same generation
     * claim it doubly (AbstractStickyAssignor.allSubscriptionsEqual) */
    uint32_t *claimed_by = malloc(n * sizeof *claimed_by);
    uint32_t *claim_generation = calloc(n, sizeof *claim_generation);
    uint8_t *doubly = calloc(n, 1);
    BL_ASSERT(claimed_by && claim_generation && doubly);
    for (uint32_t p = 0; p < n; p++) claimed_by[p] = KAFKA_ASSIGNOR_NONE;
    for (uint32_t i = 0, m = 0; m < group->member_count; m++) {
        const kafka_member *member = &group->members[m];
        if (member->pending) continue;
        for (uint32_t k = 0; k < member->owned_count; k++) {
            uint32_t p = member->owned[k];
            if (claimed_by[p] == KAFKA_ASSIGNOR_NONE ||
                member->owned_generation > claim_generation[p]) {
                claimed_by[p] = i;
                claim_generation[p] = member->owned_generation;
                doubly[p] = 0;
            } else if (member->owned_generation == claim_generation[p]) {
                doubly[p] = 1;
            }
        }
        i++;
    }
    kafka_assign_cooperative_sticky(ids, c, n, claimed_by, doubly, group->assignment);
    free(claimed_by);
    free(claim_generation);
    free(doubly);
}

/* ClassicGroup.validateMember and the generation check of a SyncGroup, a heartbeat or
 * a commit: *m is the member's index when it is known. (A group with a member is never
 * EMPTY, so validateClassicGroupHeartbeat's EMPTY case does not arise.) */
static kafka_error validate_generation(const kafka_group *group, const kafka_msg *request,
                                       int32_t *m)
{
    *m = member_index(group, request->member_id);
    if (*m < 0 || group->members[*m].pending) return KAFKA_UNKNOWN_MEMBER;
    if (request->generation != group->generation) return KAFKA_ILLEGAL_GENERATION;
    BL_ASSERT(group->state != KAFKA_GROUP_EMPTY);
    return KAFKA_OK;
}

/* classicGroupSyncToClassicGroup: the leader's SyncGroup sets the assignment, whose
 * GroupMetadata record every SyncGroup of the generation waits for. */
void kafka_group_sync(kafka_group *group, const kafka_msg *request, uint32_t source, int64_t now_us)
{
    BL_MAYBE(now_us);
    int32_t m;
    kafka_error error = validate_generation(group, request, &m);
    if (error == KAFKA_OK && group->state == KAFKA_GROUP_PREPARING_REBALANCE)
        error = KAFKA_REBALANCE_IN_PROGRESS;
    if (error != KAFKA_OK) {
        kafka_msg *response = new_answer(KAFKA_SYNC_GROUP_RESPONSE, request->correlation_id,
                                         request->member_id, error);
        send_now(group, response, source);
        return;
    }
    kafka_member *member = &group->members[m];
    member->sync = (kafka_held_request){
        .held = true, .correlation_id = request->correlation_id, .source = source};
    member->pending_sync = false;
    bool all_synced = true;
    for (uint32_t i = 0; i < group->member_count; i++)
        all_synced &= !group->members[i].pending_sync;
    if (all_synced) group->sync_deadline_us = INT64_MAX; /* removeSyncExpiration */
    if (group->state == KAFKA_GROUP_STABLE) {
        answer_sync(group, member, KAFKA_OK);
        return;
    }
    BL_ASSERT(group->state == KAFKA_GROUP_COMPLETING_REBALANCE);
    if (member->member_id != group->leader_id || group->assignment_writing || group->changed)
        return; /* a follower waits for the leader's assignment to be written */
    assign(group);
    group->changed = true; /* the coordinator writes it: kafka_group_snapshot_appended */
    assert_invariants(group);
}

/* classicGroupHeartbeatToClassicGroup (validateClassicGroupHeartbeat first). */
void kafka_group_heartbeat(kafka_group *group, const kafka_msg *request, uint32_t source,
                           int64_t now_us)
{
    int32_t m;
    kafka_error error = validate_generation(group, request, &m);
    if (error == KAFKA_OK) {
        group->members[m].session_deadline_us = now_us + group->session_timeout_us;
        if (group->state == KAFKA_GROUP_PREPARING_REBALANCE) error = KAFKA_REBALANCE_IN_PROGRESS;
    }
    kafka_msg *response =
        new_answer(KAFKA_HEARTBEAT_RESPONSE, request->correlation_id, request->member_id, error);
    response->generation = request->generation; /* the client checks it is still its own */
    send_now(group, response, source);
}

void kafka_group_unload(kafka_group *group)
{
    for (uint32_t m = 0; m < group->member_count; m++) {
        kafka_member *member = &group->members[m];
        if (member->join.held) answer_join(group, member, KAFKA_NOT_COORDINATOR);
        if (member->sync.held) answer_sync(group, member, KAFKA_NOT_COORDINATOR);
    }
}

/* classicGroupLeaveToClassicGroup: the member (or pending member) goes now. */
void kafka_group_leave(kafka_group *group, uint32_t member_id, int64_t now_us)
{
    int32_t m = member_index(group, member_id);
    if (m < 0) return; /* already gone (its session ended, or a retry) */
    remove_member(group, (uint32_t)m, now_us);
    assert_invariants(group);
}

static int64_t earliest(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t kafka_group_tick(kafka_group *group, int64_t now_us)
{
    /* the join phase's end: a new group's delay (tryCompleteInitialRebalanceElseSchedule),
     * or the rebalance timeout (completeClassicGroupJoin) */
    if (group->state == KAFKA_GROUP_PREPARING_REBALANCE && now_us >= group->join_deadline_us) {
        if (group->initial_rebalance && group->new_member_added &&
            group->initial_remaining_us != 0) {
            group->new_member_added = false;
            int64_t step_us = earliest(group->initial_delay_us, group->initial_remaining_us);
            int64_t remaining_us = group->initial_remaining_us - group->initial_delay_step_us;
            group->initial_delay_step_us = step_us;
            group->initial_remaining_us = remaining_us > 0 ? remaining_us : 0;
            group->join_deadline_us = now_us + step_us;
        } else {
            complete_join(group, now_us);
        }
    }
    /* expireClassicGroupMemberHeartbeat: a member awaiting its join or sync answer
     * satisfies its heartbeats (unless new); the others go */
    for (uint32_t m = 0; m < group->member_count;) {
        kafka_member *member = &group->members[m];
        if (member->session_deadline_us > now_us) {
            m++;
            continue;
        }
        bool satisfied =
            !member->pending && !member->is_new && (member->join.held || member->sync.held);
        if (satisfied) {
            member->session_deadline_us = INT64_MAX; /* rescheduled at the join's end */
            m++;
            continue;
        }
        remove_member(group, m, now_us);
        m = 0; /* the removal may have completed a join and moved members */
    }
    /* expirePendingSync */
    if (now_us >= group->sync_deadline_us) {
        group->sync_deadline_us = INT64_MAX;
        bool removed = false;
        for (uint32_t m = 0; m < group->member_count;) {
            if (group->members[m].pending_sync) {
                drop_member(group, m);
                removed = true;
            } else {
                m++;
            }
        }
        if (removed) prepare_rebalance(group, now_us);
    }
    /* the assignment's record did not commit within offsets.commit.timeout.ms */
    if (group->assignment_writing && now_us >= group->assignment_deadline_us) {
        fail_syncs(group, KAFKA_COORDINATOR_NOT_AVAILABLE);
        rebalance_or_complete_join(group, now_us);
    }
    int64_t next_us = earliest(group->sync_deadline_us, group->assignment_deadline_us);
    if (group->state == KAFKA_GROUP_PREPARING_REBALANCE)
        next_us = earliest(next_us, group->join_deadline_us);
    for (uint32_t m = 0; m < group->member_count; m++)
        next_us = earliest(next_us, group->members[m].session_deadline_us);
    assert_invariants(group);
    return next_us;
}

/* ---- offsets ---- */

kafka_error kafka_group_check_commit(const kafka_group *group, const kafka_msg *request)
{
    int32_t m;
    kafka_error error = validate_generation(group, request, &m);
    if (error != KAFKA_OK) return error;
    if (group->state == KAFKA_GROUP_COMPLETING_REBALANCE) return KAFKA_REBALANCE_IN_PROGRESS;
    for (uint32_t i = 0; i < request->part_count; i++)
        BL_ASSERT(request->parts[i].partition < group->partition_count);
    return KAFKA_OK;
}

uint32_t kafka_group_commit_records(const kafka_group *group, const kafka_msg *request,
                                    uint64_t *msg_ids, int32_t *keys)
{
    for (uint32_t i = 0; i < request->part_count; i++) {
        const kafka_part *part = &request->parts[i];
        BL_ASSERTF(part->offset >= 0 && part->offset < (1ll << GROUP_COMMIT_OFFSET_BITS) &&
                       part->leader_epoch < (1u << (64 - GROUP_COMMIT_OFFSET_BITS)),
                   "a commit of offset %lld, epoch %u", (long long)part->offset,
                   part->leader_epoch);
        keys[i] = record_key(GROUP_RECORD_COMMIT, group->group_index, part->partition);
        msg_ids[i] = (uint64_t)part->offset | (uint64_t)part->leader_epoch
                                                  << GROUP_COMMIT_OFFSET_BITS;
    }
    return request->part_count;
}

void kafka_group_commit_appended(kafka_group *group, const kafka_msg *request, int64_t end_offset)
{
    for (uint32_t i = 0; i < request->part_count; i++) {
        kafka_offset_write write = {.end_offset = end_offset,
                                    .partition = request->parts[i].partition,
                                    .leader_epoch = request->parts[i].leader_epoch,
                                    .offset = request->parts[i].offset};
        *BL_RING_PUSH_BACK(&group->writes, kafka_offset_write) = write;
    }
}

/* ---- the GroupMetadata record ---- */

uint32_t kafka_group_snapshot_records(kafka_group *group, uint64_t *msg_ids, int32_t *keys)
{
    uint32_t g = group->group_index, n = 0;
    keys[n] = record_key(GROUP_RECORD_HEADER, g, 0);
    msg_ids[n++] = (uint64_t)group->generation << 32 | kafka_group_size(group);
    keys[n] = record_key(GROUP_RECORD_LEADER, g, 0);
    msg_ids[n++] = group->leader_id;
    uint32_t slot = 0;
    for (uint32_t m = 0; m < group->member_count; m++) {
        if (group->members[m].pending) continue;
        keys[n] = record_key(GROUP_RECORD_MEMBER, g, slot++);
        msg_ids[n++] = group->members[m].member_id;
    }
    for (uint32_t p = 0; p < group->partition_count; p++) {
        keys[n] = record_key(GROUP_RECORD_ASSIGNMENT, g, p);
        msg_ids[n++] = group->assignment[p];
    }
    BL_ASSERT(n <= KAFKA_GROUP_SNAPSHOT_RECORDS_MAX);
    group->changed = false;
    return n;
}

void kafka_group_snapshot_appended(kafka_group *group, int64_t end_offset, int64_t now_us)
{
    bool assignment = group->state == KAFKA_GROUP_COMPLETING_REBALANCE;
    if (end_offset < 0) {
        /* the empty group's record lost: completeClassicGroupJoin only warns (the
         * previous generation would come back after a failover, with no one in it) */
        if (!assignment) return;
        fail_syncs(group, KAFKA_NOT_COORDINATOR);
        rebalance_or_complete_join(group, now_us);
        assert_invariants(group);
        return;
    }
    if (!assignment) return;
    group->assignment_writing = true;
    group->assignment_end = end_offset;
    group->assignment_deadline_us = now_us + KAFKA_OFFSETS_COMMIT_TIMEOUT_US;
}

void kafka_group_on_high_watermark(kafka_group *group, int64_t hw)
{
    while (bl_ring_count(&group->writes) > 0) {
        const kafka_offset_write *write = BL_RING_FRONT(&group->writes, kafka_offset_write);
        if (write->end_offset > hw) break;
        group->committed_stable[write->partition] = write->offset;
        group->committed_epoch[write->partition] = write->leader_epoch;
        bl_ring_pop_front(&group->writes);
    }
    if (!group->assignment_writing || group->assignment_end > hw) return;
    BL_ASSERT(group->state == KAFKA_GROUP_COMPLETING_REBALANCE);
    group->assignment_writing = false;
    group->assignment_deadline_us = INT64_MAX;
    group->state = KAFKA_GROUP_STABLE; /* setAndPropagateAssignment */
    for (uint32_t m = 0; m < group->member_count; m++)
        if (group->members[m].sync.held) answer_sync(group, &group->members[m], KAFKA_OK);
}

void kafka_group_load(kafka_group *group, const kafka_log *log, int64_t hw, int64_t now_us)
{
    BL_ASSERT(group->member_count == 0 && bl_ring_count(&group->writes) == 0);
    uint32_t g = group->group_index, expected_members = 0;
    for (int64_t offset = log->start_offset; offset < log->end_offset; offset++) {
        uint32_t key = (uint32_t)kafka_log_key(log, offset);
        if ((key >> GROUP_RECORD_INDEX_BITS & 0xffu) != g) continue;
        uint32_t index = key & ((1u << GROUP_RECORD_INDEX_BITS) - 1);
        uint64_t value = kafka_log_msg(log, offset);
        switch ((enum group_record_kind)(key >> 28)) {
        case GROUP_RECORD_COMMIT: {
            BL_ASSERT(index < group->partition_count);
            kafka_offset_write write = {
                .end_offset = offset + 1,
                .partition = index,
                .leader_epoch = (uint32_t)(value >> GROUP_COMMIT_OFFSET_BITS),
                .offset = (int64_t)(value & ((1ull << GROUP_COMMIT_OFFSET_BITS) - 1))};
            *BL_RING_PUSH_BACK(&group->writes, kafka_offset_write) = write;
            break;
        }
        case GROUP_RECORD_HEADER: {
            int64_t end = offset + 2 + (uint32_t)value + group->partition_count;
            /* A follower may hold the start of a snapshot only (its fetch cut the
             * leader's batch, then a power loss cut the rest): the log's last records;
             * the state stays the previous snapshot's. */
            if (end > log->end_offset) {
                offset = log->end_offset;
                break;
            }
            group->generation = (uint32_t)(value >> 32);
            expected_members = (uint32_t)value;
            for (uint32_t m = 0; m < group->member_count; m++) free(group->members[m].owned);
            group->member_count = 0;
            break;
        }
        case GROUP_RECORD_LEADER: group->leader_id = (uint32_t)value; break;
        case GROUP_RECORD_MEMBER:
            BL_ASSERT(index == group->member_count && index < expected_members);
            group->members[group->member_count++] =
                (kafka_member){.member_id = (uint32_t)value,
                               .session_deadline_us = now_us + group->session_timeout_us};
            break;
        case GROUP_RECORD_ASSIGNMENT:
            BL_ASSERT(index < group->partition_count);
            group->assignment[index] = (uint32_t)value;
            break;
        default: BL_ASSERTF(false, "offsets-log record kind %u", key >> 28);
        }
    }
    BL_ASSERTF(group->member_count == expected_members, "group %u: a snapshot of %u members has %u",
               g, expected_members, group->member_count);
    /* GroupMetadataManager.onLoaded: a group with members is STABLE, sessions fresh */
    group->state = group->member_count > 0 ? KAFKA_GROUP_STABLE : KAFKA_GROUP_EMPTY;
    if (group->member_count == 0) group->leader_id = KAFKA_NO_MEMBER;
    kafka_group_on_high_watermark(group, hw);
    group->changed = false;
    assert_invariants(group);
}
