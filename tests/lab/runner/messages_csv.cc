#include "messages_csv.h"

#include <sstream>

#include "support/run_process.h"

namespace tether::lab::testing {

std::vector<std::map<std::string, std::string>> message_rows(const std::filesystem::path& results) {
  auto cells = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream s(text);
    for (std::string cell; std::getline(s, cell, ',');) out.push_back(cell);
    if (!text.empty() && text.back() == ',') out.emplace_back();
    return out;
  };
  std::istringstream in(tether::testing::read_file(results / "messages.csv"));
  std::string line;
  std::vector<std::string> columns;
  if (std::getline(in, line)) columns = cells(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> values = cells(line);
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < columns.size(); ++i) row[columns[i]] = i < values.size() ? values[i] : "";
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace tether::lab::testing
