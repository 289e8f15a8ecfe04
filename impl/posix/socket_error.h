#pragma once
// Turns the OS's failure reports (errno values, Asio error codes) into core
// Errors. Apps branch on the ErrorCode (connection_refused vs timed_out
// decides whether a backup MX is tried at once), so the mapping is kept in
// one place; the message keeps the OS's wording and names what failed.

#include <boost/system/error_code.hpp>
#include <string_view>

#include "core/error.h"

namespace tether::posix {

ErrorCode error_code_for_errno(int err);

// "<what>: <strerror>", e.g. "cannot connect to 127.0.0.1:25: Connection refused".
Error errno_error(int err, std::string_view what);
Error asio_error(const boost::system::error_code& ec, std::string_view what);

}  // namespace tether::posix
