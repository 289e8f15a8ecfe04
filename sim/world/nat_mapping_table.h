#pragma once
// The state of a NAT, without packets: which internal endpoint is mapped to
// which external port, which remote endpoints may answer through a mapping,
// and when each mapping dies. RFC 4787 (UDP) and RFC 5382 (TCP) name the
// behaviours; the Nat (sim/world/nat.h) feeds this table from the packets it sees.
//
// A mapping is found for outbound packets by its internal endpoint (and,
// for address- or port-dependent mapping, by the remote it was made for),
// and for inbound packets by its external address and port. Under a mapping
// live one session per remote endpoint it has talked to: sessions carry the
// idle timers (and for TCP the connection phase), filtering asks whether a
// live session matches the sender, and a mapping lives as long as any of its
// sessions does.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/endpoint.h"
#include "core/time.h"
#include "scenario/nat_behaviour.h"

namespace tether::sim {

// The behaviours a NAT can have are the scenario's vocabulary (both worlds
// realise them); the table here is the simulated one.
using scenario::NatBehaviour;
using scenario::NatTableConfig;
using scenario::NatTimeouts;

enum class NatProtocol : std::uint8_t { udp, tcp, icmp };
inline constexpr std::size_t kNatProtocolCount = 3;
const char* to_string(NatProtocol protocol);

// TCP header flag bits, as on the wire.
namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t ack = 0x10;
}  // namespace tcp_flag


struct NatSession {
  Time refreshed;
  // TCP only: which SYN/FIN the NAT has seen in each direction, and RST.
  bool syn_out = false, syn_in = false, fin_out = false, fin_in = false, rst = false;
  // Loose pick-up: a connection first seen mid-stream (no SYN) counts as
  // established, as Linux conntrack does.
  bool picked_up = false;

  bool established() const { return !fin_out && !fin_in && !rst && (picked_up || (syn_out && syn_in)); }
};

struct NatMapping {
  std::uint64_t id = 0;  // creation order, never reused
  NatProtocol protocol = NatProtocol::udp;
  Endpoint internal;
  Endpoint external;
  // The remote the mapping was made for, under address- or port-dependent
  // mapping (port 0 under address-dependent); unset under
  // endpoint-independent mapping.
  std::optional<Endpoint> bound_remote;
  // The NAT's uplink the mapping belongs to (its external address's).
  std::uint32_t wan_interface = 0;
  Time created;
  // Keyed by the remote endpoint (ICMP: port 0).
  std::map<Endpoint, NatSession> sessions;

  // When the mapping dies if nothing refreshes it.
  Time expires_at(const NatTimeouts& timeouts) const;
};

// Why the table would not pass an inbound packet.
enum class NatInboundVerdict : std::uint8_t { pass, no_mapping, filtered };

class NatMappingTable {
 public:
  // `draw_port` returns uniformly random numbers (the table reduces them);
  // it is the table's only source of randomness.
  NatMappingTable(NatTableConfig config, std::function<std::uint32_t()> draw_port);

  const NatTableConfig& config() const { return config_; }

  struct Outbound {
    // Null when no external port is free.
    const NatMapping* mapping = nullptr;
    bool created = false;
    // A mapping for the same flow on another uplink (or with an external
    // address the uplink no longer has), removed to make way for this one.
    std::optional<NatMapping> replaced;
  };
  // The mapping for a packet from `internal` to `remote` leaving through
  // `wan_interface`, whose address is `external_address`; made if missing.
  // Refreshes the session for `remote` and tracks TCP phases by `tcp_flags`.
  Outbound outbound(NatProtocol protocol, const Endpoint& internal, const Endpoint& remote,
                    const IpAddress& external_address, std::uint32_t wan_interface, std::uint8_t tcp_flags, Time now);

  struct Inbound {
    NatInboundVerdict verdict = NatInboundVerdict::no_mapping;
    const NatMapping* mapping = nullptr;  // set unless no_mapping
  };
  // What to do with a packet from `remote` to `external`.
  Inbound inbound(NatProtocol protocol, const Endpoint& external, const Endpoint& remote, std::uint8_t tcp_flags,
                  Time now);

  // Removes the mappings that have died by `now` and returns them, oldest
  // first. Dead sessions of live mappings go too (they no longer pass
  // filtering).
  std::vector<NatMapping> expire(Time now);
  // Removes every mapping (flush, reboot), oldest first.
  std::vector<NatMapping> clear();
  // Removes the mappings of one uplink.
  std::vector<NatMapping> drop_wan_interface(std::uint32_t wan_interface);

  // A time at or before the earliest death of a mapping; Time::never() if
  // the table is empty. expire() at this time may find nothing yet (a
  // refresh moved the death later): call it again at the new value.
  Time next_deadline() const { return next_deadline_; }

  std::size_t size() const { return mappings_.size(); }
  // Oldest first.
  std::vector<const NatMapping*> mappings() const;
  const NatMapping* find_external(NatProtocol protocol, const Endpoint& external) const;

 private:
  using OutboundKey = std::tuple<NatProtocol, Endpoint, std::optional<Endpoint>>;
  using ExternalKey = std::tuple<NatProtocol, Endpoint>;

  std::optional<Endpoint> bound_remote_for(const Endpoint& remote) const;
  std::optional<std::uint16_t> allocate_port(NatProtocol protocol, const IpAddress& external_address,
                                             std::uint16_t internal_port);
  bool port_free(NatProtocol protocol, const IpAddress& external_address, std::uint16_t port) const;
  void track(NatMapping& mapping, const Endpoint& remote, bool outbound, std::uint8_t tcp_flags, Time now,
             bool refresh);
  Duration session_timeout(NatProtocol protocol, const NatSession& session) const;
  bool session_live(NatProtocol protocol, const NatSession& session, Time now) const;
  std::vector<NatMapping> remove_where(const std::function<bool(const NatMapping&)>& pred);
  void note_deadline(Time t) {
    if (t < next_deadline_) next_deadline_ = t;
  }

  NatTableConfig config_;
  std::function<std::uint32_t()> draw_port_;
  std::uint64_t next_id_ = 1;
  // By id, so iteration (and every list this returns) is in creation order.
  std::map<std::uint64_t, NatMapping> mappings_;
  std::map<OutboundKey, std::uint64_t> by_outbound_;
  std::map<ExternalKey, std::uint64_t> by_external_;
  Time next_deadline_ = Time::never();
};

}  // namespace tether::sim
