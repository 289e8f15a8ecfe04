#include "pcap/smtp_dissector.h"

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"
#include "pcap/tls_records.h"
#include "smtp/command_parser.h"
#include "smtp/data_reader.h"
#include "smtp/reply.h"

namespace tether::pcap {

bool is_smtp_port(std::uint16_t port) { return port == 25 || port == 587 || port == 465; }

namespace {

constexpr std::size_t kMaxPending = 1000;     // commands awaiting replies (pipelining)
constexpr std::size_t kMaxRecipients = 1000;  // kept for the transaction's detail
constexpr std::size_t kMaxDetail = 400;

// Printable, for a detail or a problem: control octets become '?', cut at `max`.
std::string shown(std::string_view text, std::size_t max = 80) {
  std::string s(text.substr(0, max));
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  if (text.size() > max) s += "...";
  return s;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return u;
}

bool looks_like_verb(std::string_view word) {
  if (word.empty() || word.size() > 16) return false;
  for (char c : word)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  return true;
}

const char* handshake_name(int type) {
  switch (type) {
    case 1: return "client_hello";
    case 2: return "server_hello";
    case 4: return "new_session_ticket";
    case 11: return "certificate";
    case 12: return "server_key_exchange";
    case 13: return "certificate_request";
    case 14: return "server_hello_done";
    case 16: return "client_key_exchange";
    default: return nullptr;
  }
}

// CRLF-terminated lines out of a byte stream; a line longer than
// kMaxSmtpLine is dropped (reported once) up to its LF.
struct LineBuffer {
  std::string partial;
  bool skipping = false;

  // Takes bytes from `bytes` starting at `i` up to and including one LF.
  // Returns true with `line` (without CR LF) when a line completed.
  bool next(ByteView bytes, std::size_t& i, std::string& line, bool& too_long) {
    too_long = false;
    while (i < bytes.size()) {
      char c = static_cast<char>(bytes[i++]);
      if (c == '\n') {
        bool was_skipping = skipping;
        skipping = false;
        if (was_skipping) {
          partial.clear();
          continue;
        }
        line.swap(partial);
        partial.clear();
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return true;
      }
      if (skipping) continue;
      if (partial.size() >= kMaxSmtpLine) {
        skipping = true;
        too_long = true;
        partial.clear();
        return false;
      }
      partial += c;
    }
    return false;
  }
  // Bytes were lost. Mid-line, the rest of that line is skipped (resynchronised
  // at the next LF); at a line start the hole most likely held whole lines (a
  // client writes a command at once), so the next byte starts a line.
  void lose() {
    if (!partial.empty()) skipping = true;
    partial.clear();
  }
};

// (Outside the class: clang wants a nested struct's default member
// initializers complete before the class that uses them in std::optional.)
struct Pending {
  std::string verb;  // as the client wrote it, upper-cased; "." for the end of data
  smtp::CommandVerb known = smtp::CommandVerb::unknown;
  std::string address;  // RCPT TO's
};
struct PartialReply {
  int code = 0;
  std::vector<std::string> lines;
  std::size_t line_count = 0;
};

class SmtpDissector final : public StreamDissector {
 public:
  explicit SmtpDissector(const StreamContext& context)
      : client_(context.client.to_string()), server_(context.server.to_string()) {
    if (is_smtp_port(context.server.port())) smtp_ = true;
    if (context.server.port() == 465) start_tls();
    for (int d = 0; d < 2; ++d) {
      bool from_client = d == 0;
      tls_[d].on_record = [this, from_client](const TlsRecordScanner::Record& r, const Origin& origin) {
        tls_record(from_client, r, origin);
      };
      tls_[d].on_error = [this, from_client](const std::string& problem, const Origin& origin) {
        out_->problem(origin, "smtp: " + std::string(from_client ? "client" : "server") + " after STARTTLS: " +
                                  problem + "; this direction is no longer read");
      };
    }
  }

  void data(bool from_client, ByteView bytes, const Origin& origin, DissectorOutput& out) override {
    out_ = &out;
    if (!smtp_ && !not_smtp_) detect(from_client, bytes);
    if (!smtp_ || given_up_) return;
    if (tls_on_) {
      tls_[from_client ? 0 : 1].feed(bytes, origin);
      return;
    }
    if (from_client)
      client_bytes(bytes, origin);
    else
      server_bytes(bytes, origin);
  }

  void gap(bool from_client, std::uint64_t, const Origin&, DissectorOutput& out) override {
    out_ = &out;
    if (!smtp_) return;
    if (tls_on_) {
      tls_[from_client ? 0 : 1].lose();
    } else if (from_client) {
      if (!data_) client_lines_.lose();  // message data: its end is still found after the hole
    } else {
      server_lines_.lose();
      reply_.reset();
    }
  }

