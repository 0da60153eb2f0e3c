/* kafka_controller.c — a KRaft controller on its own node (process.roles=controller),
 * following Kafka 4.0's metadata/src/main/java/org/apache/kafka/controller/:
 * - ClusterControlManager.registerBroker: a broker registers at every process start; a
 *   new incarnation is refused with DUPLICATE_BROKER_REGISTRATION while the old one's
 *   session is still valid, and starts fenced with a new broker epoch;
 * - BrokerHeartbeatManager: every heartbeat renews the session; a broker whose session
 *   (broker.session.timeout.ms, 9 s) lapses is fenced, one per check
 *   (findOneStaleBroker); a fenced broker that asks to be unfenced is;
 * - ReplicationControlManager.handleBrokerFenced: the fenced broker leaves every ISR
 *   (the last member stays: without ELR the ISR never empties) and its leaderships are
 *   elected away (PartitionChangeBuilder.electLeader); handleBrokerUnfenced elects
 *   leaders for leaderless partitions only;
 * - ReplicationControlManager.alterPartition: an ISR change from the partition's leader,
 *   checked against its leader and partition epochs;
 * - every change bumps the partition epoch, a leader change (to -1 as well) the leader
 *   epoch (PartitionRegistration.merge).
 * The committed image goes to every broker at once (a broker's long-polling fetch of
 * __cluster_metadata would be answered at once too); a broker that missed it catches up
 * through its next heartbeat's answer. While the controller is down nothing is fenced,
 * elected or altered, and brokers keep serving what they had; when it returns it gives
 * every registered broker a fresh session (ClusterControlManager.activate), so a dead
 * broker is fenced a session later.
 *
 * - auto.leader.rebalance.enable: while some partition is led by another replica than
 *   its preferred (first) one, a check runs leader.imbalance.check.interval.seconds
 *   later (QuorumController.maybeScheduleNextBalancePartitionLeaders) and elects the
 *   preferred replica wherever it is in the ISR and active, at most 1000 a check
 *   (ReplicationControlManager.maybeBalancePartitionLeaders).
 * Simplifications (issue 13 notes): one voter whose writes commit at once (no Raft, no
 * fsync cost, state durable across its own crashes); no controlled shutdown; no
 * unclean election or ELR yet; __consumer_offsets keeps its
 * placement (its coordinator failover comes with the coordinator rewrite). */
#include "kafka_controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/net.h"

enum { CONTROLLER_TIMER_STALE = SIM_EVENT_MODEL_BASE, CONTROLLER_TIMER_BALANCE };

/* ReplicationControlManager's maxElectionsPerImbalance. */
#define CONTROLLER_BALANCE_ELECTIONS_MAX 1000

uint16_t kafka_controller_elect(const kafka_partition_state *state, uint32_t isr, uint32_t elr,
                                uint32_t active_brokers, bool unclean, uint32_t *isr_out,
                                uint32_t *elr_out)
{
    *isr_out = isr;
    *elr_out = elr;
#ifdef BROKERLAB_MUTANT_UNCLEAN_ALWAYS
    unclean = true; /* mutant: unclean.leader.election.enable ignored */
#endif
    uint32_t acceptable = isr & active_brokers;
    if (state->leader != KAFKA_NO_LEADER && (acceptable >> state->leader & 1u) != 0)
        return state->leader;
    for (uint32_t r = 0; r < state->replica_count; r++)
        if ((acceptable >> state->replicas[r] & 1u) != 0) return state->replicas[r];
    uint32_t eligible = isr == 0 ? elr & active_brokers : 0;
#ifdef BROKERLAB_MUTANT_ELR_NEVER_ELECTED
    eligible = 0; /* mutant (scripts/mutants.sh): an empty ISR waits for its last member */
#endif
    for (uint32_t r = 0; r < state->replica_count; r++) {
        uint16_t replica = state->replicas[r];
        if ((eligible >> replica & 1u) == 0) continue;
        *isr_out = 1u << replica; /* "using ELR": a clean election */
        *elr_out = elr & ~(1u << replica);
        return replica;
    }
    for (uint32_t r = 0; unclean && r < state->replica_count; r++) {
        uint16_t replica = state->replicas[r];
        if ((active_brokers >> replica & 1u) == 0) continue;
        /* "This can result in data loss!": the ISR is the new leader alone (its
         * LeaderRecoveryState RECOVERING passes at once here), the ELR cleared */
        *isr_out = 1u << replica;
        *elr_out = 0;
        return replica;
    }
    return KAFKA_NO_LEADER;
}

