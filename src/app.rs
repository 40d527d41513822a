//! Start-up and wiring: open the database (migrating it) and the object store from settings,
//! build the HTTP app, serve it with graceful shutdown, and run the node's background tasks.
//! `anyhow` lives here and in `main`: this is the edge.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::NewToken;
use crate::config::{ServeSettings, StorageSettings, StoreSettings};
use crate::db::{Db, redact_url};
use crate::dossier::signatures::SignaturePolicy;
use crate::dossier::{Catalogue, DossierService};
use crate::http::{AppState, app};
use crate::ledger::{Ledger, LogSigner};
use crate::result::{Issuer, ResultService};
use crate::storage::{LocalStore, ObjectStore, S3Store};

/// Opens (and migrates) the database, and opens the object store.
pub async fn open(settings: &StoreSettings) -> anyhow::Result<(Db, ObjectStore)> {
    let uses_data_dir = settings.database_url.starts_with("sqlite:")
        || matches!(settings.storage, StorageSettings::Local(_));
    if uses_data_dir {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
    }
    let db = Db::connect(&settings.database_url, settings.db_max_connections)
        .await
        .with_context(|| format!("connecting to {}", redact_url(&settings.database_url)))?;
    db.migrate().await.context("applying database migrations")?;
    let store = match &settings.storage {
        StorageSettings::Local(path) => ObjectStore::Local(Arc::new(
            LocalStore::open(path)
                .await
                .with_context(|| format!("opening object store {}", path.display()))?,
        )),
        StorageSettings::S3(s3) => ObjectStore::S3(Arc::new(
            S3Store::connect(s3.clone())
                .await
                .with_context(|| format!("configuring S3 bucket {}", s3.bucket))?,
        )),
    };
    Ok((db, store))
}

/// Creates an API token and returns the secret (shown once; only its hash is stored), through
/// the token service ([`crate::auth::Tokens::create`]: the agency must have been checked by the
/// caller against the catalogue in force).
pub async fn create_token(db: &Db, request: &NewToken) -> anyhow::Result<String> {
    let (_, secret) = crate::auth::Tokens::new(db.clone())
        .create(request)
        .await
        .context("creating the token")?;
    Ok(secret)
}

/// The procedure catalogue the settings name (or the built-in one).
pub fn catalogue(settings: &ServeSettings) -> anyhow::Result<Catalogue> {
    Ok(match &settings.procedures {
        None => Catalogue::builtin(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading procedure catalogue {}", path.display()))?;
            Catalogue::from_toml(&text)?
        }
    })
}

/// The notification webhook the settings name, with its secret (from its file or
/// MOTCUA_WEBHOOK_SECRET; never logged).
pub fn webhook(settings: &ServeSettings) -> anyhow::Result<Option<crate::notify::Webhook>> {
    let Some(w) = &settings.webhook else {
        return Ok(None);
    };
    crate::http_client::check_url(&w.url).with_context(|| format!("webhook {}", w.url))?;
    let secret = match &w.secret_file {
        Some(path) => std::fs::read(path)
            .with_context(|| format!("reading the webhook secret {}", path.display()))?,
        None => std::env::var("MOTCUA_WEBHOOK_SECRET")
            .map(String::into_bytes)
            .map_err(|_| {
                anyhow::anyhow!(
                    "a webhook needs a secret: --webhook-secret-file or MOTCUA_WEBHOOK_SECRET"
                )
            })?,
    };
    let secret = secret.trim_ascii().to_vec();
    if secret.len() < 16 {
        anyhow::bail!("the webhook secret is too short (at least 16 bytes)");
    }
    Ok(Some(crate::notify::Webhook {
        url: w.url.clone(),
        secret,
        retry_base: w.retry_base,
    }))
}

/// The working-day calendar the settings name (or Vietnam's 2026 public holidays).
pub fn calendar(settings: &ServeSettings) -> anyhow::Result<crate::workflow::Calendar> {
    Ok(match &settings.holidays {
        None => crate::workflow::Calendar::vietnam_2026(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading holidays {}", path.display()))?;
            crate::workflow::Calendar::parse_holidays(&text)
                .with_context(|| format!("holidays {}", path.display()))?
        }
    })
}

