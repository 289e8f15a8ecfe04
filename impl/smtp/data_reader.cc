#include "smtp/data_reader.h"

#include <algorithm>
#include <cstring>

#include "core/ascii.h"

namespace tether::smtp {

DataReader::DataReader(DataLimits limits) : limits_(limits) {}

void DataReader::append(const std::uint8_t* p, std::size_t n) {
  size_ += n;
  if (too_big_) return;
  if (size_ > limits_.max_size) {
    too_big_ = true;
    Bytes().swap(content_);  // the message is refused: keep no more of it
    return;
  }
  content_.insert(content_.end(), p, p + n);
}

void DataReader::line_octets(std::size_t n) {
  line_length_ += n;
  if (line_length_ + 1 > limits_.max_text_line) line_too_long_ = true;  // + the LF still to come
  if (line_length_ >= limits_.max_line) fatal_ = true;
}

void DataReader::end_of_line() {
  if (in_headers_ && !too_big_) {
    // The line just stored, CRLF excluded.
    std::size_t end = content_.size() - 2;
    if (end == line_offset_) {
      in_headers_ = false;
    } else {
      static const char kName[] = "received";
      std::size_t i = line_offset_, k = 0;
      while (k < 8 && i < end && ascii_lower(char(content_[i])) == kName[k]) ++i, ++k;
      if (k == 8) {
        while (i < end && (content_[i] == ' ' || content_[i] == '\t')) ++i;
        if (i < end && content_[i] == ':') ++received_;
      }
    }
  }
  line_offset_ = content_.size();
  line_length_ = 0;
  line_start_ = true;
  dot_only_ = false;
}

std::size_t DataReader::consume(ByteView input) {
  static const std::uint8_t kCrLf[] = {'\r', '\n'};
  static const std::uint8_t kCr[] = {'\r'};
  const std::uint8_t* p = input.data();
  std::size_t n = input.size();
  std::size_t i = 0;
  while (i < n && !finished_ && !fatal_) {
    std::uint8_t c = p[i];
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        ++i;
        if (dot_only_) {  // the line was exactly "." CRLF, and began after a CRLF
          finished_ = true;
          break;
        }
        append(kCrLf, 2);
        end_of_line();
        continue;
      }
      // A bare CR: text of the current line, which goes on.
      bare_cr_or_lf_ = true;
      dot_only_ = false;
      append(kCr, 1);
    }
    if (line_start_) {
      line_start_ = false;
      if (c == '.') {  // removed: either stuffing or the end-of-data line
        dot_only_ = true;
        line_octets(1);
        ++i;
        continue;
      }
    }
    if (c == '\r') {
      pending_cr_ = true;
      line_octets(1);
      ++i;
      continue;
    }
    dot_only_ = false;
    // A run of ordinary text up to the next CR. A bare LF inside it is text
    // too: it neither ends the line nor starts a new one.
    const void* cr = std::memchr(p + i, '\r', n - i);
    std::size_t j = cr ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(cr) - p) : n;
    if (std::memchr(p + i, '\n', j - i)) bare_cr_or_lf_ = true;
    if (std::memchr(p + i, '\0', j - i)) nul_ = true;
    std::size_t room = limits_.max_line - line_length_;  // > 0 while not fatal
    std::size_t take = std::min(j - i, room);
    append(p + i, take);
    line_octets(take);
    i += take;
  }
  return i;
}

}  // namespace tether::smtp
