//! A bulk step that did not happen for a row. The report keeps it as text ("tags: …"); this
//! type is the one place that writes that text and recognises it again.

use std::fmt;

use super::Step;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub step: Step,
    /// The row's tags this concerns, when its tags went out in several calls and not all
    /// of them fared alike; empty: the whole step.
    pub tags: Vec<String>,
    pub reason: String,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Tags => "tags",
            Step::Business => "business",
        }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.tags.is_empty() {
            write!(f, "{}: {}", self.step.label(), self.reason)
        } else {
            let tags = self.tags.join(", ");
            write!(f, "{} ({tags}): {}", self.step.label(), self.reason)
        }
    }
}

impl StepError {
    /// A report line that a [`StepError`] wrote.
    pub fn wrote(line: &str) -> bool {
        [Step::Tags, Step::Business].iter().any(|s| {
            line.strip_prefix(s.label())
                .is_some_and(|rest| rest.starts_with(':') || rest.starts_with(" ("))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_error_is_written_with_its_step_and_recognised_again() {
        let e = StepError {
            step: Step::Business,
            tags: Vec::new(),
            reason: "not sent: 401".into(),
        };
        assert_eq!(e.to_string(), "business: not sent: 401");
        assert!(StepError::wrote(&e.to_string()));
        assert!(!StepError::wrote("upsert: 400 Bad Request"));
        assert!(!StepError::wrote("tagsmith: something else"));
    }

    #[test]
    fn a_step_error_about_some_of_the_tags_names_them() {
        let e = StepError {
            step: Step::Tags,
            tags: vec!["vip".into(), "lead 2024".into()],
            reason: "500 Internal Server Error".into(),
        };
        assert_eq!(
            e.to_string(),
            "tags (vip, lead 2024): 500 Internal Server Error"
        );
        assert!(StepError::wrote(&e.to_string()));
    }
}
