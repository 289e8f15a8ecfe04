#include "sim/scenario_parser.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "sim/node_config_files.h"

namespace tether::sim {
namespace {

std::optional<WallTime> parse_epoch(const std::string& text) {
  int y, mo, d, h = 0, mi = 0, s = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &tail) == 7 && tail == 'Z') {
  } else if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3) {
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return WallTime::from_unix_seconds(days_from_civil(y, unsigned(mo), unsigned(d)) * 86400 + h * 3600 + mi * 60 + s);
}

class Parser {
 public:
  Parser(std::filesystem::path path, std::map<std::string, std::string> overridden)
      : path_(std::move(path)), file_(path_.filename().string()), overridden_(std::move(overridden)) {}

  std::vector<std::string> errors;

  void error(const YAML::Node& node, const std::string& field, const std::string& message) {
    for (const auto& [prefix, text] : overridden_)
      if (field == prefix || field.rfind(prefix + ".", 0) == 0) {
        errors.push_back("--set " + text + ": " + field + ": " + message);
        return;
      }
    const int line = node.IsDefined() && !node.Mark().is_null() ? node.Mark().line + 1 : 0;
    errors.push_back(file_ + ":" + std::to_string(line) + ": " + field + ": " + message);
  }

  // Reports keys of `map` outside `allowed`; false if `map` is not a map.
  bool keys(const YAML::Node& map, const std::string& field, std::initializer_list<const char*> allowed) {
    if (!map.IsMap()) {
      error(map, field, "expected a mapping");
      return false;
    }
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
        std::string list;
        for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        error(it->first, join(field, key), "unknown key (expected one of: " + list + ")");
      }
    }
    return true;
  }

  static std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "." + b; }

  std::optional<std::string> scalar(const YAML::Node& n, const std::string& field) {
    if (!n.IsScalar()) {
      error(n, field, "expected a single value");
      return std::nullopt;
    }
    return n.Scalar();
  }
  std::optional<Duration> duration(const YAML::Node& n, const std::string& field) {
    auto text = scalar(n, field);
    if (!text) return std::nullopt;
    auto d = parse_duration(*text);
    if (!d.ok()) {
      error(n, field, "'" + *text + "' is not a duration (e.g. 30s, 2h, 1h30m)");
      return std::nullopt;
    }
    return *d;
  }
  template <typename T>
  std::optional<T> integer(const YAML::Node& n, const std::string& field, T min, T max) {
    auto text = scalar(n, field);
    if (!text) return std::nullopt;
    char* end = nullptr;
    const long long v = std::strtoll(text->c_str(), &end, 10);
    if (text->empty() || *end || v < (long long)min || (unsigned long long)v > (unsigned long long)max) {
      error(n, field, "'" + *text + "' is not an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
      return std::nullopt;
    }
    return T(v);
  }
  std::optional<double> number(const YAML::Node& n, const std::string& field, double min, double max) {
    auto text = scalar(n, field);
    if (!text) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text->c_str(), &end);
    if (text->empty() || *end || !(v >= min && v <= max)) {
      error(n, field, "'" + *text + "' is not a number in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
      return std::nullopt;
    }
    return v;
  }
  std::optional<bool> boolean(const YAML::Node& n, const std::string& field) {
    auto text = scalar(n, field);
    if (!text) return std::nullopt;
    if (*text == "true" || *text == "yes" || *text == "on") return true;
    if (*text == "false" || *text == "no" || *text == "off") return false;
    error(n, field, "'" + *text + "' is not a boolean (true/false)");
    return std::nullopt;
  }
  std::optional<IpAddress> address(const YAML::Node& n, const std::string& field) {
    auto text = scalar(n, field);
    if (!text) return std::nullopt;
    auto a = IpAddress::parse(*text);
    if (!a.ok()) {
      error(n, field, "'" + *text + "' is not an IP address");
      return std::nullopt;
    }
    return *a;
  }
  std::optional<std::filesystem::path> file(const YAML::Node& n, const std::string& field) {
    auto text = scalar(n, field);
    if (!text) return std::nullopt;
    std::filesystem::path p = path_.parent_path() / *text;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
      error(n, field, "file '" + *text + "' not found");
      return std::nullopt;
    }
    return p;
  }

  Scenario parse(const YAML::Node& root) {
    Scenario s;
    s.source = path_;
    s.name = path_.stem().string();
    if (!keys(root, "", {"seed", "duration", "epoch", "hosts", "links", "nat", "isp", "dns", "workload", "home_activity", "events", "outputs"}))
      return s;
    if (auto n = root["seed"]) {
      if (auto v = integer<std::uint64_t>(n, "seed", 0, UINT64_MAX)) s.seed = *v;
    }
    if (auto n = root["duration"]) {
      if (auto v = duration(n, "duration")) {
        if (*v <= Duration::zero()) error(n, "duration", "must be positive");
        s.duration = *v;
      }
    }
    if (auto n = root["epoch"]) {
      if (auto text = scalar(n, "epoch")) {
        if (auto e = parse_epoch(*text)) s.epoch = *e;
        else error(n, "epoch", "'" + *text + "' is not a UTC time (2026-01-01T00:00:00Z)");
      }
    }
    hosts(root["hosts"], s);
    links(root["links"], s);
    nat(root["nat"], s);
    isp(root["isp"], s);
    dns(root["dns"], s);
    workload(root["workload"], s);
    home_activity(root["home_activity"], s);
    events(root["events"], s);
    outputs(root["outputs"], s);
    return s;
  }

  void hosts(const YAML::Node& n, Scenario& s) {
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
      const YAML::Node& m = it->second;
      if (!keys(m, f, {"role", "hostname", "address", "address6", "interface_id", "tunnel", "smtpd", "interface",
                       "persistent_keepalive"}))
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
      if (auto v = m["hostname"]) {
        if (auto t = scalar(v, f + ".hostname")) h.hostname = *t;
      }
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
      if (auto v = m["tunnel"]) {
        if (auto p = file(v, f + ".tunnel")) h.tunnel = *p;
      }
      if (auto v = m["smtpd"]) {
        if (auto p = file(v, f + ".smtpd")) h.smtpd = *p;
      }
      if (auto v = m["interface"]) {
        if (auto t = scalar(v, f + ".interface")) h.interface_name = *t;
      }
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
      s.hosts.push_back(std::move(h));
    }
    if (std::count_if(s.hosts.begin(), s.hosts.end(), [](const HostSpec& h) { return h.role == HostRole::home; }) > 1)
      error(n, "hosts", "at most one host may have role home");
  }

  void links(const YAML::Node& n, Scenario& s) {
    if (!n) return;
    if (!n.IsSequence()) {
      error(n, "links", "expected a list");
      return;
    }
    std::set<std::string> seen;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const YAML::Node& m = n[i];
      const std::string f = "links." + std::to_string(i);
      if (!keys(m, f, {"endpoints", "rate", "delay", "loss", "lte"})) continue;
      LinkSpec l;
      l.line = m.Mark().line + 1;
      if (auto v = m["lte"]) {
        if (auto b = boolean(v, f + ".lte")) l.lte = *b;
      }
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
          const auto digits = t->find_first_not_of("0123456789.");
          const std::string unit = digits == std::string::npos ? "" : t->substr(digits);
          if (digits == 0 || (unit != "bps" && unit != "kbps" && unit != "Kbps" && unit != "Mbps" && unit != "Gbps"))
            error(v, f + ".rate", "'" + *t + "' is not a rate (e.g. 50Mbps)");
        }
      }
      if (auto v = m["delay"]) {
        if (auto d = duration(v, f + ".delay")) l.delay = *d;
      }
      if (auto v = m["loss"]) {
        if (auto x = number(v, f + ".loss", 0.0, 1.0)) l.loss = *x;
      }
      s.links.push_back(std::move(l));
    }
  }

  std::optional<NatBehaviour> behaviour(const YAML::Node& v, const std::string& f) {
    auto t = scalar(v, f);
    if (!t) return std::nullopt;
    if (*t == "endpoint-independent") return NatBehaviour::endpoint_independent;
    if (*t == "address-dependent") return NatBehaviour::address_dependent;
    if (*t == "address-and-port-dependent") return NatBehaviour::address_and_port_dependent;
    error(v, f, "'" + *t + "' is not endpoint-independent, address-dependent or address-and-port-dependent");
    return std::nullopt;
  }

  void nat(const YAML::Node& n, Scenario& s) {
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

  std::vector<IpAddress> pool(const YAML::Node& v, const std::string& f) {
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

  void isp(const YAML::Node& n, Scenario& s) {
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

  std::optional<DnsRecordSpec::Type> record_type(const YAML::Node& v, const std::string& f) {
    auto t = scalar(v, f);
    if (!t) return std::nullopt;
    if (*t == "A") return DnsRecordSpec::Type::a;
    if (*t == "AAAA") return DnsRecordSpec::Type::aaaa;
    if (*t == "MX") return DnsRecordSpec::Type::mx;
    error(v, f, "'" + *t + "' is not A, AAAA or MX");
    return std::nullopt;
  }

  void dns(const YAML::Node& n, Scenario& s) {
    if (!n) return;
    if (!n.IsSequence()) {
      error(n, "dns", "expected a list of records");
      return;
    }
    for (std::size_t i = 0; i < n.size(); ++i) {
      const YAML::Node& m = n[i];
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
      if (auto v = m["ttl"]) {
        if (auto d = duration(v, f + ".ttl")) r.ttl = *d;
      }
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

  void workload(const YAML::Node& n, Scenario& s) {
    if (!n) return;
    auto& w = s.workload;
    if (!keys(n, "workload", {"sender", "count", "interval", "rate", "start", "size", "from", "recipients"})) return;
    if (auto v = n["sender"]) {
      if (auto t = scalar(v, "workload.sender")) {
        w.sender = *t;
        const HostSpec* h = s.host(*t);
        if (!h) error(v, "workload.sender", "no host '" + *t + "'");
        else if (h->role != HostRole::sender) error(v, "workload.sender", "host '" + *t + "' is not a sender");
      }
    } else {
      error(n, "workload.sender", "missing");
    }
    if (auto v = n["count"]) {
      if (auto c = integer<std::uint64_t>(v, "workload.count", 0, 1000000)) w.count = *c;
    }
    if (n["interval"] && n["rate"]) error(n["rate"], "workload.rate", "give interval or rate, not both");
    if (auto v = n["interval"]) {
      if (auto d = duration(v, "workload.interval")) w.interval = *d;
    }
    if (auto v = n["rate"]) {
      // "12/h", "300/d": messages per unit of time, evenly spaced.
      if (auto t = scalar(v, "workload.rate")) {
        const auto slash = t->find('/');
        char* end = nullptr;
        const double per = slash == std::string::npos ? 0 : std::strtod(t->substr(0, slash).c_str(), &end);
        auto unit = slash == std::string::npos ? Result<Duration>(Error(ErrorCode::invalid_argument, ""))
                                               : parse_duration("1" + t->substr(slash + 1));
        if (!(per > 0) || !unit.ok()) error(v, "workload.rate", "'" + *t + "' is not a rate (e.g. 12/h, 300/d)");
        else w.interval = Duration::nanoseconds(std::int64_t(double(unit->ns()) / per));
      }
    }
    if (auto v = n["start"]) {
      if (auto d = duration(v, "workload.start")) w.start = *d;
    }
    if (auto v = n["size"]) {
      if (auto c = integer<std::size_t>(v, "workload.size", 0, 10 * 1024 * 1024)) w.size = *c;
    }
    if (auto v = n["from"]) {
      if (auto t = scalar(v, "workload.from")) w.from = *t;
    }
    if (auto v = n["recipients"]) {
      if (!v.IsSequence() || v.size() == 0) error(v, "workload.recipients", "expected a list of addresses");
      else
        for (std::size_t i = 0; i < v.size(); ++i)
          if (auto t = scalar(v[i], "workload.recipients." + std::to_string(i))) {
            if (t->find('@') == std::string::npos)
              error(v[i], "workload.recipients." + std::to_string(i), "'" + *t + "' is not a mail address");
            w.recipients.push_back(*t);
          }
    } else if (w.count > 0) {
      error(n, "workload.recipients", "missing");
    }
  }

  void home_activity(const YAML::Node& n, Scenario& s) {
    if (!n) return;
    auto& a = s.home_activity;
    if (!keys(n, "home_activity", {"interval", "start", "to", "size"})) return;
    if (auto v = n["interval"]) {
      if (auto d = duration(v, "home_activity.interval")) {
        if (*d <= Duration::zero()) error(v, "home_activity.interval", "must be positive");
        a.interval = *d;
      }
    } else {
      error(n, "home_activity.interval", "missing");
    }
    if (auto v = n["start"]) {
      if (auto d = duration(v, "home_activity.start")) a.start = *d;
    }
    if (auto v = n["to"]) {
      if (auto t = scalar(v, "home_activity.to")) {
        auto e = Endpoint::parse(*t);
        if (!e.ok()) error(v, "home_activity.to", "'" + *t + "' is not ADDRESS:PORT");
        else a.to = *e;
      }
    } else {
      error(n, "home_activity.to", "missing");
    }
    if (auto v = n["size"]) {
      if (auto c = integer<std::size_t>(v, "home_activity.size", 0, 1400)) a.size = *c;
    }
    if (!s.first_with_role(HostRole::home)) error(n, "home_activity", "the scenario has no home host");
  }

  void events(const YAML::Node& n, Scenario& s) {
    if (!n) return;
    if (!n.IsSequence()) {
      error(n, "events", "expected a list");
      return;
    }
    static const std::map<std::string, EventAction> actions = {
        {"link-down", EventAction::link_down},   {"link-up", EventAction::link_up},
        {"pause-smtp", EventAction::pause_smtp}, {"resume-smtp", EventAction::resume_smtp},
        {"stop-node", EventAction::stop_node},   {"start-node", EventAction::start_node},
        {"isp-change", EventAction::isp_change}, {"nat-flush", EventAction::nat_flush},
        {"dns-set", EventAction::dns_set},       {"dns-remove", EventAction::dns_remove},
        {"change-config", EventAction::change_config},
    };
    for (std::size_t i = 0; i < n.size(); ++i) {
      const YAML::Node& m = n[i];
      const std::string f = "events." + std::to_string(i);
      if (!keys(m, f, {"at", "action", "target", "name", "type", "value", "tunnel", "smtpd"})) continue;
      EventSpec e;
      e.line = m.Mark().line + 1;
      if (auto v = m["at"]) {
        if (auto d = duration(v, f + ".at")) {
          e.at = *d;
          if (*d < Duration::zero() || *d > s.duration) error(v, f + ".at", "outside the scenario's duration");
        }
      } else {
        error(m, f + ".at", "missing");
      }
      auto a = m["action"];
      if (!a) {
        error(m, f + ".action", "missing");
        continue;
      }
      auto text = scalar(a, f + ".action");
      if (!text) continue;
      auto found = actions.find(*text);
      if (found == actions.end()) {
        std::string list;
        for (const auto& [name, _] : actions) list += (list.empty() ? "" : ", ") + name;
        error(a, f + ".action", "'" + *text + "' is not an action (" + list + ")");
        continue;
      }
      e.action = found->second;
      if (auto v = m["target"]) {
        if (auto t = scalar(v, f + ".target")) e.target = *t;
      }
      if (auto v = m["name"]) {
        if (auto t = scalar(v, f + ".name")) e.name = *t;
      }
      if (auto v = m["type"]) {
        if (auto t = record_type(v, f + ".type")) e.type = *t;
      }
      if (auto v = m["value"]) {
        if (auto t = scalar(v, f + ".value")) e.value = *t;
      }
      if (e.action == EventAction::change_config) change_config_files(m, f, s, e);
      else
        for (const char* key : {"tunnel", "smtpd"})
          if (m[key]) error(m[key], f + "." + key, std::string("only for change-config"));
      const bool needs_host = e.action == EventAction::pause_smtp || e.action == EventAction::resume_smtp ||
                              e.action == EventAction::stop_node || e.action == EventAction::start_node ||
                              e.action == EventAction::change_config;
      const bool is_link = e.action == EventAction::link_down || e.action == EventAction::link_up;
      if (needs_host || is_link) {
        const HostSpec* h = s.host(e.target);
        if (e.target.empty()) error(m, f + ".target", "missing");
        else if (is_link && (e.target == "uplink" || e.target == "lte" || e.target == "lan")) {
        } else if (!h) error(m["target"], f + ".target", "no host '" + e.target + "'");
        else if (e.action == EventAction::pause_smtp || e.action == EventAction::resume_smtp) {
          if (h->smtpd.empty()) error(m["target"], f + ".target", "host '" + e.target + "' runs no smtpd");
        }
      }
      if ((e.action == EventAction::dns_set || e.action == EventAction::dns_remove) && e.name.empty())
        error(m, f + ".name", "missing");
      if (e.action == EventAction::dns_set) {
        if (e.type == DnsRecordSpec::Type::mx) {
          unsigned pref = 0;
          char exch[256];
          if (std::sscanf(e.value.c_str(), "%u %255s", &pref, exch) != 2)
            error(m["value"] ? m["value"] : m, f + ".value", "expected 'PREFERENCE EXCHANGE'");
        } else if (!IpAddress::parse(e.value).ok()) {
          error(m["value"] ? m["value"] : m, f + ".value", "'" + e.value + "' is not an IP address");
        }
      }
      if (e.action == EventAction::isp_change && !e.value.empty() && !IpAddress::parse(e.value).ok())
        error(m["value"], f + ".value", "'" + e.value + "' is not an IP address");
      s.events.push_back(std::move(e));
    }
    std::stable_sort(s.events.begin(), s.events.end(), [](const EventSpec& x, const EventSpec& y) { return x.at < y.at; });
  }

  // change-config's files: each one the host already runs, found, and
  // loading as the apps will load it (so a typo fails now, with the
  // config's own file:line, not hours into the run).
  void change_config_files(const YAML::Node& m, const std::string& f, const Scenario& s, EventSpec& e) {
    const HostSpec* h = s.host(e.target);
    if (!m["tunnel"] && !m["smtpd"]) {
      error(m, f + ".tunnel", "change-config needs tunnel and/or smtpd (the edited files)");
      return;
    }
    if (auto v = m["tunnel"]) {
      if (h && h->tunnel.empty()) error(v, f + ".tunnel", "host '" + e.target + "' runs no tunnel");
      else if (auto p = file(v, f + ".tunnel")) {
        if (auto loaded = load_tunnel_file(*p, ""); !loaded.ok()) error(v, f + ".tunnel", loaded.error().message);
        else e.tunnel = *p;
      }
    }
    if (auto v = m["smtpd"]) {
      if (h && h->smtpd.empty()) error(v, f + ".smtpd", "host '" + e.target + "' runs no smtpd");
      else if (auto p = file(v, f + ".smtpd")) {
        if (auto loaded = load_smtpd_file(*p, ""); !loaded.ok()) error(v, f + ".smtpd", loaded.error().message);
        else e.smtpd = *p;
      }
    }
  }

  void outputs(const YAML::Node& n, Scenario& s) {
    if (!n) return;
    if (!keys(n, "outputs", {"dir", "pcap"})) return;
    if (auto v = n["dir"]) {
      if (auto t = scalar(v, "outputs.dir")) s.outputs.dir = *t;
    }
    if (auto v = n["pcap"]) {
      if (auto b = boolean(v, "outputs.pcap")) s.outputs.pcap = *b;
    }
  }

  // Cross-field checks once everything is read.
  void check(Scenario& s, const YAML::Node& root) {
    const HostSpec* home = s.first_with_role(HostRole::home);
    // IPv6 is all or nothing: the home's prefix and the public hosts' addresses.
    for (const HostSpec& h : s.hosts) {
      const YAML::Node node = root["hosts"][h.name];
      if (s.isp.prefix_pool.empty()) {
        if (h.address6) error(node["address6"], "hosts." + h.name + ".address6", "IPv6 needs isp.prefix_pool");
        if (h.interface_id) error(node["interface_id"], "hosts." + h.name + ".interface_id", "IPv6 needs isp.prefix_pool");
      } else if (h.role == HostRole::home && !h.interface_id) {
        error(node, "hosts." + h.name + ".interface_id", "missing: with isp.prefix_pool the home is numbered from it");
      }
    }
    for (const HostSpec& h : s.hosts) {
      if (h.role == HostRole::home) continue;
      if (!h.address.is_v4()) continue;
      const std::string a = h.address.to_string();
      if (a.size() >= 2 && a.compare(a.size() - 2, 2, ".1") == 0)
        error(root["hosts"][h.name]["address"], "hosts." + h.name + ".address",
              "x.y.z.1 is the internet router's side of the host's /24");
      for (const HostSpec& o : s.hosts)
        if (&o < &h && o.role != HostRole::home &&
            IpPrefix(o.address, 24).network() == IpPrefix(h.address, 24).network())
          error(root["hosts"][h.name]["address"], "hosts." + h.name + ".address",
                "in the same /24 as host '" + o.name + "' (each public host has its own link and /24)");
    }
    if (home) {
      const std::string a = home->address.to_string();
      if (a.size() >= 2 && a.compare(a.size() - 2, 2, ".1") == 0)
        error(root["hosts"][home->name]["address"], "hosts." + home->name + ".address",
              "x.y.z.1 is the gateway's side of the LAN");
    }
    if (s.workload.count > 0 && s.workload.sender.empty()) error(root["workload"], "workload.sender", "missing");
    if (const HostSpec* sender = s.host(s.workload.sender); sender && sender->smtpd.empty())
      error(root["workload"]["sender"], "workload.sender", "host '" + sender->name + "' runs no smtpd");
  }

 private:
  std::filesystem::path path_;
  std::string file_;
  std::map<std::string, std::string> overridden_;
};

bool apply_override(YAML::Node& root, const std::string& text, std::string& error) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    error = "--set " + text + ": expected path.to.key=value";
    return false;
  }
  const std::string path = text.substr(0, eq);
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  YAML::Node value;
  try {
    value = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    error = "--set " + text + ": the value is not YAML: " + e.msg;
    return false;
  }
  if (!value.IsDefined() || value.IsNull()) value = YAML::Node(text.substr(eq + 1));
  YAML::Node cur;
  cur.reset(root);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& key = parts[i];
    const bool last = i + 1 == parts.size();
    if (cur.IsSequence()) {
      char* end = nullptr;
      const unsigned long index = std::strtoul(key.c_str(), &end, 10);
      if (key.empty() || *end || index >= cur.size()) {
        error = "--set " + text + ": '" + key + "' is not an index of the list (0.." + std::to_string(cur.size()) + ")";
        return false;
      }
      if (last) {
        cur[index] = value;
        return true;
      }
      YAML::Node next = cur[index];
      cur.reset(next);
    } else {
      if (!cur.IsMap() && !cur.IsNull()) {
        error = "--set " + text + ": '" + key + "' is below a single value";
        return false;
      }
      if (last) {
        cur[key] = value;
        return true;
      }
      YAML::Node next = cur[key];
      cur.reset(next);
    }
  }
  return true;
}

}  // namespace

