/* rabbitmq_proto.c — allocation and wire size of the RabbitMQ family's packets. */
#include "rabbitmq_proto.h"

#include <stdlib.h>

#include "../../engine/bl_assert.h"
#include "rabbitmq_raft.h"

rmq_msg *rmq_msg_new(rmq_kind kind, uint32_t count)
{
    BL_ASSERTF(count <= RMQ_MSG_COUNT_MAX, "a %s of %u messages", rmq_kind_name(kind),
               (unsigned)count);
    rmq_msg *msg = calloc(1, sizeof *msg);
    BL_ASSERT(msg != NULL);
    msg->kind = kind;
    msg->count = count;
    if (count == 0) return msg;
    switch (kind) {
    case RMQ_PUBLISH:
    case RMQ_NODE_ENQUEUE:
    case RMQ_NODE_QQ_ENQUEUE:
    case RMQ_NODE_QQ_SETTLE:
    case RMQ_DELIVER:
    case RMQ_NODE_DELIVER:
    case RMQ_NODE_GM:
        msg->ids = malloc(count * sizeof *msg->ids);
        msg->keys = malloc(count * sizeof *msg->keys);
        msg->seqs = calloc(count, sizeof *msg->seqs);
        msg->flags = calloc(count, sizeof *msg->flags);
        BL_ASSERT(msg->ids != NULL && msg->keys != NULL);
        if (kind == RMQ_PUBLISH) break;
        msg->origins = calloc(count, sizeof *msg->origins);
        BL_ASSERT(msg->origins != NULL);
        break;
    case RMQ_CONFIRM:
    case RMQ_NODE_CONFIRM:
    case RMQ_ACK:
    case RMQ_NODE_ACK:
    case RMQ_NODE_QQ_APPLIED:
    case RMQ_NODE_QQ_SETTLED:
        msg->seqs = malloc(count * sizeof *msg->seqs);
        msg->flags = calloc(count, sizeof *msg->flags);
        break;
    case RMQ_NODE_RAFT_APPEND:
        msg->entries = malloc(count * sizeof *msg->entries);
        BL_ASSERT(msg->entries != NULL);
        return msg;
    default: BL_ASSERTF(false, "%s carries no messages", rmq_kind_name(kind));
    }
    BL_ASSERT(msg->seqs != NULL && msg->flags != NULL);
    return msg;
}

void rmq_msg_free(rmq_msg *msg)
{
    if (msg == NULL) return;
    free(msg->ids);
    free(msg->keys);
    free(msg->seqs);
    free(msg->flags);
    free(msg->origins);
    free(msg->entries);
    if (msg->payload != NULL) msg->free_payload(msg->payload);
    free(msg);
}

void rmq_free_packet(uint32_t kind, void *data)
{
    (void)kind;
    rmq_msg_free(data);
}

/* Confirms and acks with `multiple` cover a run of consecutive numbers with one frame. */
static uint32_t runs(const rmq_msg *msg)
{
    uint32_t frames = 0;
    for (uint32_t i = 0; i < msg->count; i++)
        if (i == 0 || msg->seqs[i] != msg->seqs[i - 1] + 1 || msg->flags[i] != msg->flags[i - 1])
            frames++;
    return frames;
}

uint32_t rmq_msg_size_bytes(const rmq_msg *msg)
{
    uint64_t bytes = RMQ_METHOD_BYTES;
    switch (msg->kind) {
    case RMQ_PUBLISH:
    case RMQ_NODE_ENQUEUE:
    case RMQ_NODE_QQ_ENQUEUE:
        bytes = (uint64_t)msg->count * (msg->size_bytes + RMQ_PUBLISH_OVERHEAD_BYTES);
        break;
    case RMQ_NODE_QQ_APPLIED:
    case RMQ_NODE_QQ_SETTLED: bytes = RMQ_METHOD_BYTES + (uint64_t)msg->count * 8; break;
    case RMQ_NODE_QQ_SETTLE: bytes = RMQ_METHOD_BYTES + (uint64_t)msg->count * 24; break;
    case RMQ_NODE_RAFT_APPEND:
        bytes = RMQ_RAFT_ENTRY_BYTES;
        for (uint32_t i = 0; i < msg->count; i++)
            bytes += RMQ_RAFT_ENTRY_BYTES +
                     (msg->entries[i].op == RAFT_OP_ENQUEUE ? msg->size_bytes : 0);
        break;
    case RMQ_NODE_RAFT_SNAPSHOT: bytes = RMQ_RAFT_ENTRY_BYTES + msg->payload_bytes; break;
    case RMQ_DELIVER:
    case RMQ_NODE_DELIVER:
        bytes = (uint64_t)msg->count * (msg->size_bytes + RMQ_DELIVER_OVERHEAD_BYTES);
        break;
    case RMQ_CONFIRM:
    case RMQ_NODE_CONFIRM:
    case RMQ_ACK:
    case RMQ_NODE_ACK: bytes = (uint64_t)runs(msg) * RMQ_METHOD_BYTES; break;
    case RMQ_NODE_GM:
        bytes = 0;
        for (uint32_t i = 0; i < msg->count; i++)
            bytes += msg->flags[i] == RMQ_GM_PUBLISH_TRANSIENT ||
                             msg->flags[i] == RMQ_GM_PUBLISH_PERSISTENT
                         ? msg->size_bytes + RMQ_PUBLISH_OVERHEAD_BYTES
                         : RMQ_GM_OP_BYTES;
        break;
    default: break;
    }
    if (bytes < RMQ_METHOD_BYTES) bytes = RMQ_METHOD_BYTES;
    BL_ASSERTF(bytes <= UINT32_MAX, "a %s of %llu bytes", rmq_kind_name(msg->kind),
               (unsigned long long)bytes);
    return (uint32_t)bytes;
}

const char *rmq_kind_name(rmq_kind kind)
{
    static const char *const names[RMQ_KIND_COUNT] = {"open",
                                                      "publish",
                                                      "tx.commit",
                                                      "tx.commit-ok",
                                                      "confirm",
                                                      "consume",
                                                      "consume-ok",
                                                      "cancel",
                                                      "deliver",
                                                      "ack",
                                                      "heartbeat",
                                                      "close",
                                                      "node-enqueue",
                                                      "node-confirm",
                                                      "node-consume",
                                                      "node-consume-ok",
                                                      "node-cancel",
                                                      "node-deliver",
                                                      "node-ack",
                                                      "node-detach",
                                                      "node-tick",
                                                      "node-gm",
                                                      "node-gm-ack",
                                                      "blocked",
                                                      "unblocked",
                                                      "node-alarm",
                                                      "queue-delete",
                                                      "node-delete",
                                                      "qq-enqueue",
                                                      "qq-applied",
                                                      "qq-reject",
                                                      "qq-leader",
                                                      "qq-settle",
                                                      "qq-settled",
                                                      "qq-missing",
                                                      "raft-append",
                                                      "raft-append-reply",
                                                      "raft-vote",
                                                      "raft-vote-reply",
                                                      "raft-snapshot",
                                                      "aten",
                                                      "node-members"};
    return kind < RMQ_KIND_COUNT ? names[kind] : "?";
}
