//! The access checker for JavaScript: [`cloudmqtt_access::evaluate_at`],
//! pure and synchronous.
//!
//! The rules cross as the JSON text of the caller's array (`JSON.stringify`,
//! read by the core's tolerant rule-list parser) and the answer as one
//! number, so that the `.wasm` holds no glue of its own for either: the
//! JavaScript layer hands back the caller's own rule object.

use cloudmqtt_access::{Access, AccessQuery, evaluate_at};
use cloudmqtt_api::{Error, parse_acl_rules};
use wasm_bindgen::prelude::*;

use crate::args::{self, Props, invalid};
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

fn decide(rules: JsValue, query: JsValue) -> Result<i32, Error> {
    let query = args::object(query, "query")?;
    let props = Props(Some(&query));
    let access = match props.string("access")?.as_str() {
        "read" => Access::Read,
        "write" => Access::Write,
        _ => return Err(invalid("access", "must be \"read\" or \"write\"")),
    };
    let query = AccessQuery::new(
        props.string("username")?,
        props.opt_string("clientId")?,
        props.string("topic")?,
        access,
    );
    let rules = args::string(rules, "rules")
        .ok()
        .and_then(|text| parse_acl_rules(text.as_bytes()).ok())
        .ok_or_else(|| invalid("rules", "must be an array of rules"))?;
    let (allowed, decided) = evaluate_at(&rules, &query)?;
    Ok(
        match decided.index.and_then(|index| i32::try_from(index).ok()) {
            None => -1,
            Some(index) => index * 2 + i32::from(allowed),
        },
    )
}
