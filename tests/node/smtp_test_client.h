#pragma once
// A tiny SMTP client over any Host, for tests that hand a relay a message
// the way a real sender would: the ClientSession core (plain SMTP, or
// STARTTLS when asked) on a Host TcpStream, one transaction, results per
// recipient. Used on the manual clock, on ns-3 and over a PosixHost.

#include <memory>
#include <string>
#include <vector>

#include "host/host.h"
#include "smtp/client_session.h"

namespace tether::testing {

class SmtpTestClient {
 public:
  struct Mail {
    std::string from;
    std::vector<std::string> to;
    std::string message;  // headers and body, CRLF line ends
  };

  SmtpTestClient(Host& host, Endpoint server, Mail mail, std::string helo = "client.test",
                 smtp::ClientTls tls = smtp::ClientTls::none);
  ~SmtpTestClient();

  bool done() const { return done_; }
  const std::vector<smtp::RecipientResult>& results() const { return results_; }
  // The session's error, or the connect failure ("" when there was none).
  const std::string& error() const { return error_; }
  bool all_delivered() const;
  // "ok" or what went wrong, for assertion messages.
  std::string describe() const;

 private:
  void pump();
  void finish(const std::string& error);

  Host& host_;
  std::unique_ptr<TcpStream> stream_;
  std::unique_ptr<Timer> timer_;
  std::unique_ptr<smtp::ClientSession> session_;
  std::vector<smtp::RecipientResult> results_;
  std::string error_;
  bool connected_ = false;
  bool done_ = false;
};

// A message with the usual headers and `body` (LF or CRLF; sent as CRLF).
std::string make_test_message(const std::string& from, const std::string& to, const std::string& subject,
                              const std::string& body);

}  // namespace tether::testing
