#include "node/mail_relay.h"

#include <algorithm>

#include "node/relay_event_log.h"
#include "node/relay_inbound_session.h"
#include "smtp/header_fields.h"
#include "smtp/envelope_routing.h"

namespace tether::node {
namespace {

using smtp::DeliveryType;
using smtp::Envelope;
using smtp::EnvelopeId;
using smtp::MessageId;

smtp::LocalIdentity identity(const Host& host, const smtp::Config& config, const MailRelayOptions& options) {
  smtp::LocalIdentity id;
  id.hostname = host.hostname();
  id.names = options.local_names;
  auto add = [&](const IpAddress& a) {
    if (std::find(id.addresses.begin(), id.addresses.end(), a) == id.addresses.end()) id.addresses.push_back(a);
  };
  for (const auto& entry : options.interface_addresses)
    for (const IpAddress& a : entry.second) add(a);
  for (const smtp::Listener& l : config.listeners)
    if (l.address) add(*l.address);
  return id;
}

MailRelayOptions with_defaults(MailRelayOptions options, const Host& host) {
  if (options.mbox_spool.empty()) options.mbox_spool = host.storage_root() / "mail";
  return options;
}

}  // namespace

MailRelay::MailRelay(Host& host, std::shared_ptr<const smtp::Config> config, MailRelayOptions options)
    : host_(host),
      config_(std::move(config)),
      options_(with_defaults(std::move(options), host)),
      log_(host.logger().child("relay")),
      event_log_(log_.child("event")),
      router_(config_, identity(host, *config_, options_)),
      scheduler_(smtp::SchedulerSettings::from_config(*config_, host_.now()), log_.child("scheduler")),
      queue_(host, log_),
      tls_(host, options_.config_root),
      context_{host_, options_, log_, config_, router_, scheduler_, queue_, counters_,
               [this](MailRelayEvent e) { emit(std::move(e)); }, [this] { rearm(); }, alive_},
      outcomes_(context_, reports_),
      reports_(context_, outcomes_),
      mta_(context_, outcomes_, tls_),
      mda_(context_, outcomes_) {}

MailRelay::~MailRelay() {
  alive_.reset();
  stop();
}

void MailRelay::adopt(std::shared_ptr<const smtp::Config> config) {
  config_ = std::move(config);
  router_ = smtp::Router(config_, identity(host_, *config_, options_));
  scheduler_ = smtp::Scheduler(smtp::SchedulerSettings::from_config(*config_, host_.now()), log_.child("scheduler"));
  tls_.clear();
}

// ---- start and stop ----

Result<void> MailRelay::start() {
  if (running()) return {};
  auto step = [&]() -> Result<void> {
    if (auto r = tls_.load(*config_); !r) return r;
    if (auto r = open_queue(); !r) return r;
    admission_ = smtp::ConnectionAdmission(admission_limits());
    timer_ = std::make_unique<DeadlineTimer>(host_, [this] { on_scheduler_timer(); });
    if (auto r = create_listeners(); !r) return r;
    if (auto r = open_listeners(); !r) return r;
    return {};
  };
  if (auto r = step(); !r) {
    stop();
    return r;
  }
  std::string where;
  for (const Endpoint& e : listening_endpoints()) where += (where.empty() ? "" : ", ") + e.to_string();
  log_.info("up: " + std::to_string(queue_.store().envelopes().size()) + " envelopes queued, listening on " +
            (where.empty() ? std::string("nothing") : where));
  rearm();
  return {};
}

void MailRelay::stop() {
  if (!running() && listeners_.empty() && !timer_) return;
  const bool was_running = running();
  // Sessions hold incoming messages of the store; attempts hold timers.
  listeners_.clear();
  inbound_.clear();
  admission_.clear();
  refusing_ = 0;
  mta_.cancel_all();
  mda_.cancel_all();
  timer_.reset();
  queue_.close();
  scheduler_ = smtp::Scheduler(smtp::SchedulerSettings::from_config(*config_, host_.now()), log_.child("scheduler"));
  if (was_running) log_.info("down");
}

Result<void> MailRelay::open_queue() {
  std::filesystem::path root = options_.queue_dir;
  if (root.is_relative()) root = host_.storage_root() / root;
  if (auto r = queue_.open(root, options_.queue_sync); !r) return r;
  const Time now = host_.now();
  const WallTime wall = host_.wall_now();
  for (const auto& [id, envelope] : queue_.store().envelopes()) scheduler_.insert(envelope, now, wall);
  return {};
}

Result<void> MailRelay::create_listeners() {
  listeners_.clear();
  std::vector<Endpoint> taken;
  for (const smtp::Listener& l : config_->listeners) {
    auto endpoints = listen_endpoints(l, options_.interface_addresses);
    if (!endpoints) return endpoints.error();
    for (const Endpoint& e : *endpoints) {
      if (std::find(taken.begin(), taken.end(), e) != taken.end()) {
        log_.warning(l.where.to_string() + ": " + e.to_string() + " is already a listener; this line adds nothing");
        continue;
      }
      taken.push_back(e);
      std::shared_ptr<const crypto::TlsContext> tls = tls_.server_for(l);  // built by tls_.load()
      listeners_.push_back(std::make_unique<RelayListener>(
          host_, l, e, tls,
          [this](RelayListener& listener, std::unique_ptr<TcpStream> stream) { on_accept(listener, std::move(stream)); }));
    }
  }
  return {};
}

Result<void> MailRelay::open_listeners() {
  // What a stop-accepting pause leaves the kernel to queue (relay_profile.h).
  // A socket handed over by a reload keeps the backlog it was opened with.
  TcpListenOptions listen_options;
  listen_options.backlog = static_cast<int>(config_->knobs.resolve().listen_backlog);
  for (auto& l : listeners_) {
    for (auto& old : handed_over_)
      if (l->take_socket_of(*old)) break;
    if (auto r = l->open(listen_options); !r) {
      // The loopback ::1 of `listen on socket`/`lo0` was implied, not asked
      // for: a host without IPv6 still listens on 127.0.0.1.
      if (!l->config().address && l->endpoint().address() == IpAddress::loopback(IpAddress::Family::v6)) {
        log_.debug(r.error().message + " (IPv6 loopback skipped)");
        continue;
      }
      // A reload that fails hands the sockets back for the old config.
      for (auto& old : handed_over_)
        for (auto& taken : listeners_)
          if (old->take_socket_of(*taken)) break;
      return r;
    }
  }
  // Started again while paused (stop-node, start-node): still not accepting.
  if (smtp_paused_ && config_->knobs.resolve().pause_mode == smtp::PauseMode::stop_accepting)
    for (auto& l : listeners_) l->set_accepting(false);
  return {};
}

std::vector<Endpoint> MailRelay::listening_endpoints() const {
  std::vector<Endpoint> out;
  for (const auto& l : listeners_)
    if (l->is_open()) out.push_back(l->local_endpoint());
  return out;
}

// ---- inbound ----

void MailRelay::on_accept(RelayListener& listener, std::unique_ptr<TcpStream> stream) {
  if (!running()) return;
  const smtp::Listener& l = listener.config();
  const std::string hostname = l.hostname.empty() ? host_.hostname() : l.hostname;
  if (smtp_paused_) return refuse(std::move(stream), "421 4.3.2 " + hostname + " Service paused, try again later\r\n");
  if (std::string refusal = admit(listener, stream->remote_endpoint(), hostname); !refusal.empty())
    return refuse(std::move(stream), refusal);
  const std::size_t line = listener_index(listener);
  smtp::ServerSessionOptions o;
  o.local = stream->local_endpoint();
  o.remote = stream->remote_endpoint();
  o.hostname = hostname;
  o.listener = l;
  o.config = config_;
  o.tls = listener.tls();
  o.limits.max_message_size = config_->smtp.max_message_size;
  o.limits.max_messages = config_->smtp.max_mails_per_session;
  o.limits.max_recipients = config_->smtp.max_rcpt_per_transaction;
  o.timeouts = options_.server_timeouts;
  o.timeouts.min_data_rate = config_->knobs.resolve().min_data_rate;
  o.logger = log_.child("smtp");

  smtp::ServerHooks hooks;
  hooks.route = [this](const smtp::RouteRequest& request) { return router_.route(request); };
  const smtp::Table* credentials = l.auth_table ? config_->find_table(*l.auth_table) : nullptr;
  hooks.credentials = [credentials](const std::string& user) -> std::optional<std::string> {
    if (!credentials) return std::nullopt;
    const smtp::TableEntry* e = credentials->find(user);
    if (!e || e->value.empty()) return std::nullopt;
    return e->value;
  };
  hooks.wall_clock = [this] { return host_.wall_now(); };

  InboundQueue queue;
  queue.create = [this]() -> Result<smtp::IncomingMessage> {
    if (!running()) return Error(ErrorCode::closed, "the relay is stopping");
    return queue_.store().create_message();
  };
  queue.commit = [this](smtp::IncomingMessage message, const smtp::MessageToCommit& content,
                        std::function<void(Result<MessageId>)> done) {
    commit(std::move(message), content, std::move(done));
  };

  const std::string remote = o.remote.to_string();
  const IpAddress client = o.remote.address();
  auto session = std::make_unique<RelayInboundSession>(
      host_, std::move(stream), std::move(o), std::move(hooks), std::move(queue),
      [this, remote, line, client](RelayInboundSession& s) {
        ++clt_disconnect_;
        admission_.release(line, client);
        MailRelayEvent e = event(MailRelayEvent::Kind::session_closed);
        e.detail = remote;
        inbound_.erase(&s);  // destroys it; it asked for that
        emit(std::move(e));
      },
      options_.close_linger, options_.rdns_timeout);
  RelayInboundSession* raw = session.get();
  inbound_.emplace(raw, std::move(session));
  ++clt_connect_;
  ++counters_.sessions;
  raw->start();
  MailRelayEvent e = event(MailRelayEvent::Kind::session_opened);
  e.detail = remote;
  emit(std::move(e));
}

void MailRelay::commit(smtp::IncomingMessage message, const smtp::MessageToCommit& content,
                       std::function<void(Result<MessageId>)> done) {
  // A 451 the client retries, so that a reload's wait for the queue's writes
  // has an end under load.
  if (running() && pending_config_) {
    host_.post([done = std::move(done)] { done(Error(ErrorCode::closed, "the relay is reloading its config")); });
    return;
  }
  const WallTime wall = host_.wall_now();
  std::vector<Envelope> envelopes;
  for (const smtp::AcceptedRecipient& r : content.envelope.recipients)
    envelopes.push_back(smtp::envelope_for(*config_, content, r, wall));
  // Its Message-ID goes with the accepted event (the log's line, the
  // metrics), so a reader of the log needs no access to the queue.
  std::string message_id = smtp::header_field(
      std::string_view(reinterpret_cast<const char*>(content.content.data()), content.content.size()), "message-id");
  queue_.commit(std::move(message), content.content, std::move(envelopes),
                [this, wall, remote = content.envelope.remote.to_string(), message_id = std::move(message_id),
                 done = std::move(done)](Result<MessageId> committed, const smtp::CommitJob* queued) {
                  if (queued) accepted(*queued, wall, remote, message_id);
                  done(std::move(committed));
                });
}

void MailRelay::accepted(const smtp::CommitJob& job, WallTime wall, const std::string& remote,
                         const std::string& message_id) {
  const Time now = host_.now();
  MailRelayEvent e = event(MailRelayEvent::Kind::message_accepted);
  e.msgid = job.id();
  for (const Envelope& env : job.envelopes()) {
    scheduler_.insert(env, now, wall);
    e.envelopes.push_back(env.id);
  }
  ++counters_.messages_accepted;
  counters_.envelopes_accepted += job.envelopes().size();
  e.detail = remote;
  e.message_id = message_id;
  rearm();
  emit(std::move(e));
}

// ---- the scheduler loop ----

void MailRelay::rearm() {
  if (timer_) timer_->arm_at(scheduler_.next_deadline());
}

void MailRelay::on_scheduler_timer() {
  if (!running()) return;
  run_due();
  rearm();
}

void MailRelay::run_due() {
  std::vector<smtp::SchedulerTask> tasks = scheduler_.due(host_.now());
  std::vector<EnvelopeId> reports;
  for (const smtp::SchedulerTask& task : tasks) {
    switch (task.kind) {
      case smtp::SchedulerTask::Kind::expire:
        reports_.expire(task);
        break;
      case smtp::SchedulerTask::Kind::deliver:
        mda_.add_due(task.id);
        break;
      case smtp::SchedulerTask::Kind::report:
        reports.push_back(task.id);
        break;
      case smtp::SchedulerTask::Kind::relay:
        mta_.add_due(task.id);
        break;
    }
  }
  if (!reports.empty()) reports_.inject(reports);
  mta_.dispatch_batch();
  mda_.kick();
}

// ---- events ----

MailRelay::SubscriptionId MailRelay::subscribe(EventHandler handler) { return subscribers_.subscribe(std::move(handler)); }

void MailRelay::unsubscribe(SubscriptionId id) { subscribers_.unsubscribe(id); }

MailRelayEvent MailRelay::event(MailRelayEvent::Kind kind, EnvelopeId id) const {
  return make_relay_event(host_, kind, id);
}

void MailRelay::emit(MailRelayEvent e) {
  // Before the subscribers, which may stop the relay.
  if (event_log_.enabled(LogLevel::debug)) event_log_.debug(format_relay_event_line(e));
  subscribers_.emit(e);
}

}  // namespace tether::node
