#pragma once
// The control socket's line protocol, shared by tetherd and tetherctl.
//
//   client: one request line, words separated by spaces   "show tunnel\n"
//   server: the response text, line by line               "interface: wg0\n" ...
//           then an end marker line                        ".ok\n" or ".error\n"
//
// A text line that starts with '.' goes out with one more '.' in front (as
// SMTP does for DATA), so no line of text can be taken for the end marker.
// After the marker the client may send its next request on the same
// connection. A streaming command (the relay's `monitor`) sends text lines
// until the client hangs up and never sends a marker.
//
// No I/O here: the server and the client do their own reads and writes.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether::control {

// Longer request lines are refused (and the connection closed): nothing a
// user types is that long, and it bounds what a client can make us buffer.
constexpr std::size_t kMaxRequestLine = 4096;

constexpr std::string_view kEndOk = ".ok";
constexpr std::string_view kEndError = ".error";

// The request's words; empty for a blank line.
std::vector<std::string> split_request(std::string_view line);

// `text` (any number of lines, the last one with or without '\n') as
// dot-stuffed lines, each ending in '\n'.
std::string encode_text(std::string_view text);
// The end marker line, with its '\n'.
std::string encode_end(bool ok);

// Reads a response as it arrives, in pieces of any size.
class ResponseReader {
 public:
  // Takes the next bytes; returns true once the end marker has been read
  // (bytes after it are left for the next response: see remaining()).
  bool feed(std::string_view bytes);
  bool done() const { return ok_.has_value(); }
  bool ok() const { return ok_.value_or(false); }
  // The text so far, unstuffed, each line ending in '\n'.
  const std::string& text() const { return text_; }
  // Whether a line other than a known marker started with a single '.'
  // (a protocol violation by the server); the line is kept as text.
  bool malformed() const { return malformed_; }
  std::string remaining() const { return partial_; }

 private:
  void line(std::string_view line);
  std::string partial_;
  std::string text_;
  std::optional<bool> ok_;
  bool malformed_ = false;
};

}  // namespace tether::control
