/* kafka_broker_internal.h — what the broker's four files share: kafka_broker.c (the
 * node: produce, fetch serving, timers), kafka_fetcher.c (its followers' fetchers and
 * truncation), kafka_broker_lifecycle.c (registration, heartbeats, the metadata image,
 * AlterPartition) and kafka_coordinator.c (the group coordinator on __consumer_offsets).
 * Not for the rest of the model. */
#ifndef BL_KAFKA_BROKER_INTERNAL_H
#define BL_KAFKA_BROKER_INTERNAL_H

#include "kafka_broker.h"

enum {
    BROKER_TIMER_WRITEBACK = SIM_EVENT_MODEL_BASE,
    BROKER_TIMER_FLUSH,
    BROKER_TIMER_FSYNC_DONE, /* data: a pending_fsync */
    BROKER_TIMER_FETCH_EXPIRE,
    BROKER_TIMER_GROUP_EXPIRE,
    BROKER_TIMER_RETENTION,
    BROKER_TIMER_ISR_EXPIRATION,      /* ReplicaManager's isr-expiration task */
    BROKER_TIMER_PRODUCE_EXPIRE,      /* the earliest delayed produce deadline */
    BROKER_TIMER_HW_CHECKPOINT,       /* replica.high.watermark.checkpoint.interval.ms */
    BROKER_TIMER_RECOVERY_CHECKPOINT, /* log.flush.offset.checkpoint.interval.ms */
    BROKER_TIMER_RECOVERY_DONE,       /* the logs are recovered: it may be unfenced */
    BROKER_TIMER_LIFECYCLE,           /* the next registration attempt or heartbeat */
    BROKER_EVENT_FETCHER_RETRY,       /* arg: leader: the backoff after a failed fetch ended */
    /* the fetch in flight to leader L timed out: one timer per fetcher (kafka_fetcher),
     * kind BROKER_TIMER_FETCHER_TIMEOUT + L */
    BROKER_TIMER_FETCHER_TIMEOUT,
    BROKER_TIMER_FETCHER_TIMEOUT_END = BROKER_TIMER_FETCHER_TIMEOUT + SCN_BROKERS_MAX,
};

/* The partition index of (topic, partition) in broker->partitions. */
uint32_t broker_partition_index(const kafka_broker *broker, uint32_t topic, uint32_t partition);
/* This broker's replica of (topic, partition), or NULL. */
kafka_partition *broker_replica(kafka_broker *broker, uint32_t topic, uint32_t partition);
/* The replica if this broker leads the partition now (in its own image, once it has
 * one), else NULL. */
kafka_partition *broker_led(kafka_broker *broker, uint32_t topic, uint32_t partition);
/* Partition.maybeIncrementLeaderHW over the maximal ISR. */
void broker_maybe_increment_hw(kafka_broker *broker, kafka_partition *p);
void broker_send(kafka_broker *broker, uint32_t node_id, kafka_msg *msg);
/* Appends one batch of leader epoch `epoch` and producer stamp `stamp` (KAFKA_NO_STAMP:
 * none) to a replica's log; returns the base offset or -1 (the disk refused: the broker
 * halts once the event at hand is handled). *flush: the flush policy asks for an fsync
 * now. */
int64_t broker_append(kafka_broker *broker, kafka_partition *p, const uint64_t *msg_ids,
                      const int32_t *keys, uint32_t count, uint32_t record_size_bytes,
                      int32_t epoch, kafka_producer_stamp stamp, bool *flush);
/* Appends a follower's run of the leader's batches (kafka_log_append_run), all of
 * leader epoch `epoch`, in one write; as broker_append otherwise. */
int64_t broker_append_run(kafka_broker *broker, kafka_partition *p, const uint64_t *msg_ids,
                          const int32_t *keys, const kafka_batch_header *headers,
                          uint32_t header_count, uint32_t record_size_bytes, int32_t epoch,
                          bool *flush);
/* An fsync of partition `partition_index`'s log that produce `produce_id` (0: none)
 * waits for. */
void broker_start_fsync(kafka_broker *broker, uint32_t partition_index, uint64_t produce_id);

/* kafka_fetcher.c */
void kafka_fetcher_send(kafka_broker *broker, uint32_t leader);
void kafka_fetcher_back_off(kafka_broker *broker, uint32_t leader);
/* The fetcher's timeout timer fired (it may be an earlier fetch's deadline). */
void kafka_fetcher_on_timeout(kafka_broker *broker, uint32_t leader);
void kafka_fetcher_on_response(kafka_broker *broker, const kafka_msg *response, uint32_t source);
/* Starts the fetch towards every leader this broker follows a partition at, where none
 * is in flight or backing off. */
void kafka_fetcher_start_all(kafka_broker *broker);
/* The leader's side of a follower fetch part (Partition.fetchRecords): the divergence
 * check; returns an error to answer (KAFKA_OK: serve it), and fills
 * diverging_epoch/end when the follower's log diverged. */
uint16_t kafka_fetcher_check_follower(kafka_broker *broker, const kafka_partition *p,
                                      const kafka_part *want, kafka_part *out);

/* kafka_broker_lifecycle.c */
/* The process started; `recovering`: its logs are being recovered, so it stays fenced
 * until kafka_lifecycle_ready_to_unfence. */
void kafka_lifecycle_start(kafka_broker *broker, bool recovering);
/* Log recovery is over: the next heartbeat, sent now, asks to be unfenced. */
void kafka_lifecycle_ready_to_unfence(kafka_broker *broker);
void kafka_lifecycle_on_timer(kafka_broker *broker);
/* Controller traffic and pushes; returns false for an api it does not handle. */
bool kafka_lifecycle_on_packet(kafka_broker *broker, const kafka_msg *msg);
/* Partition.submitAlterPartition: asks the controller for an ISR change, unless one is
 * pending. */
void kafka_lifecycle_propose_isr(kafka_broker *broker, kafka_partition *p, uint32_t isr_brokers);
/* Resends AlterPartition requests that went unanswered (DefaultAlterPartitionManager). */
void kafka_lifecycle_retry_alters(kafka_broker *broker);

/* kafka_coordinator.c */
/* The broker now leads offsets partition p (makeLeader): loads the groups it holds. */
void kafka_coordinator_on_lead(kafka_broker *broker, kafka_partition *p);
/* The broker no longer leads offsets partition p: unloads its groups, answering what
 * they held with NOT_COORDINATOR. */
void kafka_coordinator_on_resign(kafka_broker *broker, kafka_partition *p);
/* The process stopped: every group's state is gone, unanswered. */
void kafka_coordinator_stop(kafka_broker *broker);
/* Offsets partition p's high watermark rose. */
void kafka_coordinator_on_high_watermark(kafka_broker *broker, kafka_partition *p);
void kafka_coordinator_handle_join(kafka_broker *broker, kafka_msg *request, uint32_t source);
void kafka_coordinator_handle_sync(kafka_broker *broker, kafka_msg *request, uint32_t source);
void kafka_coordinator_handle_heartbeat(kafka_broker *broker, kafka_msg *request, uint32_t source);
void kafka_coordinator_handle_commit(kafka_broker *broker, kafka_msg *request, uint32_t source);
void kafka_coordinator_handle_leave(kafka_broker *broker, kafka_msg *request, uint32_t source);
/* The groups' deadlines (sessions, join phases, syncs, writes) and answer timeouts;
 * returns the earliest next deadline. The broker's group_timer fires at it. */
int64_t kafka_coordinator_expire(kafka_broker *broker, int64_t now_us);

#endif
