//! No secret printed anywhere: a key in each place a user can put one (the environment, a header in the config
//! file, a header given with --set, an unrelated credential variable) is searched for in every output, log, cache
//! and error message of a full LLM run, a failing run and `config show`.

use std::path::Path;

use musegen::llm::fake::FakeConfig;

use crate::util::Output;

const ENV_KEY: &str = "sk-envkey-0123456789abcdefABCDEF";
const FILE_HEADER: &str = "gw-file-header-7f6e5d4c3b2a1908";
const SET_HEADER: &str = "tenant-set-header-1a2b3c4d5e6f";
const OTHER_VAR: &str = "other-service-token-5566778899aabb";
const WRONG_KEY: &str = "sk-wrongkey-ffeeddccbbaa99887766";

/// Every secret of this test.
const SECRETS: [&str; 5] = [ENV_KEY, FILE_HEADER, SET_HEADER, OTHER_VAR, WRONG_KEY];

fn config_text() -> String {
    let role = |temperature: f32| {
        format!(
            "agent = \"llm\"\nbackend = \"openai\"\nmodel = \"gpt-4o-mini\"\ntemperature = {temperature}\nmax_tokens = 150\n\
             headers = {{ \"x-gateway-token\" = \"Bearer {FILE_HEADER}\", \"X-Title\" = \"musegen test\" }}\n"
        )
    };
    format!(
        "seed = 7\n[catalog]\nsample_items = 300\n[profiles]\ncount = 6\n\
         [roles.user_agent]\n{}[roles.system_agent]\n{}[roles.judge]\n{}\
         [limits]\nrpm = 60000\ntpm = 100000000\nconcurrency = 8\nrequest_timeout_secs = 30.0\n\
         [export.dpo]\nsources = [\"sim\"]\n",
        role(0.9),
        role(0.7),
        role(0.0)
    )
}

fn run(d: &Path, base: &str, key: &str, args: &[&str]) -> Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_musegen"))
        .args(["--config", "secrets.toml"])
        .args([
            "--set",
            &format!("roles.judge.headers.x-api-key={SET_HEADER}"),
        ])
        .args(args)
        .current_dir(d)
        .env("OPENAI_BASE_URL", base)
        .env("OPENAI_API_KEY", key)
        .env("MY_SERVICE_TOKEN", OTHER_VAR)
        .env("RUST_LOG", "musegen=trace")
        .output()
        .unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every file under `dir`, read as bytes (the cache and the catalog are SQLite files).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(files(&path));
        } else {
            all.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    all
}

fn assert_no_secret(place: &str, bytes: &[u8]) {
    for secret in SECRETS {
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "{secret} found in {place}");
        // Nor a recognisable part of it.
        let part = &secret[secret.len() - 12..];
        let found = bytes.windows(part.len()).any(|w| w == part.as_bytes());
        assert!(!found, "part of {secret} found in {place}");
    }
}

#[test]
fn no_key_reaches_an_output_a_log_a_cache_or_an_error() {
    let (_rt, server) = crate::util::fake_server(FakeConfig {
        api_key: Some(ENV_KEY.into()),
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("secrets.toml"), config_text()).unwrap();
    let base = server.base_url();

    // The whole job, with every role on the model, the most verbose log and the JSON report.
    let full = run(d, &base, ENV_KEY, &["run", "--out", "out", "-vv", "--json"]);
    assert_eq!(full.code, 0, "{}\n{}", full.stdout, full.stderr);
    assert!(d.join("out/cache.db").is_file());
    assert!(d.join("out/README.md").is_file());
    assert_no_secret("the run's stdout", full.stdout.as_bytes());
    assert_no_secret("the run's log", full.stderr.as_bytes());
    for (path, bytes) in files(&d.join("out")) {
        assert_no_secret(&path, &bytes);
    }

    // The effective config names the headers and hides their values.
    let show = run(d, &base, ENV_KEY, &["config", "show"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.contains("x-gateway-token"), "{}", show.stdout);
    assert!(show.stdout.contains("x-api-key"), "{}", show.stdout);
    assert_no_secret("config show", show.stdout.as_bytes());

    // A rejected key: the server's message echoes it, the error line must not.
    let rejected = run(
        d,
        &base,
        WRONG_KEY,
        &["run", "--out", "other", "--no-cache", "-vv"],
    );
    assert_eq!(
        rejected.code, 2,
        "a refused key is the config's to fix: {}",
        rejected.stderr
    );
    assert!(rejected.stderr.contains("error:"), "{}", rejected.stderr);
    assert_no_secret(
        "the rejected run's log and error",
        rejected.stderr.as_bytes(),
    );
    assert_no_secret("the rejected run's stdout", rejected.stdout.as_bytes());

    // A bad --set value that carries a key: the config error does not echo it.
    let bad = run(
        d,
        &base,
        ENV_KEY,
        &[
            "--set",
            &format!("roles.judge.temperature=\"{ENV_KEY}\""),
            "config",
            "show",
        ],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert_no_secret("a config error", bad.stderr.as_bytes());
    assert_no_secret("a config error's stdout", bad.stdout.as_bytes());
}
