#pragma once
// The reverse DNS of an inbound SMTP client, found while its session starts
// (the greeting does not wait; MAIL does), as OpenSMTPD finds it: the PTR name of the client's address, then
// forward confirmation (the name's A records for a v4 client, AAAA for v6,
// contain the address). It feeds smtpd.conf's `rdns`/`fcrdns` filters,
// `match from rdns` and the Received: header.
//
// Failures decide as OpenSMTPD's do: a PTR lookup that fails for any reason
// (NXDOMAIN, SERVFAIL, no answer in time) leaves the client without a name,
// so `!rdns` matches it; a name whose forward lookup fails or does not lead
// back is kept but unconfirmed, so `!fcrdns` matches it. A temporary DNS
// failure therefore refuses a client just as a missing PTR does; that is
// what the filter's own code (a 550 in the seeds) says to do with it.
//
// The whole check is bounded by one deadline, so that a slow reverse zone
// cannot hold a client's MAIL beyond it.

#include <functional>
#include <memory>
#include <string>

#include "core/endpoint.h"
#include "core/logger.h"
#include "core/time.h"
#include "host/host.h"

namespace tether::node {

struct ClientRdns {
  std::string name;        // "" = none
  bool confirmed = false;  // forward-confirmed (fcrdns)
};

class ClientRdnsLookup {
 public:
  using Done = std::function<void(ClientRdns)>;

  // Starts at once; `done` runs once, from the loop, at most `limit` later,
  // unless this object is destroyed first (it may be destroyed from inside
  // `done`). Only the first PTR name is checked, as getnameinfo gives it to
  // OpenSMTPD and Postfix.
  ClientRdnsLookup(Host& host, const IpAddress& address, Duration limit, Logger log, Done done);
  ~ClientRdnsLookup();
  ClientRdnsLookup(const ClientRdnsLookup&) = delete;
  ClientRdnsLookup& operator=(const ClientRdnsLookup&) = delete;

 private:
  void on_ptr(Result<DnsAnswer> answer);
  void on_forward(Result<DnsAnswer> answer);
  void on_deadline();
  void finish(ClientRdns result);

  Host& host_;
  IpAddress address_;
  Logger log_;
  Done done_;
  std::string name_;  // the PTR name, once known
  std::unique_ptr<Timer> timer_;
  std::unique_ptr<DnsLookup> lookup_;
};

}  // namespace tether::node
