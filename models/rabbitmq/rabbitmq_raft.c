/* rabbitmq_raft.c — one member of a quorum queue's Raft group (see rabbitmq_raft.h). */
#include "rabbitmq_raft.h"

#include <string.h>

#include "../../engine/bl_assert.h"

void raft_init(raft_member *m, uint32_t self, const uint32_t *members, uint32_t member_count)
{
    BL_ASSERT(member_count >= 1 && member_count <= SCN_BROKERS_MAX);
    memset(m, 0, sizeof *m);
    m->self = self;
    memcpy(m->members, members, member_count * sizeof *members);
    m->member_count = member_count;
    m->voted_for = RAFT_NONE;
    m->leader = RAFT_NONE;
    m->role = RAFT_FOLLOWER;
    BL_RING_INIT(&m->log, raft_entry, RAFT_LOG_MAX, "a quorum queue member's log");
    BL_ASSERT(raft_is_member(m, self));
}

void raft_free(raft_member *m)
{
    bl_ring_free(&m->log);
}

uint64_t raft_last_index(const raft_member *m)
{
    return m->snapshot_index + bl_ring_count(&m->log);
}

uint64_t raft_term_at(const raft_member *m, uint64_t index)
{
    BL_ASSERTF(index >= m->snapshot_index && index <= raft_last_index(m),
               "raft: term of index %llu outside %llu..%llu", (unsigned long long)index,
               (unsigned long long)m->snapshot_index, (unsigned long long)raft_last_index(m));
    if (index == m->snapshot_index) return m->snapshot_term;
    return BL_RING_AT(&m->log, raft_entry, (uint32_t)(index - m->snapshot_index - 1))->term;
}

uint64_t raft_last_term(const raft_member *m)
{
    return raft_term_at(m, raft_last_index(m));
}

raft_entry *raft_entry_at(raft_member *m, uint64_t index)
{
    BL_ASSERTF(index > m->snapshot_index && index <= raft_last_index(m),
               "raft: entry %llu outside %llu..%llu", (unsigned long long)index,
               (unsigned long long)m->snapshot_index + 1, (unsigned long long)raft_last_index(m));
    return BL_RING_AT(&m->log, raft_entry, (uint32_t)(index - m->snapshot_index - 1));
}

bool raft_is_member(const raft_member *m, uint32_t node)
{
    for (uint32_t i = 0; i < m->member_count; i++)
        if (m->members[i] == node) return true;
    return false;
}

uint32_t raft_majority(const raft_member *m)
{
    return m->member_count / 2 + 1; /* ra: required_quorum, trunc(Voters / 2) + 1 */
}

void raft_step_down(raft_member *m, uint64_t term)
{
    BL_ASSERT(term > m->term);
    m->term = term;
    m->voted_for = RAFT_NONE;
    m->role = RAFT_FOLLOWER;
    m->leader = RAFT_NONE;
    m->verified_index = 0;
}

/* Drops the log from `index` on (a conflict with the leader's). */
static void truncate_from(raft_member *m, uint64_t index)
{
    BL_ASSERTF(index > m->commit_index, "raft: truncating committed entry %llu (commit %llu)",
               (unsigned long long)index, (unsigned long long)m->commit_index);
    while (raft_last_index(m) >= index) bl_ring_pop_back(&m->log);
    if (m->written_index >= index) m->written_index = index - 1;
    if (m->verified_index >= index) m->verified_index = index - 1;
    if (m->truncated_from == 0 || index < m->truncated_from) m->truncated_from = index;
}

/* ---- election ---- */

static uint32_t granted_count(const raft_member *m)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->member_count; i++) n += m->granted[m->members[i]];
    return n;
}

static bool log_up_to_date(const raft_member *m, uint64_t last_index, uint64_t last_term)
{
#ifdef BROKERLAB_MUTANT_VOTE_IGNORES_LOG
    return true; /* mutant: any candidate's log will do */
#endif
    uint64_t my_term = raft_last_term(m);
    return last_term > my_term || (last_term == my_term && last_index >= raft_last_index(m));
}

void raft_start_pre_vote(raft_member *m)
{
    BL_ASSERT(m->role != RAFT_LEADER);
    m->role = RAFT_PRE_VOTE;
    m->leader = RAFT_NONE;
    m->voted_for = m->self; /* ra: call_for_election(pre_vote) votes for itself in its term */
    memset(m->granted, 0, sizeof m->granted);
    m->granted[m->self] = true;
}

bool raft_grant_pre_vote(raft_member *m, uint64_t term, uint64_t last_index, uint64_t last_term)
{
    if (term < m->term) return false;
    return log_up_to_date(m, last_index, last_term);
}

bool raft_grant_vote(raft_member *m, uint32_t candidate, uint64_t term, uint64_t last_index,
                     uint64_t last_term)
{
    if (term < m->term) return false;
    if (term > m->term) raft_step_down(m, term);
    if (m->voted_for != RAFT_NONE && m->voted_for != candidate) return false;
    if (!log_up_to_date(m, last_index, last_term)) return false;
    m->voted_for = candidate;
    return true;
}

