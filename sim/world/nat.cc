#include "sim/world/nat.h"

#include <algorithm>
#include <string>
#include <utility>

#include <ns3/ipv4.h>

#include "sim/host/ns3_address.h"
#include "sim/world/static_routes.h"

namespace tether::sim {

const char* to_string(NatDropReason reason) {
  switch (reason) {
    case NatDropReason::no_mapping: return "no-mapping";
    case NatDropReason::filtered: return "filtered";
    case NatDropReason::ports_exhausted: return "ports-exhausted";
    case NatDropReason::unsupported: return "unsupported";
    case NatDropReason::not_for_nat: return "not-for-nat";
  }
  return "?";
}

const char* to_string(NatFlushCause cause) {
  switch (cause) {
    case NatFlushCause::flush: return "flush";
    case NatFlushCause::reboot: return "reboot";
    case NatFlushCause::address_change: return "address-change";
    case NatFlushCause::uplink_change: return "uplink-change";
  }
  return "?";
}

const char* to_string(NatEventKind kind) {
  switch (kind) {
    case NatEventKind::mapping_created: return "nat-mapping-created";
    case NatEventKind::mapping_expired: return "nat-mapping-expired";
    case NatEventKind::mapping_flushed: return "nat-mapping-flushed";
    case NatEventKind::packet_dropped: return "nat-packet-dropped";
  }
  return "?";
}

namespace {

// "NAT" in the high bits keeps the NAT's stream apart from the node's own
// Ns3Host stream (the node id).
constexpr std::uint64_t kNatStreamTag = 0x4e4154ull << 40;

}  // namespace

Result<std::unique_ptr<Nat>> Nat::create(ns3::Ptr<ns3::Node> node, std::vector<std::uint32_t> wan_interfaces,
                                         NatConfig config) {
  if (!node) return Error(ErrorCode::invalid_argument, "Nat: no node");
  auto ipv4 = node->GetObject<ns3::Ipv4>();
  if (!ipv4) return Error(ErrorCode::invalid_argument, "Nat: node " + std::to_string(node->GetId()) + " has no IPv4 stack");
  auto routing = ns3::DynamicCast<NatRouting>(ipv4->GetRoutingProtocol());
  if (!routing)
    return Error(ErrorCode::invalid_argument, "Nat: node " + std::to_string(node->GetId()) +
                                                  " does not route with NatRouting (build it with "
                                                  "install_nat_internet_stack or NatRoutingHelper)");
  if (routing->hook()) return Error(ErrorCode::invalid_argument, "Nat: node " + std::to_string(node->GetId()) + " already has a NAT");
  if (wan_interfaces.empty()) return Error(ErrorCode::invalid_argument, "Nat: no uplink interface given");
  for (auto i : wan_interfaces)
    if (i == 0 || i >= ipv4->GetNInterfaces())
      return Error(ErrorCode::invalid_argument, "Nat: node " + std::to_string(node->GetId()) + " has no interface " +
                                                    std::to_string(i) + " to use as uplink");
  if (config.port_min == 0 || config.port_max < config.port_min)
    return Error(ErrorCode::invalid_argument, "Nat: port range " + std::to_string(config.port_min) + "-" +
                                                  std::to_string(config.port_max) + " is empty");
  return std::unique_ptr<Nat>(new Nat(std::move(node), std::move(routing), std::move(wan_interfaces), config));
}

Nat::Nat(ns3::Ptr<ns3::Node> node, ns3::Ptr<NatRouting> routing, std::vector<std::uint32_t> wan_interfaces,
         NatConfig config)
    : loop_(node),
      routing_(std::move(routing)),
      wan_interfaces_(std::move(wan_interfaces)),
      config_(config),
      random_(config.seed, config.random_stream.value_or(kNatStreamTag | node->GetId())),
      table_(config, [this] {
        std::uint8_t b[4];
        random_.fill(MutableByteView(b, sizeof b));
        return std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3];
      }) {
  routing_->set_hook(this);
}

Nat::~Nat() {
  if (routing_->hook() == this) routing_->set_hook(nullptr);
}

bool Nat::is_wan(std::uint32_t interface) const {
  return std::find(wan_interfaces_.begin(), wan_interfaces_.end(), interface) != wan_interfaces_.end();
}

ns3::Ipv4Address Nat::public_address(std::uint32_t wan_interface) const {
  auto ipv4 = loop_.node()->GetObject<ns3::Ipv4>();
  if (!ipv4 || wan_interface >= ipv4->GetNInterfaces() || ipv4->GetNAddresses(wan_interface) == 0)
    return ns3::Ipv4Address::GetAny();
  return ipv4->GetAddress(wan_interface, 0).GetLocal();
}

std::optional<std::uint32_t> Nat::wan_of(const ns3::Ipv4Address& address) const {
  if (address == ns3::Ipv4Address::GetAny()) return std::nullopt;
  for (auto i : wan_interfaces_)
    if (public_address(i) == address) return i;
  return std::nullopt;
}

