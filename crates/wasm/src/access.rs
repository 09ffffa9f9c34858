//! The access checker for JavaScript: [`cloudmqtt_access::evaluate_at`],
//! rule tests ([`cloudmqtt_access::suite`]), explanations
//! ([`cloudmqtt_access::explain`]) and rule-set diffs
//! ([`cloudmqtt_access::diff`]), pure and synchronous.
//!
//! The rules cross as the JSON text of the caller's array (`JSON.stringify`,
//! read by the core's tolerant rule-list parser) and the answer as one
//! number, so that the `.wasm` holds no glue of its own for either: the
//! JavaScript layer hands back the caller's own rule object.

use cloudmqtt_access::diff::diff_for;
use cloudmqtt_access::explain::explain;
use cloudmqtt_access::suite::{self, Case};
use cloudmqtt_access::{Access, AccessQuery, evaluate_at};
use cloudmqtt_api::{AclRule, Error, parse_acl_rules};
use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::args::{self, Props, invalid};
use crate::convert::{key, write_str, write_u64};
use crate::error_object;

/// Answers `query` (`{ username, clientId?, topic, access }`) over the
/// rules whose JSON text is `rules` (the JavaScript layer passes only an
/// array's text): `-1` when denied with no rule
/// deciding, otherwise `2 * index + allowed`, `index` being the deciding
/// rule's position in the array.
///
/// An argument that is wrong gives an error object (`INVALID_INPUT`)
/// instead of a number.
#[wasm_bindgen(js_name = evaluateAccess)]
pub fn evaluate_access(rules: JsValue, query: JsValue) -> JsValue {
    match decide(rules, query) {
        Ok(answer) => answer.into(),
        Err(error) => error_object(&error),
    }
}

/// `"read"` or `"write"`.
fn access(props: Props<'_>) -> Result<Access, Error> {
    match props.string("access")?.as_str() {
        "read" => Ok(Access::Read),
        "write" => Ok(Access::Write),
        _ => Err(invalid("access", "must be \"read\" or \"write\"")),
    }
}

/// `{ username, clientId?, topic, access }`.
fn read_query(query: JsValue) -> Result<AccessQuery, Error> {
    let query = args::object(query, "query")?;
    let props = Props(Some(&query));
    Ok(AccessQuery::new(
        props.string("username")?,
        props.opt_string("clientId")?,
        props.string("topic")?,
        access(props)?,
    ))
}

/// The rules from the JSON text of the caller's array.
fn read_rules(rules: JsValue) -> Result<Vec<AclRule>, Error> {
    read_rules_as(rules, "rules")
}

/// The rules from the JSON text of the caller's array, errors naming
/// `field`.
fn read_rules_as(rules: JsValue, field: &'static str) -> Result<Vec<AclRule>, Error> {
    args::string(rules, field)
        .ok()
        .and_then(|text| parse_acl_rules(text.as_bytes()).ok())
        .ok_or_else(|| invalid(field, "must be an array of rules"))
}

fn decide(rules: JsValue, query: JsValue) -> Result<i32, Error> {
    let query = read_query(query)?;
    let rules = read_rules(rules)?;
    let (allowed, decided) = evaluate_at(&rules, &query)?;
    Ok(
        match decided.index.and_then(|index| i32::try_from(index).ok()) {
            None => -1,
            Some(index) => index * 2 + i32::from(allowed),
        },
    )
}

/// Runs rule tests: `cases` is an array of `{ user, clientId?, topic,
/// access, expect: "allow" | "deny", decidedBy? }`. The report crosses as
/// JSON text, rules by their position in the caller's array: `{ cases: [{
/// passed, allowed, rule, failure }], passed, failed, coverage: { rules,
/// rulesDeciding, undecidedRules, unmentionedUsers } }`; a wrong argument
/// gives an error object.
#[wasm_bindgen(js_name = testAccess)]
pub fn test_access(rules: JsValue, cases: JsValue) -> JsValue {
    match run_tests(rules, cases) {
        Ok(json) => json.into(),
        Err(error) => error_object(&error),
    }
}

fn read_cases(cases: JsValue) -> Result<Vec<Case>, Error> {
    if !Array::is_array(&cases) {
        return Err(invalid("cases", "must be an array of cases"));
    }
    let mut read = Vec::new();
    for case in Array::from(&cases).iter() {
        let case = args::object(case, "cases")?;
        let props = Props(Some(&case));
        let expect_allow = match props.string("expect")?.as_str() {
            "allow" => true,
            "deny" => false,
            _ => return Err(invalid("expect", "must be \"allow\" or \"deny\"")),
        };
        read.push(Case {
            user: props.string("user")?,
            client_id: props.opt_string("clientId")?,
            topic: props.string("topic")?,
            access: access(props)?,
            expect_allow,
            decided_by: props.opt_string("decidedBy")?,
        });
    }
    Ok(read)
}

