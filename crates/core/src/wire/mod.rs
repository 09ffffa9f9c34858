//! The wire: what the core reads from and writes to the HTTP bodies,
//! headers and URLs it handles, with nothing else of the crate.
//!
//! - [`json`]: the tolerant JSON reader of response bodies;
//! - [`text`]: the writers (JSON strings, Basic credentials, path segments,
//!   form bodies, decimal numbers) and the digit reader;
//! - [`date`]: HTTP-dates (`Retry-After`);
//! - [`canonical`]: recognising a user list already in the documented
//!   compact shape.

pub(crate) mod canonical;
pub(crate) mod date;
pub(crate) mod json;
pub(crate) mod text;
