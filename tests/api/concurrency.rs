//! Dossier codes under concurrent submissions, through one and through two app instances on the
//! same database.

use std::collections::BTreeSet;

use motcua::auth::Role;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submissions_across_two_instances_get_unique_consecutive_codes() {
    let app = TestApp::spawn().await;
    let sibling = app.sibling().await;
    let bases = [app.base.clone(), format!("http://{}", sibling.addr())];
    let officer = app.token(Role::Officer).await;
    const N: usize = 40;
    let mut tasks = Vec::new();
    for i in 0..N {
        let base = bases[i % 2].clone();
        let client = app.client.clone();
        let token = officer.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(format!("{base}/api/v1/dossiers"))
                .bearer_auth(token)
                .multipart(form(
                    &business_dossier("0101234565"),
                    vec![("a.pdf", "application/pdf", pdf(&format!("concurrent {i}")))],
                ))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(status, 201, "{body}");
            body["code"].as_str().unwrap().to_owned()
        }));
    }
    let mut codes = BTreeSet::new();
    for t in tasks {
        assert!(codes.insert(t.await.unwrap()), "duplicate code");
    }
    assert_eq!(codes.len(), N);
    // One day (the test does not straddle midnight in Vietnam unless it runs at 17:00 UTC; then
    // there are two consecutive runs).
    let mut by_day: std::collections::BTreeMap<String, Vec<u32>> = Default::default();
    for c in &codes {
        let mut parts = c.split('-');
        let (_, day, seq) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        by_day
            .entry(day.to_owned())
            .or_default()
            .push(seq.parse().unwrap());
    }
    for seqs in by_day.values_mut() {
        seqs.sort();
        let first = seqs[0];
        assert_eq!(
            *seqs,
            (first..first + seqs.len() as u32).collect::<Vec<_>>(),
            "no gaps"
        );
    }
    sibling.stop().await.unwrap();
}
