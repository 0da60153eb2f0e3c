/* kafka_consumer.h — a Kafka-style consumer node and its application (see
 * kafka_consumer.c). */
#ifndef BL_KAFKA_CONSUMER_H
#define BL_KAFKA_CONSUMER_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "../../engine/ring.h"
#include "../common/dedup_store.h"
#include "../common/request_table.h"
#include "kafka_client_metadata.h"
#include "kafka_proto.h"

/* A record handed to a worker, until the commit-after-processing logic or a kill has
 * looked at it. */
typedef struct kafka_dispatched {
    int64_t offset;
    int64_t start_us, done_us;
    uint64_t msg_id;
    bool inserted; /* this instance put msg_id into the dedup store */
} kafka_dispatched;

/* A record fetched and not yet returned by poll(). */
typedef struct kafka_fetched {
    uint64_t msg_id;
    int32_t key;
    int32_t leader_epoch; /* of its batch (KAFKA_EPOCH_NONE before leader epochs) */
} kafka_fetched;

/* Bounds. A partition is fetched again only once poll() returned all it had fetched
 * (AbstractFetch.fetchablePartitions skips buffered partitions), and one fetch response adds at most fetch_max_bytes
 * (<= 1 GiB) of records of at least 9 bytes on the wire: under 2^27. Records handed to
 * workers and not yet finished are at most the buffer (<= 1,000,000) plus one poll:
 * under 2^21 per partition. */
#define KAFKA_FETCHED_MAX      (1u << 27)
#define KAFKA_DISPATCHED_MAX   (1u << 21)
#define KAFKA_POLL_RECORDS_MAX 100000u /* max_poll_records' upper bound: one poll's run */

typedef struct kafka_owned {
    bool owned;
    bool queued;            /* in the consumer's completed-fetch queue */
    int64_t position;       /* next offset poll() returns */
    int64_t fetch_offset;   /* next offset to fetch; -1 = resolve by auto_offset_reset */
    int64_t committed_sent; /* last offset sent in a commit */
    /* KIP-320 (SubscriptionState's FetchPosition and FetchState): the leader epoch of
     * the record before `position` (its offsetEpoch), the leader epoch the position was
     * last checked against (currentLeader), and AWAIT_VALIDATION: not fetched until an
     * OffsetsForLeaderEpoch answer says where the position's epoch ended */
    int32_t position_epoch;
    int32_t fetch_epoch; /* of the record before fetch_offset */
    uint32_t checked_leader_epoch;
    bool awaiting_validation;
    bool pending_revocation; /* EAGER's onJoinPrepare began: neither fetched nor polled */
    bool validation_in_flight;
    uint32_t validation_correlation;
    int64_t validation_retry_us; /* after a failed attempt: retry.backoff.ms */
    bl_ring fetched;             /* kafka_fetched not yet polled: offsets position .. */
    bl_ring dispatched;          /* kafka_dispatched, in dispatch order */
} kafka_owned;

/* What a commit in flight carries, beside its request_table slot. */
typedef struct kafka_pending_commit {
    uint32_t part_count;
    uint32_t generation; /* the member's when it was sent */
    uint32_t *partitions;
    int64_t *offsets;
} kafka_pending_commit;

/* One partition's run of the records a poll returned, held (commit: before_processing)
 * until their commit succeeded: count ids and keys from `at` in the held store. */
typedef struct kafka_held_run {
    uint32_t partition;
    int64_t base_offset;
    uint32_t count, at;
} kafka_held_run;

/* The member's place in its group: AbstractCoordinator.MemberState, and STOPPED while
 * its process is down. */
typedef enum kafka_member_state {
    KAFKA_MEMBER_STOPPED = 0,
    KAFKA_MEMBER_UNJOINED,             /* no JoinGroup in flight: it joins at its next poll
                                          when a rejoin is needed */
    KAFKA_MEMBER_PREPARING_REBALANCE,  /* its JoinGroup is parked at the coordinator */
    KAFKA_MEMBER_COMPLETING_REBALANCE, /* joined; its SyncGroup is in flight */
    KAFKA_MEMBER_STABLE,               /* it owns its assignment */
} kafka_member_state;

/* onJoinPrepare, once per rebalance (needsJoinPrepare): its commit of the owned
 * positions is waited for, up to the rebalance timeout. */
typedef enum kafka_join_prepare {
    KAFKA_JOIN_PREPARE_NONE = 0,   /* not begun */
    KAFKA_JOIN_PREPARE_COMMITTING, /* its commit is in flight */
    KAFKA_JOIN_PREPARE_RETRY,      /* the commit failed retriably: sent again after backoff */
    KAFKA_JOIN_PREPARE_DONE,       /* the join may be sent */
} kafka_join_prepare;

/* Commits wait for their answer in a window of this many correlation ids: one still
 * unanswered when its id's place in the window comes round again is given up, its
 * outcome unknown. (The coordinator rewrite gives commits request.timeout.ms instead.) */
#define KAFKA_PENDING_COMMITS_MAX           64
/* A consumer's requests in flight per broker connection, each kind one at a time: a
 * fetch, an OffsetsForLeaderEpoch, a metadata request, a FindCoordinator, a JoinGroup
 * or SyncGroup; and on the coordinator's connection the commits of the window. */
