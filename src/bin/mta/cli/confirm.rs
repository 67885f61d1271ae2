//! The question `mta apply` asks before it changes anything.

use std::io::{self, BufRead, Write};

/// Asks `question` on `output` and reads one line from `input`: `y` or `yes`, in any case, is a
/// yes; anything else, an empty line or the end of input is a no.
pub fn confirm(
    input: &mut impl BufRead,
    output: &mut impl Write,
    question: &str,
) -> io::Result<bool> {
    write!(output, "{question} [y/N] ")?;
    output.flush()?;
    let mut answer = String::new();
    if input.read_line(&mut answer)? == 0 {
        writeln!(output)?;
        return Ok(false);
    }
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(typed: &str) -> (bool, String) {
        let mut shown = Vec::new();
        let yes = confirm(&mut typed.as_bytes(), &mut shown, "Apply 3 changes?").unwrap();
        (yes, String::from_utf8(shown).unwrap())
    }

    #[test]
    fn only_y_or_yes_goes_on() {
        for typed in ["y\n", "yes\n", "YES\n", " Y \n"] {
            assert!(ask(typed).0, "{typed:?}");
        }
        for typed in ["\n", "n\n", "no\n", "yess\n", "", "ok\n"] {
            assert!(!ask(typed).0, "{typed:?}");
        }
    }

    #[test]
    fn the_question_says_the_default_is_no() {
        assert_eq!(ask("n\n").1, "Apply 3 changes? [y/N] ");
    }
}
