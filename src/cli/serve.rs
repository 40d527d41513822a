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
    println!("motcua listening on http://{}", server.addr());
    println!("create a first token:  motcua token create --role officer --data {data}");
    println!("(with the same --database-url/--config when not on the embedded defaults)");
    signals.recv().await;
    tracing::info!("shutting down: finishing requests in flight");
    server.stop().await
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
