#include "sim/world/nat_mapping_table.h"

#include <algorithm>
#include <utility>

namespace tether::sim {

const char* to_string(NatProtocol protocol) {
  switch (protocol) {
    case NatProtocol::udp: return "udp";
    case NatProtocol::tcp: return "tcp";
    case NatProtocol::icmp: return "icmp";
  }
  return "?";
}

namespace {

Duration timeout_of(NatProtocol protocol, const NatSession& session, const NatTimeouts& timeouts) {
  switch (protocol) {
    case NatProtocol::udp: return timeouts.udp;
    case NatProtocol::icmp: return timeouts.icmp;
    case NatProtocol::tcp: return session.established() ? timeouts.tcp_established : timeouts.tcp_transitory;
  }
  return timeouts.udp;
}

}  // namespace

Time NatMapping::expires_at(const NatTimeouts& timeouts) const {
  Time latest = Time::zero();
  for (const auto& [remote, session] : sessions)
    latest = std::max(latest, session.refreshed + timeout_of(protocol, session, timeouts));
  return latest;
}

NatMappingTable::NatMappingTable(NatTableConfig config, std::function<std::uint32_t()> draw_port)
    : config_(config), draw_port_(std::move(draw_port)) {
  if (config_.port_min == 0) config_.port_min = 1;
  if (config_.port_max < config_.port_min) config_.port_max = config_.port_min;
}

Duration NatMappingTable::session_timeout(NatProtocol protocol, const NatSession& session) const {
  return timeout_of(protocol, session, config_.timeouts);
}

bool NatMappingTable::session_live(NatProtocol protocol, const NatSession& session, Time now) const {
  return now < session.refreshed + session_timeout(protocol, session);
}

std::optional<Endpoint> NatMappingTable::bound_remote_for(const Endpoint& remote) const {
  switch (config_.mapping) {
    case NatBehaviour::endpoint_independent: return std::nullopt;
    case NatBehaviour::address_dependent: return Endpoint(remote.address(), 0);
    case NatBehaviour::address_and_port_dependent: return remote;
  }
  return std::nullopt;
}

bool NatMappingTable::port_free(NatProtocol protocol, const IpAddress& external_address, std::uint16_t port) const {
  return by_external_.count(ExternalKey(protocol, Endpoint(external_address, port))) == 0;
}

std::optional<std::uint16_t> NatMappingTable::allocate_port(NatProtocol protocol, const IpAddress& external_address,
                                                            std::uint16_t internal_port) {
  // RFC 4787 REQ-1/REQ-3 allow preservation; a taken port falls back to a
  // random one (no port overloading: one external port, one mapping).
  if (config_.port_preservation && port_free(protocol, external_address, internal_port)) return internal_port;
  const std::uint32_t range = std::uint32_t(config_.port_max) - config_.port_min + 1;
  for (int attempt = 0; attempt < 64; ++attempt) {
    auto port = std::uint16_t(config_.port_min + draw_port_() % range);
    if (port_free(protocol, external_address, port)) return port;
  }
  // Nearly full: walk the range from a random start.
  const std::uint32_t start = draw_port_() % range;
  for (std::uint32_t k = 0; k < range; ++k) {
    auto port = std::uint16_t(config_.port_min + (start + k) % range);
    if (port_free(protocol, external_address, port)) return port;
  }
  return std::nullopt;
}

void NatMappingTable::track(NatMapping& mapping, const Endpoint& remote, bool outbound, std::uint8_t tcp_flags,
                            Time now, bool refresh) {
  auto it = mapping.sessions.find(remote);
  const bool fresh = it == mapping.sessions.end();
  if (fresh) {
    if (!refresh) return;
    it = mapping.sessions.emplace(remote, NatSession{}).first;
    it->second.refreshed = now;
  }
  NatSession& session = it->second;
  const bool was_established = session.established();
  if (mapping.protocol == NatProtocol::tcp) {
    // A new connection between the same two endpoints (a bare SYN after a
    // close) starts over; the old one's FIN or RST no longer applies.
    if ((tcp_flags & (tcp_flag::syn | tcp_flag::ack)) == tcp_flag::syn &&
        (session.fin_out || session.fin_in || session.rst)) {
      session = NatSession{};
      session.refreshed = now;
    }
    if (fresh && !(tcp_flags & tcp_flag::syn)) session.picked_up = true;
    if (tcp_flags & tcp_flag::syn) (outbound ? session.syn_out : session.syn_in) = true;
    if (tcp_flags & tcp_flag::fin) (outbound ? session.fin_out : session.fin_in) = true;
    if (tcp_flags & tcp_flag::rst) session.rst = true;
  }
  // A change of phase restarts the idle timer under the new phase's
  // timeout, whichever direction brought it (conntrack does the same).
  const bool phase_changed = mapping.protocol == NatProtocol::tcp && session.established() != was_established;
  if (refresh || phase_changed) session.refreshed = now;
  note_deadline(session.refreshed + session_timeout(mapping.protocol, session));
}

NatMappingTable::Outbound NatMappingTable::outbound(NatProtocol protocol, const Endpoint& internal,
                                                    const Endpoint& remote, const IpAddress& external_address,
                                                    std::uint32_t wan_interface, std::uint8_t tcp_flags, Time now) {
  Outbound result;
  const OutboundKey key(protocol, internal, bound_remote_for(remote));
  auto found = by_outbound_.find(key);
  if (found != by_outbound_.end()) {
    NatMapping& existing = mappings_.at(found->second);
    if (existing.wan_interface == wan_interface && existing.external.address() == external_address) {
      track(existing, remote, /*outbound=*/true, tcp_flags, now, /*refresh=*/true);
      result.mapping = &existing;
      return result;
    }
    const std::uint64_t stale = found->second;
    auto removed = remove_where([stale](const NatMapping& m) { return m.id == stale; });
    result.replaced = std::move(removed.front());
  }
  auto port = allocate_port(protocol, external_address, internal.port());
  if (!port) return result;
  NatMapping mapping;
  mapping.id = next_id_++;
  mapping.protocol = protocol;
  mapping.internal = internal;
  mapping.external = Endpoint(external_address, *port);
  mapping.bound_remote = std::get<2>(key);
  mapping.wan_interface = wan_interface;
  mapping.created = now;
  auto& stored = mappings_.emplace(mapping.id, std::move(mapping)).first->second;
  by_outbound_.emplace(key, stored.id);
  by_external_.emplace(ExternalKey(protocol, stored.external), stored.id);
  track(stored, remote, /*outbound=*/true, tcp_flags, now, /*refresh=*/true);
  result.mapping = &stored;
  result.created = true;
  return result;
}

NatMappingTable::Inbound NatMappingTable::inbound(NatProtocol protocol, const Endpoint& external,
                                                  const Endpoint& remote, std::uint8_t tcp_flags, Time now) {
  Inbound result;
  auto found = by_external_.find(ExternalKey(protocol, external));
  if (found == by_external_.end()) return result;
  NatMapping& mapping = mappings_.at(found->second);
  result.mapping = &mapping;
  bool allowed = false;
  switch (config_.filtering) {
    case NatBehaviour::endpoint_independent:
      allowed = true;
      break;
    case NatBehaviour::address_dependent:
      allowed = std::any_of(mapping.sessions.begin(), mapping.sessions.end(), [&](const auto& entry) {
        return entry.first.address() == remote.address() && session_live(protocol, entry.second, now);
      });
      break;
    case NatBehaviour::address_and_port_dependent: {
      auto session = mapping.sessions.find(remote);
      allowed = session != mapping.sessions.end() && session_live(protocol, session->second, now);
      break;
    }
  }
  if (!allowed) {
    result.verdict = NatInboundVerdict::filtered;
    return result;
  }
  track(mapping, remote, /*outbound=*/false, tcp_flags, now, config_.inbound_refresh);
  result.verdict = NatInboundVerdict::pass;
  return result;
}

std::vector<NatMapping> NatMappingTable::expire(Time now) {
  if (now < next_deadline_) return {};
  std::vector<NatMapping> dead;
  Time next = Time::never();
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    NatMapping& mapping = it->second;
    for (auto s = mapping.sessions.begin(); s != mapping.sessions.end();) {
      if (session_live(mapping.protocol, s->second, now)) {
        next = std::min(next, s->second.refreshed + session_timeout(mapping.protocol, s->second));
        ++s;
      } else {
        s = mapping.sessions.erase(s);
      }
    }
    if (!mapping.sessions.empty()) {
      ++it;
      continue;
    }
    by_outbound_.erase(OutboundKey(mapping.protocol, mapping.internal, mapping.bound_remote));
    by_external_.erase(ExternalKey(mapping.protocol, mapping.external));
    dead.push_back(std::move(mapping));
    it = mappings_.erase(it);
  }
  next_deadline_ = next;
  return dead;
}

