//! Collects every error of one derive, so the user sees them all at once.
//!
//! As in serde's `Ctxt`, the errors must be taken with [`Ctxt::finish`]: a
//! context dropped with its errors unread panics, because those errors would
//! otherwise vanish and the derive would emit code for a broken input.

use core::cell::RefCell;
use core::fmt::Display;
use proc_macro2::Span;

pub(crate) struct Ctxt {
    /// `None` once `finish` has taken the errors.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    pub(crate) fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("errors pushed after Ctxt::finish")
            .push(error);
    }

    pub(crate) fn error(&self, span: Span, message: impl Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Takes the errors, all combined into one `syn::Error`.
    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        let mut errors = errors.into_iter();
        let Some(mut all) = errors.next() else {
            return Ok(());
        };
        for e in errors {
            all.combine(e);
        }
        Err(all)
    }
}

/// Where `span` starts, as "at line 5, column 22", for a message that must
/// name a second place: one `syn::Error` carries one span, and rustc counts
/// each combined error as a separate error. Outside the compiler (unit tests)
/// positions are unknown, and the place is only "earlier".
pub(crate) fn located(span: Span) -> String {
    if proc_macro::is_available() {
        let span = span.unwrap();
        format!("at line {}, column {}", span.line(), span.column())
    } else {
        "earlier".to_owned()
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        assert!(
            std::thread::panicking() || self.errors.borrow().is_none(),
            "forgot to check for errors"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Ctxt;
    use proc_macro2::Span;

    #[test]
    fn finish_returns_every_error_in_order() {
        let cx = Ctxt::new();
        cx.error(Span::call_site(), "first");
        cx.error(Span::call_site(), "second");
        let messages: Vec<_> = cx
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages, ["first", "second"]);
    }

    #[test]
    fn finish_without_errors_is_ok() {
        assert!(Ctxt::new().finish().is_ok());
    }

    #[test]
    #[should_panic(expected = "forgot to check for errors")]
    fn dropped_unchecked_panics() {
        let cx = Ctxt::new();
        cx.error(Span::call_site(), "lost");
        drop(cx);
    }
}
