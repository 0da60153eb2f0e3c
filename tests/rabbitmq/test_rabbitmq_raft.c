/* test_rabbitmq_raft.c — a quorum queue's Raft member (R10, rabbitmq_raft.c) driven by
 * hand: pre-vote and vote with the log up-to-date rule, one vote per term, commit once a
 * majority has *written* (the leader's own entry counts only after its WAL wrote it),
 * older-term entries committed only with one of the leader's term, a follower dropping
 * what conflicts with its leader (and committing only what an rpc proved), a snapshot
 * replacing a log, and a restart keeping only what the WAL kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../models/rabbitmq/rabbitmq_raft.h"

static const uint32_t three[] = {0, 1, 2};

static raft_entry command(uint64_t id)
{
    return (raft_entry){.op = RAFT_OP_ENQUEUE, .msg_id = id};
}

/* Node 0 leads term 1 of a group of three, its noop at index 1. */
static void lead(raft_member *m)
{
    raft_init(m, 0, three, 3);
    m->term = 1;
    raft_become_leader(m);
    assert_int_equal(raft_last_index(m), 1);
}

static void commit_needs_a_majority_written(void **state)
{
    (void)state;
    raft_member m;
    lead(&m);
    raft_entry e = command(7);
    assert_int_equal(raft_append(&m, &e), 2);
    /* a follower wrote both, the leader's WAL has not: 1 of 3 */
    assert_false(raft_on_append_reply(&m, 1, 1, true, 2));
    assert_int_equal(m.commit_index, 0);
    /* its own WAL wrote them: 2 of 3 */
    assert_true(raft_on_written(&m, 2));
    assert_int_equal(m.commit_index, 2);
    raft_free(&m);
}

static void older_terms_commit_with_the_leaders_own(void **state)
{
    (void)state;
    raft_member m;
    raft_init(&m, 0, three, 3);
    /* it holds an entry of term 1 it never committed, then wins term 2 */
    raft_entry old[] = {{.term = 1, .op = RAFT_OP_ENQUEUE}};
    assert_true(raft_on_append(&m, 1, 1, 0, 0, old, 1, 0));
    raft_on_written(&m, 1);
    raft_start_pre_vote(&m);
    assert_int_equal(raft_on_vote_reply(&m, 2, 1, true, true), RAFT_NOW_CANDIDATE);
    assert_int_equal(m.term, 2);
    assert_int_equal(raft_on_vote_reply(&m, 2, 2, true, false), RAFT_NOW_LEADER);
    assert_int_equal(raft_last_index(&m), 2); /* its noop */
    /* a majority has the term-1 entry: not committed on its own (Raft 5.4.2) */
    assert_false(raft_on_append_reply(&m, 2, 2, true, 1));
    assert_int_equal(m.commit_index, 0);
    raft_on_written(&m, 2);
    assert_true(raft_on_append_reply(&m, 2, 2, true, 2));
    assert_int_equal(m.commit_index, 2);
    raft_free(&m);
}

static void vote_goes_to_an_up_to_date_log_once_per_term(void **state)
{
    (void)state;
    raft_member voter;
    raft_init(&voter, 2, three, 3);
    raft_entry entries[] = {{.term = 1}, {.term = 1}};
    assert_true(raft_on_append(&voter, 0, 1, 0, 0, entries, 2, 0));
    /* a candidate with a shorter log of the same term is refused, pre-vote or vote */
    assert_false(raft_grant_pre_vote(&voter, 1, 1, 1));
    assert_false(raft_grant_vote(&voter, 1, 2, 1, 1));
    assert_int_equal(voter.term, 2); /* the newer term is taken all the same */
    /* one with as much is granted, and no other in that term */
    assert_true(raft_grant_vote(&voter, 0, 2, 2, 1));
    assert_false(raft_grant_vote(&voter, 1, 2, 5, 1));
    /* a later last term beats a longer log */
    assert_true(raft_grant_pre_vote(&voter, 2, 1, 2));
    /* a stale term is refused */
    assert_false(raft_grant_pre_vote(&voter, 1, 9, 9));
    raft_free(&voter);
}

static void a_minority_never_elects(void **state)
{
    (void)state;
    raft_member m;
    raft_init(&m, 0, three, 3);
    raft_start_pre_vote(&m);
    /* only its own pre-vote: no term change, not a candidate */
    assert_int_equal(raft_on_vote_reply(&m, 1, 0, false, true), RAFT_NOTHING);
    assert_int_equal(m.role, RAFT_PRE_VOTE);
    assert_int_equal(m.term, 0);
    /* a vote reply for a term it is not a candidate of counts for nothing */
    assert_int_equal(raft_on_vote_reply(&m, 1, 0, true, false), RAFT_NOTHING);
    raft_free(&m);
}

static void follower_drops_what_conflicts(void **state)
{
    (void)state;
    raft_member f;
    raft_init(&f, 1, three, 3);
    raft_entry term1[] = {
        {.term = 1, .msg_id = 1}, {.term = 1, .msg_id = 2}, {.term = 1, .msg_id = 3}};
    assert_true(raft_on_append(&f, 0, 1, 0, 0, term1, 3, 1));
    raft_on_written(&f, 3);
    assert_int_equal(f.commit_index, 1);
    /* a leader of term 2 holds index 2 of term 1 and a new index 3 */
    raft_entry term2[] = {{.term = 2, .msg_id = 30}};
    assert_true(raft_on_append(&f, 2, 2, 2, 1, term2, 1, 1));
    assert_int_equal(raft_last_index(&f), 3);
    assert_int_equal(raft_entry_at(&f, 3)->msg_id, 30);
    assert_int_equal(f.written_index, 2); /* its replacement is not written yet */
    /* an append whose previous entry it does not hold with that term fails */
    assert_false(raft_on_append(&f, 2, 2, 3, 1, term2, 1, 1));
    assert_int_equal(raft_last_index(&f), 2);
    /* and a stale leader's append is refused without effect */
    assert_false(raft_on_append(&f, 0, 1, 2, 1, term1, 1, 2));
    assert_int_equal(f.term, 2);
    raft_free(&f);
}

