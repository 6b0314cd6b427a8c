//! Plain-text tables and secret input for the admin commands.

use std::io::Read;

use crate::commands::CliError;

/// Prints rows under a header, columns padded to their widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// A secret given on the command line: "-" means read it from standard input (first line), so
/// it need not sit in shell history. `what` names it in errors ("password", "bot token").
pub fn secret(value: Option<String>, what: &str) -> Result<Option<String>, CliError> {
    match value.as_deref() {
        Some("-") => {
            let mut input = String::new();
            std::io::stdin().read_to_string(&mut input).map_err(|e| {
                CliError::usage(format!("cannot read the {what} from standard input: {e}"))
            })?;
            let line = input.lines().next().unwrap_or_default().to_owned();
            if line.is_empty() {
                return Err(CliError::usage(format!("standard input held no {what}")));
            }
            Ok(Some(line))
        }
        _ => Ok(value.filter(|v| !v.is_empty())),
    }
}
