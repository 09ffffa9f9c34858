//! Property tests: no input makes a parser panic, and every valid user name
//! encodes to exactly one path segment that decodes back.

use cloudmqtt_api::{
    ApiConfig, Error, GetUser, Operation, Response, RetryAfter, encode_path_segment,
    parse_acl_rules, parse_user_info, parse_users, validate,
};
use proptest::prelude::*;

fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z%/#+]{0,8}".prop_map(|s| format!("{s:?}")),
    ];
    let value = leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("username"),
                        Just("user"),
                        Just("items"),
                        Just("acls"),
                        Just("topic"),
                        Just("pattern"),
                        Just("type"),
                        Just("read"),
                        Just("write"),
                        Just("error"),
                        Just("errors"),
                        Just("message")
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|fields| {
                let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                format!("{{{}}}", body.join(","))
            }),
        ]
    });
    value.prop_map(String::into_bytes)
}

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..512), json_like()]
}

proptest! {
    #[test]
    fn parsers_never_panic(body in bodies(), status in 100u16..600, retry_after in ".{0,40}") {
        let _ = parse_users(&body);
        let _ = parse_acl_rules(&body);
        let _ = parse_user_info(&body, "u");
        let _ = RetryAfter::parse(&retry_after);
        let response = Response::new(
            status,
            vec![("retry-after".into(), retry_after), ("content-type".into(), "text/html".into())],
            body,
        );
        let error = Error::from_response(&response);
        let _ = error.to_string();
        let _ = GetUser { username: "u".into() }.parse_response(&response);
    }

    #[test]
    fn valid_usernames_stay_one_segment(name in "\\PC{1,40}") {
        prop_assume!(validate::username(&name).is_ok());
        let segment = encode_path_segment(&name);
        prop_assert!(!segment.contains('/'));
        prop_assert!(!segment.contains('?') && !segment.contains('#'));
        prop_assert!(segment != "." && segment != "..");
        let decoded = percent_encoding::percent_decode_str(&segment).decode_utf8().unwrap();
        prop_assert_eq!(decoded.as_ref(), name.as_str());
        let config = ApiConfig::new("k").unwrap();
        let request = GetUser { username: name.clone() }.build_request(&config).unwrap();
        let path = request.url.strip_prefix("https://api.cloudmqtt.com/api/user/").unwrap();
        prop_assert_eq!(path, segment);
    }

    #[test]
    fn topic_filter_validation_never_panics(filter in ".{0,64}") {
        let _ = validate::topic_filter("pattern", &filter);
    }
}
