#include "scenario/workload.h"

#include "host/deadline_timer.h"
#include "smtp/client_session.h"

namespace tether::scenario {

// One SMTP transaction, client side, on a Host TcpStream.
class Workload::Session {
 public:
  Session(Host& host, const Endpoint& server, smtp::ClientSession session, std::function<void(const std::string&)> done)
      : host_(host), session_(std::move(session)), done_(std::move(done)) {
    timer_ = std::make_unique<DeadlineTimer>(host_, [this] {
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
    timer_->arm_at(session_.next_deadline());
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
    timer_->arm_at(session_.next_deadline());
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
  std::unique_ptr<DeadlineTimer> timer_;
  bool connected_ = false;
  bool finished_ = false;
};

Workload::Workload(Host& host, Endpoint server, WorkloadPlan plan)
    : host_(host), server_(server), plan_(std::move(plan)) {}

Workload::~Workload() {
  sessions_.clear();
  timer_.reset();
}

void Workload::start() { start_at(host_.now()); }

void Workload::start_at(Time started) {
  if (plan_.count() == 0) return;
  timer_ = host_.create_timer([this, started] {
    submit(next_++);
    if (next_ < plan_.count()) timer_->arm_at(started + plan_.due(next_));
  });
  timer_->arm_at(started + plan_.due(0));
}

void Workload::submit(std::uint64_t index) {
  Submission s;
  s.index = index;
  s.message_id = plan_.message_id(index);
  s.submitted = host_.now();
  const std::size_t slot = submissions_.size();
  submissions_.push_back(s);

  smtp::ClientSessionOptions options;
  options.helo = host_.hostname();
  options.tls = smtp::ClientTls::none;
  smtp::ClientTransaction transaction;
  transaction.mail_from = plan_.spec().from;
  for (const std::string& to : plan_.spec().recipients) transaction.recipients.push_back(smtp::ClientRecipient{to, "", ""});
  const std::string text = plan_.message(index);
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

}  // namespace tether::scenario
