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
}