uint32_t kafka_controller_target_elr(const kafka_partition_state *state, uint32_t target_isr,
                                     uint32_t min_isr, bool elr_enabled,
                                     uint32_t unclean_shutdown_brokers)
{
    if (!elr_enabled || (uint32_t)__builtin_popcount(target_isr) >= min_isr) return 0;
    return (state->elr_brokers | state->isr_brokers) & ~target_isr & ~unclean_shutdown_brokers;
}

/* The topic of the image's partition `index` (the offsets topic's last). */
static uint32_t topic_of(const kafka_metadata *metadata, uint32_t index)
{
    uint32_t t = 0;
    while (t < kafka_metadata_offsets_topic(metadata) &&
           index >= metadata->topic_base[t] + metadata->topic_partitions[t])
        t++;
    return t;
}

static kafka_metadata *image(kafka_controller *controller)
{
    return &controller->cluster->metadata;
}

static uint32_t active_brokers(const kafka_controller *controller)
{
    uint32_t active = 0;
    for (uint32_t b = 0; b < controller->cluster->broker_count; b++)
        if (controller->brokers[b].registered) active |= 1u << b;
    return active & ~controller->cluster->metadata.fenced_brokers;
}

/* Partition `index`'s ELR for a change to target_isr (PartitionChangeBuilder with
 * the topic's min.insync.replicas capped by its replication factor,
 * ReplicationControlManager.getTopicEffectiveMinIsr). */
static uint32_t target_elr(kafka_controller *controller, uint32_t index, uint32_t target_isr,
                           uint32_t unclean_shutdown_brokers)
{
    const kafka_metadata *metadata = &controller->cluster->metadata;
    const kafka_partition_state *state = &metadata->partitions[index];
    uint32_t min_isr = controller->cluster->topics[topic_of(metadata, index)].min_insync_replicas;
    if (min_isr > state->replica_count) min_isr = state->replica_count;
    return kafka_controller_target_elr(state, target_isr, min_isr,
                                       controller->cluster->options.eligible_leader_replicas,
                                       unclean_shutdown_brokers);
}

/* One change of a data partition: the new leader, ISR and ELR, epochs bumped as
 * PartitionRegistration.merge bumps them. Only with ELR may the ISR become empty
 * (PartitionChangeBuilder.build), and then the partition has no leader. */
static void change_partition(kafka_controller *controller, kafka_partition_state *state,
                             uint16_t leader, uint32_t isr, uint32_t elr)
{
    bool elr_enabled = controller->cluster->options.eligible_leader_replicas;
    BL_ASSERT(isr != 0 || (elr_enabled && leader == KAFKA_NO_LEADER));
    BL_ASSERT(leader == KAFKA_NO_LEADER || (isr >> leader & 1u) != 0);
    BL_ASSERTF((isr & elr) == 0 && (elr_enabled || elr == 0),
               "an eligible leader replica in the ISR, or ELR while it is off");
    if (leader == state->leader && isr == state->isr_brokers && elr == state->elr_brokers) return;
    if (leader != state->leader) {
        state->leader_epoch++;
        if (leader != KAFKA_NO_LEADER) controller->elections++;
    }
    state->leader = leader;
    state->isr_brokers = isr;
    state->elr_brokers = elr;
    state->partition_epoch++;
    image(controller)->offset++;
    controller->changed_since_wake = true;
}

/* The election at a fence, an unfence or an unclean restart
 * (generateLeaderAndIsrUpdates through PartitionChangeBuilder: the ELR first, then the
 * election), unclean where the topic has unclean_leader_election; sets the partition's
 * leader, ISR and ELR. */
