//! The `motcua` command: `serve`, `migrate`, `token create`, `gc`, `openapi`.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use motcua::auth::{NewToken, Role};
use motcua::config::{LogFormat, ServeArgs, StoreArgs};
use motcua::dossier::{IdNumber, TaxCode};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "motcua",
    version,
    about = "Dossiers and digital signatures for one-stop counters"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service. With no settings: SQLite and a local object store in ./data,
    /// listening on 127.0.0.1:8080.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(StoreArgs),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Remove orphaned objects (stored, but referenced by no record) and unfinished uploads.
    Gc {
        #[command(flatten)]
        store: StoreArgs,
        /// Only remove what is older than this many seconds.
        #[arg(long, default_value_t = 3600)]
        grace_secs: u64,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token. The token is printed as the last line; only its hash is stored.
    Create {
        /// business, citizen, officer, archivist or admin.
        #[arg(long)]
        role: String,
        /// The business's tax code (required for --role business).
        #[arg(long)]
        tax_code: Option<String>,
        /// The citizen's identification number (required for --role citizen).
        #[arg(long)]
        id_number: Option<String>,
        /// The agency or unit a staff member works for.
        #[arg(long)]
        agency: Option<String>,
        /// A display name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("MOTCUA_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,aws=warn,hyper=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("motcua: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = args.resolve()?;
            init_logging(settings.log_format);
            let server = motcua::app::Server::start(&settings).await?;
            let data = settings.store.data_dir.display();
            println!("motcua listening on http://{}", server.addr());
            println!("create a first token:  motcua token create --role officer --data {data}");
            println!("(with the same --database-url/--config when not on the embedded defaults)");
            motcua::app::shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            server.stop().await
        }
        Command::Migrate(store) => {
            init_logging(LogFormat::Text);
            let settings = store.resolve()?;
            motcua::app::open(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Token(TokenCommand::Create {
            role,
            tax_code,
            id_number,
            agency,
            name,
            store,
        }) => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?} (business, citizen, officer, archivist, admin)")
            })?;
            let request = NewToken {
                role,
                tax_code: tax_code
                    .map(|t| TaxCode::parse(&t))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--tax-code: {}", e.rule))?,
                id_number: id_number
                    .map(|n| IdNumber::parse(&n))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--id-number: {}", e.rule))?,
                agency,
                name,
            };
            request.validate()?;
            let settings = store.resolve()?;
            let (db, _) = motcua::app::open(&settings).await?;
            let secret = motcua::app::create_token(&db, &request).await?;
            println!(
                "created a {} token; keep it secret, it is shown only once:",
                request.role
            );
            println!("{secret}");
            Ok(())
        }
        Command::Gc { store, grace_secs } => {
            init_logging(LogFormat::Text);
            let settings = store.resolve()?;
            let serve = motcua::config::ServeSettings {
                store: settings.clone(),
                ..ServeArgs::default().resolve()?
            };
            let (db, objects) = motcua::app::open(&settings).await?;
            let state = motcua::app::state(&serve, db, objects)?;
            let report = state
                .dossiers
                .sweep_orphans(Duration::from_secs(grace_secs))
                .await?;
            println!(
                "examined {} objects, removed {} orphans and {} unfinished uploads",
                report.examined, report.orphans_removed, report.unfinished_removed
            );
            Ok(())
        }
        Command::Openapi => {
            println!("{}", motcua::http::openapi_json());
            Ok(())
        }
    }
}