 private:
  // Not on a mail port: SMTP if the server speaks first, with a 220.
  void detect(bool from_client, ByteView bytes) {
    if (from_client) {
      not_smtp_ = true;
      return;
    }
    std::string_view head(reinterpret_cast<const char*>(bytes.data()), std::min<std::size_t>(bytes.size(), 4));
    if (head.size() >= 4 && head.substr(0, 3) == "220" && (head[3] == ' ' || head[3] == '-'))
      smtp_ = true;
    else
      not_smtp_ = true;
  }

  void start_tls() {
    tls_on_ = true;
    client_lines_ = LineBuffer{};
    server_lines_ = LineBuffer{};
    reply_.reset();
    pending_.clear();
  }

  TimelineEvent& event(bool from_client, const Origin& origin, const char* kind, std::string detail) {
    if (detail.size() > kMaxDetail) detail = detail.substr(0, kMaxDetail) + "...";
    return out_->add(origin, from_client ? client_ : server_, from_client ? server_ : client_, "smtp", kind,
                     std::move(detail));
  }

  void garbage(const Origin& origin, const std::string& what) {
    out_->problem(origin, "smtp: " + what);
    if (++garbage_ >= kMaxGarbage) {
      given_up_ = true;
      out_->problem(origin, "smtp: " + std::to_string(kMaxGarbage) + " bad lines on " + client_ + " -> " +
                                server_ + "; the rest of this connection is not read");
    }
  }

  // ---- client to server ----

  void client_bytes(ByteView bytes, const Origin& origin) {
    std::size_t i = 0;
    while (i < bytes.size() && !given_up_ && !tls_on_) {
      if (data_) {
        std::size_t used = data_->consume(bytes.subview(i));
        i += used;
        data_wire_ += used;
        if (!data_->finished()) continue;
        event(true, origin, "data", std::to_string(data_->size()) + " octets (" + std::to_string(data_wire_) +
                                        " on the wire, end of data included)");
        data_size_ = data_->size();
        data_.reset();
        push_pending(Pending{".", smtp::CommandVerb::unknown, {}}, origin);
        continue;
      }
      std::string line;
      bool too_long = false;
      if (!client_lines_.next(bytes, i, line, too_long)) {
        if (too_long) garbage(origin, "a client line longer than " + std::to_string(kMaxSmtpLine) + " bytes");
        continue;
      }
      client_line(line, origin);
    }
    if (tls_on_ && i < bytes.size()) tls_[0].feed(bytes.subview(i), origin);
  }

  void client_line(const std::string& line, const Origin& origin) {
    if (auth_exchange_) {
      event(true, origin, "auth-response", std::to_string(line.size()) + " bytes");
      return;
    }
    smtp::CommandLine cmd = smtp::parse_command_line(line);
    if (!looks_like_verb(cmd.word)) {
      garbage(origin, "not an SMTP command from " + client_ + ": '" + shown(line) + "'");
      return;
    }
    Pending p{upper(cmd.word), cmd.verb, {}};
    std::string detail = shown(cmd.argument, kMaxDetail);
    const smtp::ParameterSupport support;  // every parameter known, no size limit: the server judges
    if (cmd.verb == smtp::CommandVerb::auth) {
      detail = shown(cmd.argument.substr(0, cmd.argument.find(' ')));  // the mechanism, never the response
    } else if (cmd.verb == smtp::CommandVerb::mail) {
      smtp::ParsedMail m = smtp::parse_mail_command(cmd.argument, support);
      candidate_from_ = m.command.path.ok ? "<" + m.command.path.address + ">" : shown(cmd.argument);
    } else if (cmd.verb == smtp::CommandVerb::rcpt) {
      smtp::ParsedRcpt r = smtp::parse_rcpt_command(cmd.argument, support, "");
      p.address = r.command.path.ok ? "<" + r.command.path.address + ">" : shown(cmd.argument);
    }
    TimelineEvent& e = event(true, origin, "command", std::move(detail));
    e.smtp_verb = p.verb;
    push_pending(std::move(p), origin);
  }

  void push_pending(Pending p, const Origin& origin) {
    if (pending_.size() >= kMaxPending) {
      garbage(origin, "more than " + std::to_string(kMaxPending) + " commands without a reply");
      return;
    }
    pending_.push_back(std::move(p));
  }

  // ---- server to client ----

  void server_bytes(ByteView bytes, const Origin& origin) {
    std::size_t i = 0;
    while (i < bytes.size() && !given_up_ && !tls_on_) {
      std::string line;
      bool too_long = false;
      if (!server_lines_.next(bytes, i, line, too_long)) {
        if (too_long) garbage(origin, "a server line longer than " + std::to_string(kMaxSmtpLine) + " bytes");
        continue;
      }
      server_line(line, origin);
    }
    if (tls_on_ && i < bytes.size()) tls_[1].feed(bytes.subview(i), origin);
  }

