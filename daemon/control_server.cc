#include "daemon/control_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>

#include "daemon/control_protocol.h"

namespace tether::control {

using boost::asio::local::stream_protocol;

struct ControlServer::Acceptor {
  explicit Acceptor(boost::asio::io_context& io) : acceptor(io) {}
  stream_protocol::acceptor acceptor;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ControlServer& server, stream_protocol::socket socket, uid_t uid)
      : server_(&server), socket_(std::move(socket)), input_(kMaxRequestLine + 2), uid_(uid) {}

  uid_t uid() const { return uid_; }
  bool open() const { return open_; }

  void read_request() {
    if (!open_) return;
    boost::asio::async_read_until(
        socket_, input_, '\n', [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          self->on_line(ec, n);
        });
  }

  void send(std::string bytes) {
    if (!open_ || bytes.empty()) return;
    output_.push_back(std::move(bytes));
    if (output_.size() == 1) write_next();
  }

  // The reply in progress finished: serve the next request.
  void reply_finished() {
    current_.reset();
    read_request();
  }

  void refuse(const std::string& why) {
    send(encode_text(why) + encode_end(false));
    closing_after_write_ = true;
  }

  void set_current(std::shared_ptr<Reply> reply) { current_ = std::move(reply); }

  void close() {
    if (!open_) return;
    open_ = false;
    boost::system::error_code ignored;
    socket_.close(ignored);
    output_.clear();
    if (auto reply = std::move(current_)) {
      auto on_close = std::move(reply->on_close_);
      if (on_close && !reply->finished()) on_close();
    }
    if (server_) server_->forget(this);
  }

  void detach() { server_ = nullptr; }

 private:
  void on_line(const boost::system::error_code& ec, std::size_t n) {
    if (!open_ || !server_) return;
    if (ec == boost::asio::error::not_found) {
      // No newline within the limit.
      refuse("request line longer than " + std::to_string(kMaxRequestLine) + " bytes");
      return;
    }
    if (ec) {
      close();  // EOF or reset: the client is done
      return;
    }
    std::string line(boost::asio::buffers_begin(input_.data()), boost::asio::buffers_begin(input_.data()) + n);
    input_.consume(n);
    server_->dispatch(shared_from_this(), line);
  }

  void write_next() {
    boost::asio::async_write(socket_, boost::asio::buffer(output_.front()),
                             [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                               if (!self->open_) return;
                               if (ec) {
                                 self->close();
                                 return;
                               }
                               self->output_.pop_front();
                               if (!self->output_.empty())
                                 self->write_next();
                               else if (self->closing_after_write_)
                                 self->close();
                             });
  }

  ControlServer* server_;
  stream_protocol::socket socket_;
  boost::asio::streambuf input_;
  std::deque<std::string> output_;
  std::shared_ptr<Reply> current_;
  uid_t uid_;
  bool open_ = true;
  bool closing_after_write_ = false;
};

// --- Reply ---

void Reply::write(std::string_view text) {
  if (finished_) return;
  if (auto c = connection_.lock()) c->send(encode_text(text));
}

void Reply::finish(bool ok) {
  if (finished_) return;
  finished_ = true;
  on_close_ = nullptr;
  if (auto c = connection_.lock()) {
    c->send(encode_end(ok));
    c->reply_finished();
  }
}

bool Reply::open() const {
  auto c = connection_.lock();
  return c && c->open();
}

// --- the server ---

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Whether a live process accepts connections on `path`.
bool someone_listens(const std::filesystem::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  bool answered = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return answered;
}

}  // namespace

ControlServer::ControlServer(boost::asio::io_context& io, Logger log)
    : io_(io), log_(std::move(log)), acceptor_(std::make_unique<Acceptor>(io)) {
  register_command("help", "this list", [this](const Request&, const std::shared_ptr<Reply>& reply) {
    reply->write(help_text());
    reply->finish();
  });
}

ControlServer::~ControlServer() { close(); }

