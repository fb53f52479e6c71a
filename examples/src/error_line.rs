//! How every example ends on an error: one readable line `error: ...` on stderr and a failure
//! exit code, never the `Debug` dump a `main` returning `Result` prints.

use std::error::Error;
use std::process::ExitCode;

/// Runs `body` (an example's work) and ends the program: [`ExitCode::SUCCESS`] if it succeeds;
/// otherwise `error: ` and [`one_line`] of the error on stderr, and [`ExitCode::FAILURE`].
///
/// ```
/// use qdiff_examples::error_line::run_main;
/// let code = run_main(|| Err::<(), _>("no checkpoint in out/run: run without --resume"));
/// assert_eq!(code, std::process::ExitCode::FAILURE);
/// ```
pub fn run_main<E: Into<Box<dyn Error>>>(body: impl FnOnce() -> Result<(), E>) -> ExitCode {
    match body() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&*e.into()));
            ExitCode::FAILURE
        }
    }
}

/// `error`'s message and its causes (`source()` chain) on one line, joined by `: `. A cause
/// whose text the line already holds is left out (many messages embed their source); line
/// breaks inside a message become spaces.
///
/// ```
/// use qdiff_examples::error_line::one_line;
/// let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file\nor folder");
/// assert_eq!(one_line(&io), "no such file or folder");
/// ```
pub fn one_line(error: &(dyn Error + 'static)) -> String {
    let mut line = flatten(&error.to_string());
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = flatten(&e.to_string());
        if !text.is_empty() && !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = e.source();
    }
    line
}

/// `text` with every line break (and the blanks around it) replaced by one space.
fn flatten(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with a message and an optional cause.
    #[derive(Debug)]
    struct Layer {
        message: &'static str,
        cause: Option<Box<Layer>>,
    }

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.message)
        }
    }

    impl Error for Layer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.cause.as_deref().map(|c| c as &(dyn Error + 'static))
        }
    }

    #[test]
    fn causes_join_on_one_line_without_repeats() {
        let inner = Layer { message: "permission denied", cause: None };
        let middle =
            Layer { message: "out/ckpt.bin: permission denied", cause: Some(inner.into()) };
        let outer = Layer { message: "cannot save the checkpoint", cause: Some(middle.into()) };
        assert_eq!(one_line(&outer), "cannot save the checkpoint: out/ckpt.bin: permission denied");
    }

    #[test]
    fn a_multi_line_message_becomes_one_line() {
        let e = Layer { message: "first\n\n  second  \nthird", cause: None };
        assert_eq!(one_line(&e), "first second third");
    }

    #[test]
    fn success_and_failure_exit_codes() {
        assert_eq!(run_main(|| Ok::<(), String>(())), ExitCode::SUCCESS);
        assert_eq!(run_main(|| Err::<(), _>(String::from("bad"))), ExitCode::FAILURE);
    }
}
