//! Examples of dbsettings live in `examples/`.
