#pragma once
// The relay's outbound side (OpenSMTPD's mta.c): envelopes the scheduler
// makes due for relaying are gathered into transactions (one per message,
// destination and action: smtp/relay_transaction.h), each run by an
// OutboundDelivery (outbound_delivery.h) when one of the
// `max_outbound_sessions` slots is free; their outcomes go back through
// RelayOutcomes.
//
// It keeps what deliveries learn about destinations beyond one attempt:
// the route penalties of servers that failed, and each destination's
// servers and addresses as last resolved, for "the route came back"
// (route_up, route_up_within).

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "node/outbound_delivery.h"
#include "node/relay_context.h"
#include "node/relay_tls.h"
#include "smtp/relay_transaction.h"
#include "smtp/route_penalty.h"

namespace tether::node {

class RelayOutcomes;

class RelayMta {
 public:
  RelayMta(RelayContext& context, RelayOutcomes& outcomes, const RelayTlsContexts& tls);
  ~RelayMta();
  RelayMta(const RelayMta&) = delete;
  RelayMta& operator=(const RelayMta&) = delete;

  // One envelope due for relaying joins its transaction in the batch being
  // gathered (the scheduler's due tasks, in order). One whose action is not
  // a relay action (a config reloaded meanwhile) is deferred.
  void add_due(smtp::EnvelopeId id);
  // The gathered transactions queue for a slot; those that fit start now.
  void dispatch_batch();
  // Starts waiting transactions while slots are free.
  void start_waiting();
  // The relay stops: transactions in flight are cancelled (no outcome comes
  // back), waiting ones and route penalties forgotten.
  void cancel_all();

  std::size_t sessions() const { return outbound_.size(); }
  std::size_t waiting() const { return waiting_.size(); }

  // The destination's deferred mail is due now and its servers' penalties
  // are forgotten. Returns how many envelopes were made due.
  std::size_t route_up(const std::string& destination);
  // route_up for every destination whose servers' addresses lie in the prefixes.
  std::size_t route_up_within(const std::vector<IpPrefix>& prefixes);
  std::vector<IpAddress> destination_addresses(const std::string& destination) const;

 private:
  struct Gathered {
    smtp::RelayGroupKey key;
    RelayAttempt attempt;
  };

  void start(RelayAttempt attempt);
  void on_done(OutboundDelivery* delivery, RelayAttemptOutcome outcome);

  RelayContext& context_;
  RelayOutcomes& outcomes_;
  const RelayTlsContexts& tls_;
  std::vector<Gathered> batch_;
  std::deque<RelayAttempt> waiting_;
  std::map<OutboundDelivery*, std::unique_ptr<OutboundDelivery>> outbound_;
  smtp::RoutePenalties penalties_;
  std::map<std::string, std::vector<IpAddress>> destination_addresses_;
  std::map<std::string, std::vector<std::string>> destination_routes_;
  std::size_t source_cursor_ = 0;  // round robin among an action's `src` addresses
};

}  // namespace tether::node
