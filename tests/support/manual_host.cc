#include "support/manual_host.h"

#include <cstdlib>
#include <deque>

namespace tether::testing {

namespace {

// ---- timers ----

class ManualTimer : public Timer {
 public:
  ManualTimer(ManualWorld& world, std::function<void()> on_fire, std::shared_ptr<std::uint64_t> arms)
      : world_(world), on_fire_(std::move(on_fire)), arms_(std::move(arms)) {}
  ~ManualTimer() override { cancel(); }
  void arm_at(Time deadline) override {
    ++*arms_;
    cancel();
    event_ = world_.schedule(deadline, [this] {
      event_ = 0;
      on_fire_();
    });
  }
  void cancel() override {
    if (event_) world_.cancel(event_);
    event_ = 0;
  }
  bool armed() const override { return event_ != 0; }

 private:
  ManualWorld& world_;
  std::function<void()> on_fire_;
  std::shared_ptr<std::uint64_t> arms_;
  ManualWorld::EventId event_ = 0;
};

}  // namespace

// ---- UDP ----

class ManualUdpState {
 public:
  Endpoint local;
  UdpSocket::ReceiveHandler handler;
};

class ManualUdpSocket : public UdpSocket {
 public:
  ManualUdpSocket(ManualHost& host, std::shared_ptr<ManualUdpState> state) : host_(host), state_(std::move(state)) {}
  ~ManualUdpSocket() override { host_.udp_.erase(state_->local); }
  Endpoint local_endpoint() const override { return state_->local; }
  Result<void> send_to(const Endpoint& to, ByteView payload) override {
    ManualHost* destination = host_.world().host_for(to.address(), &host_);
    if (!destination)
      return Error(ErrorCode::host_unreachable, "no route to " + to.to_string() + " in the manual world");
    Endpoint from = state_->local;
    if (from.address().is_unspecified()) from = Endpoint(host_.source_address_for(to.address()), from.port());
    Bytes copy = payload.to_bytes();
    ManualWorld& world = host_.world();
    ManualHost* source = &host_;
    // Look the receiver up at delivery time: it may be gone by then.
    world.schedule(world.now() + world.latency(), [&world, source, to, from, copy = std::move(copy)] {
      ManualHost* dst = world.host_for(to.address(), source);
      if (!dst) return;
      auto socket = dst->find_udp(to);
      if (socket && socket->handler) socket->handler(from, ByteView(copy));
    });
    return {};
  }
  void set_receive_handler(ReceiveHandler handler) override { state_->handler = std::move(handler); }

 private:
  ManualHost& host_;
  std::shared_ptr<ManualUdpState> state_;
};

// ---- TCP ----

class ManualTcpStreamState : public std::enable_shared_from_this<ManualTcpStreamState> {
 public:
  explicit ManualTcpStreamState(ManualWorld& world) : world(world) {}

  ManualWorld& world;
  Endpoint local, remote;
  TcpStream::Handlers handlers;
  bool handlers_set = false;
  bool reading = true;
  bool closed = false;        // closed locally: no more callbacks
  bool finished = false;      // on_closed delivered
  bool peer_fin = false;      // EOF received, to be reported after inbound data
  bool write_shut = false;
  std::weak_ptr<ManualTcpStreamState> peer;
  std::deque<Bytes> inbound;
  bool flush_scheduled = false;

  bool can_deliver() const { return handlers_set && reading && !closed && !finished; }

  // Delivers buffered input (and a pending EOF) from the loop, never inline.
  void schedule_flush() {
    if (flush_scheduled) return;
    flush_scheduled = true;
    std::weak_ptr<ManualTcpStreamState> weak = shared_from_this();
    world.schedule(world.now(), [weak] {
      auto self = weak.lock();
      if (!self) return;
      self->flush_scheduled = false;
      self->flush();
    });
  }

