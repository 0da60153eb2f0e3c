/* platform.h — C entry point of platform.cpp (SimGrid zone construction). */
#ifndef BL_PLATFORM_H
#define BL_PLATFORM_H

#include <stdint.h>

/* Creates host_count hosts named host_names[i] in a star zone; writes the sg_host_t of
 * each into hosts_out[i]. Call after simgrid_init. */
void platform_build(uint32_t host_count, const char *const *host_names, double latency_s,
                    double bandwidth_bytes_per_s, void **hosts_out);

#endif
