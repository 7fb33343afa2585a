//! The doctor's output, checked: the `--json` report parsed field by field,
//! the text report and the usage line.

// The example itself, not a copy of it: its `run` is what `main` prints.
#[path = "../examples/doctor.rs"]
#[allow(dead_code, reason = "the example's `main` is not called here")]
mod doctor;

use dbsettings::source::Vars;
use serde_json::Value;

const SECRET: &str = "Doctor-Json-Secret";

/// `doctor --json` over `vars`, with the fallback in a temporary directory.
async fn doctor_json(vars: &[(&str, &str)]) -> (Value, String, u8) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_owned();
    let mut all = vec![("DBSETTINGS_DATA_DIR", data.as_str())];
    all.extend_from_slice(vars);
    let (out, code) = doctor::run(["--json".to_owned()], &Vars::new(all)).await;
    let json: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    (json, out, code)
}

#[tokio::test]
async fn doctor_json_explains_a_fallback_field_by_field() {
    let url = format!("'postgresql+asyncpg://app:{SECRET}#1@db:5432/app'");
    let (json, out, code) = doctor_json(&[("DATABASE_URL", &url)]).await;
    assert!(!out.contains(SECRET), "{out}");
    assert_eq!(code, 1);
    assert_eq!(json["verdict"], "falls_back");
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["backend"], "sqlite");
    assert_eq!(json["fallback"], true);
    assert!(
        json["url"].as_str().unwrap().starts_with("sqlite:"),
        "{out}"
    );

    let layers = json["layers"].as_array().unwrap();
    let outcomes: Vec<&str> = layers
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["passed", "passed", "passed", "stopped", "not_reached"]
    );
    assert_eq!(layers[3]["name"], "parse");
    assert_eq!(
        layers[3]["hint"],
        "percent-encode `#` in the password as `%23`"
    );
    assert_eq!(
        layers[1]["detail"],
        "removed surrounding quotes; removed the SQLAlchemy driver suffix `+asyncpg`"
    );

    let r = &json["resolution"];
    assert_eq!(r["origin"]["kind"], "fallback");
    assert_eq!(r["fallback_reason"]["kind"], "rejected");
    assert_eq!(r["fallback_reason"]["var"], "DATABASE_URL");
    assert_eq!(r["fallback_reason"]["layer"], 4);
    assert_eq!(
        r["fallback_reason"]["rejection"]["kind"],
        "password_needs_encoding"
    );
    let kinds: Vec<&str> = r["normalizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["unquoted", "driver_suffix"]);
    let chosen = r["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chosen"] == true)
        .unwrap();
    assert_eq!(chosen["kind"], "data_dir_var");
    assert_eq!(r["location"]["kind"], "file");

    assert_eq!(json["connect"]["ok"], true);
    assert!(json["connect"]["elapsed_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(json["problems"], Value::Array(Vec::new()));
}

#[tokio::test]
async fn doctor_json_when_strict_mode_refuses_and_when_the_database_is_down() {
    let url = format!("postgresql://app:{SECRET}#1@db:5432/app");
    let (json, out, code) =
        doctor_json(&[("DATABASE_URL", &url), ("DBSETTINGS_STRICT", "1")]).await;
    assert!(!out.contains(SECRET), "{out}");
    assert_eq!(
        (code, &json["verdict"]),
        (2, &Value::from("strict_refuses"))
    );
    assert_eq!(json["url"], Value::Null);
    assert_eq!(json["resolution"], Value::Null);
    assert_eq!(json["problems"][0]["var"], "DATABASE_URL");
    assert!(
        json["problems"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("strict mode refuses the SQLite fallback"),
        "{out}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgresql://app:{SECRET}@127.0.0.1:{port}/app");
    let (json, out, code) = doctor_json(&[("DATABASE_URL", &url)]).await;
    assert!(!out.contains(SECRET), "{out}");
    assert_eq!((code, &json["verdict"]), (3, &Value::from("unreachable")));
    assert_eq!(
        json["url"],
        format!("postgresql://****@127.0.0.1:{port}/app")
    );
    assert_eq!(json["connect"]["ok"], false);
    assert_eq!(json["connect"]["error_kind"], "refused");
    assert!(
        json["layers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["outcome"] == "passed"),
        "{out}"
    );
}

#[tokio::test]
async fn doctor_text_and_usage() {
    let (text, code) = doctor::run(
        Vec::new(),
        &Vars::new([("DATABASE_URL", "sqlite::memory:")]),
    )
    .await;
    assert_eq!(code, 0, "{text}");
    assert!(text.starts_with("dbsettings doctor\n"), "{text}");
    assert!(text.contains("layer 5, driver: ok"), "{text}");
    let (text, code) = doctor::run(["--jsn".to_owned()], &Vars::default()).await;
    assert_eq!((text.as_str(), code), ("usage: doctor [--json]\n", 64));
}
