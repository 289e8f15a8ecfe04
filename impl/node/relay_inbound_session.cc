#include "node/relay_inbound_session.h"

#include "crypto/bcrypt.h"

namespace tether::node {

RelayInboundSession::RelayInboundSession(Host& host, std::unique_ptr<TcpStream> stream,
                                         smtp::ServerSessionOptions options, smtp::ServerHooks hooks,
                                         InboundQueue queue, Finished finished, Duration linger,
                                         Duration rdns_timeout)
    : host_(host),
      stream_(std::move(stream)),
      remote_(stream_->remote_endpoint()),
      log_(options.logger),
      queue_(std::move(queue)),
      finished_(std::move(finished)),
      linger_(linger),
      rdns_timeout_(rdns_timeout) {
  hooks.new_message_id = [this] { return new_message_id(); };
  pending_options_.emplace(std::move(options));
  pending_hooks_.emplace(std::move(hooks));
}

RelayInboundSession::RelayInboundSession(Host& host, std::unique_ptr<TcpStream> stream, std::string refusal,
                                         Logger log, Finished finished, Duration linger)
    : host_(host),
      stream_(std::move(stream)),
      remote_(stream_->remote_endpoint()),
      log_(std::move(log)),
      finished_(std::move(finished)),
      linger_(linger),
      rdns_timeout_(Duration::zero()),
      refusal_(std::move(refusal)) {}

RelayInboundSession::~RelayInboundSession() {
  alive_.reset();
  rdns_.reset();
  timer_.reset();
  stream_.reset();
  incoming_.reset();  // an unfinished message leaves incoming/ (IncomingMessage aborts)
}

void RelayInboundSession::start() {
  timer_ = std::make_unique<DeadlineTimer>(host_, [this] { on_timer(); });
  TcpStream::Handlers handlers;
  handlers.on_data = [this](ByteView data) { on_data(data); };
  handlers.on_closed = [this](const Error& reason) { on_closed(reason); };
  stream_->set_handlers(std::move(handlers));
  if (!pending_options_) {
    stream_->write(ByteView(std::string_view(refusal_)));
    begin_close();
    return;
  }
  smtp::ServerSessionOptions options = std::move(*pending_options_);
  pending_options_.reset();
  options.rdns.clear();
  options.fcrdns = false;
  options.rdns_pending = true;
  options.defer_password_checks = true;  // bcrypt runs off the loop (check_password_ready)
  session_.emplace(std::move(options), std::move(*pending_hooks_), host_.now());
  pending_hooks_.reset();
  rdns_ = std::make_unique<ClientRdnsLookup>(host_, remote_.address(), rdns_timeout_, log_,
                                             [this](ClientRdns rdns) { on_rdns(std::move(rdns)); });
  pump();  // the greeting
}

void RelayInboundSession::on_rdns(ClientRdns rdns) {
  rdns_.reset();
  if (ended_ || closing_ || !session_) return;
  const bool confirmed = !rdns.name.empty() && rdns.confirmed;
  session_->set_client_rdns(std::move(rdns.name), confirmed, host_.now());
  pump();  // the MAIL that waited, or a connect filter's refusal
}

std::string RelayInboundSession::new_message_id() {
  incoming_.reset();  // a transaction abandoned after DATA
  auto created = queue_.create ? queue_.create() : Result<smtp::IncomingMessage>(Error(ErrorCode::internal, "no queue"));
  if (!created) {
    log_.warning("cannot create a message in the queue: " + created.error().message);
    return "00000000";  // the commit fails with 451 and says why
  }
  incoming_.emplace(std::move(*created));
  return smtp::format_message_id(incoming_->id());
}

void RelayInboundSession::on_data(ByteView data) {
  if (!session_ || closing_) return;
  session_->feed(data, host_.now());
  pump();
}

void RelayInboundSession::on_closed(const Error& reason) {
  if (closing_ || !session_ || session_->closed()) {
    end();
    return;
  }
  // The client went away mid-session (EOF or reset): nothing more to say.
  if (reason.code != ErrorCode::closed) log_.debug("connection from " + remote_.to_string() + " lost: " + reason.message);
  end();
}

void RelayInboundSession::on_timer() {
  if (ended_) return;
  if (closing_ || !session_) {
    end();  // linger over
    return;
  }
  const Time now = host_.now();
  if (session_->next_deadline() <= now) session_->on_deadline(now);
  pump();
}

void RelayInboundSession::commit_ready() {
  if (committing_) return;
  while (auto message = session_->take_message()) {
    const Time now = host_.now();
    if (!incoming_ || smtp::format_message_id(incoming_->id()) != message->envelope.id) {
      session_->fail_message("Queue unavailable, try again later", now);
      incoming_.reset();
      continue;
    }
    smtp::IncomingMessage incoming = std::move(*incoming_);
    incoming_.reset();
    committing_ = true;
    std::weak_ptr<bool> alive = alive_;
    queue_.commit(std::move(incoming), *message,
                  [this, alive, id = message->envelope.id](Result<smtp::MessageId> committed) {
                    if (!alive.expired()) on_committed(id, std::move(committed));
                  });
    return;  // one at a time: the session reads nothing more until its reply
  }
}

void RelayInboundSession::on_committed(const std::string& session_id, Result<smtp::MessageId> committed) {
  committing_ = false;
  if (ended_ || !session_) return;  // the client left: the mail is kept, the reply has nobody to go to
  if (!committed) {
    log_.warning("message " + session_id + " from " + remote_.to_string() + " not queued: " + committed.error().message);
    session_->fail_message("Queue write failed, try again later", host_.now());
  } else {
    ++messages_;
    session_->complete_message(smtp::format_message_id(*committed), host_.now());
  }
  pump();
}

void RelayInboundSession::check_password_ready() {
  std::optional<smtp::PasswordCheck> check = session_->take_password_check();
  if (!check) return;
  auto verified = std::make_shared<Result<bool>>(false);
  std::weak_ptr<bool> alive = alive_;
  host_.run_blocking(
      [check = std::move(*check), verified] { *verified = crypto::verify_password(check.password, check.hash); },
      [this, alive, verified] {
        if (alive.expired() || ended_ || closing_ || !session_) return;
        session_->complete_password_check(*verified, host_.now());
        pump();
      });
}

void RelayInboundSession::pump() {
  if (ended_ || closing_ || !session_) return;
  commit_ready();
  check_password_ready();
  if (session_->has_output()) stream_->write(session_->take_output());
  if (session_->closed()) {
    begin_close();
    return;
  }
  timer_->arm_at(session_->next_deadline());
}

void RelayInboundSession::begin_close() {
  closing_ = true;
  incoming_.reset();
  stream_->shutdown_write();
  timer_->arm_at(host_.now() + linger_);
}

void RelayInboundSession::end() {
  if (ended_) return;
  ended_ = true;
  timer_->cancel();
  if (stream_) stream_->close();
  incoming_.reset();
  std::weak_ptr<bool> alive = alive_;
  host_.post([this, alive] {
    if (alive.expired()) return;
    Finished finished = std::move(finished_);
    if (finished) finished(*this);
  });
}

}  // namespace tether::node