/// The trust store and rules for verifying business signatures.
pub fn signature_policy(settings: &ServeSettings) -> anyhow::Result<SignaturePolicy> {
    let s = &settings.signatures;
    let mut store = crate::pki::Store::default();
    if let Some(path) = &s.business_trust {
        store.anchors = crate::pki::load::certs(path)
            .with_context(|| format!("reading the business trust store {}", path.display()))?;
        tracing::info!(anchors = store.anchors.len(), path = %path.display(), "business trust store");
    } else {
        tracing::warn!("no business trust store (--business-trust): no signature will be trusted");
    }
    if let Some(path) = &s.business_crls {
        store.crls = crate::pki::load::crls(path)
            .with_context(|| format!("reading CRLs {}", path.display()))?;
    }
    let options = crate::signature::VerifyOptions {
        store,
        revocation: s.revocation,
        at: None,
        algorithms: crate::pki::AlgorithmPolicy::default(),
        ocsp: true,
    };
    let agency = match &s.agency_trust {
        None => None,
        Some(path) => {
            let mut agency = options.clone();
            agency.store.anchors = crate::pki::load::certs(path)
                .with_context(|| format!("reading the agency trust store {}", path.display()))?;
            Some(agency)
        }
    };
    Ok(SignaturePolicy { options, agency })
}

/// The identity results are signed with: the configured key, else the demo identity where
/// allowed (embedded defaults, or --demo-issuer), else none (issuing answers 503).
pub fn issuer(
    settings: &ServeSettings,
    agency_trust: Option<&crate::signature::VerifyOptions>,
) -> anyhow::Result<Option<Issuer>> {
    use crate::signature::sign::{Level, SigningIdentity};
    let s = &settings.issuer;
    let mut issuer = match &s.key {
        Some(key) => {
            let secret = match &s.secret_file {
                Some(p) => Some(
                    std::fs::read_to_string(p)
                        .with_context(|| format!("reading {}", p.display()))?
                        .trim_end_matches(['\r', '\n'])
                        .to_owned(),
                ),
                None => std::env::var("MOTCUA_ISSUER_SECRET").ok(),
            };
            let identity = SigningIdentity::load(
                key,
                s.cert.as_deref(),
                s.chain.as_deref(),
                secret.as_deref(),
                s.pkcs11_module.as_deref(),
            )
            .context("loading the issuing identity (--issuer-key)")?;
            Issuer {
                identity,
                agency: s.name.clone().unwrap_or_default(),
                level: Level::BB,
                tsa: None,
                validation: None,
                time_pattern: crate::signature::appearance::DEFAULT_TIME_PATTERN.into(),
                seal: None,
                demo: false,
            }
        }
        None if s.demo => {
            tracing::warn!(
                "results are signed with the DEMO agency identity of certs/ (not trusted by \
                 anyone): configure --issuer-key for production"
            );
            let mut demo = Issuer::demo()?;
            if let Some(name) = &s.name {
                demo.agency = name.clone();
            }
            demo
        }
        None => {
            tracing::warn!("no issuing identity (--issuer-key): results cannot be issued");
            return Ok(None);
        }
    };
    if issuer.agency.trim().is_empty() {
        anyhow::bail!("--issuer-name is required with --issuer-key: the agency printed on results");
    }
    issuer.tsa = s.tsa.clone();
    issuer.level = Level::choose(s.level, issuer.tsa.is_some(), "--issuer-tsa")
        .map_err(|e| anyhow::anyhow!("--issuer-level: {e}"))?;
    if issuer.level == Level::BLT {
        let trust = agency_trust.ok_or_else(|| {
            anyhow::anyhow!("--issuer-level B-LT needs the agency trust store (--agency-trust)")
        })?;
        issuer.validation = Some(trust.clone());
    }
    if let Some(p) = &s.time_pattern {
        time::format_description::parse_borrowed::<2>(p)
            .map_err(|e| anyhow::anyhow!("--signature-time-pattern {p:?}: {e}"))?;
        issuer.time_pattern = p.clone();
    }
    if let Some(p) = &s.seal {
        issuer.seal = Some(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?);
    }
    tracing::info!(agency = %issuer.agency, signer = %issuer.identity.subject(),
        level = issuer.level.as_str(), "issuing identity");
    Ok(Some(issuer))
}

/// Opens the integrity log with this instance's signing key (created at first start).
pub async fn open_ledger(settings: &ServeSettings, db: Db) -> anyhow::Result<Ledger> {
    let l = &settings.ledger;
    let signer = LogSigner::load_or_create(&l.key_file, &l.origin, true)?;
    Ok(Ledger::open(db, &l.origin, signer).await?)
}

/// The database, the store and the dossier service over them, for a command that works on
/// dossiers outside the server (catalogue as configured; no signature policy, calendar or gate).
pub async fn open_dossiers(settings: &ServeSettings) -> anyhow::Result<DossierService> {
    let (db, objects) = open(&settings.store).await?;
    let dossiers = DossierService::new(
        db,
        objects,
        Arc::new(catalogue(settings)?),
        settings.unit_code.clone(),
        settings.limits,
    );
    dossiers.units().migrate(&settings.unit_code).await?;
    Ok(dossiers)
}

