#include "smtp/table_file.h"

#include <cctype>

namespace tether::smtp {

namespace {

bool is_blank(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

TableFileContents parse_table_file(std::string_view text, const std::string& path) {
  TableFileContents out;
  bool kind_known = false;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line.find('\0') != std::string_view::npos) {
      out.errors.push_back({{path, line_no}, "NUL byte in table entry"});
      continue;
    }
    if (line.front() == '#') {
      if (!kind_known && trim(line.substr(1)) == "@list") {
        out.kind = TableKind::list;
        kind_known = true;
      }
      continue;
    }

    std::size_t key_end;
    if (line.front() == '[') {
      std::size_t close = line.find(']');
      if (close == std::string_view::npos) {
        out.errors.push_back({{path, line_no}, "'[' without a closing ']' in '" + std::string(line) + "'"});
        continue;
      }
      key_end = close + 1;
    } else {
      key_end = 0;
      while (key_end < line.size() && !is_blank(line[key_end]) && line[key_end] != ':') ++key_end;
    }
    if (!kind_known) {
      out.kind = key_end == line.size() ? TableKind::list : TableKind::mapping;
      kind_known = true;
    }
    if (out.kind == TableKind::list) {
      out.entries.push_back({std::string(line), "", line_no});
      continue;
    }
    std::string_view key = line.substr(0, key_end);
    std::string_view rest = line.substr(key_end);
    if (!rest.empty() && (rest.front() == ':' || is_blank(rest.front()))) rest.remove_prefix(1);
    std::string_view value = trim(rest);
    if (key.empty() || value.empty()) {
      out.errors.push_back({{path, line_no},
                            "expected 'key value' (this table is a mapping, from its first entry), got '" +
                                std::string(line) + "'"});
      continue;
    }
    out.entries.push_back({std::string(key), std::string(value), line_no});
  }
  return out;
}

}  // namespace tether::smtp
