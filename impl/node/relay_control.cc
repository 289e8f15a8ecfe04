#include "node/relay_control.h"

namespace tether::node {
namespace {

ControlAnswer fail(std::string text) { return ControlAnswer{false, std::move(text) + "\n"}; }
ControlAnswer done(std::string text) { return ControlAnswer{true, std::move(text) + "\n"}; }

std::string count_text(std::size_t n, const char* verb) {
  return std::to_string(n) + (n == 1 ? " envelope " : " envelopes ") + verb;
}

std::optional<smtp::DeliveryType> delivery_kind(const std::string& word) {
  if (word == "mta") return smtp::DeliveryType::mta;
  if (word == "mda") return smtp::DeliveryType::mda;
  return std::nullopt;
}

}  // namespace

// ---- the relay's control operations ----

Result<void> MailRelay::pause_smtp() {
  if (!running()) return Error(ErrorCode::closed, "the relay is not running");
  if (smtp_paused_) return {};
  smtp_paused_ = true;
  if (config_->knobs.resolve().pause_mode == smtp::PauseMode::stop_accepting) {
    // OpenSMTPD's smtp_pause() (smtp.c): no more accept(); clients wait in
    // the kernel's queue for a greeting, and beyond it for their SYNs.
    for (auto& l : listeners_) l->set_accepting(false);
    log_.info("smtp paused: new connections are no longer accepted");
  } else {
    log_.info("smtp paused: new connections are answered 421");
  }
  emit(event(MailRelayEvent::Kind::smtp_paused));
  return {};
}

Result<void> MailRelay::resume_smtp() {
  if (!running()) return Error(ErrorCode::closed, "the relay is not running");
  if (!smtp_paused_) return {};
  smtp_paused_ = false;
  for (auto& l : listeners_) l->set_accepting(true);
  log_.info("smtp resumed");
  emit(event(MailRelayEvent::Kind::smtp_resumed));
  return {};
}

void MailRelay::pause_delivery(smtp::DeliveryType type) { scheduler_.pause(type); }

void MailRelay::resume_delivery(smtp::DeliveryType type) {
  scheduler_.resume(type);
  rearm();
}

std::size_t MailRelay::schedule(std::uint64_t id) {
  const std::size_t n = scheduler_.schedule(id, host_.now());
  rearm();
  return n;
}

std::size_t MailRelay::schedule_all() {
  const std::size_t n = scheduler_.schedule_all(host_.now());
  rearm();
  return n;
}

std::size_t MailRelay::remove(std::uint64_t id) {
  if (!running()) return 0;
  std::size_t known = 0;
  if (smtp::is_message_id(id))
    known = queue_.store().envelopes_of(static_cast<smtp::MessageId>(id)).size();
  else
    known = queue_.store().find(id) ? 1 : 0;
  for (smtp::EnvelopeId gone : scheduler_.remove(id)) {
    queue_.forget(gone, "removed");
    ++counters_.removed;
    MailRelayEvent e = event(MailRelayEvent::Kind::removed, gone);
    emit(std::move(e));
    if (!running()) break;
  }
  rearm();
  return known;
}

std::size_t MailRelay::remove_all() {
  if (!running()) return 0;
  std::vector<smtp::EnvelopeId> ids;
  for (const auto& entry : queue_.store().envelopes()) ids.push_back(entry.first);
  std::size_t n = 0;
  for (smtp::EnvelopeId id : ids) {
    if (!running()) break;
    n += remove(id);
  }
  return n;
}

std::size_t MailRelay::route_up(const std::string& destination) { return mta_.route_up(destination); }

std::size_t MailRelay::route_up_within(const std::vector<IpPrefix>& prefixes) { return mta_.route_up_within(prefixes); }

std::vector<IpAddress> MailRelay::destination_addresses(const std::string& destination) const {
  return mta_.destination_addresses(destination);
}

smtp::MonitorDigest MailRelay::monitor_digest() const {
  smtp::MonitorDigest d = scheduler_.counters();
  d.clt_connect = clt_connect_;
  d.clt_disconnect = clt_disconnect_;
  return d;
}

// ---- the commands over them ----

const std::vector<std::pair<std::string, std::string>>& relay_commands() {
  static const std::vector<std::pair<std::string, std::string>> commands{
      {"show queue", "every queued envelope, as smtpctl show queue prints it"},
      {"monitor", "relay activity once a second, as smtpctl monitor (until interrupted)"},
      {"pause",
       "pause smtp|mta|mda: turn new connections away (421, or stop accepting: `smtp pause-mode`), or hold "
       "relaying or local delivery"},
      {"resume", "resume smtp|mta|mda"},
      {"schedule", "schedule all|ID: try queued mail now"},
      {"remove", "remove all|ID: delete queued mail"},
  };
  return commands;
}

std::string show_queue(const MailRelay& relay) {
  std::string out;
  const smtp::QueueStore* queue = relay.queue();
  if (!queue) return out;
  const Time now = relay.now();
  for (const auto& [id, envelope] : queue->envelopes())
    out += smtp::format_queue_row(envelope, relay.scheduler().row_state(id, now)) + "\n";
  return out;
}

std::string monitor_sample(smtp::MonitorView& view, const MailRelay& relay) {
  return view.next(relay.monitor_digest());
}

ControlAnswer run_relay_command(MailRelay& relay, const std::vector<std::string>& words) {
  if (!relay.running()) return fail("the relay is not running");
  const std::string command = words.empty() ? std::string() : words[0];
  const std::string arg = words.size() > 1 ? words[1] : std::string();

  if (command == "show" && arg == "queue" && words.size() == 2) return ControlAnswer{true, show_queue(relay)};

  if ((command == "pause" || command == "resume") && words.size() == 2) {
    const bool pause = command == "pause";
    if (arg == "smtp") {
      Result<void> r = pause ? relay.pause_smtp() : relay.resume_smtp();
      if (!r) return fail("command failed: " + r.error().message);
      return done("command succeeded");
    }
    if (auto kind = delivery_kind(arg)) {
      if (pause)
        relay.pause_delivery(*kind);
      else
        relay.resume_delivery(*kind);
      return done("command succeeded");
    }
    return fail("usage: " + command + " smtp|mta|mda");
  }

  if ((command == "schedule" || command == "remove") && words.size() == 2) {
    const bool schedule = command == "schedule";
    if (arg == "all")
      return done(count_text(schedule ? relay.schedule_all() : relay.remove_all(), schedule ? "scheduled" : "removed"));
    auto id = smtp::parse_queue_id(arg);
    if (!id) return fail("invalid msgid/evpid: " + arg);
    return done(count_text(schedule ? relay.schedule(*id) : relay.remove(*id), schedule ? "scheduled" : "removed"));
  }

  std::string usage = "unknown relay command '";
  for (std::size_t i = 0; i < words.size(); ++i) usage += (i ? " " : "") + words[i];
  usage += "'; relay commands: show queue, monitor, pause|resume smtp|mta|mda, schedule all|ID, remove all|ID";
  return fail(usage);
}

}  // namespace tether::node
