/* kafka_broker_lifecycle.c — a broker's side of the KRaft controller: registration and
 * heartbeats (core/.../server/BrokerLifecycleManager.scala), the metadata image it
 * applies (BrokerMetadataPublisher -> ReplicaManager.applyDelta -> makeLeader /
 * makeFollower) and the ISR changes it asks for (Partition.submitAlterPartition,
 * DefaultAlterPartitionManager).
 *
 * A broker registers at every process start. The controller pre-registers the first
 * incarnation, so a broker at the start of the run leads and follows at once; a
 * restarted one is refused while its old session is valid (retrying with a doubling
 * backoff from 100 ms up to the session timeout, without Kafka's 2% jitter), then gets
 * a new broker epoch, fenced, and the controller's image. Until then it holds no
 * image: it serves nothing and fetches nothing. Its heartbeats ask to be unfenced once
 * its logs are recovered (kafka_broker.c's recover_logs: the unflushed segments re-read
 * at the disk's rate). Heartbeats go every broker.heartbeat.interval.ms;
 * an answer to a heartbeat of an older registration makes it register again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/net.h"
#include "kafka_broker_internal.h"

#define REGISTRATION_BACKOFF_MIN_US (100LL * 1000)       /* ExponentialBackoff initial */
#define ALTER_PARTITION_TIMEOUT_US  (30LL * 1000 * 1000) /* an unanswered AlterPartition */

static void send_to_controller(kafka_broker *broker, kafka_msg *msg)
{
    net_send(broker->node, broker->cluster->controller, kafka_msg_size_bytes(msg), msg);
}

static kafka_partition_state *image_state(kafka_broker *broker, uint32_t topic, uint32_t partition)
{
    return (kafka_partition_state *)kafka_metadata_partition(&broker->image, topic, partition);
}

static void send_registration(kafka_broker *broker)
{
    kafka_msg *request = kafka_msg_new(KAFKA_BROKER_REGISTRATION_REQUEST, 0);
    request->correlation_id = ++broker->next_correlation_id;
    request->replica_id = (uint16_t)broker->index;
    request->incarnation = broker->node->incarnation;
    send_to_controller(broker, request);
}

static void send_heartbeat(kafka_broker *broker)
{
    kafka_msg *request = kafka_msg_new(KAFKA_BROKER_HEARTBEAT_REQUEST, 0);
    request->correlation_id = ++broker->next_correlation_id;
    request->replica_id = (uint16_t)broker->index;
    request->broker_epoch = broker->broker_epoch;
    request->want_fence = broker->want_fence;
    request->image_offset = broker->image.offset;
    send_to_controller(broker, request);
}

static void schedule_lifecycle(kafka_broker *broker, int64_t delay_us)
{
    sim_schedule(broker->node, sim_now_us() + delay_us, BROKER_TIMER_LIFECYCLE, 0, 0, NULL);
}

void kafka_lifecycle_start(kafka_broker *broker, bool recovering)
{
    broker->registration_attempts = 0;
    broker->want_fence = recovering;
    if (broker->node->incarnation == 1) { /* registered and unfenced by the controller */
        broker->broker_epoch = broker->index + 1;
        broker->image_ready = true;
        int64_t now_us = sim_now_us();
        for (uint32_t i = 0; i < broker->partition_count; i++) {
            kafka_partition *p = broker->partitions[i];
            if (p == NULL || p->state->leader != broker->index) continue;
            kafka_partition_lead(p, now_us);
            if (p->topic == kafka_metadata_offsets_topic(&broker->image))
                kafka_coordinator_on_lead(broker, p);
        }
        kafka_fetcher_start_all(broker);
        schedule_lifecycle(broker, broker->cluster->options.broker_heartbeat_interval_us);
        return;
    }
    send_registration(broker);
    schedule_lifecycle(broker, REGISTRATION_BACKOFF_MIN_US);
}

/* BrokerLifecycleManager.setReadyToUnfence: a heartbeat at once (registered or not yet:
 * then the registration's answer sends it). */
void kafka_lifecycle_ready_to_unfence(kafka_broker *broker)
{
    broker->want_fence = false;
    if (broker->broker_epoch != 0) send_heartbeat(broker);
}

