/* host.h — what every broker family's brokers take from the scenario's cluster keys
 * about the host they run on: its disk and page cache (engine/disk.h). */
#ifndef BL_HOST_H
#define BL_HOST_H

#include "../../engine/disk.h"
#include "../../engine/scenario.h"

disk_options host_disk_options(const scn_cluster *cluster);

#endif
