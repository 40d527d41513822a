//! Reading documents back: metadata, content, digests, conditional and range requests; listings.

use motcua::auth::Role;
use serde_json::Value;

use crate::support::*;

#[tokio::test]
async fn content_comes_back_byte_for_byte_with_digests() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let bytes = pdf("content");
    let d = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![("Giấy đề nghị.pdf", "application/pdf", bytes.clone())],
            ),
        )
        .await;
    let doc = &d["documents"][0];
    let id = doc["id"].as_str().unwrap();

    let meta: Value = app
        .get(&officer, &format!("/api/v1/documents/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(&meta, doc);

    let r = app
        .get(&officer, &format!("/api/v1/documents/{id}/content"))
        .await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["content-length"], bytes.len().to_string().as_str());
    let sha = sha256_hex(&bytes);
    assert_eq!(h["etag"], format!("\"{sha}\"").as_str());
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(hex::decode(&sha).unwrap());
    assert_eq!(h["repr-digest"], format!("sha-256=:{b64}:").as_str());
    assert_eq!(h["accept-ranges"], "bytes");
    assert!(
        h["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename*=UTF-8''Gi%E1%BA%A5y")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[..]);

    // Conditional: the ETag matches, nothing is sent.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/documents/{id}/content")))
        .bearer_auth(&officer)
        .header("if-none-match", format!("\"{sha}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
}

#[tokio::test]
async fn range_requests_return_exactly_the_asked_bytes() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let bytes = pdf("ranges");
    let d = app
        .submit_ok(
            &officer,
            form(
                &business_dossier("0101234565"),
                vec![("a.pdf", "application/pdf", bytes.clone())],
            ),
        )
        .await;
    let id = d["documents"][0]["id"].as_str().unwrap().to_owned();
    let get = |range: &'static str| {
        let url = app.url(&format!("/api/v1/documents/{id}/content"));
        let req = app
            .client
            .get(url)
            .bearer_auth(&officer)
            .header("range", range);
        async move { req.send().await.unwrap() }
    };
    let n = bytes.len();

    let r = get("bytes=0-7").await;
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 0-7/{n}").as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[0..8]);

    let r = get("bytes=-6").await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[n - 6..]);

    let r = get("bytes=10-").await;
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[10..]);

    let r = get("bytes=999999-").await;
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes */{n}").as_str()
    );
    assert_eq!(error_code(r).await, (416, "range_not_satisfiable".into()));

    // Several ranges: we send the whole document, which RFC 9110 allows.
    let r = get("bytes=0-1,4-5").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().len(), n);
}

#[tokio::test]
async fn unknown_ids_are_404_with_a_json_body() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    let none = uuid::Uuid::new_v4();
    for path in [
        format!("/api/v1/dossiers/{none}"),
        format!("/api/v1/documents/{none}"),
        format!("/api/v1/documents/{none}/content"),
        "/api/v1/dossiers/not-a-uuid".to_owned(),
        "/api/v1/no-such-endpoint".to_owned(),
    ] {
        assert_eq!(
            error_code(app.get(&officer, &path).await).await,
            (404, "not_found".into()),
            "{path}"
        );
    }
    let r = app
        .client
        .delete(app.url("/api/v1/dossiers"))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(r).await, (405, "method_not_allowed".into()));
}

#[tokio::test]
async fn listings_filter_and_page_with_a_cursor() {
    let app = TestApp::spawn().await;
    let officer = app.token(Role::Officer).await;
    for i in 0..5 {
        let tax = if i % 2 == 0 {
            "0101234565"
        } else {
            "0107654326"
        };
        app.submit_ok(
            &officer,
            form(
                &business_dossier(tax),
                vec![("a.pdf", "application/pdf", pdf(&format!("l{i}")))],
            ),
        )
        .await;
    }
    let citizen = serde_json::json!({"procedure": "permanent-residence", "applicant": {"id_number": "001203004567", "name": "C"}});
    app.submit_ok(
        &officer,
        form(&citizen, vec![("a.pdf", "application/pdf", pdf("c"))]),
    )
    .await;

    let page: Value = app
        .get(&officer, "/api/v1/dossiers?tax_code=0101234565")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let page: Value = app
        .get(&officer, "/api/v1/dossiers?procedure=permanent-residence")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_null());

    // Two at a time, newest first, no repeats, no gaps.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/dossiers?limit=2&cursor={c}"),
            None => "/api/v1/dossiers?limit=2".to_owned(),
        };
        let page: Value = app.get(&officer, &path).await.json().await.unwrap();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["code"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut expected = seen.clone();
    expected.sort();
    expected.reverse();
    assert_eq!(seen.len(), 6);
    assert_eq!(seen, expected, "newest first");

    for bad in [
        "limit=0",
        "limit=9999",
        "status=NOPE",
        "tax_code=x",
        "cursor=garbage",
        "submitted_from=yesterday",
        "colour=blue",
    ] {
        let r = app.get(&officer, &format!("/api/v1/dossiers?{bad}")).await;
        assert_eq!(error_code(r).await, (400, "invalid_query".into()), "{bad}");
    }
}
