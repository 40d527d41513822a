//! Hostile files, made by the tests (none is checked in): decompression bombs in every stream a
//! parser inflates, dense object streams, truncated and damaged PDFs, deep nesting. Also the
//! allocation counter the memory budgets are measured with.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use flate2::{Compress, Compression, FlushCompress};

/// Counts the bytes each thread has allocated and not freed, and the peak since the last reset:
/// what parsing one file costs, measured, not guessed. Installed as the test binary's global
/// allocator (`main.rs`).
pub struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        grow(-(layout.size() as isize));
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size() as isize);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grow(new_size as isize - layout.size() as isize);
        }
        p
    }
}

fn grow(delta: isize) {
    // `try_with`: a thread being torn down has no counters any more.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

/// Runs `f` and returns its result with the most bytes it held allocated at once on this thread.
pub fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, u64) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    let peak = PEAK.with(Cell::get);
    (out, (peak - start).max(0) as u64)
}

/// A zlib stream that inflates to `mib` MiB of zeros, about a thousandth of that in size: one
/// fully flushed block of a MiB of zeros (it refers to nothing before it) repeated, then the
/// end of the stream with the right Adler-32.
pub fn zeros_deflated(mib: usize) -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut c = Compress::new(Compression::best(), true);
    let mut first = Vec::with_capacity(4096);
    c.compress_vec(&zeros, &mut first, FlushCompress::Full)
        .unwrap();
    let mut block = Vec::with_capacity(4096);
    c.compress_vec(&zeros, &mut block, FlushCompress::Full)
        .unwrap();
    let mut out = first;
    for _ in 1..mib {
        out.extend_from_slice(&block);
    }
    // The final (empty) block; its Adler-32 covers the two MiB the compressor saw, so it is
    // replaced by that of all `mib`: a = 1 (zeros add nothing), b = n mod 65521.
    let mut end = Vec::with_capacity(64);
    c.compress_vec(&[], &mut end, FlushCompress::Finish)
        .unwrap();
    end.truncate(end.len() - 4);
    out.extend_from_slice(&end);
    let n = (mib as u64) << 20;
    let adler = (((n % 65521) as u32) << 16) | 1;
    out.extend_from_slice(&adler.to_be_bytes());
    out
}

/// zlib of `bytes`.
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A PDF from numbered object bodies (`N 0 obj <body> endobj`, objects 1..), with a classic
/// cross-reference table and a trailer naming object 1 as the catalog.
pub fn pdf_with_objects(objects: &[Vec<u8>]) -> Vec<u8> {
    pdf_marked("motcua test", objects)
}

/// [`pdf_with_objects`] with `marker` in the header's comment, so that different markers give
/// different bytes.
pub fn pdf_marked(marker: &str, objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("%PDF-1.7\n% {marker}\n").into_bytes();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// minimal.pdf from pyHanko's test files (tests/data/pyhanko).
pub fn minimal_pdf() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pyhanko/pdf/minimal.pdf"
    ))
    .unwrap()
}

/// minimal.pdf signed by motcua as the test PKI's `rsa` signer (tax code 0106869738): what the
/// bombs appended after a signature are appended to.
pub fn signed_minimal() -> Vec<u8> {
    let pki = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/pki");
    let read = |f: &str| std::fs::read(format!("{pki}/{f}")).unwrap();
    let identity = motcua::signature::sign::SigningIdentity::from_pem(
        &read("signer-rsa.key.pem"),
        &read("signer-rsa.pem"),
        &read("intermediate-ca.pem"),
    )
    .unwrap();
    let time = time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM);
    motcua::signature::sign::sign_pdf(&minimal_pdf(), &identity, time, "Signature1").unwrap()
}

/// A stream object's body: its dictionary entries, `/Length` and the data.
pub fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

/// A one-page PDF whose page content stream inflates to `mib` MiB of zeros.
pub fn content_stream_bomb(mib: usize) -> Vec<u8> {
    pdf_with_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &zeros_deflated(mib)),
    ])
}

