/* platform.h — C entry points of platform.cpp: SimGrid zone construction, and SimGrid's
 * flow-level network model driven from the engine's loop (network.model: simgrid). */
#ifndef BL_PLATFORM_H
#define BL_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Creates host_count hosts named host_names[i] in a star zone; writes the sg_host_t of
 * each into hosts_out[i]. Call after simgrid_init. */
void platform_build(uint32_t host_count, const char *const *host_names, double latency_s,
                    double bandwidth_bytes_per_s, void **hosts_out);

/* Loads a SimGrid platform file and finds the host of each node by name
 * (host_names[i]), and the latency and bandwidth of the route between every pair
 * (count x count, row = source). Returns 0, or -1 with a message in error (a parse
 * error, a missing host, a missing route): never aborts. Call after simgrid_init. */
int platform_load(const char *file, uint32_t host_count, const char *const *host_names,
                  void **hosts_out, int64_t *latency_us, uint64_t *bandwidth_bytes_per_s,
                  char *error, size_t error_len);

/* ---- flows (SimGrid's activity API, no actors) ----
 * A flow is a SimGrid communication between two hosts, sharing links with every flow
 * in progress (max-min fairness). `done` is called when one completes, with its cookie
 * and SimGrid's clock in microseconds. */
typedef void (*platform_flow_done_fn)(void *cookie, int64_t done_us);

void platform_flows_init(platform_flow_done_fn done);
/* Starts a flow of size_bytes at now_us (SimGrid's clock is first brought to now_us). */
void platform_flow_start(void *src_host, void *dst_host, uint64_t size_bytes, void *cookie,
                         int64_t now_us);
/* Flows in progress. */
uint64_t platform_flows_in_flight(void);
/* Advances SimGrid's clock towards until_us; returns at until_us or right after the
 * first instant at which flows completed (their `done` already called), whichever comes
 * first. Returns SimGrid's clock in microseconds. */
int64_t platform_flows_advance(int64_t until_us);
void platform_flows_shutdown(void);
/* The SimGrid version brokerlab was built against: "3.32.0". */
const char *platform_simgrid_version(void);

#endif
