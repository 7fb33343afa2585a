//! What a visitor is told about the database: whether it works, whether
//! the fallback is in use, and why, in a few fixed words. Each one is
//! chosen by a variant of dbsettings' public types (the fallback reason,
//! the health state, the error kind), never built from their messages: a
//! host, port, database or application name, a file path, a parameter or
//! what the server said cannot reach a visitor through here. The owner
//! sees the messages themselves (see [`crate::access`]).

use dbsettings::resolution::FallbackReason;
use dbsettings::{DatabaseErrorKind, HealthState};

/// Why the fallback database is in use.
pub(crate) fn fallback_reason(reason: &FallbackReason) -> &'static str {
    match reason {
        FallbackReason::Missing { .. } => "no database URL is set",
        FallbackReason::Rejected { .. } => "the database URL was rejected",
        FallbackReason::Unreadable { .. } => "the database URL could not be read",
        FallbackReason::Unreachable { .. } => "the configured database could not be reached",
        _ => "the database URL could not be used",
    }
}

/// What went wrong with the database, by the kind dbsettings gives it.
pub(crate) fn error_kind(kind: DatabaseErrorKind) -> &'static str {
    use DatabaseErrorKind as K;
    match kind {
        K::Refused | K::Timeout | K::Silent | K::Dns | K::NoSuitableHost => {
            "the database is not answering"
        }
        K::Io => "the database could not be reached or opened",
        K::Auth | K::Credentials => "the database refused the service's credentials",
        K::Tls => "the secure connection to the database failed",
        K::DatabaseMissing => "the configured database does not exist",
        K::NotReady | K::TooManyConnections | K::Locked => "the database is busy or starting up",
        K::Migration => "the database's schema could not be brought up to date",
        _ => "the database reported an error",
    }
}

/// Why the database is not ready, by its health state; `None` when it is up.
pub(crate) fn health_state(state: &HealthState) -> Option<&'static str> {
    match state {
        HealthState::Up => None,
        HealthState::Migrating { .. } => Some("the database's schema is being brought up to date"),
        HealthState::Down { kind, .. } => Some(error_kind(*kind)),
        _ => Some("the database is not ready yet"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_fixed_words() {
        use DatabaseErrorKind as K;
        for (kind, words) in [
            (K::Refused, "the database is not answering"),
            (K::Dns, "the database is not answering"),
            (K::Timeout, "the database is not answering"),
            (K::Auth, "the database refused the service's credentials"),
            (K::Tls, "the secure connection to the database failed"),
            (K::DatabaseMissing, "the configured database does not exist"),
            (
                K::Migration,
                "the database's schema could not be brought up to date",
            ),
            (K::Other, "the database reported an error"),
        ] {
            assert_eq!(error_kind(kind), words, "{kind:?}");
        }
    }

    #[test]
    fn a_down_state_says_its_kind_and_never_its_message() {
        let state = HealthState::Down {
            kind: DatabaseErrorKind::Refused,
            error: "connection to 127.0.0.1:1/prod_customers (billing-svc) refused".to_owned(),
        };
        assert_eq!(health_state(&state), Some("the database is not answering"));
        let state = HealthState::Migrating {
            detail: "waiting for the lock held by other_replica".to_owned(),
        };
        assert_eq!(
            health_state(&state),
            Some("the database's schema is being brought up to date")
        );
        assert_eq!(health_state(&HealthState::Up), None);
    }
}
