#pragma once
// The DATA phase of RFC 5321 (4.1.1.4, 4.5.2): message text in, message out,
// with the end of data found exactly where the RFC puts it and nowhere else.
//
// SMTP smuggling (SEC Consult 2023; CVE-2023-51764 Postfix, -51765 Sendmail,
// -51766 Exim) needs two servers that disagree on where a message ends. So:
//
//  - Data ends only at CRLF "." CRLF. A line start is the start of the data
//    (the CRLF of the DATA command counts, so ".\r\n" at once is an empty
//    message) or the position after a CRLF; never after a bare LF or CR.
//    "\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r", "\r.\r\n", "\r\n.\r",
//    "\r\n\0.\r\n", "\r\n.\0\r\n" ... are all message text.
//  - Policy for bare CR and bare LF (a CR not followed by LF, an LF not
//    preceded by CR): the message is refused at the end of data with
//    550 5.6.0, as Postfix's `smtpd_forbid_bare_newline = reject` does.
//    RFC 5322 2.3 forbids them in a message, and neither normalising nor
//    passing them on is safe in a relay: passed on, they are exactly what a
//    lenient server further down would take for an end of data; normalised,
//    a line the client meant as text could become a "." line. NUL octets
//    are refused the same way (RFC 6152 forbids them even in 8BITMIME), as
//    they are what "\r\n\0.\r\n" hides behind.
//  - Because nothing ends early, whatever a client smuggles after a fake end
//    stays in the message, which is then refused: never a second
//    transaction.
//
// Dot-unstuffing (RFC 5321 4.5.2): a line's first '.' is removed when more
// follows on the line. The output has CRLF line endings only (it is refused
// otherwise) and no end-of-data line.
//
// Limits: a text line over `max_text_line` octets (RFC 5321 4.5.3.1.6: 1000
// with the CRLF) refuses the message at the end (500, the reply 4.5.3.1.10
// suggests); a line of `max_line` octets or more (65535, OpenSMTPD's bound)
// is fatal and the session closes at once; more than `max_size` octets
// refuses the message (552 5.3.4) and stops storing it, so memory stays
// bounded while the client's data is read to its end.
//
// It also counts the Received: fields of the header section, for loop
// detection by hop count.

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"

namespace tether::smtp {

struct DataLimits {
  std::size_t max_text_line = 1000;  // CRLF included
  std::size_t max_line = 65535;      // CRLF included; fatal
  std::uint64_t max_size = 35 * 1024 * 1024;
};

class DataReader {
 public:
  explicit DataReader(DataLimits limits = {});

  // Reads message text; stops after the end-of-data line. Returns how many
  // octets of `input` it used: fewer than given only when finished() or
  // fatal() became true.
  std::size_t consume(ByteView input);

  bool finished() const { return finished_; }
  // A line reached max_line: stop reading, reply 500 and close.
  bool fatal() const { return fatal_; }

  // Why the message must be refused, if it must (checked once finished).
  bool bare_cr_or_lf() const { return bare_cr_or_lf_; }
  bool nul() const { return nul_; }
  bool line_too_long() const { return line_too_long_; }
  bool too_big() const { return too_big_; }
  bool acceptable() const { return !bare_cr_or_lf_ && !nul_ && !line_too_long_ && !too_big_; }

  // Received: fields in the header section (up to the first empty line).
  int received_headers() const { return received_; }
  // Octets of message after unstuffing (counted on even when too big).
  std::uint64_t size() const { return size_; }
  // The message, CRLF line endings, without the end-of-data line.
  const Bytes& content() const { return content_; }
  Bytes take_content() { return std::move(content_); }

 private:
  void append(const std::uint8_t* p, std::size_t n);
  void end_of_line();  // a CRLF ended the current line
  void line_octets(std::size_t n);

  DataLimits limits_;
  Bytes content_;
  std::uint64_t size_ = 0;
  std::size_t line_length_ = 0;  // octets of the current line so far, a stuffing dot included, CRLF not
  std::size_t line_offset_ = 0;  // where the current line starts in content_
  bool line_start_ = true;       // nothing of the current line seen yet
  bool dot_only_ = false;        // the line so far is just the first '.'
  bool pending_cr_ = false;      // the last octet was a CR whose partner is not known yet
  bool in_headers_ = true;
  bool finished_ = false;
  bool fatal_ = false;
  bool bare_cr_or_lf_ = false;
  bool nul_ = false;
  bool line_too_long_ = false;
  bool too_big_ = false;
  int received_ = 0;
};

}  // namespace tether::smtp
