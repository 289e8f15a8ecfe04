#pragma once
// ns-3 sockets report failures as a Socket::SocketErrno read after a -1
// return; apps branch on tether's ErrorCode, so map one onto the other the
// way the Linux driver maps errno.

#include <string_view>

#include <ns3/socket.h>

#include "core/error.h"

namespace tether::sim {

// `what` says what failed ("bind 0.0.0.0:53"); the message adds why.
Error socket_error(ns3::Socket::SocketErrno error, std::string_view what);

}  // namespace tether::sim
