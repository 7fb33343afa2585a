//! Pool and session settings, and where each came from.

use core::fmt;

/// A pool or session setting that something other than its default chose,
/// where it came from, and what it won over. The order, highest first: the
/// environment override (`DATABASE_MAX_CONNECTIONS`, ...), the URL's
/// parameter (`connection_limit`, ...), the attribute, the default.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Setting {
    /// The setting (`max_connections`, `search_path`, ...).
    pub name: &'static str,
    /// Its value (settings hold no secret).
    pub value: String,
    /// Where the value came from.
    pub from: SettingSource,
    /// What else asked for a value and lost.
    pub over: Vec<SettingSource>,
}

/// Where a [`Setting`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "kind", rename_all = "snake_case"))]
#[non_exhaustive]
pub enum SettingSource {
    /// An environment override.
    Override {
        /// The variable.
        var: String,
    },
    /// A parameter of the URL.
    Parameter {
        /// The parameter.
        name: String,
    },
    /// The derive's attribute.
    Attribute,
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Override { var } => write!(f, "`{var}`"),
            Self::Parameter { name } => write!(f, "the URL's `{name}`"),
            Self::Attribute => f.write_str("the attribute"),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {} (from {}", self.name, self.value, self.from)?;
        for (i, lost) in self.over.iter().enumerate() {
            f.write_str(if i == 0 { ", over " } else { " and " })?;
            write!(f, "{lost}")?;
        }
        f.write_str(")")
    }
}