static void follower_commits_only_what_an_rpc_proved(void **state)
{
    (void)state;
    raft_member f;
    raft_init(&f, 1, three, 3);
    raft_entry old[] = {{.term = 1}, {.term = 1}, {.term = 1}, {.term = 1}, {.term = 1}};
    assert_true(raft_on_append(&f, 0, 1, 0, 0, old, 5, 0));
    raft_on_written(&f, 5);
    /* a leader of term 2 whose log differs from index 1: its commit of 10 reaches only
     * as far as this rpc proved the logs agree */
    raft_entry fresh[] = {{.term = 2, .msg_id = 100}};
    assert_true(raft_on_append(&f, 2, 2, 0, 0, fresh, 1, 10));
    assert_int_equal(f.commit_index, 1);
    assert_int_equal(f.verified_index, 1);
    assert_int_equal(f.truncated_from, 1); /* its WAL writes the replacement */
    assert_int_equal(f.written_index, 0);
    assert_int_equal(raft_last_index(&f), 1);
    raft_free(&f);
}

static void five_members_commit_at_the_third_highest_match(void **state)
{
    (void)state;
    static const uint32_t five[] = {0, 1, 2, 3, 4};
    raft_member m;
    raft_init(&m, 0, five, 5);
    m.term = 1;
    raft_become_leader(&m);
    for (uint64_t i = 0; i < 9; i++) {
        raft_entry e = command(i);
        raft_append(&m, &e);
    }
    raft_on_written(&m, 10);
    assert_false(raft_on_append_reply(&m, 1, 1, true, 4));
    assert_int_equal(m.commit_index, 0); /* 10 and 4: two of five */
    assert_true(raft_on_append_reply(&m, 3, 1, true, 7));
    assert_int_equal(m.commit_index, 4); /* 10, 7, 4: the third highest */
    assert_true(raft_on_append_reply(&m, 1, 1, true, 9));
    assert_int_equal(m.commit_index, 7);
    raft_free(&m);
}

static void a_snapshot_replacing_the_log_resets_what_is_written(void **state)
{
    (void)state;
    raft_member f;
    raft_init(&f, 1, three, 3);
    raft_entry entries[40];
    for (int i = 0; i < 40; i++) entries[i] = (raft_entry){.term = 1};
    assert_true(raft_on_append(&f, 0, 1, 0, 0, entries, 40, 0));
    raft_on_written(&f, 40);
    /* a leader of term 3 whose snapshot at 20 (term 2) conflicts with this log */
    raft_step_down(&f, 3);
    raft_install_snapshot(&f, 20, 2);
    assert_int_equal(raft_last_index(&f), 20);
    assert_int_equal(f.written_index, 20);
    assert_int_equal(f.commit_index, 20);
    raft_free(&f);
}

static void pipeline_batches_and_rewinds(void **state)
{
    (void)state;
    raft_member m;
    lead(&m);
    for (uint64_t i = 0; i < 40; i++) {
        raft_entry e = command(i);
        raft_append(&m, &e);
    }
    uint64_t first = 0;
    assert_int_equal(raft_next_batch(&m, 1, &first), RAFT_RPC_ENTRIES_MAX);
    assert_int_equal(first, 1);
    assert_int_equal(raft_next_batch(&m, 1, &first), RAFT_RPC_ENTRIES_MAX);
    assert_int_equal(first, 17);
    assert_int_equal(raft_next_batch(&m, 1, &first), 41 - 32);
    assert_int_equal(raft_next_batch(&m, 1, &first), 0);
    /* the first rpcs were lost: the tick sends again from its match */
    raft_rewind_stale(&m);
    assert_int_equal(raft_next_batch(&m, 1, &first), RAFT_RPC_ENTRIES_MAX);
    assert_int_equal(first, 1);
    raft_free(&m);
}

static void restart_keeps_what_the_wal_kept(void **state)
{
    (void)state;
    raft_member f;
    raft_init(&f, 1, three, 3);
    raft_entry entries[] = {{.term = 1}, {.term = 1}, {.term = 1}};
    assert_true(raft_on_append(&f, 0, 1, 0, 0, entries, 3, 2));
    raft_compact(&f, 1);
    raft_restart(&f, 2);
    assert_int_equal(raft_last_index(&f), 2);
    assert_int_equal(f.commit_index, 1); /* its snapshot's; the rest it learns again */
    assert_int_equal(f.role, RAFT_FOLLOWER);
    assert_int_equal(f.leader, RAFT_NONE);
    assert_int_equal(f.term, 1); /* durable */
    raft_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_needs_a_majority_written),
        cmocka_unit_test(older_terms_commit_with_the_leaders_own),
        cmocka_unit_test(vote_goes_to_an_up_to_date_log_once_per_term),
        cmocka_unit_test(a_minority_never_elects),
        cmocka_unit_test(follower_drops_what_conflicts),
        cmocka_unit_test(follower_commits_only_what_an_rpc_proved),
        cmocka_unit_test(five_members_commit_at_the_third_highest_match),
        cmocka_unit_test(a_snapshot_replacing_the_log_resets_what_is_written),
        cmocka_unit_test(pipeline_batches_and_rewinds),
        cmocka_unit_test(restart_keeps_what_the_wal_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
