#pragma once
// What the lab/nodes root tests wait for and look at: a condition polled
// until it holds, a message in a maildir.

#include <filesystem>
#include <functional>
#include <string>

namespace tether::lab::testing {

// Polls `done` every 100 ms for up to `seconds`; true once it held.
bool eventually(const std::function<bool()>& done, int seconds);
// The maildir's new/ holds a message with this Message-ID.
bool delivered(const std::filesystem::path& maildir, const std::string& message_id);

}  // namespace tether::lab::testing
