#pragma once
// Host TCP streams on Asio: outgoing connects and accepted connections share
// one implementation (write queue, read pause, orderly shutdown).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "host/host.h"

namespace tether::posix {

// Returns at once; the outcome arrives through handlers.on_connected, always
// from the loop (even a failure known immediately, like a bad source address).
std::unique_ptr<TcpStream> connect_tcp_stream(boost::asio::io_context& io, const Endpoint& remote,
                                              TcpStream::Handlers handlers, const TcpConnectOptions& options,
                                              const Logger& log);

// Wraps a connection just accepted by a listener; it reads nothing until
// set_handlers is called.
std::unique_ptr<TcpStream> adopt_accepted_tcp_stream(boost::asio::ip::tcp::socket socket, const Logger& log);

}  // namespace tether::posix
