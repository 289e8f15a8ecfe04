#include "posix/socket_error.h"

#include <boost/asio/error.hpp>
#include <cerrno>
#include <cstring>
#include <string>

namespace tether::posix {

ErrorCode error_code_for_errno(int err) {
  switch (err) {
    case ECONNREFUSED: return ErrorCode::connection_refused;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED: return ErrorCode::connection_reset;
    case ETIMEDOUT: return ErrorCode::timed_out;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case EHOSTDOWN: return ErrorCode::host_unreachable;
    case EADDRINUSE: return ErrorCode::address_in_use;
    case EACCES:
    case EPERM: return ErrorCode::permission_denied;
    case ENOENT:
    case ENODEV:
    case ENXIO: return ErrorCode::not_found;
    // Not a local address, an oversized datagram, a family mismatch: the
    // caller asked for something this host cannot do, retrying won't help.
    case EADDRNOTAVAIL:
    case EMSGSIZE:
    case EINVAL:
    case EAFNOSUPPORT:
    case EDESTADDRREQ: return ErrorCode::invalid_argument;
    case ECANCELED:
    case EBADF: return ErrorCode::closed;
    default: return ErrorCode::io;
  }
}

Error errno_error(int err, std::string_view what) {
  return Error(error_code_for_errno(err), std::string(what) + ": " + std::strerror(err));
}

Error asio_error(const boost::system::error_code& ec, std::string_view what) {
  if (ec == boost::asio::error::eof)
    return Error(ErrorCode::closed, std::string(what) + ": peer closed the connection");
  if (ec.category() == boost::system::system_category() || ec.category() == boost::system::generic_category())
    return errno_error(ec.value(), what);
  return Error(ErrorCode::io, std::string(what) + ": " + ec.message());
}

}  // namespace tether::posix
