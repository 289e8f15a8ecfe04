#include "smtp/connection_admission.h"

#include <algorithm>

namespace tether::smtp {

const char* to_string(Admission admission) {
  switch (admission) {
    case Admission::admitted: return "admitted";
    case Admission::server_full: return "server full";
    case Admission::listener_full: return "listener full";
    case Admission::client_busy: return "too many connections from the client";
    case Admission::client_too_fast: return "connection rate limit of the client";
  }
  return "?";
}

ConnectionAdmission::ConnectionAdmission(AdmissionLimits limits)
    : limits_(limits), per_listener_(std::max<std::size_t>(limits.listeners, 1), 0) {}

std::string ConnectionAdmission::client_key(const IpAddress& client) {
  // IPv6: the first 84 bits (10 bytes and the top half of the 11th).
  const std::size_t whole = client.is_v4() ? 4 : 10;
  std::string key(reinterpret_cast<const char*>(client.bytes()), whole);
  if (client.is_v6()) key.push_back(static_cast<char>(client.bytes()[10] & 0xf0));
  return key;
}

std::size_t ConnectionAdmission::reserve() const {
  const std::size_t n = per_listener_.size();
  return n > 1 ? limits_.max_sessions / (2 * n) : 0;
}

Admission ConnectionAdmission::decide(std::size_t listener, const Client& client) const {
  if (limits_.per_client_rate > 0 && client.in_window > limits_.per_client_rate) return Admission::client_too_fast;
  if (limits_.per_client > 0 && client.sessions >= limits_.per_client) return Admission::client_busy;
  if (total_ >= limits_.max_sessions) return Admission::server_full;
  std::size_t held_for_others = 0;
  for (std::size_t i = 0; i < per_listener_.size(); ++i)
    if (i != listener && per_listener_[i] < reserve()) held_for_others += reserve() - per_listener_[i];
  if (total_ + 1 + held_for_others > limits_.max_sessions) return Admission::listener_full;
  return Admission::admitted;
}

Admission ConnectionAdmission::admit(std::size_t listener, const IpAddress& client, Time now) {
  if (listener >= per_listener_.size()) listener = per_listener_.size() - 1;
  forget_idle_clients(now);
  Client& c = clients_[client_key(client)];
  if (c.in_window == 0 || now - c.window_start >= limits_.rate_window) {
    c.window_start = now;
    c.in_window = 0;
  }
  ++c.in_window;
  const Admission verdict = decide(listener, c);
  if (verdict == Admission::admitted) {
    ++c.sessions;
    ++per_listener_[listener];
    ++total_;
  }
  return verdict;
}

void ConnectionAdmission::release(std::size_t listener, const IpAddress& client) {
  if (listener >= per_listener_.size()) listener = per_listener_.size() - 1;
  auto it = clients_.find(client_key(client));
  if (it == clients_.end() || it->second.sessions == 0) return;  // admitted before a clear()
  --it->second.sessions;
  if (per_listener_[listener] > 0) --per_listener_[listener];
  if (total_ > 0) --total_;
}

void ConnectionAdmission::clear() {
  clients_.clear();
  std::fill(per_listener_.begin(), per_listener_.end(), 0);
  total_ = 0;
}

std::size_t ConnectionAdmission::sessions_of(const IpAddress& client) const {
  auto it = clients_.find(client_key(client));
  return it == clients_.end() ? 0 : it->second.sessions;
}

// A client with no session whose rate window is over is forgotten, at most
// once a window, so that the map holds only clients seen lately.
void ConnectionAdmission::forget_idle_clients(Time now) {
  if (now - last_sweep_ < limits_.rate_window) return;
  last_sweep_ = now;
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (it->second.sessions == 0 && now - it->second.window_start >= limits_.rate_window) it = clients_.erase(it);
    else ++it;
  }
}

}  // namespace tether::smtp
