//! Hardening benchmark (run by `scripts/bench-hardening.sh`): what hostile clients cost a node.
//!
//! 1. **Bombs, in process.** Each hostile file of `tests/api/hostile.rs` read the way motcua
//!    read PDFs before issue 13 (lopdf's defaults: any stream may inflate to 256 MiB) and the way
//!    it reads them now (`signature::verify_document`): peak bytes allocated and time, with the
//!    ratio — the peer is the old reader, measured in the same run.
//! 2. **Bombs, against the release binary.** Eight at once on the public `POST /verify`, then
//!    eight on `POST /api/v1/verify`: the growth of the server's peak resident memory (VmHWM)
//!    against the 256 MiB the issue allows, and the slowest answer.
//! 3. **Service to others during a stall attack.** 320 slow uploads from four tokens (one byte
//!    every two seconds, from one address) while another caller, from another address, lists
//!    dossiers ten times a second and files a small dossier every second: its success rate and
//!    latencies beside the same load with no attack, in the same run.
//!
//! `cargo bench --bench hardening -- BINARY [SECONDS]` (the release `motcua`, the seconds each
//! measured load lasts; default 30).

#[path = "../tests/api/hostile.rs"]
#[allow(dead_code)]
mod hostile;

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _};

#[global_allocator]
static ALLOCATOR: hostile::Counting = hostile::Counting;

const MIB: f64 = 1024.0 * 1024.0;

fn bombs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "object stream → 2 GiB of zeros",
            hostile::object_stream_bomb(2048),
        ),
        (
            "xref stream → 2 GiB of zeros",
            hostile::xref_stream_bomb(2048),
        ),
        (
            "object stream of 8 MiB of `0 `",
            hostile::dense_object_stream(8),
        ),
        (
            "signed, then a revision whose xref stream → 2 GiB",
            hostile::append_xref_stream_bomb(&hostile::signed_minimal(), 2048),
        ),
    ]
}

fn in_process() {
    println!("#### 1. Each bomb read in process: peak bytes allocated and time\n");
    println!(
        "| file (size) | lopdf defaults (before) | motcua now | peak ratio now / before | motcua's answer |"
    );
    println!("|---|---|---|---|---|");
    let options = motcua::signature::VerifyOptions {
        store: motcua::pki::Store::default(),
        revocation: motcua::pki::RevocationMode::Off,
        at: None,
        algorithms: motcua::pki::AlgorithmPolicy::default(),
        ocsp: false,
    };
    for (name, bomb) in bombs() {
        let started = Instant::now();
        let (_, before) = hostile::peak_bytes(|| lopdf::Document::load_mem(&bomb).map(|_| ()));
        let before_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let (answer, now) =
            hostile::peak_bytes(|| motcua::signature::verify_document(&bomb, None, &options));
        let now_s = started.elapsed().as_secs_f64();
        let answer = match answer {
            Ok(r) => format!("report {}", r.indication.as_str()),
            Err(e) => {
                let e = e.to_string();
                e.chars().take(70).collect::<String>()
            }
        };
        println!(
            "| {name} ({:.1} MiB) | {:.1} MiB, {:.0} ms | {:.1} MiB, {:.0} ms | {:.3} | {answer} |",
            bomb.len() as f64 / MIB,
            before as f64 / MIB,
            before_s * 1000.0,
            now as f64 / MIB,
            now_s * 1000.0,
            now as f64 / before.max(1) as f64,
        );
    }
    println!();
}

struct Server {
    child: tokio::process::Child,
    base: String,
    data: tempfile::TempDir,
}

