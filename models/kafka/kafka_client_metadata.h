/* kafka_client_metadata.h — what a client knows of its topic's leaders
 * (clients/src/main/java/org/apache/kafka/clients/Metadata.java and the metadata part of
 * NetworkClient): its own copy, refreshed by a MetadataRequest to a broker.
 *
 * A refresh is asked for after an invalid-metadata error (NOT_LEADER_OR_FOLLOWER and the
 * like), after a request timed out or its connection broke (handleServerDisconnect), and
 * every metadata.max.age.ms (5 min). It goes to the broker with the fewest requests in
 * flight from this client among those whose connection did not break since they last
 * answered (leastLoadedNode prefers connected nodes), ties broken in turn from the last
 * one asked; a broker whose connection broke is tried again only when no other is left,
 * after its reconnect backoff (reconnect.backoff.ms 50 ms doubling to 1 s); an unanswered one fails after request.timeout.ms, and attempts back off from
 * retry.backoff.ms doubling to retry.backoff.max.ms. An answer replaces a partition's
 * leader only with one of an equal or newer leader epoch (Metadata.updateLatestMetadata,
 * KIP-320). A partition without a known leader is not sendable. */
#ifndef BL_KAFKA_CLIENT_METADATA_H
#define BL_KAFKA_CLIENT_METADATA_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/request_table.h"
#include "kafka_proto.h"

#define KAFKA_METADATA_MAX_AGE_US (300LL * 1000000LL) /* metadata.max.age.ms */

typedef struct kafka_client_metadata {
    const kafka_cluster *cluster;
    uint32_t topic, partition_count;
    uint16_t *leader;       /* per partition: broker index or KAFKA_NO_LEADER */
    uint32_t *leader_epoch; /* per partition */
    bool update_wanted;
    bool in_flight;
    uint32_t in_flight_to; /* broker */
    uint32_t correlation_id;
    int64_t deadline_us;     /* of the request in flight */
    int64_t next_attempt_us; /* backoff */
    int64_t last_refresh_us;
    uint32_t failed_attempts;
    uint32_t last_node;
    int64_t timeout_us, backoff_us, backoff_max_us;
    /* FindCoordinator: asks for one __consumer_offsets partition's leader, only when
     * wanted (no metadata.max.age.ms refresh) */
    bool find_coordinator;
    uint32_t find_partition;
    bool disconnected[SCN_BROKERS_MAX];       /* broke since it last answered */
    int64_t reconnect_at_us[SCN_BROKERS_MAX]; /* its reconnect backoff ends */
    uint32_t reconnect_failures[SCN_BROKERS_MAX];
} kafka_client_metadata;

/* The client's view at its start: the cluster's metadata as it stands. */
void kafka_client_metadata_init(kafka_client_metadata *m, const kafka_cluster *cluster,
                                uint32_t topic, int64_t timeout_us, int64_t backoff_us,
                                int64_t backoff_max_us, int64_t now_us);
/* A consumer's coordinator lookup (FindCoordinator, answered by any broker from its
 * image): the leader of group `group`'s __consumer_offsets partition. */
void kafka_client_metadata_init_coordinator(kafka_client_metadata *m, const kafka_cluster *cluster,
                                            uint32_t group, int64_t timeout_us, int64_t backoff_us,
                                            int64_t backoff_max_us);
/* The coordinator as the lookup knows it: a broker index or KAFKA_NO_LEADER. */
uint16_t kafka_client_metadata_coordinator(const kafka_client_metadata *m);
void kafka_client_metadata_free(kafka_client_metadata *m);
uint16_t kafka_client_metadata_leader(const kafka_client_metadata *m, uint32_t partition);
void kafka_client_metadata_want_update(kafka_client_metadata *m);
#define KAFKA_NO_NODE UINT32_MAX
/* NetworkClient.leastLoadedNode as this client's connections stand (`in_flight`: its
 * requests in flight per broker): a broker index, or KAFKA_NO_NODE with *wait_until_us
 * the end of the first reconnect backoff. */
uint32_t kafka_client_metadata_least_loaded(const kafka_client_metadata *m, int64_t now_us,
                                            const uint32_t *in_flight, int64_t *wait_until_us);
/* If a refresh is due now, builds it (to *broker) and returns it; `in_flight` gives the
 * client's requests in flight per broker, for leastLoadedNode. */
kafka_msg *kafka_client_metadata_poll(kafka_client_metadata *m, int64_t now_us,
                                      const uint32_t *in_flight, uint32_t *broker);
/* Sends the refresh from `node` if one is due, leastLoadedNode counted from the client's
 * requests in flight. */
void kafka_client_metadata_send_due(kafka_client_metadata *m, sim_node *node,
                                    const request_table *requests, int64_t now_us);
/* An answer from `broker`; returns whether a leader changed. */
bool kafka_client_metadata_on_response(kafka_client_metadata *m, const kafka_msg *response,
                                       uint32_t broker, int64_t now_us);
/* Whether a request may go to `broker` now: not while its connection is in reconnect
 * backoff (NetworkClient.ready / ClusterConnectionStates.canConnect). */
bool kafka_client_metadata_can_send(const kafka_client_metadata *m, uint32_t broker,
                                    int64_t now_us);
/* The earliest end of a reconnect backoff after now_us (SIM_TIME_NEVER if none). */
int64_t kafka_client_metadata_next_reconnect(const kafka_client_metadata *m, int64_t now_us);
/* Any answer from `broker`: its connection works. */
void kafka_client_metadata_on_reply(kafka_client_metadata *m, uint32_t broker);
/* The connection to `broker` broke: a refresh in flight there failed. */
void kafka_client_metadata_on_disconnect(kafka_client_metadata *m, uint32_t broker, int64_t now_us);
/* The next instant poll may have something to do (SIM_TIME_NEVER if none). */
int64_t kafka_client_metadata_next_due(const kafka_client_metadata *m);

#endif
