/* kafka_group.h — a consumer group as its coordinator runs it with the classic rebalance
 * protocol (GroupMetadataManager's classicGroup* handlers, ClassicGroup,
 * ClassicGroupMember), and its records in the group's __consumer_offsets partition.
 *
 * States EMPTY, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE (K25, K26). A member
 * joins with JoinGroup: without a member id it is given one (MEMBER_ID_REQUIRED) and
 * joins again with it. A join, a leave or a session expiry starts a rebalance
 * (PREPARING_REBALANCE): members learn of it from their heartbeats
 * (REBALANCE_IN_PROGRESS) and join again. The join phase completes when every member
 * has rejoined, or at the rebalance timeout (the largest max.poll.interval.ms) with
 * the others removed; a new group first waits group.initial.rebalance.delay.ms, longer
 * while members keep arriving. Completion bumps the generation and answers every
 * joiner; the leader's SyncGroup brings the assignment (computed here with the
 * group's assignor, kafka_assignor.c), which is written as a GroupMetadata record, and
 * every SyncGroup is answered once that record is committed: the group is STABLE.
 * Heartbeats and commits of another generation get ILLEGAL_GENERATION, of an unknown
 * member UNKNOWN_MEMBER_ID, a commit during COMPLETING_REBALANCE REBALANCE_IN_PROGRESS
 * (ClassicGroup.validateOffsetCommit): a zombie's commit is refused (K27).
 *
 * The state lives in the offsets log as Kafka's GroupCoordinatorShard keeps it
 * (OffsetCommit records, a GroupMetadata record at each assignment and when the group
 * empties): kafka_coordinator.c appends what this file encodes to the replicated
 * partition, and a broker that becomes its leader rebuilds the group by replaying its
 * replica (CoordinatorLoaderImpl, GroupMetadataManager.onLoaded: the members of the last
 * GroupMetadata record, STABLE, fresh session timers). A commit becomes visible to
 * OffsetFetch (here: the offsets a SyncGroup answer carries) once the high watermark
 * passed its record. */
#ifndef BL_KAFKA_GROUP_H
#define BL_KAFKA_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/ring.h"
#include "kafka_log.h"
#include "kafka_proto.h"

/* group.max.size: a join past it is refused with GROUP_MAX_SIZE_REACHED (Kafka's default
 * is unbounded; members of killed processes linger until their session expires, so
 * repeated restarts can pass any fixed size). */
#define KAFKA_MEMBERS_MAX                256
#define KAFKA_NO_MEMBER                  UINT32_MAX
/* GroupMetadataManager's classicGroupNewMemberJoinTimeoutMs: a new member's join is held
 * at most this long (its socket is muted while parked, so no session applies). */
#define KAFKA_NEW_MEMBER_JOIN_TIMEOUT_US (300LL * 1000000)
/* offsets.commit.timeout.ms: a write of the coordinator (a commit, an assignment) not
 * committed by then fails (REQUEST_TIMED_OUT, COORDINATOR_NOT_AVAILABLE). */
#define KAFKA_OFFSETS_COMMIT_TIMEOUT_US  (5LL * 1000000)
/* The most commits of a group waiting for the high watermark: one per partition of each
 * commit appended but not replicated yet. They clear as followers fetch (a round trip)
 * or, with the ISR stuck, when the leader shrinks it (replica_lag_time_max); a member
 * commits at most every poll. The bound is the ring's index limit. */
#define KAFKA_OFFSET_WRITES_MAX          (1u << 31)
/* The most answers a coordinator holds for one group: commits waiting for the high
 * watermark (offsets_commit_timeout at most; each member has at most its in-flight
 * commits, KAFKA_PENDING_COMMITS_MAX, 64) and answers about to be sent (one join or
 * sync answer per member). */
#define KAFKA_GROUP_ANSWERS_MAX          (KAFKA_MEMBERS_MAX * 128u)
/* Records of one GroupMetadata snapshot: a header, the leader, the members, one per
 * partition. */
