#include "node/mail_relay.h"

#include <algorithm>
#include <cctype>

#include "node/relay_inbound_session.h"
#include "node/relay_local_delivery.h"
#include "smtp/bounce.h"
#include "smtp/table.h"

namespace tether::node {
namespace {

using smtp::DeliveryType;
using smtp::Envelope;
using smtp::EnvelopeId;
using smtp::MessageId;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

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

std::string notify_text(unsigned notify) {
  if (notify & smtp::dsn_notify_never) return "NEVER";
  std::string out;
  auto add = [&](unsigned bit, const char* word) {
    if (notify & bit) out += (out.empty() ? "" : ",") + std::string(word);
  };
  add(smtp::dsn_notify_success, "SUCCESS");
  add(smtp::dsn_notify_failure, "FAILURE");
  add(smtp::dsn_notify_delay, "DELAY");
  return out;
}

// The bare local part of an address, for a user-name dest.
std::string user_of(const std::string& address) { return lower(smtp::split_mail_address(address).user); }

}  // namespace

const char* to_string(MailRelayEvent::Kind kind) {
  using K = MailRelayEvent::Kind;
  switch (kind) {
    case K::session_opened: return "session_opened";
    case K::session_closed: return "session_closed";
    case K::message_accepted: return "message_accepted";
    case K::delivery_attempt: return "delivery_attempt";
    case K::delivered: return "delivered";
    case K::temporary_failure: return "temporary_failure";
    case K::permanent_failure: return "permanent_failure";
    case K::report_queued: return "report_queued";
    case K::report_injected: return "report_injected";
    case K::report_dropped: return "report_dropped";
    case K::expired: return "expired";
    case K::removed: return "removed";
    case K::smtp_paused: return "smtp_paused";
    case K::smtp_resumed: return "smtp_resumed";
  }
  return "?";
}

MailRelay::MailRelay(Host& host, std::shared_ptr<const smtp::Config> config, MailRelayOptions options)
    : host_(host),
      config_(std::move(config)),
      options_(std::move(options)),
      log_(host.logger().child("relay")),
      router_(config_, identity(host, *config_, options_)),
      scheduler_(smtp::SchedulerSettings::from_config(*config_), log_.child("scheduler")),
      users_(options_.users ? options_.users
                            : std::make_shared<StorageUserDatabase>(host.storage_root())) {
  if (options_.mbox_spool.empty()) options_.mbox_spool = host_.storage_root() / "mail";
}

MailRelay::~MailRelay() {
  alive_.reset();
  stop();
}

// ---- start and stop ----

Result<void> MailRelay::start() {
  if (running()) return {};
  auto step = [&]() -> Result<void> {
    if (auto r = load_tls(); !r) return r;
    if (auto r = open_queue(); !r) return r;
    timer_ = host_.create_timer([this] { on_scheduler_timer(); });
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
  log_.info("up: " + std::to_string(store_->envelopes().size()) + " envelopes queued, listening on " +
            (where.empty() ? std::string("nothing") : where));
  rearm();
  return {};
}

void MailRelay::stop() {
  if (!store_ && listeners_.empty() && !timer_) return;
  const bool was_running = store_ != nullptr;
  // Sessions hold incoming messages of the store; attempts hold timers.
  listeners_.clear();
  inbound_.clear();
  outbound_.clear();
  relay_queue_.clear();
  local_queue_.clear();
  local_in_flight_ = 0;
  mbox_in_flight_ = false;
  queue_writes_in_flight_ = 0;
  timer_.reset();
  queue_open_.reset();
  store_.reset();
  scheduler_ = smtp::Scheduler(smtp::SchedulerSettings::from_config(*config_), log_.child("scheduler"));
  penalties_.clear_all();
  if (was_running) log_.info("down");
}

void MailRelay::adopt(std::shared_ptr<const smtp::Config> config) {
  config_ = std::move(config);
  router_ = smtp::Router(config_, identity(host_, *config_, options_));
  scheduler_ = smtp::Scheduler(smtp::SchedulerSettings::from_config(*config_), log_.child("scheduler"));
  server_tls_.clear();
  client_tls_.clear();
}

Result<void> MailRelay::reconfigure(std::shared_ptr<const smtp::Config> config) {
  if (!config) return Error(ErrorCode::invalid_argument, "reconfigure: no config");
  if (!running()) {
    adopt(std::move(config));
    smtp_paused_ = false;
    return {};
  }
  if (local_in_flight_ == 0 && queue_writes_in_flight_ == 0) return restart_with(std::move(config));
  log_.info("reload waits for " + std::to_string(local_in_flight_) + " local deliveries in flight" +
            (queue_writes_in_flight_ ? " and " + std::to_string(queue_writes_in_flight_) + " queue writes" : ""));
  pending_config_ = std::move(config);
  scheduler_.pause(DeliveryType::mda);  // forgotten with the scheduler at the restart
  if (!reload_timer_) reload_timer_ = host_.create_timer([this] { on_reload_timer(); });
  reload_timer_->arm_at(host_.now() + Duration::milliseconds(10));
  return {};
}

void MailRelay::on_reload_timer() {
  if (!pending_config_) return;
  if (running() && (local_in_flight_ > 0 || queue_writes_in_flight_ > 0)) {
    reload_timer_->arm_at(host_.now() + Duration::milliseconds(10));
    return;
  }
  std::shared_ptr<const smtp::Config> config = std::move(pending_config_);
  pending_config_.reset();
  if (!running()) {
    adopt(std::move(config));
    return;
  }
  if (auto r = restart_with(std::move(config)); !r) log_.error("reload: " + r.error().message);
}

Result<void> MailRelay::restart_with(std::shared_ptr<const smtp::Config> config) {
  // `old` outlives handed_over_, whose listeners refer to its `listen on` lines.
  std::shared_ptr<const smtp::Config> old = config_;
  handed_over_ = std::move(listeners_);
  listeners_.clear();
  stop();
  adopt(std::move(config));
  smtp_paused_ = false;
  log_.info("reloading the config");
  Result<void> started = start();
  if (!started) {
    log_.warning("the new config does not start (" + started.error().to_string() + "); back to the old one");
    adopt(old);
    if (auto back = start(); !back) log_.error("the old config does not start either: " + back.error().to_string());
  }
  handed_over_.clear();  // sockets no listener of the running config took
  if (started) return {};
  return Error(started.error().code, "the new config does not start, the old one runs again: " + started.error().message);
}

std::string MailRelay::rooted(const std::string& path) const {
  if (options_.config_root.empty()) return path;
  return (options_.config_root / std::filesystem::path(path).relative_path()).string();
}

// TLS draws its randomness and reads the time through Host, like the rest
// of the relay: the seeded stream and the simulated clock in ns-3 (so a run
// with STARTTLS repeats byte for byte), OpenSSL's RAND and the system clock
// on Linux.
static crypto::RandomAndClock host_tls_sources(Host& host) {
  return {[&host](MutableByteView out) { host.random_bytes(out); }, [&host] { return host.wall_now(); }};
}

Result<std::shared_ptr<const crypto::TlsContext>> MailRelay::server_context(const smtp::Listener& listener) {
  if (listener.pki.empty()) {
    if (listener.tls != smtp::Listener::Tls::none)
      return Error(ErrorCode::invalid_argument, listener.where.to_string() + ": tls needs a pki");
    return std::shared_ptr<const crypto::TlsContext>();
  }
  const std::string key = listener.pki.front() + (listener.verify ? "|verify|" + listener.ca : std::string());
  if (auto it = server_tls_.find(key); it != server_tls_.end()) return it->second;
  const smtp::Pki* pki = config_->find_pki(listener.pki.front());
  if (!pki) return Error(ErrorCode::invalid_argument, listener.where.to_string() + ": unknown pki " + listener.pki.front());
  auto context = crypto::TlsContext::create(crypto::TlsRole::server, host_tls_sources(host_));
  if (!context) return context.error();
  if (auto r = context->use_certificate_files(rooted(pki->cert_path), rooted(pki->key_path)); !r)
    return Error(r.error().code, pki->where.to_string() + ": pki " + pki->name + ": " + r.error().message);
  if (listener.verify) {
    Result<void> trusted;
    if (!listener.ca.empty()) {
      const smtp::CertificateAuthority* ca = config_->find_ca(listener.ca);
      trusted = ca ? context->trust_ca_file(rooted(ca->cert_path))
                   : Result<void>(Error(ErrorCode::invalid_argument, "unknown ca " + listener.ca));
    } else {
      trusted = context->trust_system_roots();
    }
    if (!trusted)
      return Error(trusted.error().code, listener.where.to_string() + ": verify: " + trusted.error().message);
    context->set_verify_peer(true);
  }
  auto shared = std::make_shared<const crypto::TlsContext>(std::move(*context));
  server_tls_[key] = shared;
  return shared;
}

Result<std::shared_ptr<const crypto::TlsContext>> MailRelay::client_context(const smtp::Action& action) {
  const smtp::RelaySettings& relay = action.relay;
  auto context = crypto::TlsContext::create(crypto::TlsRole::client, host_tls_sources(host_));
  if (!context) return context.error();
  if (!relay.pki.empty()) {
    const smtp::Pki* pki = config_->find_pki(relay.pki);
    if (!pki) return Error(ErrorCode::invalid_argument, action.where.to_string() + ": unknown pki " + relay.pki);
    if (auto r = context->use_certificate_files(rooted(pki->cert_path), rooted(pki->key_path)); !r)
      return Error(r.error().code, pki->where.to_string() + ": pki " + pki->name + ": " + r.error().message);
  }
  if (relay.tls_verify) {
    Result<void> trusted;
    if (!relay.ca.empty()) {
      const smtp::CertificateAuthority* ca = config_->find_ca(relay.ca);
      trusted = ca ? context->trust_ca_file(rooted(ca->cert_path))
                   : Result<void>(Error(ErrorCode::invalid_argument, "unknown ca " + relay.ca));
    } else {
      trusted = context->trust_system_roots();
    }
    if (!trusted)
      return Error(trusted.error().code, action.where.to_string() + ": tls: " + trusted.error().message);
    context->set_verify_peer(true);
  }
  return std::shared_ptr<const crypto::TlsContext>(std::make_shared<const crypto::TlsContext>(std::move(*context)));
}

Result<void> MailRelay::load_tls() {
  server_tls_.clear();
  client_tls_.clear();
  for (const smtp::Listener& l : config_->listeners)
    if (auto r = server_context(l); !r) return r.error();
  for (const smtp::Action& a : config_->actions) {
    if (a.type != smtp::Action::Type::relay) continue;
    auto context = client_context(a);
    if (!context) return context.error();
    client_tls_[a.name] = *context;
  }
  return {};
}

Result<void> MailRelay::open_queue() {
  std::filesystem::path root = options_.queue_dir;
  if (root.is_relative()) root = host_.storage_root() / root;
  smtp::QueueStoreOptions store_options;
  store_options.sync = options_.queue_sync;
  auto opened = smtp::QueueStore::open(root, [this] { return host_.random_u64(); }, log_.child("queue"), store_options);
  if (!opened) return Error(opened.error().code, "queue " + root.string() + ": " + opened.error().message);
  store_ = std::move(*opened);
  queue_open_ = std::make_shared<bool>(true);
  const smtp::QueueRecovery& r = store_->recovery();
  if (r.messages || r.incoming_removed || !r.quarantined.empty())
    log_.info("queue recovered: " + std::to_string(r.messages) + " messages, " + std::to_string(r.envelopes) +
              " envelopes; " + std::to_string(r.incoming_removed) + " unfinished messages removed");
  for (const auto& q : r.quarantined) log_.warning("queue: " + q.path + " quarantined to " + q.moved_to + ": " + q.error);
  const Time now = host_.now();
  const WallTime wall = host_.wall_now();
  for (const auto& [id, envelope] : store_->envelopes()) scheduler_.insert(envelope, now, wall);
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
      std::shared_ptr<const crypto::TlsContext> tls;
      if (!l.pki.empty()) tls = *server_context(l);  // loaded (and cached) by load_tls
      listeners_.push_back(std::make_unique<RelayListener>(
          host_, l, e, tls,
          [this](RelayListener& listener, std::unique_ptr<TcpStream> stream) { on_accept(listener, std::move(stream)); }));
    }
  }
  return {};
}