Result<void> ControlServer::listen(const std::filesystem::path& path) {
  const std::string what = "control socket " + path.string();
  if (path.native().size() >= sizeof(sockaddr_un{}.sun_path))
    return Error(ErrorCode::invalid_argument, what + ": path too long for a unix socket");
  std::error_code fs_error;
  if (path.has_parent_path() && !std::filesystem::exists(path.parent_path(), fs_error)) {
    std::filesystem::create_directories(path.parent_path(), fs_error);
    if (fs_error) return Error(ErrorCode::io, what + ": cannot create its directory: " + fs_error.message());
    ::chmod(path.parent_path().c_str(), 0755);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return Error(ErrorCode::address_in_use, what + ": the path exists and is not a socket");
    if (someone_listens(path))
      return Error(ErrorCode::address_in_use, what + ": another tetherd is listening on it");
    ::unlink(path.c_str());  // left by one that did not exit cleanly
  }

  auto& acceptor = acceptor_->acceptor;
  boost::system::error_code ec;
  acceptor.open(stream_protocol(), ec);
  if (ec) return Error(ErrorCode::io, what + ": " + ec.message());
  // Created 0600 from the start, so there is no moment at which another
  // user could connect; chmod in case the file system ignores the umask.
  const mode_t old_umask = ::umask(0077);
  acceptor.bind(stream_protocol::endpoint(path.string()), ec);
  ::umask(old_umask);
  if (ec) {
    acceptor.close();
    return Error(ec == boost::asio::error::access_denied ? ErrorCode::permission_denied : ErrorCode::io,
                 what + ": " + ec.message());
  }
  path_ = path;
  if (::chmod(path.c_str(), 0600) != 0) {
    int err = errno;
    close();
    return Error(ErrorCode::io, what + ": chmod 600: " + errno_text(err));
  }
  acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    close();
    return Error(ErrorCode::io, what + ": " + ec.message());
  }
  accept();
  return {};
}

void ControlServer::accept() {
  acceptor_->acceptor.async_accept([this](const boost::system::error_code& ec, stream_protocol::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_->acceptor.is_open()) return;
    if (!ec) {
      ucred peer{};
      socklen_t size = sizeof peer;
      const bool known = ::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0;
      auto connection = std::make_shared<Connection>(*this, std::move(socket), known ? peer.uid : uid_t(-1));
      connections_.insert(connection);
      if (!known || (peer.uid != 0 && peer.uid != ::geteuid())) {
        log_.warning("refused a client running as uid " + std::to_string(known ? long(peer.uid) : -1L));
        connection->refuse("permission denied");
      } else {
        connection->read_request();
      }
    } else {
      log_.warning("accept failed: " + ec.message());
    }
    accept();
  });
}

void ControlServer::close() {
  boost::system::error_code ignored;
  const bool was_listening = acceptor_->acceptor.is_open();
  acceptor_->acceptor.close(ignored);
  auto connections = std::move(connections_);
  connections_.clear();
  for (const auto& c : connections) {
    c->detach();
    c->close();
  }
  if (was_listening && !path_.empty()) ::unlink(path_.c_str());
  path_.clear();
}

void ControlServer::forget(Connection* connection) {
  for (auto it = connections_.begin(); it != connections_.end(); ++it)
    if (it->get() == connection) {
      connections_.erase(it);
      return;
    }
}

void ControlServer::register_command(const std::string& command, std::string help, Handler handler) {
  commands_[command] = Command{split_request(command), std::move(help), std::move(handler)};
}

std::string ControlServer::help_text() const {
  std::size_t width = 0;
  for (const auto& [name, command] : commands_) width = std::max(width, name.size());
  std::string text;
  for (const auto& [name, command] : commands_)
    text += name + std::string(width + 2 - name.size(), ' ') + command.help + "\n";
  return text;
}

void ControlServer::dispatch(const std::shared_ptr<Connection>& connection, const std::string& line) {
  auto reply = std::make_shared<Reply>(connection);
  connection->set_current(reply);
  Request request;
  request.words = split_request(line);
  request.uid = connection->uid();
  const Command* best = nullptr;
  for (const auto& [name, command] : commands_) {
    const auto& w = command.words;
    if (w.size() > request.words.size() || (best && w.size() <= best->words.size())) continue;
    if (std::equal(w.begin(), w.end(), request.words.begin())) best = &command;
  }
  if (request.words.empty()) {
    reply->fail("empty request; try 'help'");
    return;
  }
  if (!best) {
    reply->fail("unknown command '" + line.substr(0, line.find_last_not_of("\r\n") + 1) + "'; try 'help'");
    return;
  }
  request.args.assign(request.words.begin() + std::ptrdiff_t(best->words.size()), request.words.end());
  log_.debug("request: " + line.substr(0, line.find_last_not_of("\r\n") + 1));
  Handler handler = best->handler;  // may re-register commands
  try {
    handler(request, reply);
  } catch (const std::exception& e) {
    log_.error(std::string("command failed: ") + e.what());
    reply->fail(std::string("internal error: ") + e.what());
  }
}

}  // namespace tether::control
