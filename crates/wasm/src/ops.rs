//! The arguments of each method, read from JavaScript into the core's
//! operations (the core validates them).

use cloudmqtt_api::{
    AclKind, CreateAclRule, CreateUser, DeleteAclRule, Error, ListUsers, NewAclRule, Secret,
    UpdatePassword, WaitTarget, validate,
};
use wasm_bindgen::JsValue;

use crate::args::{self, Props, invalid};
use crate::erased::Erased;

/// Reads an ACL rule's `type`.
pub(crate) fn acl_kind(rule: Props<'_>) -> Result<AclKind, Error> {
    let text = rule
        .string("type")
        .map_err(|_| invalid("type", "must be \"topic\" or \"pattern\""))?;
    AclKind::parse(&text)
}

/// `{ limit?, page?, query? }` of `GET /user`.
pub(crate) fn list_users(params: JsValue) -> Result<Erased, Error> {
    let params = args::opt_object(params, "params")?;
    let props = Props(params.as_ref());
    Ok(Erased::user_list(ListUsers {
        limit: props.opt_u32_in("limit", |n| validate::limit("limit", n))?,
        page: props.opt_u32_in("page", validate::page)?,
        query: props.opt_string("query")?,
    }))
}

/// `{ username, password }` of `POST /user`.
pub(crate) fn create_user(user: JsValue) -> Result<Erased, Error> {
    let user = args::object(user, "user")?;
    let props = Props(Some(&user));
    Ok(Erased::new(CreateUser {
        username: props.string("username")?,
        password: Secret::new(props.string("password")?),
    }))
}

/// The name and new password of `PUT /user/{username}`.
pub(crate) fn update_password(username: JsValue, password: JsValue) -> Result<Erased, Error> {
    Ok(Erased::new(UpdatePassword {
        username: args::string(username, "username")?,
        password: Secret::new(args::string(password, "password")?),
    }))
}

/// `{ type, username?, pattern, read, write }` of `POST /acl`.
pub(crate) fn create_acl(rule: JsValue) -> Result<Erased, Error> {
    let rule = args::object(rule, "rule")?;
    let props = Props(Some(&rule));
    let kind = acl_kind(props)?;
    let username = props.opt_string("username")?;
    let pattern = props.string("pattern")?;
    let read = props.boolean("read")?;
    let write = props.boolean("write")?;
    let rule = NewAclRule::from_parts(kind, username, pattern, read, write)?;
    Ok(Erased::new(CreateAclRule { rule }))
}

/// `{ type?, username?, topic }` of `DELETE /acl`: a user's topic rules
/// (`type` absent or `"topic"`), or the pattern rules (`type: "pattern"`,
/// no username).
pub(crate) fn delete_acl(rule: JsValue) -> Result<Erased, Error> {
    let rule = args::object(rule, "rule")?;
    let props = Props(Some(&rule));
    let kind = match props.opt_string("type")? {
        Some(text) => Some(AclKind::parse(&text)?),
        None => None,
    };
    let username = props.opt_string("username")?;
    let topic = props.string("topic")?;
    Ok(Erased::new(DeleteAclRule::from_parts(
        kind, username, topic,
    )?))
}

/// `{ type, username?, pattern }` of a rule to wait for (to exist, until
/// the wait's options say otherwise).
pub(crate) fn acl_target(rule: JsValue) -> Result<WaitTarget, Error> {
    let rule = args::object(rule, "rule")?;
    let props = Props(Some(&rule));
    let kind = acl_kind(props)?;
    let username = props.opt_string("username")?;
    let pattern = props.string("pattern")?;
    Ok(WaitTarget::Acl {
        kind: Some(kind),
        username,
        pattern,
        exists: true,
    })
}
