#include "node/smtp_test_client.h"

#include <memory>

namespace tether::testing {

SmtpTestClient::SmtpTestClient(Host& host, Endpoint server, Mail mail, std::string helo, smtp::ClientTls tls)
    : host_(host) {
  smtp::ClientSessionOptions options;
  options.helo = std::move(helo);
  options.tls = tls;
  if (tls != smtp::ClientTls::none) {
    auto context = crypto::TlsContext::create(crypto::TlsRole::client);
    if (context) options.tls_context = std::make_shared<const crypto::TlsContext>(std::move(*context));
  }
  smtp::ClientTransaction transaction;
  transaction.mail_from = mail.from;
  for (const std::string& to : mail.to) transaction.recipients.push_back(smtp::ClientRecipient{to, "", ""});
  transaction.message.assign(mail.message.begin(), mail.message.end());
  auto session = smtp::ClientSession::create(std::move(options), std::move(transaction), host_.now());
  if (!session) {
    done_ = true;
    error_ = session.error().message;
    return;
  }
  session_ = std::make_unique<smtp::ClientSession>(std::move(*session));
  timer_ = host_.create_timer([this] {
    if (!session_ || done_) return;
    session_->on_timer(host_.now());
    pump();
  });
  TcpStream::Handlers handlers;
  handlers.on_connected = [this](Result<void> r) {
    if (!r) {
      finish("connect: " + r.error().message);
      return;
    }
    connected_ = true;
    pump();
  };
  handlers.on_data = [this](ByteView data) {
    session_->receive(data, host_.now());
    pump();
  };
  handlers.on_drained = [this] { pump(); };
  handlers.on_closed = [this](const Error& e) {
    session_->on_connection_lost(e, host_.now());
    pump();
  };
  stream_ = host_.tcp_connect(server, std::move(handlers));
  timer_->arm_at(session_->next_deadline());
}

SmtpTestClient::~SmtpTestClient() {
  stream_.reset();
  timer_.reset();
}

void SmtpTestClient::pump() {
  if (done_) return;
  if (connected_)
    while (session_->has_output() && stream_->pending_write_bytes() < 65536) stream_->write(session_->take_output(host_.now()));
  if (session_->done()) {
    results_ = session_->results();
    finish(session_->error());
    return;
  }
  if (!session_->next_deadline().is_never()) timer_->arm_at(session_->next_deadline());
}

void SmtpTestClient::finish(const std::string& error) {
  done_ = true;
  error_ = error;
  if (session_ && results_.empty()) results_ = session_->results();
  if (stream_) stream_->close();
  if (timer_) timer_->cancel();
}

bool SmtpTestClient::all_delivered() const {
  if (!done_ || results_.empty()) return false;
  for (const auto& r : results_)
    if (r.status != smtp::DeliveryStatus::delivered) return false;
  return true;
}

std::string SmtpTestClient::describe() const {
  if (!done_) return "not done";
  std::string out = error_.empty() ? "" : "error: " + error_ + "; ";
  for (const auto& r : results_) out += r.address + ": " + smtp::to_string(r.status) + " " + r.reply + "; ";
  return out;
}

std::string make_test_message(const std::string& from, const std::string& to, const std::string& subject,
                              const std::string& body) {
  std::string text = "From: <" + from + ">\nTo: <" + to + ">\nSubject: " + subject +
                     "\nMessage-ID: <" + subject + "@test>\n\n" + body;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

}  // namespace tether::testing
