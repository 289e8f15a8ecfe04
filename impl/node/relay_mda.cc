#include "node/relay_mda.h"

#include <optional>

#include "node/relay_local_delivery.h"
#include "node/relay_outcomes.h"
#include "smtp/envelope_routing.h"

namespace tether::node {

using smtp::Envelope;
using smtp::EnvelopeId;
using Kind = MailRelayEvent::Kind;

// Everything a local delivery needs, so that it runs off the loop touching
// nothing of the relay's: the config and users are shared and immutable, the
// message is read from its file in the job.
struct RelayMda::Job {
  std::shared_ptr<const smtp::Config> config;
  std::shared_ptr<const smtp::UserDatabase> users;
  std::shared_ptr<MaildirTmpSweeps> tmp_sweeps;
  const smtp::Action* action = nullptr;  // in *config
  LocalDeliveryContext context;
  Envelope envelope;
  std::filesystem::path message_path;
  WallTime now;
  bool mbox = false;

  std::optional<Error> read_error;
  LocalDeliveryResult result;

  void run() {
    auto message = smtp::QueueStore::read_message_file(message_path);
    if (!message) {
      read_error = message.error();
      return;
    }
    ByteView bytes(reinterpret_cast<const std::uint8_t*>(message->data()), message->size());
    result = deliver_locally(context, *action, envelope, bytes, now);
  }
};

RelayMda::RelayMda(RelayContext& context, RelayOutcomes& outcomes)
    : context_(context),
      outcomes_(outcomes),
      users_(context.options.users ? context.options.users
                                   : std::make_shared<StorageUserDatabase>(context.host.storage_root())) {}

void RelayMda::add_due(EnvelopeId id) { waiting_.push_back(id); }

void RelayMda::cancel_all() {
  waiting_.clear();
  in_flight_ = 0;
  mbox_in_flight_ = false;
}

void RelayMda::kick() {
  if (waiting_.empty() || posted_) return;
  posted_ = true;
  std::weak_ptr<bool> alive = context_.alive;
  context_.host.post([this, alive] {
    if (!alive.expired()) run_waiting();
  });
}

void RelayMda::run_waiting() {
  posted_ = false;
  if (!context_.running()) return;
  // The rest start as deliveries in flight finish (on_done).
  while (in_flight_ < context_.options.local_deliveries_in_flight && !waiting_.empty()) {
    if (!deliver(waiting_.front())) break;
    waiting_.pop_front();
    if (!context_.running()) return;  // a subscriber stopped the relay
  }
  context_.rearm();
}

bool RelayMda::deliver(EnvelopeId id) {
  smtp::QueueStore& store = context_.queue.store();
  const Envelope* found = store.find(id);
  if (!found) {
    context_.scheduler.on_delivered(id, context_.host.now());
    return true;
  }
  const smtp::Action* action = context_.config->find_action(found->action);
  if (!action || action->type != smtp::Action::Type::local) {
    outcomes_.temporary_failure(id, "451 4.3.0 action '" + found->action + "' is not a local action in the configuration");
    return true;
  }
  const bool mbox = action->local.method == smtp::LocalDelivery::Method::mbox;
  if (mbox && mbox_in_flight_) return false;

  auto job = std::make_shared<Job>();
  job->config = context_.config;
  job->users = users_;
  job->tmp_sweeps = tmp_sweeps_;
  job->action = action;
  job->envelope = *found;
  job->message_path = store.message_path(found->msgid());
  job->mbox = mbox;
  ++context_.counters.attempts;
  MailRelayEvent attempt = context_.event(Kind::delivery_attempt, id);
  attempt.destination = found->destination;
  context_.emit(std::move(attempt));
  if (!context_.running() || !context_.queue.store().find(id)) return true;

  job->context.config = job->config.get();
  job->context.users = job->users.get();
  job->context.mbox_spool = context_.options.mbox_spool;
  job->context.give_to_recipient = context_.options.give_files_to_recipient;
  job->context.hostname = context_.host.hostname();
  job->context.durability = &context_.host.durability();
  job->context.tmp_sweeps = job->tmp_sweeps.get();
  job->now = context_.host.wall_now();
  ++in_flight_;
  mbox_in_flight_ = mbox_in_flight_ || mbox;
  std::weak_ptr<bool> open = context_.queue.open_token();
  context_.host.run_blocking([job] { job->run(); }, [this, open, job] {
    // A queue closed meanwhile keeps the envelope: it is delivered again
    // after the next start, as after a crash.
    if (open.expired()) return;
    --in_flight_;
    if (job->mbox) mbox_in_flight_ = false;
    on_done(*job);
    if (context_.running()) kick();
  });
  return true;
}

// One line per maildir cleaned, at info when something went (at warning
// for a file that would not go), so the log says what the cleaning did.
void RelayMda::log_tmp_sweep(const LocalDeliveryResult& result) {
  if (result.swept_maildir.empty()) return;
  const std::string where = "maildir " + result.swept_maildir.string() + ": ";
  context_.log.log(result.tmp_files_removed ? LogLevel::info : LogLevel::debug,
                   where + "removed " + std::to_string(result.tmp_files_removed) + " file" +
                       (result.tmp_files_removed == 1 ? "" : "s") +
                       " left in tmp/ by deliveries that died (untouched for 36 h)");
  for (const std::string& e : result.sweep_errors) context_.log.warning(where + "cannot clean tmp/: " + e);
}

void RelayMda::on_done(const Job& job) {
  log_tmp_sweep(job.result);
  const Envelope& env = job.envelope;
  const EnvelopeId id = env.id;
  if (!context_.queue.store().find(id)) {
    // Removed (tetherctl remove) while its delivery ran; the scheduler
    // already forgot it. A copy may have been delivered all the same.
    context_.log.info("envelope " + smtp::format_envelope_id(id) + " was removed during its local delivery" +
                      (job.result.status == LocalDeliveryResult::Status::delivered
                           ? " (delivered to " + job.result.path.string() + ")"
                           : std::string()));
    return;
  }
  if (job.read_error) {
    outcomes_.temporary_failure(id, "451 4.3.0 cannot read the queued message: " + job.read_error->message);
    return;
  }
  const LocalDeliveryResult& result = job.result;
  for (const auto& refused : result.refused)
    context_.log.warning("envelope " + smtp::format_envelope_id(id) + ": " + refused.reason);
  switch (result.status) {
    case LocalDeliveryResult::Status::delivered:
      outcomes_.delivered(id, "delivered to " + result.user + " in " + result.path.string(), result.path);
      return;
    case LocalDeliveryResult::Status::temporary:
      outcomes_.temporary_failure(id, result.error);
      return;
    case LocalDeliveryResult::Status::permanent:
      outcomes_.permanent_failure(id, result.error);
      return;
    case LocalDeliveryResult::Status::expanded:
      expand(env, result.targets);
      return;
  }
}

void RelayMda::expand(const Envelope& env, const std::vector<smtp::AliasTarget>& targets) {
  const Time now = context_.host.now();
  const WallTime wall = context_.host.wall_now();
  smtp::QueueStore& store = context_.queue.store();
  std::size_t added = 0;
  std::string refused;
  for (const smtp::AliasTarget& target : targets) {
    Envelope e;
    if (target.kind == smtp::AliasTarget::Kind::local_user) {
      e = smtp::alias_copy(env);
      e.dest = target.value;
    } else {
      smtp::RouteDecision decision = context_.router.route(smtp::RouteRequest::local(env.sender, target.value));
      if (!decision.delivers()) {
        refused += (refused.empty() ? "" : "; ") + target.value + ": " + decision.reply;
        continue;
      }
      e = smtp::retarget_envelope(env, *decision.action, target.value);
    }
    if (auto r = store.add_envelope(env.msgid(), e); !r) {
      context_.log.warning("envelope " + smtp::format_envelope_id(env.id) + ": cannot queue alias target " +
                           target.value + ": " + r.error().message);
      outcomes_.temporary_failure(env.id, "451 4.3.0 cannot queue alias targets: " + r.error().message);
      return;
    }
    context_.scheduler.insert(e, now, wall);
    ++added;
  }
  if (!refused.empty())
    context_.log.warning("envelope " + smtp::format_envelope_id(env.id) + ": alias targets refused: " + refused);
  if (added == 0) {
    outcomes_.permanent_failure(env.id, "550 5.1.1 no deliverable alias target: " + refused);
    return;
  }
  context_.log.info("envelope " + smtp::format_envelope_id(env.id) + " (" + env.rcpt + ") expanded into " +
                    std::to_string(added) + " envelopes");
  context_.scheduler.on_delivered(env.id, now);
  if (auto r = store.remove(env.id); !r) context_.log.warning("cannot remove expanded envelope: " + r.error().message);
}

}  // namespace tether::node
