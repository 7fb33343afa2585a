//! `serde::Deserialize` for [`DatabaseUrl`] (feature `serde`): a
//! `database_url: DatabaseUrl` field of any serde settings struct (figment,
//! config-rs, envy, a JSON file) runs the layers and the fallback. A missing
//! key, `null` or an empty string falls back like the derive; a key of
//! another type (a number, a table) is the format's own type error, which
//! names the key; strict mode's refusal is a custom error that names the
//! value's variable, never the value.

use core::fmt;

use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};

use crate::DatabaseUrl;
use crate::load::UrlOptions;

/// The name a value read through serde goes by when none is given: the
/// key such settings structs use.
const SERDE_NAME: &str = "database_url";

/// Resolves the value with the default [`UrlOptions`], named
/// `database_url` in messages: the process environment's
/// `DBSETTINGS_STRICT`, `DBSETTINGS_DATA_DIR` and pool overrides apply.
/// For other options, [`UrlOptions::deserialize`].
///
/// ```
/// use dbsettings::DatabaseUrl;
///
/// #[derive(serde::Deserialize)]
/// struct Settings {
///     database_url: DatabaseUrl,
///     port: u16,
/// }
///
/// let s: Settings = serde_json::from_str(
///     r#"{"database_url": "postgresql://app:s3cret@db:5432/app", "port": 8080}"#,
/// )?;
/// assert_eq!(s.database_url.to_string(), "postgresql://****@db:5432/app");
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        UrlOptions::default().deserialize_named(deserializer, SERDE_NAME)
    }
}

impl UrlOptions {
    /// Deserializes a [`DatabaseUrl`] with these options: for serde's
    /// `deserialize_with`, when a field needs a fallback path, strict mode
    /// or another name. The name in messages is `database_url` unless
    /// [`var`](Self::var) says otherwise.
    ///
    /// serde does not call a `deserialize_with` function for a missing
    /// key: give the field `#[serde(default = "...")]` with a function that
    /// resolves `None`, or leave the key's absence to strict mode's "missing
    /// field" error.
    ///
    /// ```
    /// use dbsettings::{DatabaseUrl, UrlOptions};
    ///
    /// fn primary<'de, D: serde::Deserializer<'de>>(d: D) -> Result<DatabaseUrl, D::Error> {
    ///     UrlOptions::new().strict(true).deserialize(d)
    /// }
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Settings {
    ///     #[serde(deserialize_with = "primary")]
    ///     database_url: DatabaseUrl,
    /// }
    ///
    /// let err = serde_json::from_str::<Settings>(r#"{"database_url": "postgresql://app:p#ss@db/app"}"#)
    ///     .err()
    ///     .unwrap()
    ///     .to_string();
    /// assert!(err.contains("strict mode refuses the SQLite fallback"), "{err}");
    /// assert!(!err.contains("p#ss"), "{err}");
    /// ```
    pub fn deserialize<'de, D: Deserializer<'de>>(
        &self,
        deserializer: D,
    ) -> Result<DatabaseUrl, D::Error> {
        self.deserialize_named(deserializer, SERDE_NAME)
    }

    fn deserialize_named<'de, D: Deserializer<'de>>(
        &self,
        deserializer: D,
        name: &str,
    ) -> Result<DatabaseUrl, D::Error> {
        // `deserialize_option`: serde's stand-in for a missing key answers
        // it with `None` (rather than a "missing field" error), as it does
        // for an `Option` field.
        let raw = deserializer.deserialize_option(RawUrl)?;
        self.resolve_as(raw.as_deref(), name).map_err(|error| {
            let problems: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
            de::Error::custom(problems.join("; "))
        })
    }
}

/// The raw text of the URL, `None` when absent. Type errors say what was
/// found without repeating it.
struct RawUrl;

impl<'de> Visitor<'de> for RawUrl {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a database URL string")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // `deserialize_any` rather than `deserialize_string`: config-rs would
        // turn a number into text, and the layers would then reject it as
        // "not a URL" instead of the format naming the wrong type.
        deserializer.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        match core::str::from_utf8(v) {
            Ok(s) => Ok(Some(s.to_owned())),
            Err(_) => Err(E::invalid_value(
                Unexpected::Other("bytes that are not UTF-8"),
                &self,
            )),
        }
    }

