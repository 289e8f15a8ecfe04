#include "daemon/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/control_protocol.h"

namespace tether::control {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Error socket_error(const std::string& what, int err) {
  ErrorCode code = err == ENOENT ? ErrorCode::not_found
                   : err == ECONNREFUSED ? ErrorCode::connection_refused
                   : (err == EACCES || err == EPERM) ? ErrorCode::permission_denied
                                                     : ErrorCode::io;
  return Error(code, what + ": " + std::strerror(err));
}

}  // namespace

Result<bool> run_request(const std::string& socket_path, const std::string& request,
                         const std::function<void(std::string_view text)>& on_text, Duration timeout) {
  if (request.find('\n') != std::string::npos || request.size() > kMaxRequestLine)
    return Error(ErrorCode::invalid_argument, "a request is one line of at most " +
                                                  std::to_string(kMaxRequestLine) + " bytes");
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return socket_error("socket", errno);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path)
    return Error(ErrorCode::invalid_argument, socket_path + ": path too long for a unix socket");
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    return socket_error("cannot connect to " + socket_path, errno);

  std::string line = request + "\n";
  for (std::size_t sent = 0; sent < line.size();) {
    ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    // A server that refuses us may answer and hang up before reading the
    // request: its answer is still there to read.
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) break;
    if (n < 0) return socket_error("cannot send to " + socket_path, errno);
    sent += std::size_t(n);
  }

  ResponseReader reader;
  std::size_t shown = 0;
  char buffer[16384];
  for (;;) {
    if (!timeout.is_infinite() && timeout > Duration::zero()) {
      pollfd p{fd.get(), POLLIN, 0};
      int ready = ::poll(&p, 1, int(timeout.whole_milliseconds()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0)
        return Error(ErrorCode::timed_out, "tetherd did not answer within " + format_duration(timeout));
    }
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return socket_error("cannot read from " + socket_path, errno);
    if (n == 0) {
      if (reader.text().size() > shown) on_text(std::string_view(reader.text()).substr(shown));
      return Error(ErrorCode::closed, "tetherd closed the connection before answering");
    }
    reader.feed(std::string_view(buffer, std::size_t(n)));
    if (reader.text().size() > shown) {
      on_text(std::string_view(reader.text()).substr(shown));
      shown = reader.text().size();
    }
    if (reader.done()) return reader.ok();
  }
}

}  // namespace tether::control
