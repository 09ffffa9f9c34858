//! `cloudmqtt acl test`: rule tests with coverage. The cases are read by
//! the core's test-file reader (`cloudmqtt_api::cases`), answered and
//! covered by the access crate (`cloudmqtt_access::suite`); this module
//! prints the results as text, JSON or JUnit XML.

use std::io::Write;
use std::path::Path;

use cloudmqtt_access::suite::{self, Case, Report};
use cloudmqtt_access::{Access, AclRule, describe_rule};
use cloudmqtt_api::cases::{self, TestCase};
use serde_json::{Value, json};

use crate::access::{Server, load_file};
use crate::args::TestArgs;
use crate::failure::Failure;
use crate::output;

/// `acl test`: runs every case, prints each failure (`FILE:LINE:COL:
/// expected allow, got deny: ...`), the coverage when asked, and `N
/// passed, N failed`; fails with [`Failure::Verdict`] when a case failed
/// or the coverage is under `--min-coverage`. `connect` is only called
/// without `-f`.
///
/// # Errors
/// A file with problems, the server's failure, unwritable output, or the
/// verdict.
pub fn test<S: Server>(
    args: TestArgs,
    json: bool,
    connect: impl FnOnce() -> Result<S, Failure>,
    out: &mut impl Write,
) -> Result<(), Failure> {
    let shown = args.cases.display().to_string();
    let text = std::fs::read_to_string(&args.cases)
        .map_err(|error| Failure::Usage(format!("{shown}: cannot read: {error}")))?;
    let read = cases::read_cases(&shown, &text).map_err(Failure::File)?;
    let (users, rules) = match &args.file {
        Some(path) => {
            let file = load_file(path)?;
            (file.users.unwrap_or_default(), file.rules)
        }
        None => {
            let mut server = connect()?;
            let rules = server.rules()?;
            (server.users()?, rules)
        }
    };
    let runnable: Vec<Case> = read.iter().map(case).collect();
    let report = suite::run(&rules, &users, &runnable)?;
    if let Some(path) = &args.junit {
        write_junit(path, &shown, &read, &report)?;
    }
    if json {
        output::write_json(out, &json_report(&rules, &read, &report))?;
    } else {
        write_text(out, &shown, &rules, &read, &report, args.coverage)?;
    }
    let short = args
        .min_coverage
        .is_some_and(|min| !report.coverage.meets(min));
    if short {
        output::note(&format!(
            "coverage {} is under the minimum of {}",
            percent(report.coverage.rules_covered(), rules.len()),
            hundredths(args.min_coverage.map_or(0, |min| min.hundredths))
        ));
    }
    if report.failed() > 0 || short {
        Err(Failure::Verdict)
    } else {
        Ok(())
    }
}

/// A case as the access crate runs it.
fn case(read: &TestCase) -> Case {
    Case {
        user: read.user.clone(),
        client_id: read.client_id.clone(),
        topic: read.topic.clone(),
        access: if read.write {
            Access::Write
        } else {
            Access::Read
        },
        expect_allow: read.expect_allow,
        decided_by: read.decided_by.clone(),
    }
}

fn write_text(
    out: &mut impl Write,
    shown: &str,
    rules: &[AclRule],
    read: &[TestCase],
    report: &Report,
    coverage: bool,
) -> std::io::Result<()> {
    for (case, outcome) in read.iter().zip(&report.outcomes) {
        if let Some(failure) = &outcome.failure {
            let line = format!("{shown}:{}:{}: {failure}", case.at.line, case.at.column);
            writeln!(out, "{}", output::cell(&line))?;
        }
    }
    if coverage {
        let covered = report.coverage.rules_covered();
        writeln!(
            out,
            "coverage: {covered} of {} rules decided a case ({})",
            rules.len(),
            percent(covered, rules.len())
        )?;
        for index in report.coverage.undecided_rules() {
            let line = format!("  decided no case: {}", describe_rule(&rules[index]));
            writeln!(out, "{}", output::cell(&line))?;
        }
        for user in &report.coverage.unmentioned_users {
            writeln!(out, "  no case mentions user {}", output::cell(user))?;
        }
    }
    writeln!(
        out,
        "{} passed, {} failed",
        report.passed(),
        report.failed()
    )
}

/// `covered` of `total` as a percentage with two decimals, rounded down
/// (so that 99.999 % never shows as 100.00 %).
fn percent(covered: usize, total: usize) -> String {
    if total == 0 {
        return "100.00 %".to_owned();
    }
    let hundredths = (covered as u128 * 10_000) / total as u128;
    hundredths_text(hundredths)
}

fn hundredths(value: u32) -> String {
    hundredths_text(u128::from(value))
}

fn hundredths_text(value: u128) -> String {
    format!("{}.{:02} %", value / 100, value % 100)
}

fn json_report(rules: &[AclRule], read: &[TestCase], report: &Report) -> Value {
    let cases: Vec<Value> = read
        .iter()
        .zip(&report.outcomes)
        .map(|(case, outcome)| {
            json!({
                "line": case.at.line,
                "column": case.at.column,
                "user": case.user,
                "client_id": case.client_id,
                "topic": case.topic,
                "access": if case.write { "write" } else { "read" },
                "expect": if case.expect_allow { "allow" } else { "deny" },
                "allowed": outcome.allowed,
                "rule": outcome.decided.index.map(|index| &rules[index]),
                "expected_rule": case.decided_by,
                "why": suite::decided_text(rules, outcome.decided),
                "passed": outcome.passed(),
                "failure": outcome.failure,
            })
        })
        .collect();
    let undecided: Vec<&AclRule> = report
        .coverage
        .undecided_rules()
        .into_iter()
        .map(|index| &rules[index])
        .collect();
    json!({
        "cases": cases,
        "passed": report.passed(),
        "failed": report.failed(),
        "coverage": {
            "rules": rules.len(),
            "rules_deciding": report.coverage.rules_covered(),
            "undecided_rules": undecided,
            "unmentioned_users": report.coverage.unmentioned_users,
        },
    })
}

/// The results as JUnit XML, one test case per case.
fn write_junit(
    path: &Path,
    shown: &str,
    read: &[TestCase],
    report: &Report,
) -> Result<(), Failure> {
    let (tests, failures) = (read.len(), report.failed());
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites tests=\"{tests}\" failures=\"{failures}\">\n  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\">\n",
        escape(shown)
    ));
    for (case, outcome) in read.iter().zip(&report.outcomes) {
        let name = format!(
            "line {}: {} {} {} expects {}",
            case.at.line,
            case.user,
            if case.write { "write" } else { "read" },
            case.topic,
            if case.expect_allow { "allow" } else { "deny" }
        );
        xml.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(shown),
            escape(&name)
        ));
        match &outcome.failure {
            None => xml.push_str("/>\n"),
            Some(failure) => xml.push_str(&format!(
                ">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                escape(failure)
            )),
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    std::fs::write(path, xml)
        .map_err(|error| Failure::Usage(format!("{}: cannot write: {error}", path.display())))
}

/// Text in an XML attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push_str(&format!("&#x{:x};", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_down_and_xml_is_escaped() {
        assert_eq!(percent(2, 3), "66.66 %");
        assert_eq!(percent(999, 1000), "99.90 %");
        assert_eq!(percent(99_999, 100_000), "99.99 %");
        assert_eq!(percent(0, 0), "100.00 %");
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
    }
}
