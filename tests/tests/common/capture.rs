//! Captures `tracing` output as text, for checking it holds no secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// A shared buffer the subscriber writes into.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A subscriber writing every event at every level into a new buffer.
fn subscriber() -> (Captured, impl tracing::Subscriber + Send + Sync) {
    let buffer = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buffer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    (buffer, subscriber)
}

/// Runs `f` with every event at every level written to the returned buffer.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, String) {
    let (buffer, subscriber) = subscriber();
    let result = tracing::subscriber::with_default(subscriber, f);
    (result, buffer.text())
}

/// Captures every event of this thread until the guard is dropped (for
/// async tests on a current-thread runtime, whose tasks run here too).
pub fn capture_scoped() -> (Captured, tracing::subscriber::DefaultGuard) {
    let (buffer, subscriber) = subscriber();
    (buffer, tracing::subscriber::set_default(subscriber))
}
