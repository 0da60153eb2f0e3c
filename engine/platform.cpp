// platform.cpp — builds the SimGrid platform from the scenario: one host per simulated
// node, each attached by its own NIC link (bandwidth = the scenario's, latency = half
// the one-way latency) to a star zone, so any two hosts are one scenario latency apart.
// This is the only C++ in brokerlab: SimGrid's zone builder has no C API.
#include <simgrid/s4u.hpp>

#include <string>

extern "C" {
#include "platform.h"
}

extern "C" void platform_build(uint32_t host_count, const char *const *host_names,
                               double latency_s, double bandwidth_bytes_per_s, void **hosts_out)
{
    auto *zone = simgrid::s4u::create_star_zone("brokerlab");
    for (uint32_t i = 0; i < host_count; i++) {
        simgrid::s4u::Host *host = zone->create_host(host_names[i], 1e9);
        std::string link_name = std::string("nic-") + host_names[i];
        const simgrid::s4u::Link *link =
            zone->create_link(link_name, bandwidth_bytes_per_s)->set_latency(latency_s / 2)->seal();
        zone->add_route(host->get_netpoint(), nullptr, nullptr, nullptr,
                        {simgrid::s4u::LinkInRoute(link)}, true);
        hosts_out[i] = host;
    }
    zone->seal();
}
