#include "node/tunnel_show.h"

#include <algorithm>
#include <cstdio>

#include "crypto/base64_key.h"

namespace tether::node {

std::string format_wg_duration(std::uint64_t left) {
  struct Unit {
    const char* name;
    std::uint64_t seconds;
  };
  static constexpr Unit kUnits[] = {
      {"year", 365 * 24 * 3600}, {"day", 24 * 3600}, {"hour", 3600}, {"minute", 60}, {"second", 1}};
  std::string out;
  for (const Unit& unit : kUnits) {
    const std::uint64_t n = left / unit.seconds;
    left %= unit.seconds;
    if (!n) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(n) + " " + unit.name + (n == 1 ? "" : "s");
  }
  return out;
}

std::string format_wg_bytes(std::uint64_t b) {
  if (b < 1024) return std::to_string(b) + " B";
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = double(b) / 1024;
  int unit = 0;
  while (unit < 3 && value >= 1024) {
    value /= 1024;
    ++unit;
  }
  char text[64];
  std::snprintf(text, sizeof text, "%.2f %s", value, kUnits[unit]);
  return text;
}

std::string format_wg_ago(WallTime then, WallTime now) {
  // Whole seconds on both sides, as wg compares time(NULL) with tv_sec.
  const std::int64_t t = then.unix_seconds(), n = now.unix_seconds();
  if (n == t) return "Now";
  if (n < t) return "(System clock wound backward; connection problems may ensue.)";
  return format_wg_duration(std::uint64_t(n - t)) + " ago";
}

std::string format_drop_line(const tunnel::DropCounters& drops) {
  const std::uint64_t total = drops.total();
  if (!total) return "";
  std::string by_reason;
  for (std::size_t i = 0; i < tunnel::kPacketDropReasonCount; ++i) {
    const auto reason = tunnel::PacketDropReason(i);
    if (!drops[reason]) continue;
    if (!by_reason.empty()) by_reason += ", ";
    by_reason += std::string(tunnel::to_string(reason)) + " " + std::to_string(drops[reason]);
  }
  return "  dropped packets: " + std::to_string(total) + " (" + by_reason + ")\n";
}

std::string format_wg_show(const TunnelStatus& status) {
  std::string out = "interface: " + status.interface_name + "\n";
  out += "  public key: " + crypto::encode_base64_key(status.public_key) + "\n";
  out += "  private key: (hidden)\n";
  if (status.listen_port) out += "  listening port: " + std::to_string(status.listen_port) + "\n";
  out += format_drop_line(status.drops);

  std::vector<const TunnelPeerStatus*> peers;
  for (const TunnelPeerStatus& p : status.peers) peers.push_back(&p);
  std::stable_sort(peers.begin(), peers.end(), [](const TunnelPeerStatus* a, const TunnelPeerStatus* b) {
    const auto& x = a->stats.latest_handshake;
    const auto& y = b->stats.latest_handshake;
    if (x && !y) return true;
    if (!x || !y) return false;
    return y->unix_ns() < x->unix_ns();
  });
  if (!peers.empty()) out += "\n";
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const tunnel::PeerStats& s = peers[i]->stats;
    out += "peer: " + crypto::encode_base64_key(s.public_key) + "\n";
    if (s.has_preshared_key) out += "  preshared key: (hidden)\n";
    if (s.endpoint) out += "  endpoint: " + s.endpoint->to_string() + "\n";
    out += "  allowed ips: ";
    if (s.allowed_ips.empty()) out += "(none)";
    for (std::size_t j = 0; j < s.allowed_ips.size(); ++j)
      out += (j ? ", " : "") + s.allowed_ips[j].to_string();
    out += "\n";
    if (s.latest_handshake && s.latest_handshake->unix_seconds() != 0)
      out += "  latest handshake: " + format_wg_ago(*s.latest_handshake, status.wall_now) + "\n";
    if (s.rx_bytes || s.tx_bytes)
      out += "  transfer: " + format_wg_bytes(s.rx_bytes) + " received, " + format_wg_bytes(s.tx_bytes) + " sent\n";
    if (s.persistent_keepalive)
      out += "  persistent keepalive: every " + format_wg_duration(s.persistent_keepalive) + "\n";
    if (i + 1 < peers.size()) out += "\n";
  }
  return out;
}

}  // namespace tether::node
