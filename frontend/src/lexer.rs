//! The DaphneDSL lexer: turns source text into tokens with byte spans, following the token rules of
//! DAPHNE's ANTLR grammar (longest match; keywords, data-type and value-type words are reserved;
//! digit separators `_` and `'`; `nan`/`inf` are float literals; three comment styles).

use daphne_ir::diag::{Diagnostic, Span};

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    /// An integer literal: digits without separators, and its suffix (`""`, `l`, `u`, `ull`, `z`).
    Int {
        digits: String,
        suffix: &'static str,
    },
    /// A float literal: text without separators and suffix, and whether it had the `f` suffix.
    Float {
        text: String,
        single: bool,
    },
    Str(String),
    /// `matrix`, `scalar`, `frame`.
    DataType(&'static str),
    /// `f64`, `si8`, `str`, `bool`, ...
    ValueType(&'static str),
    /// `if else while do for in true false as def return import`.
    Keyword(&'static str),
    /// Punctuation and operators: `( ) [ ] { } , ; : :: . = == != < <= > >= + - * / % ^ @ && || ? -> $`.
    Punct(&'static str),
    Eof,
}

impl Tok {
    /// How the token reads in messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier `{s}`"),
            Tok::Int { digits, suffix } => format!("integer `{digits}{suffix}`"),
            Tok::Float { text, single } => {
                format!("float `{text}{}`", if *single { "f" } else { "" })
            }
            Tok::Str(_) => "string literal".to_string(),
            Tok::DataType(s) | Tok::ValueType(s) | Tok::Keyword(s) => format!("keyword `{s}`"),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Eof => "end of file".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

const KEYWORDS: &[&str] = &["if", "else", "while", "do", "for", "in", "true", "false", "as", "def", "return", "import"];
const DATA_TYPES: &[&str] = &["matrix", "scalar", "frame"];
const VALUE_TYPES: &[&str] = &["f64", "f32", "si64", "si32", "si8", "ui64", "ui32", "ui8", "str", "bool"];
const PUNCTS: &[&str] = &[
    "::", "==", "!=", "<=", ">=", "&&", "||", "->", "(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "=", "<", ">",
    "+", "-", "*", "/", "%", "^", "@", "?", "$",
];

/// Lexes a whole file. Lexical errors are reported and skipped, so parsing can go on.
pub fn lex(file: u32, src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer { file, src: src.as_bytes(), text: src, pos: 0, tokens: Vec::new(), diags: Vec::new() };
    lx.run();
    (lx.tokens, lx.diags)
}

struct Lexer<'a> {
    file: u32,
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_sep(b: u8) -> bool {
    b == b'_' || b == b'\''
}

impl Lexer<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.src.get(i).copied()
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn push(&mut self, tok: Tok, start: usize) {
        let span = self.span(start, self.pos);
        self.tokens.push(Token { tok, span });
    }

    fn error(&mut self, code: &'static str, msg: impl Into<String>, start: usize, end: usize) {
        let span = self.span(start, end);
        self.diags.push(Diagnostic::error(code, msg).with_span(span));
    }

    fn run(&mut self) {
        while self.pos < self.src.len() {
            let b = self.src[self.pos];
            let start = self.pos;
            if b.is_ascii_whitespace() {
                self.pos += 1;
            } else if b == b'#' || (b == b'/' && self.at(self.pos + 1) == Some(b'/')) {
                while self.pos < self.src.len() && self.src[self.pos] != b'\n' && self.src[self.pos] != b'\r' {
                    self.pos += 1;
                }
            } else if b == b'/' && self.at(self.pos + 1) == Some(b'*') {
                match self.text[self.pos + 2..].find("*/") {
                    Some(end) => self.pos += 2 + end + 2,
                    None => {
                        self.error("E0003", "unterminated block comment", start, start + 2);
                        self.pos = self.src.len();
                    }
                }
            } else if b.is_ascii_digit() {
                self.number();
            } else if is_ident_start(b) {
                self.word();
            } else if b == b'"' {
                self.string();
            } else if let Some(p) = PUNCTS.iter().find(|p| self.src[self.pos..].starts_with(p.as_bytes())) {
                self.pos += p.len();
                self.push(Tok::Punct(p), start);
            } else {
                let ch = self.text[self.pos..].chars().next().map_or(1, char::len_utf8);
                self.pos += ch;
                let shown = &self.text[start..self.pos];
                let hint = if shown == "!" { " (DaphneDSL has no `!` operator; compare with `== false`)" } else { "" };
                self.error("E0001", format!("unexpected character `{shown}`{hint}"), start, self.pos);
            }
        }
        let end = self.src.len();
        self.tokens.push(Token { tok: Tok::Eof, span: self.span(end, end) });
    }

    fn word(&mut self) {
        let start = self.pos;
        while self.at(self.pos).is_some_and(is_ident_char) {
            self.pos += 1;
        }
        let w = &self.text[start..self.pos];
        let tok = if let Some(k) = KEYWORDS.iter().find(|k| **k == w) {
            Tok::Keyword(k)
        } else if let Some(d) = DATA_TYPES.iter().find(|d| **d == w) {
            Tok::DataType(d)
        } else if let Some(v) = VALUE_TYPES.iter().find(|v| **v == w) {
            Tok::ValueType(v)
        } else if matches!(w, "nan" | "inf") {
            Tok::Float { text: w.to_string(), single: false }
        } else if matches!(w, "nanf" | "inff") {
            Tok::Float { text: w[..3].to_string(), single: true }
        } else {
            Tok::Ident(w.to_string())
        };
        self.push(tok, start);
    }

    /// Digits with optional single separators between them, starting at `self.pos`; returns the
    /// digits without separators. `first_nonzero` demands the DAPHNE rule `0 | [1-9]([_']?[0-9])*`.
    fn digit_run(&mut self, integral_part: bool) -> String {
        let mut digits = String::new();
        if integral_part && self.at(self.pos) == Some(b'0') {
            self.pos += 1;
            return "0".into();
        }
        while let Some(b) = self.at(self.pos) {
            if b.is_ascii_digit() {
                digits.push(b as char);
                self.pos += 1;
            } else if is_sep(b) && !digits.is_empty() && self.at(self.pos + 1).is_some_and(|n| n.is_ascii_digit()) {
                self.pos += 1;
            } else {
                break;
            }
        }
        digits
    }

    fn number(&mut self) {
        let start = self.pos;
        let int_part = self.digit_run(true);
        let mut text = int_part.clone();
        let mut is_float = false;
        // Fraction: '.' DIGIT+ ([_']? DIGIT)*
        if self.at(self.pos) == Some(b'.') && self.at(self.pos + 1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            // The fraction may start with zeros, so it is not an "integral part".
            let frac = self.digit_run(false);
            text.push('.');
            text.push_str(&frac);
            is_float = true;
        }
        // Exponent: [eE] [+-]? ('0' | [1-9] DIGIT*)
        if matches!(self.at(self.pos), Some(b'e' | b'E')) {
            let mut p = self.pos + 1;
            let mut sign = String::new();
            if matches!(self.at(p), Some(b'+' | b'-')) {
                sign.push(self.src[p] as char);
                p += 1;
            }
            if self.at(p).is_some_and(|b| b.is_ascii_digit()) {
                let mut exp = String::new();
                if self.at(p) == Some(b'0') {
                    exp.push('0');
                    p += 1;
                } else {
                    while self.at(p).is_some_and(|b| b.is_ascii_digit()) {
                        exp.push(self.src[p] as char);
                        p += 1;
                    }
                }
                self.pos = p;
                text.push('e');
                text.push_str(&sign);
                text.push_str(&exp);
                is_float = true;
            }
        }
        if is_float {
            let single = self.at(self.pos) == Some(b'f');
            if single {
                self.pos += 1;
            }
            self.push(Tok::Float { text, single }, start);
            return;
        }
        let suffix = if self.src[self.pos..].starts_with(b"ull") {
            "ull"
        } else {
            match self.at(self.pos) {
                Some(b'l') => "l",
                Some(b'u') => "u",
                Some(b'z') => "z",
                _ => "",
            }
        };
        self.pos += suffix.len();
        self.push(Tok::Int { digits: int_part, suffix }, start);
    }

    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(b) = self.at(self.pos) else {
                self.error("E0002", "unterminated string literal", start, start + 1);
                return;
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    let esc = self.at(self.pos + 1);
                    let c = match esc {
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        _ => {
                            let len = self.text[self.pos + 1..].chars().next().map_or(0, char::len_utf8);
                            self.error(
                                "E0004",
                                "invalid escape sequence (allowed: \\b \\f \\n \\r \\t \\\" \\\\)",
                                self.pos,
                                self.pos + 1 + len,
                            );
                            self.pos += 1 + len;
                            continue;
                        }
                    };
                    value.push(c);
                    self.pos += 2;
                }
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('\u{fffd}');
                    value.push(ch);
                    self.pos += ch.len_utf8().max(1);
                }
            }
        }
        self.push(Tok::Str(value), start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        let (t, d) = lex(0, src);
        assert!(d.is_empty(), "{d:?}");
        t.into_iter().map(|t| t.tok).filter(|t| *t != Tok::Eof).collect()
    }

    #[test]
    fn numbers_follow_daphne_rules() {
        assert_eq!(toks("1_000"), vec![Tok::Int { digits: "1000".into(), suffix: "" }]);
        assert_eq!(toks("1'000ull"), vec![Tok::Int { digits: "1000".into(), suffix: "ull" }]);
        assert_eq!(toks("1.000_1"), vec![Tok::Float { text: "1.0001".into(), single: false }]);
        assert_eq!(toks("1e6f"), vec![Tok::Float { text: "1e6".into(), single: true }]);
        assert_eq!(toks("3.5e-2"), vec![Tok::Float { text: "3.5e-2".into(), single: false }]);
        // `1.` is an integer followed by a dot; `0123` is `0` then `123`.
        assert_eq!(toks("1."), vec![Tok::Int { digits: "1".into(), suffix: "" }, Tok::Punct(".")]);
        assert_eq!(
            toks("0123"),
            vec![Tok::Int { digits: "0".into(), suffix: "" }, Tok::Int { digits: "123".into(), suffix: "" }]
        );
        assert_eq!(
            toks("nan inff"),
            vec![Tok::Float { text: "nan".into(), single: false }, Tok::Float { text: "inf".into(), single: true }]
        );
    }

    #[test]
    fn words_and_comments() {
        assert_eq!(
            toks("as.matrix<f64> # c\n // d\n /* e */ nanx"),
            vec![
                Tok::Keyword("as"),
                Tok::Punct("."),
                Tok::DataType("matrix"),
                Tok::Punct("<"),
                Tok::ValueType("f64"),
                Tok::Punct(">"),
                Tok::Ident("nanx".into())
            ]
        );
    }

    #[test]
    fn strings_and_errors() {
        assert_eq!(toks(r#""a\n\"b""#), vec![Tok::Str("a\n\"b".into())]);
        let (_, d) = lex(0, "\"abc");
        assert_eq!(d[0].code, "E0002");
        let (_, d) = lex(0, "x = !y;");
        assert_eq!(d[0].code, "E0001");
        let (_, d) = lex(0, "\"\\q\"");
        assert_eq!(d[0].code, "E0004");
    }
}
