#pragma once
// tetherd's control socket: a unix stream socket, mode 0600 and owned by the
// user tetherd runs as (root), on which tetherctl sends one request line
// and reads the answer (control_protocol.h). Only root and tetherd's own
// user may talk to it: the file mode keeps others out, and each connection's
// peer credentials are checked as well, in case the mode was loosened.
//
// Node apps register their commands here, each under its words ("show
// tunnel"; the relay adds "show queue", "monitor", "pause smtp", ...). A
// request goes to the command with the longest matching run of leading
// words; the words after it are its arguments. A handler answers through
// its Reply, at once or later (a streaming command keeps writing until the
// client goes away), and the connection reads its next request only after
// the reply is finished.
//
// Linux-only, like tetherd: it runs on the PosixHost's io_context, beside
// the node apps, never in simulation.

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/logger.h"

namespace tether::control {

class Connection;

struct Request {
  std::vector<std::string> words;  // the whole request
  std::vector<std::string> args;   // the words after the command's own
  uid_t uid = 0;                   // of the client process
};

// One request's answer. Handlers hold it (a shared_ptr) for as long as
// they keep answering; every call is harmless once the client is gone.
class Reply {
 public:
  explicit Reply(std::weak_ptr<Connection> connection) : connection_(std::move(connection)) {}
  // Text, any number of lines; a missing final newline is added.
  void write(std::string_view text);
  // The end marker: the request is answered.
  void finish(bool ok = true);
  void fail(std::string_view message) {
    write(message);
    finish(false);
  }
  bool finished() const { return finished_; }
  // False once the client has hung up (or the server closed).
  bool open() const;
  // Called once when the client hangs up before the reply is finished: a
  // streaming command unsubscribes here.
  void on_close(std::function<void()> fn) { on_close_ = std::move(fn); }

 private:
  friend class Connection;
  std::weak_ptr<Connection> connection_;
  bool finished_ = false;
  std::function<void()> on_close_;
};

using Handler = std::function<void(const Request& request, const std::shared_ptr<Reply>& reply)>;

class ControlServer {
 public:
  ControlServer(boost::asio::io_context& io, Logger log);
  // close().
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Creates the socket at `path` (and its directory, 0755, if missing). A
  // stale socket left by a crashed tetherd is replaced; one that a live
  // tetherd answers on is not (address_in_use).
  Result<void> listen(const std::filesystem::path& path);
  // Stops accepting, ends every connection and removes the socket file.
  void close();

  // `command` is its words separated by single spaces, "show tunnel".
  // `help` is one line for the `help` command's listing.
  void register_command(const std::string& command, std::string help, Handler handler);

  const std::filesystem::path& path() const { return path_; }
  std::size_t connection_count() const { return connections_.size(); }

 private:
  friend class Connection;
  struct Command {
    std::vector<std::string> words;
    std::string help;
    Handler handler;
  };
  void accept();
  void dispatch(const std::shared_ptr<Connection>& connection, const std::string& line);
  void forget(Connection* connection);
  std::string help_text() const;

  boost::asio::io_context& io_;
  Logger log_;
  struct Acceptor;
  std::unique_ptr<Acceptor> acceptor_;
  std::filesystem::path path_;
  std::map<std::string, Command> commands_;
  std::set<std::shared_ptr<Connection>> connections_;
};

}  // namespace tether::control
