#pragma once
// What the metrics read from a delivered message: its header fields, its
// Message-ID (how a maildir file is tied to the workload's message) and the
// hosts its Received: fields name (the path it took).

#include <string>
#include <utility>
#include <vector>

namespace tether::scenario {

// The header section's unfolded fields, in order, names lower-cased.
std::vector<std::pair<std::string, std::string>> headers(const std::string& message);
// The Message-ID field's value; empty if there is none.
std::string message_id_of(const std::string& message);
// "by NAME" of each Received: field, oldest hop first.
std::vector<std::string> hops(const std::string& message);

}  // namespace tether::scenario