std::vector<NatMapping> NatMappingTable::remove_where(const std::function<bool(const NatMapping&)>& pred) {
  std::vector<NatMapping> removed;
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    if (!pred(it->second)) {
      ++it;
      continue;
    }
    NatMapping& mapping = it->second;
    by_outbound_.erase(OutboundKey(mapping.protocol, mapping.internal, mapping.bound_remote));
    by_external_.erase(ExternalKey(mapping.protocol, mapping.external));
    removed.push_back(std::move(mapping));
    it = mappings_.erase(it);
  }
  if (mappings_.empty()) next_deadline_ = Time::never();
  return removed;
}

std::vector<NatMapping> NatMappingTable::clear() {
  return remove_where([](const NatMapping&) { return true; });
}

std::vector<NatMapping> NatMappingTable::drop_wan_interface(std::uint32_t wan_interface) {
  return remove_where([wan_interface](const NatMapping& m) { return m.wan_interface == wan_interface; });
}

std::vector<const NatMapping*> NatMappingTable::mappings() const {
  std::vector<const NatMapping*> out;
  out.reserve(mappings_.size());
  for (const auto& [id, mapping] : mappings_) out.push_back(&mapping);
  return out;
}

const NatMapping* NatMappingTable::find_external(NatProtocol protocol, const Endpoint& external) const {
  auto found = by_external_.find(ExternalKey(protocol, external));
  return found == by_external_.end() ? nullptr : &mappings_.at(found->second);
}

}  // namespace tether::sim
