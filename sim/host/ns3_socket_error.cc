#include "sim/host/ns3_socket_error.h"

#include <string>

namespace tether::sim {

Error socket_error(ns3::Socket::SocketErrno error, std::string_view what) {
  ErrorCode code = ErrorCode::internal;
  const char* why = "unknown socket error";
  switch (error) {
    case ns3::Socket::ERROR_NOROUTETOHOST: code = ErrorCode::host_unreachable; why = "no route to host"; break;
    case ns3::Socket::ERROR_ADDRINUSE: code = ErrorCode::address_in_use; why = "address in use"; break;
    case ns3::Socket::ERROR_ADDRNOTAVAIL:
      code = ErrorCode::invalid_argument;
      why = "address not available on this node";
      break;
    case ns3::Socket::ERROR_MSGSIZE: code = ErrorCode::invalid_argument; why = "message too long"; break;
    case ns3::Socket::ERROR_AFNOSUPPORT:
      code = ErrorCode::unsupported;
      why = "address family not supported by this socket";
      break;
    case ns3::Socket::ERROR_INVAL: code = ErrorCode::invalid_argument; why = "invalid argument"; break;
    case ns3::Socket::ERROR_NOTCONN: code = ErrorCode::closed; why = "not connected"; break;
    case ns3::Socket::ERROR_SHUTDOWN: code = ErrorCode::closed; why = "socket shut down"; break;
    case ns3::Socket::ERROR_BADF: code = ErrorCode::closed; why = "socket closed"; break;
    case ns3::Socket::ERROR_ISCONN: code = ErrorCode::invalid_argument; why = "already connected"; break;
    case ns3::Socket::ERROR_AGAIN: code = ErrorCode::io; why = "no buffer space"; break;
    case ns3::Socket::ERROR_OPNOTSUPP: code = ErrorCode::unsupported; why = "operation not supported"; break;
    case ns3::Socket::ERROR_NODEV: code = ErrorCode::host_unreachable; why = "no such device"; break;
    case ns3::Socket::ERROR_NOTERROR:
    case ns3::Socket::SOCKET_ERRNO_LAST: break;
  }
  return Error(code, std::string(what) + ": " + why);
}

}  // namespace tether::sim