  void flush() {
    while (can_deliver() && !inbound.empty()) {
      Bytes chunk = std::move(inbound.front());
      inbound.pop_front();
      if (handlers.on_data) handlers.on_data(ByteView(chunk));
    }
    if (can_deliver() && inbound.empty() && peer_fin) {
      finished = true;
      if (handlers.on_closed) handlers.on_closed(Error(ErrorCode::closed, "peer closed the connection"));
    }
  }

  void receive(Bytes data) {
    if (closed || finished) return;
    inbound.push_back(std::move(data));
    if (can_deliver()) schedule_flush();
  }

  void receive_fin() {
    if (closed || finished) return;
    peer_fin = true;
    if (can_deliver()) schedule_flush();
  }

  // Bytes and FIN go through the world with the same latency, so they arrive in order.
  void send_to_peer(Bytes data) {
    std::weak_ptr<ManualTcpStreamState> weak_peer = peer;
    world.schedule(world.now() + world.latency(), [weak_peer, data = std::move(data)]() mutable {
      if (auto p = weak_peer.lock()) p->receive(std::move(data));
    });
  }
  void send_fin_to_peer() {
    std::weak_ptr<ManualTcpStreamState> weak_peer = peer;
    world.schedule(world.now() + world.latency(), [weak_peer] {
      if (auto p = weak_peer.lock()) p->receive_fin();
    });
  }
};

namespace {

class ManualTcpStream : public TcpStream {
 public:
  explicit ManualTcpStream(std::shared_ptr<ManualTcpStreamState> state) : state_(std::move(state)) {}
  ~ManualTcpStream() override { close(); }

  void set_handlers(Handlers handlers) override {
    state_->handlers = std::move(handlers);
    state_->handlers_set = true;
    state_->schedule_flush();
  }
  Endpoint local_endpoint() const override { return state_->local; }
  Endpoint remote_endpoint() const override { return state_->remote; }
  void write(ByteView data) override {
    if (state_->closed || state_->write_shut || data.empty()) return;
    state_->send_to_peer(data.to_bytes());
    std::weak_ptr<ManualTcpStreamState> weak = state_;
    state_->world.schedule(state_->world.now(), [weak] {
      auto s = weak.lock();
      if (s && !s->closed && s->handlers.on_drained) s->handlers.on_drained();
    });
  }
  std::size_t pending_write_bytes() const override { return 0; }
  void shutdown_write() override {
    if (state_->closed || state_->write_shut) return;
    state_->write_shut = true;
    state_->send_fin_to_peer();
  }
  void close() override {
    if (state_->closed) return;
    if (!state_->write_shut) state_->send_fin_to_peer();
    state_->write_shut = true;
    state_->closed = true;
    state_->handlers = Handlers{};
  }
  void set_reading(bool reading) override {
    state_->reading = reading;
    if (reading) state_->schedule_flush();
  }

 private:
  std::shared_ptr<ManualTcpStreamState> state_;
};

}  // namespace

class ManualTcpListenerState {
 public:
  Endpoint local;
  std::function<void(std::unique_ptr<TcpStream>)> on_accept;
  // Linux's accept queue (host.h): while not accepting, completed
  // connections wait, at most backlog + 1; beyond that the SYN is dropped,
  // and this world has no SYN retries, so such a client never hears back.
  bool accepting = true;
  std::size_t queue_limit = 4097;
  std::deque<std::unique_ptr<TcpStream>> queued;

