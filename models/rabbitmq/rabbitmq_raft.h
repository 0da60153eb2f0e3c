/* rabbitmq_raft.h — one member of a quorum queue's Raft group (R10; Ra 2.x as RabbitMQ
 * 3.12-3.13 ship it: ra_server.erl): its term and vote, its log since its snapshot, what
 * its WAL has written, the commit index, and as the leader each peer's match and next
 * index. Pure bookkeeping, no simulation: the node (rabbitmq_node.c) sends the packets
 * these functions ask for, times the elections and the WAL, and applies the committed
 * commands to the queue's state machine; tests/rabbitmq/test_rabbitmq_raft.c drives it
 * by hand.
 *
 * Election (ra_server handle_follower / handle_pre_vote / handle_candidate). A follower
 * whose leader is gone runs a pre-vote first: it asks every member with its current term
 * (not incremented) and its last log index and term, and a member grants when that term
 * is not older than its own and the candidate's log is at least as up to date as its own
 * (is_candidate_log_up_to_date: a later last term, or the same last term and an index
 * not lower). A pre-vote a majority granted makes it a candidate: term + 1, a vote for
 * itself, request_vote to every member; a member votes once per term, for a candidate
 * whose log is up to date. A majority of votes makes it the leader, which appends a noop
 * of its term.
 *
 * Replication and commit. The leader appends commands to its log and sends them to each
 * follower in order, at most RAFT_RPC_ENTRIES_MAX per append_entries and at most
 * RAFT_PIPELINE_MAX in flight (ra's max_pipeline_count; RabbitMQ's
 * quorum_max_append_entries_rpc_batch_size). A follower checks that its log holds the
 * entry before them with the same term, drops what conflicts, appends the rest, and
 * answers only once its WAL has written and synced them (the `written` event): the
 * index it reports is its last written. An entry is committed once a majority's
 * written index has passed it — the leader's own counts only after its own WAL wrote it
 * — and it is of the leader's term (Raft 5.4.2: older entries commit with it). */
#ifndef BL_RABBITMQ_RAFT_H
#define BL_RABBITMQ_RAFT_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/ring.h"
#include "../../engine/scenario.h"

#define RAFT_NONE            UINT32_MAX
#define RAFT_LOG_MAX         (1u << 24) /* entries a member keeps since its snapshot */
#define RAFT_RPC_ENTRIES_MAX 16u        /* rabbit_ra_systems ?QUORUM_AER_MAX_RPC_SIZE */
#define RAFT_PIPELINE_MAX    4096u      /* ra ?DEFAULT_MAX_PIPELINE_COUNT */

typedef enum raft_role { RAFT_FOLLOWER = 0, RAFT_PRE_VOTE, RAFT_CANDIDATE, RAFT_LEADER } raft_role;

/* The commands of a quorum queue's log (rabbit_fifo's): an enqueue, a consumer's
 * checkout, the settle of one delivery, a consumer's channel gone, the leader's noop. */
typedef enum raft_op {
    RAFT_OP_NOOP = 0,
    RAFT_OP_ENQUEUE,  /* client, conn, via: the enqueuer; seq: its sequence number */
    RAFT_OP_CHECKOUT, /* client, conn, via: the consumer; seq: its tag base; origin: prefetch */
    RAFT_OP_SETTLE,   /* client, conn: the consumer; seq: the delivery tag */
    RAFT_OP_DOWN,     /* client, conn: the consumer whose channel is gone */
    RAFT_OP_SUSPECT,  /* via: the node a leader saw go: its consumers return all */
    RAFT_OP_NODEUP,   /* via: that node is up again: its consumers get deliveries again */
} raft_op;

enum {
    RAFT_FLAG_PERSISTENT = 1u << 0,
    RAFT_FLAG_NO_ACK = 1u << 1,
    RAFT_FLAG_TRACKED = 1u << 2 /* a settle whose channel waits for `applied` */
};

typedef struct raft_entry {
    uint64_t term;
    uint64_t msg_id;
    uint64_t seq;
    uint64_t wal_end; /* offset in its node's WAL after its record; 0: not yet written */
    uint32_t client, conn, via;
    uint32_t origin; /* an enqueue's RMQ_ORIGIN, a checkout's prefetch */
    int32_t key;
    uint8_t op, flags;
} raft_entry;

typedef struct raft_member {
    uint32_t self; /* node index */
    uint32_t members[SCN_BROKERS_MAX];
    uint32_t member_count;
    uint64_t term;
    uint32_t voted_for; /* in `term`; RAFT_NONE */
    raft_role role;
    uint32_t leader; /* the leader it knows of in `term`; RAFT_NONE */
    bl_ring log;     /* raft_entry, index snapshot_index + 1 onwards */
    uint64_t snapshot_index, snapshot_term;
    uint64_t written_index; /* its WAL has written and synced the log up to here */
    uint64_t commit_index;
    uint64_t verified_index; /* a follower: its log matches its leader's up to here */
    /* the leader */
    uint64_t match_index[SCN_BROKERS_MAX]; /* by node: its written index, as it said */
    uint64_t next_index[SCN_BROKERS_MAX];  /* by node: the next entry to send it */
    /* by node: after a refused append, one rpc at a time until one is accepted (a peer
     * whose log diverged is probed, not flooded) */
    bool probing[SCN_BROKERS_MAX], probe_sent[SCN_BROKERS_MAX];
    uint64_t reject_hint;    /* a follower's last refusal: resend from after this index */
    uint64_t truncated_from; /* the lowest index dropped since the node last read it (its
                                WAL must write the replacements); 0: none */
    /* a pre-vote or a candidate: who granted */
    bool granted[SCN_BROKERS_MAX];
} raft_member;

