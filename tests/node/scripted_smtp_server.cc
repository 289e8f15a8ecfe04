#include "node/scripted_smtp_server.h"

#include <boost/test/unit_test.hpp>

namespace tether::testing {

ScriptedSmtpServer::ScriptedSmtpServer(Host& host, const IpAddress& address, bool answer_quit)
    : host_(host), answer_quit_(answer_quit) {
  auto listening = host.tcp_listen(Endpoint(address, 25), [this](std::unique_ptr<TcpStream> s) { accept(std::move(s)); });
  BOOST_TEST_REQUIRE(listening.ok());
  listener_ = std::move(*listening);
}

void ScriptedSmtpServer::accept(std::unique_ptr<TcpStream> stream) {
  accepted_at.push_back(host_.now());
  TcpStream* s = stream.get();
  TcpStream::Handlers handlers;
  handlers.on_data = [this, s](ByteView data) { receive(*s, std::string(data.as_string())); };
  handlers.on_closed = [](const Error&) {};
  s->set_handlers(std::move(handlers));
  s->write(ByteView(std::string_view("220 mx.example.org ESMTP\r\n")));
  streams_.push_back(std::move(stream));
}

void ScriptedSmtpServer::receive(TcpStream& s, const std::string& data) {
  buffer_ += data;
  for (std::size_t end; (end = buffer_.find("\r\n")) != std::string::npos;) {
    const std::string line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    std::string reply = "250 ok\r\n";
    if (in_data_) {
      if (line != ".") continue;
      in_data_ = false;
      ++messages;
    } else if (line == "DATA") {
      in_data_ = true;
      reply = "354 go on\r\n";
    } else if (line == "QUIT") {
      quit_seen = true;
      if (!answer_quit_) continue;
      reply = "221 bye\r\n";
    }
    s.write(ByteView(std::string_view(reply)));
  }
}

}  // namespace tether::testing
