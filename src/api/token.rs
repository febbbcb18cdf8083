//! The API token. It unlocks every contact of a business, so it is never printed: `Debug` and
//! `Display` redact it and the only way out is `expose`, used when building the header.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Trims surrounding whitespace (a token file usually ends in a newline). `None` when empty.
    pub fn new(raw: impl Into<String>) -> Option<Token> {
        let raw = raw.into();
        let t = raw.trim();
        (!t.is_empty()).then(|| Token(t.to_owned()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The token, or why it cannot be sent ([`Token::unsendable`]).
    pub fn sendable(self) -> Result<Token, String> {
        match self.unsendable() {
            Some(why) => Err(why),
            None => Ok(self),
        }
    }

    /// What keeps the token from being sent as `Authorization: Bearer …`, if anything: a
    /// token is one line of visible ASCII. Caught at start-up, a pasted line break or curly
    /// quote is one clear error instead of every request failing. Says where, never what.
    pub fn unsendable(&self) -> Option<String> {
        let quoted = |q: char| self.0.len() > 1 && self.0.starts_with(q) && self.0.ends_with(q);
        if quoted('"') || quoted('\'') {
            return Some(
                "it is in quotes, copied along from a shell or a config file: put only the token there"
                    .into(),
            );
        }
        if let Some(name) = assignment(&self.0) {
            return Some(format!(
                "it starts with `{name}=`, a shell assignment copied with the token: put only the token there"
            ));
        }
        let (at, c) = self
            .0
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic())?;
        let what = match c {
            '\n' | '\r' => "a line break",
            ' ' => "a space",
            '\t' => "a tab",
            c if c.is_control() => "a control character",
            _ => "a character that is not ASCII (a curly quote or dash from copying?)",
        };
        Some(format!(
            "it holds {what} at character {}; tokens and secrets are one line of letters, digits and punctuation: put nothing else there",
            at + 1
        ))
    }
}

/// The variable name of a pasted `GHL_TOKEN=…` or `export API_KEY=…` line. Only upper-case
/// names holding TOKEN, KEY or SECRET: a token's own base64 padding (`…Zm9v=`) is not one.
fn assignment(t: &str) -> Option<&str> {
    let t = t.strip_prefix("export").unwrap_or(t).trim_start();
    let (name, _) = t.split_once('=')?;
    let shaped = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let named = ["TOKEN", "KEY", "SECRET"].iter().any(|w| name.contains(w));
    (shaped && named).then_some(name)
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_the_secret() {
        let t = Token::new(" pit-abc123secret\n").unwrap();
        assert_eq!(t.expose(), "pit-abc123secret");
        assert!(!format!("{t:?} {t} {:?}", Some(&t)).contains("abc123"));
        assert!(Token::new("  \n").is_none());
    }

    #[test]
    fn a_pasted_shell_assignment_is_refused_by_its_name_never_its_value() {
        for line in [
            "GHL_TOKEN=pit-abc123",
            "export GHL_TOKEN=pit-abc123",
            "API_KEY=x",
        ] {
            let why = Token::new(line).unwrap().unsendable().unwrap();
            assert!(
                why.contains("shell assignment") && !why.contains("abc123"),
                "{why}"
            );
        }
        for quoted in ["\"pit-abc123\"", "'pit-abc123'"] {
            let why = Token::new(quoted).unwrap().unsendable().unwrap();
            assert!(
                why.contains("in quotes") && !why.contains("abc123"),
                "{why}"
            );
        }
        for token in [
            "pit-abc=",
            "Zm9vYmFy==",
            "eyJhbGciOiJIUzI1NiJ9.e30.x",
            "TOKENISH",
        ] {
            assert_eq!(Token::new(token).unwrap().unsendable(), None, "{token}");
        }
    }

    #[test]
    fn unsendable_tokens_are_named_by_where_not_what() {
        assert_eq!(Token::new("pit-abc_123.x~Z").unwrap().unsendable(), None);
        let two_lines = Token::new("pit-abc\nsecret").unwrap().unsendable().unwrap();
        assert!(
            two_lines.contains("a line break at character 8"),
            "{two_lines}"
        );
        let quoted = Token::new("\u{201c}pit-abc\u{201d}")
            .unwrap()
            .unsendable()
            .unwrap();
        assert!(
            quoted.contains("not ASCII") && quoted.contains("character 1"),
            "{quoted}"
        );
        for t in ["pit abc", "pit\tabc", "pit\u{7f}abc"] {
            let m = Token::new(t).unwrap().unsendable().unwrap();
            assert!(!m.contains("pit") && !m.contains("abc"), "{m}");
        }
        // Every token this accepts makes a header.
        let ok = Token::new("pit-0123456789abcdefABCDEF!#$%&'*+-.^_`|~").unwrap();
        assert_eq!(ok.unsendable(), None);
        assert!(reqwest::header::HeaderValue::from_str(&format!("Bearer {}", ok.expose())).is_ok());
    }
}
