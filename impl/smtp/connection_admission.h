#pragma once
// Which new connections a mail server takes (issue 14, hole 1: 1,000 idle
// connections from one address took every session, and legitimate clients
// got 421 on every listener, the local submission port included).
//
// Three limits, each answered with its own refusal:
//   - per client address, connections at once and new connections per
//     `rate_window` (Postfix's smtpd_client_connection_count_limit and
//     smtpd_client_connection_rate_limit, counted by its anvil(8) server;
//     smtpd.c refuses with "421 4.7.0 <host> Error: too many connections
//     from <addr>"). IPv6 clients are counted by their /84, as Postfix 3.8's
//     smtpd_client_ipv6_prefix_length does, since one host holds a whole
//     prefix. OpenSMTPD has neither limit (smtp.c only stops accepting at
//     its descriptor-derived maxsessions), so its profile sets them to 0;
//   - all sessions together (`max_sessions`, the app's: tetherd 1,000);
//   - per listener, a reserve: each `listen on` line keeps
//     max_sessions / (2 x listeners) sessions that the others cannot take,
//     so a flood on port 25 leaves the submission port usable. Postfix gets
//     the same from master.cf, where each service has its own process
//     limit.
// The caller says when an admitted connection ends (release), with the
// listener and address it was admitted under. Sans-IO: time comes in.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/time.h"

namespace tether::smtp {

struct AdmissionLimits {
  std::size_t max_sessions = 1000;
  std::size_t per_client = 0;       // connections at once from one address; 0: no limit
  std::size_t per_client_rate = 0;  // new connections per rate_window from one address; 0: no limit
  Duration rate_window = Duration::seconds(60);  // Postfix's anvil_rate_time_unit
  std::size_t listeners = 1;        // `listen on` lines, each with its reserve
};

enum class Admission {
  admitted,
  server_full,     // every session taken
  listener_full,   // what is left is the other listeners' reserve
  client_busy,     // per_client reached
  client_too_fast, // per_client_rate reached
};
const char* to_string(Admission admission);

class ConnectionAdmission {
 public:
  explicit ConnectionAdmission(AdmissionLimits limits = {});

  // A connection from `client` to listener number `listener` (< listeners)
  // at `now`; counted when admitted. A refused one still counts towards
  // the client's rate, as anvil counts every connect.
  Admission admit(std::size_t listener, const IpAddress& client, Time now);
  void release(std::size_t listener, const IpAddress& client);
  // Forgets every session (the app closed them all).
  void clear();

  std::size_t sessions() const { return total_; }
  std::size_t sessions_of(const IpAddress& client) const;
  // The sessions listener `listener` may hold while the others hold theirs.
  std::size_t reserve() const;
  const AdmissionLimits& limits() const { return limits_; }

 private:
  struct Client {
    std::size_t sessions = 0;
    Time window_start;
    std::size_t in_window = 0;
  };
  static std::string client_key(const IpAddress& client);
  Admission decide(std::size_t listener, const Client& client) const;
  void forget_idle_clients(Time now);

  AdmissionLimits limits_;
  std::vector<std::size_t> per_listener_;
  std::size_t total_ = 0;
  std::map<std::string, Client> clients_;
  Time last_sweep_;
};

}  // namespace tether::smtp
