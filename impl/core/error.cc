#include "core/error.h"

#include <ostream>

namespace tether {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::permission_denied: return "permission_denied";
    case ErrorCode::io: return "io";
    case ErrorCode::connection_refused: return "connection_refused";
    case ErrorCode::connection_reset: return "connection_reset";
    case ErrorCode::timed_out: return "timed_out";
    case ErrorCode::host_unreachable: return "host_unreachable";
    case ErrorCode::address_in_use: return "address_in_use";
    case ErrorCode::closed: return "closed";
    case ErrorCode::dns_nxdomain: return "dns_nxdomain";
    case ErrorCode::dns_no_data: return "dns_no_data";
    case ErrorCode::dns_temporary: return "dns_temporary";
    case ErrorCode::crypto: return "crypto";
    case ErrorCode::unsupported: return "unsupported";
    case ErrorCode::internal: return "internal";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& os, ErrorCode code) { return os << to_string(code); }

std::string Error::to_string() const { return std::string(tether::to_string(code)) + ": " + message; }

}  // namespace tether
