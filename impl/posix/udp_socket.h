#pragma once
// Host UDP sockets on Asio: the WireGuard transport's outer socket.

#include <boost/asio/io_context.hpp>
#include <memory>

#include "host/host.h"

namespace tether::posix {

Result<std::unique_ptr<UdpSocket>> bind_udp_socket(boost::asio::io_context& io, const Endpoint& local,
                                                   const Logger& log);

}  // namespace tether::posix