#define KAFKA_CONSUMER_REQUESTS_MAX         (5 + KAFKA_PENDING_COMMITS_MAX)
#define KAFKA_REQUEST_TIMEOUT_US            (30LL * 1000000LL) /* consumer request.timeout.ms */
#define KAFKA_CONSUMER_RETRY_BACKOFF_US     (100LL * 1000)     /* retry.backoff.ms */
#define KAFKA_CONSUMER_RETRY_BACKOFF_MAX_US (1000LL * 1000)    /* retry.backoff.max.ms */
#define KAFKA_DEFAULT_API_TIMEOUT_US \
    (60LL * 1000000LL) /* default.api.timeout.ms:
                                                                   commitSync's time */

typedef struct kafka_consumer {
    const kafka_cluster *cluster;
    const scn_consumer *config;
    kafka_consumer_options options; /* the group's Kafka client configuration */
    uint32_t group_index;
    uint32_t instance;
    sim_node *node;
    dedup_store *dedup; /* shared by the group; NULL unless dedup */
    gsl_rng *rng_processing;
    kafka_member_state member_state;
    uint32_t member_id;
    bool has_member_id;  /* the coordinator gave it (MEMBER_ID_REQUIRED) */
    uint32_t generation; /* 0: none (Generation.NO_GENERATION) */
    bool rejoin_needed;
    uint32_t join_correlation, sync_correlation; /* the JoinGroup / SyncGroup in flight */
    kafka_join_prepare join_prepare;
    uint32_t join_prepare_correlation; /* its commit */
    int64_t join_prepare_deadline_us;  /* the rebalance timeout after it began */
    int64_t join_retry_us;             /* retry.backoff.ms after a failed attempt */
    sim_timer join_timer;
    uint32_t partition_count;
    kafka_owned *partitions;
    request_table requests;         /* fetches (one per broker connection) and commits in flight */
    kafka_client_metadata metadata; /* its topic's leaders, as it knows them */
    kafka_client_metadata coordinator; /* its group's coordinator (FindCoordinator) */
    sim_timer metadata_timer;          /* the next metadata refresh attempt */
    sim_timer poll_timer;              /* max_poll_interval after the last poll, or later */
    int64_t last_poll_us;
    uint32_t rejoins;              /* member-id resets (a leave, UNKNOWN_MEMBER_ID), this process */
    kafka_pending_commit *commits; /* by request slot: what each commit carries */
    int64_t *worker_free_us;
    uint32_t *worker_streams;
    uint32_t round_robin_next;
    bl_ring ready;     /* completed-fetch queue of partition numbers (uint32_t),
                                      each at most once: at most partition_count */
    uint64_t *run_ids; /* ids of the poll's current run (one history record) */
    int32_t *run_keys; /* and their keys */
    uint32_t run_capacity;
    /* Records of partitions it gave up (revoked, or left with the group) that its workers
     * still process and that put their id in the dedup store: a kill before they finish
     * takes the id out again, as for the records of owned partitions. At most
     * KAFKA_DISPATCHED_MAX. */
    kafka_dispatched *orphans;
    uint32_t orphan_count, orphan_capacity;
    /* commit: before_processing is poll(), commitSync(), then process (the at-most-once
     * pattern): the records the poll returned wait in the held store (at most
     * max_poll_records, in runs, at most one per partition) while the application waits
     * in commitSync; a commit that fails for good drops them unprocessed. */
    kafka_held_run *held_runs;
    uint32_t held_run_count;
    uint64_t *held_ids;
    int32_t *held_keys;
    uint32_t held_count, held_capacity;
    bool commit_sync;                 /* the application waits in commitSync */
    uint32_t commit_sync_correlation; /* its commit in flight; 0: none, a retry is due */
    uint32_t commit_sync_broker;      /* where that commit went */
    int64_t commit_sync_deadline_us;  /* default.api.timeout.ms after commitSync began */
    uint32_t *sync_partitions;        /* what it commits: the positions when it began */
    int64_t *sync_offsets;
    uint32_t sync_count;
    sim_timer commit_sync_timer; /* the commit's request timeout, or its retry backoff */
    bool poll_waiting;           /* poll found nothing: a fetch response polls again */
    bool poll_scheduled;
    int64_t next_auto_commit_us;
    int64_t stall_until_us;
    uint64_t stall_held_records; /* records whose processing a stall pushed back, so far */
    uint32_t next_correlation;
    uint16_t hist_group, hist_topic;
} kafka_consumer;

kafka_consumer *kafka_consumer_create(const kafka_cluster *cluster, uint32_t group_index,
                                      uint32_t instance, dedup_store *dedup);
void kafka_consumer_free(kafka_consumer *consumer);
/* The consumer's processing cannot start before until_us (its database is down). */
void kafka_consumer_stall(kafka_consumer *consumer, int64_t until_us);
/* What a stop of the consumer hits at now_us: the partitions it owns and the records it
 * polled that its workers have not finished. */
void kafka_consumer_holding(const kafka_consumer *consumer, int64_t now_us, uint32_t *partitions,
                            uint64_t *records);

#endif
