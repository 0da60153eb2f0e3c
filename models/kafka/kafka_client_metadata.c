/* kafka_client_metadata.c — a client's metadata and its refreshes (see
 * kafka_client_metadata.h). */
#include "kafka_client_metadata.h"

#include <stdlib.h>

#include "../../engine/bl_assert.h"
#include "../../engine/net.h"

void kafka_client_metadata_init(kafka_client_metadata *m, const kafka_cluster *cluster,
                                uint32_t topic, int64_t timeout_us, int64_t backoff_us,
                                int64_t backoff_max_us, int64_t now_us)
{
    const kafka_metadata *metadata = &cluster->metadata;
    BL_ASSERT(topic <= kafka_metadata_offsets_topic(metadata) && timeout_us > 0);
    /* at least 1 ms between attempts, so that a retry.backoff.ms of 0 cannot spin */
    if (backoff_us < 1000) backoff_us = 1000;
    if (backoff_max_us < backoff_us) backoff_max_us = backoff_us;
    *m = (kafka_client_metadata){.cluster = cluster,
                                 .topic = topic,
                                 .partition_count = metadata->topic_partitions[topic],
                                 .last_refresh_us = now_us,
                                 .timeout_us = timeout_us,
                                 .backoff_us = backoff_us,
                                 .backoff_max_us = backoff_max_us};
    m->leader = calloc(m->partition_count, sizeof *m->leader);
    m->leader_epoch = calloc(m->partition_count, sizeof *m->leader_epoch);
    BL_ASSERT(m->leader != NULL && m->leader_epoch != NULL);
    for (uint32_t p = 0; p < m->partition_count; p++) {
        const kafka_partition_state *state = kafka_metadata_partition(metadata, topic, p);
        m->leader[p] = state->leader;
        m->leader_epoch[p] = state->leader_epoch;
    }
}

void kafka_client_metadata_init_coordinator(kafka_client_metadata *m, const kafka_cluster *cluster,
                                            uint32_t group, int64_t timeout_us, int64_t backoff_us,
                                            int64_t backoff_max_us)
{
    const kafka_metadata *metadata = &cluster->metadata;
    kafka_client_metadata_init(m, cluster, kafka_metadata_offsets_topic(metadata), timeout_us,
                               backoff_us, backoff_max_us, 0);
    m->find_coordinator = true;
    m->find_partition = metadata->group_offsets_partition[group];
}

uint16_t kafka_client_metadata_coordinator(const kafka_client_metadata *m)
{
    BL_ASSERT(m->find_coordinator);
    return m->leader[m->find_partition];
}

void kafka_client_metadata_free(kafka_client_metadata *m)
{
    free(m->leader);
    free(m->leader_epoch);
    m->leader = NULL;
    m->leader_epoch = NULL;
}

uint16_t kafka_client_metadata_leader(const kafka_client_metadata *m, uint32_t partition)
{
    BL_ASSERT(partition < m->partition_count);
    return m->leader[partition];
}

void kafka_client_metadata_want_update(kafka_client_metadata *m)
{
    m->update_wanted = true;
}

static void attempt_failed(kafka_client_metadata *m, int64_t now_us)
{
    m->in_flight = false;
    m->failed_attempts++;
    int64_t backoff_us = m->backoff_us;
    for (uint32_t i = 1; i < m->failed_attempts && backoff_us < m->backoff_max_us; i++)
        backoff_us *= 2;
    if (backoff_us > m->backoff_max_us) backoff_us = m->backoff_max_us;
    m->next_attempt_us = now_us + backoff_us;
}

uint32_t kafka_client_metadata_least_loaded(const kafka_client_metadata *m, int64_t now_us,
                                            const uint32_t *in_flight, int64_t *wait_until_us)
{
    /* NetworkClient.leastLoadedNode: fewest in flight among the connected, ties taken
     * in turn; else the broken connection whose reconnect backoff ended first */
    uint32_t brokers = m->cluster->broker_count, best = brokers;
    for (uint32_t k = 1; k <= brokers; k++) {
        uint32_t b = (m->last_node + k) % brokers;
        if (m->disconnected[b]) continue;
        if (best == brokers || in_flight[b] < in_flight[best]) best = b;
    }
    for (uint32_t k = 1; best == brokers && k <= brokers; k++) {
        uint32_t b = (m->last_node + k) % brokers;
        if (m->reconnect_at_us[b] > now_us) continue;
        best = b;
    }
    if (best < brokers) return best;
    int64_t first_us = INT64_MAX;
    for (uint32_t b = 0; b < brokers; b++)
        if (m->reconnect_at_us[b] < first_us) first_us = m->reconnect_at_us[b];
    *wait_until_us = first_us;
    return KAFKA_NO_NODE;
}

