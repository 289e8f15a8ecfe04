#include "pcap/smtp_conversation.h"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>

#include "crypto/self_signed_certificate.h"
#include "crypto/tls.h"
#include "smtp/client_session.h"
#include "smtp/server_session.h"

namespace tether::pcap::testing {

namespace {

std::shared_ptr<const crypto::TlsContext> server_tls() {
  static const std::shared_ptr<const crypto::TlsContext> ctx = [] {
    auto cert = crypto::make_self_signed_certificate("mx.example.com");
    if (!cert) throw std::runtime_error(cert.error().to_string());
    auto c = crypto::TlsContext::create(crypto::TlsRole::server);
    if (!c) throw std::runtime_error(c.error().to_string());
    auto used = c->use_certificate_pem(cert->certificate_pem, cert->private_key_pem);
    if (!used) throw std::runtime_error(used.error().to_string());
    return std::make_shared<const crypto::TlsContext>(std::move(c).value());
  }();
  return ctx;
}

std::shared_ptr<const crypto::TlsContext> client_tls() {
  auto c = crypto::TlsContext::create(crypto::TlsRole::client);
  if (!c) throw std::runtime_error(c.error().to_string());
  return std::make_shared<const crypto::TlsContext>(std::move(c).value());  // no verification: self-signed
}

const smtp::Action& relay_action() {
  static const smtp::Action a = [] {
    smtp::Action x;
    x.name = "relay_in";
    x.type = smtp::Action::Type::relay;
    return x;
  }();
  return a;
}

}  // namespace

Conversation smtp_conversation(const ConversationOptions& o) {
  const Time now = Time::from_ns(1'000'000'000);
  smtp::ServerSessionOptions so;
  so.local = *Endpoint::parse("192.0.2.2:25");
  so.remote = *Endpoint::parse("198.51.100.7:41000");
  so.rdns = "client.example.net";
  so.fcrdns = true;
  so.hostname = "mx.example.com";
  if (o.starttls || o.implicit_tls) {
    so.tls = server_tls();
    so.listener.tls = o.implicit_tls ? smtp::Listener::Tls::smtps : smtp::Listener::Tls::starttls;
  }
  smtp::ServerHooks hooks;
  hooks.route = [](const smtp::RouteRequest& r) {
    smtp::RouteDecision d;
    if (r.rcpt_to.size() > 12 && r.rcpt_to.compare(r.rcpt_to.size() - 12, 12, "@example.com") == 0) {
      d.outcome = smtp::RouteDecision::Outcome::deliver;
      d.action = &relay_action();
    } else {
      d.outcome = smtp::RouteDecision::Outcome::reject;
      d.reply = "550 Invalid recipient";
    }
    return d;
  };
  hooks.credentials = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  int next_id = 0x1a2b3c4d;
  hooks.new_message_id = [&next_id] { return std::to_string(next_id++); };
  hooks.wall_clock = [] { return WallTime::from_unix_seconds(1795000000); };
  smtp::ServerSession server(so, std::move(hooks), now);

  smtp::ClientSessionOptions co;
  co.helo = "relay.example.org";
  co.tls = o.implicit_tls ? smtp::ClientTls::implicit
           : o.starttls   ? smtp::ClientTls::required_starttls
                          : smtp::ClientTls::none;
  if (o.starttls || o.implicit_tls) co.tls_context = client_tls();
  co.server_name = "mx.example.com";
  smtp::ClientTransaction t;
  t.mail_from = o.mail_from;
  for (const std::string& r : o.recipients) t.recipients.push_back({r, {}, {}});
  t.message = Bytes(o.message.begin(), o.message.end());
  auto created = smtp::ClientSession::create(std::move(co), std::move(t), now);
  BOOST_REQUIRE_MESSAGE(created.ok(), (created.ok() ? "" : created.error().to_string()));
  smtp::ClientSession client = std::move(created).value();

  Conversation c;
  for (int round = 0; round < 10000; ++round) {
    bool moved = false;
    if (auto m = server.take_message()) server.complete_message(m->envelope.id, now);
    Bytes out = server.take_output();
    if (!out.empty()) {
      moved = true;
      c.chunks.push_back({false, out});
      client.receive(out, now);
    }
    while (client.has_output()) {
      Bytes in = client.take_output(now);
      if (in.empty()) break;
      moved = true;
      c.chunks.push_back({true, in});
      server.feed(in, now);
    }
    if (!moved && (client.done() || server.closed())) break;
    BOOST_REQUIRE_MESSAGE(moved, "the SMTP conversation is stuck");
  }
  BOOST_REQUIRE(client.done());
  for (const auto& r : client.results())
    if (r.status == smtp::DeliveryStatus::delivered) c.delivered = true;
  return c;
}

}  // namespace tether::pcap::testing
