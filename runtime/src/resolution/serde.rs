//! `serde::Serialize` for the resolution (feature `serde`): what a deploy
//! script or a health dashboard reads. Each reason, repair and warning is an
//! object tagged by a snake-case `kind`, with its human `message` (the
//! `Display` text) beside it. Only what `Display` shows is serialized: no
//! password, no value.

use core::fmt::Display;
use std::io;
use std::path::Path;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use crate::Backend;
use crate::resolution::{Candidate, FallbackReason, Location, Resolution};

/// A path as text; one that is not UTF-8 is shown lossily rather than
/// failing the whole report.
pub(super) fn path<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.to_string_lossy())
}

#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
pub(super) fn backend<S: Serializer>(b: &Backend, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(b.name())
}

#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
pub(super) fn error_kind<S: Serializer>(
    k: &crate::DatabaseErrorKind,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.name())
}

/// A duration as its debug text (`1.5s`, `100ms`), as the settings show it.
pub(super) fn duration<S: Serializer>(d: &core::time::Duration, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{d:?}"))
}

/// The OS error kind as Rust names it (`NotFound`, `PermissionDenied`).
#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
pub(super) fn io_kind<S: Serializer>(k: &io::ErrorKind, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{k:?}"))
}

/// `{"kind": "file", "path": "/data/app.db"}` or `{"kind": "memory"}`.
impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::File(p) => {
                let mut st = s.serialize_struct("Location", 2)?;
                st.serialize_field("kind", "file")?;
                st.serialize_field("path", &p.to_string_lossy())?;
                st.end()
            }
            Self::Memory => {
                let mut st = s.serialize_struct("Location", 1)?;
                st.serialize_field("kind", "memory")?;
                st.end()
            }
        }
    }
}

/// An item's own fields (its `kind` and data) with its `Display` text.
#[derive(Serialize)]
pub(crate) struct Described<'a, T: Serialize> {
    #[serde(flatten)]
    item: &'a T,
    message: String,
}

impl<'a, T: Serialize + Display> Described<'a, T> {
    pub(crate) fn new(item: &'a T) -> Self {
        Self {
            message: item.to_string(),
            item,
        }
    }
}

/// The fallback reason, its message and hint, and the layer that stopped
/// the value (1 presence ... 5 driver; none for an unreachable database,
/// which passed them all).
#[derive(Serialize)]
struct Reason<'a> {
    #[serde(flatten)]
    item: &'a FallbackReason,
    message: String,
    hint: Option<String>,
    layer: Option<u8>,
}

impl<'a> Reason<'a> {
    fn new(reason: &'a FallbackReason) -> Self {
        Self {
            message: reason.to_string(),
            hint: reason.hint(),
            layer: stopped_at(reason),
            item: reason,
        }
    }
}

/// The layer a fallback reason stopped at; `None` when every layer passed.
pub(crate) fn stopped_at(reason: &FallbackReason) -> Option<u8> {
    match reason {
        FallbackReason::Missing { .. } | FallbackReason::Unreadable { .. } => Some(1),
        FallbackReason::Rejected { rejection, .. } => Some(rejection.layer()),
        FallbackReason::Unreachable { .. } => None,
    }
}

/// A fallback candidate: its fields, whether it was chosen, and why it was
/// skipped in words.
#[derive(Serialize)]
struct Tried<'a> {
    #[serde(flatten)]
    candidate: &'a Candidate,
    chosen: bool,
    message: String,
}

impl Serialize for Resolution {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let normalizations: Vec<_> = self
            .normalizations
            .iter()
            .map(|n| NormalizationOut {
                warning: n.is_warning(),
                described: Described::new(n),
            })
            .collect();
        let warnings: Vec<_> = self.warnings.iter().map(Described::new).collect();
        let candidates: Vec<_> = self
            .candidates
            .iter()
            .map(|c| Tried {
                chosen: c.skipped.is_none(),
                message: match &c.skipped {
                    None => format!("{} at {}: chosen", c.kind, c.location),
                    Some(skip) => format!("{} at {}: {skip}", c.kind, c.location),
                },
                candidate: c,
            })
            .collect();
        let mut st = s.serialize_struct("Resolution", 13)?;
        st.serialize_field("backend", self.backend.name())?;
        st.serialize_field(
            "fallback",
            &(self.origin == crate::resolution::Origin::Fallback),
        )?;
        st.serialize_field("origin", &Described::new(&self.origin))?;
        st.serialize_field(
            "fallback_reason",
            &self.fallback_reason.as_ref().map(Reason::new),
        )?;
        st.serialize_field("normalizations", &normalizations)?;
        st.serialize_field("warnings", &warnings)?;
        st.serialize_field("location", &self.location)?;
        st.serialize_field("candidates", &candidates)?;
        st.serialize_field("pooler", &self.pooler.as_ref().map(Described::new))?;
        st.serialize_field("hosts", &self.hosts)?;
        st.serialize_field("session_attrs", self.session_attrs.name())?;
        st.serialize_field("settings", &self.settings)?;
        st.serialize_field("text", &self.to_string())?;
        st.end()
    }
}