const char* to_string(HostRole role) {
  switch (role) {
    case HostRole::sender: return "sender";
    case HostRole::relay: return "relay";
    case HostRole::home: return "home";
    case HostRole::backup: return "backup";
  }
  return "?";
}

const char* to_string(EventAction action) {
  switch (action) {
    case EventAction::link_down: return "link-down";
    case EventAction::link_up: return "link-up";
    case EventAction::pause_smtp: return "pause-smtp";
    case EventAction::resume_smtp: return "resume-smtp";
    case EventAction::stop_node: return "stop-node";
    case EventAction::start_node: return "start-node";
    case EventAction::isp_change: return "isp-change";
    case EventAction::nat_flush: return "nat-flush";
    case EventAction::dns_set: return "dns-set";
    case EventAction::dns_remove: return "dns-remove";
    case EventAction::change_config: return "change-config";
  }
  return "?";
}

const HostSpec* Scenario::host(const std::string& name) const {
  for (const HostSpec& h : hosts)
    if (h.name == name) return &h;
  return nullptr;
}

const HostSpec* Scenario::first_with_role(HostRole role) const {
  for (const HostSpec& h : hosts)
    if (h.role == role) return &h;
  return nullptr;
}

std::string ScenarioParse::error_text() const {
  std::string out;
  for (const std::string& e : errors) out += e + "\n";
  return out;
}

ScenarioParse parse_scenario(const std::string& text, const std::filesystem::path& path,
                             const std::vector<std::string>& overrides) {
  ScenarioParse result;
  const std::string file = path.filename().string();
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    result.errors.push_back(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    return result;
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  std::map<std::string, std::string> overridden;
  for (const std::string& o : overrides) {
    std::string error;
    if (!apply_override(root, o, error)) result.errors.push_back(error);
    else overridden[o.substr(0, o.find('='))] = o;
  }
  if (!result.errors.empty()) return result;
  Parser parser(path, std::move(overridden));
  result.scenario = parser.parse(root);
  if (parser.errors.empty()) parser.check(result.scenario, root);
  result.errors = std::move(parser.errors);
  return result;
}

ScenarioParse load_scenario(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ScenarioParse result;
    result.errors.push_back(path.string() + ": cannot read the file");
    return result;
  }
  std::stringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path, overrides);
}

}  // namespace tether::sim
