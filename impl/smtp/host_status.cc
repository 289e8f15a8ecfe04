#include "smtp/host_status.h"

#include "core/ascii.h"

namespace tether::smtp {

HostStatus::Record* HostStatus::find(const std::string& domain, Time now) {
  auto it = records_.find(ascii_lower(domain));
  if (it == records_.end()) return nullptr;
  if (now >= it->second.updated + kHostStatExpireDelay) {  // runq_hoststat fired: mta_hoststat_remove_entry
    records_.erase(it);
    return nullptr;
  }
  return &it->second;
}

void HostStatus::update(const std::string& domain, const std::string& error, Time now) {
  if (domain.empty()) return;
  Record* r = find(domain, now);
  if (!r) r = &records_[ascii_lower(domain)];
  r->updated = now;  // and the expiry moves to now + 4 h (runq_cancel, runq_schedule)
  r->error = error;
}

bool HostStatus::cache(const std::string& domain, EnvelopeId id, Time now) {
  Record* r = find(domain, now);
  if (!r || r->deferred.size() >= max_deferred_) return false;
  r->deferred.insert(id);
  return true;
}

void HostStatus::uncache(const std::string& domain, EnvelopeId id, Time now) {
  if (Record* r = find(domain, now)) r->deferred.erase(id);
}

std::vector<EnvelopeId> HostStatus::reschedule(const std::string& domain, Time now) {
  Record* r = find(domain, now);
  if (!r) return {};
  std::vector<EnvelopeId> out(r->deferred.begin(), r->deferred.end());
  r->deferred.clear();
  return out;
}

bool HostStatus::has_record(const std::string& domain, Time now) { return find(domain, now) != nullptr; }

std::size_t HostStatus::cached(const std::string& domain, Time now) {
  Record* r = find(domain, now);
  return r ? r->deferred.size() : 0;
}

}  // namespace tether::smtp
