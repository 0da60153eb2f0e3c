/* engine_probe.c — the physical limit of brokerlab's event loop, for scripts/bench.sh.
 *
 * Replays the shape of a run's event pattern with nothing but a plain C binary heap:
 * `nodes` nodes each hold one pending activation, ordered by (time, sequence number)
 * as in engine/sim.c; popping the earliest and rescheduling its node at a pseudo-random
 * gap (mean = simulated time * nodes / events) is one event. The wall time per event
 * is what an event costs with no model, network, history or checker: the run's
 * µs/event divided by this is how far the engine is from the heap alone.
 *
 * usage: engine_probe EVENTS NODES SIM_SECONDS   (prints one line: µs per event) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct probe_entry {
    int64_t t_us;
    uint64_t seq;
    uint32_t node;
} probe_entry;

static int before(const probe_entry *a, const probe_entry *b)
{
    return a->t_us < b->t_us || (a->t_us == b->t_us && a->seq < b->seq);
}

static void sift_down(probe_entry *heap, uint32_t count, uint32_t i)
{
    probe_entry moving = heap[i];
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= count) break;
        if (child + 1 < count && before(&heap[child + 1], &heap[child])) child++;
        if (!before(&heap[child], &moving)) break;
        heap[i] = heap[child];
        i = child;
    }
    heap[i] = moving;
}

static uint64_t xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: engine_probe EVENTS NODES SIM_SECONDS\n");
        return 2;
    }
    uint64_t events = strtoull(argv[1], NULL, 10);
    uint32_t nodes = (uint32_t)strtoul(argv[2], NULL, 10);
    double sim_s = strtod(argv[3], NULL);
    if (events == 0 || nodes == 0 || nodes > (1u << 24) || !(sim_s > 0)) {
        fprintf(stderr, "engine_probe: EVENTS and NODES must be positive, SIM_SECONDS > 0\n");
        return 2;
    }
    probe_entry *heap = malloc((size_t)nodes * sizeof *heap);
    if (heap == NULL) return 3;
    uint64_t rng = 0x9e3779b97f4a7c15ULL, seq = 0;
    uint64_t mean_gap_us = (uint64_t)(sim_s * 1e6 * nodes / (double)events) + 1;
    for (uint32_t n = 0; n < nodes; n++)
        heap[n] = (probe_entry){(int64_t)(xorshift(&rng) % mean_gap_us), seq++, n};
    for (uint32_t i = nodes; i-- > 0;) sift_down(heap, nodes, i);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    uint64_t checksum = 0;
    for (uint64_t e = 0; e < events; e++) {
        probe_entry *top = &heap[0];
        checksum += top->node;
        top->t_us += (int64_t)(xorshift(&rng) % (2 * mean_gap_us));
        top->seq = seq++;
        sift_down(heap, nodes, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double wall_s =
        (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("%.4f %llu\n", wall_s * 1e6 / (double)events, (unsigned long long)(checksum & 1));
    free(heap);
    return 0;
}
