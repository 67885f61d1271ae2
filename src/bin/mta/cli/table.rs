//! Plain text tables: left-aligned columns two spaces apart, sized to their widest cell, as the AWS
//! CLI's `--output table` and `kubectl get` print them; no colour, so that the output reads the same
//! in a terminal, a pipe or a log. The same table as CSV, for a spreadsheet or an auditor.

/// A table: a header and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<const N: usize>(header: [&str; N]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table, one line per row, each ending with a newline; no trailing spaces.
    pub fn render(&self) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate().take(columns) {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                let pad = widths[i].saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// The table as CSV: RFC 4180 (a field with a comma, a quote or a line break is quoted, a quote
    /// doubled, each record ends with CRLF), the header first. A table's `-` (nothing) is an empty
    /// field, and a field that a spreadsheet would run as a formula (one that begins with `=`, `+`,
    /// `-`, `@`, a tab or a carriage return, as OWASP's "CSV Injection" lists them) is neutralised
    /// with a leading `'`.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let fields = row.iter().map(|cell| neutralised(cell));
            // Writing to memory fails only on an allocation failure, which aborts anyway.
            let _ = writer.write_record(fields);
        }
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// A cell as a CSV field: empty for nothing, and never a formula.
fn neutralised(cell: &str) -> String {
    match cell {
        "-" => String::new(),
        _ if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let mut t = Table::new(["ACCOUNT", "ROLE"]);
        t.row(vec!["123456789012".into(), "present".into()]);
        t.row(vec!["1".into(), "—".into()]);
        assert_eq!(
            t.render(),
            "ACCOUNT       ROLE\n123456789012  present\n1             —\n"
        );
    }

    #[test]
    fn csv_quotes_as_rfc_4180_says_and_never_writes_a_formula() {
        let mut t = Table::new(["NAME", "NOTE"]);
        t.row(vec!["=HYPERLINK(\"x\")".into(), "a, b".into()]);
        t.row(vec!["-".into(), "@sum".into()]);
        t.row(vec!["-1".into(), "two\nlines".into()]);
        assert_eq!(
            t.to_csv(),
            "NAME,NOTE\r\n\"'=HYPERLINK(\"\"x\"\")\",\"a, b\"\r\n,'@sum\r\n'-1,\"two\nlines\"\r\n"
        );
    }
}