/// Builds the services and app state.
pub async fn state(
    settings: &ServeSettings,
    db: Db,
    store: ObjectStore,
) -> anyhow::Result<AppState> {
    let catalogue = catalogue(settings)?;
    let ledger = open_ledger(settings, db.clone()).await?;
    let dossiers = DossierService::new(
        db.clone(),
        store.clone(),
        Arc::new(catalogue),
        settings.unit_code.clone(),
        settings.limits,
    )
    .with_signature_policy(signature_policy(settings)?)
    .with_calendar(calendar(settings)?)
    .with_notifications(settings.webhook.is_some())
    .with_scan_quality(settings.scan_quality)
    .with_orphan_grace(settings.orphan_grace)
    .with_work_gate(crate::gate::WorkGate::new(
        settings.document_memory,
        crate::gate::DEFAULT_WAIT,
    ));
    // A deployment that predates units gets its first one, and its dossiers their unit.
    dossiers
        .units()
        .migrate(&settings.unit_code)
        .await
        .context("migrating to administrative units")?;
    // Results are verified against the agency trust store (with the demo root when the demo
    // identity signs).
    let mut verify = dossiers
        .agency_signature_options()
        .cloned()
        .unwrap_or_else(|| {
            let mut o = dossiers.signature_options().clone();
            o.store.anchors.clear();
            o
        });
    let issuer = issuer(settings, dossiers.agency_signature_options())?;
    if issuer.as_ref().is_some_and(|i| i.demo) {
        verify.store.anchors.push(
            crate::pki::Cert::parse(
                &crate::pki::pem_or_der_all(Issuer::demo_root(), "CERTIFICATE")[0],
            )
            .context("the demo root")?,
        );
    }
    let results = ResultService::new(
        db.clone(),
        store.clone(),
        dossiers.clone(),
        issuer,
        settings.issuer.public_url.clone(),
        verify,
    );
    // Detected once: a store's capability does not change while it serves.
    let object_lock = store.object_lock().await;
    let fixity =
        crate::archive::FixityAuditor::new(db.clone(), store.clone(), settings.fixity_rate);
    tracing::info!(object_lock = %object_lock, "object store");
    let accounts = crate::auth::Accounts::new(db.clone(), settings.accounts.clone());
    Ok(AppState {
        results,
        dossiers,
        tokens: crate::auth::Tokens::new(db.clone()),
        identity_provider: crate::auth::oidc::IdentityProvider::new(
            db.clone(),
            accounts.clone(),
            settings.accounts.oidc.clone(),
        ),
        accounts,
        store,
        ledger,
        ledger_public: settings.ledger.public,
        object_lock: std::sync::Arc::new(object_lock),
        fixity,

        admission: std::sync::Arc::new(crate::http::Admission::new(settings.admission)),
        connections: settings.connections,
    })
}

/// One background task of a node: `pass` now, then every `every`, until `stop` says so (a pass
/// in progress is dropped then: each is a transaction or a resumable step). A pass reports its
/// own failures; the next runs on time.
fn periodic<F, Fut>(mut stop: watch::Receiver<bool>, every: Duration, mut pass: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = pass() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    })
}

/// How often the Object Lock pass looks for objects not locked yet.
const LOCK_PASS_EVERY: Duration = Duration::from_secs(600);

/// A running server.
pub struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    serving: JoinHandle<std::io::Result<()>>,
    sweeping: JoinHandle<()>,
    checkpointing: JoinHandle<()>,
    notifying: Option<JoinHandle<()>>,
    auditing: Option<JoinHandle<()>>,
    locking: Option<JoinHandle<()>>,
    db: Db,
    state: AppState,
}