  // A connection completed its handshake; false: dropped at the SYN.
  bool arrive(std::unique_ptr<TcpStream> stream) {
    if (accepting && queued.empty()) {
      on_accept(std::move(stream));
      return true;
    }
    if (queued.size() >= queue_limit) return false;
    queued.push_back(std::move(stream));
    return true;
  }
};

class ManualTcpListener : public TcpListener {
 public:
  ManualTcpListener(ManualHost& host, std::shared_ptr<ManualTcpListenerState> state)
      : host_(host), state_(std::move(state)) {}
  ~ManualTcpListener() override {
    host_.listeners_.erase(state_->local);
    state_->accepting = false;
    state_->queued.clear();
  }
  Endpoint local_endpoint() const override { return state_->local; }
  void set_accepting(bool accepting) override {
    if (state_->accepting == accepting) return;
    state_->accepting = accepting;
    if (!accepting) return;
    std::weak_ptr<ManualTcpListenerState> weak = state_;
    host_.world().schedule(host_.world().now(), [weak] {
      // The state outlives a handler that destroys the listener.
      auto state = weak.lock();
      while (state && state->accepting && !state->queued.empty()) {
        std::unique_ptr<TcpStream> stream = std::move(state->queued.front());
        state->queued.pop_front();
        auto on_accept = state->on_accept;
        on_accept(std::move(stream));
      }
    });
  }

 private:
  ManualHost& host_;
  std::shared_ptr<ManualTcpListenerState> state_;
};

// ---- tunnel device ----

class ManualTunnelDevice : public TunnelDevice {
 public:
  ManualTunnelDevice(ManualHost& host, TunnelDeviceConfig config)
      : host_(host), config_(std::move(config)), alive_(std::make_shared<bool>(true)) {}
  ~ManualTunnelDevice() override { *alive_ = false; }
  const std::string& name() const override { return config_.name; }
  int mtu() const override { return config_.mtu; }
  void set_packet_handler(PacketHandler handler) override { handler_ = std::move(handler); }
  Result<void> write_packet(ByteView packet) override {
    if (packet.size() > std::size_t(config_.mtu))
      return Error(ErrorCode::invalid_argument, "packet of " + std::to_string(packet.size()) +
                                                    " bytes exceeds MTU " + std::to_string(config_.mtu));
    if (!host_.tunnel_os()) return {};
    Bytes copy = packet.to_bytes();
    std::weak_ptr<bool> alive = alive_;
    // The OS answers later, from the loop, like a kernel would.
    host_.world().schedule(host_.world().now(), [this, alive, copy = std::move(copy)] {
      if (alive.expired() || !*alive.lock()) return;
      host_.tunnel_os()(ByteView(copy), [this, alive](ByteView to_app) {
        Bytes reply = to_app.to_bytes();
        host_.world().schedule(host_.world().now(), [this, alive, reply = std::move(reply)] {
          if (alive.expired() || !*alive.lock()) return;
          if (handler_) handler_(ByteView(reply));
        });
      });
    });
    return {};
  }
  Result<void> add_route(const IpPrefix& prefix) override {
    routes_.push_back(prefix);
    return {};
  }

 private:
  ManualHost& host_;
  TunnelDeviceConfig config_;
  PacketHandler handler_;
  std::vector<IpPrefix> routes_;
  std::shared_ptr<bool> alive_;
};

namespace {

class ManualDnsLookup : public DnsLookup {
 public:
  ManualDnsLookup(ManualWorld& world, ManualWorld::EventId id) : world_(world), id_(id) {}
  ~ManualDnsLookup() override { world_.cancel(id_); }

 private:
  ManualWorld& world_;
  ManualWorld::EventId id_;
};

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// The table's key: for ptr the address in its canonical text, so that
// "2001:DB8:0::1" set by a test is found by a lookup of "2001:db8::1".
std::string dns_key(const std::string& name, DnsRecordType type) {
  if (type == DnsRecordType::ptr)
    if (auto address = IpAddress::parse(name)) return address->to_string();
  return lower(name);
}

}  // namespace

// ---- the host ----

ManualHost::ManualHost(ManualWorld& world, ManualHostOptions options)
    : world_(world), options_(std::move(options)), random_state_(options_.seed) {
  if (options_.storage_root.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "tether-manual-XXXXXX").string();
    if (!mkdtemp(pattern.data())) std::abort();
    storage_root_ = pattern;
    owns_storage_ = true;
  } else {
    storage_root_ = options_.storage_root;
    std::filesystem::create_directories(storage_root_);
  }
  logger_ = Logger([this] { return world_.now(); },
                   [this](const LogRecord& r) { log_lines_.push_back(format_log_record(r)); },
                   options_.log_threshold)
                .child(options_.hostname);
  world_.attach(this);
}

