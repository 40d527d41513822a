//! `motcua sign`: sign a PDF as the agency would (PAdES B-B, B-T, B-LT; visible block; certified copies).

use std::process::ExitCode;

use super::{COULD_NOT_RUN, input_error};

#[derive(clap::Args)]
pub(crate) struct SignArgs {
    /// The private key: a PEM file, a PKCS#12 file (.p12/.pfx) holding key and certificate, or
    /// an RFC 7512 `pkcs11:` URI (the key never leaves the token; PIN from
    /// MOTCUA_KEY_PASSPHRASE or --passphrase-file).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: String,
    /// The PKCS#11 module for a `pkcs11:` key. [default: MOTCUA_PKCS11_MODULE, else SoftHSM2]
    #[arg(long, value_name = "LIB")]
    pkcs11_module: Option<std::path::PathBuf>,
    /// The signer's certificate (PEM). Not needed with a PKCS#12 key, nor with a token that
    /// holds it.
    #[arg(long, value_name = "CERT")]
    pub(crate) cert: Option<std::path::PathBuf>,
    /// Intermediate certificates (PEM) to include in the signature.
    #[arg(long, value_name = "CERTS")]
    pub(crate) chain: Option<std::path::PathBuf>,
    /// A file holding the PKCS#12 passphrase or the token PIN. [default: the
    /// MOTCUA_KEY_PASSPHRASE variable, or an empty passphrase]
    #[arg(long, value_name = "FILE")]
    pub(crate) passphrase_file: Option<std::path::PathBuf>,
    /// The name of the new signature field.
    #[arg(long, default_value = "Signature1", value_name = "NAME")]
    pub(crate) field: String,
    /// An RFC 3161 time-stamping authority (http:// URL): PAdES B-T, the signature carries a
    /// timestamp from it. Without it: B-B.
    #[arg(long, value_name = "URL")]
    pub(crate) tsa: Option<String>,
    /// The PAdES level: B-B, B-T (needs --tsa) or B-LT (needs --tsa and --trust: the signature is
    /// validated now and the certificates, CRLs and OCSP responses go into the DSS).
    /// [default: B-T with --tsa, else B-B]
    #[arg(long, value_name = "LEVEL")]
    pub(crate) level: Option<motcua::signature::sign::Level>,
    /// B-LT: what the new signature is validated against before its material goes into the
    /// DSS.
    #[command(flatten)]
    pub(crate) trust: super::TrustArgs,
    /// Draw a visible signature block naming this agency and the signing time (Decree
    /// 30/2020 style).
    #[arg(long, value_name = "NAME")]
    pub(crate) visible: Option<String>,
    /// Where the visible block goes: "x1,y1,x2,y2" in points. [default: top right]
    #[arg(long, value_name = "RECT", requires = "visible")]
    pub(crate) rect: Option<String>,
    /// The page of the visible block, from 1.
    #[arg(long, default_value_t = 1, value_name = "N", requires = "visible")]
    pub(crate) page: usize,
    /// A seal or signature image (PNG, transparency kept) drawn in the visible block.
    #[arg(long, value_name = "PNG", requires = "visible")]
    pub(crate) seal: Option<std::path::PathBuf>,
    /// How the signing time is shown (a `time` crate format description).
    #[arg(long, value_name = "PATTERN", default_value = motcua::signature::appearance::DEFAULT_TIME_PATTERN)]
    pub(crate) time_pattern: String,
    /// Issue a certified electronic copy (SAO Y) of a scanned original: IN may be a PDF or
    /// JPEG/PNG/TIFF images (turned into a PDF), stamped top right of page 1 with "SAO Y",
    /// this copying agency and the signing time.
    #[arg(long, value_name = "AGENCY", conflicts_with = "visible")]
    pub(crate) certified_copy: Option<String>,
    /// The PDF to sign (with --certified-copy also JPEG, PNG or TIFF).
    pub(crate) input: std::path::PathBuf,
    /// Where to write the signed PDF (written whole, then renamed into place).
    pub(crate) output: std::path::PathBuf,
}

/// What `motcua sign` was asked to do, read from its arguments.
pub(crate) struct SignPlan {
    pdf: Vec<u8>,
    level: motcua::signature::sign::Level,
    validation: Option<motcua::signature::VerifyOptions>,
    appearance: Option<motcua::signature::appearance::Appearance>,
}

