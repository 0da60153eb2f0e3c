/* kafka_group.h — a consumer group's coordinator state, and its records in the group's
 * __consumer_offsets partition.
 *
 * Membership is by heartbeat: a member joins with its first heartbeat and leaves when
 * its session times out (K25). Every membership change bumps the generation and
 * recomputes a range assignment over the live members sorted by member id (K26). A
 * partition moves cooperatively (KIP-429): its new owner is granted it only after the
 * old owner released it (a heartbeat no longer claiming it) or was evicted, so two
 * members never own one partition. Commits from a member that does not own the
 * partition fail (K27: a zombie's commit is rejected).
 *
 * The state lives in the offsets log, as Kafka's GroupCoordinatorShard keeps it
 * (OffsetCommit records, and a GroupMetadata record at every membership or ownership
 * change): kafka_coordinator.c appends the records this file encodes to the replicated
 * __consumer_offsets partition, and a broker that becomes its leader rebuilds the state
 * by replaying its replica (CoordinatorLoaderImpl, GroupMetadataManager.onLoaded:
 * members from the last group record, fresh session timers). A commit becomes visible
 * to OffsetFetch (here: the offset a grant carries) only once the high watermark passed
 * its record (the runtime's snapshot at the last committed offset). */
#ifndef BL_KAFKA_GROUP_H
#define BL_KAFKA_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/ring.h"
#include "kafka_log.h"
#include "kafka_proto.h"

/* group.max.size: a join past it is refused with GROUP_MAX_SIZE_REACHED and retried at
 * the member's next heartbeat (Kafka's default is unbounded; members of killed processes
 * linger until their session expires, so repeated restarts can pass any fixed size). */
#define KAFKA_MEMBERS_MAX                256
#define KAFKA_NO_MEMBER                  UINT32_MAX
/* The most commits of a group waiting for the high watermark: one per partition of each
 * commit appended but not replicated yet. They clear as followers fetch (a round trip)
 * or, with the ISR stuck, when the leader shrinks it (replica_lag_time_max); a member
 * commits at most every poll. The bound is the ring's index limit. */
#define KAFKA_OFFSET_WRITES_MAX          (1u << 31)
/* The most answers a coordinator holds for one group until the high watermark passes
 * the records they wait for (offsets_commit_timeout at most): each member has at most
 * its in-flight commits (KAFKA_PENDING_COMMITS_MAX, 64) and a heartbeat every interval. */
#define KAFKA_GROUP_ANSWERS_MAX          (KAFKA_MEMBERS_MAX * 128u)
/* Records of one group snapshot: a header, the members, one per partition. */
#define KAFKA_GROUP_SNAPSHOT_RECORDS_MAX (1u + KAFKA_MEMBERS_MAX + SCN_PARTITIONS_MAX)
/* Bytes of one offsets-log record (key, value, headers: an OffsetCommit record is ~80). */
#define KAFKA_GROUP_RECORD_BYTES         64

typedef struct kafka_member {
    uint32_t member_id;
    int64_t last_heartbeat_us;
} kafka_member;

typedef struct kafka_offset_write {
    int64_t end_offset; /* just after the commit's records in the offsets log */
    uint32_t partition;
    uint32_t leader_epoch; /* the committed offset's leader epoch + 1 (0: none) */
    int64_t offset;
} kafka_offset_write;

/* An answer waiting for the offsets partition's high watermark to reach
 * required_offset (kafka_coordinator.c). */
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
    int64_t session_timeout_us;
    kafka_member members[KAFKA_MEMBERS_MAX];
    uint32_t member_count;
    uint32_t generation;
    uint32_t *target;          /* member id the assignment gives each partition */
    uint32_t *owner;           /* member id that holds it now */
    int64_t *committed_stable; /* -1 = none; below the high watermark (OffsetFetch) */
    uint32_t *committed_epoch; /* its leader epoch + 1 (0: none), the committedLeaderEpoch
                                  a consumer validates the offset with (KIP-320) */
    bl_ring writes;       /* kafka_offset_writes above the high watermark, oldest first; at most
                          KAFKA_OFFSET_WRITES_MAX */
    bool changed;         /* membership, assignment or ownership changed since the last snapshot */
    int64_t snapshot_end; /* just after the last snapshot written (0 = none) */
    bl_ring answers;      /* kafka_group_answers, oldest first; at most KAFKA_GROUP_ANSWERS_MAX */
} kafka_group;

void kafka_group_init(kafka_group *group, const scn_scenario *scenario, uint16_t group_index);
/* Frees the state, and every answer still held. */
void kafka_group_free(kafka_group *group);
/* Handles a heartbeat; fills the response's parts with the member's target partitions
 * (error KAFKA_OK = granted with its committed offset, KAFKA_NOT_OWNER = assigned but
 * not yet released by its previous owner), or refuses a heartbeat of an unknown member
 * that is not its join (UNKNOWN_MEMBER_ID) and a new member past KAFKA_MEMBERS_MAX
 * (GROUP_MAX_SIZE_REACHED), nothing changed. */
void kafka_group_heartbeat(kafka_group *group, const kafka_msg *request, int64_t now_us,
                           kafka_msg *response);
/* Whether the commit may be written: the member is known and owns every partition. */
kafka_error kafka_group_check_commit(const kafka_group *group, const kafka_msg *request);
/* Encodes the commit's records (one per partition) into msg_ids/keys. */
uint32_t kafka_group_commit_records(const kafka_group *group, const kafka_msg *request,
                                    uint64_t *msg_ids, int32_t *keys);
/* The commit's records end at end_offset in the offsets log. */
void kafka_group_commit_appended(kafka_group *group, const kafka_msg *request, int64_t end_offset);
/* Encodes the membership and ownership as one snapshot (at most
 * KAFKA_GROUP_SNAPSHOT_RECORDS_MAX records); clears `changed`. */
uint32_t kafka_group_snapshot_records(kafka_group *group, uint64_t *msg_ids, int32_t *keys);
/* The offsets partition's high watermark rose to hw: commits below it become visible. */
void kafka_group_on_high_watermark(kafka_group *group, int64_t hw);
/* Rebuilds the state from a replica of the group's offsets partition: commits and the
 * last snapshot's members (sessions restarting at now_us) and ownership; what lies at or
 * above hw waits for it. */
void kafka_group_load(kafka_group *group, const kafka_log *log, int64_t hw, int64_t now_us);
/* A member leaves (LeaveGroup): removed at once, what it owned reassigned. */
void kafka_group_leave(kafka_group *group, uint32_t member_id);
/* Evicts members whose session expired; returns the earliest future expiry. */
int64_t kafka_group_expire(kafka_group *group, int64_t now_us);

#endif
