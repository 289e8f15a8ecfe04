#pragma once
// An SMTP client at the level of bytes on a blocking socket, for tests that
// must send what no well-behaved client library would: fake ends of data,
// bare CR and LF, NUL octets, oversized lines, pipelined transactions. It
// also serves as the crash test's load generator, where what matters is
// knowing exactly which messages got a 250.
//
// The socket is opened in the calling thread's network namespace.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace tether::testing::relay_e2e {

struct WireReply {
  int code = 0;      // 0: no complete reply (EOF, reset or timeout)
  std::string text;  // every line of it, CRLFs included
  std::string error; // why there is no reply
  bool ok() const { return code != 0; }
  std::string describe() const { return ok() ? text : "(no reply: " + error + ")"; }
};

class SmtpWire {
 public:
  // Connects to 127.0.0.1:port, from `source` (another 127.x address: a
  // second client) when given; nullopt (and `error`) when it cannot.
  static std::optional<SmtpWire> connect(std::uint16_t port, Duration timeout, std::string* error = nullptr,
                                         const std::string& source = "");
  ~SmtpWire();
  SmtpWire(SmtpWire&& other) noexcept;
  SmtpWire& operator=(SmtpWire&& other) noexcept;
  SmtpWire(const SmtpWire&) = delete;
  SmtpWire& operator=(const SmtpWire&) = delete;

  // Writes every byte (false on error, e.g. the server reset the connection).
  bool send(std::string_view bytes);
  // Reads one complete reply (a multi-line one to its last line) within `limit`.
  WireReply read_reply(Duration limit = Duration::seconds(10));
  // send(line + "\r\n") then read_reply().
  WireReply command(const std::string& line, Duration limit = Duration::seconds(10));
  // True when the server closes the connection (EOF or reset) within `limit`;
  // whatever it sends before that is appended to `trailing`.
  bool closed_by_peer(Duration limit, std::string* trailing = nullptr);

 private:
  explicit SmtpWire(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string pending_;  // read but not yet returned
};

// EHLO, MAIL FROM, one RCPT TO, DATA, `content` (CRLF lines, dot-stuffed by
// the caller) and the end of data, QUIT. What became of the message:
enum class SendOutcome {
  accepted,     // 250 after the end of data
  refused,      // a 4xx/5xx reply at some step
  in_doubt,     // the end of data was sent, but no reply came (the server died)
  no_session,   // could not connect, or the session broke before DATA's end
};
const char* to_string(SendOutcome outcome);

struct SendResult {
  SendOutcome outcome = SendOutcome::no_session;
  std::string detail;  // the last reply or error
};

SendResult send_message(std::uint16_t port, const std::string& from, const std::string& to,
                        const std::string& content, Duration limit = Duration::seconds(10));

}  // namespace tether::testing::relay_e2e