static void elect(kafka_controller *controller, uint32_t index, uint32_t isr, uint32_t active,
                  uint32_t unclean_shutdown_brokers)
{
    kafka_metadata *metadata = image(controller);
    kafka_partition_state *state = &metadata->partitions[index];
    bool unclean = controller->cluster->topics[topic_of(metadata, index)].unclean_leader_election;
    uint32_t elr = target_elr(controller, index, isr, unclean_shutdown_brokers);
    uint32_t new_isr = isr, new_elr = elr;
    uint16_t leader = kafka_controller_elect(state, isr, elr, active, unclean, &new_isr, &new_elr);
    if (leader != KAFKA_NO_LEADER && (isr >> leader & 1u) == 0 && (elr >> leader & 1u) == 0)
        controller->unclean_elections++;
    change_partition(controller, state, leader, new_isr, new_elr);
}

/* ReplicationControlManager.handleBrokerFenced (via maybeFenceOneStaleBroker). */
static void fence_broker(kafka_controller *controller, uint32_t broker)
{
    kafka_metadata *metadata = image(controller);
    uint32_t bit = 1u << broker;
    if ((metadata->fenced_brokers & bit) != 0) return;
    metadata->fenced_brokers |= bit;
    metadata->offset++;
    controller->changed_since_wake = true;
    controller->fencings++;
    uint32_t active = active_brokers(controller);
    for (uint32_t i = 0; i < kafka_metadata_all_partitions(metadata); i++) {
        kafka_partition_state *state = &metadata->partitions[i];
        if ((state->isr_brokers & bit) == 0 && state->leader != broker) continue;
        uint32_t isr = state->isr_brokers & ~bit;
        /* without ELR the last member stays in the ISR, leaderless */
        if (isr == 0 && !controller->cluster->options.eligible_leader_replicas)
            isr = state->isr_brokers;
        elect(controller, i, isr, active, 0);
    }
}

/* ReplicationControlManager.handleBrokerUnfenced: leaderless partitions only. */
static void unfence_broker(kafka_controller *controller, uint32_t broker)
{
    kafka_metadata *metadata = image(controller);
    uint32_t bit = 1u << broker;
    if ((metadata->fenced_brokers & bit) == 0) return;
    metadata->fenced_brokers &= ~bit;
    metadata->offset++;
    controller->changed_since_wake = true;
    uint32_t active = active_brokers(controller);
    for (uint32_t i = 0; i < kafka_metadata_all_partitions(metadata); i++) {
        kafka_partition_state *state = &metadata->partitions[i];
        if (state->leader != KAFKA_NO_LEADER) continue;
        elect(controller, i, state->isr_brokers, active, 0);
    }
}

/* ReplicationControlManager.handleBrokerUncleanShutdown, at the registration of a new
 * incarnation (ClusterControlManager.registerBroker): with ELR, the broker leaves every
 * ISR and ELR, since its log may have lost what it had not flushed; without, nothing. */
static void remove_uncleanly_restarted(kafka_controller *controller, uint32_t broker)
{
    if (!controller->cluster->options.eligible_leader_replicas) return;
    kafka_metadata *metadata = image(controller);
    uint32_t bit = 1u << broker, active = active_brokers(controller);
    for (uint32_t i = 0; i < kafka_metadata_all_partitions(metadata); i++) {
        kafka_partition_state *state = &metadata->partitions[i];
        if (((state->isr_brokers | state->elr_brokers) & bit) == 0) continue;
        elect(controller, i, state->isr_brokers & ~bit, active, bit);
    }
}

/* Fills `msg` with every partition's state (__consumer_offsets' too), the fenced set and
 * the image offset. */
static void fill_image(kafka_controller *controller, kafka_msg *msg)
{
    const kafka_metadata *metadata = image(controller);
    kafka_msg_set_part_count(msg, kafka_metadata_all_partitions(metadata));
    uint32_t k = 0;
    for (uint32_t t = 0; t <= kafka_metadata_offsets_topic(metadata); t++) {
        for (uint32_t p = 0; p < metadata->topic_partitions[t]; p++) {
            const kafka_partition_state *state = kafka_metadata_partition(metadata, t, p);
            msg->parts[k++] = (kafka_part){.topic = (uint16_t)t,
                                           .partition = p,
                                           .leader = state->leader,
                                           .leader_epoch = state->leader_epoch,
                                           .partition_epoch = state->partition_epoch,
                                           .isr_brokers = state->isr_brokers};
        }
    }
    BL_ASSERT(k == kafka_metadata_all_partitions(metadata));
    msg->image_offset = metadata->offset;
    msg->fenced_brokers = metadata->fenced_brokers;
}

