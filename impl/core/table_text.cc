#include "core/table_text.h"

#include <cstdint>
#include <cstring>

namespace tether {

char* write_csv_field(char* out, std::string_view field) {
  // One pass to decide (find_first_of searches the set per character, which
  // showed in a capture's million-row timeline), then one copy.
  bool plain = true;
  for (char c : field) {
    if (c == ',' || c == '"' || c == '\n' || c == '\r') {
      plain = false;
      break;
    }
  }
  if (plain) {
    if (!field.empty()) std::memcpy(out, field.data(), field.size());
    return out + field.size();
  }
  *out++ = '"';
  for (char c : field) {
    if (c == '"') *out++ = '"';
    *out++ = c;
  }
  *out++ = '"';
  return out;
}

void append_csv_field(std::string& out, std::string_view field) {
  const std::size_t at = out.size();
  out.resize(at + 2 + 2 * field.size());
  out.resize(std::size_t(write_csv_field(&out[at], field) - out.data()));
}

std::string csv_field(std::string_view field) {
  std::string out;
  append_csv_field(out, field);
  return out;
}

namespace {

// The length of the valid UTF-8 sequence at `text[i]`, 0 when there is none.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return std::uint8_t(text[k]); };
  const std::uint8_t b = byte(i);
  const std::size_t n = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  // Overlong forms and surrogates are not UTF-8 either.
  if (b == 0xe0 && byte(i + 1) < 0xa0) return 0;
  if (b == 0xed && byte(i + 1) > 0x9f) return 0;
  if (b == 0xf0 && byte(i + 1) < 0x90) return 0;
  if (b == 0xf4 && byte(i + 1) > 0x8f) return 0;
  return n;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = std::uint8_t(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else if (c >= 0x80) {
      if (const std::size_t n = utf8_sequence(text, i)) {
        out.append(text.substr(i, n));
        i += n;
        continue;
      }
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += char(c);
    }
    ++i;
  }
  out += '"';
}

}  // namespace tether