impl Server {
    /// Opens everything and starts serving on `settings.listen` (port 0 picks a free port).
    pub async fn start(settings: &ServeSettings) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        // Verification links name the address really bound when none was configured.
        let mut settings = settings.clone();
        if settings.issuer.public_url == format!("http://{}", settings.listen) {
            settings.issuer.public_url = format!("http://{addr}");
        }
        let settings = &settings;
        let (db, store) = open(&settings.store).await?;
        let state = state(settings, db.clone(), store.clone()).await?;
        let (shutdown, stop) = watch::channel(false);
        let router = app(state.clone());
        let mut stop_serving = stop.clone();
        let connections = settings.connections;
        let serving = tokio::spawn(async move {
            crate::http::serve(listener, router, connections, async move {
                let _ = stop_serving.wait_for(|s| *s).await;
            })
            .await
        });
        let grace = settings.orphan_grace;
        let service = state.dossiers.clone();
        let sweeping = periodic(
            stop.clone(),
            (grace / 2).max(Duration::from_secs(60)),
            move || {
                let service = service.clone();
                async move {
                    match service.sweep_orphans(grace).await {
                        Ok(r) if r.orphans_removed + r.unfinished_removed > 0 => {
                            tracing::info!(?r, "orphan sweep removed leftovers");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "orphan sweep failed"),
                    }
                }
            },
        );
        let notifying = match webhook(settings)? {
            None => None,
            Some(hook) => {
                let poll = settings
                    .webhook
                    .as_ref()
                    .map_or(Duration::from_secs(1), |w| w.poll);
                let (db, hook) = (db.clone(), std::sync::Arc::new(hook));
                Some(periodic(stop.clone(), poll, move || {
                    let (db, hook) = (db.clone(), hook.clone());
                    async move {
                        if let Err(e) = crate::notify::deliver_due(&db, &hook).await {
                            tracing::warn!(error = %e, "delivering notifications failed");
                        }
                    }
                }))
            }
        };
        // Object Lock: a pass locks what is not locked yet (after a crash between a commit and
        // its lock, or once the bucket got Object Lock), at start and every ten minutes.
        let locking = matches!(
            *state.object_lock,
            crate::storage::ObjectLock::Enabled { .. }
        )
        .then(|| {
            let dossiers = state.dossiers.clone();
            periodic(stop.clone(), LOCK_PASS_EVERY, move || {
                let dossiers = dossiers.clone();
                async move {
                    match dossiers.protect_unlocked(500).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(dossiers = n, "locked objects not locked yet"),
                        Err(e) => tracing::warn!(error = %e, "locking objects failed"),
                    }
                }
            })
        });
        // Fixity audits: the unfinished one resumes at start, then one per interval.
        let auditing = (!settings.fixity_interval.is_zero()).then(|| {
            let auditor = state.fixity.clone();
            periodic(stop.clone(), settings.fixity_interval, move || {
                let auditor = auditor.clone();
                async move {
                    if let Err(e) = auditor.run(None).await {
                        tracing::warn!(error = %e, "fixity audit failed");
                    }
                }
            })
        });
        // A catalogue an administrator published (on any node) is in force from the start, and
        // picked up with each checkpoint after.
        state
            .dossiers
            .refresh_catalogue()
            .await
            .context("loading the published procedure catalogue")?;
        let (ledger, catalogue_holder) = (state.ledger.clone(), state.dossiers.clone());
        let checkpointing = periodic(stop, settings.ledger.checkpoint_interval, move || {
            let (ledger, catalogue_holder) = (ledger.clone(), catalogue_holder.clone());
            async move {
                if let Err(e) = ledger.publish_checkpoint().await {
                    tracing::warn!(error = %e, "signing a checkpoint failed");
                }
                if let Err(e) = catalogue_holder.refresh_catalogue().await {
                    tracing::warn!(error = %e, "refreshing the procedure catalogue failed");
                }
            }
        });
        tracing::info!(
            %addr,
            storage = %store.describe(),
            ledger_key = %state.ledger.verifier(),
            "serving"
        );
        Ok(Self {
            addr,
            shutdown,
            serving,
            sweeping,
            checkpointing,
            notifying,
            auditing,
            locking,
            db,
            state,
        })
    }

    /// The state the server runs with (for tools and tests that call services directly).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, and closes the database.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        let served = self.serving.await.context("server task")?;
        let _ = self.sweeping.await;
        let _ = self.checkpointing.await;
        if let Some(n) = self.notifying {
            let _ = n.await;
        }
        if let Some(a) = self.auditing {
            let _ = a.await;
        }
        if let Some(l) = self.locking {
            let _ = l.await;
        }
        self.db.close().await;
        served.context("serving")?;
        Ok(())
    }
}

/// The signals that ask the process to stop (SIGINT/Ctrl-C and SIGTERM). Install it before
/// announcing readiness: a signal that arrives earlier would otherwise kill the process without
/// a graceful shutdown.
pub struct ShutdownSignal {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl ShutdownSignal {
    /// Registers the handlers now.
    pub fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt()).context("installing SIGINT handler")?,
                terminate: signal(SignalKind::terminate()).context("installing SIGTERM handler")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves when one of the signals arrives.
    pub async fn recv(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
