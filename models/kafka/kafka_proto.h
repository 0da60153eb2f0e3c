/* kafka_proto.h — the messages Kafka-style clients and brokers exchange, and the
 * cluster metadata every node shares (partition leaders, group coordinators).
 *
 * Every packet is one `kafka_msg`: a request or response of one API, with its arrays
 * allocated alongside. Sizes on the wire are the payload bytes plus a fixed overhead per
 * request and per batch, so bandwidth is charged for what a broker would really send. */
#ifndef BL_KAFKA_PROTO_H
#define BL_KAFKA_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/scenario.h"
#include "../../engine/sim.h"
#include "kafka_metadata.h"
#include "kafka_options.h"
#include "kafka_log.h"
#include "kafka_producer_state.h"

#define KAFKA_REQUEST_OVERHEAD_BYTES 64
#define KAFKA_BATCH_OVERHEAD_BYTES   61
#define KAFKA_RECORD_OVERHEAD_BYTES  8
/* The most records one message holds, over all of its parts: a message's size on the
 * wire fits 32 bits (asserted by kafka_msg_size_bytes) and each record costs at least
 * KAFKA_RECORD_OVERHEAD_BYTES of it, so a message that can be sent holds fewer than
 * 2^32 / 8 = 2^29 records. (The scenarios here stay below 20,000: a fetch response.) */
#define KAFKA_MSG_RECORDS_MAX        (1u << 29)

typedef enum kafka_api {
    KAFKA_PRODUCE_REQUEST = 0,
    KAFKA_PRODUCE_RESPONSE,
    KAFKA_FETCH_REQUEST,
    KAFKA_FETCH_RESPONSE,
    KAFKA_HEARTBEAT_REQUEST,
    KAFKA_HEARTBEAT_RESPONSE,
    KAFKA_COMMIT_REQUEST,
    KAFKA_COMMIT_RESPONSE,
    KAFKA_METADATA_REQUEST, /* client -> any broker: the leaders of its topic */
    KAFKA_METADATA_RESPONSE,
    KAFKA_BROKER_REGISTRATION_REQUEST, /* broker -> controller, at every process start */
    KAFKA_BROKER_REGISTRATION_RESPONSE,
    KAFKA_BROKER_HEARTBEAT_REQUEST, /* broker -> controller, every heartbeat interval */
    KAFKA_BROKER_HEARTBEAT_RESPONSE,
    KAFKA_ALTER_PARTITION_REQUEST, /* leader -> controller: an ISR change */
    KAFKA_ALTER_PARTITION_RESPONSE,
    KAFKA_METADATA_PUSH, /* controller -> brokers: the committed image (the brokers'
                            long-polling fetch of __cluster_metadata, answered at once) */
    KAFKA_OFFSETS_FOR_LEADER_EPOCH_REQUEST, /* consumer -> leader: where did the epoch of
                                               my position end (KIP-320) */
    KAFKA_OFFSETS_FOR_LEADER_EPOCH_RESPONSE,
    KAFKA_LEAVE_GROUP_REQUEST, /* consumer -> coordinator: it leaves (its poll timed out) */
    KAFKA_LEAVE_GROUP_RESPONSE,
    KAFKA_INIT_PRODUCER_ID_REQUEST, /* idempotent producer -> least loaded broker: its id */
    KAFKA_INIT_PRODUCER_ID_RESPONSE,
    KAFKA_JOIN_GROUP_REQUEST, /* consumer -> coordinator: (re)join, with its owned partitions */
    KAFKA_JOIN_GROUP_RESPONSE,
    KAFKA_SYNC_GROUP_REQUEST,  /* consumer -> coordinator: the leader's carries the assignment */
    KAFKA_SYNC_GROUP_RESPONSE, /* the member's partitions, with their committed offsets */
} kafka_api;