bool Nat::is_public_address(const ns3::Ipv4Address& address) const { return wan_of(address).has_value(); }

void Nat::emit(const NatEvent& event) {
  subscribers_.emit(event);
}

void Nat::emit_mapping(NatEventKind kind, const NatMapping& mapping, NatFlushCause cause) {
  NatEvent event;
  event.at = NodeLoop::now();
  event.kind = kind;
  event.protocol = mapping.protocol;
  event.internal = mapping.internal;
  event.external = mapping.external;
  if (!mapping.sessions.empty()) event.remote = mapping.sessions.begin()->first;
  if (mapping.bound_remote) event.remote = *mapping.bound_remote;
  event.wan_interface = mapping.wan_interface;
  event.mapping_id = mapping.id;
  event.cause = cause;
  emit(event);
}

void Nat::drop(NatDropReason reason, std::optional<NatProtocol> protocol, const ns3::Ipv4Header& header,
               const TransportView* view, bool inbound) {
  switch (reason) {
    case NatDropReason::no_mapping: ++counters_.dropped_no_mapping[std::size_t(*protocol)]; break;
    case NatDropReason::filtered: ++counters_.dropped_filtered[std::size_t(*protocol)]; break;
    case NatDropReason::ports_exhausted: ++counters_.dropped_ports_exhausted; break;
    case NatDropReason::unsupported: ++counters_.dropped_unsupported; break;
    case NatDropReason::not_for_nat: ++counters_.dropped_not_for_nat; break;
  }
  if (subscribers_.empty()) return;
  NatEvent event;
  event.at = NodeLoop::now();
  event.kind = NatEventKind::packet_dropped;
  event.protocol = protocol.value_or(NatProtocol::udp);
  event.reason = reason;
  const std::uint16_t sport = view ? view->source_port : 0, dport = view ? view->destination_port : 0;
  const Endpoint source(from_ns3(header.GetSource()), sport), destination(from_ns3(header.GetDestination()), dport);
  (inbound ? event.remote : event.internal) = source;
  (inbound ? event.external : event.remote) = destination;
  emit(event);
}

void Nat::sweep() {
  const Time now = NodeLoop::now();
  if (now < table_.next_deadline()) return;
  for (const NatMapping& mapping : table_.expire(now)) {
    ++counters_.mappings_expired;
    emit_mapping(NatEventKind::mapping_expired, mapping);
  }
}

void Nat::schedule_sweep() {
  const Time next = table_.next_deadline();
  if (next.is_never()) {
    sweep_event_.cancel();
    sweep_at_ = Time::never();
    return;
  }
  if (sweep_event_.pending() && sweep_at_ <= next) return;
  sweep_at_ = next;
  sweep_event_ = loop_.schedule(next - NodeLoop::now(), [this] {
    sweep_at_ = Time::never();
    sweep();
    schedule_sweep();
  });
}

const NatMapping* Nat::map_outbound(const TransportView& view, const ns3::Ipv4Header& header, std::uint32_t oif) {
  const ns3::Ipv4Address external_address = public_address(oif);
  if (external_address == ns3::Ipv4Address::GetAny()) {
    drop(NatDropReason::unsupported, view.protocol, header, &view, false);
    return nullptr;
  }
  const bool icmp = view.protocol == NatProtocol::icmp;
  const Endpoint internal(from_ns3(header.GetSource()), view.source_port);
  const Endpoint remote(from_ns3(header.GetDestination()), icmp ? 0 : view.destination_port);
  auto result = table_.outbound(view.protocol, internal, remote, from_ns3(external_address), oif, view.tcp_flags,
                                NodeLoop::now());
  if (result.replaced) {
    ++counters_.mappings_flushed;
    emit_mapping(NatEventKind::mapping_flushed, *result.replaced, NatFlushCause::uplink_change);
  }
  if (!result.mapping) {
    drop(NatDropReason::ports_exhausted, view.protocol, header, &view, false);
    return nullptr;
  }
  if (result.created) {
    ++counters_.mappings_created;
    emit_mapping(NatEventKind::mapping_created, *result.mapping);
  }
  schedule_sweep();
  return result.mapping;
}

bool Nat::to_wan(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header, std::uint32_t oif) {
  sweep();
  auto view = read_transport(*packet, header);
  // From the LAN only queries start a mapping: an echo reply or an ICMP
  // error would answer something that came in, which the NAT never let in.
  if (!view || (view->protocol == NatProtocol::icmp && !view->icmp_echo_request)) {
    drop(NatDropReason::unsupported, view ? std::optional(view->protocol) : std::nullopt, header, view ? &*view : nullptr,
         false);
    return false;
  }
  const NatMapping* mapping = map_outbound(*view, header, oif);
  if (!mapping) return false;
  TransportRewrite rewrite;
  rewrite.source = to_ns3_v4(mapping->external.address());
  rewrite.source_port = mapping->external.port();
  packet = rewrite_transport(*packet, header, *view, rewrite);
  ++counters_.translated_outbound;
  return true;
}

