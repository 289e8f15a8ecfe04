#include "lab/world/nat_plan.h"

#include <yaml-cpp/yaml.h>

namespace tether::lab {
namespace {

using scenario::NatBehaviour;

// Where the scenario file says `field` ("nat.mapping"), as the start of an
// error line. The scenario library keeps no line for the nat section, so
// the file is read again; a value that differs from the file's came from
// `--set`.
std::string origin(const scenario::Scenario& s, const std::string& field, const std::string& effective) {
  const std::string file = s.source.filename().string();
  try {
    YAML::Node node = YAML::LoadFile(s.source.string());
    std::size_t start = 0;
    while (node && start <= field.size()) {
      std::size_t dot = field.find('.', start);
      if (dot == std::string::npos) dot = field.size();
      if (!node.IsMap()) return file + ": " + field + " (the default)";
      node = node[field.substr(start, dot - start)];
      start = dot + 1;
    }
    if (!node || !node.IsDefined()) return file + ": " + field + " (the default)";
    if (node.IsScalar() && node.Scalar() != effective) return file + ": " + field + " (--set)";
    return file + ":" + std::to_string(node.Mark().line + 1) + ": " + field;
  } catch (const std::exception&) {
    return file + ": " + field;
  }
}

std::string duration_text(Duration d) {
  if (d.ns() % 1000'000'000 == 0) return std::to_string(d.whole_seconds()) + "s";
  return std::to_string(d.whole_milliseconds()) + "ms";
}

void check_timeout(const scenario::Scenario& s, const std::string& name, Duration d, std::vector<std::string>& errors) {
  if (d.ns() % 1000'000'000 == 0 && d.whole_seconds() >= 1) return;
  errors.push_back(origin(s, "nat.timeouts." + name, duration_text(d)) + ": " + duration_text(d) +
                   ": Linux's conntrack timeouts are whole seconds, at least 1 s");
}

std::string interface_set(const std::vector<std::string>& uplinks) {
  std::string set;
  for (const std::string& u : uplinks) set += (set.empty() ? "\"" : ", \"") + u + "\"";
  return "{ " + set + " }";
}

}  // namespace

Result<NatPlan> plan_nat(const scenario::Scenario& s, const std::vector<std::string>& uplinks) {
  const scenario::NatTableConfig& t = s.nat.table;
  std::vector<std::string> errors;
  const std::string mapping = scenario::to_string(t.mapping);
  if (t.mapping == NatBehaviour::address_dependent)
    errors.push_back(origin(s, "nat.mapping", mapping) +
                     ": address-dependent mapping cannot be made on Linux: its NAT keeps a flow's port "
                     "(endpoint-independent) or draws one per flow (address-and-port-dependent)");
  if (t.mapping == NatBehaviour::endpoint_independent && !t.port_preservation)
    errors.push_back(origin(s, "nat.port_preservation", "false") +
                     ": false with endpoint-independent mapping cannot be made on Linux: its random ports "
                     "(masquerade fully-random) are drawn per flow, which is address-and-port-dependent mapping");
  if (t.mapping == NatBehaviour::address_and_port_dependent && t.port_preservation)
    errors.push_back(origin(s, "nat.port_preservation", "true") +
                     ": true with address-and-port-dependent mapping cannot be made on Linux: a kept port is kept "
                     "for every flow (endpoint-independent); set it false for a port drawn per flow");
  if (t.filtering != NatBehaviour::address_and_port_dependent)
    errors.push_back(origin(s, "nat.filtering", scenario::to_string(t.filtering)) + ": " +
                     scenario::to_string(t.filtering) +
                     " filtering cannot be made on Linux: conntrack lets in only replies to a tracked flow "
                     "(address-and-port-dependent)");
  if (!t.inbound_refresh)
    errors.push_back(origin(s, "nat.inbound_refresh", "false") +
                     ": false cannot be made on Linux: conntrack refreshes a flow's timeout on inbound packets "
                     "too; a lab scenario sets `inbound_refresh: true`");
  check_timeout(s, "udp", t.timeouts.udp, errors);
  check_timeout(s, "tcp_established", t.timeouts.tcp_established, errors);
  check_timeout(s, "tcp_transitory", t.timeouts.tcp_transitory, errors);
  check_timeout(s, "icmp", t.timeouts.icmp, errors);
  if (!errors.empty()) {
    std::string text;
    for (const std::string& e : errors) text += (text.empty() ? "" : "\n") + e;
    return Error(ErrorCode::invalid_argument, text);
  }

  NatPlan plan;
  plan.table = "tether_lab_nat";
  const std::string wan = interface_set(uplinks);
  const char* masquerade = t.mapping == NatBehaviour::address_and_port_dependent ? "masquerade fully-random" : "masquerade";
  plan.ruleset = "table ip " + plan.table + " {\n" +
                 "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n" +
                 "    oifname " + wan + " " + masquerade + "\n  }\n" +
                 "  chain forward {\n    type filter hook forward priority filter; policy accept;\n" +
                 "    iifname " + wan + " ct state established accept\n" +
                 "    iifname " + wan + " drop\n  }\n" +
                 "  chain input {\n    type filter hook input priority filter; policy accept;\n" +
                 "    iifname " + wan + " ct state established accept\n" +
                 "    iifname " + wan + " icmp type echo-request accept\n" +
                 "    iifname " + wan + " drop\n  }\n}\n";
  const auto seconds = [](Duration d) { return std::to_string(d.whole_seconds()); };
  const std::string nf = "net.netfilter.nf_conntrack_";
  plan.sysctls = {{nf + "udp_timeout", seconds(t.timeouts.udp)},
                  {nf + "udp_timeout_stream", seconds(t.timeouts.udp)},
                  {nf + "tcp_timeout_established", seconds(t.timeouts.tcp_established)},
                  {nf + "icmp_timeout", seconds(t.timeouts.icmp)}};
  for (const char* state : {"syn_sent", "syn_recv", "fin_wait", "close_wait", "last_ack", "time_wait", "close"})
    plan.sysctls.emplace_back(nf + "tcp_timeout_" + state, seconds(t.timeouts.tcp_transitory));
  return plan;
}

}  // namespace tether::lab