void raft_init(raft_member *m, uint32_t self, const uint32_t *members, uint32_t member_count);
void raft_free(raft_member *m);

uint64_t raft_last_index(const raft_member *m);
uint64_t raft_last_term(const raft_member *m);
/* The term of the entry at `index` (the snapshot's for its index, 0 for index 0);
 * index must be within snapshot_index .. last. */
uint64_t raft_term_at(const raft_member *m, uint64_t index);
raft_entry *raft_entry_at(raft_member *m, uint64_t index);
bool raft_is_member(const raft_member *m, uint32_t node);
uint32_t raft_majority(const raft_member *m);

/* A term seen in a message that is newer than its own: it follows, with no vote and no
 * leader known yet (update_term). */
void raft_step_down(raft_member *m, uint64_t term);

/* ---- election ---- */

/* Starts a pre-vote: the request it sends every other member is (m->term, last index,
 * last term). */
void raft_start_pre_vote(raft_member *m);
/* Whether a voter grants a pre-vote or a vote from `candidate`. A vote with a newer term
 * steps the voter down first; a granted vote is recorded. */
bool raft_grant_pre_vote(raft_member *m, uint64_t term, uint64_t last_index, uint64_t last_term);
bool raft_grant_vote(raft_member *m, uint32_t candidate, uint64_t term, uint64_t last_index,
                     uint64_t last_term);
typedef enum raft_outcome {
    RAFT_NOTHING = 0,
    RAFT_NOW_CANDIDATE, /* send request_vote (m->term, last index, last term) to all */
    RAFT_NOW_LEADER,    /* it appended its noop: announce it, send appends */
} raft_outcome;
/* It stands as a candidate (a pre-vote won, or its candidacy timed out): term + 1, its own
 * vote; a group of one leads at once. */
raft_outcome raft_start_candidacy(raft_member *m);
/* An answer to its pre-vote (pre) or its vote request, for `term`. */
raft_outcome raft_on_vote_reply(raft_member *m, uint32_t voter, uint64_t term, bool granted,
                                bool pre);

/* ---- replication ---- */

/* It leads (an election won, or the group's first leader at declaration): every peer's
 * next index after its log, and a noop of its term appended. */
void raft_become_leader(raft_member *m);
/* The leader appends a command of its term; returns its index. */
uint64_t raft_append(raft_member *m, const raft_entry *entry);
/* The first entry to send `peer` and how many (0: nothing, or the pipeline is full);
 * advances its next index past them. prev_index is first - 1. */
uint32_t raft_next_batch(raft_member *m, uint32_t peer, uint64_t *first);
/* A follower's side of append_entries from `leader`. Returns false if the term is
 * stale (the answer carries m->term) or its log does not hold prev_index with prev_term
 * (it dropped what conflicted; the answer carries reject_hint, before the first entry of
 * the conflicting term, Raft 5.3's optimisation): the leader retries from there. On success the entries are in its log, its commit index follows the
 * leader's, and it answers once its WAL has written them. */
bool raft_on_append(raft_member *m, uint32_t leader, uint64_t term, uint64_t prev_index,
                    uint64_t prev_term, const raft_entry *entries, uint32_t count,
                    uint64_t leader_commit);
/* The leader hears `peer`'s answer: its written index, or a failure with its last
 * index. Returns whether the commit index moved. */
bool raft_on_append_reply(raft_member *m, uint32_t peer, uint64_t term, bool success,
                          uint64_t index);
/* Its WAL wrote and synced the log up to `index` (the `written` event). Returns whether
 * the commit index moved (a leader). */
bool raft_on_written(raft_member *m, uint64_t index);
/* A leader: peers with entries not yet confirmed get them again from their match index
 * (ra's tick: make_rpcs for stale peers). */
void raft_rewind_stale(raft_member *m);

/* ---- the log's life ---- */

/* Drops the entries up to `index` (<= commit_index): a snapshot covers them. */
void raft_compact(raft_member *m, uint64_t index);
/* Takes a leader's snapshot at (index, term) in place of its log up to there. */
void raft_install_snapshot(raft_member *m, uint64_t index, uint64_t term);
/* Its node restarted with the log up to `index` (what its WAL kept): a follower with no
 * leader, its commit at its snapshot (term and vote are durable, ra's meta store). */
void raft_restart(raft_member *m, uint64_t index);

#endif
