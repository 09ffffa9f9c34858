//! Secrets and answers read from the environment, files and the terminal.

use std::io::{self, BufRead, IsTerminal};
use std::path::Path;

use cloudmqtt_api::Secret;

use crate::args::API_KEY_ENV;
use crate::failure::Failure;

/// The API key: from the file when one is named, else from the environment.
/// Surrounding whitespace (the file's trailing newline) is dropped; the core
/// checks what is left.
///
/// # Errors
/// [`Failure::Usage`] when there is no key or the file cannot be read.
pub fn api_key(file: Option<&Path>) -> Result<Secret, Failure> {
    let key = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                Failure::Usage(format!(
                    "cannot read the API key file {}: {error}",
                    path.display()
                ))
            })?;
            text.lines().next().unwrap_or_default().trim().to_owned()
        }
        None => std::env::var(API_KEY_ENV)
            .map_err(|_| {
                Failure::Usage(format!(
                    "no API key: set {API_KEY_ENV} or pass --api-key-file PATH"
                ))
            })?
            .trim()
            .to_owned(),
    };
    Ok(Secret::new(key))
}

/// A password: the first line of stdin with `from_stdin` (typed once at a
/// prompt without echo when stdin is a terminal), else typed twice at a
/// prompt that does not echo.
///
/// # Errors
/// [`Failure::Usage`] when stdin is not a terminal and `--password-stdin`
/// was not given, when the two entries differ, or when reading fails.
pub fn password(from_stdin: bool) -> Result<Secret, Failure> {
    let password = read_password(from_stdin)?;
    crate::trace::add_secret(password.expose());
    Ok(password)
}

fn read_password(from_stdin: bool) -> Result<Secret, Failure> {
    let unreadable =
        |error: io::Error| Failure::Usage(format!("cannot read the password: {error}"));
    if from_stdin {
        if io::stdin().is_terminal() {
            if !crate::terminal::prompts_allowed() {
                // A terminal without prompts (TERM=dumb): read without
                // echo, and without asking.
                return rpassword::read_password()
                    .map(Secret::new)
                    .map_err(unreadable);
            }
            // Someone is typing: say what is expected, once, without echo.
            return prompt_hidden("Password: ")
                .map(Secret::new)
                .map_err(unreadable);
        }
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(unreadable)?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        return Ok(Secret::new(line));
    }
    if !(io::stdin().is_terminal() && crate::terminal::prompts_allowed()) {
        let why = if io::stdin().is_terminal() && crate::terminal::dumb() {
            "no password: pass --password-stdin (TERM=dumb: no prompt)"
        } else {
            "no password: pass --password-stdin or run on a terminal to be asked"
        };
        return Err(Failure::Usage(why.to_owned()));
    }
    let prompt = |text: &str| prompt_hidden(text).map_err(unreadable);
    let first = prompt("Password: ")?;
    let second = prompt("Repeat password: ")?;
    if first != second {
        return Err(Failure::Usage("the passwords do not match".to_owned()));
    }
    Ok(Secret::new(first))
}

/// Shows `prompt` on the terminal and reads a line typed there without
/// echo.
///
/// Echo goes off before the prompt shows, so that nothing typed the moment
/// the prompt appears (by a fast typist, a paste, or a program driving the
/// terminal) is echoed; `rpassword` then reads the line, and the terminal
/// gets its settings back whatever happens.
pub(crate) fn prompt_hidden(prompt: &str) -> io::Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};

    /// Puts the terminal's settings back when dropped.
    struct Restore<'a> {
        tty: &'a std::fs::File,
        settings: rustix::termios::Termios,
    }
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let _ = tcsetattr(self.tty, OptionalActions::Now, &self.settings);
        }
    }

    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")?;
    let settings = tcgetattr(&tty)?;
    let mut quiet = settings.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&tty, OptionalActions::Now, &quiet)?;
    let _restore = Restore {
        tty: &tty,
        settings,
    };
    rpassword::prompt_password(prompt)
}

/// Asks a yes/no question on the terminal; only `y` or `yes` is a yes.
///
/// # Errors
/// [`Failure::Usage`] when stdin or stderr is not a terminal (there is
/// nobody to ask, so the caller must have been told `--yes`) or when the
/// answer cannot be read; [`Failure::Output`] when the question cannot be
/// written.
pub fn confirm(question: &str) -> Result<bool, Failure> {
    if !(io::stdin().is_terminal() && crate::terminal::prompts_allowed()) {
        let why = if io::stdin().is_terminal() && crate::terminal::dumb() {
            "with TERM=dumb"
        } else {
            "when not on a terminal"
        };
        return Err(Failure::Usage(format!(
            "refusing to reset without --yes {why}"
        )));
    }
    crate::output::to_stderr(|err| write!(err, "{question} [y/N] "))?;
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| Failure::Usage(format!("cannot read the answer: {error}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
