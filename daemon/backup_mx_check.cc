#include "daemon/backup_mx_check.h"

#include <chrono>
#include <memory>

#include "node/relay_mx.h"
#include "posix/posix_host.h"

namespace tether::daemon {
namespace {

struct Question {
  const smtp::Action* action;
  std::string domain;
  std::string own_name;
  std::string where;  // the match rule that routes the domain to the action
};

// The literal domains of the rules that route mail to `action`: a wildcard,
// a regex or a negation names no domain to ask about.
void add_questions(const smtp::Config& config, const smtp::Action& action, const std::string& own_name,
                   std::vector<Question>& out) {
  for (const smtp::MatchRule& rule : config.rules) {
    if (rule.reject || rule.action != action.name) continue;
    if (rule.for_ != smtp::MatchRule::For::domain || rule.for_negated || rule.for_regex || !rule.for_table) continue;
    const smtp::Table* table = config.find_table(*rule.for_table);
    if (!table) continue;
    for (const smtp::TableEntry& entry : table->entries)
      if (!entry.key.empty() && entry.key.find('*') == std::string::npos)
        out.push_back({&action, entry.key, own_name, rule.where.to_string()});
  }
}

}  // namespace

std::vector<std::string> backup_mx_warnings(const smtp::Config& config) {
  std::vector<const smtp::Action*> backups;
  for (const smtp::Action& action : config.actions)
    if (action.type == smtp::Action::Type::relay && action.relay.backup && !action.relay.host)
      backups.push_back(&action);
  if (backups.empty()) return {};

  posix::PosixHostOptions options;
  options.storage_root = "/";  // it stores nothing; an existing directory is not created
  options.log_threshold = LogLevel::error;
  posix::PosixHost host(options);
  std::vector<Question> questions;
  for (const smtp::Action* action : backups)
    add_questions(config, *action, action->relay.backup_mx.empty() ? host.hostname() : action->relay.backup_mx,
                  questions);

  std::vector<std::string> warnings(questions.size());
  std::vector<std::unique_ptr<DnsLookup>> lookups;
  std::size_t pending = questions.size();
  for (std::size_t i = 0; i < questions.size(); ++i) {
    const Question& q = questions[i];
    lookups.push_back(host.dns_lookup(q.domain, DnsRecordType::mx, [&warnings, &pending, &q, i](Result<DnsAnswer> answer) {
      --pending;
      const std::string prefix = q.where + ": warning: action \"" + q.action->name + "\": ";
      if (!answer) {
        warnings[i] = prefix + "relay backup: cannot look up " + q.domain + "'s MX hosts: " + answer.error().message;
        return;
      }
      node::MxSelection s = node::select_mx(answer->mx, false, q.domain, true, q.own_name);
      if (s.hops.empty() && s.error.rfind("backup MX:", 0) == 0) warnings[i] = prefix + s.error;
    }));
  }
  // Every lookup answers, if only with its own timeout (PosixHostOptions).
  while (pending > 0 && host.io_context().run_one_for(std::chrono::seconds(30)) > 0) {
  }
  lookups.clear();
  std::vector<std::string> out;
  for (std::string& w : warnings)
    if (!w.empty()) out.push_back(std::move(w));
  return out;
}

}  // namespace tether::daemon
