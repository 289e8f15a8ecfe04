#include "server_session_harness.h"

#include <boost/test/unit_test.hpp>
#include <stdexcept>

#include "crypto/self_signed_certificate.h"
#include "smtp/sasl.h"

namespace tether::smtp::testing {

std::shared_ptr<const crypto::TlsContext> test_server_tls() {
  static const std::shared_ptr<const crypto::TlsContext> ctx = [] {
    Result<crypto::CertificateAndKey> cert = crypto::make_self_signed_certificate("mx.example.com");
    if (!cert) throw std::runtime_error(cert.error().to_string());
    Result<crypto::TlsContext> c = crypto::TlsContext::create(crypto::TlsRole::server);
    if (!c) throw std::runtime_error(c.error().to_string());
    Result<void> used = c->use_certificate_pem(cert->certificate_pem, cert->private_key_pem);
    if (!used) throw std::runtime_error(used.error().to_string());
    return std::make_shared<const crypto::TlsContext>(std::move(c).value());
  }();
  return ctx;
}

SessionHarness::SessionHarness() {
  options.local = *Endpoint::parse("192.0.2.2:25");
  options.remote = *Endpoint::parse("198.51.100.7:41000");
  options.rdns = "client.example.net";
  options.fcrdns = true;
  options.hostname = "mx.example.com";
  route = [](const RouteRequest& r) {
    RouteDecision d;
    std::string domain = r.rcpt_to.substr(r.rcpt_to.rfind('@') + 1);
    if (domain == "example.com") {
      static Action relay_in = [] {
        Action a;
        a.name = "relay_in";
        a.type = Action::Type::relay;
        return a;
      }();
      d.outcome = RouteDecision::Outcome::deliver;
      d.action = &relay_in;
    } else if (domain == "tempfail.example") {
      d.outcome = RouteDecision::Outcome::tempfail;
      d.reply = "451 Temporary failure";
    } else {
      d.outcome = RouteDecision::Outcome::reject;
      d.reply = "550 Invalid recipient";
    }
    return d;
  };
}

std::string SessionHarness::start() {
  ServerHooks hooks;
  hooks.route = [this](const RouteRequest& r) {
    routed.push_back(r);
    return route(r);
  };
  hooks.credentials = [this](const std::string& user) -> std::optional<std::string> {
    auto it = credentials.find(user);
    if (it == credentials.end()) return std::nullopt;
    return it->second;
  };
  hooks.new_message_id = [this] {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(next_id++));
    return std::string(buf);
  };
  hooks.wall_clock = [this] { return wall; };
  hooks.auth_may_try = auth_may_try;
  hooks.auth_checked = auth_checked;
  session_ = std::make_unique<ServerSession>(options, std::move(hooks), now_);
  return collect();
}

std::string SessionHarness::collect() {
  std::string out;
  for (int round = 0; round < 8; ++round) {
    if (std::optional<MessageToCommit> m = session_->take_message()) {
      if (auto_commit) {
        std::string id = m->envelope.id;
        committed.push_back(std::move(*m));
        session_->complete_message(id, now_);
      } else {
        waiting = std::move(m);
      }
    }
    Bytes bytes = session_->take_output();
    if (bytes.empty()) break;
    if (client_) {
      Result<void> fed = client_->feed_ciphertext(bytes);
      BOOST_REQUIRE_MESSAGE(fed.ok() || session_->closed(), "client TLS: " + client_->error());
      Bytes plain = client_->read_plaintext();
      out.append(plain.begin(), plain.end());
      Bytes back = client_->take_ciphertext();  // handshake replies, if any
      if (!back.empty()) session_->feed(back, now_);
    } else {
      out.append(bytes.begin(), bytes.end());
    }
  }
  return out;
}

std::string SessionHarness::send(std::string_view bytes) {
  if (client_) {
    Result<void> w = client_->write_plaintext(ByteView(bytes));
    BOOST_REQUIRE(w.ok());
    session_->feed(client_->take_ciphertext(), now_);
  } else {
    session_->feed(ByteView(bytes), now_);
  }
  return collect();
}

std::string SessionHarness::resolve_rdns(const std::string& name, bool confirmed) {
  session_->set_client_rdns(name, confirmed, now_);
  return collect();
}

std::string SessionHarness::advance(Duration d) {
  now_ += d;
  if (now_ >= session_->next_deadline()) session_->on_deadline(now_);
  return collect();
}

std::string SessionHarness::start_tls() {
  std::string reply = send("STARTTLS\r\n");
  if (reply.compare(0, 3, "220") != 0) return reply;
  Result<crypto::TlsContext> ctx = crypto::TlsContext::create(crypto::TlsRole::client);
  BOOST_REQUIRE(ctx.ok());
  client_ctx_.emplace(std::move(ctx).value());
  Result<crypto::TlsSession> s = crypto::TlsSession::create(*client_ctx_, "mx.example.com");
  BOOST_REQUIRE(s.ok());
  client_.emplace(std::move(s).value());
  for (int i = 0; i < 10 && !client_->handshake_done(); ++i) {
    session_->feed(client_->take_ciphertext(), now_);
    Bytes back = session_->take_output();
    BOOST_REQUIRE(client_->feed_ciphertext(back).ok());
  }
  BOOST_REQUIRE(client_->handshake_done());
  session_->feed(client_->take_ciphertext(), now_);  // the client's Finished, if still pending
  std::string rest = collect();
  BOOST_TEST(rest.empty());
  return reply;
}

int reply_code(const std::string& output) {
  // The code of the last reply line.
  std::size_t end = output.size() >= 2 ? output.size() - 2 : 0;
  std::size_t start = output.rfind("\r\n", end == 0 ? 0 : end - 1);
  start = start == std::string::npos ? 0 : start + 2;
  if (output.size() < start + 3) return 0;
  return std::stoi(output.substr(start, 3));
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string plain_response(std::string_view user, std::string_view password) {
  std::string m;
  m += '\0';
  m += user;
  m += '\0';
  m += password;
  return base64_encode(m);
}

}  // namespace tether::smtp::testing
