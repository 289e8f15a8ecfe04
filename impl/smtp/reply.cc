#include "smtp/reply.h"

#include <algorithm>
#include <cctype>

namespace tether::smtp {

namespace {

constexpr std::size_t kMaxReplyText = 400;

bool all_digits(std::string_view s, std::size_t min, std::size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

std::string Reply::line() const {
  std::string out = std::to_string(code);
  out += ' ';
  if (!status.empty()) {
    out += status;
    out += ' ';
  }
  out += sanitize_reply_text(text);
  out += "\r\n";
  return out;
}

std::string sanitize_reply_text(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxReplyText));
  for (char c : text) {
    if (out.size() == kMaxReplyText) break;
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  return out;
}

std::string multiline_reply(int code, const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += std::to_string(code);
    out += (i + 1 == lines.size()) ? ' ' : '-';
    out += sanitize_reply_text(lines[i]);
    out += "\r\n";
  }
  return out;
}

bool is_enhanced_status(std::string_view s) {
  std::size_t a = s.find('.');
  if (a == std::string_view::npos) return false;
  std::size_t b = s.find('.', a + 1);
  if (b == std::string_view::npos) return false;
  std::string_view cls = s.substr(0, a), subject = s.substr(a + 1, b - a - 1), detail = s.substr(b + 1);
  return cls.size() == 1 && (cls[0] == '2' || cls[0] == '4' || cls[0] == '5') && all_digits(subject, 1, 3) &&
         all_digits(detail, 1, 3);
}

Reply reply_from_text(std::string_view text, int fallback_code, std::string_view fallback_status) {
  Reply r;
  std::string_view rest = text;
  if (rest.size() >= 3 && (rest[0] == '4' || rest[0] == '5') && all_digits(rest.substr(0, 3), 3, 3) &&
      (rest.size() == 3 || rest[3] == ' ' || rest[3] == '-')) {
    r.code = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
    rest = rest.size() > 3 ? rest.substr(4) : std::string_view();
  } else {
    r.code = fallback_code;
  }
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  char cls = static_cast<char>('0' + r.code / 100);
  std::size_t sp = rest.find(' ');
  std::string_view first = rest.substr(0, sp);
  if (is_enhanced_status(first) && first[0] == cls) {
    r.status = std::string(first);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  } else {
    r.status = std::string(fallback_status);
    if (!r.status.empty()) r.status[0] = cls;
  }
  r.text = sanitize_reply_text(rest);
  if (r.text.empty()) r.text = r.code >= 500 ? "Rejected" : "Temporary failure";
  return r;
}

std::optional<ReplyLine> parse_reply_line(std::string_view line) {
  auto digit = [&](std::size_t i, char lo, char hi) { return line.size() > i && line[i] >= lo && line[i] <= hi; };
  if (!digit(0, '2', '5') || !digit(1, '0', '5') || !digit(2, '0', '9') ||
      (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
    return std::nullopt;
  ReplyLine r;
  r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  r.more = line.size() > 3 && line[3] == '-';
  if (line.size() > 4) r.text = line.substr(4);
  return r;
}

}  // namespace tether::smtp
