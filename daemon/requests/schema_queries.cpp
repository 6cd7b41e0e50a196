// The expected-schema requests: `baseline` (which revision's schema an unmanaged database has),
// `check --schema` (drift from the schema at the recorded revision), and the guard that keeps
// `stamp` from recording a revision the schema does not have.
#include <algorithm>

#include "core/run/migration_runner.h"
#include "daemon/requests/queries.h"

namespace migrationd {

void FillSchemaChange(const SchemaDifference& difference, proto::SchemaChange& change) {
  change.set_change(std::string(1, difference.change));
  change.set_object(difference.object);
  change.set_expected(difference.expected);
  change.set_actual(difference.actual);
  change.set_text(difference.Describe());
}

void AddSchemaChanges(const std::vector<SchemaDifference>& differences, proto::Result& result) {
  for (const auto& difference : differences)
    FillSchemaChange(difference, *result.add_schema_diff());
}

std::string DescribeDifferences(const std::vector<SchemaDifference>& differences) {
  std::string text = std::to_string(differences.size()) + " difference(s):";
  for (const auto& difference : differences) text += "\n  " + difference.Describe();
  return text;
}

namespace {

struct AlembicMark {
  std::string revision;  // the script whose `-- alembic:` header names the id ("": none)
  std::string note;      // for the reply ("": not an Alembic database)
};

Result<AlembicMark> AlembicRevision(Backend& live, const ScriptDirectory& scripts) {
  auto exists = live.TableExists("alembic_version");
  if (!exists.ok()) return exists.status();
  if (!*exists) return AlembicMark{};
  auto rows = live.Query("SELECT version_num FROM alembic_version", {});
  if (!rows.ok()) return rows.status().WithContext("cannot read alembic_version");
  if (rows->size() != 1 || !rows->front()[0]) {
    return AlembicMark{"", "alembic_version has " + std::to_string(rows->size()) +
                               " rows (Alembic branches are not adopted by id); matched by "
                               "schema instead"};
  }
  const std::string id = *rows->front()[0];
  for (const auto& revision : scripts.graph().TopologicalOrder()) {
    if (scripts.script(revision).alembic == id) {
      return AlembicMark{revision, "alembic_version is " + id + ", which " + revision +
                                       "'s '-- alembic:' header names"};
    }
  }
  return AlembicMark{"", "alembic_version is " + id +
                             ", which no script's '-- alembic:' header names; matched by "
                             "schema instead"};
}

}  // namespace

Result<BaselineMatch> FindBaseline(Backend& live, const ScriptDirectory& scripts,
                                   ExpectedSchemas& expected, const NormalizedSchema* live_schema) {
  Result<NormalizedSchema> read = NormalizedSchema();
  if (live_schema == nullptr) {
    read = live.ReadSchema();
    if (!read.ok()) return read.status();
  }
  const NormalizedSchema* schema = live_schema != nullptr ? live_schema : &*read;
  auto all = expected.All(scripts);
  if (!all.ok()) return all.status();
  BaselineMatch match;
  match.fingerprint = schema->Fingerprint();
  size_t closest = SIZE_MAX;
  auto consider = [&](const std::string& revision, const NormalizedSchema& candidate) {
    auto differences = DiffSchemas(candidate, *schema);
    // Every exact match is kept: revisions that change only data share their parent's schema,
    // and which of them the database is at is for the operator to say (ChooseBaseline).
    if (differences.empty()) {
      match.exact_matches.push_back(revision);
      match.revision = revision;
      match.exact = true;
      match.differences.clear();
    } else if (!match.exact && differences.size() <= closest) {
      closest = differences.size();
      match.revision = revision;
      match.differences = std::move(differences);
    }
  };
  // An Alembic-managed database says where it is: the revision whose `-- alembic:` header
  // names its alembic_version id, if the schema agrees.
  auto alembic = AlembicRevision(live, scripts);
  if (!alembic.ok()) return alembic.status();
  if (!alembic->revision.empty()) {
    for (const auto& [revision, candidate] : *all) {
      if (revision == alembic->revision) consider(revision, candidate);
    }
    match.alembic_note = alembic->note;
    if (!match.exact) {
      // The header may sit on the wrong revision: say which one the schema is, if any.
      for (const auto& [revision, candidate] : *all) {
        if (DiffSchemas(candidate, *schema).empty()) match.exact_elsewhere = revision;
      }
      if (match.exact_elsewhere.empty() && DiffSchemas(NormalizedSchema(), *schema).empty()) {
        match.exact_elsewhere = "base";
      }
    }
    return match;
  }
  consider("base", NormalizedSchema());
  for (const auto& [revision, candidate] : *all) consider(revision, candidate);
  match.alembic_note = alembic->note;
  return match;
}

std::string NoBaselineMatch(const BaselineMatch& match) {
  if (!match.exact_elsewhere.empty()) {
    return match.alembic_note + ", but the schema is not " + match.revision + "'s (" +
           DescribeDifferences(match.differences) + ")\nThe schema is exactly the one " +
           match.exact_elsewhere +
           " produces: if that is where the database is, move the '-- alembic: ' header to " +
           match.exact_elsewhere + "'s script (it is not part of the checksum)";
  }
  return (match.alembic_note.empty() ? "" : match.alembic_note + "; ") +
         "no revision produces the database's schema; the closest is " + match.revision +
         ", with " + DescribeDifferences(match.differences);
}

namespace {

std::string Listed(const std::vector<std::string>& revisions) {
  std::string text;
  for (size_t i = 0; i < revisions.size(); ++i) {
    text += (i == 0 ? "" : i + 1 == revisions.size() ? " and " : ", ") + revisions[i];
  }
  return text;
}

// Several revisions have the database's schema: what naming each would mark applied without
// running it.
std::string DescribeTie(const std::vector<std::string>& matches) {
  std::string text = "the database's schema is the one " + std::to_string(matches.size()) +
                     " revisions produce: " + Listed(matches) +
                     ". The later ones change no schema (data only, such as a backfill), so the "
                     "schema cannot tell which of them ran. Name the one the database is at: ";
  for (size_t i = 0; i < matches.size(); ++i) {
    text += (i == 0 ? "" : "; ") + std::string("'migctl baseline --apply ") + matches[i] + "'";
    if (i == 0) {
      text += " leaves " + Listed({matches.begin() + 1, matches.end()}) +
              " to 'migctl upgrade', which runs them";
    } else {
      text += " marks " +
              Listed({matches.begin() + 1, matches.begin() + static_cast<long>(i) + 1}) +
              " applied without running " + (i == 1 ? "it" : "them");
    }
  }
  return text;
}

}  // namespace

Result<std::string> ChooseBaseline(const BaselineMatch& match, const std::string& named,
                                   const RevisionGraph& graph) {
  if (named.empty()) {
    if (match.exact_matches.size() > 1) {
      return Status::InvalidArgument(DescribeTie(match.exact_matches) + ". Nothing was stamped");
    }
    return match.revision;
  }
  std::string revision = named;
  if (named != "base") {
    auto resolved = graph.ResolveRevision(named);
    if (!resolved.ok()) return resolved.status();
    revision = *resolved;
  }
  const auto& matches = match.exact_matches;
  if (std::find(matches.begin(), matches.end(), revision) == matches.end()) {
    return Status::Integrity(revision + "'s schema is not the database's; " +
                             (matches.size() == 1 ? "only " + matches.front() + "'s is"
                                                  : "these revisions' is: " + Listed(matches)) +
                             ". Nothing was stamped");
  }
  return revision;
}

proto::Result QueryBaseline(const QueryContext& context, const std::string& named, bool apply) {
  auto live = OpenForReading(context);
  if (!live.ok()) return ErrorResult(live.status());
  auto match = FindBaseline(**live, context.scripts, *context.expected);
  if (!match.ok()) return ErrorResult(match.status());
  proto::Result result;
  result.set_fingerprint(match->fingerprint);
  for (const auto& revision : match->exact_matches) result.add_matched_revisions(revision);
  if (match->exact && apply) {
    // --apply --dry-run: the real command's choice and refusals, minus the stamp.
    auto chosen = ChooseBaseline(*match, named, context.scripts.graph());
    if (!chosen.ok()) {
      proto::Result refused = ErrorResult(chosen.status());
      *refused.mutable_matched_revisions() = result.matched_revisions();
      return refused;
    }
    result.set_matched_revision(*chosen);
    result.set_message("dry run: would record " + *chosen +
                       " as the database's revision (its schema is the database's); nothing "
                       "was stamped");
    return result;
  }
  if (match->exact_matches.size() > 1) {
    result.set_message(DescribeTie(match->exact_matches));
    return result;
  }
  if (match->exact) {
    result.set_matched_revision(match->revision);
    result.set_message((match->alembic_note.empty() ? "" : match->alembic_note + "; ") +
                       "the database's schema is the one " + match->revision + " produces (" +
                       match->fingerprint.substr(0, 19) +
                       "); 'migctl baseline --apply' records it as the database's revision");
    return result;
  }
  result.set_code(proto::INTEGRITY);
  result.set_closest_revision(match->revision);
  AddSchemaChanges(match->differences, result);
  result.set_message(NoBaselineMatch(*match) +
                     "\nBring the schema to a revision's (or write a revision for the "
                     "difference), then run baseline again");
  return result;
}

Status CheckSchemaAt(Backend& live, const ScriptDirectory& scripts, ExpectedSchemas& expected,
                     const std::vector<std::string>& heads, proto::Result& result) {
  auto want = expected.At(scripts, heads);
  if (!want.ok()) return want.status();
  auto have = live.ReadSchema();
  if (!have.ok()) return have.status();
  for (const auto& order : DiffColumnOrder(*want, *have)) {
    FillSchemaChange(order, *result.add_column_order());
  }
  const auto differences = DiffSchemas(*want, *have);
  if (differences.empty()) return Status::Ok();
  AddSchemaChanges(differences, result);
  return Status::Integrity("the database's schema is not the one " + JoinRevisions(heads) +
                           " produces: " + DescribeDifferences(differences));
}

Status CheckNotUnmanaged(Backend& live, const ScriptDirectory& scripts, ExpectedSchemas& expected,
                         const std::vector<std::string>& current, bool match_revision) {
  if (!current.empty()) return Status::Ok();
  auto have = live.ReadSchema();
  if (!have.ok()) return have.status();
  std::vector<std::string> tables;
  for (const auto& [object, definition] : have->objects()) {
    if (object.starts_with("table ")) tables.push_back(object.substr(6));
  }
  if (tables.empty()) return Status::Ok();
  // Only tables the scripts create count: other tables may share the database.
  auto want = expected.At(scripts, scripts.graph().Heads());
  if (!want.ok()) return want.status();
  std::vector<std::string> ours;
  for (const auto& table : tables) {
    if (want->objects().contains("table " + table)) ours.push_back(table);
  }
  if (ours.empty()) return Status::Ok();
  std::string named;
  for (size_t i = 0; i < ours.size() && i < 3; ++i) named += (i == 0 ? "" : ", ") + ours[i];
  if (ours.size() > 3) named += ", ...";
  std::string text = "the database has " + std::to_string(ours.size()) +
                     " table(s) the scripts create (" + named +
                     ") but no migration history, as a database made by create_all() has; an "
                     "upgrade would fail creating them. Run 'migctl baseline' to find its "
                     "revision, then 'migctl baseline --apply'";
  if (match_revision) {
    auto match = FindBaseline(live, scripts, expected, &*have);  // read once, above
    if (match.ok() && match->exact) {
      text += " (its schema is the one " + match->revision + " produces)";
    } else if (match.ok()) {
      text += " (no revision matches exactly; the closest is " + match->revision + ", with " +
              std::to_string(match->differences.size()) + " difference(s))";
    }
  }
  return Status::Integrity(text);
}

StampCheck CheckStamp(Backend& live, const ScriptDirectory& scripts, ExpectedSchemas& expected,
                      const std::vector<std::string>& heads_after) {
  StampCheck check;
  check.same = CheckSchemaAt(live, scripts, expected, heads_after, check.differences);
  if (!check.same.ok() && check.same.code() != ErrorCode::kIntegrity) {
    // The scripts cannot be applied on an empty database (one depends on something made by
    // hand): the stamp cannot be checked, which --force accepts knowingly.
    check.same = check.same.WithContext("cannot build the schema " + JoinRevisions(heads_after) +
                                        " produces, to check the stamp against it");
  }
  return check;
}

proto::Result StampRefusal(const StampCheck& check) {
  proto::Result refused = ErrorResult(check.same);
  refused.set_message(check.same.message() +
                      (check.same.code() != ErrorCode::kIntegrity
                           ? "\nNothing was stamped; pass --force to stamp without the check "
                             "(recorded in the history)"
                           : "\nNothing was stamped. 'migctl baseline' names the revision the "
                             "schema matches; bring the schema there, or pass --force to stamp "
                             "anyway (recorded in the history)"));
  *refused.mutable_schema_diff() = check.differences.schema_diff();
  return refused;
}

proto::Result VerifyResult(const Result<RoundTripReport>& report) {
  if (!report.ok()) return ErrorResult(report.status());
  proto::Result result;
  for (const auto& revision : report->verified) result.add_verified(revision);
  if (const auto& failure = report->failure) {
    result.set_code(proto::INTEGRITY);
    AddSchemaChanges(failure->differences, result);
    result.set_message(
        failure->revision +
        (failure->step == "downgrade"
             ? ": its downgrade does not restore the schema before its upgrade, "
             : ": upgraded again after its downgrade, it does not give the schema of its first "
               "upgrade, ") +
        DescribeDifferences(failure->differences) +
        "\n(+ is there after the round trip and was not before, - the reverse; " +
        std::to_string(report->verified.size()) + " revision(s) before it verified)");
    return result;
  }
  result.set_message("verified " + std::to_string(report->verified.size()) +
                     " revision(s): upgrade, downgrade and upgrade again each gave the schema "
                     "expected");
  return result;
}

proto::Result QueryVerify(const QueryContext& context, const std::string& range) {
  const size_t colon = range.find(':');
  if (!range.empty() && colon == std::string::npos) {
    return ErrorResult(Status::InvalidArgument("range '" + range + "' must be FROM:TO"));
  }
  const std::string from = range.empty() ? "" : range.substr(0, colon);
  const std::string to = range.empty() ? "" : range.substr(colon + 1);
  return VerifyResult(VerifyRoundTrips(context.scripts, context.url,
                                       context.config.scratch_database, from, to,
                                       context.config.verify_workers));
}

}  // namespace migrationd
