#include "node/relay_mta.h"

#include <algorithm>

#include "node/relay_outcomes.h"
#include "smtp/envelope_routing.h"

namespace tether::node {

using smtp::Envelope;
using smtp::EnvelopeId;
using smtp::MessageId;
using Kind = MailRelayEvent::Kind;

RelayMta::RelayMta(RelayContext& context, RelayOutcomes& outcomes, const RelayTlsContexts& tls)
    : context_(context), outcomes_(outcomes), tls_(tls) {}

RelayMta::~RelayMta() = default;

void RelayMta::add_due(EnvelopeId id) {
  const Envelope* env = context_.queue.store().find(id);
  if (!env) {
    context_.log.warning("envelope " + smtp::format_envelope_id(id) + " is scheduled but not in the queue");
    context_.scheduler.on_delivered(id, context_.host.now());
    return;
  }
  const smtp::Action* action = context_.config->find_action(env->action);
  if (!action || action->type != smtp::Action::Type::relay) {
    outcomes_.temporary_failure(id, "451 4.3.0 action '" + env->action + "' is not a relay action in the configuration");
    return;
  }
  const smtp::RelayGroupKey key = smtp::relay_group_key(*env);
  auto group = std::find_if(batch_.begin(), batch_.end(), [&](const Gathered& g) { return g.key == key; });
  if (group == batch_.end()) {
    Gathered g;
    g.key = key;
    g.attempt.destination = env->destination;
    g.attempt.domain = smtp::address_domain(smtp::relay_address(*env));
    g.attempt.action = action;
    g.attempt.transaction = smtp::relay_transaction_for(*env, *action);
    batch_.push_back(std::move(g));
    group = batch_.end() - 1;
  }
  group->attempt.transaction.recipients.push_back(smtp::relay_recipient_for(*env));
  group->attempt.envelopes.push_back(id);
}

void RelayMta::dispatch_batch() {
  for (Gathered& g : batch_) waiting_.push_back(std::move(g.attempt));
  batch_.clear();
  start_waiting();
}

void RelayMta::start_waiting() {
  while (!waiting_.empty() && outbound_.size() < context_.options.max_outbound_sessions && context_.running()) {
    RelayAttempt attempt = std::move(waiting_.front());
    waiting_.pop_front();
    start(std::move(attempt));
  }
}

void RelayMta::cancel_all() {
  outbound_.clear();
  outcomes_.forget_recorded();
  waiting_.clear();
  batch_.clear();
  penalties_.clear_all();
}

void RelayMta::start(RelayAttempt attempt) {
  const MessageId msgid = smtp::message_of(attempt.envelopes.front());
  auto message = context_.queue.store().read_message(msgid);
  if (!message) {
    for (EnvelopeId id : attempt.envelopes)
      outcomes_.temporary_failure(id, "451 4.3.0 cannot read the queued message: " + message.error().message);
    return;
  }
  attempt.transaction.message.assign(message->begin(), message->end());
  for (EnvelopeId id : attempt.envelopes) {
    ++context_.counters.attempts;
    MailRelayEvent e = context_.event(Kind::delivery_attempt, id);
    e.destination = attempt.destination;
    context_.emit(std::move(e));
    if (!context_.running()) return;
  }
  OutboundDeliveryContext delivery_context;
  delivery_context.host = &context_.host;
  delivery_context.config = context_.config.get();
  delivery_context.penalties = &penalties_;
  delivery_context.log = context_.log.child("mta");
  delivery_context.hostname = context_.host.hostname();
  // The profile's knobs (relay_profile.h) over what the app was started with.
  const smtp::RelayBehaviour behaviour = context_.config->knobs.resolve();
  delivery_context.connect_timeout = context_.options.connect_timeout;
  if (behaviour.connect_timeout)
    delivery_context.connect_timeout =
        *behaviour.connect_timeout == Duration::zero() ? std::nullopt : behaviour.connect_timeout;
  delivery_context.timeouts = behaviour.session_timeout
                                  ? smtp::ClientTimeouts::uniform(*behaviour.session_timeout)
                                  : context_.options.client_timeouts;
  delivery_context.route_delay = behaviour.route_delay;
  delivery_context.tls_context = tls_.client_for(attempt.action->name);
  delivery_context.source_cursor = &source_cursor_;
  delivery_context.on_accepted = [this](EnvelopeId id) { outcomes_.record_delivery(id); };
  auto delivery = std::make_unique<OutboundDelivery>(
      std::move(delivery_context), std::move(attempt),
      [this](OutboundDelivery& d, RelayAttemptOutcome outcome) { on_done(&d, std::move(outcome)); });
  OutboundDelivery* raw = delivery.get();
  outbound_.emplace(raw, std::move(delivery));
  raw->start();
}

void RelayMta::on_done(OutboundDelivery* delivery, RelayAttemptOutcome outcome) {
  auto it = outbound_.find(delivery);
  if (it == outbound_.end() || !context_.running()) return;
  const std::string destination = delivery->attempt().destination;
  const std::vector<EnvelopeId> envelopes = delivery->attempt().envelopes;
  outbound_.erase(it);  // the delivery is over; this is its last callback

  if (!outcome.addresses.empty()) destination_addresses_[destination] = outcome.addresses;
  if (!outcome.routes.empty()) destination_routes_[destination] = outcome.routes;
  const smtp::DeferralCause cause = outcome.transaction      ? smtp::DeferralCause::transaction
                                    : outcome.servers_tried ? smtp::DeferralCause::routes_down
                                                            : smtp::DeferralCause::other;
  std::weak_ptr<bool> alive = context_.alive;
  for (std::size_t i = 0; i < envelopes.size() && i < outcome.results.size(); ++i) {
    const smtp::RecipientResult& r = outcome.results[i];
    switch (r.status) {
      case smtp::DeliveryStatus::delivered:
        outcomes_.delivered(envelopes[i], outcome.route + ": " + r.reply);
        break;
      case smtp::DeliveryStatus::permanent:
        outcomes_.permanent_failure(envelopes[i], r.reply, cause);
        break;
      case smtp::DeliveryStatus::temporary:
      case smtp::DeliveryStatus::pending:
        outcomes_.temporary_failure(envelopes[i], r.reply.empty() ? std::string("451 4.4.0 delivery failed") : r.reply,
                                    cause);
        break;
    }
    if (alive.expired() || !context_.running()) return;
  }
  start_waiting();
  context_.rearm();
}

std::size_t RelayMta::route_up(const std::string& destination) {
  if (!context_.running()) return 0;
  const std::string d = smtp::destination_key(destination);
  if (auto it = destination_routes_.find(d); it != destination_routes_.end())
    for (const std::string& route : it->second) penalties_.clear(route);
  const std::size_t n = context_.scheduler.route_up(d, context_.host.now());
  context_.rearm();
  return n;
}

std::size_t RelayMta::route_up_within(const std::vector<IpPrefix>& prefixes) {
  std::vector<std::string> hit;
  for (const auto& [destination, addresses] : destination_addresses_)
    for (const IpAddress& a : addresses)
      if (std::any_of(prefixes.begin(), prefixes.end(), [&](const IpPrefix& p) { return p.contains(a); })) {
        hit.push_back(destination);
        break;
      }
  std::size_t n = 0;
  for (const std::string& destination : hit) n += route_up(destination);
  return n;
}

std::vector<IpAddress> RelayMta::destination_addresses(const std::string& destination) const {
  auto it = destination_addresses_.find(smtp::destination_key(destination));
  return it == destination_addresses_.end() ? std::vector<IpAddress>() : it->second;
}

}  // namespace tether::node
