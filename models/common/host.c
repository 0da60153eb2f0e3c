/* host.c — a broker host's disk options from the scenario (see host.h). */
#include "host.h"

disk_options host_disk_options(const scn_cluster *cluster)
{
    return (disk_options){.write_bandwidth_bytes_per_s = cluster->disk.write_bandwidth_bytes_per_s,
                          .fsync_latency_us = cluster->disk.fsync_latency_us,
                          .capacity_bytes = cluster->disk.capacity_bytes,
                          .page_cache_bytes = cluster->os.page_cache_bytes,
                          .dirty_expire_us = cluster->os.dirty_expire_us,
                          .writeback_interval_us = cluster->os.writeback_interval_us};
}
