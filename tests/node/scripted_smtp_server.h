#pragma once
// An SMTP server just good enough to take messages, over any Host: 220,
// 250 to every command, 354 to DATA, 250 after the final dot, and 221 to
// QUIT unless told to stay silent there (a next hop that took the message
// and then hangs, for the relay's "record the delivery at the 250").

#include <memory>
#include <string>
#include <vector>

#include "core/endpoint.h"
#include "core/time.h"
#include "host/host.h"

namespace tether::testing {

class ScriptedSmtpServer {
 public:
  // Listens on `address`:25 of `host`; the test fails if it cannot.
  ScriptedSmtpServer(Host& host, const IpAddress& address, bool answer_quit = true);

  int messages = 0;             // final dots answered with 250
  bool quit_seen = false;
  std::vector<Time> accepted_at;  // when each connection came
  // Drops every connection, as a server that gives up would.
  void hang_up() { streams_.clear(); }

 private:
  void accept(std::unique_ptr<TcpStream> stream);
  void receive(TcpStream& s, const std::string& data);

  Host& host_;
  bool answer_quit_;
  std::unique_ptr<TcpListener> listener_;
  std::vector<std::unique_ptr<TcpStream>> streams_;
  std::string buffer_;
  bool in_data_ = false;
};

}  // namespace tether::testing
