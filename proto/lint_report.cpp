#include "proto/lint_report.h"

#include <algorithm>
#include <cstdio>

namespace migrationd {

bool ParseLintFormat(const std::string& name, LintFormat& format) {
  if (name == "text")
    format = LintFormat::kText;
  else if (name == "github")
    format = LintFormat::kGithub;
  else if (name == "sarif")
    format = LintFormat::kSarif;
  else
    return false;
  return true;
}

std::string LintSummaryLine(const proto::LintSummary& summary) {
  std::string line =
      "lint (" + summary.scope() + (summary.live() ? ", sizes from the database" : ", static") +
      "): " + std::to_string(summary.revisions()) + " revision(s), " +
      std::to_string(summary.statements()) + " statement(s): " + std::to_string(summary.errors()) +
      " error(s), " + std::to_string(summary.warnings()) + " warning(s)";
  if (summary.suppressed() > 0) line += ", " + std::to_string(summary.suppressed()) + " suppressed";
  return line;
}

namespace {

std::string Text(const proto::Result& result) {
  std::string text;
  for (const auto& finding : result.lint()) {
    text += (finding.suppressed() ? "suppressed " : "") + finding.severity() + " " +
            finding.rule() + "  " + finding.path() + ":" + std::to_string(finding.line()) + " (" +
            finding.revision() + ")\n";
    text += "  " + finding.what() + "\n";
    if (!finding.size().empty()) {
      text += "  table: " + finding.size() +
              (finding.escalated() ? " (an error at this size: lint_large_table)" : "") + "\n";
    }
    if (finding.suppressed()) {
      text += "  allowed: " + finding.reason() + "\n";
    } else if (!finding.recipe().empty()) {
      text += "  safe way: " + finding.recipe() + "\n";
    }
  }
  return text + LintSummaryLine(result.lint_summary()) + "\n";
}

// GitHub's workflow command escaping: data and property values.
std::string EscapeData(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    if (c == '%')
      escaped += "%25";
    else if (c == '\r')
      escaped += "%0D";
    else if (c == '\n')
      escaped += "%0A";
    else
      escaped += c;
  }
  return escaped;
}

std::string EscapeProperty(const std::string& text) {
  std::string escaped;
  for (char c : EscapeData(text)) {
    if (c == ':')
      escaped += "%3A";
    else if (c == ',')
      escaped += "%2C";
    else
      escaped += c;
  }
  return escaped;
}

std::string Github(const proto::Result& result) {
  std::string text;
  for (const auto& finding : result.lint()) {
    if (finding.suppressed()) continue;
    std::string message = finding.what();
    if (!finding.size().empty()) message += "\n" + finding.size();
    if (!finding.recipe().empty()) message += "\nSafe way: " + finding.recipe();
    text += "::" + std::string(finding.severity() == "error" ? "error" : "warning") +
            " file=" + EscapeProperty(finding.path()) + ",line=" + std::to_string(finding.line()) +
            ",title=" + EscapeProperty("migrationd lint " + finding.rule()) +
            "::" + EscapeData(message) + "\n";
  }
  return text + LintSummaryLine(result.lint_summary()) + "\n";
}

std::string JsonString(const std::string& text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          quoted += escaped;
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

std::string Sarif(const proto::Result& result) {
  std::string results;
  for (const auto& finding : result.lint()) {
    std::string entry =
        "{\"ruleId\":" + JsonString(finding.rule()) +
        ",\"level\":" + JsonString(finding.severity() == "error" ? "error" : "warning") +
        ",\"message\":{\"text\":" +
        JsonString(finding.what() + (finding.size().empty() ? "" : " (" + finding.size() + ")") +
                   (finding.recipe().empty() ? "" : ". Safe way: " + finding.recipe())) +
        "},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":" +
        JsonString(finding.path()) +
        "},\"region\":{\"startLine\":" + std::to_string(std::max(1, finding.line())) + "}}}]";
    if (finding.suppressed()) {
      entry += ",\"suppressions\":[{\"kind\":\"inSource\",\"justification\":" +
               JsonString(finding.reason()) + "}]";
    }
    results += (results.empty() ? "" : ",") + entry + "}";
  }
  return "{\"version\":\"2.1.0\",\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
         "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"migrationd lint\"}},"
         "\"results\":[" +
         results + "]}]}\n";
}

}  // namespace

std::string RenderLint(const proto::Result& result, LintFormat format) {
  switch (format) {
    case LintFormat::kGithub:
      return Github(result);
    case LintFormat::kSarif:
      return Sarif(result);
    default:
      return Text(result);
  }
}

}  // namespace migrationd