    // The default messages quote the value; a wrong type is said by name.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::invalid_type(Unexpected::Other("a boolean"), &self))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::invalid_type(Unexpected::Other("an integer"), &self))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::invalid_type(Unexpected::Other("an integer"), &self))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
        Err(E::invalid_type(Unexpected::Other("an integer"), &self))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
        Err(E::invalid_type(Unexpected::Other("an integer"), &self))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::invalid_type(Unexpected::Other("a number"), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;
    use crate::source::Vars;

    #[derive(serde::Deserialize)]
    struct Settings {
        #[serde(deserialize_with = "memory")]
        database_url: DatabaseUrl,
    }

    #[derive(serde::Deserialize)]
    struct Plain {
        #[allow(dead_code, reason = "only the type errors are read")]
        database_url: DatabaseUrl,
    }

    fn memory<'de, D: Deserializer<'de>>(d: D) -> Result<DatabaseUrl, D::Error> {
        UrlOptions::new()
            .fallback("sqlite::memory:")
            .environment(Vars::default())
            .deserialize(d)
    }

    fn load(json: &str) -> Result<Settings, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_value_runs_the_layers() {
        let s = load(r#"{"database_url": " POSTGRESQL://u:Serde-Pw-1@db/app "}"#).unwrap();
        assert_eq!(s.database_url.backend(), Backend::Postgres);
        assert_eq!(s.database_url.to_string(), "postgresql://****@db/app");
        let s = load(r#"{"database_url": null}"#).unwrap();
        assert!(s.database_url.is_fallback());
        let s = load(r#"{"database_url": ""}"#).unwrap();
        assert!(s.database_url.is_fallback());
    }

    #[test]
    fn a_wrong_type_is_named_without_its_value() {
        for (json, found) in [
            (r#"{"database_url": 5432}"#, "an integer"),
            (r#"{"database_url": -5432}"#, "an integer"),
            (r#"{"database_url": 54.32}"#, "a number"),
            (r#"{"database_url": true}"#, "a boolean"),
            (r#"{"database_url": {"host": "db"}}"#, "map"),
            (r#"{"database_url": ["db"]}"#, "sequence"),
        ] {
            let err = load(json).err().unwrap();
            assert!(
                err.contains(found) && err.contains("expected a database URL string"),
                "{err}"
            );
            assert!(!err.contains("5432") && !err.contains("54.32"), "{err}");
            let plain = serde_json::from_str::<Plain>(json)
                .err()
                .unwrap()
                .to_string();
            assert!(plain.contains(found), "{plain}");
        }
    }

    #[test]
    fn strict_refuses_naming_the_key_not_the_value() {
        fn strict<'de, D: Deserializer<'de>>(d: D) -> Result<DatabaseUrl, D::Error> {
            UrlOptions::new()
                .strict(true)
                .environment(Vars::default())
                .deserialize(d)
        }
        #[derive(serde::Deserialize, Debug)]
        struct Strict {
            #[serde(deserialize_with = "strict")]
            #[allow(dead_code, reason = "only the error is read")]
            database_url: DatabaseUrl,
        }
        let err =
            serde_json::from_str::<Strict>(r#"{"database_url": "mysql://u:Strict-Pw#1@h/db"}"#)
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("strict mode refuses the SQLite fallback: `database_url` was rejected"),
            "{err}"
        );
        assert!(!err.contains("Strict-Pw"), "{err}");
    }

    /// A field type resolving with hermetic options, as the plain impl does
    /// with the default ones.
    struct Memory(DatabaseUrl);

    impl<'de> Deserialize<'de> for Memory {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            memory(d).map(Memory)
        }
    }

    #[test]
    fn a_missing_key_falls_back() {
        #[derive(serde::Deserialize)]
        struct Missing {
            database_url: Memory,
        }
        // serde's stand-in for a missing key answers `deserialize_option`
        // with `None`, and only that.
        let s: Missing = serde_json::from_str("{}").unwrap();
        assert!(s.database_url.0.is_fallback());
        assert_eq!(
            s.database_url
                .0
                .resolution()
                .fallback_reason()
                .unwrap()
                .to_string(),
            "`database_url` is not set"
        );
    }
}