pub(crate) fn sign_plan(
    args: &SignArgs,
    input: Vec<u8>,
    now: time::OffsetDateTime,
) -> Result<SignPlan, String> {
    use motcua::signature::appearance::{Appearance, Placement};
    use motcua::signature::sign::Level;
    let level = Level::choose(args.level, args.tsa.is_some(), "--tsa")
        .map_err(|e| format!("--level: {e}"))?;
    let validation = if level == Level::BLT {
        if args.trust.trust.is_empty() {
            return Err("--level B-LT needs --trust".into());
        }
        let revocation = args
            .trust
            .revocation_or(motcua::pki::RevocationMode::Require);
        if revocation == motcua::pki::RevocationMode::Off {
            return Err("--level B-LT needs revocation data: --revocation require or soft".into());
        }
        Some(motcua::signature::VerifyOptions {
            store: args.trust.store()?,
            revocation,
            at: None,
            algorithms: motcua::pki::AlgorithmPolicy::default(),
            ocsp: true,
        })
    } else {
        None
    };
    let (pdf, appearance) = match &args.certified_copy {
        Some(agency) => {
            let pdf = match motcua::content::detect(&input) {
                Some(motcua::content::MediaType::Pdf) => input,
                Some(
                    motcua::content::MediaType::Jpeg
                    | motcua::content::MediaType::Png
                    | motcua::content::MediaType::Tiff,
                ) => motcua::pdf::image::images_to_pdf(&[&input])
                    .map_err(|e| format!("{}: {e}", args.input.display()))?,
                _ => {
                    return Err(format!(
                        "{}: a certified copy is made of a PDF, JPEG, PNG or TIFF scan",
                        args.input.display()
                    ));
                }
            };
            let stamp = Appearance::certified_copy(agency, now, &args.time_pattern)
                .map_err(|e| e.to_string())?;
            (pdf, Some(stamp))
        }
        None => {
            let appearance = match &args.visible {
                None => None,
                Some(agency) => {
                    let placement = match &args.rect {
                        None => Placement::TopRight {
                            width: 220.0,
                            height: 60.0,
                            margin: 36.0,
                        },
                        Some(r) => {
                            let v: Vec<f32> = r
                                .split(',')
                                .map(|p| p.trim().parse::<f32>())
                                .collect::<Result<_, _>>()
                                .map_err(|_| format!("--rect {r:?}: four numbers x1,y1,x2,y2"))?;
                            match v[..] {
                                [x1, y1, x2, y2] if x2 > x1 && y2 > y1 => {
                                    Placement::Rect([x1, y1, x2, y2])
                                }
                                _ => {
                                    return Err(format!(
                                        "--rect {r:?}: four numbers x1,y1,x2,y2 with x2 > x1 and y2 > y1"
                                    ));
                                }
                            }
                        }
                    };
                    let mut a = Appearance::signed_by(agency, now, &args.time_pattern, placement)
                        .map_err(|e| e.to_string())?;
                    a.page = args.page;
                    if let Some(p) = &args.seal {
                        a.image =
                            Some(std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?);
                    }
                    Some(a)
                }
            };
            (input, appearance)
        }
    };
    Ok(SignPlan {
        pdf,
        level,
        validation,
        appearance,
    })
}

pub(crate) fn sign_file(args: SignArgs) -> ExitCode {
    use motcua::signature::sign::{PdfSignOptions, SigningIdentity};
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let secret = match &args.passphrase_file {
        Some(p) => match read(p)
            .and_then(|b| String::from_utf8(b).map_err(|_| format!("{}: not UTF-8", p.display())))
        {
            Ok(s) => Some(s.trim_end_matches(['\r', '\n']).to_owned()),
            Err(e) => return input_error(e),
        },
        None => std::env::var("MOTCUA_KEY_PASSPHRASE").ok(),
    };
    let identity = SigningIdentity::load(
        &args.key,
        args.cert.as_deref(),
        args.chain.as_deref(),
        secret.as_deref(),
        args.pkcs11_module.as_deref(),
    )
    .map_err(|e| e.to_string());
    let identity = match identity {
        Ok(i) => i,
        Err(e) => return input_error(e),
    };
    let input = match read(&args.input) {
        Ok(b) => b,
        Err(e) => return input_error(e),
    };
    let now = time::OffsetDateTime::now_utc().to_offset(motcua::timestamp::VIETNAM);
    let plan = match sign_plan(&args, input, now) {
        Ok(p) => p,
        Err(e) => return input_error(e),
    };
    let options = PdfSignOptions {
        time: now,
        field: &args.field,
        level: plan.level,
        tsa: args.tsa.as_deref(),
        validation: plan.validation.as_ref(),
        appearance: plan.appearance.as_ref(),
    };
    let signed = match motcua::signature::sign::sign_pdf_with(&plan.pdf, &identity, &options) {
        Ok(s) => s,
        // The TSA being unreachable or refusing is not the input's fault.
        Err(e @ motcua::signature::sign::SignError::Timestamp(_)) => {
            eprintln!("motcua: error: {e}");
            return ExitCode::from(COULD_NOT_RUN);
        }
        Err(e) => return input_error(format!("{}: {e}", args.input.display())),
    };
    // Never leave a half-written OUT: write beside it, then rename into place.
    let mut tmp = args.output.clone().into_os_string();
    tmp.push(".partial");
    let tmp = std::path::PathBuf::from(tmp);
    if let Err(e) = std::fs::write(&tmp, &signed).and_then(|()| std::fs::rename(&tmp, &args.output))
    {
        let _ = std::fs::remove_file(&tmp);
        eprintln!("motcua: error: {}: {e}", args.output.display());
        return ExitCode::from(COULD_NOT_RUN);
    }
    eprintln!(
        "signed {} -> {} ({} bytes)",
        args.input.display(),
        args.output.display(),
        signed.len()
    );
    ExitCode::SUCCESS
}
