#pragma once
// What the relay's roles share: the parts MailRelay owns and wires
// together (relay_queue.h, relay_outcomes.h, relay_reports.h, relay_mta.h,
// relay_mda.h), passed by reference so each role is a small object that a
// test can also build around its own parts.
//
// `config` is a reference to the owner's pointer, which a reload replaces;
// the router and scheduler are replaced in place (assigned), so references
// to them stay good.

#include <functional>
#include <memory>

#include "host/host.h"
#include "node/mail_relay_events.h"
#include "node/mail_relay_options.h"
#include "node/relay_queue.h"
#include "smtp/config.h"
#include "smtp/router.h"
#include "smtp/scheduler.h"

namespace tether::node {

struct RelayContext {
  Host& host;
  const MailRelayOptions& options;
  const Logger& log;  // the relay's ("relay")
  const std::shared_ptr<const smtp::Config>& config;
  smtp::Router& router;
  smtp::Scheduler& scheduler;
  RelayQueue& queue;
  MailRelayCounters& counters;
  // Hands an event to every subscriber. A subscriber may stop the relay
  // (check running() after) or, against the rules, destroy it (check
  // `alive`).
  std::function<void(MailRelayEvent)> emit;
  // Re-arms the scheduler's timer at its next deadline.
  std::function<void()> rearm;
  // Expires when the relay is destroyed.
  std::weak_ptr<bool> alive;

  bool running() const { return queue.is_open(); }
  MailRelayEvent event(MailRelayEvent::Kind kind, smtp::EnvelopeId id = 0) const {
    return make_relay_event(host, kind, id);
  }
};

}  // namespace tether::node
