//! User-facing diagnostics: an error or warning with a stable code, a message, an optional source
//! span and notes, rendered as `error[code]: message` followed by `--> file:line:col` and a code
//! frame (annotate-snippets). The source map keeps the text of every file the compiler read, so a
//! diagnostic raised from any stage can show where in the script it comes from.

use crate::loc::Loc;
use annotate_snippets::{Level, Renderer, Snippet};
use std::fmt;

/// A byte range in one file of the source map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: u32,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: u32, start: usize, end: usize) -> Span {
        Span { file, start, end: end.max(start) }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span { file: self.file, start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A diagnostic for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable code, e.g. `E0101`; the README lists them.
    pub code: &'static str,
    pub message: String,
    pub span: Option<Span>,
    /// Text under the caret.
    pub label: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            label: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    pub fn with_span(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// One file the compiler read.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// The files of a compilation, addressed by index.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file and returns its index.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> u32 {
        self.files.push(SourceFile { name: name.into(), text: text.into() });
        (self.files.len() - 1) as u32
    }

    pub fn file(&self, id: u32) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }

    pub fn find(&self, name: &str) -> Option<u32> {
        self.files.iter().position(|f| f.name == name).map(|i| i as u32)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: u32, offset: usize) -> (u32, u32) {
        let Some(f) = self.file(file) else {
            return (1, 1);
        };
        let offset = clamp_to_char_boundary(&f.text, offset);
        let before = &f.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |p| p + 1);
        let col = before[line_start..].chars().count() + 1;
        (line as u32, col as u32)
    }

    /// The IR location of a span's start (file index of the source map).
    pub fn loc_of(&self, span: Span) -> Loc {
        let (line, col) = self.line_col(span.file, span.start);
        Loc::new(span.file, line, col)
    }

    /// The one-character span at an IR location, if the location's file is in the map.
    /// `files` is the module's file table (its indices may differ from the source map's).
    pub fn span_of_loc(&self, loc: &Loc, files: &[String]) -> Option<Span> {
        let (file, line, col) = loc.first_position()?;
        let name = files.get(file as usize)?;
        let id = self.find(name)?;
        let text = &self.file(id)?.text;
        let line_start =
            if line <= 1 { 0 } else { text.match_indices('\n').nth(line as usize - 2).map(|(i, _)| i + 1)? };
        let offset: usize = text[line_start..]
            .char_indices()
            .nth(col.saturating_sub(1) as usize)
            .map_or(text.len(), |(i, _)| line_start + i);
        let end = text[offset..].chars().next().map_or(offset, |c| offset + c.len_utf8());
        Some(Span::new(id, offset, end))
    }

    /// Renders a diagnostic: `error[E0101]: message`, `--> file:line:col`, a code frame with the
    /// span underlined, then the notes.
    pub fn render(&self, d: &Diagnostic) -> String {
        let level = match d.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        };
        let mut msg = level.title(&d.message).id(d.code);
        let span_file = d.span.and_then(|s| self.file(s.file).map(|f| (s, f)));
        if let Some((span, file)) = span_file {
            let start = clamp_to_char_boundary(&file.text, span.start);
            let mut end = clamp_to_char_boundary(&file.text, span.end.max(start));
            if end == start {
                // Point at one character (or at the end of the file).
                end = file.text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
            }
            let label = d.label.as_deref().unwrap_or("");
            msg = msg.snippet(
                Snippet::source(&file.text)
                    .origin(&file.name)
                    .fold(true)
                    .annotation(level.span(start..end).label(label)),
            );
        }
        for n in &d.notes {
            msg = msg.footer(Level::Note.title(n));
        }
        Renderer::plain().render(msg).to_string()
    }
}

fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_col_and_frame() {
        let mut sm = SourceMap::new();
        let f = sm.add("s.daph", "x = 1;\ny = foo(x);\n");
        let d = Diagnostic::error("E0201", "unknown function `foo`")
            .with_span(Span::new(f, 11, 14))
            .with_label("not defined");
        let out = sm.render(&d);
        assert!(out.contains("error[E0201]: unknown function `foo`"), "{out}");
        assert!(out.contains("--> s.daph:2:5"), "{out}");
        assert!(out.contains("y = foo(x);"), "{out}");
        assert!(out.contains("^^^ not defined"), "{out}");
    }

    #[test]
    fn loc_and_span_round_trip() {
        let mut sm = SourceMap::new();
        let f = sm.add("a.daph", "ab\ncdé f\n");
        let span = Span::new(f, 8, 9);
        let loc = sm.loc_of(span);
        assert_eq!(loc, Loc::new(f, 2, 5));
        assert_eq!(sm.span_of_loc(&loc, &["a.daph".to_string()]), Some(Span::new(f, 8, 9)));
    }

    #[test]
    fn spans_out_of_range_do_not_panic() {
        let mut sm = SourceMap::new();
        let f = sm.add("a.daph", "é");
        let out = sm.render(&Diagnostic::error("E0001", "x").with_span(Span::new(f, 1, 99)));
        assert!(out.contains("a.daph"));
    }
}