static void send_to(kafka_controller *controller, uint32_t broker, kafka_msg *msg)
{
    net_send(controller->node, controller->cluster->brokers[broker], kafka_msg_size_bytes(msg),
             msg);
}

/* The next session to lapse: the stale check's time (rescheduleMaybeFenceStaleBrokers). */
static void arm_stale_check(kafka_controller *controller)
{
    int64_t session_us = controller->cluster->options.broker_session_timeout_us;
    int64_t next_us = SIM_TIME_NEVER;
    for (uint32_t b = 0; b < controller->cluster->broker_count; b++) {
        const kafka_broker_registration *reg = &controller->brokers[b];
        if (!reg->registered || (image(controller)->fenced_brokers >> b & 1u) != 0) continue;
        int64_t lapse_us = reg->last_contact_us + session_us + 1; /* valid while <= */
        if (lapse_us < next_us) next_us = lapse_us;
    }
    if (next_us == SIM_TIME_NEVER) {
        sim_timer_cancel(&controller->stale_timer);
        return;
    }
    if (next_us < sim_now_us()) next_us = sim_now_us();
    sim_timer_set(controller->node, &controller->stale_timer, next_us, CONTROLLER_TIMER_STALE);
}

/* BrokerHeartbeatManager.hasValidSession. */
static bool session_valid(const kafka_controller *controller, uint32_t broker, int64_t now_us)
{
    const kafka_broker_registration *reg = &controller->brokers[broker];
    return reg->registered && (controller->cluster->metadata.fenced_brokers >> broker & 1u) == 0 &&
           now_us <= reg->last_contact_us + controller->cluster->options.broker_session_timeout_us;
}

static bool imbalanced(const kafka_controller *controller)
{
    const kafka_metadata *metadata = &controller->cluster->metadata;
    for (uint32_t i = 0; i < kafka_metadata_all_partitions(metadata); i++)
        if (metadata->partitions[i].leader != metadata->partitions[i].replicas[0]) return true;
    return false;
}

/* maybeScheduleNextBalancePartitionLeaders: after `delay_us` (the check interval, or 1 us
 * when the last check hit its election limit). */
static void maybe_schedule_balance(kafka_controller *controller, int64_t delay_us)
{
    const kafka_cluster_options *options = &controller->cluster->options;
    if (!options->auto_leader_rebalance || controller->balance_scheduled || !imbalanced(controller))
        return;
    controller->balance_scheduled = true;
    sim_timer_set(controller->node, &controller->balance_timer, sim_now_us() + delay_us,
                  CONTROLLER_TIMER_BALANCE);
}

/* maybeBalancePartitionLeaders: the preferred replica leads again where it can. */
static void on_balance_check(kafka_controller *controller)
{
    controller->balance_scheduled = false;
    kafka_metadata *metadata = image(controller);
    uint32_t active = active_brokers(controller), elections = 0;
    for (uint32_t i = 0; i < kafka_metadata_all_partitions(metadata); i++) {
        kafka_partition_state *state = &metadata->partitions[i];
        uint16_t preferred = state->replicas[0];
        if (state->leader == preferred) continue;
        if (((state->isr_brokers & active) >> preferred & 1u) == 0) continue;
        if (elections == CONTROLLER_BALANCE_ELECTIONS_MAX) break;
        change_partition(controller, state, preferred, state->isr_brokers, state->elr_brokers);
        elections++;
    }
    int64_t interval_us = controller->cluster->options.leader_imbalance_check_interval_us;
    /* the election limit was hit: the rest at the next instant (IMMEDIATELY) */
    maybe_schedule_balance(controller,
                           elections == CONTROLLER_BALANCE_ELECTIONS_MAX ? 1 : interval_us);
}

