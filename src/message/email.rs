//! The e-mail rendering of a message: its paragraphs, each followed by a blank line; its steps,
//! numbered under [`TODO_HEADER`]; and its facts after [`FACTS_HEADER`] as one line of JSON.

use super::{Block, Body};
use std::fmt::Write;

/// The line that opens the steps.
pub const TODO_HEADER: &str = "What you need to do:";
/// The line that opens the JSON block at the end of every body.
pub const FACTS_HEADER: &str = "Facts (JSON):";

/// The e-mail text of `body`.
pub fn text(body: &Body) -> String {
    let mut out = String::new();
    for block in &body.blocks {
        match block {
            Block::Paragraph(text) => {
                let _ = writeln!(out, "{text}\n");
            }
            Block::Steps(steps) => {
                out.push_str(TODO_HEADER);
                for (i, step) in steps.iter().enumerate() {
                    let _ = write!(out, "\n  {}. {step}", i + 1);
                }
                out.push_str("\n\n");
            }
        }
    }
    let _ = write!(out, "{FACTS_HEADER}\n{}\n", body.facts);
    out
}
