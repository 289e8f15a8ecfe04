#pragma once
// The Host tunnel device on Linux: a TUN interface (IFF_TUN | IFF_NO_PI, so
// reads and writes are bare IP packets) configured over rtnetlink.

#include <boost/asio/io_context.hpp>
#include <memory>

#include "host/host.h"

namespace tether::posix {

// Creates the interface in the calling thread's network namespace, assigns
// the addresses, sets the MTU and brings it up. Errors name the interface
// and the step that failed.
Result<std::unique_ptr<TunnelDevice>> open_tun_device(boost::asio::io_context& io,
                                                      const TunnelDeviceConfig& config, const Logger& log);

}  // namespace tether::posix
