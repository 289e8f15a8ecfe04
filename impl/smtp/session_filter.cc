#include "smtp/session_filter.h"

#include <vector>

namespace tether::smtp {

namespace {

// Whether the check holds (before `!` is applied).
bool check_holds(const Config& config, const FilterCheck& check, const FilterFacts& f) {
  using K = FilterCheck::Kind;
  const Table* table = check.table ? config.find_table(*check.table) : nullptr;
  auto in_table = [&](auto lookup) { return table != nullptr && lookup(*table) != nullptr; };
  std::string source_text = f.source ? f.source->to_string() : std::string("local");
  switch (check.kind) {
    case K::rdns: return !f.rdns.empty();
    case K::fcrdns: return !f.rdns.empty() && f.fcrdns;
    case K::rdns_table: return !f.rdns.empty() && in_table([&](const Table& t) { return t.match_domain(f.rdns); });
    case K::rdns_regex: return !f.rdns.empty() && in_table([&](const Table& t) { return t.match_regex(f.rdns); });
    case K::src_table: return in_table([&](const Table& t) { return t.match_source(f.source); });
    case K::src_regex: return in_table([&](const Table& t) { return t.match_regex(source_text); });
    case K::helo_table: return in_table([&](const Table& t) { return t.match_domain(f.helo); });
    case K::helo_regex: return in_table([&](const Table& t) { return t.match_regex(f.helo); });
    case K::auth: return f.authenticated;
    case K::auth_table: return f.authenticated && in_table([&](const Table& t) { return t.find(f.auth_user); });
    case K::auth_regex: return f.authenticated && in_table([&](const Table& t) { return t.match_regex(f.auth_user); });
    case K::mail_from_table: return in_table([&](const Table& t) { return t.match_mail_address(f.mail_from); });
    case K::mail_from_regex: return in_table([&](const Table& t) { return t.match_regex(f.mail_from); });
    case K::rcpt_to_table: return in_table([&](const Table& t) { return t.match_mail_address(f.rcpt_to); });
    case K::rcpt_to_regex: return in_table([&](const Table& t) { return t.match_regex(f.rcpt_to); });
  }
  return false;
}

void collect(const Config& config, const std::string& name, std::vector<const Filter*>& out, int depth) {
  const Filter* f = config.find_filter(name);
  if (f == nullptr || depth > 8) return;
  if (f->type == Filter::Type::builtin) {
    out.push_back(f);
    return;
  }
  for (const std::string& member : f->chain) collect(config, member, out, depth + 1);
}

}  // namespace

FilterVerdict run_filters(const Config& config, const std::string& filter_name, FilterPhase phase,
                          const FilterFacts& facts) {
  FilterVerdict verdict;
  if (filter_name.empty()) return verdict;
  std::vector<const Filter*> filters;
  collect(config, filter_name, filters, 0);
  for (const Filter* f : filters) {
    if (f->phase != phase) continue;
    if (check_holds(config, f->check, facts) == f->check.negated) continue;
    switch (f->decision) {
      case Filter::Decision::disconnect:
      case Filter::Decision::reject:
        verdict.kind = f->decision == Filter::Decision::disconnect || f->message.compare(0, 3, "421") == 0
                           ? FilterVerdict::Kind::disconnect
                           : FilterVerdict::Kind::reject;
        verdict.message = f->message;
        verdict.filter = f->name;
        return verdict;
      case Filter::Decision::junk:
        verdict.kind = FilterVerdict::Kind::junk;
        verdict.filter = f->name;
        break;
      case Filter::Decision::bypass:
        return verdict;
      case Filter::Decision::rewrite:
      case Filter::Decision::report:
        break;
    }
  }
  return verdict;
}

}  // namespace tether::smtp
