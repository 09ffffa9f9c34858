//! The declarative layer: access kept as code.
//!
//! - [`desired`] (with the `access-file` feature): reading an access file
//!   into a [`DesiredAccess`];
//! - [`cases`] (with the `access-file` feature): reading rule test files;
//! - [`plan`](mod@plan): the pure difference between desired and actual
//!   access ([`plan()`](plan::plan)), nothing sent;
//! - [`read`]: the [`ReadServer`](read::ReadServer) machine, which reads
//!   the actual access a plan starts from;
//! - [`apply`]: the [`Apply`](apply::Apply) machine, which carries a plan
//!   out;
//! - [`scope`]: what an access file owns (`[scope]`), and the part of the
//!   server a plan may touch;
//! - [`target`]: limiting a plan to some users and rules (`--target`);
//! - [`saved`]: plans saved as versioned JSON, and the check that the
//!   server has not changed since;
//! - [`versions`]: password versions, so that a password is set when its
//!   version is bumped, one user at a time.
//!
//! [`DesiredAccess`]: plan::DesiredAccess

pub mod apply;
#[cfg(feature = "access-file")]
pub mod cases;
#[cfg(feature = "access-file")]
pub mod desired;
pub mod plan;
pub mod read;
pub mod saved;
pub mod scope;
pub mod target;
pub mod versions;
