// The scenario's world sections: hosts, links, nat, isp and dns.
#include <set>

#include "node/deployment_files.h"
#include "scenario/scenario_parser_impl.h"

namespace tether::scenario {

void ScenarioReader::host_config_errors(const YAML::Node& v, const std::string& field,
                                        const std::vector<std::string>& config_errors) {
  for (const std::string& e : config_errors) error(v, field, e);
}

// Long: one block per host field, in the schema's order.
void ScenarioReader::hosts(const YAML::Node& n, Scenario& s) {
  if (!n) {
    error(n, "hosts", "missing");
    return;
  }
  if (!n.IsMap()) {
    error(n, "hosts", "expected a mapping of host names");
    return;
  }
  std::set<std::string> addresses;
  for (auto it = n.begin(); it != n.end(); ++it) {
    HostSpec h;
    h.name = it->first.Scalar();
    h.line = it->first.Mark().line + 1;
    const std::string f = "hosts." + h.name;
    if (h.name == "internet" || h.name == "gateway" || h.name == "uplink" || h.name == "lte")
      error(it->first, f, "'" + h.name + "' is a name the world uses itself");
    // A copy: it->second lives in the iterator's temporary proxy.
    const YAML::Node m = it->second;
    if (!keys(m, f, {"role", "hostname", "address", "address6", "interface_id", "tunnel", "smtpd", "interface",
                     "persistent_keepalive", "profile", "implementation", "os", "clock_ppm"}))
      continue;
    if (auto r = m["role"]) {
      auto text = scalar(r, f + ".role");
      if (text == std::optional<std::string>("sender")) h.role = HostRole::sender;
      else if (text == std::optional<std::string>("relay")) h.role = HostRole::relay;
      else if (text == std::optional<std::string>("home")) h.role = HostRole::home;
      else if (text == std::optional<std::string>("backup")) h.role = HostRole::backup;
      else if (text) error(r, f + ".role", "'" + *text + "' is not a role (sender, relay, home, backup)");
    } else {
      error(m, f + ".role", "missing");
    }
    h.hostname = h.name;
    read(m, f, "hostname", h.hostname, &ScenarioReader::scalar);
    if (auto v = m["address"]) {
      if (auto a = address(v, f + ".address")) {
        h.address = *a;
        if (!a->is_v4()) error(v, f + ".address", "only IPv4 addresses are modelled");
        if (!addresses.insert(a->to_string()).second) error(v, f + ".address", "used by another host");
      }
    } else {
      error(m, f + ".address", "missing");
    }
    if (auto v = m["address6"]) {
      if (auto a = address(v, f + ".address6")) {
        if (!a->is_v6()) error(v, f + ".address6", "'" + a->to_string() + "' is not an IPv6 address");
        else if (h.role == HostRole::home) error(v, f + ".address6", "the home's IPv6 address comes from isp.prefix_pool; give its interface_id");
        else if (!addresses.insert(a->to_string()).second) error(v, f + ".address6", "used by another host");
        else h.address6 = *a;
      }
    }
    if (auto v = m["interface_id"]) {
      auto a = address(v, f + ".interface_id");
      if (a && (!a->is_v6() || std::any_of(a->bytes(), a->bytes() + 8, [](std::uint8_t b) { return b != 0; }) ||
                std::all_of(a->bytes() + 8, a->bytes() + 16, [](std::uint8_t b) { return b == 0; })))
        error(v, f + ".interface_id", "expected the low 64 bits as an IPv6 address, e.g. '::10'");
      else if (a && h.role != HostRole::home) error(v, f + ".interface_id", "only the home is numbered from the prefix");
      else if (a) {
        std::uint64_t id = 0;
        for (int i = 8; i < 16; ++i) id = id << 8 | a->bytes()[i];
        h.interface_id = id;
      }
    }
    read(m, f, "tunnel", h.tunnel, &ScenarioReader::file);
    read(m, f, "smtpd", h.smtpd, &ScenarioReader::file);
    // Loaded now as the world will load them, so a broken config fails
    // before anything runs, naming this field and the config's own line.
    if (!h.tunnel.empty())
      host_config_errors(m["tunnel"], f + ".tunnel",
                         node::load_tunnel_file(h.tunnel.string(), h.tunnel.filename().string()).errors);
    if (!h.smtpd.empty())
      host_config_errors(m["smtpd"], f + ".smtpd",
                         node::load_relay_file(h.smtpd.string(), node::config_root(h.smtpd), h.smtpd.filename().string()).errors);
    read(m, f, "interface", h.interface_name, &ScenarioReader::scalar);
    if (auto v = m["persistent_keepalive"]) {
      if (!m["tunnel"]) error(v, f + ".persistent_keepalive", "the host runs no tunnel");
      // Seconds, as wg(8) takes it; "25s" too.
      if (v.IsScalar() && !v.Scalar().empty() && !std::isdigit(static_cast<unsigned char>(v.Scalar().back()))) {
        if (auto d = duration(v, f + ".persistent_keepalive")) {
          if (*d < Duration::zero() || *d > Duration::seconds(65535))
            error(v, f + ".persistent_keepalive", "must be 0..65535 s");
          else h.persistent_keepalive = std::uint16_t(d->ns() / 1000000000);
        }
      } else if (auto k = integer<std::uint16_t>(v, f + ".persistent_keepalive", 0, 65535)) {
        h.persistent_keepalive = *k;
      }
    }
    if (auto v = m["profile"]) {
      if (!m["smtpd"]) error(v, f + ".profile", "the host runs no mail server");
      if (auto text = scalar(v, f + ".profile")) {
        if (auto p = smtp::relay_profile_from_string(*text)) h.profile = *p;
        else error(v, f + ".profile", "'" + *text + "' is not a relay profile (tether, opensmtpd, postfix)");
      }
    }
    if (auto v = m["implementation"]) {
      if (!m["smtpd"]) error(v, f + ".implementation", "the host runs no mail server");
      if (auto text = scalar(v, f + ".implementation")) {
        if (*text == "tetherd") h.implementation = RelayImplementation::tetherd;
        else if (*text == "opensmtpd") h.implementation = RelayImplementation::opensmtpd;
        else error(v, f + ".implementation", "'" + *text + "' is not a mail server the lab runs (tetherd, opensmtpd)");
      }
      // Both worlds stand for the same server: the simulation runs it on
      // the profile of the implementation the lab runs.
      if (h.implementation == RelayImplementation::opensmtpd) {
        if (h.profile && *h.profile != smtp::RelayProfile::opensmtpd)
          error(v, f + ".implementation", "opensmtpd runs on the opensmtpd profile, not '" +
                                              std::string(smtp::to_string(*h.profile)) + "'");
        h.profile = smtp::RelayProfile::opensmtpd;
      }
    }
    if (auto v = m["os"]) {
      if (auto text = scalar(v, f + ".os")) {
        if (*text == "linux") h.os = HostOs::linux_family;
        else if (*text == "openbsd") h.os = HostOs::openbsd;
        else error(v, f + ".os", "'" + *text + "' is not an operating system the world models (linux, openbsd)");
      }
    }
    if (auto v = m["clock_ppm"]) {
      if (auto x = number(v, f + ".clock_ppm", -1000.0, 1000.0)) h.clock_ppm = *x;
    }
    s.hosts.push_back(std::move(h));
  }
  if (std::count_if(s.hosts.begin(), s.hosts.end(), [](const HostSpec& h) { return h.role == HostRole::home; }) > 1)
    error(n, "hosts", "at most one host may have role home");
}

void ScenarioReader::clocks(const YAML::Node& n, Scenario& s) {
  if (!n) return;
  if (!keys(n, "clocks", {"ppm"})) return;
  if (auto v = n["ppm"]) {
    if (auto x = number(v, "clocks.ppm", 0.0, 1000.0)) s.clocks.ppm = *x;
  }
}

void ScenarioReader::links(const YAML::Node& n, Scenario& s) {
  if (!n) return;
  if (!n.IsSequence()) {
    error(n, "links", "expected a list");
    return;
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node m = n[i];
    const std::string f = "links." + std::to_string(i);
    if (!keys(m, f, {"endpoints", "rate", "delay", "jitter", "reorder", "loss", "lte"})) continue;
    LinkSpec l;
    l.line = m.Mark().line + 1;
    read(m, f, "lte", l.lte, &ScenarioReader::boolean);
    auto e = m["endpoints"];
    if (!e || !e.IsSequence() || e.size() != 2 || !e[0].IsScalar() || !e[1].IsScalar()) {
      error(e ? e : m, f + ".endpoints", "expected two node names, [a, b]");
      continue;
    }
    l.a = e[0].Scalar();
    l.b = e[1].Scalar();
    if (l.b != "internet" && l.b != "gateway") std::swap(l.a, l.b);
    const HostSpec* host = s.host(l.a);
    std::string key;
    if (l.b == "internet" && l.a == "gateway") {
      key = l.lte ? "lte" : "uplink";
    } else if (l.lte) {
      error(e, f + ".lte", "only a gateway-internet link can be 4G");
    } else if (l.b == "internet" && host && host->role != HostRole::home) {
      key = l.a;
    } else if (l.b == "gateway" && host && host->role == HostRole::home) {
      key = "lan";
    } else {
      error(e, f + ".endpoints",
            "[" + e[0].Scalar() + ", " + e[1].Scalar() + "] is not a link of the world (a public host to internet, the home to gateway, "
            "gateway to internet)");
      continue;
    }
    if (!key.empty() && !seen.insert(key).second) error(e, f + ".endpoints", "a second link for " + key);
    if (auto v = m["rate"]) {
      if (auto t = scalar(v, f + ".rate")) {
        l.rate = *t;
        // A positive number, then its unit (ns-3's DataRate reads it).
        const auto digits = t->find_first_not_of("0123456789.");
        const std::string number = t->substr(0, digits);
        const std::string unit = digits == std::string::npos ? "" : t->substr(digits);
        char* end = nullptr;
        const double value = number.empty() ? 0 : std::strtod(number.c_str(), &end);
        if (number.empty() || *end || !(value > 0) ||
            (unit != "bps" && unit != "kbps" && unit != "Kbps" && unit != "Mbps" && unit != "Gbps"))
          error(v, f + ".rate", "'" + *t + "' is not a rate above 0 (e.g. 50Mbps)");
      }
    }
    read(m, f, "delay", l.delay, &ScenarioReader::duration);
    read(m, f, "jitter", l.jitter, &ScenarioReader::duration);
    read(m, f, "reorder", l.reorder, &ScenarioReader::boolean);
    if (auto v = m["loss"]) {
      if (auto x = number(v, f + ".loss", 0.0, 1.0)) l.loss = *x;
    }
    s.links.push_back(std::move(l));
  }
}

std::optional<NatBehaviour> ScenarioReader::behaviour(const YAML::Node& v, const std::string& f) {
  auto t = scalar(v, f);
  if (!t) return std::nullopt;
  if (*t == "endpoint-independent") return NatBehaviour::endpoint_independent;
  if (*t == "address-dependent") return NatBehaviour::address_dependent;
  if (*t == "address-and-port-dependent") return NatBehaviour::address_and_port_dependent;
  error(v, f, "'" + *t + "' is not endpoint-independent, address-dependent or address-and-port-dependent");
  return std::nullopt;
}

void ScenarioReader::nat(const YAML::Node& n, Scenario& s) {
  if (!n) return;
  if (!keys(n, "nat", {"mapping", "filtering", "timeouts", "inbound_refresh", "port_preservation", "failover_detection"}))
    return;
  auto& t = s.nat.table;
  if (auto v = n["mapping"]) {
    if (auto b = behaviour(v, "nat.mapping")) t.mapping = *b;
  }
  if (auto v = n["filtering"]) {
    if (auto b = behaviour(v, "nat.filtering")) t.filtering = *b;
  }
  if (auto v = n["inbound_refresh"]) {
    if (auto b = boolean(v, "nat.inbound_refresh")) t.inbound_refresh = *b;
  }
  if (auto v = n["port_preservation"]) {
    if (auto b = boolean(v, "nat.port_preservation")) t.port_preservation = *b;
  }
  if (auto v = n["failover_detection"]) {
    if (auto d = duration(v, "nat.failover_detection")) s.nat.failover_detection = *d;
  }
  if (auto m = n["timeouts"]) {
    if (keys(m, "nat.timeouts", {"udp", "tcp_established", "tcp_transitory", "icmp"})) {
      auto set = [&](const char* key, Duration& out) {
        if (auto v = m[key]) {
          if (auto d = duration(v, std::string("nat.timeouts.") + key)) {
            if (*d <= Duration::zero()) error(v, std::string("nat.timeouts.") + key, "must be positive");
            out = *d;
          }
        }
      };
      set("udp", t.timeouts.udp);
      set("tcp_established", t.timeouts.tcp_established);
      set("tcp_transitory", t.timeouts.tcp_transitory);
      set("icmp", t.timeouts.icmp);
    }
  }
}

std::vector<IpAddress> ScenarioReader::pool(const YAML::Node& v, const std::string& f) {
  std::vector<IpAddress> out;
  if (!v.IsSequence() || v.size() == 0) {
    error(v, f, "expected a list of IPv4 addresses");
    return out;
  }
  for (std::size_t i = 0; i < v.size(); ++i)
    if (auto a = address(v[i], f + "." + std::to_string(i))) {
      if (!a->is_v4()) error(v[i], f + "." + std::to_string(i), "only IPv4 addresses are modelled");
      out.push_back(*a);
    }
  return out;
}

void ScenarioReader::isp(const YAML::Node& n, Scenario& s) {
  if (!n) {
    for (int i = 100; i < 110; ++i) s.isp.pool.push_back(*IpAddress::parse("198.51.100." + std::to_string(i)));
    for (int i = 100; i < 110; ++i) s.isp.lte_pool.push_back(*IpAddress::parse("192.0.2." + std::to_string(i)));
    return;
  }
  if (!keys(n, "isp", {"pool", "lte_pool", "change_every", "first_change", "prefix_pool"})) return;
  if (auto v = n["prefix_pool"]) {
    if (!v.IsSequence() || v.size() == 0) {
      error(v, "isp.prefix_pool", "expected a list of IPv6 prefixes");
    } else {
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string f = "isp.prefix_pool." + std::to_string(i);
        auto text = scalar(v[i], f);
        if (!text) continue;
        auto p = IpPrefix::parse(*text);
        if (!p.ok() || !p->address().is_v6() || p->length() < 48 || p->length() > 64)
          error(v[i], f, "'" + *text + "' is not an IPv6 prefix of /48 to /64");
        else if (!s.isp.prefix_pool.empty() && p->length() != s.isp.prefix_pool.front().length())
          error(v[i], f, "every prefix of the pool has one length");
        else
          s.isp.prefix_pool.push_back(p->network());
      }
    }
  }
  if (auto v = n["pool"]) s.isp.pool = pool(v, "isp.pool");
  else error(n, "isp.pool", "missing");
  if (auto v = n["lte_pool"]) s.isp.lte_pool = pool(v, "isp.lte_pool");
  else for (int i = 100; i < 110; ++i) s.isp.lte_pool.push_back(*IpAddress::parse("192.0.2." + std::to_string(i)));
  if (auto v = n["change_every"]) {
    if (auto d = duration(v, "isp.change_every")) s.isp.change_every = *d;
  }
  if (auto v = n["first_change"]) {
    if (auto d = duration(v, "isp.first_change")) s.isp.first_change = *d;
  }
}

