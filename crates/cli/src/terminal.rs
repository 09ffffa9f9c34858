//! Terminal manners: a spinner or a prompt only for a person at a capable
//! terminal.
//!
//! Progress lines and questions go to stderr, so they appear only when
//! stderr is a terminal and `TERM` is not `dumb` (an editor's shell, a CI
//! log that claims a terminal). Colour: the CLI writes none of its own;
//! clap's help and usage messages are coloured only on a terminal, and
//! never with `NO_COLOR` set or `TERM=dumb`.

use std::io::IsTerminal as _;

/// Whether `TERM` says the terminal cannot move the cursor (`dumb`).
pub fn dumb() -> bool {
    std::env::var_os("TERM").is_some_and(|term| term == "dumb")
}

/// Whether a spinner may be drawn: stderr is a terminal that is not dumb.
pub fn interactive() -> bool {
    std::io::stderr().is_terminal() && !dumb()
}

/// Whether a prompt may be shown: as for a spinner (the prompt goes to
/// stderr; the caller also checks that stdin is a terminal to answer it).
pub fn prompts_allowed() -> bool {
    interactive()
}
