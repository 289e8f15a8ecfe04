#include "smtp/auth_failure_budget.h"

#include <algorithm>

namespace tether::smtp {

std::string AuthFailureBudget::key_of(const IpAddress& client) {
  if (client.is_v4()) return client.to_string();
  return IpPrefix(client, 84).network().to_string();
}

Duration AuthFailureBudget::wait_after(std::uint32_t failures) const {
  Duration wait = limit_.backoff;
  for (std::uint32_t n = limit_.allowed; n < failures && wait < limit_.max_backoff; ++n) wait = wait * 2;
  return std::min(wait, limit_.max_backoff);
}

void AuthFailureBudget::forget_quiet(Time now) {
  for (auto it = records_.begin(); it != records_.end();) {
    if (now - it->second.last >= limit_.max_backoff) it = records_.erase(it);
    else ++it;
  }
  if (records_.size() < kMaxClients) return;
  // Still full of recent clients: the one quiet the longest goes.
  auto oldest = std::min_element(records_.begin(), records_.end(),
                                 [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
  records_.erase(oldest);
}

std::optional<Duration> AuthFailureBudget::begin_check(const IpAddress& client, Time now) {
  if (limit_.allowed == 0) return std::nullopt;
  const std::string key = key_of(client);
  auto it = records_.find(key);
  if (it == records_.end()) {
    if (records_.size() >= kMaxClients) forget_quiet(now);
    it = records_.emplace(key, Record{}).first;
  } else if (it->second.failures >= limit_.allowed) {
    const Time open_at = it->second.last + wait_after(it->second.failures);
    if (now < open_at) return open_at - now;
  }
  ++it->second.failures;
  it->second.last = now;
  return std::nullopt;
}

void AuthFailureBudget::succeeded(const IpAddress& client) {
  auto it = records_.find(key_of(client));
  if (it == records_.end() || it->second.failures == 0) return;
  if (--it->second.failures == 0) records_.erase(it);
}

std::uint32_t AuthFailureBudget::failures(const IpAddress& client) const {
  auto it = records_.find(key_of(client));
  return it == records_.end() ? 0 : it->second.failures;
}

}  // namespace tether::smtp