std::optional<DnsRecordSpec::Type> ScenarioReader::record_type(const YAML::Node& v, const std::string& f) {
  auto t = scalar(v, f);
  if (!t) return std::nullopt;
  if (*t == "A") return DnsRecordSpec::Type::a;
  if (*t == "AAAA") return DnsRecordSpec::Type::aaaa;
  if (*t == "MX") return DnsRecordSpec::Type::mx;
  error(v, f, "'" + *t + "' is not A, AAAA or MX");
  return std::nullopt;
}

void ScenarioReader::dns(const YAML::Node& n, Scenario& s) {
  if (!n) return;
  if (!n.IsSequence()) {
    error(n, "dns", "expected a list of records");
    return;
  }
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node m = n[i];
    const std::string f = "dns." + std::to_string(i);
    if (!keys(m, f, {"name", "type", "address", "preference", "exchange", "ttl"})) continue;
    DnsRecordSpec r;
    if (auto v = m["name"]) {
      if (auto t = scalar(v, f + ".name")) r.name = *t;
    } else {
      error(m, f + ".name", "missing");
    }
    if (auto v = m["type"]) {
      if (auto t = record_type(v, f + ".type")) r.type = *t;
    } else {
      error(m, f + ".type", "missing");
    }
    read(m, f, "ttl", r.ttl, &ScenarioReader::duration);
    if (r.type == DnsRecordSpec::Type::mx) {
      if (m["address"]) error(m["address"], f + ".address", "not for an MX record");
      if (auto v = m["preference"]) {
        if (auto p = integer<std::uint16_t>(v, f + ".preference", 0, 65535)) r.preference = *p;
      } else {
        error(m, f + ".preference", "missing");
      }
      if (auto v = m["exchange"]) {
        if (auto t = scalar(v, f + ".exchange")) r.exchange = *t;
      } else {
        error(m, f + ".exchange", "missing");
      }
    } else {
      if (m["preference"]) error(m["preference"], f + ".preference", "only for an MX record");
      if (m["exchange"]) error(m["exchange"], f + ".exchange", "only for an MX record");
      if (auto v = m["address"]) {
        if (auto a = address(v, f + ".address")) {
          r.address = *a;
          if (a->is_v4() != (r.type == DnsRecordSpec::Type::a)) error(v, f + ".address", "wrong family for the type");
        }
      } else {
        error(m, f + ".address", "missing");
      }
    }
    s.dns.push_back(std::move(r));
  }
}

}  // namespace tether::scenario
