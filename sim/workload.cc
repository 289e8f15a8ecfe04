#include "sim/workload.h"

#include "smtp/client_session.h"

namespace tether::sim {

// One SMTP transaction, client side, on a Host TcpStream.
class Workload::Session {
 public:
  Session(Host& host, const Endpoint& server, smtp::ClientSession session, std::function<void(const std::string&)> done)
      : host_(host), session_(std::move(session)), done_(std::move(done)) {
    timer_ = host_.create_timer([this] {
      if (finished_) return;
      session_.on_timer(host_.now());
      pump();
    });
    TcpStream::Handlers handlers;
    handlers.on_connected = [this](Result<void> r) {
      if (!r) return finish("connect: " + r.error().message);
      connected_ = true;
      pump();
    };
    handlers.on_data = [this](ByteView data) {
      session_.receive(data, host_.now());
      pump();
    };
    handlers.on_drained = [this] { pump(); };
    handlers.on_closed = [this](const Error& e) {
      session_.on_connection_lost(e, host_.now());
      pump();
    };
    stream_ = host_.tcp_connect(server, std::move(handlers));
    if (!session_.next_deadline().is_never()) timer_->arm_at(session_.next_deadline());
  }
  ~Session() {
    stream_.reset();
    timer_.reset();
  }

  const smtp::ClientSession& session() const { return session_; }

 private:
  void pump() {
    if (finished_) return;
    if (connected_)
      while (session_.has_output() && stream_->pending_write_bytes() < 65536) stream_->write(session_.take_output(host_.now()));
    if (session_.done()) return finish(session_.error());
    if (!session_.next_deadline().is_never()) timer_->arm_at(session_.next_deadline());
  }
  void finish(const std::string& error) {
    if (finished_) return;
    finished_ = true;
    if (stream_) stream_->close();
    timer_->cancel();
    std::string why = error;
    if (why.empty())
      for (const auto& r : session_.results())
        if (r.status != smtp::DeliveryStatus::delivered) why = r.address + ": " + r.reply;
    if (why.empty() && session_.results().empty()) why = "no result";
    done_(why);
  }

  Host& host_;
  smtp::ClientSession session_;
  std::function<void(const std::string&)> done_;
  std::unique_ptr<TcpStream> stream_;
  std::unique_ptr<Timer> timer_;
  bool connected_ = false;
  bool finished_ = false;
};

Workload::Workload(Host& host, Endpoint server, const WorkloadSpec& spec, std::uint64_t seed, std::string sender_hostname)
    : host_(host), server_(server), spec_(spec), seed_(seed), hostname_(std::move(sender_hostname)) {}

Workload::~Workload() {
  sessions_.clear();
  timer_.reset();
}

std::string Workload::message_id(std::uint64_t index, std::uint64_t seed, const std::string& hostname) {
  return "<sim-" + std::to_string(index) + "." + std::to_string(seed) + "@" + hostname + ">";
}

void Workload::start() {
  if (spec_.count == 0) return;
  const Time first = host_.now() + spec_.start;
  timer_ = host_.create_timer([this, first] {
    submit(next_++);
    if (next_ < spec_.count) timer_->arm_at(first + spec_.interval * std::int64_t(next_));
  });
  timer_->arm_at(first);
}

std::string Workload::message(std::uint64_t index) const {
  std::string to;
  for (const std::string& r : spec_.recipients) to += (to.empty() ? "<" : ", <") + r + ">";
  std::string text = "From: <" + spec_.from + ">\r\nTo: " + to + "\r\nSubject: tether-sim message " +
                     std::to_string(index) + "\r\nMessage-ID: " + message_id(index, seed_, hostname_) + "\r\n\r\n";
  // The body: lines of 76 characters up to the size asked for.
  std::size_t body = 0;
  std::uint64_t line = 0;
  while (body < spec_.size) {
    std::string l = "line " + std::to_string(line++) + " ";
    l.resize(std::min<std::size_t>(76, std::max<std::size_t>(l.size(), spec_.size - body)), 'x');
    text += l + "\r\n";
    body += l.size() + 2;
  }
  return text;
}

void Workload::submit(std::uint64_t index) {
  Submission s;
  s.index = index;
  s.message_id = message_id(index, seed_, hostname_);
  s.submitted = host_.now();
  const std::size_t slot = submissions_.size();
  submissions_.push_back(s);

  smtp::ClientSessionOptions options;
  options.helo = host_.hostname();
  options.tls = smtp::ClientTls::none;
  smtp::ClientTransaction transaction;
  transaction.mail_from = spec_.from;
  for (const std::string& to : spec_.recipients) transaction.recipients.push_back(smtp::ClientRecipient{to, "", ""});
  const std::string text = message(index);
  transaction.message.assign(text.begin(), text.end());
  auto session = smtp::ClientSession::create(std::move(options), std::move(transaction), host_.now());
  if (!session) {
    submissions_[slot].error = session.error().message;
    submissions_[slot].finished = host_.now();
    if (on_submitted) on_submitted(submissions_[slot]);
    return;
  }
  sessions_.push_back(std::make_unique<Session>(host_, server_, std::move(*session), [this, slot](const std::string& error) {
    Submission& done = submissions_[slot];
    done.finished = host_.now();
    done.accepted = error.empty();
    done.error = error;
    if (on_submitted) on_submitted(done);
  }));
}

HomeActivity::HomeActivity(Host& host, const HomeActivitySpec& spec) : host_(host), spec_(spec) {}

HomeActivity::~HomeActivity() {
  timer_.reset();
  socket_.reset();
}

void HomeActivity::start() {
  if (spec_.interval <= Duration::zero()) return;
  first_ = host_.now() + spec_.start;
  timer_ = host_.create_timer([this] {
    send();
    timer_->arm_at(first_ + spec_.interval * std::int64_t(sent_));
  });
  timer_->arm_at(first_);
}

void HomeActivity::send() {
  ++sent_;
  if (!socket_) {
    auto s = host_.udp_bind(Endpoint(*IpAddress::parse("0.0.0.0"), 0));
    if (!s.ok()) {
      if (on_sent) on_sent("bind: " + s.error().to_string());
      return;
    }
    socket_ = std::move(*s);
    socket_->set_receive_handler([](const Endpoint&, ByteView) {});
  }
  std::vector<std::uint8_t> payload(spec_.size, 0);
  if (!payload.empty()) payload[0] = 0x23;  // an NTP v4 client poll's first byte
  auto r = socket_->send_to(spec_.to, ByteView(payload.data(), payload.size()));
  if (on_sent) on_sent(spec_.to.to_string() + (r.ok() ? "" : " " + r.error().to_string()));
}

}  // namespace tether::sim
