#pragma once
// Host TCP listeners on an Asio acceptor.

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>

#include "host/host.h"

namespace tether::posix {

Result<std::unique_ptr<TcpListener>> listen_tcp(boost::asio::io_context& io, const Endpoint& local,
                                                std::function<void(std::unique_ptr<TcpStream>)> on_accept,
                                                const TcpListenOptions& options, const Logger& log);

}  // namespace tether::posix