void raft_become_leader(raft_member *m)
{
    m->role = RAFT_LEADER;
    m->leader = m->self;
    for (uint32_t i = 0; i < m->member_count; i++) {
        uint32_t peer = m->members[i];
        m->match_index[peer] = 0;
        m->next_index[peer] = raft_last_index(m) + 1;
        m->probing[peer] = m->probe_sent[peer] = false;
    }
    raft_entry noop = {.op = RAFT_OP_NOOP};
    raft_append(m, &noop);
}

raft_outcome raft_start_candidacy(raft_member *m)
{
    BL_ASSERT(m->role != RAFT_LEADER);
    /* call_for_election(candidate): a new term, its own vote */
    m->term++;
    m->voted_for = m->self;
    m->role = RAFT_CANDIDATE;
    m->leader = RAFT_NONE;
    m->verified_index = 0;
    memset(m->granted, 0, sizeof m->granted);
    m->granted[m->self] = true;
    if (granted_count(m) >= raft_majority(m)) { /* a group of one */
        raft_become_leader(m);
        return RAFT_NOW_LEADER;
    }
    return RAFT_NOW_CANDIDATE;
}

raft_outcome raft_on_vote_reply(raft_member *m, uint32_t voter, uint64_t term, bool granted,
                                bool pre)
{
    if (term > m->term && !granted) {
        raft_step_down(m, term);
        return RAFT_NOTHING;
    }
    if (!raft_is_member(m, voter) || !granted) return RAFT_NOTHING;
    if (pre) {
        if (m->role != RAFT_PRE_VOTE || term != m->term) return RAFT_NOTHING;
        m->granted[voter] = true;
        if (granted_count(m) < raft_majority(m)) return RAFT_NOTHING;
        return raft_start_candidacy(m);
    }
    if (m->role != RAFT_CANDIDATE || term != m->term) return RAFT_NOTHING;
    m->granted[voter] = true;
    if (granted_count(m) < raft_majority(m)) return RAFT_NOTHING;
    raft_become_leader(m);
    return RAFT_NOW_LEADER;
}

/* ---- replication ---- */

/* increment_commit_index: the highest index a majority has written, if of its term. */
static bool advance_commit(raft_member *m)
{
    BL_ASSERT(m->role == RAFT_LEADER);
    m->match_index[m->self] = m->written_index;
    /* agreed_commit: the majority-th highest match index */
    uint64_t matches[SCN_BROKERS_MAX];
    uint32_t n = m->member_count;
    for (uint32_t i = 0; i < n; i++) matches[i] = m->match_index[m->members[i]];
    for (uint32_t i = 1; i < n; i++) /* insertion sort, descending: n <= 32 */
        for (uint32_t j = i; j > 0 && matches[j - 1] < matches[j]; j--) {
            uint64_t t = matches[j];
            matches[j] = matches[j - 1];
            matches[j - 1] = t;
        }
    uint64_t agreed = matches[raft_majority(m) - 1];
    if (agreed > raft_last_index(m)) agreed = raft_last_index(m);
    if (agreed <= m->commit_index || agreed <= m->snapshot_index) return false;
    if (raft_term_at(m, agreed) != m->term) return false; /* older terms commit with its own */
    m->commit_index = agreed;
    return true;
}

uint64_t raft_append(raft_member *m, const raft_entry *entry)
{
    BL_ASSERT(m->role == RAFT_LEADER);
    raft_entry *e = BL_RING_PUSH_BACK(&m->log, raft_entry);
    *e = *entry;
    e->term = m->term;
    e->wal_end = 0;
    return raft_last_index(m);
}

uint32_t raft_next_batch(raft_member *m, uint32_t peer, uint64_t *first)
{
    BL_ASSERT(m->role == RAFT_LEADER && peer != m->self);
    uint64_t next = m->next_index[peer];
    uint64_t last = raft_last_index(m);
    if (next > last) return 0;
    if (m->probing[peer]) {
        if (m->probe_sent[peer]) return 0;
        m->probe_sent[peer] = true;
    }
    BL_ASSERT(next > m->snapshot_index); /* the node sends a snapshot instead */
    uint64_t in_flight = next - 1 - m->match_index[peer];
    if (in_flight >= RAFT_PIPELINE_MAX) return 0;
    uint64_t count = last - next + 1;
    if (count > RAFT_RPC_ENTRIES_MAX) count = RAFT_RPC_ENTRIES_MAX;
    if (count > RAFT_PIPELINE_MAX - in_flight) count = RAFT_PIPELINE_MAX - in_flight;
    *first = next;
    m->next_index[peer] = next + count;
    return (uint32_t)count;
}

