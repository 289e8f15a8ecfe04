#include "smtp/postmaster.h"

#include <algorithm>
#include <optional>

#include "core/ascii.h"

namespace tether::smtp {

namespace {

// A rule that could deliver a recipient in the domains its table names.
bool names_domains_it_delivers(const MatchRule& rule) {
  return rule.for_ == MatchRule::For::domain && !rule.for_negated && !rule.for_regex && !rule.reject &&
         rule.for_table.has_value();
}

}  // namespace

std::vector<std::string> postmaster_domains(const Config* config, std::string_view hostname) {
  std::vector<std::string> out;
  auto add = [&](std::string_view domain) {
    if (domain.empty() || domain.find('*') != std::string_view::npos) return;
    const bool seen = std::any_of(out.begin(), out.end(), [&](const std::string& d) { return ascii_iequals(d, domain); });
    if (!seen) out.emplace_back(domain);
  };
  add(hostname);
  if (!config) return out;
  for (const MatchRule& rule : config->rules) {
    if (!names_domains_it_delivers(rule)) continue;
    const Table* table = config->find_table(*rule.for_table);
    if (!table) continue;
    for (const TableEntry& entry : table->entries) add(entry.key);
  }
  return out;
}

PostmasterRoute route_bare_postmaster(std::string_view local_part, RouteRequest request, const Config* config,
                                      std::string_view hostname,
                                      const std::function<RouteDecision(const RouteRequest&)>& route) {
  std::optional<PostmasterRoute> first;
  for (const std::string& domain : postmaster_domains(config, hostname)) {
    request.rcpt_to = std::string(local_part) + "@" + domain;
    PostmasterRoute candidate{request.rcpt_to, route(request)};
    if (candidate.decision.delivers()) return candidate;
    if (!first) first = std::move(candidate);
  }
  if (first) return std::move(*first);  // the host name's answer
  request.rcpt_to = std::string(local_part) + "@" + std::string(hostname);
  return PostmasterRoute{request.rcpt_to, route(request)};
}

}  // namespace tether::smtp
