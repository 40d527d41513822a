//! Signature verification benchmark (run by `scripts/bench-signatures.sh`): signed PDFs verified
//! per second on one thread and on every core, and the digest speed on a large document.
//!
//! `cargo bench --bench signatures -- SMALL.pdf LARGE.pdf ROOT.pem CRL...`

use std::time::{Duration, Instant};

use motcua::pki::{AlgorithmPolicy, RevocationMode, Store, load};
use motcua::signature::{Indication, VerifyOptions, pades};

fn rate(bytes: &[u8], options: &VerifyOptions, threads: usize, budget: Duration) -> f64 {
    let started = Instant::now();
    let done: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0usize;
                    while started.elapsed() < budget {
                        let report = pades::verify(bytes, options).unwrap();
                        assert_eq!(report.indication, Indication::TotalPassed);
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
        println!("signature benchmark: run it with scripts/bench-signatures.sh");
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [small, large, root, crls @ ..] = &args[..] else {
        panic!("usage: SMALL.pdf LARGE.pdf ROOT.pem CRL...");
    };
    let mut store = Store {
        anchors: load::certs(root.as_ref()).unwrap(),
        ..Store::default()
    };
    for c in crls {
        store.crls.extend(load::crls(c.as_ref()).unwrap());
    }
    let options = VerifyOptions {
        store,
        revocation: RevocationMode::Require,
        at: None,
        algorithms: AlgorithmPolicy::default(),
        ocsp: false,
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let small = std::fs::read(small).unwrap();
    let large = std::fs::read(large).unwrap();
    let budget = Duration::from_secs(5);
    let small_1 = rate(&small, &options, 1, budget);
    let small_n = rate(&small, &options, cores, budget);
    let large_1 = rate(&large, &options, 1, budget);
    let large_n = rate(&large, &options, cores, budget);
    let mib = large.len() as f64 / 1048576.0;
    println!(
        "motcua small {small_1:.0} {small_n:.0} large {large_1:.2} {large_n:.2} large_mib_per_s {:.0} {:.0} cores {cores}",
        large_1 * mib,
        large_n * mib
    );
}
