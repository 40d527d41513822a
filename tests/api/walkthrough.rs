//! The README's walk-through, run exactly as written from a fresh folder: the demo signer, the
//! service trusting its CA, a token, a signed dossier whose paper originals are waived, and a
//! signature checked without filing. Only the address differs (the service takes a free port).

use std::time::Duration;

use tokio::io::AsyncBufReadExt as _;

const README: &str = include_str!("../../README.md");

/// The shell block that follows the marker `<!-- walkthrough:NAME -->`.
fn block(name: &str) -> String {
    let marker = format!("<!-- walkthrough:{name} -->");
    let after = &README[README
        .find(&marker)
        .expect("the README marks its walk-through")..];
    let start = after.find("```sh\n").unwrap() + "```sh\n".len();
    let end = after[start..].find("```").unwrap();
    after[start..start + end].to_owned()
}

/// bash, in `dir`, with the test's own `motcua` first on the PATH, and none of the suite's
/// production settings (the walk-through runs on the embedded defaults).
fn bash(dir: &std::path::Path, script: &str) -> tokio::process::Command {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_motcua"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = tokio::process::Command::new("bash");
    c.arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("MOTCUA_LOG", "warn")
        .kill_on_drop(true);
    for (key, _) in std::env::vars() {
        if key.starts_with("MOTCUA_") {
            c.env_remove(key);
        }
    }
    c
}

#[tokio::test]
async fn the_readme_walk_through_reaches_waived_originals_from_a_fresh_start() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        concat!(env!("CARGO_MANIFEST_DIR"), "/scripts"),
        dir.path().join("scripts"),
    )
    .unwrap();

    // The first terminal: everything before `motcua serve`, then the server itself.
    let server_block = block("server");
    let (setup, serve): (Vec<&str>, Vec<&str>) = server_block
        .lines()
        .partition(|l| !l.trim_start().starts_with("motcua serve"));
    let made = bash(dir.path(), &setup.join("\n")).output().await.unwrap();
    assert!(made.status.success(), "{made:?}");
    assert_eq!(serve.len(), 1, "one serve line: {server_block}");
    let mut server = bash(dir.path(), serve[0])
        .env("MOTCUA_LISTEN", "127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(url) = line.strip_prefix("motcua listening on ") {
                return url.trim().to_owned();
            }
        }
        panic!("motcua serve exited before listening");
    })
    .await
    .expect("the service starts within a minute");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    // The second terminal, as written but for the address.
    let client = block("client").replace("http://127.0.0.1:8080", &url);
    let out = bash(dir.path(), &client).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let filed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("dossier.json")).unwrap()).unwrap();
    assert_eq!(filed["originals"], "waived", "{filed}");
    assert_eq!(
        filed["signatures"][0]["indication"], "TOTAL_PASSED",
        "{filed}"
    );
    assert_eq!(filed["signatures"][0]["signer_tax_code"], "0101234565");
    // Steps 3 and 4 printed the dossier, the list and a passing verification.
    assert!(
        stdout.matches(filed["code"].as_str().unwrap()).count() >= 3,
        "{stdout}"
    );
    assert!(
        stdout.contains(r#""indication":"TOTAL_PASSED""#),
        "{stdout}"
    );
    let _ = server.kill().await;
}