NatRoutingHook::Verdict Nat::from_wan(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header,
                                      std::uint32_t iif) {
  (void)iif;
  sweep();
  const ns3::Ipv4Address destination = header.GetDestination();
  if (destination.IsBroadcast() || destination.IsMulticast()) return Verdict::pass;
  if (!is_public_address(destination)) {
    drop(NatDropReason::not_for_nat, std::nullopt, header, nullptr, true);
    return Verdict::consumed;
  }
  auto view = read_transport(*packet, header);
  if (view && view->protocol == NatProtocol::icmp && view->icmp_echo_request) {
    if (config_.answer_pings) return Verdict::pass;
    view.reset();
  }
  if (!view) {
    drop(NatDropReason::unsupported, std::nullopt, header, nullptr, true);
    return Verdict::consumed;
  }
  const bool icmp = view->protocol == NatProtocol::icmp;
  const Endpoint external(from_ns3(destination), view->destination_port);
  const Endpoint remote(from_ns3(header.GetSource()), icmp ? 0 : view->source_port);
  auto result = table_.inbound(view->protocol, external, remote, view->tcp_flags, NodeLoop::now());
  if (result.verdict != NatInboundVerdict::pass) {
    drop(result.verdict == NatInboundVerdict::filtered ? NatDropReason::filtered : NatDropReason::no_mapping,
         view->protocol, header, &*view, true);
    return Verdict::consumed;
  }
  TransportRewrite rewrite;
  rewrite.destination = to_ns3_v4(result.mapping->internal.address());
  rewrite.destination_port = result.mapping->internal.port();
  packet = rewrite_transport(*packet, header, *view, rewrite);
  ++counters_.translated_inbound;
  schedule_sweep();
  return Verdict::translated;
}

NatRoutingHook::Verdict Nat::hairpin(ns3::Ptr<const ns3::Packet>& packet, ns3::Ipv4Header& header,
                                     std::uint32_t iif) {
  (void)iif;
  sweep();
  auto view = read_transport(*packet, header);
  // The router's own services (ping) answer on the public address too.
  if (view && view->protocol == NatProtocol::icmp) return Verdict::pass;
  if (!view) {
    drop(NatDropReason::unsupported, std::nullopt, header, nullptr, false);
    return Verdict::consumed;
  }
  const ns3::Ipv4Address destination = header.GetDestination();
  // Out through the uplink that owns the address, then straight back in
  // (RFC 4787 REQ-9): the target sees the sender's external endpoint.
  const NatMapping* source = map_outbound(*view, header, *wan_of(destination));
  if (!source) return Verdict::consumed;
  const Endpoint source_external = source->external;
  const Endpoint external(from_ns3(destination), view->destination_port);
  auto result = table_.inbound(view->protocol, external, source_external, view->tcp_flags, NodeLoop::now());
  if (result.verdict != NatInboundVerdict::pass) {
    drop(result.verdict == NatInboundVerdict::filtered ? NatDropReason::filtered : NatDropReason::no_mapping,
         view->protocol, header, &*view, true);
    return Verdict::consumed;
  }
  TransportRewrite rewrite;
  rewrite.source = to_ns3_v4(source_external.address());
  rewrite.source_port = source_external.port();
  rewrite.destination = to_ns3_v4(result.mapping->internal.address());
  rewrite.destination_port = result.mapping->internal.port();
  packet = rewrite_transport(*packet, header, *view, rewrite);
  ++counters_.hairpinned;
  schedule_sweep();
  return Verdict::translated;
}

void Nat::flush_mappings(NatFlushCause cause) {
  sweep();
  for (const NatMapping& mapping : table_.clear()) {
    ++counters_.mappings_flushed;
    emit_mapping(NatEventKind::mapping_flushed, mapping, cause);
  }
  schedule_sweep();
}

void Nat::flush_mappings(std::uint32_t wan_interface, NatFlushCause cause) {
  sweep();
  for (const NatMapping& mapping : table_.drop_wan_interface(wan_interface)) {
    ++counters_.mappings_flushed;
    emit_mapping(NatEventKind::mapping_flushed, mapping, cause);
  }
  schedule_sweep();
}

void Nat::reboot(ns3::Ipv4Address new_public_address) {
  flush_mappings(NatFlushCause::reboot);
  const std::uint32_t wan = wan_interfaces_.front();
  auto ipv4 = loop_.node()->GetObject<ns3::Ipv4>();
  const ns3::Ipv4Mask mask = ipv4->GetNAddresses(wan) > 0 ? ipv4->GetAddress(wan, 0).GetMask()
                                                          : ns3::Ipv4Mask::GetOnes();
  renumber_interface(loop_.node(), wan, ns3::Ipv4InterfaceAddress(new_public_address, mask));
}

}  // namespace tether::sim