kafka_msg *kafka_client_metadata_poll(kafka_client_metadata *m, int64_t now_us,
                                      const uint32_t *in_flight, uint32_t *broker)
{
    if (m->in_flight && now_us >= m->deadline_us) attempt_failed(m, now_us); /* timed out */
    if (!m->update_wanted && !m->find_coordinator &&
        now_us >= m->last_refresh_us + KAFKA_METADATA_MAX_AGE_US)
        m->update_wanted = true; /* metadata.max.age.ms */
    if (!m->update_wanted || m->in_flight || now_us < m->next_attempt_us) return NULL;
    int64_t wait_until_us = 0;
    uint32_t best = kafka_client_metadata_least_loaded(m, now_us, in_flight, &wait_until_us);
    if (best == KAFKA_NO_NODE) { /* every broker in reconnect backoff: wait for the first */
        m->next_attempt_us = wait_until_us;
        return NULL;
    }
    m->last_node = best;
    m->in_flight = true;
    m->in_flight_to = best;
    m->deadline_us = now_us + m->timeout_us;
    kafka_msg *request = kafka_msg_new(KAFKA_METADATA_REQUEST, 1);
    request->correlation_id = ++m->correlation_id;
    request->parts[0].topic = (uint16_t)m->topic;
    request->parts[0].partition = m->find_partition;
    *broker = best;
    return request;
}

void kafka_client_metadata_send_due(kafka_client_metadata *m, sim_node *node,
                                    const request_table *requests, int64_t now_us)
{
    /* called at every client wake-up: nothing to do unless poll would act (a timeout, a
     * wanted refresh past its backoff, or the max age), so skip counting requests */
    bool act = m->in_flight ? now_us >= m->deadline_us
                            : (m->update_wanted && now_us >= m->next_attempt_us) ||
                                  (!m->find_coordinator &&
                                   now_us >= m->last_refresh_us + KAFKA_METADATA_MAX_AGE_US);
    if (!act) return;
    uint32_t in_flight[SCN_BROKERS_MAX];
    for (uint32_t b = 0; b < m->cluster->broker_count; b++)
        in_flight[b] = request_table_in_flight(requests, b);
    uint32_t broker = 0;
    kafka_msg *request = kafka_client_metadata_poll(m, now_us, in_flight, &broker);
    if (request != NULL)
        net_send(node, m->cluster->brokers[broker], kafka_msg_size_bytes(request), request);
}

bool kafka_client_metadata_on_response(kafka_client_metadata *m, const kafka_msg *response,
                                       uint32_t broker, int64_t now_us)
{
    kafka_client_metadata_on_reply(m, broker);
    if (!m->in_flight || broker != m->in_flight_to || response->correlation_id != m->correlation_id)
        return false; /* given up on already */
    m->in_flight = false;
    m->update_wanted = false;
    m->failed_attempts = 0;
    m->last_refresh_us = now_us;
    bool changed = false;
    for (uint32_t i = 0; i < response->part_count; i++) {
        const kafka_part *part = &response->parts[i];
        BL_ASSERT(part->topic == m->topic && part->partition < m->partition_count);
        if (part->leader_epoch < m->leader_epoch[part->partition]) continue; /* older news */
        changed |= m->leader[part->partition] != part->leader;
        m->leader[part->partition] = part->leader;
        m->leader_epoch[part->partition] = part->leader_epoch;
    }
    /* a leaderless partition keeps the refresh wanted (Metadata: partitions without a
     * leader request an update; FindCoordinator: COORDINATOR_NOT_AVAILABLE, retried) */
    for (uint32_t i = 0; i < response->part_count; i++)
        if (m->leader[response->parts[i].partition] == KAFKA_NO_LEADER) {
            m->update_wanted = true;
            m->next_attempt_us = now_us + m->backoff_us;
        }
    return changed;
}

bool kafka_client_metadata_can_send(const kafka_client_metadata *m, uint32_t broker, int64_t now_us)
{
    BL_ASSERT(broker < m->cluster->broker_count);
    return !m->disconnected[broker] || now_us >= m->reconnect_at_us[broker];
}

int64_t kafka_client_metadata_next_reconnect(const kafka_client_metadata *m, int64_t now_us)
{
    int64_t next_us = SIM_TIME_NEVER;
    for (uint32_t b = 0; b < m->cluster->broker_count; b++)
        if (m->disconnected[b] && m->reconnect_at_us[b] > now_us && m->reconnect_at_us[b] < next_us)
            next_us = m->reconnect_at_us[b];
    return next_us;
}

void kafka_client_metadata_on_reply(kafka_client_metadata *m, uint32_t broker)
{
    BL_ASSERT(broker < m->cluster->broker_count);
    m->disconnected[broker] = false;
    m->reconnect_failures[broker] = 0;
}

void kafka_client_metadata_on_disconnect(kafka_client_metadata *m, uint32_t broker, int64_t now_us)
{
    BL_ASSERT(broker < m->cluster->broker_count);
    m->disconnected[broker] = true;
    int64_t backoff_us = 50 * 1000; /* reconnect.backoff.ms, doubling to .max.ms */
    for (uint32_t i = 0; i < m->reconnect_failures[broker] && backoff_us < 1000000; i++)
        backoff_us *= 2;
    if (backoff_us > 1000000) backoff_us = 1000000;
    m->reconnect_failures[broker]++;
    m->reconnect_at_us[broker] = now_us + backoff_us;
    m->update_wanted = true;
    if (m->in_flight && m->in_flight_to == broker) attempt_failed(m, now_us);
}

int64_t kafka_client_metadata_next_due(const kafka_client_metadata *m)
{
    if (m->in_flight) return m->deadline_us;
    if (m->update_wanted) return m->next_attempt_us;
    if (m->find_coordinator) return SIM_TIME_NEVER;
    return m->last_refresh_us + KAFKA_METADATA_MAX_AGE_US;
}