typedef enum kafka_error {
    KAFKA_OK = 0,
    KAFKA_NOT_LEADER,     /* NOT_LEADER_OR_FOLLOWER: retriable */
    KAFKA_STORAGE_ERROR,  /* disk full: retriable */
    KAFKA_UNKNOWN_MEMBER, /* UNKNOWN_MEMBER_ID: a member the group does not know */
    KAFKA_OFFSET_OUT_OF_RANGE,
    KAFKA_REQUEST_TIMED_OUT,   /* acks=all: the ISR did not reach it in time; retriable,
                                    maybe written */
    KAFKA_NOT_ENOUGH_REPLICAS, /* acks=all, ISR below min.insync.replicas: not appended */
    KAFKA_NOT_ENOUGH_REPLICAS_AFTER_APPEND, /* appended, but the ISR shrank below
                                               min.insync.replicas meanwhile */
    KAFKA_FENCED_LEADER_EPOCH,              /* a request with an older leader epoch */
    KAFKA_UNKNOWN_LEADER_EPOCH,             /* a request with a newer one than this broker knows */
    KAFKA_INVALID_UPDATE_VERSION,           /* AlterPartition on an older partition epoch */
    KAFKA_INELIGIBLE_REPLICA,               /* AlterPartition adding a fenced broker */
    KAFKA_DUPLICATE_BROKER_REGISTRATION,    /* another incarnation's session is still valid */
    KAFKA_STALE_BROKER_EPOCH,               /* a heartbeat of an older registration */
    KAFKA_NOT_COORDINATOR,        /* the broker does not lead the group's __consumer_offsets
                              partition (any more): find the coordinator again */
    KAFKA_GROUP_MAX_SIZE_REACHED, /* a join past group.max.size: try again later */
    KAFKA_OUT_OF_ORDER_SEQUENCE,  /* OUT_OF_ORDER_SEQUENCE_NUMBER: a gap or a new epoch not at 0 */
    KAFKA_INVALID_PRODUCER_EPOCH, /* a batch of an older producer epoch */
    KAFKA_COORDINATOR_LOAD_IN_PROGRESS, /* InitProducerId: no producer id block yet */
    KAFKA_MEMBER_ID_REQUIRED,           /* JoinGroup without a member id: here is one, join again */
    KAFKA_REBALANCE_IN_PROGRESS,        /* heartbeat, sync, commit: the group rebalances */
    KAFKA_ILLEGAL_GENERATION,           /* heartbeat, sync, commit of another generation */
    KAFKA_COORDINATOR_NOT_AVAILABLE,    /* the assignment's record did not commit in time */
} kafka_error;

/* A follower fetch response's records come as the leader's batches, each with its
 * producer stamp (kafka_batch_header): a follower appends them as they came, so the
 * producer state replicates through the batch headers (ProducerStateManager on
 * followers). */

/* One partition's part of a request or response. */
typedef struct kafka_part {
    uint16_t topic;
    uint32_t partition;
    int64_t offset; /* produce resp: base offset; fetch req: fetch offset;
                              fetch resp: offset of records[0]; commit: offset */
    int64_t high_watermark;
    int64_t log_start_offset;   /* fetch resp: the leader's log start */
    int64_t log_end_offset;     /* fetch resp: the leader's LEO (what a follower above it
                                 truncates to; Kafka's follower asks ListOffsets for it) */
    uint32_t batch_id;          /* produce: the producer's batch id */
    kafka_producer_stamp stamp; /* produce req: the batch's producer id, epoch, sequence */
    /* follower fetch resp: the records' batches, batch_count entries of the message's
     * batch store from batches_at (kafka_part_add_batch); 0: one batch, no stamp */
    uint32_t batches_at, batch_count;
    /* metadata, AlterPartition and push parts: the partition's state; fetch and
     * OffsetsForLeaderEpoch requests: leader_epoch = the client's current leader epoch
     * (KIP-320); SyncGroup answers and commits: the offset's leader epoch + 1 (0: none) */
    uint16_t leader;
    uint32_t leader_epoch, partition_epoch, isr_brokers;
    int32_t last_fetched_epoch; /* follower fetch req: epoch of its last batch, -1 none */
    int32_t records_epoch;      /* fetch resp: the leader epoch of the records;
                                   OffsetsForLeaderEpoch req: the epoch asked about */
    int32_t diverging_epoch;    /* follower fetch resp: -1, or where the logs diverged;
                                   OffsetsForLeaderEpoch resp: the epoch found, or -1 */
    int64_t diverging_end;      /* ... and the end offset of that epoch at the leader */
    uint16_t error;             /* kafka_error */
    uint32_t count;             /* records */
    uint64_t *msg_ids;          /* produce req / fetch resp: count ids (kafka_part_records) */
    int32_t *keys;              /* produce req / fetch resp: count keys (-1 = none) */
    uint32_t records_at;        /* where msg_ids/keys start in the message's record store */
    uint32_t record_size_bytes;
    uint32_t max_bytes; /* fetch req: max.partition.fetch.bytes */
} kafka_part;

