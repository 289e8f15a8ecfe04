#pragma once
// Owned byte buffers and non-owning views over them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tether {

using Bytes = std::vector<std::uint8_t>;

// A non-owning view of contiguous bytes (C++17 has no std::span).
class ByteView {
 public:
  constexpr ByteView() = default;
  constexpr ByteView(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  ByteView(const Bytes& bytes) : data_(bytes.data()), size_(bytes.size()) {}  // NOLINT: implicit by design
  template <std::size_t N>
  constexpr ByteView(const std::array<std::uint8_t, N>& a) : data_(a.data()), size_(N) {}  // NOLINT
  explicit ByteView(std::string_view s)
      : data_(reinterpret_cast<const std::uint8_t*>(s.data())), size_(s.size()) {}

  constexpr const std::uint8_t* data() const { return data_; }
  constexpr std::size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr const std::uint8_t* begin() const { return data_; }
  constexpr const std::uint8_t* end() const { return data_ + size_; }
  constexpr std::uint8_t operator[](std::size_t i) const { return data_[i]; }

  // Sub-view; clamps rather than throws so parsers can check size() afterwards.
  ByteView subview(std::size_t offset, std::size_t count = static_cast<std::size_t>(-1)) const {
    if (offset > size_) offset = size_;
    if (count > size_ - offset) count = size_ - offset;
    return ByteView(data_ + offset, count);
  }
  Bytes to_bytes() const { return Bytes(begin(), end()); }
  std::string_view as_string() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }

 private:
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Mutable counterpart, for output buffers (ciphertext, random bytes).
class MutableByteView {
 public:
  constexpr MutableByteView() = default;
  constexpr MutableByteView(std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  MutableByteView(Bytes& bytes) : data_(bytes.data()), size_(bytes.size()) {}  // NOLINT
  template <std::size_t N>
  constexpr MutableByteView(std::array<std::uint8_t, N>& a) : data_(a.data()), size_(N) {}  // NOLINT

  constexpr std::uint8_t* data() const { return data_; }
  constexpr std::size_t size() const { return size_; }
  constexpr std::uint8_t* begin() const { return data_; }
  constexpr std::uint8_t* end() const { return data_ + size_; }
  operator ByteView() const { return ByteView(data_, size_); }  // NOLINT

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

inline bool operator==(ByteView a, ByteView b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}
inline bool operator!=(ByteView a, ByteView b) { return !(a == b); }

inline void append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

// Lower-case hex, for logs and test vectors.
std::string to_hex(ByteView bytes);
// Parses hex (whitespace ignored); returns false on odd length or a non-hex digit.
bool from_hex(std::string_view hex, Bytes& out);
// Hex literal for tests and constants; throws std::invalid_argument if malformed.
Bytes hex_bytes(std::string_view hex);

// Little- and big-endian integer access for wire formats.
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}
inline std::uint64_t load_le64(const std::uint8_t* p) {
  return std::uint64_t(load_le32(p)) | std::uint64_t(load_le32(p + 4)) << 32;
}
inline void store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::uint8_t(v >> (8 * i));
}
inline void store_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = std::uint8_t(v >> (8 * i));
}
inline std::uint16_t load_be16(const std::uint8_t* p) { return std::uint16_t(p[0] << 8 | p[1]); }
inline std::uint32_t load_be32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 |
         std::uint32_t(p[3]);
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) {
  p[0] = std::uint8_t(v >> 8);
  p[1] = std::uint8_t(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::uint8_t(v >> (24 - 8 * i));
}
inline void store_be64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = std::uint8_t(v >> (56 - 8 * i));
}

}  // namespace tether