  void server_line(const std::string& line, const Origin& origin) {
    std::optional<smtp::ReplyLine> r = smtp::parse_reply_line(line);
    if (!r) {
      garbage(origin, "not an SMTP reply from " + server_ + ": '" + shown(line) + "'");
      return;
    }
    if (reply_ && reply_->code != r->code)
      out_->problem(origin, "smtp: reply lines disagree on the code (" + std::to_string(reply_->code) + " then " +
                                std::to_string(r->code) + ")");
    if (!reply_) {
      reply_.emplace();
      reply_->code = r->code;
    }
    if (reply_->lines.size() < 20) reply_->lines.emplace_back(shown(r->text, 200));
    ++reply_->line_count;
    if (r->more) return;
    PartialReply done = std::move(*reply_);
    reply_.reset();
    reply(done, origin);
  }

  void reply(const PartialReply& r, const Origin& origin) {
    std::string text = std::to_string(r.code);
    for (std::size_t n = 0; n < r.lines.size(); ++n) text += (n == 0 ? " " : "; ") + r.lines[n];
    if (r.line_count > 1) text += " (" + std::to_string(r.line_count) + " lines)";
    if (!greeted_ && pending_.empty()) {
      greeted_ = true;
      event(false, origin, "greeting", text).smtp_code = r.code;
      return;
    }
    greeted_ = true;
    if (pending_.empty()) {
      event(false, origin, "reply", "unsolicited: " + text).smtp_code = r.code;
      return;
    }
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    std::string to = p.verb == "." ? "the end of data" : p.verb;
    event(false, origin, "reply", "to " + to + ": " + text).smtp_code = r.code;

    const bool ok = r.code >= 200 && r.code < 300;
    using V = smtp::CommandVerb;
    if (p.verb == ".") {
      std::string detail = "from=" + from_ + " to=";
      for (std::size_t n = 0; n < rcpts_.size(); ++n) detail += (n ? "," : "") + rcpts_[n];
      detail += " size=" + std::to_string(data_size_) + ": " + text;
      event(false, origin, "transaction", std::move(detail)).smtp_code = r.code;
      reset_transaction();
      return;
    }
    switch (p.known) {
      case V::starttls:
        if (r.code == 220) start_tls();
        break;
      case V::auth:
        auth_exchange_ = r.code == 334;
        if (auth_exchange_) pending_.push_front(std::move(p));  // the exchange goes on: its next reply is AUTH's too
        break;
      case V::mail:
        reset_transaction();
        if (ok) from_ = candidate_from_;
        break;
      case V::rcpt:
        if (ok && rcpts_.size() < kMaxRecipients) rcpts_.push_back(p.address);
        break;
      case V::data:
        if (r.code == 354) {
          smtp::DataLimits limits;
          limits.max_size = 0;  // store nothing: only the end and the size matter here
          limits.max_line = static_cast<std::size_t>(-1);
          limits.max_text_line = static_cast<std::size_t>(-1);
          data_.emplace(limits);
          data_wire_ = 0;
        }
        break;
      case V::rset:
      case V::helo:
      case V::ehlo:
        if (ok) reset_transaction();
        break;
      default: break;
    }
  }

  void reset_transaction() {
    from_.clear();
    rcpts_.clear();
    data_size_ = 0;
  }

  // ---- TLS ----

  void tls_record(bool from_client, const TlsRecordScanner::Record& r, const Origin& origin) {
    const int d = from_client ? 0 : 1;
    std::string detail = "length " + std::to_string(r.length);
    if (r.type == 20) cipher_changed_[d] = true;
    if (r.type == 22 && !cipher_changed_[d])
      if (const char* name = handshake_name(r.first_body_byte)) detail += ", " + std::string(name);
    event(from_client, origin, tls_record_kind(r.type), std::move(detail));
  }

  std::string client_, server_;
  DissectorOutput* out_ = nullptr;
  bool smtp_ = false, not_smtp_ = false, given_up_ = false;
  int garbage_ = 0;
  LineBuffer client_lines_, server_lines_;
  std::optional<PartialReply> reply_;
  std::deque<Pending> pending_;
  bool greeted_ = false;
  bool auth_exchange_ = false;
  std::optional<smtp::DataReader> data_;
  std::uint64_t data_wire_ = 0;
  std::uint64_t data_size_ = 0;
  std::string candidate_from_, from_;
  std::vector<std::string> rcpts_;
  bool tls_on_ = false;
  TlsRecordScanner tls_[2];
  bool cipher_changed_[2] = {false, false};
};

}  // namespace

std::unique_ptr<StreamDissector> make_smtp_dissector(const StreamContext& context) {
  return std::make_unique<SmtpDissector>(context);
}

StreamDissectorFactory smtp_stream_dissectors() { return make_smtp_dissector; }

}  // namespace tether::pcap