impl Server {
    async fn start(binary: &str) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut child = tokio::process::Command::new(binary)
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .env("MOTCUA_LOG", "error")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("motcua serve starts");
            if let Some(url) = line.strip_prefix("motcua listening on ") {
                break url.trim().to_owned();
            }
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { child, base, data }
    }

    async fn token(&self, binary: &str, args: &[&str]) -> String {
        let out = tokio::process::Command::new(binary)
            .args(["token", "create", "--data"])
            .arg(self.data.path())
            .args(args)
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .last()
            .unwrap()
            .trim()
            .to_owned()
    }

    fn memory_kib(&self, field: &str) -> u64 {
        let pid = self.child.id().unwrap();
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

async fn bombs_at_the_server(binary: &str) {
    println!("#### 2. Eight bombs at once against the release binary\n");
    let server = Server::start(binary).await;
    let officer = server.token(binary, &["--role", "officer"]).await;
    let client = reqwest::Client::new();
    let post = |path: &str, file: Vec<u8>, token: Option<&str>| {
        let mut r = client
            .post(format!("{}{path}", server.base))
            .header("accept", "application/json")
            .multipart(reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(file).file_name("f.pdf"),
            ));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    // Warm up: a real verification on each path.
    post("/verify", hostile::signed_minimal(), None)
        .await
        .unwrap();
    post("/api/v1/verify", hostile::signed_minimal(), Some(&officer))
        .await
        .unwrap();
    let baseline = server.memory_kib("VmHWM");
    let rss = server.memory_kib("VmRSS");
    let bombs: Vec<Vec<u8>> = bombs().into_iter().map(|(_, b)| b).collect();
    println!("| path | answers | slowest answer | peak memory growth | growth / 256 MiB |");
    println!("|---|---|---|---|---|");
    for (path, token) in [
        ("/verify", None),
        ("/api/v1/verify", Some(officer.as_str())),
    ] {
        let before = server.memory_kib("VmHWM");
        let started = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let request = post(path, bombs[i % bombs.len()].clone(), token);
            tasks.push(tokio::spawn(async move {
                let sent = Instant::now();
                let r = request.await.unwrap();
                (r.status().as_u16(), sent.elapsed())
            }));
        }
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        let mut slowest = Duration::ZERO;
        for t in tasks {
            let (status, took) = t.await.unwrap();
            *statuses.entry(status).or_default() += 1;
            slowest = slowest.max(took);
        }
        let _ = started;
        let grown = server.memory_kib("VmHWM").saturating_sub(before) as f64 / 1024.0;
        let answers: Vec<String> = statuses.iter().map(|(s, n)| format!("{n}× {s}")).collect();
        println!(
            "| `POST {path}` | {} | {:.0} ms | {grown:.1} MiB | {:.3} |",
            answers.join(", "),
            slowest.as_secs_f64() * 1000.0,
            grown / 256.0
        );
    }
    println!(
        "\nThe server's resident memory after warming up: {:.0} MiB (peak {:.0} MiB).\n",
        rss as f64 / 1024.0,
        baseline as f64 / 1024.0
    );
}

