// The scenario's traffic and time sections: workload, home_activity,
// events (with the change-config files they hand a node) and outputs.
#include <cctype>
#include <cstdio>
#include <map>

#include "node/deployment_files.h"
#include "scenario/scenario_parser_impl.h"

namespace tether::scenario {

// A workload must say how much mail it sends (count: 0 for none), so that a
// file cut short before or inside it is an error, not a run that sends
// nothing; mail it sends needs its pace (interval or rate), no default.
void ScenarioReader::workload(const YAML::Node& n, Scenario& s) {
  if (!n) {
    error(n, "workload", "missing (a scenario says what mail it sends; `workload: {count: 0}` for none)");
    return;
  }
  auto& w = s.workload;
  if (!keys(n, "workload", {"sender", "count", "interval", "rate", "arrivals", "start", "size", "from", "recipients"}))
    return;
  if (auto v = n["count"]) {
    if (auto c = integer<std::uint64_t>(v, "workload.count", 0, 1000000)) w.count = *c;
  } else {
    error(n, "workload.count", "missing (0 if the scenario sends no mail)");
  }
  if (auto v = n["sender"]) {
    if (auto t = scalar(v, "workload.sender")) {
      w.sender = *t;
      const HostSpec* h = s.host(*t);
      if (!h) error(v, "workload.sender", "no host '" + *t + "'");
      else if (h->role != HostRole::sender) error(v, "workload.sender", "host '" + *t + "' is not a sender");
    }
  } else if (w.count > 0) {
    error(n, "workload.sender", "missing");
  }
  if (n["interval"] && n["rate"]) error(n["rate"], "workload.rate", "give interval or rate, not both");
  if (auto v = n["interval"]) {
    if (auto d = duration(v, "workload.interval")) w.interval = *d;
  }
  if (auto v = n["rate"]) {
    // "12/h", "300/d", "5/2h": messages per unit of time (the mean, with
    // poisson arrivals).
    if (auto t = scalar(v, "workload.rate")) {
      const auto slash = t->find('/');
      char* end = nullptr;
      const std::string count_text = slash == std::string::npos ? "" : t->substr(0, slash);
      const double per = count_text.empty() ? 0 : std::strtod(count_text.c_str(), &end);
      const std::string unit_text = slash == std::string::npos ? "" : t->substr(slash + 1);
      auto unit = unit_text.empty() ? Result<Duration>(Error(ErrorCode::invalid_argument, ""))
                  : std::isdigit(static_cast<unsigned char>(unit_text[0])) ? parse_duration(unit_text)
                                                                            : parse_duration("1" + unit_text);
      if (!(per > 0 && per < 1e12) || (end && *end) || !unit.ok() || *unit <= Duration::zero())
        error(v, "workload.rate", "'" + *t + "' is not a rate (e.g. 12/h, 300/d)");
      else w.interval = Duration::nanoseconds(std::int64_t(double(unit->ns()) / per));
    }
  }
  if (w.count > 1 && !n["interval"] && !n["rate"])
    error(n, "workload.interval", "missing (how far apart the messages are: interval or rate)");
  if (auto v = n["arrivals"]) {
    if (auto t = scalar(v, "workload.arrivals")) {
      if (*t == "fixed") w.arrivals = Arrivals::fixed;
      else if (*t == "poisson") w.arrivals = Arrivals::poisson;
      else error(v, "workload.arrivals", "'" + *t + "' is not fixed or poisson");
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

void ScenarioReader::home_activity(const YAML::Node& n, Scenario& s) {
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

// Long: one block per event field and action, in the schema's order.
void ScenarioReader::events(const YAML::Node& n, Scenario& s) {
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
    const YAML::Node m = n[i];
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
    read(m, f, "target", e.target, &ScenarioReader::scalar);
    read(m, f, "name", e.name, &ScenarioReader::scalar);
    read(m, f, "type", e.type, &ScenarioReader::record_type);
    read(m, f, "value", e.value, &ScenarioReader::scalar);
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
void ScenarioReader::change_config_files(const YAML::Node& m, const std::string& f, const Scenario& s, EventSpec& e) {
  const HostSpec* h = s.host(e.target);
  if (!m["tunnel"] && !m["smtpd"]) {
    error(m, f + ".tunnel", "change-config needs tunnel and/or smtpd (the edited files)");
    return;
  }
  if (auto v = m["tunnel"]) {
    if (h && h->tunnel.empty()) error(v, f + ".tunnel", "host '" + e.target + "' runs no tunnel");
    else if (auto p = file(v, f + ".tunnel")) {
      if (auto loaded = node::load_tunnel_file(p->string(), p->filename().string()); !loaded.ok())
        host_config_errors(v, f + ".tunnel", loaded.errors);
      else e.tunnel = *p;
    }
  }
  if (auto v = m["smtpd"]) {
    if (h && h->smtpd.empty()) error(v, f + ".smtpd", "host '" + e.target + "' runs no smtpd");
    else if (auto p = file(v, f + ".smtpd")) {
      if (auto loaded = node::load_relay_file(p->string(), node::config_root(*p), p->filename().string()); !loaded.ok())
        host_config_errors(v, f + ".smtpd", loaded.errors);
      else e.smtpd = *p;
    }
  }
}

// outputs.dir is required: a run needs a place for its results, and as the
// last section of a file (as the shipped ones have it) it is what shows a
// file cut short anywhere before it.
void ScenarioReader::outputs(const YAML::Node& n, Scenario& s) {
  if (!n) {
    error(n, "outputs", "missing (outputs: {dir: results/NAME}; a file cut short loses its last section)");
    return;
  }
  if (!keys(n, "outputs", {"dir", "pcap"})) return;
  if (auto v = n["dir"]) {
    s.outputs.dir_origin = where(v, "outputs.dir");
    if (auto t = scalar(v, "outputs.dir")) {
      if (t->empty()) error(v, "outputs.dir", "empty");
      s.outputs.dir = *t;
    }
  } else {
    error(n, "outputs.dir", "missing");
  }
  if (auto v = n["pcap"]) {
    if (auto b = boolean(v, "outputs.pcap")) s.outputs.pcap = *b;
  }
}

}  // namespace tether::scenario
