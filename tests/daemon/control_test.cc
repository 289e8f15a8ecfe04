// The control socket: its line protocol, and the server and client in one
// process (the server's loop on a thread, the blocking client on the test's).

#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstring>
#include <future>
#include <thread>

#include "daemon/control_client.h"
#include "daemon/control_protocol.h"
#include "daemon/control_server.h"
#include "support/run_process.h"
#include "posix/result_text.h"
#include "support/root_precondition.h"

using namespace tether;
using namespace tether::control;
using namespace tether::testing;

namespace {

// A ControlServer on its own loop thread; everything touching the server
// runs on that thread.
struct ServerThread {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::unique_ptr<ControlServer> server;
  std::thread thread;

  ServerThread() {
    server = std::make_unique<ControlServer>(io, Logger());
    thread = std::thread([this] { io.run(); });
  }
  ~ServerThread() {
    on_loop([this] { server.reset(); });
    work.reset();
    io.stop();
    thread.join();
  }
  template <typename F>
  auto on_loop(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(f);
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }
};

struct Answer {
  Result<bool> verdict = Error(ErrorCode::internal, "not run");
  std::string text;
};

Answer ask(const std::string& path, const std::string& request) {
  Answer a;
  a.verdict = run_request(path, request, [&](std::string_view t) { a.text.append(t.data(), t.size()); },
                          Duration::seconds(5));
  return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(control_socket)

BOOST_AUTO_TEST_CASE(text_is_dot_stuffed_and_ends_with_a_marker) {
  BOOST_TEST(encode_text("a\n.b\n..c") == "a\n..b\n...c\n");
  BOOST_TEST(encode_text(".ok\n") == "..ok\n");
  BOOST_TEST(encode_text("") == "");
  BOOST_TEST(encode_text("x\r\ny\n") == "x\ny\n");
  BOOST_TEST(encode_end(true) == ".ok\n");
  BOOST_TEST(encode_end(false) == ".error\n");

  const std::string wire = encode_text("one\n.ok\n..two\nthree") + encode_end(true) + "next";
  // In any pieces, even one byte at a time.
  for (std::size_t piece : {std::size_t(1), std::size_t(3), wire.size()}) {
    ResponseReader reader;
    for (std::size_t i = 0; i < wire.size() && !reader.done(); i += piece) reader.feed(wire.substr(i, piece));
    BOOST_TEST_REQUIRE(reader.done());
    BOOST_TEST(reader.ok());
    BOOST_TEST(reader.text() == "one\n.ok\n..two\nthree\n");
    BOOST_TEST(!reader.malformed());
  }
  ResponseReader failed;
  BOOST_TEST(failed.feed("no such thing\n.error\n"));
  BOOST_TEST(!failed.ok());
  BOOST_TEST(failed.text() == "no such thing\n");

  BOOST_TEST((split_request("  show   tunnel\r\n") == std::vector<std::string>{"show", "tunnel"}));
  BOOST_TEST(split_request(" \n").empty());
}

BOOST_AUTO_TEST_CASE(commands_by_longest_prefix_with_arguments) {
  TestDirectory dir("tether-control");
  const std::string path = (dir / "run/tetherd.sock").string();
  ServerThread s;
  auto listened = s.on_loop([&] {
    s.server->register_command("show", "everything", [](const Request&, const std::shared_ptr<Reply>& r) {
      r->write("all of it");
      r->finish();
    });
    s.server->register_command("show tunnel", "the tunnel", [](const Request& q, const std::shared_ptr<Reply>& r) {
      r->write("tunnel " + std::to_string(q.args.size()) + " args\n.hidden dot\n");
      r->finish();
    });
    s.server->register_command("later", "answers from the loop", [&s](const Request&, const std::shared_ptr<Reply>& r) {
      boost::asio::post(s.io, [r] {
        r->write("done later");
        r->finish();
      });
    });
    s.server->register_command("boom", "throws", [](const Request&, const std::shared_ptr<Reply>&) {
      throw std::runtime_error("kaput");
    });
    return s.server->listen(path);
  });
  BOOST_TEST_REQUIRE(listened.ok(), result_text(listened));

  struct stat st {};
  BOOST_TEST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST(S_ISSOCK(st.st_mode));
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(st.st_uid == ::geteuid());

  Answer a = ask(path, "show tunnel");
  BOOST_TEST_REQUIRE(a.verdict.ok(), result_text(a.verdict));
  BOOST_TEST(*a.verdict);
  BOOST_TEST(a.text == "tunnel 0 args\n.hidden dot\n");
  a = ask(path, "show tunnel wg0 extra");
  BOOST_TEST(a.text == "tunnel 2 args\n.hidden dot\n");
  a = ask(path, "show queue");
  BOOST_TEST(a.text == "all of it\n");
  a = ask(path, "later");
  BOOST_TEST(a.text == "done later\n");
  a = ask(path, "help");
  BOOST_TEST(a.text.find("show tunnel  the tunnel\n") != std::string::npos, a.text);
  a = ask(path, "frobnicate now");
  BOOST_TEST_REQUIRE(a.verdict.ok());
  BOOST_TEST(!*a.verdict);
  BOOST_TEST(a.text == "unknown command 'frobnicate now'; try 'help'\n");
  a = ask(path, "boom");
  BOOST_TEST(!*a.verdict);
  BOOST_TEST(a.text == "internal error: kaput\n");
  a = ask(path, std::string(5000, 'x'));
  BOOST_TEST(!a.verdict.ok());  // refused by the client already
  // Clients that hung up are forgotten (as soon as the loop sees the EOF).
  for (int i = 0; i < 100 && s.on_loop([&] { return s.server->connection_count(); }) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_TEST(s.on_loop([&] { return s.server->connection_count(); }) == 0u);

  // A second server on the same path: refused while the first is alive.
  ServerThread t;
  auto second = t.on_loop([&] { return t.server->listen(path); });
  BOOST_TEST_REQUIRE(!second.ok());
  BOOST_TEST(second.error().code == ErrorCode::address_in_use);
  BOOST_TEST(second.error().message.find("another tetherd is listening") != std::string::npos);

  // Closing removes the file; a stale socket file is replaced.
  s.on_loop([&] { s.server->close(); });
  BOOST_TEST(::access(path.c_str(), F_OK) != 0);
  auto stale = t.on_loop([&] { return t.server->listen(path); });
  BOOST_TEST(stale.ok());
  t.on_loop([&] { t.server->close(); });
  write_file(path, "not a socket");
  auto blocked = t.on_loop([&] { return t.server->listen(path); });
  BOOST_TEST(!blocked.ok());
  BOOST_TEST(::access(path.c_str(), F_OK) == 0);  // someone else's file stays
}

BOOST_AUTO_TEST_CASE(a_line_too_long_is_refused_and_the_connection_closed) {
  TestDirectory dir("tether-control");
  const std::string path = (dir / "c.sock").string();
  ServerThread s;
  BOOST_TEST_REQUIRE(s.on_loop([&] { return s.server->listen(path); }).ok());
  // Bypass the client's own check with a raw connection.
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  BOOST_TEST_REQUIRE(fd >= 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  BOOST_TEST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string flood(6000, 'x');
  BOOST_TEST(::send(fd, flood.data(), flood.size(), MSG_NOSIGNAL) == ssize_t(flood.size()));
  std::string answer;
  char buffer[512];
  timeval five{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, std::size_t(n));
  ::close(fd);
  // Answered, then hung up on (recv returned 0, not a timeout).
  BOOST_TEST(answer == "request line longer than 4096 bytes\n.error\n");
}

BOOST_AUTO_TEST_CASE(other_users_are_refused_even_if_the_mode_is_loosened,
                     *boost::unit_test::precondition(needs_root) * boost::unit_test::label("root")) {
  TestDirectory dir("tether-control");
  const std::string path = (dir / "c.sock").string();
  ServerThread s;
  BOOST_TEST_REQUIRE(s.on_loop([&] { return s.server->listen(path); }).ok());
  // With the socket's own mode (0600) nobody cannot even connect.
  pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    auto r = run_request(path, "help", [](std::string_view) {}, Duration::seconds(5));
    ::_exit(!r.ok() && r.error().code == ErrorCode::permission_denied ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));

  // Loosened by mistake: the peer-credential check still refuses.
  ::chmod(path.c_str(), 0666);
  child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    std::string text;
    auto r = run_request(path, "help", [&](std::string_view t) { text.append(t.data(), t.size()); }, Duration::seconds(5));
    ::_exit(!r.ok() ? 1 : *r ? 2 : text != "permission denied\n" ? 4 : 0);
  }
  ::waitpid(child, &status, 0);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
