#include "scenario/results_writer.h"

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/table_text.h"

namespace tether::scenario {
namespace {

std::string csv(const std::string& field) { return csv_field(field); }

std::string seconds_at(Time t) { return t == Time::never() ? "" : format_seconds(t - Time::zero()); }

// Fixed precision so the JSON's bytes do not depend on float printing.
double rounded(double v, double scale = 1000.0) { return double(std::llround(v * scale)) / scale; }
double secs(Duration d) { return rounded(d.seconds_f()); }

Result<void> write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error(ErrorCode::io, path.string() + ": write failed");
  return {};
}

}  // namespace

std::string format_seconds(Duration d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", d.seconds_f());
  return buf;
}

Result<void> check_results_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ErrorCode::io, "cannot create the directory: " + ec.message());
  if (!std::filesystem::is_directory(dir, ec)) return Error(ErrorCode::io, "not a directory");
  // Permission bits do not say it all (root, read-only mounts): try.
  const std::filesystem::path probe = dir / ".tether-write-probe";
  if (!std::ofstream(probe, std::ios::binary)) return Error(ErrorCode::io, "cannot create a file in it");
  std::filesystem::remove(probe, ec);
  for (const char* name : kResultFiles) {
    const std::filesystem::path f = dir / name;
    if (!std::filesystem::exists(f, ec)) continue;
    if (!std::filesystem::is_regular_file(f, ec)) return Error(ErrorCode::io, std::string(name) + " there is not a file");
    if (!std::ofstream(f, std::ios::binary | std::ios::app))
      return Error(ErrorCode::io, std::string(name) + " there cannot be written");
  }
  return {};
}

Result<void> write_results(const Metrics& m, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ErrorCode::io, dir.string() + ": " + ec.message());
  const Scenario& s = m.scenario();
  const LatencySummary l = m.latency();
  const double days = m.simulated.seconds_f() / 86400.0;

  nlohmann::ordered_json j;
  j["scenario"] = s.name;
  j["seed"] = s.seed;
  j["duration_s"] = secs(s.duration);
  j["epoch"] = format_wall_time(s.epoch);
  j["messages"] = {{"submitted", m.submitted()},
                   {"delivered", m.delivered()},
                   {"undelivered", m.submitted() - m.delivered()},
                   {"bounced", m.bounced()},
                   {"via_backup", m.via_backup()},
                   {"duplicates", m.duplicates()}};
  j["latency_s"] = {{"from", "sender first attempt (submission if none) to the home maildir"},
                    {"count", l.count},
                    {"p50", secs(l.p50)},
                    {"p95", secs(l.p95)},
                    {"p99", secs(l.p99)},
                    {"max", secs(l.max)},
                    {"mean", secs(l.mean)}};
  j["tunnel"] = {{"availability", rounded(m.availability(), 1e6)},
                 {"handshakes", m.handshakes},
                 {"handshake_initiations", m.handshake_attempts},
                 {"keepalives", m.keepalives},
                 {"keepalives_per_day", days > 0 ? rounded(double(m.keepalives) / days) : 0.0},
                 // A keepalive is a 32-byte WireGuard message; 60 bytes as an IPv4/UDP packet, 80 over IPv6.
                 {"keepalive_wireguard_bytes_per_day", days > 0 ? rounded(double(m.keepalives) * 32 / days) : 0.0},
                 {"keepalive_ip_bytes_per_day", days > 0 ? rounded(double(m.keepalive_ip_bytes) / days) : 0.0}};
  j["nat"] = {{"mappings_created", m.nat_mappings}, {"expiries", m.nat_expiries}, {"packets_dropped", m.nat_drops}};
  nlohmann::ordered_json relays = nlohmann::ordered_json::array();
  std::uint64_t retries = 0;
  for (const RelayTotals& r : m.relays) {
    retries += r.temporary_failures;
    relays.push_back({{"host", r.host},
                      {"role", r.role},
                      {"profile", r.profile},
                      {"accepted", r.accepted},
                      {"attempts", r.attempts},
                      {"delivered", r.delivered},
                      {"retries", r.temporary_failures},
                      {"permanent_failures", r.permanent_failures}});
  }
  j["relays"] = relays;
  j["relay_retries"] = retries;
  if (auto r = write(dir / "results.json", j.dump(2) + "\n"); !r.ok()) return r;

  std::string messages = "index,message_id,submitted_s,first_attempt_s,delivered_s,latency_s,status,via_backup,copies,path\n";
  for (const MessageRecord& msg : m.messages()) {
    const std::string status = msg.copies ? "delivered" : msg.bounced ? "bounced" : !msg.accepted ? "not-submitted" : "undelivered";
    messages += std::to_string(msg.index) + "," + csv(msg.message_id) + "," + seconds_at(msg.submitted) + "," +
                seconds_at(msg.first_attempt) + "," + seconds_at(msg.delivered) + "," +
                (msg.copies ? format_seconds(message_latency(msg)) : "") + "," + status + "," +
                (msg.via_backup ? "1" : "0") + "," + std::to_string(msg.copies) + "," + csv(msg.path) + "\n";
  }
  if (auto r = write(dir / "messages.csv", messages); !r.ok()) return r;

  std::string events = "time_s,source,kind,detail\n";
  for (const TimelineRow& row : m.timeline())
    events += seconds_at(row.at) + "," + csv(row.source) + "," + csv(row.kind) + "," + csv(row.detail) + "\n";
  return write(dir / "events.csv", events);
}

