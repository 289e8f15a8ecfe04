#pragma once
// Host timers on an Asio steady_timer (CLOCK_MONOTONIC, the clock now() reads).

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>

#include "host/host.h"

namespace tether::posix {

std::unique_ptr<Timer> make_timer(boost::asio::io_context& io, std::function<void()> on_fire);

}  // namespace tether::posix