#[derive(Serialize)]
struct NormalizationOut<'a> {
    #[serde(flatten)]
    described: Described<'a, crate::resolution::Normalization>,
    warning: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolution::{
        CandidateKind, Component, Normalization, Origin, Rejection, Skip, Warning,
    };

    fn resolution() -> Resolution {
        Resolution {
            origin: Origin::Fallback,
            backend: Backend::Sqlite,
            fallback_reason: Some(FallbackReason::Rejected {
                var: "DATABASE_URL".into(),
                rejection: Rejection::PasswordNeedsEncoding { character: '#' },
            }),
            normalizations: vec![
                Normalization::Unquoted,
                Normalization::DriverSuffix {
                    driver: "asyncpg".into(),
                },
            ],
            warnings: vec![Warning::UnknownParameters { count: 2 }],
            location: Some(Location::File("/srv/app.db".into())),
            candidates: vec![
                Candidate {
                    kind: CandidateKind::PersistentData,
                    location: Location::File("/data/app.db".into()),
                    skipped: Some(Skip::NotWritable {
                        kind: io::ErrorKind::PermissionDenied,
                    }),
                },
                Candidate {
                    kind: CandidateKind::Attribute,
                    location: Location::File("/srv/app.db".into()),
                    skipped: None,
                },
            ],
            pooler: None,
            hosts: Vec::new(),
            session_attrs: crate::resolution::SessionAttrs::Any,
            settings: Vec::new(),
        }
    }

    #[test]
    fn a_fallback_serializes_with_kinds_messages_and_hints() {
        let v = serde_json::to_value(resolution()).unwrap();
        assert_eq!(v["backend"], "sqlite");
        assert_eq!(v["fallback"], true);
        assert_eq!(v["origin"]["kind"], "fallback");
        let reason = &v["fallback_reason"];
        assert_eq!(reason["kind"], "rejected");
        assert_eq!(reason["var"], "DATABASE_URL");
        assert_eq!(reason["layer"], 4);
        assert_eq!(reason["rejection"]["kind"], "password_needs_encoding");
        assert_eq!(reason["rejection"]["character"], "#");
        assert_eq!(
            reason["message"],
            "`DATABASE_URL` was rejected: the password contains an unencoded `#`"
        );
        assert_eq!(
            reason["hint"],
            "percent-encode `#` in the password as `%23`"
        );
        assert_eq!(v["normalizations"][1]["kind"], "driver_suffix");
        assert_eq!(v["normalizations"][1]["driver"], "asyncpg");
        assert_eq!(v["normalizations"][1]["warning"], false);
        assert_eq!(
            v["normalizations"][0]["message"],
            "removed surrounding quotes"
        );
        assert_eq!(v["warnings"][0]["kind"], "unknown_parameters");
        assert_eq!(v["warnings"][0]["count"], 2);
        assert_eq!(v["location"]["kind"], "file");
        assert_eq!(v["location"]["path"], "/srv/app.db");
        let skipped = &v["candidates"][0];
        assert_eq!(skipped["kind"], "persistent_data");
        assert_eq!(skipped["chosen"], false);
        assert_eq!(skipped["skipped"]["kind"], "not_writable");
        assert_eq!(skipped["skipped"]["io_error"], "PermissionDenied");
        assert_eq!(v["candidates"][1]["chosen"], true);
        assert_eq!(v["pooler"], serde_json::Value::Null);
        assert_eq!(v["hosts"], serde_json::json!([]));
        assert_eq!(v["session_attrs"], "any");
        assert!(
            v["text"]
                .as_str()
                .unwrap()
                .starts_with("SQLite from the SQLite fallback")
        );
    }

    #[test]
    fn every_shape_of_a_reason_serializes() {
        // Internally tagged enums fail at run time, not compile time, when a
        // variant cannot be tagged: each kind of value is tried once.
        let reasons = [
            FallbackReason::Missing {
                var: "X".into(),
                absence: crate::resolution::Absence::NullToken,
            },
            FallbackReason::Unreadable {
                var: "X_FILE".into(),
                why: crate::resolution::ReadError::File {
                    kind: io::ErrorKind::NotFound,
                },
            },
            FallbackReason::Unreachable {
                var: "X".into(),
                kind: crate::DatabaseErrorKind::Refused,
                error: "connection refused".into(),
            },
            FallbackReason::Rejected {
                var: "X".into(),
                rejection: Rejection::InvalidUtf8 {
                    component: Component::Password,
                },
            },
            FallbackReason::Rejected {
                var: "X".into(),
                rejection: Rejection::PortList { hosts: 2, ports: 3 },
            },
            FallbackReason::Rejected {
                var: "X".into(),
                rejection: Rejection::NoAuthority {
                    backend: Backend::MySql,
                },
            },
        ];
        let out: Vec<_> = reasons
            .iter()
            .map(|r| serde_json::to_value(Reason::new(r)).unwrap())
            .collect();
        assert_eq!(out[0]["absence"], "null_token");
        assert_eq!(out[1]["why"]["io_error"], "NotFound");
        assert_eq!(out[2]["error_kind"], "refused");
        assert_eq!(out[2]["layer"], serde_json::Value::Null);
        assert_eq!(out[3]["rejection"]["component"], "password");
        assert_eq!(out[4]["rejection"]["ports"], 3);
        assert_eq!(out[5]["rejection"]["backend"], "mysql");
        assert_eq!(out[5]["layer"], 3);
        for o in [
            Origin::Given {
                name: "database_url".into(),
            },
            Origin::Libpq,
        ] {
            serde_json::to_value(Described::new(&o)).unwrap();
        }
        let pooler = crate::resolution::Pooler::Endpoint { service: "Neon" };
        assert_eq!(
            serde_json::to_value(Described::new(&pooler)).unwrap()["service"],
            "Neon"
        );
        assert_eq!(
            serde_json::to_value(Location::Memory).unwrap(),
            serde_json::json!({"kind": "memory"})
        );
    }
}