/// One slow upload: a multipart head, then one byte every two seconds, from `from`; how it
/// ended.
async fn slow_upload(base: String, from: std::net::IpAddr, token: String) -> String {
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((from, 0).into()).unwrap();
    let Ok(mut stream) = socket.connect(addr).await else {
        return "connection refused".into();
    };
    let head = format!(
        "POST /api/v1/dossiers HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1048576\r\n\r\n\
         --x\r\nContent-Disposition: form-data; name=\"dossier\"\r\n\r\n"
    );
    if stream.write_all(head.as_bytes()).await.is_err() {
        return "closed".into();
    }
    let (mut read, mut write) = stream.into_split();
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            if write.write_all(b"{").await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::io::AsyncReadExt::read(&mut read, &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    trickle.abort();
    let text = String::from_utf8_lossy(&answer);
    text.split("\r\n").next().map_or("closed".into(), |l| {
        l.trim_start_matches("HTTP/1.1 ").to_owned()
    })
}

struct Measured {
    ok: usize,
    total: usize,
    latencies_ms: Vec<f64>,
}

/// The measured caller, from 127.0.0.3: lists ten times a second and files a small dossier
/// every second, for `seconds`.
async fn measured_load(base: &str, citizen: &str, business: &str, seconds: u64) -> Measured {
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .build()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut m = Measured {
        ok: 0,
        total: 0,
        latencies_ms: Vec::new(),
    };
    let mut n = 0u64;
    while Instant::now() < end {
        tick.tick().await;
        n += 1;
        let started = Instant::now();
        let outcome = if n.is_multiple_of(10) {
            let dossier = serde_json::json!({"procedure": "business-registration",
                "applicant": {"tax_code": "0109999982", "name": "Công ty B"}});
            let form = reqwest::multipart::Form::new()
                .part(
                    "dossier",
                    reqwest::multipart::Part::text(dossier.to_string())
                        .mime_str("application/json")
                        .unwrap(),
                )
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(hostile::pdf_with_objects(&[
                        format!("<< /Type /Catalog /Pages 2 0 R /N {n} >>").into_bytes(),
                        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
                    ]))
                    .file_name("don.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
                );
            client
                .post(format!("{base}/api/v1/dossiers"))
                .bearer_auth(business)
                .multipart(form)
                .send()
                .await
        } else {
            client
                .get(format!("{base}/api/v1/dossiers?limit=20"))
                .bearer_auth(citizen)
                .send()
                .await
        };
        m.total += 1;
        if outcome.is_ok_and(|r| r.status().is_success()) {
            m.ok += 1;
            m.latencies_ms
                .push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    m.latencies_ms.sort_by(f64::total_cmp);
    m
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn stall_attack(binary: &str, seconds: u64) {
    println!(
        "#### 3. Service to another caller during 320 slow uploads from four tokens ({seconds} s each)\n"
    );
    let server = Server::start(binary).await;
    let citizen = server
        .token(
            binary,
            &["--role", "citizen", "--id-number", "001203004567"],
        )
        .await;
    let business = server
        .token(binary, &["--role", "business", "--tax-code", "0109999982"])
        .await;
    let mut attackers = Vec::new();
    for tax_code in ["0101234572", "0101234597", "0101234607", "0101234614"] {
        attackers.push(
            server
                .token(binary, &["--role", "business", "--tax-code", tax_code])
                .await,
        );
    }
    let quiet = measured_load(&server.base, &citizen, &business, seconds).await;
    let mut slow = Vec::new();
    for i in 0..320 {
        slow.push(tokio::spawn(slow_upload(
            server.base.clone(),
            std::net::IpAddr::from([127, 0, 0, 2]),
            attackers[i % 4].clone(),
        )));
    }
    let attacked = measured_load(&server.base, &citizen, &business, seconds).await;
    let mut endings = std::collections::BTreeMap::<String, usize>::new();
    for s in slow {
        let ended = tokio::time::timeout(Duration::from_secs(60), s)
            .await
            .map_or_else(|_| "still open after 60 s".into(), |r| r.unwrap());
        *endings.entry(ended).or_default() += 1;
    }
    println!("| measured caller | answered 2xx | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    for (name, m) in [("no attack", &quiet), ("during the attack", &attacked)] {
        println!(
            "| {name} | {}/{} ({:.1} %) | {:.1} ms | {:.1} ms | {:.1} ms |",
            m.ok,
            m.total,
            100.0 * m.ok as f64 / m.total.max(1) as f64,
            percentile(&m.latencies_ms, 0.5),
            percentile(&m.latencies_ms, 0.99),
            m.latencies_ms.last().copied().unwrap_or(f64::NAN)
        );
    }
    println!(
        "\nRatios, attack / no attack: success {:.3}, p99 latency {:.2}.",
        (attacked.ok as f64 / attacked.total.max(1) as f64)
            / (quiet.ok as f64 / quiet.total.max(1) as f64),
        percentile(&attacked.latencies_ms, 0.99) / percentile(&quiet.latencies_ms, 0.99)
    );
    let endings: Vec<String> = endings.iter().map(|(e, n)| format!("{n}× {e}")).collect();
    println!("How the 320 slow uploads ended: {}.\n", endings.join(", "));
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let binary = args
        .first()
        .cloned()
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/motcua").into());
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    in_process();
    bombs_at_the_server(&binary).await;
    stall_attack(&binary, seconds).await;
}