/// A PDF whose objects live in an object stream (`object_stream_data`, compressed as given),
/// found through a cross-reference stream: catalog 1 and pages 2 are plain objects, object 3
/// is the object stream's only member.
pub fn object_stream_pdf(object_stream_data: &[u8], filtered: bool) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    let filter = if filtered { "/Filter /FlateDecode" } else { "" };
    let bodies: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 /Extra 3 0 R >>".to_vec(),
        stream(
            &format!("/Type /ObjStm /N 1 /First 4 {filter}"),
            object_stream_data,
        ),
    ];
    for (i, body) in bodies.iter().enumerate() {
        offsets.push(out.len());
        // Objects 1, 2 and 4 (3 is compressed in 4).
        let number = [1, 2, 4][i];
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    let mut entries = vec![[0u8, 0, 0, 0, 0, 0xff, 0xff]];
    let normal = |o: usize| {
        let o = o as u32;
        let b = o.to_be_bytes();
        [1, b[0], b[1], b[2], b[3], 0, 0]
    };
    entries.push(normal(offsets[0]));
    entries.push(normal(offsets[1]));
    entries.push([2, 0, 0, 0, 4, 0, 0]);
    entries.push(normal(offsets[2]));
    entries.push(normal(xref_at));
    let data: Vec<u8> = entries.concat();
    out.extend_from_slice(b"5 0 obj\n");
    out.extend_from_slice(&stream("/Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R", &data));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());
    out
}

/// An object stream that inflates to `mib` MiB of zeros.
pub fn object_stream_bomb(mib: usize) -> Vec<u8> {
    object_stream_pdf(&zeros_deflated(mib), true)
}

/// An object stream of `mib` MiB of `0 ` tokens: a few KiB compressed, millions of values parsed.
pub fn dense_object_stream(mib: usize) -> Vec<u8> {
    let mut data = b"3 0 [".to_vec();
    data.resize(mib << 20, 0);
    for pair in data[5..].chunks_mut(2) {
        pair[0] = b'0';
        if pair.len() > 1 {
            pair[1] = b' ';
        }
    }
    data.extend_from_slice(b"]");
    object_stream_pdf(&deflate(&data), true)
}

/// Appends to `pdf` an incremental update whose cross-reference stream inflates to `mib` MiB of
/// zeros: a revision after the signature that no parser can read within a budget.
pub fn append_xref_stream_bomb(pdf: &[u8], mib: usize) -> Vec<u8> {
    let prev = startxref(pdf);
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let at = out.len();
    out.extend_from_slice(b"9999 0 obj\n");
    out.extend_from_slice(&stream(
        &format!("/Type /XRef /Size 10000 /W [1 4 2] /Index [0 10000] /Root 1 0 R /Prev {prev} /Filter /FlateDecode"),
        &zeros_deflated(mib),
    ));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
    out
}

/// A PDF that is only an xref stream bomb: its one cross-reference stream inflates to `mib` MiB.
pub fn xref_stream_bomb(mib: usize) -> Vec<u8> {
    let base = pdf_with_objects(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec(),
    ]);
    // Cut the classic table and trailer: the bomb is the only cross-reference data.
    let cut = find(&base, b"xref\n").unwrap();
    let mut out = base[..cut].to_vec();
    let at = out.len();
    out.extend_from_slice(b"3 0 obj\n");
    out.extend_from_slice(&stream(
        "/Type /XRef /Size 4 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode",
        &zeros_deflated(mib),
    ));
    out.extend_from_slice(format!("\nendobj\nstartxref\n{at}\n%%EOF\n").as_bytes());
    out
}

/// The offset of the last `startxref`.
pub fn startxref(pdf: &[u8]) -> usize {
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    String::from_utf8_lossy(&pdf[at + 9..])
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A PDF nested `depth` levels deep in its catalog (the dictionary and `depth - 1` arrays).
pub fn deeply_nested(depth: usize) -> Vec<u8> {
    let mut deep = b"<< /Type /Catalog /Pages 2 0 R /Deep ".to_vec();
    deep.extend(std::iter::repeat_n(b'[', depth - 1));
    deep.extend(std::iter::repeat_n(b']', depth - 1));
    deep.extend_from_slice(b" >>");
    pdf_with_objects(&[deep, b"<< /Type /Pages /Kids [] /Count 0 >>".to_vec()])
}

/// `pdf` cut in the middle of its last object, as an interrupted copy leaves it: no
/// cross-reference table, no trailer.
pub fn truncated(pdf: &[u8]) -> Vec<u8> {
    let last_obj = pdf.windows(4).rposition(|w| w == b" obj").unwrap();
    pdf[..last_obj + 20].to_vec()
}
