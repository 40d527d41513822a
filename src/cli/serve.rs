//! `motcua serve`, `motcua migrate` and `motcua gc`: run the service, apply migrations, sweep
//! orphaned objects.

use std::time::Duration;

use motcua::config::{LogFormat, ServeArgs, StoreArgs};

use super::init_logging;

/// `motcua serve`.
pub(crate) async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.resolve()?;
    init_logging(settings.log_format);
    let signals = motcua::app::ShutdownSignal::install()?;
    let server = motcua::app::Server::start(&settings).await?;
    let data = settings.store.data_dir.display();
    if settings.store.database_url.starts_with("sqlite:") {
        first_admin(&server, &settings.store.data_dir).await?;
    }
    println!("motcua listening on http://{}", server.addr());
    println!("create a first token:  motcua token create --role officer --data {data}");
    println!("(with the same --database-url/--config when not on the embedded defaults)");
    signals.recv().await;
    tracing::info!("shutting down: finishing requests in flight");
    server.stop().await
}

/// On the embedded defaults, a service with no account at all gets a first administrator,
/// `admin`, whose random password is written to `<data>/first-admin-password` (readable by
/// the owner only) and never printed or logged: the terminal says where it is. The person
/// signs in at `/sign-in`, enrols a second factor, and should then delete the file.
async fn first_admin(
    server: &motcua::app::Server,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use motcua::auth::accounts::{Manager, NewAccount, Username};
    use motcua::auth::password::Password;
    let accounts = &server.state().accounts;
    if !accounts.list(Manager::Cli).await?.is_empty() {
        return Ok(());
    }
    let path = data_dir.join("first-admin-password");
    let password = motcua::auth::password::generate();
    let created = accounts
        .create(
            Manager::Cli,
            NewAccount {
                username: Username::parse("admin").context("the first administrator's name")?,
                rights: motcua::auth::NewToken {
                    role: motcua::auth::Role::Admin,
                    tax_code: None,
                    id_number: None,
                    agency: None,
                    name: Some("Quản trị hệ thống".into()),
                    branches: false,
                    unit: None,
                },
                password: Some(Password::new(password.clone())),
            },
            &|_| true,
            &|_| true,
        )
        .await;
    match created {
        Ok(_) => {}
        // Another node made it first.
        Err(motcua::auth::AccountError::UsernameTaken) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    write_private(&path, &format!("{password}\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "first administrator: sign in at /sign-in as \"admin\" with the password in {} \
         (then enrol a second factor and delete that file)",
        path.display()
    );
    Ok(())
}

/// Writes a file only its owner may read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// `motcua migrate`.
pub(crate) async fn migrate(store: StoreArgs) -> anyhow::Result<()> {
    init_logging(LogFormat::Text);
    let settings = store.resolve()?;
    motcua::app::open(&settings).await?;
    println!("migrations applied");
    Ok(())
}

/// `motcua gc`.
pub(crate) async fn gc(store: StoreArgs, grace_secs: u64) -> anyhow::Result<()> {
    init_logging(LogFormat::Text);
    // The unit code and the catalogue come from the same config file as the store.
    let serve = ServeArgs {
        store,
        ..ServeArgs::default()
    }
    .resolve()?;
    let dossiers = motcua::app::open_dossiers(&serve).await?;
    let report = dossiers
        .sweep_orphans(Duration::from_secs(grace_secs))
        .await?;
    println!(
        "examined {} objects, removed {} orphans and {} unfinished uploads",
        report.examined, report.orphans_removed, report.unfinished_removed
    );
    Ok(())
}