static void on_stale_check(kafka_controller *controller)
{
#ifdef BROKERLAB_MUTANT_SESSION_NEVER_EXPIRES
    return; /* mutant (scripts/mutants.sh): a silent broker keeps its session */
#endif
    int64_t now_us = sim_now_us();
    for (uint32_t b = 0; b < controller->cluster->broker_count; b++) {
        const kafka_broker_registration *reg = &controller->brokers[b];
        if (!reg->registered || (image(controller)->fenced_brokers >> b & 1u) != 0) continue;
        if (session_valid(controller, b, now_us)) continue;
        fence_broker(controller, b); /* one per check */
        break;
    }
    arm_stale_check(controller);
}

static void handle_registration(kafka_controller *controller, const kafka_msg *request)
{
    uint32_t b = request->replica_id;
    BL_ASSERT(b < controller->cluster->broker_count);
    kafka_broker_registration *reg = &controller->brokers[b];
    int64_t now_us = sim_now_us();
    kafka_msg *response = kafka_msg_new(KAFKA_BROKER_REGISTRATION_RESPONSE, 0);
    response->correlation_id = request->correlation_id;
    if (reg->registered && reg->incarnation != request->incarnation &&
        session_valid(controller, b, now_us)) {
        response->error = KAFKA_DUPLICATE_BROKER_REGISTRATION;
        send_to(controller, b, response);
        return;
    }
    if (!reg->registered || reg->incarnation != request->incarnation) {
        /* a new incarnation: a new epoch, fenced until it asks to be unfenced */
        reg->registered = true;
        reg->incarnation = request->incarnation;
        reg->epoch = ++controller->next_broker_epoch;
        fence_broker(controller, b);
        remove_uncleanly_restarted(controller, b);
    }
    reg->last_contact_us = now_us;
    response->broker_epoch = reg->epoch;
    fill_image(controller, response);
    send_to(controller, b, response);
    arm_stale_check(controller);
}

static void handle_heartbeat(kafka_controller *controller, const kafka_msg *request)
{
    uint32_t b = request->replica_id;
    BL_ASSERT(b < controller->cluster->broker_count);
    kafka_broker_registration *reg = &controller->brokers[b];
    kafka_msg *response = kafka_msg_new(KAFKA_BROKER_HEARTBEAT_RESPONSE, 0);
    response->correlation_id = request->correlation_id;
    if (!reg->registered || reg->epoch != request->broker_epoch) {
        response->error = KAFKA_STALE_BROKER_EPOCH;
        send_to(controller, b, response);
        return;
    }
    reg->last_contact_us = sim_now_us();
    /* calculateNextBrokerState: FENCED -> UNFENCED once it no longer wants fencing and
     * has caught up with the image */
    if (!request->want_fence && request->image_offset >= image(controller)->offset)
        unfence_broker(controller, b);
    response->fenced = (image(controller)->fenced_brokers >> b & 1u) != 0;
    if (request->image_offset < image(controller)->offset) fill_image(controller, response);
    send_to(controller, b, response);
    arm_stale_check(controller);
}

/* ReplicationControlManager.alterPartition, part by part. */
static void handle_alter_partition(kafka_controller *controller, const kafka_msg *request)
{
    uint32_t from = request->replica_id;
    kafka_metadata *metadata = image(controller);
    kafka_msg *response = kafka_msg_new(KAFKA_ALTER_PARTITION_RESPONSE, request->part_count);
    response->correlation_id = request->correlation_id;
    uint32_t active = active_brokers(controller);
    for (uint32_t i = 0; i < request->part_count; i++) {
        const kafka_part *want = &request->parts[i];
        kafka_partition_state *state = (kafka_partition_state *)kafka_metadata_partition(
            metadata, want->topic, want->partition);
        kafka_part *out = &response->parts[i];
        *out = (kafka_part){.topic = want->topic, .partition = want->partition};
        if (state->leader != from)
            out->error = KAFKA_NOT_LEADER;
        else if (want->leader_epoch < state->leader_epoch)
            out->error = KAFKA_FENCED_LEADER_EPOCH;
        else if (want->partition_epoch != state->partition_epoch)
            out->error = KAFKA_INVALID_UPDATE_VERSION;
        else if ((want->isr_brokers & ~state->isr_brokers & ~active) != 0)
            out->error = KAFKA_INELIGIBLE_REPLICA; /* a new member fenced or gone */
        else
            change_partition(controller, state, state->leader, want->isr_brokers,
                             target_elr(controller, (uint32_t)(state - metadata->partitions),
                                        want->isr_brokers, 0));
        out->leader = state->leader;
        out->leader_epoch = state->leader_epoch;
        out->partition_epoch = state->partition_epoch;
        out->isr_brokers = state->isr_brokers;
    }
    send_to(controller, from, response);
}

