#pragma once
// A home router's NAT (NAPT) on an ns-3 node: it rewrites the source
// address and port of UDP, TCP and ICMP echo (identifier) packets that leave
// by an uplink, and reverse-translates what comes back, with the mapping and
// filtering behaviours of RFC 4787, per-protocol idle timeouts (TCP by
// connection phase, RFC 5382) and the events a scenario replays: flush and
// reboot. ns-3.37 has no NAT of its own.
//
// The node is built with NatRoutingHelper (sim/world/nat_routing.h explains the
// hook); its uplinks are the interfaces named at creation, every other
// interface is LAN. What arrives on an uplink addressed to anything but the
// uplink's own address, or without a mapping that lets it in, is dropped
// silently, as home routers do (no ICMP). ICMP echo requests to a public
// address are answered by the router itself.
//
// Not modelled: ICMP errors about translated flows (dropped), fragments
// (dropped), IPv6 (a home gets a prefix and no NAT), ALGs.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <ns3/ipv4-address.h>
#include <ns3/node.h>
#include <ns3/ptr.h>

#include "core/error.h"
#include "core/subscribers.h"
#include "sim/world/nat_mapping_table.h"
#include "sim/world/nat_packet.h"
#include "sim/world/nat_routing.h"
#include "sim/host/node_loop.h"
#include "sim/host/seeded_random.h"

namespace tether::sim {

struct NatConfig : NatTableConfig {
  // Port randomisation draws from SeededRandom(seed, random_stream); unset
  // stream: derived from the node id.
  std::uint64_t seed = 1;
  std::optional<std::uint64_t> random_stream;
  bool answer_pings = true;
};

enum class NatDropReason : std::uint8_t {
  no_mapping,       // inbound, nothing mapped at that external port
  filtered,         // inbound, a mapping exists but the sender may not use it
  ports_exhausted,  // outbound, no external port left
  unsupported,      // a protocol, ICMP type or fragment the NAT does not translate
  not_for_nat,      // arrived on an uplink for an address that is not the uplink's
};
const char* to_string(NatDropReason reason);

// Why mappings went before their time.
enum class NatFlushCause : std::uint8_t { flush, reboot, address_change, uplink_change };
const char* to_string(NatFlushCause cause);

enum class NatEventKind : std::uint8_t { mapping_created, mapping_expired, mapping_flushed, packet_dropped };
const char* to_string(NatEventKind kind);

struct NatEvent {
  Time at;
  NatEventKind kind = NatEventKind::mapping_created;
  // Mapping events: the mapping's protocol, internal and external endpoints,
  // and the remote it was first used for. Drops: `internal` is the source
  // of an outbound packet, `remote` the source of an inbound one, and
  // `external` the destination it was sent to; protocol is udp for a
  // packet of another protocol.
  NatProtocol protocol = NatProtocol::udp;
  Endpoint internal;
  Endpoint external;
  Endpoint remote;
  std::uint32_t wan_interface = 0;
  std::uint64_t mapping_id = 0;
  NatDropReason reason = NatDropReason::no_mapping;  // packet_dropped
  NatFlushCause cause = NatFlushCause::flush;        // mapping_flushed
};

struct NatCounters {
  std::uint64_t mappings_created = 0;
  std::uint64_t mappings_expired = 0;
  std::uint64_t mappings_flushed = 0;
  std::uint64_t translated_outbound = 0;
  std::uint64_t translated_inbound = 0;
  std::uint64_t hairpinned = 0;
  // Indexed by NatProtocol.
  std::array<std::uint64_t, kNatProtocolCount> dropped_no_mapping{};
  std::array<std::uint64_t, kNatProtocolCount> dropped_filtered{};
  std::uint64_t dropped_ports_exhausted = 0;
  std::uint64_t dropped_unsupported = 0;
  std::uint64_t dropped_not_for_nat = 0;

  std::uint64_t no_mapping(NatProtocol p) const { return dropped_no_mapping[std::size_t(p)]; }
  std::uint64_t filtered(NatProtocol p) const { return dropped_filtered[std::size_t(p)]; }
};

class Nat : private NatRoutingHook {
 public:
  using EventHandler = Subscribers<NatEvent>::Handler;

  // `node` runs NatRouting (install_nat_internet_stack); `wan_interfaces`
  // are its uplinks' Ipv4 interface indices, each with its public address
  // as first address (now or later: the address is read per packet).
  static Result<std::unique_ptr<Nat>> create(ns3::Ptr<ns3::Node> node, std::vector<std::uint32_t> wan_interfaces,
                                             NatConfig config);
  // Detaches from the node: it forwards untranslated from then on.
  ~Nat() override;
  Nat(const Nat&) = delete;
  Nat& operator=(const Nat&) = delete;

  // Drops every mapping (all uplinks, or one).
  void flush_mappings(NatFlushCause cause = NatFlushCause::flush);
  void flush_mappings(std::uint32_t wan_interface, NatFlushCause cause);
  // The router restarts: every mapping goes, and the first uplink comes
  // back with `new_public_address` (same prefix length, routes through it
  // kept). With an ISP model attached, use Isp::change_address instead: it
  // does this and moves the ISP side's routes too.
  void reboot(ns3::Ipv4Address new_public_address);

  // The uplink's current address; 0.0.0.0 if it has none.
  ns3::Ipv4Address public_address(std::uint32_t wan_interface) const;
  ns3::Ipv4Address public_address() const { return public_address(wan_interfaces_.front()); }

  const NatCounters& counters() const { return counters_; }
  const NatMappingTable& table() const { return table_; }
  const NatConfig& config() const { return config_; }
  const std::vector<std::uint32_t>& wan_interfaces() const { return wan_interfaces_; }
  ns3::Ptr<ns3::Node> node() const { return loop_.node(); }

  // Every event, in order, as it happens (the harness's events.csv).
  void add_event_handler(EventHandler handler) { subscribers_.subscribe(std::move(handler)); }

 private:
  Nat(ns3::Ptr<ns3::Node> node, ns3::Ptr<NatRouting> routing, std::vector<std::uint32_t> wan_interfaces,
      NatConfig config);

  // NatRoutingHook
  bool is_wan(std::uint32_t interface) const override;
  bool is_public_address(const ns3::Ipv4Address& address) const override;
  Verdict from_wan(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header, std::uint32_t iif) override;
  Verdict hairpin(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header, std::uint32_t iif) override;
  bool to_wan(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header, std::uint32_t oif) override;

  std::optional<std::uint32_t> wan_of(const ns3::Ipv4Address& address) const;
  // The outbound half shared by to_wan and hairpin; null if dropped.
  const NatMapping* map_outbound(const TransportView& view, const ns3::Ipv4Header& header, std::uint32_t oif);
  void drop(NatDropReason reason, std::optional<NatProtocol> protocol, const ns3::Ipv4Header& header,
            const TransportView* view, bool inbound);
  void sweep();
  void schedule_sweep();
  void emit_mapping(NatEventKind kind, const NatMapping& mapping, NatFlushCause cause = NatFlushCause::flush);
  void emit(const NatEvent& event);

  NodeLoop loop_;
  ns3::Ptr<NatRouting> routing_;
  std::vector<std::uint32_t> wan_interfaces_;
  NatConfig config_;
  SeededRandom random_;
  NatMappingTable table_;
  NatCounters counters_;
  Subscribers<NatEvent> subscribers_;
  NodeLoop::Event sweep_event_;
  Time sweep_at_ = Time::never();
};

}  // namespace tether::sim
