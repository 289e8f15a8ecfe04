#include "node/relay_mx.h"

#include <algorithm>

#include "core/ascii.h"

namespace tether::node {
namespace {

bool same_name(std::string a, std::string b) {
  auto canonical = [](std::string& s) {
    while (!s.empty() && s.back() == '.') s.pop_back();
    s = ascii_lower(s);
  };
  canonical(a);
  canonical(b);
  return a == b;
}

// "backup MX: this host's name vm is not among example.org's MX hosts
// (mail.example.org, mx2.example.org); ...": what to fix, and where.
std::string unlisted_backup_problem(const std::vector<MxRecord>& sorted, const std::string& domain,
                                    const std::string& own_name) {
  std::string hosts;
  for (const MxRecord& r : sorted) hosts += (hosts.empty() ? "" : ", ") + r.exchange;
  return "backup MX: this host's name " + own_name + " is not among " + domain + "'s MX hosts (" + hosts +
         "); give it with `relay backup mx NAME`";
}

}  // namespace

MxSelection select_mx(const std::vector<MxRecord>& records, bool no_records, const std::string& domain, bool backup,
                      const std::string& own_name, smtp::BackupUnlisted unlisted) {
  MxSelection out;
  if (no_records || records.empty()) {
    if (backup) {
      out.error = "No MX found for destination";
      return out;
    }
    out.hops.push_back(MxHop{domain, 0});
    return out;
  }
  if (records.size() == 1 && (records.front().exchange.empty() || records.front().exchange == ".")) {
    out.error = "Domain does not accept mail (null MX)";
    out.permanent = true;
    return out;
  }

  std::vector<MxRecord> sorted = records;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const MxRecord& a, const MxRecord& b) { return a.preference < b.preference; });

  int own_preference = -1;
  if (backup) {
    for (const MxRecord& r : sorted)
      if (same_name(r.exchange, own_name)) {
        own_preference = r.preference;
        break;
      }
    if (own_preference < 0) {
      const std::string problem = unlisted_backup_problem(sorted, domain, own_name);
      if (unlisted == smtp::BackupUnlisted::defer) {
        out.error = problem;
        return out;
      }
      out.warning = problem;
    }
  }
  for (const MxRecord& r : sorted) {
    if (r.exchange.empty() || r.exchange == ".") continue;
    if (own_preference >= 0 && r.preference >= own_preference) break;
    out.hops.push_back(MxHop{r.exchange, r.preference});
  }
  if (out.hops.empty()) out.error = "No MX found for destination";
  return out;
}

}  // namespace tether::node
