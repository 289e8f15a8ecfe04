#include "daemon/control_protocol.h"

namespace tether::control {

std::vector<std::string> split_request(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
    std::size_t start = i;
    while (i < line.size() && !(line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n')) ++i;
    if (i > start) words.emplace_back(line.substr(start, i - start));
  }
  return words;
}

std::string encode_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.front() == '.') out += '.';
    out.append(line.data(), line.size());
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string encode_end(bool ok) { return std::string(ok ? kEndOk : kEndError) + "\n"; }

bool ResponseReader::feed(std::string_view bytes) {
  if (done()) {
    partial_.append(bytes.data(), bytes.size());
    return true;
  }
  partial_.append(bytes.data(), bytes.size());
  std::size_t start = 0;
  while (!done()) {
    std::size_t end = partial_.find('\n', start);
    if (end == std::string::npos) break;
    line(std::string_view(partial_).substr(start, end - start));
    start = end + 1;
  }
  partial_.erase(0, start);
  return done();
}

void ResponseReader::line(std::string_view line) {
  if (line == kEndOk) {
    ok_ = true;
    return;
  }
  if (line == kEndError) {
    ok_ = false;
    return;
  }
  if (!line.empty() && line.front() == '.') {
    if (line.size() > 1 && line[1] == '.')
      line.remove_prefix(1);
    else
      malformed_ = true;
  }
  text_.append(line.data(), line.size());
  text_ += '\n';
}

}  // namespace tether::control
