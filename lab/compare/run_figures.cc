// A run's figures from its results.json (run_figures.h).

#include "lab/compare/run_figures.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace tether::lab {
namespace {

using nlohmann::json;

// The value at a "section.key" path, or an error naming it.
Result<const json*> field(const json& root, const std::string& path) {
  const json* at = &root;
  std::string::size_type from = 0;
  while (from <= path.size()) {
    const auto dot = path.find('.', from);
    const std::string key = path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (!at->is_object() || !at->contains(key)) return Error(ErrorCode::invalid_argument, path + ": missing");
    at = &(*at)[key];
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  return at;
}

Result<void> read_count(const json& root, const std::string& path, std::uint64_t& out) {
  auto f = field(root, path);
  if (!f.ok()) return f.error();
  if (!(*f)->is_number_unsigned() && !((*f)->is_number_integer() && (*f)->get<std::int64_t>() >= 0))
    return Error(ErrorCode::invalid_argument, path + ": not a count");
  out = (*f)->get<std::uint64_t>();
  return {};
}

Result<void> read_number(const json& root, const std::string& path, double& out) {
  auto f = field(root, path);
  if (!f.ok()) return f.error();
  if (!(*f)->is_number()) return Error(ErrorCode::invalid_argument, path + ": not a number");
  out = (*f)->get<double>();
  return {};
}

Result<void> read_relays(const json& root, RunFigures& figures) {
  auto relays = field(root, "relays");
  if (!relays.ok()) return relays.error();
  if (!(*relays)->is_array()) return Error(ErrorCode::invalid_argument, "relays: not a list");
  for (const json& r : **relays) {
    RelayFigures relay;
    if (!r.is_object() || !r.contains("host") || !r["host"].is_string())
      return Error(ErrorCode::invalid_argument, "relays[]: an entry without a host");
    relay.host = r["host"].get<std::string>();
    if (auto c = read_count(r, "attempts", relay.attempts); !c.ok()) return c.error();
    if (auto c = read_count(r, "retries", relay.retries); !c.ok()) return c.error();
    figures.relays.push_back(relay);
  }
  return {};
}

Result<RunFigures> figures_of(const json& root) {
  RunFigures f;
  for (const auto& [path, out] : std::initializer_list<std::pair<const char*, std::uint64_t*>>{
           {"messages.submitted", &f.submitted},
           {"messages.delivered", &f.delivered},
           {"messages.undelivered", &f.undelivered},
           {"messages.bounced", &f.bounced},
           {"messages.via_backup", &f.via_backup},
           {"latency_s.count", &f.latency_count},
           {"tunnel.handshakes", &f.handshakes},
           {"tunnel.keepalives", &f.keepalives},
           {"nat.expiries", &f.nat_expiries},
           {"relay_retries", &f.relay_retries}})
    if (auto r = read_count(root, path, *out); !r.ok()) return r.error();
  for (const auto& [path, out] : std::initializer_list<std::pair<const char*, double*>>{
           {"latency_s.p50", &f.latency_p50},
           {"latency_s.p95", &f.latency_p95},
           {"latency_s.max", &f.latency_max},
           {"tunnel.availability", &f.availability}})
    if (auto r = read_number(root, path, *out); !r.ok()) return r.error();
  if (auto from = field(root, "latency_s.from"); from.ok() && (*from)->is_string())
    f.latency_from = (*from)->get<std::string>();
  if (auto r = read_relays(root, f); !r.ok()) return r.error();
  return f;
}

// results.json says "first attempt (submission if none)"; messages.csv says
// which: a run whose relays' events were not read (the lab's, for now) has
// no first_attempt_s for any message.
std::string latency_origin(const std::filesystem::path& messages_csv, const std::string& stated) {
  std::ifstream in(messages_csv);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind("index,message_id,submitted_s,first_attempt_s,", 0) != 0)
    return stated;
  bool any_row = false;
  while (std::getline(in, line)) {
    std::istringstream cells(line);  // index, message_id (no comma in ours), submitted_s, first_attempt_s
    std::string cell;
    for (int i = 0; i < 4 && std::getline(cells, cell, ','); ++i) {
    }
    any_row = true;
    if (!cell.empty()) return "the sender's first attempt";
  }
  return any_row ? "the submission (no first attempt recorded)" : stated;
}

}  // namespace

Result<RunFigures> read_run_figures(const std::filesystem::path& results_json) {
  std::ifstream in(results_json);
  if (!in) return Error(ErrorCode::not_found, results_json.string() + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  const json root = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Error(ErrorCode::invalid_argument, results_json.string() + ": not JSON");
  auto figures = figures_of(root);
  if (!figures.ok()) return Error(figures.error().code, results_json.string() + ": " + figures.error().message);
  figures->latency_from = latency_origin(results_json.parent_path() / "messages.csv", figures->latency_from);
  return figures;
}

}  // namespace tether::lab
