#include "node/relay_parts.h"

#include <algorithm>

#include "smtp/config_parser.h"
#include "smtp/envelope_routing.h"

#include <boost/test/unit_test.hpp>

namespace tether::testing {
namespace {

smtp::LocalIdentity identity_of(const std::string& hostname, const std::vector<IpAddress>& addresses) {
  smtp::LocalIdentity id;
  id.hostname = hostname;
  id.addresses = addresses;
  return id;
}

}  // namespace

ManualHostOptions relay_host_options(const std::string& hostname, std::vector<IpAddress> addresses) {
  ManualHostOptions o;
  o.hostname = hostname;
  o.addresses = std::move(addresses);
  o.log_threshold = LogLevel::info;
  return o;
}

std::shared_ptr<const smtp::Config> parse_relay_config(const std::string& text) {
  auto parsed = smtp::load_config(text, "smtpd.conf");
  BOOST_TEST_REQUIRE(parsed.ok(), (parsed.ok() ? std::string() : parsed.error().message));
  return std::make_shared<const smtp::Config>(std::move(*parsed));
}

RelayParts::RelayParts(const std::string& conf, const std::string& hostname, std::vector<IpAddress> addresses)
    : host(world, relay_host_options(hostname, addresses)),
      config(parse_relay_config(conf)),
      log_root(host.logger().child("relay")),
      router(config, identity_of(hostname, addresses)),
      scheduler(smtp::SchedulerSettings::from_config(*config), log_root.child("scheduler")),
      queue(held, log_root),
      context{held,
              options,
              log_root,
              config,
              router,
              scheduler,
              queue,
              counters,
              [this](node::MailRelayEvent e) { events.push_back(std::move(e)); },
              [this] { ++rearms; },
              alive} {
  world.set_latency(Duration::milliseconds(5));
  options.mbox_spool = host.storage_root() / "mail";
  BOOST_TEST_REQUIRE(queue.open(host.storage_root() / "queue", true).ok());
}

RelayParts::~RelayParts() {
  alive.reset();
  queue.close();
}

void RelayParts::run(Duration span) { world.run_for(span); }

void RelayParts::release() {
  held.release_all();
  run();
}

std::vector<smtp::EnvelopeId> RelayParts::queue_message(const std::string& sender, const std::vector<std::string>& rcpts,
                                                        const std::string& action, const std::string& body) {
  const smtp::Action* a = config->find_action(action);
  BOOST_TEST_REQUIRE(a != nullptr, "no action " << action);
  const WallTime now = host.wall_now();
  std::vector<smtp::Envelope> envelopes;
  for (const std::string& rcpt : rcpts) {
    smtp::Envelope e;
    e.type = smtp::delivery_type_for(*a);
    e.sender = sender;
    e.rcpt = rcpt;
    e.dest = rcpt;
    e.destination = smtp::destination_for(*a, rcpt);
    e.action = action;
    e.hostname = host.hostname();
    e.creation = now;
    e.expire = now + config->queue.ttl;
    envelopes.push_back(e);
  }
  const std::string message = "From: " + sender + "\r\nSubject: test\r\n\r\n" + body;
  auto committed = queue.store().commit_message(message, envelopes);
  BOOST_TEST_REQUIRE(committed.ok());
  std::vector<smtp::EnvelopeId> ids;
  for (const smtp::Envelope& e : envelopes) {
    scheduler.insert(e, host.now(), now);
    ids.push_back(e.id);
  }
  return ids;
}

std::size_t RelayParts::count(node::MailRelayEvent::Kind kind) const {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [&](const node::MailRelayEvent& e) { return e.kind == kind; }));
}

const node::MailRelayEvent* RelayParts::last(node::MailRelayEvent::Kind kind) const {
  for (auto it = events.rbegin(); it != events.rend(); ++it)
    if (it->kind == kind) return &*it;
  return nullptr;
}

std::string RelayParts::log() const {
  std::string out;
  for (const auto& l : host.log_lines()) out += l + "\n";
  return out;
}

}  // namespace tether::testing
