#include "lab/events/conntrack_event.h"

#include <sstream>
#include <vector>

namespace tether::lab {
namespace {

struct Tuple {
  std::string src, dst, sport, dport, id;
  bool complete(bool icmp) const { return !src.empty() && !dst.empty() && (icmp ? !id.empty() : !sport.empty() && !dport.empty()); }
};

Result<Endpoint> endpoint(const std::string& address, const std::string& port) {
  auto a = IpAddress::parse(address);
  if (!a.ok()) return Error(ErrorCode::invalid_argument, "bad address '" + address + "'");
  char* end = nullptr;
  const unsigned long p = port.empty() ? 0 : std::strtoul(port.c_str(), &end, 10);
  if (!port.empty() && (*end != '\0' || p > 65535)) return Error(ErrorCode::invalid_argument, "bad port '" + port + "'");
  return Endpoint(*a, std::uint16_t(p));
}

}  // namespace

Result<ConntrackFlow> parse_conntrack_line(std::string_view line) {
  std::istringstream words{std::string(line)};
  std::vector<std::string> w;
  for (std::string word; words >> word;) w.push_back(word);
  if (w.empty()) return Error(ErrorCode::invalid_argument, "an empty line");
  ConntrackFlow flow;
  std::size_t i = 0;
  if (w[0] == "[NEW]") flow.type = ConntrackFlow::Type::created;
  else if (w[0] == "[UPDATE]") flow.type = ConntrackFlow::Type::updated;
  else if (w[0] == "[DESTROY]") flow.type = ConntrackFlow::Type::destroyed;
  if (flow.type != ConntrackFlow::Type::listed) ++i;
  if (i + 1 >= w.size()) return Error(ErrorCode::invalid_argument, "no protocol");
  flow.protocol = w[i];
  const bool icmp = flow.protocol == "icmp";
  Tuple tuples[2];
  int current = -1;
  for (++i; i < w.size(); ++i) {
    const std::string& word = w[i];
    if (word == "[USERSPACE]") flow.by_userspace = true;
    const auto eq = word.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (key == "src") {
      if (++current > 1) break;
      tuples[current].src = value;
    }
    if (current < 0 || current > 1) continue;
    Tuple& t = tuples[current];
    if (key == "dst") t.dst = value;
    else if (key == "sport") t.sport = value;
    else if (key == "dport") t.dport = value;
    else if (key == "id" && t.id.empty()) t.id = value;
  }
  if (current < 1) return Error(ErrorCode::invalid_argument, "no reply tuple");
  for (const Tuple& t : tuples)
    if (!t.complete(icmp)) return Error(ErrorCode::invalid_argument, "an incomplete " + flow.protocol + " tuple");
  // ICMP echo: both ends' "port" is the identifier (the simulated NAT maps it).
  auto os = endpoint(tuples[0].src, icmp ? tuples[0].id : tuples[0].sport);
  auto od = endpoint(tuples[0].dst, icmp ? tuples[0].id : tuples[0].dport);
  auto rs = endpoint(tuples[1].src, icmp ? tuples[1].id : tuples[1].sport);
  auto rd = endpoint(tuples[1].dst, icmp ? tuples[1].id : tuples[1].dport);
  for (auto* e : {&os, &od, &rs, &rd})
    if (!e->ok()) return e->error();
  flow.original_source = *os;
  flow.original_destination = *od;
  flow.reply_source = *rs;
  flow.reply_destination = *rd;
  return flow;
}

std::optional<scenario::NatObservation> nat_observation(const ConntrackFlow& flow, Time at) {
  using Kind = scenario::NatObservation::Kind;
  if (!flow.translated()) return std::nullopt;
  scenario::NatObservation o;
  if (flow.type == ConntrackFlow::Type::created) o.kind = Kind::mapping_created;
  else if (flow.type == ConntrackFlow::Type::destroyed && !flow.by_userspace) o.kind = Kind::mapping_expired;
  else return std::nullopt;
  o.at = at;
  o.protocol = flow.protocol;
  o.internal = flow.original_source;
  o.external = flow.reply_destination;
  return o;
}

scenario::NatObservation flushed_observation(const ConntrackFlow& flow, Time at, const std::string& cause) {
  scenario::NatObservation o;
  o.kind = scenario::NatObservation::Kind::mapping_flushed;
  o.at = at;
  o.protocol = flow.protocol;
  o.internal = flow.original_source;
  o.external = flow.reply_destination;
  o.cause = cause;
  return o;
}

}  // namespace tether::lab
