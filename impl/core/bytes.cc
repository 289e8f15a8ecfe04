#include "core/bytes.h"

#include <stdexcept>

namespace tether {

std::string to_hex(ByteView bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool from_hex(std::string_view hex, Bytes& out) {
  out.clear();
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ':') continue;
    int v = hex_value(c);
    if (v < 0) return false;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(std::uint8_t(high << 4 | v));
      high = -1;
    }
  }
  return high < 0;
}

Bytes hex_bytes(std::string_view hex) {
  Bytes out;
  if (!from_hex(hex, out)) throw std::invalid_argument("malformed hex literal: " + std::string(hex));
  return out;
}

}  // namespace tether