#define KAFKA_GROUP_SNAPSHOT_RECORDS_MAX (2u + KAFKA_MEMBERS_MAX + SCN_PARTITIONS_MAX)
/* Bytes of one offsets-log record (key, value, headers: an OffsetCommit record is ~80). */
#define KAFKA_GROUP_RECORD_BYTES         64

typedef enum kafka_group_state {
    KAFKA_GROUP_EMPTY = 0,
    KAFKA_GROUP_PREPARING_REBALANCE,
    KAFKA_GROUP_COMPLETING_REBALANCE,
    KAFKA_GROUP_STABLE,
} kafka_group_state;

/* The rebalance protocol the group's assignor supports (ConsumerPartitionAssignor's
 * RebalanceProtocol): RangeAssignor is EAGER only, CooperativeStickyAssignor
 * COOPERATIVE. */
typedef enum kafka_rebalance_protocol {
    KAFKA_PROTOCOL_EAGER = 0,
    KAFKA_PROTOCOL_COOPERATIVE,
} kafka_rebalance_protocol;

/* A request held until the group answers it (a parked JoinGroup or SyncGroup). */
typedef struct kafka_held_request {
    bool held;
    uint32_t correlation_id;
    uint32_t source; /* node id */
} kafka_held_request;

typedef struct kafka_member {
    uint32_t member_id;
    bool pending;      /* given its id (MEMBER_ID_REQUIRED), not joined yet (pendingMembers) */
    bool is_new;       /* joined, its first join not completed yet */
    bool pending_sync; /* its join completed, its SyncGroup not received yet */
    int64_t session_deadline_us; /* heartbeat expiry; INT64_MAX: none armed */
    kafka_held_request join, sync;
    /* its subscription's ownedPartitions (cooperative) and their generation */
    uint32_t *owned;
    uint32_t owned_count, owned_generation;
} kafka_member;

typedef struct kafka_offset_write {
    int64_t end_offset; /* just after the commit's records in the offsets log */
    uint32_t partition;
    uint32_t leader_epoch; /* the committed offset's leader epoch + 1 (0: none) */
    int64_t offset;
} kafka_offset_write;

/* A response to send: at once (the outbox) or once the offsets partition's high
 * watermark reaches required_offset (a commit's answer, kafka_coordinator.c). */
typedef struct kafka_group_answer {
    kafka_msg *response;
    uint32_t destination; /* node id */
    int64_t required_offset;
    int64_t deadline_us;
} kafka_group_answer;

typedef struct kafka_group {
    uint16_t group_index;
    uint16_t topic;
    uint32_t partition_count;
    kafka_rebalance_protocol protocol;
    int64_t session_timeout_us;
    int64_t rebalance_timeout_us; /* the members' max.poll.interval.ms */
    int64_t initial_delay_us;     /* group.initial.rebalance.delay.ms */
    kafka_group_state state;
    uint32_t generation;
    uint32_t leader_id;                      /* KAFKA_NO_MEMBER: none */
    kafka_member members[KAFKA_MEMBERS_MAX]; /* sorted by member id */
    uint32_t member_count;                   /* pending members included */
    /* the join phase: its deadline (the rebalance timeout, or the initial delay's end),
     * and for a new group's initial rebalance the delay's state */
    int64_t join_deadline_us; /* INT64_MAX: none */
    bool initial_rebalance, new_member_added;
    int64_t initial_delay_step_us, initial_remaining_us;
    int64_t sync_deadline_us; /* pending SyncGroups expire (schedulePendingSync) */
    /* the leader's assignment, written and not yet committed */
    bool assignment_writing;
    int64_t assignment_end, assignment_deadline_us;
    uint32_t *assignment;      /* member id each partition is assigned to, this generation */
    int64_t *committed_stable; /* -1 = none; below the high watermark (OffsetFetch) */
    uint32_t *committed_epoch; /* its leader epoch + 1 (0: none), the committedLeaderEpoch
                                  a consumer validates the offset with (KIP-320) */
    bl_ring writes;  /* kafka_offset_writes above the high watermark, oldest first; at most
                          KAFKA_OFFSET_WRITES_MAX */
    bool changed;    /* a GroupMetadata record is due */
    bl_ring answers; /* commit answers waiting for the high watermark, oldest first; at most
                        KAFKA_GROUP_ANSWERS_MAX */
    bl_ring outbox;  /* answers to send now (kafka_group_answer, required_offset 0): joins,
                        syncs, heartbeats; at most KAFKA_GROUP_ANSWERS_MAX */
} kafka_group;