fn run_tests(rules: JsValue, cases: JsValue) -> Result<String, Error> {
    let rules = read_rules(rules)?;
    let cases = read_cases(cases)?;
    let report = suite::run(&rules, &[], &cases)?;
    let mut out = String::from("{\"cases\":[");
    for (index, outcome) in report.outcomes.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('{');
        key(&mut out, "passed");
        out.push_str(if outcome.passed() { "true," } else { "false," });
        key(&mut out, "allowed");
        out.push_str(if outcome.allowed { "true," } else { "false," });
        key(&mut out, "rule");
        write_index(&mut out, outcome.decided.index);
        out.push(',');
        key(&mut out, "failure");
        match &outcome.failure {
            Some(failure) => write_str(&mut out, failure),
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push_str("],");
    key(&mut out, "passed");
    write_u64(&mut out, report.passed() as u64);
    out.push(',');
    key(&mut out, "failed");
    write_u64(&mut out, report.failed() as u64);
    out.push_str(",\"coverage\":{");
    key(&mut out, "rules");
    write_u64(&mut out, rules.len() as u64);
    out.push(',');
    key(&mut out, "rulesDeciding");
    write_u64(&mut out, report.coverage.rules_covered() as u64);
    out.push(',');
    key(&mut out, "undecidedRules");
    out.push('[');
    for (index, rule) in report.coverage.undecided_rules().into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_u64(&mut out, rule as u64);
    }
    out.push_str("],");
    key(&mut out, "unmentionedUsers");
    cloudmqtt_api::push_json_strings(
        &mut out,
        report.coverage.unmentioned_users.iter().map(String::as_str),
    );
    out.push_str("}}");
    Ok(out)
}

/// A rule's position, or `null`.
fn write_index(out: &mut String, index: Option<usize>) {
    match index {
        Some(index) => write_u64(out, index as u64),
        None => out.push_str("null"),
    }
}

/// Explains `query` over `rules`: `{ allowed, rule, reason, misses: [{
/// rule, why }] }` as JSON text, rules by their position in the caller's
/// array (`reason` says why no rule decided, when none did); a wrong
/// argument gives an error object.
#[wasm_bindgen(js_name = explainAccess)]
pub fn explain_access(rules: JsValue, query: JsValue) -> JsValue {
    match run_explain(rules, query) {
        Ok(json) => json.into(),
        Err(error) => error_object(&error),
    }
}

fn run_explain(rules: JsValue, query: JsValue) -> Result<String, Error> {
    let query = read_query(query)?;
    let rules = read_rules(rules)?;
    let why = explain(&rules, &query)?;
    let mut out = String::from("{");
    key(&mut out, "allowed");
    out.push_str(if why.allowed { "true," } else { "false," });
    key(&mut out, "rule");
    write_index(&mut out, why.decided.index);
    out.push(',');
    key(&mut out, "reason");
    write_str(&mut out, &suite::decided_text(&rules, why.decided));
    out.push_str(",\"misses\":[");
    for (index, miss) in why.misses.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('{');
        key(&mut out, "rule");
        write_u64(&mut out, miss.index as u64);
        out.push(',');
        key(&mut out, "why");
        write_str(&mut out, &miss.reason.text());
        out.push('}');
    }
    out.push_str("]}");
    Ok(out)
}

/// Who gains and who loses access from the rules whose JSON text is `old`
/// to those whose JSON text is `new` (`options`: `{ users? }`, more user
/// names to report by name): `{ changes: [{ gained, access, who, user,
/// clientId, filter, except }], lines, gainsAccess, worldWritable }` as
/// JSON text; a wrong argument gives an error object.
#[wasm_bindgen(js_name = diffAccess)]
pub fn diff_access(old: JsValue, new: JsValue, options: JsValue) -> JsValue {
    match run_diff(old, new, options) {
        Ok(json) => json.into(),
        Err(error) => error_object(&error),
    }
}

/// The `users` option: an array of user names.
fn read_users(options: JsValue) -> Result<Vec<String>, Error> {
    let options = args::opt_object(options, "options")?;
    let users = Props(options.as_ref()).get("users")?;
    if args::is_absent(&users) {
        return Ok(Vec::new());
    }
    if !Array::is_array(&users) {
        return Err(invalid("users", "must be an array of user names"));
    }
    let mut names = Vec::new();
    for user in Array::from(&users).iter() {
        names.push(args::string(user, "users")?);
    }
    Ok(names)
}

fn run_diff(old: JsValue, new: JsValue, options: JsValue) -> Result<String, Error> {
    let old = read_rules_as(old, "oldRules")?;
    let new = read_rules_as(new, "newRules")?;
    let users = read_users(options)?;
    let report = diff_for(&old, &new, &users);
    Ok(cloudmqtt_access::diff_json::to_json(
        &report,
        cloudmqtt_access::diff_json::Keys::Camel,
    ))
}
