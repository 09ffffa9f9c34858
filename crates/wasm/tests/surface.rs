//! The JavaScript surface is written in three places: the `MethodId` enum
//! the WebAssembly module exports (as `Method`), the methods of
//! `npm/src/client.js`, and their declarations in `npm/src/index.d.ts`;
//! the error codes in the core, `client.js` and `index.d.ts`. This test
//! fails when they disagree.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use cloudmqtt_api::ErrorCode;
use cloudmqtt_api_wasm::MethodId;

fn read(path: &str) -> String {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Every quoted string that follows `marker` in `text`.
fn quoted_after(text: &str, marker: &str) -> BTreeSet<String> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let rest = rest.strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_owned())
        })
        .collect()
}

#[test]
fn every_method_is_called_and_declared_and_no_other() {
    let client = read("npm/src/client.js");
    let types = read("npm/src/index.d.ts");
    let variants: BTreeSet<String> = MethodId::ALL
        .iter()
        .map(|method| method.names().0.to_owned())
        .collect();
    assert_eq!(variants.len(), MethodId::ALL.len(), "each variant once");
    // `#run(this, "X", ...)` is how client.js calls the module's method X
    // (`#walk(this, "X", ...)` for the walk over the user list).
    let mut called = quoted_after(&client, "#run(this, ");
    called.extend(quoted_after(&client, "#walk(this, "));
    assert_eq!(
        called, variants,
        "client.js calls exactly the module's methods"
    );
    for method in MethodId::ALL {
        let (variant, js) = method.names();
        let defined = format!("\n    {js}(");
        let body = client
            .split(&defined)
            .nth(1)
            .unwrap_or_else(|| panic!("client.js defines no {js}()"));
        let body = &body[..body.find("\n    }").unwrap_or(body.len())];
        assert!(
            body.contains(&format!("#run(this, \"{variant}\""))
                || body.contains(&format!("#walk(this, \"{variant}\"")),
            "{js}() in client.js calls {variant}: {body}"
        );
        assert!(
            types.contains(&format!("\n  {js}(")),
            "index.d.ts declares {js}()"
        );
    }
}

#[test]
fn the_error_codes_agree() {
    let core: BTreeSet<String> = ErrorCode::ALL
        .iter()
        .map(|code| code.as_str().to_owned())
        .collect();
    let client = read("npm/src/client.js");
    let set = &client[client
        .find("const CODES = new Set([")
        .expect("CODES in client.js")..];
    let set = &set[..set.find("]);").unwrap()];
    let in_client: BTreeSet<String> = quoted_after(set, "\n  ").into_iter().collect();
    assert_eq!(in_client, core, "client.js CODES");

    let types = read("npm/src/index.d.ts");
    let union = &types[types
        .find("export type ErrorCode =")
        .expect("ErrorCode in index.d.ts")..];
    let union = &union[..union.find(';').unwrap()];
    let in_types: BTreeSet<String> = quoted_after(union, "| ").into_iter().collect();
    assert_eq!(in_types, core, "index.d.ts ErrorCode");
}

/// The defaults the type declarations tell JavaScript users are the core's
/// constants, which the module uses.
#[test]
fn the_documented_defaults_are_the_cores() {
    let types = read("npm/src/index.d.ts");
    let millis = |duration: std::time::Duration| duration.as_millis();
    for expected in [
        format!("default `\"{}\"`", cloudmqtt_api::DEFAULT_BASE_URL),
        format!(
            "milliseconds; default {}.",
            millis(cloudmqtt_api::DEFAULT_ATTEMPT_TIMEOUT)
        ),
        format!("default {}, 0 disables", cloudmqtt_api::DEFAULT_MAX_RETRIES),
        format!(
            "default {}, then `WAIT_TIMEOUT`",
            millis(cloudmqtt_api::DEFAULT_WAIT_TIMEOUT)
        ),
        format!(
            "default {} (longer after a 429)",
            millis(cloudmqtt_api::DEFAULT_WAIT_INTERVAL)
        ),
        format!("(default {})", cloudmqtt_api::DEFAULT_PAGE_SIZE),
    ] {
        assert!(
            types.contains(&expected),
            "index.d.ts should say {expected:?}"
        );
    }
}
