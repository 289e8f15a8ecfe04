#pragma once
// The relay's roles (relay_context.h) built around a test's own parts, with
// no MailRelay: a ManualHost whose off-loop work is held until released
// (HeldWorkHost), a config, router, scheduler and open queue, and the
// events the roles emit. A role under test is constructed over `context`.

#include <memory>
#include <string>
#include <vector>

#include "node/held_work_host.h"
#include "node/relay_context.h"
#include "smtp/config.h"
#include "smtp/router.h"
#include "smtp/scheduler.h"
#include "support/manual_host.h"
#include "support/manual_world.h"

namespace tether::testing {

std::shared_ptr<const smtp::Config> parse_relay_config(const std::string& text);
// A ManualHost named `hostname` at `addresses`, logging from info up.
ManualHostOptions relay_host_options(const std::string& hostname, std::vector<IpAddress> addresses);

struct RelayParts {
  explicit RelayParts(const std::string& conf, const std::string& hostname = "mail.example.org",
                      std::vector<IpAddress> addresses = {});
  ~RelayParts();

  // Runs the world's posted calls and timers for `span` of manual time.
  void run(Duration span = Duration::milliseconds(1));
  // Runs held off-loop work, then what it posted.
  void release();
  // A message queued with one envelope per recipient, each `action`'s, as
  // a session would commit it; the envelopes are in the scheduler.
  std::vector<smtp::EnvelopeId> queue_message(const std::string& sender, const std::vector<std::string>& rcpts,
                                              const std::string& action, const std::string& body = "Hi.\r\n");
  std::size_t count(node::MailRelayEvent::Kind kind) const;
  const node::MailRelayEvent* last(node::MailRelayEvent::Kind kind) const;
  std::string log() const;

  ManualWorld world;
  ManualHost host;
  HeldWorkHost held{host};
  std::shared_ptr<const smtp::Config> config;
  node::MailRelayOptions options;
  Logger log_root;
  smtp::Router router;
  smtp::Scheduler scheduler;
  node::MailRelayCounters counters;
  std::vector<node::MailRelayEvent> events;
  std::size_t rearms = 0;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  node::RelayQueue queue;
  node::RelayContext context;
};

}  // namespace tether::testing