typedef struct kafka_msg {
    kafka_api api;
    uint32_t correlation_id;
    uint16_t group;     /* group requests: consumer entry index */
    uint32_t member_id; /* group requests */
    uint32_t generation;
    uint16_t error;            /* whole-request error (heartbeat/commit) */
    int64_t max_wait_us;       /* fetch: fetch.max.wait.ms */
    uint64_t min_bytes;        /* fetch: fetch.min.bytes */
    uint8_t acks;              /* produce: 0, 1, or 2 = all */
    int64_t timeout_us;        /* produce: ProduceRequest.timeoutMs (the producer's
                            request.timeout.ms): how long acks=all waits for the ISR */
    bool from_follower;        /* fetch: sent by a follower's fetcher (replica_id >= 0) */
    uint16_t replica_id;       /* fetch from a follower, broker requests: its broker index */
    uint32_t broker_epoch;     /* registration resp, heartbeat req: the broker's epoch */
    uint32_t incarnation;      /* registration req: the process start it comes from */
    bool want_fence;           /* heartbeat req: not ready to serve yet */
    bool no_member_id;         /* JoinGroup req: the member has no id yet (member_id is the
                                one it is to be given, kept deterministic) */
    uint32_t leader_member_id; /* JoinGroup resp: the group's leader */
    bool fenced;               /* heartbeat resp */
    uint64_t image_offset;     /* heartbeat req: the broker's; image parts: the image's */
    uint32_t fenced_brokers;   /* image parts: the fenced set */
    uint32_t part_count;
    kafka_part *parts; /* part_count entries */
    /* Storage, kept when the message goes back to the pool: */
    uint32_t part_capacity;
    /* The record store: every part's ids and keys, one part after the other, in two
     * parallel arrays of records_capacity entries, at most KAFKA_MSG_RECORDS_MAX. */
    uint64_t *record_ids;
    int32_t *record_keys;
    uint32_t records_used, records_capacity;
    /* The batch store: every part's batches, one part after the other, at most
     * KAFKA_MSG_RECORDS_MAX (a batch holds a record at least). */
    kafka_batch_header *batch_store;
    uint32_t batches_used, batches_capacity;
    uint32_t producer_id; /* InitProducerId resp */
} kafka_msg;

#define KAFKA_MSG_POOL_MAX 1024 /* freed messages kept for reuse, with their storage */

/* Messages come from a pool: a packet costs no malloc once the pool is warm. The new
 * message is zeroed (but its storage); its parts are zeroed. */
kafka_msg *kafka_msg_new(kafka_api api, uint32_t part_count);
void kafka_msg_free(void *payload);
/* Gives a message `part_count` zeroed parts (its earlier parts are dropped). */
void kafka_msg_set_part_count(kafka_msg *msg, uint32_t part_count);
/* Points parts[part_index].msg_ids/keys at room for `count` records in the message's
 * store and sets its count. */
void kafka_part_records(kafka_msg *msg, uint32_t part_index, uint32_t count);
/* Adds one batch of `count` records to parts[part_index]'s batches (the part's batches
 * are added together, after any other part's). */
void kafka_part_add_batch(kafka_msg *msg, uint32_t part_index, uint32_t count,
                          kafka_producer_stamp stamp);
/* Frees the pooled messages (at the end of a run). */
void kafka_msg_pool_drain(void);
/* sim_node_ops.free_data of clients, whose only event data are packets. */
void kafka_free_packet(uint32_t kind, void *data);
/* Bytes on the wire. */
uint32_t kafka_msg_size_bytes(const kafka_msg *msg);

/* Cluster-wide facts every node of a run shares; who leads what is in `metadata`. */
/* The grants of one group's partitions, for the harness's check that no partition goes
 * to two members in one generation (asserted at every grant, kafka_consumer.c): each
 * partition's last grant, by lineage and generation. A generation number is reused only
 * when the group's committed records were lost (a power loss of every replica of its
 * __consumer_offsets partition): a coordinator that loads an older generation than was
 * granted starts a new lineage (kafka_coordinator.c). */
typedef struct kafka_grants {
    uint32_t *lineage, *generation, *member_id; /* by partition */
    uint32_t current_lineage;
    uint32_t max_generation; /* granted in the current lineage */
} kafka_grants;

typedef struct kafka_cluster {
    const scn_scenario *scenario;
    kafka_cluster_options options;                  /* the scenario's Kafka cluster keys */
    kafka_topic_options topics[SCN_TOPICS_MAX + 1]; /* each topic's Kafka keys, then
                                                       __consumer_offsets' */
    kafka_metadata metadata; /* leaders, epochs, ISR, coordinators: the ISR changes
                                through kafka_metadata_set_isr only */
    sim_node *brokers[SCN_BROKERS_MAX];
    uint32_t broker_count;
    sim_node *controller; /* the KRaft controller's node (kafka_controller.c) */
    kafka_grants *grants; /* by group: the ownership check's state (not the model's) */
    /* The controller's next producer id block (ProducerIdControlManager), from 1: ids
     * are unique in the run, and 0 is KAFKA_NO_PRODUCER_ID. */
    uint32_t next_producer_id_block;
} kafka_cluster;

/* The broker index of node `node_id`, which must be a broker (clients hear only from
 * brokers). */
uint32_t kafka_broker_index(const kafka_cluster *cluster, uint32_t node_id);
/* Kafka's default partitioner for keyed records: murmur2 of the key, mod partitions. */
uint32_t kafka_partition_for_key(int64_t key, uint32_t partition_count);

#endif
