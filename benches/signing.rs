//! Signing benchmark (run by `scripts/bench-signing.sh`): a one-page PDF signed (PAdES B-B,
//! incremental update) per second on one thread and on every core, for an RSA-2048 and an
//! ECDSA P-256 identity. Rendering is not measured yet (results are not rendered yet).
//!
//! `cargo bench --bench signing -- IN.pdf RSA_KEY RSA_CERT EC_KEY EC_CERT`

use std::time::{Duration, Instant};

use motcua::signature::sign::{SigningIdentity, sign_pdf};

fn rate(input: &[u8], identity: &SigningIdentity, threads: usize, budget: Duration) -> f64 {
    let started = Instant::now();
    let done: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0usize;
                    while started.elapsed() < budget {
                        let now = time::OffsetDateTime::now_utc();
                        let signed = sign_pdf(input, identity, now, "Signature1").unwrap();
                        assert!(signed.len() > input.len());
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

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("signing benchmark: run it with scripts/bench-signing.sh");
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [input, rsa_key, rsa_cert, ec_key, ec_cert] = &args[..] else {
        panic!("usage: IN.pdf RSA_KEY RSA_CERT EC_KEY EC_CERT");
    };
    let read = |p: &String| std::fs::read(p).unwrap();
    let input = read(input);
    let rsa = SigningIdentity::from_pem(&read(rsa_key), &read(rsa_cert), b"").unwrap();
    let ec = SigningIdentity::from_pem(&read(ec_key), &read(ec_cert), b"").unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let budget = Duration::from_secs(5);
    println!(
        "motcua rsa {:.0} {:.0} ecdsa {:.0} {:.0} cores {cores}",
        rate(&input, &rsa, 1, budget),
        rate(&input, &rsa, cores, budget),
        rate(&input, &ec, 1, budget),
        rate(&input, &ec, cores, budget),
    );
}