std::string format_summary(const Metrics& m) {
  const Scenario& s = m.scenario();
  const LatencySummary l = m.latency();
  const double days = m.simulated.seconds_f() / 86400.0;
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf, "scenario %s  seed %llu  simulated %s\n", s.name.c_str(),
                (unsigned long long)s.seed, format_duration(m.simulated).c_str());
  out += buf;
  std::snprintf(buf, sizeof buf, "messages   submitted %zu  delivered %zu  undelivered %zu  bounced %zu  via backup %zu\n",
                m.submitted(), m.delivered(), m.submitted() - m.delivered(), m.bounced(), m.via_backup());
  out += buf;
  out += "latency    (sender's first attempt -> home maildir)\n";
  out += "             p50          p95          p99          max\n";
  std::snprintf(buf, sizeof buf, "  %12ss %11ss %11ss %11ss\n", format_seconds(l.p50).c_str(), format_seconds(l.p95).c_str(),
                format_seconds(l.p99).c_str(), format_seconds(l.max).c_str());
  out += buf;
  std::uint64_t retries = 0;
  for (const RelayTotals& r : m.relays) retries += r.temporary_failures;
  std::snprintf(buf, sizeof buf,
                "tunnel     availability %.4f%%  handshakes %llu  keepalives %.0f/day (%.0f B/day as IP packets)\n",
                m.availability() * 100.0, (unsigned long long)m.handshakes, days > 0 ? double(m.keepalives) / days : 0.0,
                days > 0 ? double(m.keepalive_ip_bytes) / days : 0.0);
  out += buf;
  std::snprintf(buf, sizeof buf, "nat        expiries %llu  mappings %llu  drops %llu\n",
                (unsigned long long)m.nat_expiries, (unsigned long long)m.nat_mappings, (unsigned long long)m.nat_drops);
  out += buf;
  std::snprintf(buf, sizeof buf, "relays     retries %llu:", (unsigned long long)retries);
  out += buf;
  for (const RelayTotals& r : m.relays)
    out += " " + r.host + " " + std::to_string(r.temporary_failures) + "/" + std::to_string(r.attempts);
  out += " (retries/attempts)\n";
  out += "profiles  ";
  for (const RelayTotals& r : m.relays) out += " " + r.host + " " + r.profile;
  out += "\n";
  return out;
}

}  // namespace tether::scenario
