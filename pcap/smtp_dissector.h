#pragma once
// SMTP over a reassembled TCP connection (tcp_dissector.h), read with the
// relay's own parsers: command lines with smtp/command_parser, replies with
// smtp/reply's parse_reply_line (as the delivery client reads them), message
// data with smtp/data_reader (the end of data exactly where the server finds
// it, CRLF "." CRLF and nowhere else).
//
// A connection is SMTP when the server is on port 25, 587 or 465 (implicit
// TLS), or when the server speaks first with a 220 greeting. Events
// (protocol "smtp"):
//   greeting               the server's first reply (smtp_code)
//   command                each command line (smtp_verb as the client wrote it,
//                          upper-cased; the argument in the detail, except
//                          AUTH's initial response)
//   auth-response          a line of a SASL exchange (its content never shown)
//   reply                  each reply, multi-line ones as one event (smtp_code;
//                          the detail names the command it answers)
//   data                   the message, skipped up to CRLF "." CRLF, its size
//   transaction            the reply to the final dot: the envelope (MAIL FROM,
//                          the accepted RCPT TO) and that reply's code
//   tls-handshake, tls-change-cipher-spec, tls-alert, tls-application-data
//                          each TLS record after STARTTLS's 220 (or from the
//                          start on port 465), its length (tls_records.h)
// Garbage (lines that are neither commands nor replies) is reported as
// problems; after kMaxGarbage of them the connection is no longer read.

#include <memory>

#include "pcap/tcp_dissector.h"

namespace tether::pcap {

bool is_smtp_port(std::uint16_t port);

// One SmtpDissector per connection, dormant on the ones that are not SMTP.
StreamDissectorFactory smtp_stream_dissectors();

std::unique_ptr<StreamDissector> make_smtp_dissector(const StreamContext& context);

constexpr int kMaxGarbage = 20;
constexpr std::size_t kMaxSmtpLine = 65536;  // beyond RFC 4954's 12288 for AUTH; longer lines are skipped

}  // namespace tether::pcap
