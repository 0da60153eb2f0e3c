/* kafka_group.h — a consumer group's coordinator state, hosted by one broker.
 *
 * Membership is by heartbeat: a member joins with its first heartbeat and leaves when
 * its session times out (K25). Every membership change bumps the generation and
 * recomputes a range assignment over the live members sorted by member id (K26). A
 * partition moves cooperatively (KIP-429): its new owner is granted it only after the
 * old owner released it (a heartbeat no longer claiming it) or was evicted, so two
 * members never own one partition. Commits from a member that does not own the
 * partition fail (K27: a zombie's commit is rejected). Committed offsets are records in
 * the coordinator's disk file: a power loss before writeback forgets them (K30). */
#ifndef BL_KAFKA_GROUP_H
#define BL_KAFKA_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/disk.h"
#include "../../engine/ring.h"
#include "kafka_proto.h"

#define KAFKA_MEMBERS_MAX       256
#define KAFKA_NO_MEMBER         UINT32_MAX
/* The most offset writes a group keeps waiting to become durable: one per partition of
 * each commit whose record the offsets file has not written back yet. The broker drops
 * the durable ones after every commit and writeback, so what waits was committed within
 * about dirty_expire + writeback_interval (35 s at the Linux defaults), like the dirty
 * chunks of any file (DISK_DIRTY_CHUNKS_MAX); a power loss clears it. The scenarios here
 * stay below 2^15 writes. The scenario format lets dirty data stay 30 days, so no smaller
 * bound follows from a valid scenario: the bound is the ring's index limit (2^31), and
 * memory runs out first. */
#define KAFKA_OFFSET_WRITES_MAX (1u << 31)

typedef struct kafka_member {
    uint32_t member_id;
    uint32_t node_id;
    int64_t last_heartbeat_us;
} kafka_member;

typedef struct kafka_offset_write {
    uint64_t end_bytes; /* the commit record's end in the offsets file */
    uint32_t partition;
    int64_t offset;
} kafka_offset_write;

typedef struct kafka_group {
    uint16_t group_index;
    uint16_t topic;
    uint32_t partition_count;
    int64_t session_timeout_us;
    kafka_member members[KAFKA_MEMBERS_MAX];
    uint32_t member_count;
    uint32_t generation;
    uint32_t *target;           /* member id the assignment gives each partition */
    uint32_t *owner;            /* member id that holds it now */
    int64_t *committed;         /* -1 = none */
    int64_t *committed_durable; /* what survives a power loss */
    disk_file *offsets_file;
    bl_ring writes; /* kafka_offset_writes not yet durable, oldest first; at
                                    most KAFKA_OFFSET_WRITES_MAX */
} kafka_group;

void kafka_group_init(kafka_group *group, const scn_scenario *scenario, uint16_t group_index,
                      disk *d);
void kafka_group_free(kafka_group *group);
/* Coordinator restart: volatile membership is gone; power loss also loses offsets not
 * yet durable. */
void kafka_group_restart(kafka_group *group, bool power_loss);
/* Handles a heartbeat; fills the response's parts with the member's target partitions
 * (error KAFKA_OK = granted with its committed offset, KAFKA_NOT_OWNER = assigned but
 * not yet released by its previous owner). */
void kafka_group_heartbeat(kafka_group *group, const kafka_msg *request, uint32_t node_id,
                           int64_t now_us, kafka_msg *response);
kafka_error kafka_group_commit(kafka_group *group, disk *d, const kafka_msg *request,
                               int64_t now_us);
/* Evicts members whose session expired; returns the earliest future expiry. */
int64_t kafka_group_expire(kafka_group *group, int64_t now_us);
/* Applies writeback progress of the offsets file to committed_durable. */
void kafka_group_sync_durable(kafka_group *group);

#endif
