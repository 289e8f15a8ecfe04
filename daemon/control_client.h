#pragma once
// tetherctl's side of the control socket: connect, send one request line,
// pass the answer's text on as it arrives, report the end marker.

#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/time.h"

namespace tether::control {

// Sends `request` (one line, without '\n') to the tetherd listening on
// `socket_path`; `on_text` gets the answer's text, unstuffed, in pieces as
// they come (a streaming command's lines appear as they are sent). Returns
// the server's verdict (true for ".ok"), or an error when it cannot be
// reached, hangs up without a verdict, or says nothing for `timeout`
// (Duration::zero(): wait for ever, for streaming commands).
Result<bool> run_request(const std::string& socket_path, const std::string& request,
                         const std::function<void(std::string_view text)>& on_text,
                         Duration timeout = Duration::seconds(30));

}  // namespace tether::control
