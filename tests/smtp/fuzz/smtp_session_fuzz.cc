// libFuzzer target for the SMTP server session and its parsers: any bytes,
// fed in any pieces, with the clock moving, must give replies, never a
// crash, a hang, unbounded memory or a sanitizer report. Build with
// -DTETHER_FUZZ=ON and clang:
//   ./build/bin/smtp_session_fuzz -max_total_time=60 -dict=tests/smtp/fuzz/smtp_session.dict
//
// Input layout: byte 0 picks listener options and limits, byte 1 the piece
// sizes; the rest is the client's byte stream. It is cut into pieces whose
// sizes come from a simple generator seeded by byte 1, and after each piece
// the clock moves by a minute when the piece ends in 0x01.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/address.h"
#include "smtp/command_parser.h"
#include "smtp/data_reader.h"
#include "smtp/sasl.h"
#include "smtp/server_session.h"

using namespace tether;
using namespace tether::smtp;

namespace {

const char kHash[] = "$2b$04$HqjuTq7Ij6iJXqDl9w.FLe4kD5pKt9ObDGkXLnFQEeqCF3Hh0xkFC";  // cheap (cost 4)

void fuzz_parsers(std::string_view text) {
  (void)parse_command_line(text);
  ParameterSupport support;
  support.max_size = 1000;
  (void)parse_mail_command(text, support);
  (void)parse_rcpt_command(text, support, "mx.example.com");
  (void)parse_path(text, PathKind::forward, "mx.example.com");
  if (auto d = base64_decode(text)) (void)parse_sasl_plain(*d);
  if (is_valid_xtext(text)) (void)decode_xtext(text);
  (void)reply_from_text(text, 550, "5.0.0");
  DataReader reader(DataLimits{100, 500, 2000});
  (void)reader.consume(ByteView(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::uint8_t flags = data[0];
  std::uint32_t rng = data[1] | 0x100u;
  std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);
  fuzz_parsers(stream);

  ServerSessionOptions options;
  options.local = Endpoint(IpAddress::v4(0xc0000202), 25);
  options.remote = Endpoint(IpAddress::v4(0xc6336407), 41000);
  options.rdns = (flags & 1) ? "client.example.net" : "";
  options.rdns_pending = flags & 64;  // the name then comes at a '\x02' chunk end
  options.defer_password_checks = data[1] & 1;
  options.hostname = "mx.example.com";
  options.listener.no_dsn = flags & 2;
  options.listener.mask_src = flags & 4;
  if (flags & 8) options.listener.tls = Listener::Tls::starttls_require;
  if (flags & 16) options.listener.auth = Listener::Auth::optional;
  options.limits.max_message_size = 4096;
  options.limits.max_recipients = 5;
  options.limits.max_received_headers = 3;
  options.limits.max_line = 8192;
  ServerHooks hooks;
  hooks.route = [](const RouteRequest& r) {
    RouteDecision d;
    if (r.rcpt_to.size() % 3 == 0) d.outcome = RouteDecision::Outcome::deliver;
    else if (r.rcpt_to.size() % 3 == 1) d.reply = "550 Invalid recipient";
    else d.outcome = RouteDecision::Outcome::tempfail, d.reply = "451 4.3.0\r\nRCPT TO:<injected>";
    return d;
  };
  hooks.credentials = [](const std::string& user) -> std::optional<std::string> {
    if (user == "u") return std::string(kHash);
    return std::nullopt;
  };
  int ids = 0;
  hooks.new_message_id = [&ids] { return std::to_string(++ids); };
  hooks.wall_clock = [] { return WallTime::from_unix_seconds(1795000000); };

  Time now = Time::from_ns(1);
  ServerSession session(options, std::move(hooks), now);
  std::size_t output = session.take_output().size();
  std::size_t pos = 0;
  bool fail_next = flags & 32;
  while (pos < stream.size() && !session.closed()) {
    rng = rng * 1103515245u + 12345u;
    std::size_t piece = 1 + (rng >> 16) % 97;
    std::string_view chunk = stream.substr(pos, piece);
    pos += chunk.size();
    session.feed(ByteView(chunk), now);
    if (chunk.back() == '\x01') {
      now += Duration::minutes(1);
      if (now >= session.next_deadline()) session.on_deadline(now);
    }
    if (chunk.back() == '\x02') session.set_client_rdns((flags & 1) ? "client.example.net" : "", flags & 128, now);
    if (auto check = session.take_password_check())
      session.complete_password_check(Result<bool>(check->password == "foobar"), now);
    if (auto m = session.take_message()) {
      if (fail_next) session.fail_message("disk full", now);
      else session.complete_message(m->envelope.id, now);
      fail_next = !fail_next;
    }
    output += session.take_output().size();
  }
  (void)output;
  return 0;
}
