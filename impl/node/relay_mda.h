#pragma once
// The relay's local deliveries (OpenSMTPD's mda.c): envelopes the scheduler
// makes due for a `maildir` or `mbox` action are delivered off the loop
// (Host::run_blocking), at most `local_deliveries_in_flight` at once and
// mbox ones one at a time (their fcntl lock does not exclude threads of one
// process); the rest wait their turn. relay_local_delivery.h does the
// delivery itself; its outcome goes back through RelayOutcomes. An envelope
// that expands into several targets (aliases) becomes one envelope per
// target, each routed again (smtp/envelope_routing.h).

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "node/maildir_tmp_sweeps.h"
#include "node/relay_context.h"
#include "smtp/alias_expansion.h"
#include "smtp/user_database.h"

namespace tether::node {

class RelayOutcomes;
struct LocalDeliveryResult;

class RelayMda {
 public:
  RelayMda(RelayContext& context, RelayOutcomes& outcomes);

  // An envelope due for local delivery waits its turn; kick() starts turns.
  void add_due(smtp::EnvelopeId id);
  // Starts what may start, from a posted call (never inside the caller's).
  void kick();
  // The relay stops: waiting envelopes are forgotten (the scheduler has
  // them again after the next start), deliveries in flight left to finish
  // unheard: their envelopes are delivered again after it, as after a crash.
  void cancel_all();

  std::size_t in_flight() const { return in_flight_; }
  std::size_t waiting() const { return waiting_.size(); }

 private:
  struct Job;

  void run_waiting();
  // False if it must wait for a delivery in flight (an mbox one).
  bool deliver(smtp::EnvelopeId id);
  void on_done(const Job& job);
  void log_tmp_sweep(const LocalDeliveryResult& result);
  void expand(const smtp::Envelope& envelope, const std::vector<smtp::AliasTarget>& targets);

  RelayContext& context_;
  RelayOutcomes& outcomes_;
  std::shared_ptr<const smtp::UserDatabase> users_;
  // Shared with the jobs in flight, which may outlive a stopped relay.
  std::shared_ptr<MaildirTmpSweeps> tmp_sweeps_ = std::make_shared<MaildirTmpSweeps>();
  std::deque<smtp::EnvelopeId> waiting_;
  bool posted_ = false;
  std::size_t in_flight_ = 0;
  bool mbox_in_flight_ = false;
};

}  // namespace tether::node
