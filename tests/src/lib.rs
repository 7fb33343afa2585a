//! Tests of dbsettings live in `tests/`.
