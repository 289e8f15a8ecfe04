#pragma once
// The `wg show` layout (wireguard-tools src/show.c, without the terminal
// colours) for a TunnelEndpoint's status, so that `tetherctl show tunnel`
// reads like what a WireGuard user already knows:
//
//   interface: wg0
//     public key: ...
//     private key: (hidden)
//     listening port: 51820
//     dropped packets: 4 (unknown_type 3, replay 1)
//
//   peer: ...
//     endpoint: 203.0.113.7:51820
//     allowed ips: 10.8.0.1/32
//     latest handshake: 1 minute, 5 seconds ago
//     transfer: 1.21 KiB received, 3.02 KiB sent
//     persistent keepalive: every 25 seconds
//
// Peers are listed most recent handshake first, as wg does. Lines wg would
// leave out (no endpoint yet, no handshake yet, nothing transferred, no
// keepalive) are left out here too.
//
// wg has no line for drops (the kernel counts them in the interface's
// rx_dropped, which `ip -s link` shows without a reason); tetherd's device
// counts each drop by reason, so the interface section ends with them:
// the total, then each nonzero reason by its PacketDropReason name, in
// the enum's order. No line when nothing was dropped.

#include <cstdint>
#include <string>

#include "node/tunnel_endpoint.h"

namespace tether::node {

// "1 minute, 5 seconds", "2 hours", "1 year, 3 days"; "" for 0.
std::string format_wg_duration(std::uint64_t seconds);
// "1023 B", "1.21 KiB", "3.50 MiB", ... (powers of 1024, two decimals).
std::string format_wg_bytes(std::uint64_t bytes);
// "Now", "5 seconds ago", or wg's warning when the handshake lies in the future.
std::string format_wg_ago(WallTime then, WallTime now);

// "  dropped packets: 4 (unknown_type 3, replay 1)\n"; "" when there are none.
std::string format_drop_line(const tunnel::DropCounters& drops);

std::string format_wg_show(const TunnelStatus& status);

}  // namespace tether::node