/* initial_delay_us: the broker's group.initial.rebalance.delay.ms. */
void kafka_group_init(kafka_group *group, const scn_scenario *scenario, uint16_t group_index,
                      int64_t initial_delay_us);
/* Frees the state, and every answer still held. */
void kafka_group_free(kafka_group *group);

/* The group's handlers. Each queues its answer (and those it completes for other
 * members) in `outbox` and may set `changed` (a GroupMetadata record to write); the
 * request stays the caller's. */
/* JoinGroup: request->no_member_id, member_id (the id the client would be given),
 * generation, parts = its owned partitions (cooperative). */
void kafka_group_join(kafka_group *group, const kafka_msg *request, uint32_t source,
                      int64_t now_us);
/* SyncGroup: the leader's brings the assignment (computed here); answered once the
 * GroupMetadata record carrying it is committed (kafka_group_assignment_written). */
void kafka_group_sync(kafka_group *group, const kafka_msg *request, uint32_t source,
                      int64_t now_us);
void kafka_group_heartbeat(kafka_group *group, const kafka_msg *request, uint32_t source,
                           int64_t now_us);
/* LeaveGroup: the member goes now (or a pending member). */
void kafka_group_leave(kafka_group *group, uint32_t member_id, int64_t now_us);
/* Session expiries, the join phase's deadline, pending syncs, an assignment write that
 * did not commit in time; returns the next deadline. */
int64_t kafka_group_tick(kafka_group *group, int64_t now_us);

/* OffsetCommit (ClassicGroup.validateOffsetCommit). */
kafka_error kafka_group_check_commit(const kafka_group *group, const kafka_msg *request);
/* Encodes the commit's records (one per partition) into msg_ids/keys. */
uint32_t kafka_group_commit_records(const kafka_group *group, const kafka_msg *request,
                                    uint64_t *msg_ids, int32_t *keys);
/* The commit's records end at end_offset in the offsets log. */
void kafka_group_commit_appended(kafka_group *group, const kafka_msg *request, int64_t end_offset);

/* Encodes the GroupMetadata record (generation, leader, members, assignment) as at most
 * KAFKA_GROUP_SNAPSHOT_RECORDS_MAX records; clears `changed`. */
uint32_t kafka_group_snapshot_records(kafka_group *group, uint64_t *msg_ids, int32_t *keys);
/* The snapshot ends at end_offset (-1: the disk refused it, which fails the SyncGroups
 * waiting for it with NOT_COORDINATOR, as appendGroupMetadataErrorToResponseError maps
 * KAFKA_STORAGE_ERROR). */
void kafka_group_snapshot_appended(kafka_group *group, int64_t end_offset, int64_t now_us);
/* The offsets partition's high watermark rose to hw: commits below it become visible,
 * and an assignment record below it makes the group STABLE. */
void kafka_group_on_high_watermark(kafka_group *group, int64_t hw);
/* Rebuilds the state from a replica of the group's offsets partition: commits, and the
 * last snapshot's generation, leader, members (sessions restarting at now_us) and
 * assignment; what lies at or above hw waits for it. */
void kafka_group_load(kafka_group *group, const kafka_log *log, int64_t hw, int64_t now_us);

/* The coordinator resigns: every held JoinGroup and SyncGroup is answered
 * NOT_COORDINATOR (in the outbox). */
void kafka_group_unload(kafka_group *group);
/* Members, pending ones not counted. */
uint32_t kafka_group_size(const kafka_group *group);

#endif
