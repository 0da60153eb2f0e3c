/* kafka_partition.c — a replica's follower states, high watermark and ISR decisions
 * (see kafka_partition.h). */
#include "kafka_partition.h"

#include "../../engine/bl_assert.h"

int32_t kafka_partition_slot(const kafka_partition *p, uint32_t broker)
{
    for (uint32_t r = 0; r < p->state->replica_count; r++)
        if (p->state->replicas[r] == broker) return (int32_t)r;
    return -1;
}

uint32_t kafka_partition_maximal_isr(const kafka_partition *p)
{
    uint32_t isr = p->state->isr_brokers;
    if (p->alter_pending && (p->pending_isr & ~isr) != 0) isr |= p->pending_isr; /* expand */
    return isr;
}

void kafka_partition_lead(kafka_partition *p, int64_t now_us)
{
    p->epoch_start_offset = p->log.end_offset;
    p->alter_pending = false;
    kafka_epoch_assign(&p->epochs, (int32_t)p->state->leader_epoch, p->log.end_offset);
    for (uint32_t r = 0; r < p->state->replica_count; r++) {
        bool in_isr = (p->state->isr_brokers >> p->state->replicas[r] & 1u) != 0;
        /* Partition.makeLeader -> resetReplicaState: LEO unknown, caught up now if in
         * the ISR, never otherwise */
        p->followers[r] = (kafka_follower_state){.leo = -1,
                                                 .last_fetch_leader_leo = -1,
                                                 .last_fetch_us = 0,
                                                 .last_caught_up_us = in_isr ? now_us : 0};
    }
}

void kafka_partition_update_follower(kafka_partition *p, uint32_t slot, int64_t fetch_offset,
                                     int64_t now_us)
{
    BL_ASSERT(slot < p->state->replica_count);
    BL_ASSERTF(fetch_offset <= p->log.end_offset, "a follower fetching at %lld past the LEO %lld",
               (long long)fetch_offset, (long long)p->log.end_offset);
    kafka_follower_state *f = &p->followers[slot];
    int64_t leader_leo = p->log.end_offset;
    if (fetch_offset >= leader_leo) {
        if (now_us > f->last_caught_up_us) f->last_caught_up_us = now_us;
    } else if (fetch_offset >= f->last_fetch_leader_leo) {
        if (f->last_fetch_us > f->last_caught_up_us) f->last_caught_up_us = f->last_fetch_us;
    }
    f->leo = fetch_offset;
    if (leader_leo > f->last_fetch_leader_leo) f->last_fetch_leader_leo = leader_leo;
    f->last_fetch_us = now_us;
}

bool kafka_partition_caught_up(const kafka_partition *p, uint32_t slot, int64_t now_us,
                               int64_t lag_max_us)
{
    const kafka_follower_state *f = &p->followers[slot];
    return f->leo == p->log.end_offset || now_us - f->last_caught_up_us <= lag_max_us;
}

bool kafka_partition_maybe_increment_hw(kafka_partition *p, uint32_t isr_brokers,
                                        uint32_t effective_min_isr, uint32_t eligible_brokers,
                                        int64_t now_us, int64_t lag_max_us)
{
    bool under_min_isr = (uint32_t)__builtin_popcount(isr_brokers) < effective_min_isr;
#ifdef BROKERLAB_MUTANT_NO_MIN_INSYNC
    under_min_isr = false; /* mutant (scripts/mutants.sh): min.insync.replicas not enforced */
#endif
    if (under_min_isr) return false; /* K2 */
    int64_t new_hw = p->log.end_offset;
    uint32_t leader = p->state->leader;
    for (uint32_t r = 0; r < p->state->replica_count; r++) {
        uint32_t broker = p->state->replicas[r];
        if (broker == leader) continue;
        const kafka_follower_state *f = &p->followers[r];
        bool in_isr = (isr_brokers >> broker & 1u) != 0;
        bool would_join = (eligible_brokers >> broker & 1u) != 0 &&
                          kafka_partition_caught_up(p, r, now_us, lag_max_us);
        int64_t leo = f->leo < 0 ? 0 : f->leo; /* unknown counts as nothing yet */
#ifdef BROKERLAB_MUTANT_HW_IGNORES_FOLLOWERS
        leo = new_hw; /* mutant: the high watermark follows the leader's log end alone */
#endif
        if (leo < new_hw && (in_isr || would_join)) new_hw = leo;
    }
    if (new_hw <= p->hw) return false;
    p->hw = new_hw;
    BL_ASSERT(p->hw <= p->log.end_offset);
    return true;
}

uint32_t kafka_partition_out_of_sync(const kafka_partition *p, uint32_t isr_brokers, int64_t now_us,
                                     int64_t lag_max_us)
{
    uint32_t out = 0;
    for (uint32_t r = 0; r < p->state->replica_count; r++) {
        uint32_t broker = p->state->replicas[r];
        if (broker == p->state->leader || (isr_brokers >> broker & 1u) == 0) continue;
        if (!kafka_partition_caught_up(p, r, now_us, lag_max_us)) out |= 1u << broker;
    }
    return out;
}

bool kafka_partition_may_join_isr(const kafka_partition *p, uint32_t slot)
{
    const kafka_follower_state *f = &p->followers[slot];
    return f->leo >= 0 && f->leo >= p->hw && f->leo >= p->epoch_start_offset;
}
