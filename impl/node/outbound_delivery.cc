#include "node/outbound_delivery.h"

#include <algorithm>

#include "core/ascii.h"
#include "node/relay_mx.h"
#include "smtp/relay_url.h"
#include "smtp/table.h"

namespace tether::node {
namespace {

using smtp::ClientTls;
using smtp::DeliveryStatus;

constexpr std::size_t kWriteHighWater = 64 * 1024;

ClientTls tls_for_url(smtp::RelayUrl::Tls tls, bool action_requires_tls) {
  switch (tls) {
    case smtp::RelayUrl::Tls::opportunistic:
      return action_requires_tls ? ClientTls::required_starttls : ClientTls::opportunistic;
    case smtp::RelayUrl::Tls::starttls: return ClientTls::required_starttls;
    case smtp::RelayUrl::Tls::none: return ClientTls::none;
    case smtp::RelayUrl::Tls::smtps: return ClientTls::implicit;
  }
  return ClientTls::opportunistic;
}

// "[192.0.2.1]" / "[IPv6:2001:db8::1]" -> the address.
std::optional<IpAddress> address_literal(const std::string& host) {
  if (host.size() < 3 || host.front() != '[' || host.back() != ']') return std::nullopt;
  std::string inside = host.substr(1, host.size() - 2);
  if (inside.size() > 5 && (inside.compare(0, 5, "IPv6:") == 0 || inside.compare(0, 5, "ipv6:") == 0))
    inside = inside.substr(5);
  auto parsed = IpAddress::parse(inside);
  if (!parsed) return std::nullopt;
  return *parsed;
}

}  // namespace

OutboundDelivery::OutboundDelivery(OutboundDeliveryContext context, RelayAttempt attempt, Done done)
    : context_(std::move(context)), attempt_(std::move(attempt)), done_(std::move(done)) {
  for (const smtp::ClientRecipient& r : attempt_.transaction.recipients)
    outcome_.results.push_back(smtp::RecipientResult{r.address, DeliveryStatus::pending, {}});
}

OutboundDelivery::~OutboundDelivery() {
  alive_.reset();
  lookup_.reset();
  stream_.reset();
  timer_.reset();
}

void OutboundDelivery::start() {
  timer_ = std::make_unique<DeadlineTimer>(*context_.host, [this] { on_timer(); });
  plan_hops();
}

// ---- where to ----

void OutboundDelivery::plan_hops() {
  const smtp::RelaySettings& relay = attempt_.action->relay;
  const bool requires_tls = relay.tls_required;
  auto add_url = [&](const smtp::RelayUrl& url) {
    if (url.lmtp) {
      lookup_errors_ += (lookup_errors_.empty() ? "" : "; ") + std::string("lmtp://") + url.host +
                        ": LMTP is not supported by tether";
      return;
    }
    Hop hop;
    hop.literal = address_literal(url.host);
    hop.name = hop.literal ? hop.literal->to_string() : ascii_lower(url.host);
    hop.port = url.port;
    hop.tls = tls_for_url(url.tls, requires_tls);
    hop.auth_label = url.auth_label;
    hops_.push_back(std::move(hop));
  };

  if (!relay.hosts.empty()) {
    for (const smtp::RelayUrl& url : relay.hosts) add_url(url);
    resolve_next_hop();
    return;
  }
  if (relay.domain) {
    if (const smtp::Table* table = context_.config->find_table(*relay.domain)) {
      if (const smtp::TableEntry* entry = table->match_domain(attempt_.domain)) {
        auto url = smtp::parse_relay_url(entry->value.empty() ? entry->key : entry->value);
        if (url) {
          add_url(*url);
          resolve_next_hop();
          return;
        }
        context_.log.warning("domain table entry for " + attempt_.domain + " is not a relay URL: " +
                             url.error().message + "; using MX");
      }
    }
  }
  lookup_ = context_.host->dns_lookup(attempt_.domain, DnsRecordType::mx,
                                      [this](Result<DnsAnswer> answer) { on_mx(std::move(answer)); });
}

void OutboundDelivery::on_mx(Result<DnsAnswer> answer) {
  std::unique_ptr<DnsLookup> finished = std::move(lookup_);
  const smtp::RelaySettings& relay = attempt_.action->relay;
  bool no_records = false;
  std::vector<MxRecord> records;
  if (answer) {
    records = answer->mx;
  } else if (answer.error().code == ErrorCode::dns_no_data) {
    no_records = true;
  } else if (answer.error().code == ErrorCode::dns_nxdomain) {
    fail_all(DeliveryStatus::permanent, "550 5.1.2 Domain does not exist: " + attempt_.domain);
    finish();
    return;
  } else {
    fail_all(DeliveryStatus::temporary, "Temporary failure in MX lookup for " + attempt_.domain + ": " +
                                            answer.error().message);
    finish();
    return;
  }
  const std::string own = relay.backup_mx.empty() ? context_.hostname : relay.backup_mx;
  MxSelection selection = select_mx(records, no_records, attempt_.domain, relay.backup, own);
  if (selection.hops.empty()) {
    fail_all(selection.permanent ? DeliveryStatus::permanent : DeliveryStatus::temporary,
             (selection.permanent ? "550 5.1.2 " : "") + selection.error);
    finish();
    return;
  }
  for (const MxHop& mx : selection.hops) {
    Hop hop;
    hop.name = ascii_lower(mx.name);
    hop.tls = relay.tls_required ? ClientTls::required_starttls : ClientTls::opportunistic;
    hops_.push_back(std::move(hop));
  }
  resolve_next_hop();
}

void OutboundDelivery::resolve_next_hop() {
  while (resolving_ < hops_.size()) {
    Hop& hop = hops_[resolving_];
    if (!hop.literal) {
      lookup_ = context_.host->dns_lookup(hop.name, DnsRecordType::a, [this](Result<DnsAnswer> answer) {
        on_hop_address(DnsRecordType::a, std::move(answer));
      });
      return;
    }
    hop.addresses.push_back(*hop.literal);
    ++resolving_;
  }
  order_targets();
  if (targets_.empty()) {
    std::string why = lookup_errors_.empty() ? "No valid route to destination" : lookup_errors_;
    fail_all(DeliveryStatus::temporary, why);
    finish();
    return;
  }
  try_next_target();
}

void OutboundDelivery::on_hop_address(DnsRecordType type, Result<DnsAnswer> answer) {
  std::unique_ptr<DnsLookup> finished = std::move(lookup_);
  Hop& hop = hops_[resolving_];
  if (answer) {
    for (const IpAddress& a : answer->addresses)
      if (std::find(hop.addresses.begin(), hop.addresses.end(), a) == hop.addresses.end()) hop.addresses.push_back(a);
  } else if (answer.error().code == ErrorCode::dns_temporary) {
    lookup_temporary_ = true;
  }
  if (type == DnsRecordType::a) {
    lookup_ = context_.host->dns_lookup(hop.name, DnsRecordType::aaaa, [this](Result<DnsAnswer> answer) {
      on_hop_address(DnsRecordType::aaaa, std::move(answer));
    });
    return;
  }
  if (hop.addresses.empty())
    lookup_errors_ += (lookup_errors_.empty() ? "" : "; ") + hop.name + ": no address" +
                      (answer ? std::string() : " (" + answer.error().message + ")");
  ++resolving_;
  resolve_next_hop();
}

void OutboundDelivery::order_targets() {
  const Time now = context_.host->now();
  for (std::size_t h = 0; h < hops_.size(); ++h) {
    for (const IpAddress& a : hops_[h].addresses) {
      Target t;
      t.hop = h;
      t.endpoint = Endpoint(a, hops_[h].port);
      t.route = t.endpoint.to_string();
      targets_.push_back(t);
      outcome_.routes.push_back(t.route);
      if (std::find(outcome_.addresses.begin(), outcome_.addresses.end(), a) == outcome_.addresses.end())
        outcome_.addresses.push_back(a);
    }
  }
  // Penalised routes go last, in the order their penalty ends.
  std::stable_sort(targets_.begin(), targets_.end(), [&](const Target& x, const Target& y) {
    const bool ux = context_.penalties->usable(x.route, now), uy = context_.penalties->usable(y.route, now);
    if (ux != uy) return ux;
    if (ux) return false;
    return context_.penalties->disabled_until(x.route) < context_.penalties->disabled_until(y.route);
  });
}

// ---- one server ----

void OutboundDelivery::try_next_target() {
  if (next_target_ >= targets_.size()) {
    finish();
    return;
  }
  current_ = &targets_[next_target_];
  current_started_ = context_.host->now();
  clear_retry_done_ = false;
  ++outcome_.servers_tried;
  connect(hops_[current_->hop].tls);
}

std::optional<smtp::ClientCredentials> OutboundDelivery::credentials_for(const Hop& hop, std::string& error) const {
  if (hop.auth_label.empty()) return std::nullopt;
  const auto& auth = attempt_.action->relay.auth;
  const smtp::Table* table = auth ? context_.config->find_table(*auth) : nullptr;
  const smtp::TableEntry* entry = table ? table->find(hop.auth_label) : nullptr;
  if (!entry) {
    error = "Could not retrieve credentials for '" + hop.auth_label + "'";
    return std::nullopt;
  }
  auto parsed = smtp::parse_relay_credentials(entry->value);
  if (!parsed) {
    error = "Could not retrieve credentials for '" + hop.auth_label + "': " + parsed.error().message;
    return std::nullopt;
  }
  return smtp::ClientCredentials{parsed->user, parsed->password};
}

std::optional<IpAddress> OutboundDelivery::source_for(const IpAddress& remote) {
  const auto& src = attempt_.action->relay.src;
  const smtp::Table* table = src ? context_.config->find_table(*src) : nullptr;
  if (!table) return std::nullopt;
  std::vector<IpAddress> candidates;
  for (const smtp::TableEntry& e : table->entries) {
    auto prefix = smtp::parse_network_address(e.key);
    if (prefix && prefix->address().family() == remote.family()) candidates.push_back(prefix->address());
  }
  if (candidates.empty()) return std::nullopt;
  std::size_t pick = context_.source_cursor ? (*context_.source_cursor)++ : 0;
  return candidates[pick % candidates.size()];
}

std::string OutboundDelivery::helo_for(const std::optional<IpAddress>& source) const {
  const smtp::RelaySettings& relay = attempt_.action->relay;
  if (!relay.helo.empty()) return relay.helo;
  if (relay.helo_src && source) {
    if (const smtp::Table* table = context_.config->find_table(*relay.helo_src))
      if (const smtp::TableEntry* e = table->match_source(*source))
        if (!e->value.empty()) return e->value;
  }
  return context_.hostname;
}

void OutboundDelivery::connect(ClientTls tls) {
  const Hop& hop = hops_[current_->hop];
  const Time now = context_.host->now();
  std::string credential_error;
  auto credentials = credentials_for(hop, credential_error);
  if (!credential_error.empty()) {
    // Not this server's fault, and no other server would do better.
    fail_all(DeliveryStatus::temporary, credential_error);
    finish();
    return;
  }
  const std::optional<IpAddress> source = source_for(current_->endpoint.address());

  smtp::ClientSessionOptions options;
  options.helo = helo_for(source);
  options.tls = tls;
  options.tls_context = context_.tls_context;
  options.server_name = hop.literal ? std::string() : hop.name;
  options.credentials = credentials;
  options.timeouts = context_.timeouts;
  auto session = smtp::ClientSession::create(std::move(options), attempt_.transaction, now);
  if (!session) {
    // The transaction itself cannot be sent anywhere.
    fail_all(DeliveryStatus::permanent, "554 5.3.0 " + session.error().message);
    finish();
    return;
  }
  session_.emplace(std::move(*session));
  session_tls_ = tls;
  connected_ = false;

  TcpStream::Handlers handlers;
  handlers.on_connected = [this](Result<void> r) { on_connected(std::move(r)); };
  handlers.on_data = [this](ByteView data) { on_data(data); };
  handlers.on_drained = [this] { pump(); };
  handlers.on_closed = [this](const Error& reason) { on_closed(reason); };
  TcpConnectOptions connect_options;
  connect_options.source = source;
  connect_options.timeout = context_.connect_timeout;
  context_.log.debug("connecting to " + hop.name + " [" + current_->route + "] for " + attempt_.destination +
                     (tls == ClientTls::none && hop.tls != ClientTls::none ? " (without TLS)" : ""));
  stream_ = context_.host->tcp_connect(current_->endpoint, std::move(handlers), connect_options);
  timer_->arm_at(session_->next_deadline());
}

void OutboundDelivery::on_connected(Result<void> result) {
  if (!result) {
    server_failed("cannot connect: " + result.error().message);
    return;
  }
  connected_ = true;
  pump();
}

void OutboundDelivery::on_data(ByteView data) {
  if (!session_) return;
  session_->receive(data, context_.host->now());
  pump();
}

void OutboundDelivery::on_closed(const Error& reason) {
  if (!session_) return;
  session_->on_connection_lost(reason, context_.host->now());
  pump();
}

void OutboundDelivery::on_timer() {
  if (waiting_for_route_) {
    waiting_for_route_ = false;
    try_next_target();
    return;
  }
  if (!session_) return;
  const Time now = context_.host->now();
  if (session_->next_deadline() <= now) session_->on_timer(now);
  pump();
}

void OutboundDelivery::pump() {
  if (!session_ || finished_) return;
  announce_accepted();  // before the QUIT goes out
  const Time now = context_.host->now();
  if (connected_ && stream_) {
    while (session_->has_output() && stream_->pending_write_bytes() < kWriteHighWater) {
      Bytes out = session_->take_output(now);
      if (out.empty()) break;
      stream_->write(out);
    }
  }
  if (session_->done()) {
    session_over();
    return;
  }
  timer_->arm_at(session_->next_deadline());
}

void OutboundDelivery::announce_accepted() {
  if (!context_.on_accepted || !session_->finished()) return;
  const std::vector<smtp::RecipientResult>& results = session_->results();
  announced_.resize(attempt_.envelopes.size(), false);
  for (std::size_t i = 0; i < results.size() && i < announced_.size(); ++i) {
    if (results[i].status != DeliveryStatus::delivered || announced_[i]) continue;
    announced_[i] = true;
    context_.on_accepted(attempt_.envelopes[i]);
  }
}

void OutboundDelivery::session_over() {
  smtp::ClientSession& s = *session_;
  const Hop& hop = hops_[current_->hop];
  outcome_.route = hop.name + " [" + current_->route + "]";
  bool answered = false;
  for (const smtp::RecipientResult& r : s.results())
    if (r.status == DeliveryStatus::delivered || r.status == DeliveryStatus::permanent) answered = true;
  const std::string error = s.error();
  const bool retry_clear = s.opportunistic_tls_failed() && !clear_retry_done_ && hop.auth_label.empty();
  const std::vector<smtp::RecipientResult> results = s.results();

  if (answered || error.empty()) {
    // The server spoke for the recipients: the route works.
    outcome_.results = results;
    outcome_.transaction = true;
    context_.penalties->on_success(current_->route);
    stream_.reset();
    session_.reset();
    finish();
    return;
  }
  if (retry_clear) {
    context_.log.info(outcome_.route + ": STARTTLS failed (" + error + "); trying again without TLS");
    clear_retry_done_ = true;
    stream_.reset();
    session_.reset();
    connect(ClientTls::none);
    return;
  }
  outcome_.results = results;
  server_failed(error, true);
}

void OutboundDelivery::server_failed(const std::string& why, bool from_session) {
  const Hop& hop = hops_[current_->hop];
  const std::string name = hop.name + " [" + current_->route + "]";
  const Duration penalty = context_.penalties->on_failure(current_->route, context_.host->now());
  context_.log.info(name + " failed for " + attempt_.destination + ": " + why + " (route penalised for " +
                    format_duration(penalty) + ")");
  last_error_ = why;
  outcome_.route = name;
  // Recipients without an answer of their own carry the server's failure.
  if (!from_session) fail_all(DeliveryStatus::temporary, why);
  for (smtp::RecipientResult& r : outcome_.results)
    if (r.status == DeliveryStatus::temporary && r.reply.empty()) r.reply = why;
  stream_.reset();
  session_.reset();
  connected_ = false;
  ++next_target_;
  const Time earliest = current_started_ + context_.route_delay;
  if (next_target_ < targets_.size() && earliest > context_.host->now()) {
    context_.log.info("next route for " + attempt_.destination + " in " +
                      format_duration(earliest - context_.host->now()));
    waiting_for_route_ = true;
    timer_->arm_at(earliest);
    return;
  }
  try_next_target();
}

void OutboundDelivery::fail_all(DeliveryStatus status, const std::string& why) {
  for (smtp::RecipientResult& r : outcome_.results) {
    if (r.status == DeliveryStatus::delivered) continue;
    r.status = status;
    r.reply = why;
  }
}

void OutboundDelivery::finish() {
  if (finished_) return;
  finished_ = true;
  for (smtp::RecipientResult& r : outcome_.results)
    if (r.status == DeliveryStatus::pending) {
      r.status = DeliveryStatus::temporary;
      r.reply = last_error_.empty() ? "No valid route to destination" : last_error_;
    }
  stream_.reset();
  lookup_.reset();
  if (timer_) timer_->cancel();
  // Reported from the loop: the caller may destroy this object in done_.
  std::weak_ptr<bool> alive = alive_;
  context_.host->post([this, alive] {
    if (alive.expired()) return;
    Done done = std::move(done_);
    done(*this, std::move(outcome_));
  });
}

}  // namespace tether::node