void kafka_lifecycle_on_timer(kafka_broker *broker)
{
    const kafka_cluster_options *options = &broker->cluster->options;
    if (broker->broker_epoch != 0) {
        send_heartbeat(broker);
        schedule_lifecycle(broker, options->broker_heartbeat_interval_us);
        return;
    }
    send_registration(broker);
    int64_t backoff_us = REGISTRATION_BACKOFF_MIN_US;
    for (uint32_t i = 0;
         i < broker->registration_attempts && backoff_us < options->broker_session_timeout_us; i++)
        backoff_us *= 2;
    if (backoff_us > options->broker_session_timeout_us)
        backoff_us = options->broker_session_timeout_us;
    broker->registration_attempts++;
    schedule_lifecycle(broker, backoff_us);
}

/* What must never happen: two live brokers leading one partition in one leader epoch
 * (each leader epoch has one leader: the controller bumps it at every election). */
static void assert_single_leader(const kafka_broker *broker, const kafka_partition *p)
{
    for (uint32_t b = 0; b < broker->cluster->broker_count; b++) {
        if (b == broker->index || !broker->cluster->brokers[b]->process_up) continue;
        const kafka_broker *other = broker->cluster->brokers[b]->model;
        if (!other->image_ready) continue;
        const kafka_partition *q = kafka_broker_replica(other, p->topic, p->partition);
        BL_ASSERTF(q == NULL || q->state->leader != b ||
                       q->state->leader_epoch != p->state->leader_epoch,
                   "brokers %u and %u both lead %u/%u in leader epoch %u", broker->index, b,
                   p->topic, p->partition, p->state->leader_epoch);
    }
}

/* ReplicaManager.applyDelta for one partition this broker holds a replica of. */
static void apply_partition(kafka_broker *broker, kafka_partition *p,
                            const kafka_partition_state *old, bool was_ready)
{
    const kafka_partition_state *now = p->state;
    bool new_epoch = !was_ready || old->leader_epoch != now->leader_epoch;
    if (p->alter_pending && now->partition_epoch != old->partition_epoch)
        p->alter_pending = false; /* the change, or another, is committed: the image rules */
    if (now->leader == broker->index) {
        if (new_epoch) { /* makeLeader */
            kafka_partition_lead(p, sim_now_us());
            assert_single_leader(broker, p);
            if (p->topic == kafka_metadata_offsets_topic(&broker->image)) {
                /* it may have led through the epochs it missed (images skipped): reload */
                kafka_coordinator_on_resign(broker, p);
                kafka_coordinator_on_lead(broker, p);
            }
        }
        /* a new epoch, or a new ISR (the controller dropped a fenced member) */
        if (new_epoch || old->isr_brokers != now->isr_brokers) broker_maybe_increment_hw(broker, p);
        return;
    }
    if (!new_epoch) return;
    p->alter_pending = false; /* makeFollower */
    if (p->topic == kafka_metadata_offsets_topic(&broker->image))
        kafka_coordinator_on_resign(broker, p);
    bool hw_truncation = !broker->cluster->options.leader_epochs;
#ifdef BROKERLAB_MUTANT_HW_TRUNCATION_WITH_EPOCHS
    hw_truncation = true; /* mutant: leader-epoch truncation skipped, the pre-KIP-101 rule */
#endif
    if (hw_truncation && p->hw < p->log.end_offset) {
        /* before KIP-101: a new follower truncates to its high watermark */
        kafka_log_truncate(&p->log, &broker->disk, p->hw);
        kafka_epoch_truncate_from_end(&p->epochs, p->log.end_offset);
    }
}

/* Applies an image from the controller (a push, or an answer), if newer than the
 * broker's; a broker without one takes any. */
static void apply_image(kafka_broker *broker, const kafka_msg *msg)
{
    if (broker->image_ready && msg->image_offset <= broker->image.offset) return;
    if (msg->part_count == 0) return; /* an answer without an image */
    BL_ASSERT(msg->part_count == kafka_metadata_all_partitions(&broker->image));
    bool was_ready = broker->image_ready;
    broker->image_ready = true;
    broker->image.offset = msg->image_offset;
    broker->image.fenced_brokers = msg->fenced_brokers;
    for (uint32_t i = 0; i < msg->part_count; i++) {
        const kafka_part *part = &msg->parts[i];
        kafka_partition_state *state = image_state(broker, part->topic, part->partition);
        kafka_partition_state old = *state;
        state->leader = part->leader;
        state->leader_epoch = part->leader_epoch;
        state->partition_epoch = part->partition_epoch;
        state->isr_brokers = part->isr_brokers;
        kafka_partition *p = broker_replica(broker, part->topic, part->partition);
        if (p != NULL) apply_partition(broker, p, &old, was_ready);
    }
    kafka_fetcher_start_all(broker);
    broker->parked_may_answer = true; /* requests for partitions it no longer leads */
}

