#pragma once
// AUTH failures counted per client across its sessions, so that guessing
// passwords cannot go on by opening one session after another (each
// session closes itself after `max_auth_failures`, server_session.h).
//
// A client (an IPv4 address; an IPv6 /84, Postfix's
// smtpd_client_ipv6_prefix_length, since one host has many addresses) may
// fail `allowed` times; then each try waits `backoff` after its latest
// failure, twice as long after each further failure, up to `max_backoff`.
// A try that must wait is refused without checking the password, so the
// right password guessed late is refused too. A client quiet for
// `max_backoff` is forgotten. Only this client's address is held off: the
// real user logging in from elsewhere is not. A try counts as a failure
// from the moment its check begins (so that many sessions checking at once
// cannot all slip through), and a success takes it back.
//
// How real servers compare (RelayBehaviour::auth_failures, each profile's
// default): OpenSMTPD has nothing across sessions, only a random pause of
// up to a second before each 535 (smtp_session.c,
// smtp_auth_failure_pause()); Postfix can rate-limit AUTH commands per
// client (smtpd.c, smtpd_client_auth_rate_limit, anvil counting per
// anvil_rate_time_unit, "450 4.7.1 Error: too many AUTH commands"), off by
// default. tether's profile is on.
//
// Sans-IO: the caller gives the time; memory is bounded by kMaxClients.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/endpoint.h"
#include "core/time.h"
#include "smtp/relay_profile.h"

namespace tether::smtp {

class AuthFailureBudget {
 public:
  static constexpr std::size_t kMaxClients = 10000;

  explicit AuthFailureBudget(AuthFailureLimit limit = {}) : limit_(limit) {}
  // A reload: the clients' records stay.
  void set_limit(AuthFailureLimit limit) { limit_ = limit; }
  const AuthFailureLimit& limit() const { return limit_; }

  // A password from `client` is about to be checked at `now`. nullopt: go
  // ahead (the try counts as a failure until succeeded()); otherwise how
  // long the client must still wait, and the password must not be checked.
  std::optional<Duration> begin_check(const IpAddress& client, Time now);
  // The check begun for `client` succeeded: it does not count.
  void succeeded(const IpAddress& client);

  std::uint32_t failures(const IpAddress& client) const;
  std::size_t clients() const { return records_.size(); }

 private:
  struct Record {
    std::uint32_t failures = 0;
    Time last;  // the latest try that counted
  };
  static std::string key_of(const IpAddress& client);
  Duration wait_after(std::uint32_t failures) const;
  void forget_quiet(Time now);

  AuthFailureLimit limit_;
  std::map<std::string, Record> records_;
};

}  // namespace tether::smtp