Result<void> MailRelay::open_listeners() {
  for (auto& l : listeners_) {
    for (auto& old : handed_over_)
      if (l->take_socket_of(*old)) break;
    if (auto r = l->open(); !r) {
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
  if (!store_) return;
  const smtp::Listener& l = listener.config();
  const std::string hostname = l.hostname.empty() ? host_.hostname() : l.hostname;
  std::string refusal;
  if (smtp_paused_) {
    refusal = "421 4.3.2 " + hostname + " Service paused, try again later\r\n";
  } else if (inbound_.size() >= options_.max_inbound_sessions) {
    refusal = "421 4.3.2 " + hostname + " Too many connections, try again later\r\n";
    log_.warning("too many sessions (" + std::to_string(inbound_.size()) + "): turning away " +
                 stream->remote_endpoint().to_string());
  }
  if (!refusal.empty()) {
    ++clt_connect_;
    auto session = std::make_unique<RelayInboundSession>(
        host_, std::move(stream), refusal, log_.child("smtp"),
        [this](RelayInboundSession& s) {
          ++clt_disconnect_;
          inbound_.erase(&s);
        },
        Duration::seconds(5));
    RelayInboundSession* raw = session.get();
    inbound_.emplace(raw, std::move(session));
    raw->start();
    return;
  }
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
    if (!store_) return Error(ErrorCode::closed, "the relay is stopping");
    return store_->create_message();
  };
  queue.commit = [this](smtp::IncomingMessage message, const smtp::MessageToCommit& content,
                        std::function<void(Result<MessageId>)> done) {
    commit(std::move(message), content, std::move(done));
  };

  const std::string remote = o.remote.to_string();
  auto session = std::make_unique<RelayInboundSession>(
      host_, std::move(stream), std::move(o), std::move(hooks), std::move(queue),
      [this, remote](RelayInboundSession& s) {
        ++clt_disconnect_;
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

std::string MailRelay::destination_for(const smtp::Action& action, const std::string& rcpt) const {
  if (action.type == smtp::Action::Type::relay && !action.relay.hosts.empty())
    return lower(action.relay.hosts.front().host);
  return smtp::address_domain(rcpt);
}

Envelope MailRelay::envelope_for(const smtp::MessageToCommit& content, const smtp::AcceptedRecipient& rcpt,
                                 WallTime now) const {
  const smtp::SessionEnvelope& s = content.envelope;
  const smtp::Action* action = config_->find_action(rcpt.action);
  Envelope e;
  e.type = action && action->type == smtp::Action::Type::relay ? DeliveryType::mta : DeliveryType::mda;
  e.family = s.remote.address().is_v4() ? smtp::SourceFamily::inet4 : smtp::SourceFamily::inet6;
  e.source = s.remote.address().to_string();
  e.helo = s.helo;
  e.hostname = s.hostname;
  e.sender = s.mail_from;
  e.rcpt = rcpt.address;
  e.dest = rcpt.address;
  e.destination = action ? destination_for(*action, rcpt.address) : smtp::address_domain(rcpt.address);
  e.action = rcpt.action;
  e.creation = now;
  e.expire = now + (action && action->ttl ? *action->ttl : config_->queue.ttl);
  e.authenticated = !s.auth_user.empty();
  e.dsn_notify = rcpt.notify;
  e.dsn_ret = s.ret;
  e.dsn_envid = s.envid;
  e.dsn_orcpt = rcpt.orcpt;
  return e;
}

void MailRelay::commit(smtp::IncomingMessage message, const smtp::MessageToCommit& content,
                       std::function<void(Result<MessageId>)> done) {
  auto fail = [&](Error error) {
    host_.post([done = std::move(done), error = std::move(error)] { done(error); });
  };
  if (!store_) return fail(Error(ErrorCode::closed, "the relay is stopping"));
  // A 451 the client retries, so that a reload's wait for the queue's writes
  // has an end under load.
  if (pending_config_) return fail(Error(ErrorCode::closed, "the relay is reloading its config"));
  const WallTime wall = host_.wall_now();
  std::vector<Envelope> envelopes;
  for (const smtp::AcceptedRecipient& r : content.envelope.recipients) envelopes.push_back(envelope_for(content, r, wall));
  if (auto r = message.write(std::string_view(reinterpret_cast<const char*>(content.content.data()), content.content.size())); !r) {
    store_->abort(message);
    return fail(r.error());
  }
  auto prepared = store_->prepare_commit(message, std::move(envelopes));
  if (!prepared) return fail(prepared.error());
  std::shared_ptr<smtp::CommitJob> job = std::move(*prepared);
  std::weak_ptr<bool> open = queue_open_;
  ++queue_writes_in_flight_;
  host_.run_blocking([job] { job->run(); },
                     [this, open, job, wall, remote = content.envelope.remote.to_string(), done = std::move(done)] {
                       // A queue closed meanwhile: what run() renamed into
                       // queue/ is found by the next recovery.
                       if (open.expired()) return done(Error(ErrorCode::closed, "the relay is stopping"));
                       --queue_writes_in_flight_;
                       Result<MessageId> committed = store_->finish_commit(*job);
                       // Renamed but a directory sync failed: the client gets
                       // no 250 and may send it again, but this copy is queued
                       // and must be delivered too (a duplicate beats a loss),
                       // not left for the next restart's recovery.
                       if (committed || job->queued()) accepted(*job, wall, remote);
                       done(std::move(committed));
                     });
}

void MailRelay::accepted(const smtp::CommitJob& job, WallTime wall, const std::string& remote) {
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
  rearm();
  emit(std::move(e));
}

// ---- the scheduler loop ----

void MailRelay::rearm() {
  if (!timer_) return;
  const Time deadline = scheduler_.next_deadline();
  if (deadline.is_never())
    timer_->cancel();
  else
    timer_->arm_at(deadline);
}

void MailRelay::on_scheduler_timer() {
  if (!store_) return;
  run_due();
  rearm();
}

void MailRelay::run_due() {
  const Time now = host_.now();
  std::vector<smtp::SchedulerTask> tasks = scheduler_.due(now);
  std::vector<EnvelopeId> reports;
  // One transaction per message, destination and action.
  std::vector<PendingRelay> groups;
  for (const smtp::SchedulerTask& task : tasks) {
    switch (task.kind) {
      case smtp::SchedulerTask::Kind::expire:
        on_expired(task);
        break;
      case smtp::SchedulerTask::Kind::deliver:
        local_queue_.push_back(task.id);
        break;
      case smtp::SchedulerTask::Kind::report:
        reports.push_back(task.id);
        break;
      case smtp::SchedulerTask::Kind::relay: {
        const Envelope* env = store_->find(task.id);
        if (!env) {
          log_.warning("envelope " + smtp::format_envelope_id(task.id) + " is scheduled but not in the queue");
          scheduler_.on_delivered(task.id, now);
          break;
        }
        const smtp::Action* action = config_->find_action(env->action);
        if (!action || action->type != smtp::Action::Type::relay) {
          temporary_failure(task.id, "451 4.3.0 action '" + env->action + "' is not a relay action in the configuration");
          break;
        }
        const std::string address = env->dest.empty() ? env->rcpt : env->dest;
        auto group = std::find_if(groups.begin(), groups.end(), [&](const PendingRelay& p) {
          return smtp::message_of(p.attempt.envelopes.front()) == env->msgid() &&
                 p.attempt.destination == env->destination && p.attempt.action == action;
        });
        if (group == groups.end()) {
          PendingRelay p;
          p.attempt.destination = env->destination;
          p.attempt.domain = smtp::address_domain(address);
          p.attempt.action = action;
          p.attempt.transaction.mail_from = action->relay.mail_from.empty() ? env->sender : action->relay.mail_from;
          p.attempt.transaction.dsn_ret = env->dsn_ret == smtp::DsnReturn::full      ? "FULL"
                                          : env->dsn_ret == smtp::DsnReturn::headers ? "HDRS"
                                                                                     : "";
          p.attempt.transaction.dsn_envid = env->dsn_envid;
          groups.push_back(std::move(p));
          group = groups.end() - 1;
        }
        smtp::ClientRecipient r;
        r.address = address;
        r.dsn_notify = notify_text(env->dsn_notify);
        r.dsn_orcpt = env->dsn_orcpt;
        group->attempt.transaction.recipients.push_back(std::move(r));
        group->attempt.envelopes.push_back(task.id);
        break;
      }
    }
  }
  if (!reports.empty()) inject_reports(std::move(reports));
  for (PendingRelay& p : groups) relay_queue_.push_back(std::move(p));
  start_relays();
  kick_local_tasks();
}

void MailRelay::kick_local_tasks() {
  if (local_queue_.empty() || local_posted_) return;
  local_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  host_.post([this, alive] {
    if (!alive.expired()) run_local_tasks();
  });
}

void MailRelay::run_local_tasks() {
  local_posted_ = false;
  if (!store_) return;
  // The rest start as deliveries in flight finish (on_local_delivery_done).
  while (local_in_flight_ < options_.local_deliveries_in_flight && !local_queue_.empty()) {
    if (!deliver_local(local_queue_.front())) break;
    local_queue_.pop_front();
    if (!store_) return;  // a subscriber stopped the relay
  }
  rearm();
}

// Everything a local delivery needs, so that it runs off the loop touching
// nothing of the relay's: the config and users are shared and immutable, the
// message is read from its file in the job.
struct MailRelay::LocalDeliveryJob {
  std::shared_ptr<const smtp::Config> config;
  std::shared_ptr<const smtp::UserDatabase> users;
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

bool MailRelay::deliver_local(EnvelopeId id) {
  const Envelope* found = store_->find(id);
  if (!found) {
    scheduler_.on_delivered(id, host_.now());
    return true;
  }
  const smtp::Action* action = config_->find_action(found->action);
  if (!action || action->type != smtp::Action::Type::local) {
    temporary_failure(id, "451 4.3.0 action '" + found->action + "' is not a local action in the configuration");
    return true;
  }
  const bool mbox = action->local.method == smtp::LocalDelivery::Method::mbox;
  if (mbox && mbox_in_flight_) return false;

  auto job = std::make_shared<LocalDeliveryJob>();
  job->config = config_;
  job->users = users_;
  job->action = action;
  job->envelope = *found;
  job->message_path = store_->message_path(found->msgid());
  job->mbox = mbox;
  ++counters_.attempts;
  MailRelayEvent attempt = event(MailRelayEvent::Kind::delivery_attempt, id);
  attempt.destination = found->destination;
  emit(std::move(attempt));
  if (!store_ || !store_->find(id)) return true;

  job->context.config = job->config.get();
  job->context.users = job->users.get();
  job->context.mbox_spool = options_.mbox_spool;
  job->context.give_to_recipient = options_.give_files_to_recipient;
  job->context.hostname = host_.hostname();
  job->now = host_.wall_now();
  ++local_in_flight_;
  mbox_in_flight_ = mbox_in_flight_ || mbox;
  std::weak_ptr<bool> open = queue_open_;
  host_.run_blocking([job] { job->run(); },
                     [this, open, job] {
                       // A queue closed meanwhile keeps the envelope: it is
                       // delivered again after the next start, as after a crash.
                       if (open.expired()) return;
                       --local_in_flight_;
                       if (job->mbox) mbox_in_flight_ = false;
                       on_local_delivery_done(*job);
                       if (store_) kick_local_tasks();
                     });
  return true;
}

void MailRelay::on_local_delivery_done(const LocalDeliveryJob& job) {
  const Envelope& env = job.envelope;
  const EnvelopeId id = env.id;
  if (!store_->find(id)) {
    // Removed (tetherctl remove) while its delivery ran; the scheduler
    // already forgot it. A copy may have been delivered all the same.
    log_.info("envelope " + smtp::format_envelope_id(id) + " was removed during its local delivery" +
              (job.result.status == LocalDeliveryResult::Status::delivered ? " (delivered to " + job.result.path.string() + ")"
                                                                          : std::string()));
    return;
  }
  if (job.read_error) {
    temporary_failure(id, "451 4.3.0 cannot read the queued message: " + job.read_error->message);
    return;
  }
  const LocalDeliveryResult& result = job.result;
  for (const auto& refused : result.refused)
    log_.warning("envelope " + smtp::format_envelope_id(id) + ": " + refused.reason);
  switch (result.status) {
    case LocalDeliveryResult::Status::delivered:
      delivered(id, "delivered to " + result.user + " in " + result.path.string(), result.path);
      return;
    case LocalDeliveryResult::Status::temporary:
      temporary_failure(id, result.error);
      return;
    case LocalDeliveryResult::Status::permanent:
      permanent_failure(id, result.error);
      return;
    case LocalDeliveryResult::Status::expanded:
      expand_envelope(env, result.targets);
      return;
  }
}

void MailRelay::expand_envelope(const Envelope& env, const std::vector<smtp::AliasTarget>& targets) {
  const Time now = host_.now();
  const WallTime wall = host_.wall_now();
  std::size_t added = 0;
  std::string refused;
  for (const smtp::AliasTarget& target : targets) {
    Envelope e = env;
    e.id = 0;
    e.retry = 0;
    e.last_try = WallTime();
    e.last_error.clear();
    if (target.kind == smtp::AliasTarget::Kind::local_user) {
      e.dest = target.value;
    } else {
      smtp::RouteDecision decision = router_.route(smtp::RouteRequest::local(env.sender, target.value));
      if (!decision.delivers()) {
        refused += (refused.empty() ? "" : "; ") + target.value + ": " + decision.reply;
        continue;
      }
      const smtp::Action& action = *decision.action;
      e.action = action.name;
      if (action.type == smtp::Action::Type::relay) {
        e.type = DeliveryType::mta;
        e.dest = target.value;
        e.destination = destination_for(action, target.value);
      } else {
        e.type = DeliveryType::mda;
        e.dest = user_of(target.value);
        e.destination = smtp::address_domain(target.value);
      }
    }
    if (auto r = store_->add_envelope(env.msgid(), e); !r) {
      log_.warning("envelope " + smtp::format_envelope_id(env.id) + ": cannot queue alias target " + target.value +
                   ": " + r.error().message);
      temporary_failure(env.id, "451 4.3.0 cannot queue alias targets: " + r.error().message);
      return;
    }
    scheduler_.insert(e, now, wall);
    ++added;
  }
  if (!refused.empty()) log_.warning("envelope " + smtp::format_envelope_id(env.id) + ": alias targets refused: " + refused);
  if (added == 0) {
    permanent_failure(env.id, "550 5.1.1 no deliverable alias target: " + refused);
    return;
  }
  log_.info("envelope " + smtp::format_envelope_id(env.id) + " (" + env.rcpt + ") expanded into " +
            std::to_string(added) + " envelopes");
  scheduler_.on_delivered(env.id, now);
  if (auto r = store_->remove(env.id); !r) log_.warning("cannot remove expanded envelope: " + r.error().message);
}

void MailRelay::start_relays() {
  while (!relay_queue_.empty() && outbound_.size() < options_.max_outbound_sessions && store_) {
    PendingRelay p = std::move(relay_queue_.front());
    relay_queue_.pop_front();
    start_relay(std::move(p));
  }
}

void MailRelay::start_relay(PendingRelay pending) {
  RelayAttempt& attempt = pending.attempt;
  const MessageId msgid = smtp::message_of(attempt.envelopes.front());
  auto message = store_->read_message(msgid);
  if (!message) {
    for (EnvelopeId id : attempt.envelopes)
      temporary_failure(id, "451 4.3.0 cannot read the queued message: " + message.error().message);
    return;
  }
  attempt.transaction.message.assign(message->begin(), message->end());
  for (EnvelopeId id : attempt.envelopes) {
    ++counters_.attempts;
    MailRelayEvent e = event(MailRelayEvent::Kind::delivery_attempt, id);
    e.destination = attempt.destination;
    emit(std::move(e));
    if (!store_) return;
  }
  OutboundDeliveryContext context;
  context.host = &host_;
  context.config = config_.get();
  context.penalties = &penalties_;
  context.log = log_.child("mta");
  context.hostname = host_.hostname();
  context.connect_timeout = options_.connect_timeout;
  context.timeouts = options_.client_timeouts;
  context.tls_context = client_tls_[attempt.action->name];
  context.source_cursor = &source_cursor_;
  auto delivery = std::make_unique<OutboundDelivery>(
      std::move(context), std::move(attempt),
      [this](OutboundDelivery& d, RelayAttemptOutcome outcome) { on_relay_done(&d, std::move(outcome)); });
  OutboundDelivery* raw = delivery.get();
  outbound_.emplace(raw, std::move(delivery));
  raw->start();
}

void MailRelay::on_relay_done(OutboundDelivery* delivery, RelayAttemptOutcome outcome) {
  auto it = outbound_.find(delivery);
  if (it == outbound_.end() || !store_) return;
  const std::string destination = delivery->attempt().destination;
  const std::vector<EnvelopeId> envelopes = delivery->attempt().envelopes;
  outbound_.erase(it);  // the delivery is over; this is its last callback

  if (!outcome.addresses.empty()) destination_addresses_[destination] = outcome.addresses;
  if (!outcome.routes.empty()) destination_routes_[destination] = outcome.routes;
  std::weak_ptr<bool> alive = alive_;
  for (std::size_t i = 0; i < envelopes.size() && i < outcome.results.size(); ++i) {
    const smtp::RecipientResult& r = outcome.results[i];
    switch (r.status) {
      case smtp::DeliveryStatus::delivered:
        delivered(envelopes[i], outcome.route + ": " + r.reply);
        break;
      case smtp::DeliveryStatus::permanent:
        permanent_failure(envelopes[i], r.reply);
        break;
      case smtp::DeliveryStatus::temporary:
      case smtp::DeliveryStatus::pending:
        temporary_failure(envelopes[i], r.reply.empty() ? std::string("451 4.4.0 delivery failed") : r.reply);
        break;
    }
    if (alive.expired() || !store_) return;
  }
  start_relays();
  rearm();
}

// ---- reports ----

void MailRelay::inject_reports(std::vector<EnvelopeId> ids) {
  const WallTime wall = host_.wall_now();
  const Time now = host_.now();
  // One DSN per message and kind of report.
  std::map<std::pair<MessageId, int>, std::vector<Envelope>> groups;
  for (EnvelopeId id : ids) {
    const Envelope* env = store_->find(id);
    if (!env) {
      scheduler_.on_delivered(id, now);
      continue;
    }
    groups[{env->msgid(), static_cast<int>(env->report)}].push_back(*env);
  }
  for (auto& [key, reports] : groups) {
    const MessageId msgid = key.first;
    const std::string& sender = reports.front().sender;
    auto original = store_->read_message(msgid);
    if (!original) {
      for (const Envelope& r : reports)
        temporary_failure(r.id, "451 4.3.0 cannot read the message to report on: " + original.error().message);
      continue;
    }
    smtp::RouteDecision decision = router_.route(smtp::RouteRequest::local("", sender));
    if (!decision.delivers()) {
      const bool permanent = decision.outcome == smtp::RouteDecision::Outcome::reject;
      const std::string line = smtp::injection_failure_log(permanent, msgid, sender, reports.size(),
                                                           decision.reply.empty() ? "550 Invalid recipient" : decision.reply);
      log_.warning(line);
      for (const Envelope& r : reports) {
        if (!permanent) {
          temporary_failure(r.id, decision.reply);
          continue;
        }
        (void)scheduler_.on_permanent_failure(r.id, decision.reply, now);
        if (auto removed = store_->remove(r.id); !removed) log_.warning("cannot remove report: " + removed.error().message);
        ++counters_.reports_dropped;
        MailRelayEvent e = event(MailRelayEvent::Kind::report_dropped, r.id);
        e.detail = line;
        emit(std::move(e));
        if (!store_) return;
      }
      continue;
    }
    const smtp::Action& action = *decision.action;
    smtp::DeliveryReport report = smtp::build_report(reports, *original, wall);
    const std::string text = smtp::format_delivery_report(report);
    Envelope injected = smtp::injected_report_envelope(reports.front(), wall, action.ttl ? *action.ttl : config_->queue.ttl);
    injected.type = action.type == smtp::Action::Type::relay ? DeliveryType::mta : DeliveryType::mda;
    injected.action = action.name;
    injected.destination = destination_for(action, sender);
    std::vector<Envelope> envelopes{injected};
    auto committed = store_->commit_message(text, envelopes);
    if (!committed) {
      for (const Envelope& r : reports)
        temporary_failure(r.id, "451 4.3.0 cannot queue the report: " + committed.error().message);
      continue;
    }
    scheduler_.insert(envelopes.front(), now, wall);
    for (const Envelope& r : reports) {
      scheduler_.on_delivered(r.id, now);
      if (auto removed = store_->remove(r.id); !removed) log_.warning("cannot remove report: " + removed.error().message);
    }
    ++counters_.reports_injected;
    log_.info(std::string(reports.front().report == smtp::ReportKind::failure ? "failure" : "delay") +
              " report on message " + smtp::format_message_id(msgid) + " queued to <" + sender + "> as " +
              smtp::format_message_id(*committed));
    MailRelayEvent e = event(MailRelayEvent::Kind::report_injected);
    e.msgid = *committed;
    e.evpid = envelopes.front().id;
    e.destination = injected.destination;
    e.detail = "about " + smtp::format_message_id(msgid) + " to <" + sender + ">";
    emit(std::move(e));
    if (!store_) return;
  }
}

void MailRelay::on_expired(const smtp::SchedulerTask& task) {
  const Envelope* found = store_->find(task.id);
  if (!found) return;
  const Envelope env = *found;
  ++counters_.expired;
  const std::string error = smtp::expiry_error(env);
  log_.info("envelope " + smtp::format_envelope_id(env.id) + " to <" + env.rcpt + "> expired: " + error);
  if (task.drop_reason.empty()) {
    queue_failure_report(env, error, smtp::kExpiryStatus);
  } else {
    log_.info("envelope " + smtp::format_envelope_id(env.id) + ": no report: " + task.drop_reason);
    forget_envelope(env.id, "expired");
  }
  MailRelayEvent e = event(MailRelayEvent::Kind::expired, env.id);
  e.destination = env.destination;
  e.detail = error;
  emit(std::move(e));
}

// ---- outcomes ----

void MailRelay::delivered(EnvelopeId id, const std::string& detail, const std::filesystem::path& path) {
  const Envelope* found = store_->find(id);
  const std::string destination = found ? found->destination : std::string();
  scheduler_.on_delivered(id, host_.now());
  forget_envelope(id, "delivered");
  ++counters_.delivered;
  log_.info("envelope " + smtp::format_envelope_id(id) + ": " + detail);
  MailRelayEvent e = event(MailRelayEvent::Kind::delivered, id);
  e.destination = destination;
  e.detail = detail;
  e.path = path;
  rearm();
  emit(std::move(e));
}

void MailRelay::temporary_failure(EnvelopeId id, const std::string& error) {
  const Time now = host_.now();
  const WallTime wall = host_.wall_now();
  smtp::TemporaryFailureOutcome outcome = scheduler_.on_temporary_failure(id, error, now);
  const Envelope* found = store_->find(id);
  if (!found) return;
  Envelope env = *found;
  if (outcome.removed) {
    forget_envelope(id, "removed");
    ++counters_.removed;
    emit(event(MailRelayEvent::Kind::removed, id));
    return;
  }
  ++counters_.temporary_failures;
  if (auto s = scheduler_.state(id)) env.retry = s->retry;
  env.last_try = wall;
  env.last_error = error;
  if (auto r = store_->update(env); !r) log_.warning("cannot update envelope " + smtp::format_envelope_id(id) + ": " + r.error().message);
  log_.info("envelope " + smtp::format_envelope_id(id) + " to <" + env.rcpt + "> deferred: " + error +
            (outcome.next_try.is_never() ? std::string() : "; next try in " + format_duration(outcome.next_try - now)));
  if (outcome.delay_warning) {
    Envelope report = smtp::make_report_envelope(env, smtp::ReportKind::delay, error,
                                                 smtp::status_from_error(error, false), wall, *outcome.delay_warning);
    if (auto r = store_->add_envelope(env.msgid(), report); !r) {
      log_.warning("cannot queue a delay report: " + r.error().message);
    } else {
      scheduler_.insert(report, now, wall);
      ++counters_.reports_queued;
      MailRelayEvent e = event(MailRelayEvent::Kind::report_queued, report.id);
      e.detail = "delay warning about " + smtp::format_envelope_id(id);
      emit(std::move(e));
      if (!store_) return;
    }
  }
  MailRelayEvent e = event(MailRelayEvent::Kind::temporary_failure, id);
  e.destination = env.destination;
  e.detail = error;
  rearm();
  emit(std::move(e));
}

void MailRelay::permanent_failure(EnvelopeId id, const std::string& error) {
  const Envelope* found = store_->find(id);
  if (!found) {
    (void)scheduler_.on_permanent_failure(id, error, host_.now());
    return;
  }
  const Envelope env = *found;
  smtp::PermanentFailureOutcome outcome = scheduler_.on_permanent_failure(id, error, host_.now());
  ++counters_.permanent_failures;
  log_.info("envelope " + smtp::format_envelope_id(id) + " to <" + env.rcpt + "> failed: " + error);
  MailRelayEvent e = event(MailRelayEvent::Kind::permanent_failure, id);
  e.destination = env.destination;
  e.detail = error;
  if (outcome.removed) {
    forget_envelope(id, "removed");
    ++counters_.removed;
  } else if (outcome.report) {
    queue_failure_report(env, error, smtp::status_from_error(error, true));
  } else {
    log_.info("envelope " + smtp::format_envelope_id(id) + ": no report: " + outcome.drop_reason);
    forget_envelope(id, "failed");
  }
  rearm();
  emit(std::move(e));
}

void MailRelay::queue_failure_report(const Envelope& env, const std::string& error, const std::string& status) {
  Envelope report = smtp::make_report_envelope(env, smtp::ReportKind::failure, error, status, host_.wall_now());
  if (auto r = store_->update(report); !r) {
    log_.warning("cannot turn envelope " + smtp::format_envelope_id(env.id) + " into a report: " + r.error().message);
    return;
  }
  scheduler_.insert(report, host_.now(), host_.wall_now());
  ++counters_.reports_queued;
  MailRelayEvent e = event(MailRelayEvent::Kind::report_queued, report.id);
  e.detail = "failure report about " + smtp::format_envelope_id(env.id) + " to <" + env.sender + ">";
  emit(std::move(e));
}

void MailRelay::forget_envelope(EnvelopeId id, const char* why) {
  auto prepared = store_->prepare_remove(id);
  if (!prepared) {
    log_.warning("envelope " + smtp::format_envelope_id(id) + " " + why + " but not removed: " + prepared.error().message);
    return;
  }
  std::shared_ptr<smtp::RemovalJob> job = std::move(*prepared);
  std::weak_ptr<bool> open = queue_open_;
  ++queue_writes_in_flight_;
  host_.run_blocking([job] { job->run(); }, [this, open, job, why = std::string(why)] {
    if (open.expired()) return;  // a file left behind comes back at recovery: delivered again, never lost
    --queue_writes_in_flight_;
    if (auto r = store_->finish_remove(*job); !r)
      log_.warning("envelope " + smtp::format_envelope_id(job->id()) + " " + why +
                   " but not removed (it may be delivered again): " + r.error().message);
  });
}

// ---- control ----

Result<void> MailRelay::pause_smtp() {
  if (!running()) return Error(ErrorCode::closed, "the relay is not running");
  if (smtp_paused_) return {};
  smtp_paused_ = true;
  log_.info("smtp paused: new connections are answered 421");
  emit(event(MailRelayEvent::Kind::smtp_paused));
  return {};
}

Result<void> MailRelay::resume_smtp() {
  if (!running()) return Error(ErrorCode::closed, "the relay is not running");
  if (!smtp_paused_) return {};
  smtp_paused_ = false;
  log_.info("smtp resumed");
  emit(event(MailRelayEvent::Kind::smtp_resumed));
  return {};
}

void MailRelay::pause_delivery(DeliveryType type) { scheduler_.pause(type); }

void MailRelay::resume_delivery(DeliveryType type) {
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
  if (!store_) return 0;
  std::size_t known = 0;
  if (smtp::is_message_id(id))
    known = store_->envelopes_of(static_cast<MessageId>(id)).size();
  else
    known = store_->find(id) ? 1 : 0;
  for (EnvelopeId gone : scheduler_.remove(id)) {
    forget_envelope(gone, "removed");
    ++counters_.removed;
    MailRelayEvent e = event(MailRelayEvent::Kind::removed, gone);
    emit(std::move(e));
    if (!store_) break;
  }
  rearm();
  return known;
}

std::size_t MailRelay::remove_all() {
  if (!store_) return 0;
  std::vector<EnvelopeId> ids;
  for (const auto& entry : store_->envelopes()) ids.push_back(entry.first);
  std::size_t n = 0;
  for (EnvelopeId id : ids) {
    if (!store_) break;
    n += remove(id);
  }
  return n;
}

std::size_t MailRelay::route_up(const std::string& destination) {
  if (!running()) return 0;
  const std::string d = lower(destination);
  if (auto it = destination_routes_.find(d); it != destination_routes_.end())
    for (const std::string& route : it->second) penalties_.clear(route);
  const std::size_t n = scheduler_.route_up(d, host_.now());
  rearm();
  return n;
}

std::size_t MailRelay::route_up_within(const std::vector<IpPrefix>& prefixes) {
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

std::vector<IpAddress> MailRelay::destination_addresses(const std::string& destination) const {
  auto it = destination_addresses_.find(lower(destination));
  return it == destination_addresses_.end() ? std::vector<IpAddress>() : it->second;
}

smtp::MonitorDigest MailRelay::monitor_digest() const {
  smtp::MonitorDigest d = scheduler_.counters();
  d.clt_connect = clt_connect_;
  d.clt_disconnect = clt_disconnect_;
  return d;
}

// ---- events ----

MailRelay::SubscriptionId MailRelay::subscribe(EventHandler handler) {
  const SubscriptionId id = next_subscription_++;
  subscribers_.emplace(id, std::move(handler));
  return id;
}

void MailRelay::unsubscribe(SubscriptionId id) { subscribers_.erase(id); }

MailRelayEvent MailRelay::event(MailRelayEvent::Kind kind, EnvelopeId id) const {
  MailRelayEvent e;
  e.kind = kind;
  e.time = host_.now();
  e.wall = host_.wall_now();
  e.evpid = id;
  e.msgid = smtp::message_of(id);
  return e;
}

void MailRelay::emit(MailRelayEvent e) {
  if (subscribers_.empty()) return;
  std::weak_ptr<bool> alive = alive_;
  std::vector<SubscriptionId> ids;
  for (const auto& entry : subscribers_) ids.push_back(entry.first);
  for (SubscriptionId id : ids) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) continue;
    EventHandler handler = it->second;  // may unsubscribe itself
    handler(e);
    if (alive.expired()) return;
  }
}

}  // namespace tether::node
