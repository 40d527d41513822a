//! Signing benchmark (run by `scripts/bench-signing.sh`), per second on one thread and on every
//! core:
//! - a one-page PDF signed (PAdES B-B, incremental update) with an RSA-2048 and an ECDSA P-256
//!   identity;
//! - a result rendered and signed exactly as `POST /api/v1/dossiers/{id}/results` does it
//!   (`result::render_and_sign`: template, embedded font subsets, QR code, then B-B with the
//!   visible signature block), with the demo agency's RSA-2048 identity.
//!
//! `cargo bench --bench signing -- IN.pdf RSA_KEY RSA_CERT EC_KEY EC_CERT RENDERED_OUT.pdf`
//! (the last file receives one rendered, unsigned result, for the pyHanko comparison).

use std::time::{Duration, Instant};

use motcua::pdf::render::{ResultDocument, ResultKind, render};
use motcua::result::{Issuer, render_and_sign};
use motcua::signature::sign::{SigningIdentity, sign_pdf};

fn rate(threads: usize, budget: Duration, work: impl Fn() + Sync) -> f64 {
    let started = Instant::now();
    let done: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0usize;
                    while started.elapsed() < budget {
                        work();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    done as f64 / started.elapsed().as_secs_f64()
}

fn sign_rate(input: &[u8], identity: &SigningIdentity, threads: usize, budget: Duration) -> f64 {
    rate(threads, budget, || {
        let now = time::OffsetDateTime::now_utc();
        let signed = sign_pdf(input, identity, now, "Signature1").unwrap();
        assert!(signed.len() > input.len());
    })
}

fn certificate(n: u32) -> ResultDocument {
    let issued_at = time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM);
    let code = format!("HN-261128-{n:04}-KQ1");
    ResultDocument {
        kind: ResultKind::BusinessRegistration,
        result_code: code.clone(),
        dossier_code: format!("HN-261128-{n:04}"),
        agency: "Sở Kế hoạch và Đầu tư Thành phố Hà Nội".into(),
        title: String::new(),
        fields: vec![
            (
                "Tên doanh nghiệp".into(),
                "CÔNG TY TNHH MỘT THÀNH VIÊN ÁNH DƯƠNG".into(),
            ),
            ("Mã số doanh nghiệp".into(), "0101234565".into()),
            (
                "Địa chỉ trụ sở chính".into(),
                "Số 1 phố Láng Thượng, phường Láng Thượng, quận Đống Đa, Hà Nội".into(),
            ),
            (
                "Người đại diện theo pháp luật".into(),
                "Nguyễn Thị Hồng Nhung".into(),
            ),
            ("Vốn điều lệ".into(), "1.000.000.000 đồng".into()),
        ],
        place: "Hà Nội".into(),
        issued_at,
        due_date: None,
        verify_url: format!("https://motcua.example.gov.vn/verify/{code}"),
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("signing benchmark: run it with scripts/bench-signing.sh");
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [input, rsa_key, rsa_cert, ec_key, ec_cert, rendered_out] = &args[..] else {
        panic!("usage: IN.pdf RSA_KEY RSA_CERT EC_KEY EC_CERT RENDERED_OUT.pdf");
    };
    let read = |p: &String| std::fs::read(p).unwrap();
    let input = read(input);
    let rsa = SigningIdentity::from_pem(&read(rsa_key), &read(rsa_cert), b"").unwrap();
    let ec = SigningIdentity::from_pem(&read(ec_key), &read(ec_cert), b"").unwrap();
    let issuer = Issuer::demo().unwrap();
    std::fs::write(rendered_out, render(&certificate(1)).unwrap()).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let budget = Duration::from_secs(5);
    let counter = std::sync::atomic::AtomicU32::new(0);
    let render_sign = || {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 10_000;
        let pdf = render_and_sign(&issuer, &certificate(n)).unwrap();
        assert!(pdf.len() > 10_000);
    };
    // `MOTCUA_BENCH_PROFILE=N`: only N results rendered and signed, for a profiler
    // (`valgrind --tool=callgrind` counts instructions, whatever else the machine does).
    if let Some(n) = std::env::var("MOTCUA_BENCH_PROFILE")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
    {
        (0..n).for_each(|_| render_sign());
        return;
    }
    let render_only = || {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 10_000;
        assert!(render(&certificate(n)).unwrap().len() > 10_000);
    };
    println!(
        "motcua rsa {:.0} {:.0} ecdsa {:.0} {:.0} result {:.0} {:.0} render {:.0} cores {cores}",
        sign_rate(&input, &rsa, 1, budget),
        sign_rate(&input, &rsa, cores, budget),
        sign_rate(&input, &ec, 1, budget),
        sign_rate(&input, &ec, cores, budget),
        rate(1, budget, render_sign),
        rate(cores, budget, render_sign),
        rate(1, budget, render_only),
    );
}