bool raft_on_append(raft_member *m, uint32_t leader, uint64_t term, uint64_t prev_index,
                    uint64_t prev_term, const raft_entry *entries, uint32_t count,
                    uint64_t leader_commit)
{
    if (term < m->term) return false;
    if (term > m->term) raft_step_down(m, term);
    BL_ASSERTF(m->role != RAFT_LEADER, "raft: two leaders of term %llu", (unsigned long long)term);
    m->role = RAFT_FOLLOWER;
    m->leader = leader;
    m->reject_hint = raft_last_index(m);
    if (prev_index > raft_last_index(m)) return false;
    uint32_t skip = 0;
    if (prev_index < m->snapshot_index) { /* the snapshot covers them: committed, the same */
        uint64_t covered = m->snapshot_index - prev_index;
        if (covered >= count) {
            if (m->verified_index < m->snapshot_index) m->verified_index = m->snapshot_index;
            return true;
        }
        skip = (uint32_t)covered;
        prev_index = m->snapshot_index;
        prev_term = m->snapshot_term;
    } else if (raft_term_at(m, prev_index) != prev_term) {
        uint64_t conflict_term = raft_term_at(m, prev_index);
        uint64_t first = prev_index;
        while (first - 1 > m->snapshot_index && raft_term_at(m, first - 1) == conflict_term)
            first--;
        truncate_from(m, prev_index);
        m->reject_hint = first - 1;
        return false;
    }
    uint64_t index = prev_index;
    for (uint32_t i = skip; i < count; i++) {
        index++;
        if (index <= raft_last_index(m)) {
            if (raft_term_at(m, index) == entries[i].term) continue;
            truncate_from(m, index);
        }
        raft_entry *e = BL_RING_PUSH_BACK(&m->log, raft_entry);
        *e = entries[i];
        e->wal_end = 0;
    }
    if (index > m->verified_index) m->verified_index = index;
    /* what this rpc proved matches: its commit goes no further */
    uint64_t commit = leader_commit < index ? leader_commit : index;
    if (commit > m->commit_index) m->commit_index = commit;
    return true;
}

bool raft_on_append_reply(raft_member *m, uint32_t peer, uint64_t term, bool success,
                          uint64_t index)
{
    if (term > m->term) {
        raft_step_down(m, term);
        return false;
    }
    if (m->role != RAFT_LEADER || term < m->term || !raft_is_member(m, peer)) return false;
    if (index > raft_last_index(m)) index = raft_last_index(m);
    m->probe_sent[peer] = false;
    if (!success) { /* resend from after what it holds, one rpc at a time */
        m->probing[peer] = true;
        if (index + 1 < m->next_index[peer]) m->next_index[peer] = index + 1;
        if (m->match_index[peer] > index) m->match_index[peer] = index;
        return false;
    }
    m->probing[peer] = false;
    if (index > m->match_index[peer]) m->match_index[peer] = index;
    if (m->next_index[peer] <= index) m->next_index[peer] = index + 1;
    return advance_commit(m);
}

bool raft_on_written(raft_member *m, uint64_t index)
{
    if (index > raft_last_index(m)) index = raft_last_index(m);
    if (index > m->written_index) m->written_index = index;
    return m->role == RAFT_LEADER && advance_commit(m);
}

void raft_rewind_stale(raft_member *m)
{
    BL_ASSERT(m->role == RAFT_LEADER);
    for (uint32_t i = 0; i < m->member_count; i++) {
        uint32_t peer = m->members[i];
        if (peer == m->self) continue;
        if (m->match_index[peer] < raft_last_index(m) || m->match_index[peer] < m->commit_index) {
            m->next_index[peer] = m->match_index[peer] + 1;
            m->probe_sent[peer] = false; /* a probe lost: the tick sends another */
        }
    }
}

/* ---- the log's life ---- */

void raft_compact(raft_member *m, uint64_t index)
{
    BL_ASSERT(index <= m->commit_index && index <= raft_last_index(m));
    if (index <= m->snapshot_index) return;
    uint64_t term = raft_term_at(m, index);
    while (m->snapshot_index < index) {
        bl_ring_pop_front(&m->log);
        m->snapshot_index++;
    }
    m->snapshot_term = term;
    if (m->written_index < index) m->written_index = index; /* the snapshot is durable */
}

void raft_install_snapshot(raft_member *m, uint64_t index, uint64_t term)
{
    if (index <= m->snapshot_index) return;
    bool keep = index <= raft_last_index(m) && raft_term_at(m, index) == term;
    if (keep) {
        while (m->snapshot_index < index) {
            bl_ring_pop_front(&m->log);
            m->snapshot_index++;
        }
    } else {
        bl_ring_clear(&m->log);
        m->snapshot_index = index;
        m->written_index = m->verified_index = index;
    }
    m->snapshot_term = term;
    if (m->commit_index < index) m->commit_index = index;
    if (m->written_index < index) m->written_index = index;
    if (m->verified_index < index) m->verified_index = index;
}

void raft_restart(raft_member *m, uint64_t index)
{
    if (index < m->snapshot_index) index = m->snapshot_index;
    while (raft_last_index(m) > index) bl_ring_pop_back(&m->log);
    m->written_index = index;
    m->commit_index = m->snapshot_index;
    m->verified_index = 0;
    m->role = RAFT_FOLLOWER;
    m->leader = RAFT_NONE;
    memset(m->granted, 0, sizeof m->granted);
}