ManualHost::~ManualHost() {
  world_.detach(this);
  if (owns_storage_) {
    std::error_code ignored;
    std::filesystem::remove_all(storage_root_, ignored);
  }
}

std::unique_ptr<Timer> ManualHost::create_timer(std::function<void()> on_fire) {
  return std::make_unique<ManualTimer>(world_, std::move(on_fire), timer_arms_);
}

void ManualHost::post(std::function<void()> fn) { world_.schedule(world_.now(), std::move(fn)); }

void ManualHost::run_blocking(std::function<void()> work, std::function<void()> done) {
  work();
  post(std::move(done));
}

bool ManualHost::owns_address(const IpAddress& a) const {
  for (const IpAddress& mine : options_.addresses)
    if (mine == a) return true;
  return false;
}

IpAddress ManualHost::source_address_for(const IpAddress& remote) const {
  if (remote.is_loopback()) return IpAddress::loopback(remote.family());
  for (const IpAddress& mine : options_.addresses)
    if (mine.family() == remote.family()) return mine;
  return IpAddress::any(remote.family());
}

std::uint16_t ManualHost::allocate_port() { return next_port_++; }

Result<std::unique_ptr<UdpSocket>> ManualHost::udp_bind(const Endpoint& requested) {
  Endpoint local = requested;
  if (!local.address().is_unspecified() && !local.address().is_loopback() && !owns_address(local.address()))
    return Error(ErrorCode::invalid_argument, "cannot bind " + local.to_string() + ": not an address of " +
                                                  options_.hostname);
  if (local.port() == 0) local = Endpoint(local.address(), allocate_port());
  auto existing = udp_.find(local);
  if (existing != udp_.end() && !existing->second.expired())
    return Error(ErrorCode::address_in_use, "UDP " + local.to_string() + " is already bound");
  auto state = std::make_shared<ManualUdpState>();
  state->local = local;
  udp_[local] = state;
  return std::unique_ptr<UdpSocket>(std::make_unique<ManualUdpSocket>(*this, state));
}

std::shared_ptr<ManualUdpState> ManualHost::find_udp(const Endpoint& to) const {
  auto it = udp_.find(to);
  if (it != udp_.end())
    if (auto s = it->second.lock()) return s;
  it = udp_.find(Endpoint(IpAddress::any(to.address().family()), to.port()));
  if (it != udp_.end()) return it->second.lock();
  return nullptr;
}

Result<std::unique_ptr<TcpListener>> ManualHost::tcp_listen(
    const Endpoint& requested, std::function<void(std::unique_ptr<TcpStream>)> on_accept,
    const TcpListenOptions& options) {
  Endpoint local = requested;
  if (local.port() == 0) local = Endpoint(local.address(), allocate_port());
  auto existing = listeners_.find(local);
  if (existing != listeners_.end() && !existing->second.expired())
    return Error(ErrorCode::address_in_use, "TCP " + local.to_string() + " is already listening");
  auto state = std::make_shared<ManualTcpListenerState>();
  state->local = local;
  state->on_accept = std::move(on_accept);
  if (options.backlog > 0) state->queue_limit = std::size_t(options.backlog) + 1;
  listeners_[local] = state;
  return std::unique_ptr<TcpListener>(std::make_unique<ManualTcpListener>(*this, state));
}

std::shared_ptr<ManualTcpListenerState> ManualHost::find_listener(const Endpoint& to) const {
  auto it = listeners_.find(to);
  if (it != listeners_.end())
    if (auto s = it->second.lock()) return s;
  it = listeners_.find(Endpoint(IpAddress::any(to.address().family()), to.port()));
  if (it != listeners_.end()) return it->second.lock();
  return nullptr;
}

