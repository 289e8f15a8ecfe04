#include "relay_e2e/smtp_wire.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace tether::testing::relay_e2e {
namespace {

using Clock = std::chrono::steady_clock;

Clock::time_point deadline_after(Duration limit) {
  return Clock::now() + std::chrono::nanoseconds(limit.ns());
}

// Milliseconds left until `deadline` for poll(), at least 0.
int millis_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// The reply ends at a line "NNN " (or "NNN" alone) after any "NNN-" lines.
// Returns the length of the complete reply at the front of `buffer`, or 0.
std::size_t complete_reply_length(const std::string& buffer) {
  std::size_t start = 0;
  while (true) {
    std::size_t end = buffer.find("\r\n", start);
    if (end == std::string::npos) return 0;
    const std::size_t len = end - start;
    if (len < 4 || buffer[start + 3] != '-') return end + 2;
    start = end + 2;
  }
}

}  // namespace

std::optional<SmtpWire> SmtpWire::connect(std::uint16_t port, Duration timeout, std::string* error,
                                          const std::string& source) {
  auto fail = [&](const std::string& what) -> std::optional<SmtpWire> {
    if (error) *error = what;
    return std::nullopt;
  };
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
  SmtpWire wire(fd);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!source.empty()) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1) return fail("bad source address " + source);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
      return fail("bind to " + source + ": " + std::strerror(errno));
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    if (errno != EINPROGRESS) return fail(std::string("connect: ") + std::strerror(errno));
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, millis_left(deadline_after(timeout))) != 1) return fail("connect: timed out");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(std::string("connect: ") + std::strerror(err));
  }
  return std::optional<SmtpWire>(std::move(wire));
}

SmtpWire::~SmtpWire() {
  if (fd_ >= 0) ::close(fd_);
}

SmtpWire::SmtpWire(SmtpWire&& other) noexcept : fd_(other.fd_), pending_(std::move(other.pending_)) {
  other.fd_ = -1;
}

SmtpWire& SmtpWire::operator=(SmtpWire&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    pending_ = std::move(other.pending_);
    other.fd_ = -1;
  }
  return *this;
}

bool SmtpWire::send(std::string_view bytes) {
  const auto deadline = deadline_after(Duration::seconds(10));
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, millis_left(deadline)) != 1) return false;
      continue;
    }
    return false;
  }
  return true;
}

WireReply SmtpWire::read_reply(Duration limit) {
  WireReply reply;
  const auto deadline = deadline_after(limit);
  while (true) {
    if (std::size_t len = complete_reply_length(pending_)) {
      reply.text = pending_.substr(0, len);
      pending_.erase(0, len);
      // A reply line starts with three digits; anything else is not SMTP.
      if (reply.text.size() >= 3 && std::isdigit(static_cast<unsigned char>(reply.text[0])))
        reply.code = std::stoi(reply.text.substr(0, 3));
      else
        reply.error = "not a reply: " + reply.text;
      return reply;
    }
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, millis_left(deadline));
    if (ready == 0) {
      reply.error = "timed out" + (pending_.empty() ? std::string() : " after '" + pending_ + "'");
      return reply;
    }
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      pending_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    reply.error = n == 0 ? "connection closed" : std::string("recv: ") + std::strerror(errno);
    return reply;
  }
}

WireReply SmtpWire::command(const std::string& line, Duration limit) {
  if (!send(line + "\r\n")) {
    WireReply r;
    r.error = "send failed: " + std::string(std::strerror(errno));
    return r;
  }
  return read_reply(limit);
}

bool SmtpWire::closed_by_peer(Duration limit, std::string* trailing) {
  const auto deadline = deadline_after(limit);
  if (trailing) *trailing += pending_;
  pending_.clear();
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, millis_left(deadline)) == 0) return false;
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return true;  // reset
    }
    if (trailing) trailing->append(buffer, static_cast<std::size_t>(n));
  }
}

const char* to_string(SendOutcome outcome) {
  switch (outcome) {
    case SendOutcome::accepted: return "accepted";
    case SendOutcome::refused: return "refused";
    case SendOutcome::in_doubt: return "in doubt";
    case SendOutcome::no_session: return "no session";
  }
  return "?";
}

SendResult send_message(std::uint16_t port, const std::string& from, const std::string& to,
                        const std::string& content, Duration limit) {
  SendResult result;
  std::string error;
  auto wire = SmtpWire::connect(port, limit, &error);
  if (!wire) {
    result.detail = error;
    return result;
  }
  // Each step: a reply with the expected code goes on, a 4xx/5xx is a
  // refusal, no reply at all means the session broke.
  auto step = [&](WireReply reply, int expected) {
    if (reply.code == expected) return true;
    result.outcome = reply.ok() ? SendOutcome::refused : SendOutcome::no_session;
    result.detail = reply.describe();
    return false;
  };
  if (!step(wire->read_reply(limit), 220)) return result;
  if (!step(wire->command("EHLO load.relay-e2e.test", limit), 250)) return result;
  if (!step(wire->command("MAIL FROM:<" + from + ">", limit), 250)) return result;
  if (!step(wire->command("RCPT TO:<" + to + ">", limit), 250)) return result;
  if (!step(wire->command("DATA", limit), 354)) return result;
  if (!wire->send(content + ".\r\n")) {
    // Part of the message may have gone; the end of data may have too.
    result.outcome = SendOutcome::in_doubt;
    result.detail = "send failed during DATA";
    return result;
  }
  WireReply end = wire->read_reply(limit);
  if (end.code == 250) {
    result.outcome = SendOutcome::accepted;
    result.detail = end.text;
    wire->command("QUIT", Duration::seconds(2));
    return result;
  }
  result.outcome = end.ok() ? SendOutcome::refused : SendOutcome::in_doubt;
  result.detail = end.describe();
  return result;
}

}  // namespace tether::testing::relay_e2e