static void controller_on_event(sim_node *node, const sim_event *ev)
{
    kafka_controller *controller = node->model;
    switch (ev->kind) {
    case SIM_EVENT_PACKET: {
        kafka_msg *msg = ev->data;
        switch (msg->api) {
        case KAFKA_BROKER_REGISTRATION_REQUEST: handle_registration(controller, msg); break;
        case KAFKA_BROKER_HEARTBEAT_REQUEST: handle_heartbeat(controller, msg); break;
        case KAFKA_ALTER_PARTITION_REQUEST: handle_alter_partition(controller, msg); break;
        default: BL_ASSERTF(false, "controller got api %d", msg->api);
        }
        kafka_msg_free(msg);
        return;
    }
    case SIM_EVENT_NET_RESET: return; /* a broker went away: its session will tell */
    case CONTROLLER_TIMER_STALE: on_stale_check(controller); return;
    case CONTROLLER_TIMER_BALANCE: on_balance_check(controller); return;
    default: BL_ASSERTF(false, "controller event kind %u", ev->kind);
    }
}

/* Pushes the image to every broker after a wake-up that changed it. */
static void controller_on_wake_end(sim_node *node)
{
    kafka_controller *controller = node->model;
    if (!controller->changed_since_wake) return;
    controller->changed_since_wake = false;
    maybe_schedule_balance(controller,
                           controller->cluster->options.leader_imbalance_check_interval_us);
    for (uint32_t b = 0; b < controller->cluster->broker_count; b++) {
        kafka_msg *push = kafka_msg_new(KAFKA_METADATA_PUSH, 0);
        fill_image(controller, push);
        send_to(controller, b, push);
    }
}

static void controller_on_stop(sim_node *node, bool power_loss)
{
    (void)node;
    (void)power_loss; /* its metadata log is fsynced before a change commits */
}

/* ClusterControlManager.activate: every registered broker gets a fresh session. */
static void controller_on_start(sim_node *node)
{
    kafka_controller *controller = node->model;
    int64_t now_us = sim_now_us();
    for (uint32_t b = 0; b < controller->cluster->broker_count; b++)
        if (controller->brokers[b].registered) controller->brokers[b].last_contact_us = now_us;
    arm_stale_check(controller);
    controller->balance_scheduled = false; /* its timers went with the process */
    maybe_schedule_balance(controller,
                           controller->cluster->options.leader_imbalance_check_interval_us);
}

static const sim_node_ops controller_ops = {
    .on_event = controller_on_event,
    .on_wake_end = controller_on_wake_end,
    .on_stop = controller_on_stop,
    .on_start = controller_on_start,
    .free_data = kafka_free_packet,
};

kafka_controller *kafka_controller_create(kafka_cluster *cluster)
{
    kafka_controller *controller = calloc(1, sizeof *controller);
    BL_ASSERT(controller != NULL);
    controller->cluster = cluster;
    for (uint32_t b = 0; b < cluster->broker_count; b++)
        controller->brokers[b] =
            (kafka_broker_registration){.registered = true, .incarnation = 1, .epoch = b + 1};
    controller->next_broker_epoch = cluster->broker_count;
    controller->node = sim_add_node("controller", SIM_ROLE_CONTROLLER, &controller_ops, controller);
    cluster->controller = controller->node;
    return controller;
}

void kafka_controller_free(kafka_controller *controller)
{
    free(controller);
}