std::unique_ptr<TcpStream> ManualHost::tcp_connect(const Endpoint& remote, TcpStream::Handlers handlers,
                                                   const TcpConnectOptions& options) {
  auto client = std::make_shared<ManualTcpStreamState>(world_);
  IpAddress source = options.source ? *options.source : source_address_for(remote.address());
  client->local = Endpoint(source, allocate_port());
  client->remote = remote;
  client->handlers = std::move(handlers);
  client->handlers_set = true;
  auto stream = std::make_unique<ManualTcpStream>(client);

  std::weak_ptr<ManualTcpStreamState> weak_client = client;
  ManualWorld& world = world_;
  ManualHost* self = this;
  // SYN travels one latency, SYN-ACK (or RST) one more.
  world_.schedule(world_.now() + world_.latency(), [&world, self, weak_client, remote] {
    auto c = weak_client.lock();
    if (!c || c->closed) return;
    ManualHost* dst = world.host_for(remote.address(), self);
    auto listener = dst ? dst->find_listener(remote) : nullptr;
    auto report = [&world, weak_client](Result<void> result) {
      world.schedule(world.now() + world.latency(), [weak_client, result] {
        auto c2 = weak_client.lock();
        if (c2 && !c2->closed && c2->handlers.on_connected) c2->handlers.on_connected(result);
      });
    };
    if (!dst) {
      report(Error(ErrorCode::host_unreachable, "no route to " + remote.to_string()));
      return;
    }
    if (!listener) {
      report(Error(ErrorCode::connection_refused, "connection to " + remote.to_string() + " refused"));
      return;
    }
    auto server = std::make_shared<ManualTcpStreamState>(world);
    server->local = remote;
    server->remote = c->local;
    server->handlers_set = false;  // reads wait for set_handlers
    server->peer = c;
    c->peer = server;
    if (!listener->arrive(std::make_unique<ManualTcpStream>(server))) {
      c->peer.reset();
      return;  // a full accept queue drops the SYN
    }
    report(Result<void>());
  });
  return stream;
}

Result<std::unique_ptr<TunnelDevice>> ManualHost::open_tunnel(const TunnelDeviceConfig& config) {
  if (config.name.empty()) return Error(ErrorCode::invalid_argument, "tunnel device needs a name");
  for (const IpPrefix& p : config.addresses) options_.addresses.push_back(p.address());
  return std::unique_ptr<TunnelDevice>(std::make_unique<ManualTunnelDevice>(*this, config));
}

void ManualHost::set_dns(const std::string& name, DnsRecordType type, Result<DnsAnswer> answer) {
  dns_.insert_or_assign(std::make_pair(dns_key(name, type), type), std::move(answer));
}

std::unique_ptr<DnsLookup> ManualHost::dns_lookup(const std::string& name, DnsRecordType type,
                                                  std::function<void(Result<DnsAnswer>)> on_answer) {
  auto it = dns_.find(std::make_pair(dns_key(name, type), type));
  Result<DnsAnswer> answer =
      it != dns_.end() ? it->second
                       : Result<DnsAnswer>(Error(ErrorCode::dns_nxdomain, "no such name: " + name));
  if (type == DnsRecordType::ptr && !IpAddress::parse(name))
    answer = Error(ErrorCode::invalid_argument, "a PTR lookup needs an IP address, not '" + name + "'");
  auto id = world_.schedule(world_.now() + dns_delay_.value_or(world_.latency() * 2),
                            [on_answer = std::move(on_answer), answer]() { on_answer(answer); });
  return std::make_unique<ManualDnsLookup>(world_, id);
}

void ManualHost::random_bytes(MutableByteView out) {
  // SplitMix64: deterministic per seed, which is all a test needs.
  for (std::size_t i = 0; i < out.size(); i += 8) {
    std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (std::size_t j = 0; j < 8 && i + j < out.size(); ++j) out.data()[i + j] = std::uint8_t(z >> (8 * j));
  }
}

}  // namespace tether::testing