static void on_alter_partition_response(kafka_broker *broker, const kafka_msg *response)
{
    for (uint32_t i = 0; i < response->part_count; i++) {
        const kafka_part *part = &response->parts[i];
        kafka_partition *p = broker_led(broker, part->topic, part->partition);
        if (p == NULL || !p->alter_pending) continue;
        kafka_partition_state *state = image_state(broker, part->topic, part->partition);
        if (part->error == KAFKA_OK) { /* Partition.handleAlterPartitionUpdate */
            if (part->partition_epoch > state->partition_epoch &&
                part->leader_epoch == state->leader_epoch) {
                state->isr_brokers = part->isr_brokers;
                state->partition_epoch = part->partition_epoch;
            }
            p->alter_pending = false;
            broker_maybe_increment_hw(broker, p);
        } else if (part->error == KAFKA_INELIGIBLE_REPLICA) {
            p->alter_pending = false; /* reverted */
        }
        /* FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, NOT_LEADER: pending until the
         * image moves (apply_partition) */
    }
}

bool kafka_lifecycle_on_packet(kafka_broker *broker, const kafka_msg *msg)
{
    switch (msg->api) {
    case KAFKA_BROKER_REGISTRATION_RESPONSE:
        if (broker->broker_epoch != 0 || msg->error != KAFKA_OK) return true; /* retried */
        broker->broker_epoch = msg->broker_epoch;
        apply_image(broker, msg);
        send_heartbeat(broker); /* asks to be unfenced unless its logs are still recovering */
        return true;
    case KAFKA_BROKER_HEARTBEAT_RESPONSE:
        if (msg->error == KAFKA_STALE_BROKER_EPOCH) {
            broker->broker_epoch = 0; /* register again at the next timer */
            return true;
        }
        apply_image(broker, msg);
        return true;
    case KAFKA_METADATA_PUSH: apply_image(broker, msg); return true;
    case KAFKA_ALTER_PARTITION_RESPONSE: on_alter_partition_response(broker, msg); return true;
    default: return false;
    }
}

static void send_alter(kafka_broker *broker, kafka_partition *p)
{
    kafka_msg *request = kafka_msg_new(KAFKA_ALTER_PARTITION_REQUEST, 1);
    request->correlation_id = ++broker->next_correlation_id;
    request->replica_id = (uint16_t)broker->index;
    request->broker_epoch = broker->broker_epoch;
    request->parts[0] = (kafka_part){.topic = p->topic,
                                     .partition = p->partition,
                                     .leader_epoch = p->state->leader_epoch,
                                     .partition_epoch = p->state->partition_epoch,
                                     .isr_brokers = p->pending_isr};
    p->alter_sent_us = sim_now_us();
    send_to_controller(broker, request);
}

void kafka_lifecycle_propose_isr(kafka_broker *broker, kafka_partition *p, uint32_t isr_brokers)
{
    BL_ASSERT(p->state->leader == broker->index);
    BL_ASSERT((isr_brokers >> broker->index & 1u) != 0);
    if (p->alter_pending || isr_brokers == p->state->isr_brokers) return;
    p->alter_pending = true;
    p->pending_isr = isr_brokers;
    send_alter(broker, p);
    broker_maybe_increment_hw(broker, p); /* an expansion counts at once (maximal ISR) */
}

void kafka_lifecycle_retry_alters(kafka_broker *broker)
{
    int64_t now_us = sim_now_us();
    for (uint32_t i = 0; i < broker->partition_count; i++) {
        kafka_partition *p = broker->partitions[i];
        if (p == NULL || !p->alter_pending || broker_led(broker, p->topic, p->partition) == NULL)
            continue;
        if (now_us - p->alter_sent_us >= ALTER_PARTITION_TIMEOUT_US) send_alter(broker, p);
    }
}
