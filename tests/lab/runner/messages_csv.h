#pragma once
// A results directory's messages.csv as rows of column -> cell, for the lab
// runner's tests (the simulation's columns; no cell holds a comma: the path
// joins hops with '>').

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace tether::lab::testing {

std::vector<std::map<std::string, std::string>> message_rows(const std::filesystem::path& results);

}  // namespace tether::lab::testing
